"""The `podcast` command: a thin layer over the library (build, check, publish, serve, new,
info)."""

from __future__ import annotations

import contextlib
import ipaddress
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from podcast import __version__
from podcast.errors import PodcastError

F = TypeVar("F", bound=Callable[..., Any])
# Each command imports the stages it runs when it runs: `podcast publish` and `podcast new`
# start without loading the audio, page and feed code, and `podcast --help` without any
# (tests/test_seams.py checks it). What the commands print is in cli_report.py.


class Settings:
    def __init__(self, verbose: bool = False, quiet: bool = False, debug: bool = False) -> None:
        self.verbose, self.quiet, self.debug = verbose, quiet, debug

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(shown(message))

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(shown(message))

    def echo(self, message: str) -> None:
        click.echo(shown(message))

    def warn(self, message: str) -> None:
        click.echo(f"warning: {shown(message)}", err=True)

    def error(self, message: str) -> None:
        click.echo(shown(message), err=True)


def shown(message: str) -> str:
    """A message as the terminal gets it: control characters in it (from a file name, a tag)
    written as escapes, line by line, so none can set the window title or move the cursor."""
    from podcast.show.text import terminal_safe

    return "\n".join(terminal_safe(line) for line in message.split("\n"))


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        settings = ctx.ensure_object(Settings)
        setattr(settings, str(param.name), True)


def friendly_errors(command: F) -> F:
    """Print PodcastError (and unexpected errors) without a traceback unless --debug.

    Also accepts -v/-q/--debug after the subcommand (`podcast build -v`).
    """
    for flags, name, text in (
        (("-v", "--verbose"), "verbose", "Say more about each stage."),
        (("-q", "--quiet"), "quiet", "Print only warnings and errors."),
        (("--debug",), "debug", "Show Python tracebacks on errors."),
    ):
        command = click.option(
            *flags, name, is_flag=True, expose_value=False, callback=_set_flag, help=text
        )(command)

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = click.get_current_context().find_object(Settings)
        try:
            return command(*args, **kwargs)
        except PodcastError as exc:
            if settings is not None and settings.debug:
                traceback.print_exc()
            click.echo(shown(str(exc)), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted (Ctrl-C)", err=True)
            sys.exit(130)
        except OSError as exc:
            if settings is not None and settings.debug:
                raise
            name = f"{exc.filename}: " if exc.filename else ""
            click.echo(
                shown(f"{name}{exc.strerror or exc} (run with --debug for details)"), err=True
            )
            sys.exit(1)
        except Exception as exc:
            if settings is not None and settings.debug:
                raise
            click.echo(
                shown(
                    f"internal error: {type(exc).__name__}: {exc}. This is a bug in podcast; "
                    "please report it with the output of the same command run with --debug."
                ),
                err=True,
            )
            sys.exit(1)

    return cast(F, wrapper)


@click.group()
@click.version_option(__version__, prog_name="podcast")
@click.option("-v", "--verbose", is_flag=True, help="Say more about each stage.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool, debug: bool) -> None:
    """Turn a show folder into a published podcast."""
    ctx.obj = Settings(verbose, quiet, debug)


def _show_root(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    from podcast.show.locate import find_show_root

    if not value.exists():
        # Not the show around it: a typo in the name must not build or publish another show.
        raise click.BadParameter(f"there is no folder {shown(str(value))}", ctx, param)
    return find_show_root(value)


# The show of commands that work on one show found from where they run (`new`, `transcribe`).
show_dir_option = click.option(
    "--show-dir",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    callback=_show_root,
    help="The show (default: the one this folder is in).",
)


# The show folder: the one given, or the nearest above it with a podcast.toml (as git does).
show_dir_argument = click.argument(
    "show_dir",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    callback=_show_root,
)
out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: feed/ in the show folder).",
)

strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (placeholders, unused files, example address, ...) as errors.",
)
allow_option = click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="EPISODE",
    help="Publish although this episode (name or GUID) changes its GUID or URL, or is removed.",
)


@main.command()
@show_dir_argument
@out_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Episodes rendered at once.")
@allow_option
@strict_option
@click.option(
    "--stems",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write each processed track of multitrack recordings as a WAV into "
    "STEMS/SLUG/ (for an edit in a DAW; never published).",
)
@click.pass_obj
@friendly_errors
def build(
    settings: Settings,
    show_dir: Path,
    out: Path | None,
    jobs: int | None,
    allow: tuple[str, ...],
    strict: bool,
    stems: Path | None,
) -> None:
    """Build audio, pages and feeds; publish only if everything succeeded."""
    from podcast.build import build as build_show
    from podcast.cli_report import print_build
    from podcast.plan.sources import DEFAULT_OUTPUT
    from podcast.progress import TerminalProgress

    site = out if out is not None else show_dir / DEFAULT_OUTPUT
    if stems is not None:
        from podcast.audio.multitrack import check_stems_folder
        from podcast.show.loader import load_show

        check_stems_folder(load_show(show_dir), stems, site)

    live = not settings.quiet and not settings.verbose and sys.stderr.isatty()
    with TerminalProgress() if live else contextlib.nullcontext() as progress:
        report = build_show(
            show_dir,
            out,
            jobs=jobs,
            log=settings.detail,
            allow=frozenset(allow),
            progress=progress,
            strict=strict,
        )
    print_build(report, settings)
    if stems is not None:
        from podcast.audio.multitrack import write_stems
        from podcast.show.loader import load_show

        written = write_stems(load_show(show_dir), stems, site)
        settings.say(f"wrote {len(written)} stems into {stems}")


@main.command()
@show_dir_argument
@out_option
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets phones and others in the same network open it.",
)
@click.pass_obj
@friendly_errors
def serve(settings: Settings, show_dir: Path, out: Path | None, port: int, host: str) -> None:
    """Preview the site on 127.0.0.1 (with Range requests) and rebuild on changes.

    The preview is built into a temporary folder (or --out) with the served address as its
    base URL, so every link works there; the published feed/ is left alone.
    """
    from podcast.build import build as build_show
    from podcast.plan.sources import source_state
    from podcast.serve import make_server, preview_url, watch

    with tempfile.TemporaryDirectory(prefix="podcast-serve-") as temporary:
        site = (out or Path(temporary) / "site").absolute()
        server = make_server(site, port, log=settings.detail, host=host)  # bound: port known
        preview = preview_url(server)
        if not ipaddress.ip_address(str(server.server_address[0])).is_loopback:
            settings.say(
                f"note: anyone in this network can open the preview at {preview} "
                "(drafts and held-back episodes included)"
            )

        def rebuild() -> None:
            build_show(show_dir, site, log=settings.detail, preview_url=preview)

        try:
            built_from = source_state(show_dir, site)
            rebuild()
            stop = threading.Event()
            watcher = threading.Thread(
                target=watch,
                args=(show_dir, site, rebuild, settings.say, stop, 1.0, built_from),
                daemon=True,
            )
            watcher.start()
            settings.say(f"serving a preview of {show_dir} at {preview} (Ctrl+C stops)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                stop.set()
        finally:
            server.server_close()


@main.command()
@show_dir_argument
@out_option
@allow_option
@strict_option
@click.pass_obj
@friendly_errors
def check(
    settings: Settings, show_dir: Path, out: Path | None, allow: tuple[str, ...], strict: bool
) -> None:
    """Validate the show and every episode without rendering audio."""
    from podcast.check import check_show

    count, warnings = check_show(show_dir, out, frozenset(allow), strict)
    for warning in warnings:
        settings.warn(warning)
    settings.say(f"ok: podcast.toml and {count} episodes are valid")


def _is_partner(show_dir: Path, name: str) -> bool:
    """Whether `name` is a radio partner of the show (podcast.toml's [partners])."""
    from podcast.publish.remote import show_config

    return name in show_config(show_dir.resolve()).partners


@main.command()
@show_dir_argument
@out_option
@click.option(
    "--to",
    "target",
    metavar="NAME",
    help="The target ([publish.NAME] in podcast.toml), or a radio partner ([partners.NAME]): "
    "its files of the last build, into its drop box.",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be sent and deleted; change nothing."
)
@click.option(
    "--verify/--no-verify",
    default=None,
    help="Check over HTTP that the server delivers the show as built (default: after an "
    "upload that sent or deleted something, where the target's `verify` allows).",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send every file again, whatever the publish log says (a target changed by others).",
)
@click.option("--status", is_flag=True, help="Show what the target has against the last build.")
@click.pass_obj
@friendly_errors
def publish(
    settings: Settings,
    show_dir: Path,
    out: Path | None,
    target: str | None,
    dry_run: bool,
    verify: bool | None,
    resend: bool,
    status: bool,
) -> None:
    """Upload the last build to a web server or storage: media first, feeds last."""
    try:
        from podcast.cli_report import print_publish, print_publish_status
        from podcast.publish.remote import publish_build, publish_status

        if target is not None and _is_partner(show_dir, target):
            from podcast.cli_report import print_delivery_status
            from podcast.publish.deliver import deliver, delivery_status

            if status:
                print_delivery_status(delivery_status(show_dir, target, out), settings)
                return
            try:
                report = deliver(show_dir, target, out, dry_run, log=settings.detail, resend=resend)
            except KeyboardInterrupt:
                raise PodcastError(
                    f"{show_dir}: delivery to {target} interrupted; its drop box holds only "
                    "complete files under their names: run `podcast publish --to "
                    f"{target}` again to finish (nothing is delivered twice)"
                ) from None
            print_publish(report, dry_run, settings)
            return
        if status:
            print_publish_status(publish_status(show_dir, out, target), settings)
            return
        report = publish_build(
            show_dir, out, target, dry_run, verify, log=settings.detail, resend=resend
        )
    except KeyboardInterrupt:
        raise PodcastError(
            f"{show_dir}: publish interrupted; the target's feeds name only complete files "
            "(the old or the new ones): run `podcast publish` again to finish"
        ) from None
    print_publish(report, dry_run, settings)


@main.command()
@show_dir_argument
@click.pass_obj
@friendly_errors
def clean(settings: Settings, show_dir: Path) -> None:
    """Empty the show's cache (analyses, renders, build records); keep the publish logs."""
    from podcast.plan.cache import Cache
    from podcast.publish.atomic import show_lock
    from podcast.show.loader import SHOW_FILE

    if not (show_dir / SHOW_FILE).is_file():
        raise PodcastError(
            f"{show_dir}: no {SHOW_FILE} here, so no show cache to clean; run `podcast clean` "
            "in a show folder (or give its path)"
        )
    cache = Cache.of_show(show_dir)
    with show_lock(cache.root, show_dir):
        freed = cache.clean(keep_kinds=("publish",))
    settings.say(
        f"removed {freed / 1e6:.1f} MB from {cache.root} (publish logs kept); the next build "
        "analyses and renders again"
    )


@main.command()
@click.argument("title")
@show_dir_option
@click.pass_obj
@friendly_errors
def new(settings: Settings, title: str, show_dir: Path) -> None:
    """Scaffold episodes/<NN-slug>/episode.md: next number, now, a fresh GUID."""
    from podcast.scaffold import new_episode
    from podcast.show.loader import load_show_config

    problems: list[Any] = []
    config = load_show_config(show_dir, problems)
    if config is None:
        raise PodcastError(problems)
    source = new_episode(show_dir, title, config.language, config.timezone)
    settings.say(f"created {source}; put the recording in {source.parent}")


# What `podcast init` asks on a terminal, in order: (flag, question, default).
INIT_QUESTIONS = (
    ("title", "Title of the show", None),
    ("author", "Author (person or team)", None),
    ("language", "Language (BCP 47, e.g. de or de-DE)", "de"),
    ("base_url", "Address where the show will be served (https://...)", None),
    ("email", "Owner e-mail (Apple writes to it)", None),
    ("timezone", "Time zone of the show (IANA, e.g. Europe/Berlin)", None),
)


@main.command()
@click.argument("episodes", nargs=-1, metavar="[EPISODE]...")
@show_dir_option
@click.option("--force", is_flag=True, help="Make the draft again although an editor changed it.")
@click.pass_obj
@friendly_errors
def transcribe(settings: Settings, episodes: tuple[str, ...], show_dir: Path, force: bool) -> None:
    """Write a draft transcript (transcript.<language>.vtt) into each episode folder, offline
    (default: every episode; EPISODE is a folder name or number). Needs podcast[transcribe]."""
    from podcast.cli_report import print_transcribed
    from podcast.transcribe.command import transcribe as transcribe_show

    print_transcribed(transcribe_show(show_dir, episodes, force, settings.detail), settings)


def _answer_check(name: str) -> Callable[[str], str] | None:
    """What checks an answer to `init`'s question `name` as the loader will, so a refused one
    is asked again at once (and the answers before it are kept)."""
    from pydantic import TypeAdapter, ValidationError

    from podcast.show.fields import EMAIL, WebUrl

    if name == "base_url":
        adapter: TypeAdapter[str] = TypeAdapter(WebUrl)

        def web_address(value: str) -> str:
            try:
                return adapter.validate_python(value.strip())
            except ValidationError as exc:
                message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise click.BadParameter(message) from exc

        return web_address
    if name == "email":

        def address(value: str) -> str:
            if not EMAIL.match(value.strip()):
                raise click.BadParameter("must be an e-mail address, like redaktion@example.org")
            return value.strip()

        return address
    return None


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="The show's title.")
@click.option("--author", help="Shown as the artist.")
@click.option("--language", help="BCP 47, e.g. de or de-DE (default: de).")
@click.option("--base-url", help="Where feed/ will be served (https://...).")
@click.option("--email", help="The owner's address (Apple writes to it).")
@click.option(
    "--timezone",
    help="The show's IANA time zone, for `podcast new` (default: this machine's, unless UTC).",
)
@click.pass_obj
@friendly_errors
def init(settings: Settings, /, folder: Path, **given: str | None) -> None:
    """Start a new show in an empty folder: podcast.toml (every key of the show and its sound),
    a cover, episodes/. Asks for what the flags do not give (on a terminal only)."""
    from podcast.scaffold import init_show, machine_timezone

    answers = dict(given)
    zone = machine_timezone()
    defaults = {name: default for name, _, default in INIT_QUESTIONS} | {"timezone": zone}
    optional = {"timezone"}  # left commented out when neither given nor known
    missing = [
        name
        for name, _, _ in INIT_QUESTIONS
        if not answers[name] and not defaults[name] and name not in optional
    ]
    if missing and not sys.stdin.isatty():  # a script or CI: nobody to ask
        flags = " ".join(f"--{name.replace('_', '-')} ..." for name in missing)
        raise PodcastError(
            f"podcast init: no terminal to ask on; give {flags} "
            "(and --language, --timezone to change their defaults)"
        )
    asking = any(answers[name] is None for name in defaults if name not in optional)
    for name, question, _ in INIT_QUESTIONS:  # all flags given: nothing is asked
        if answers[name] is None:
            if asking and sys.stdin.isatty():
                # A required answer has no default: click asks again until one is given.
                default = defaults[name] or ("" if name in optional else None)
                answers[name] = click.prompt(
                    question,
                    default=default,
                    show_default=bool(default),
                    value_proc=_answer_check(name),
                )
            else:
                answers[name] = defaults[name]
    made = init_show(
        folder,
        str(answers["title"]),
        str(answers["author"]),
        str(answers["language"]),
        str(answers["base_url"]),
        str(answers["email"]),
        answers["timezone"] or None,
    )
    settings.say(f"created {', '.join(p.name for p in made)} and episodes/ in {folder}")
    settings.say('next: podcast new "Title of the first episode"')


@main.command("import")
@click.argument("feed")
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", help="Where the new show will be served (default: the feed's link).")
@click.option(
    "--keep-media-urls",
    is_flag=True,
    help="Leave the audio where it is: the new feed names the same enclosure URLs.",
)
@click.option(
    "--remaster",
    is_flag=True,
    help="Master the downloaded audio again (default: publish it as it is, tags added).",
)
@click.option(
    "--owner-email",
    help="The show's owner address: confirms a podcast:locked feed is yours (and is the owner "
    "when the feed names none).",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for a server.",
)
@click.pass_obj
@friendly_errors
def import_(
    settings: Settings,
    feed: str,
    folder: Path,
    base_url: str | None,
    keep_media_urls: bool,
    remaster: bool,
    owner_email: str | None,
    timeout: float,
) -> None:
    """Make a show folder from an existing feed (a URL or a file): podcast.toml, one episode
    per item with its original GUID, the media downloaded (or left where they are). Run again,
    it imports new items only and reports what changed in the others."""
    from podcast.cli_report import DownloadProgress, print_import
    from podcast.importer.run import ImportLoadError, ImportOptions, import_feed

    options = ImportOptions(
        base_url=base_url,
        keep_media_urls=keep_media_urls,
        remaster=remaster,
        owner_email=owner_email,
        timeout=timeout,
        progress=None if settings.quiet else DownloadProgress(settings),
    )
    try:
        report = import_feed(feed, folder, options)
    except ImportLoadError as error:
        # What was imported, adjusted and skipped is said even when the show does not load.
        print_import(error.report, settings, loaded=False)
        raise
    print_import(report, settings)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
@friendly_errors
def info(settings: Settings, files: tuple[Path, ...]) -> None:
    """Print each audio file's format, duration, loudness, tags and chapters; for an episode
    (its folder or episode.md), each track of its multitrack recordings."""
    from podcast.cli_report import print_file_info

    print_file_info(files, settings)


@main.command()
def reference() -> None:
    """Print every podcast.toml key and front-matter field, with what it takes and does
    (Markdown; docs/reference.md is this text)."""
    from podcast.show.reference import reference_markdown

    click.echo(reference_markdown(), nl=False)
