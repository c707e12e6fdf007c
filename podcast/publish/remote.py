"""`podcast publish`: a finished build, uploaded to a web server or object storage in an order
that never exposes a feed whose files are not there yet.

1. media and every file the pages and feeds link (audio, broadcast WAVs, covers, chapters,
   transcripts, programme sheets, the style sheet), 2. the pages, 3. `radio.xml`, then
   `feed.xml`, then the build's manifest, 4. only then are files deleted that the build no
   longer has: at once for pages and the like, after `keep_removed_days` for files whose name
   carries a version (the audio, chapters and transcripts of a changed or removed episode: apps
   download late). Files a feed names never change under their name (outputs/urls.versioned),
   so a listener polling the feed at any moment finds every file it names, complete and as the
   feed describes it. Killed at any moment, the target's feeds point only at such files; the
   next publish completes the work.

What to send is decided from the build's digests and the publish log (what this target got,
by digest), never from sizes or times at the target; with nothing new, nothing is contacted.
The log is kept in the show's cache (for deletions, and for `podcast publish --status`).
Over 400 lines on purpose: the phases, the log written between them and the checks of the
target are one guarantee, read best in one place (transfer.py holds the tools).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from podcast.errors import PodcastError
from podcast.outputs import urls
from podcast.plan.build_record import changed_since_build, last_build, recorded_digest
from podcast.plan.cache import Cache, key_of
from podcast.plan.sources import DEFAULT_OUTPUT
from podcast.publish.announce import announce
from podcast.publish.atomic import show_lock
from podcast.publish.output_folder import KEPT_FROM_PREVIOUS, MANIFEST, made_by_a_build
from podcast.publish.transfer import Session, Transport, transport_for
from podcast.publish.verify import Finding, verify_published
from podcast.show.loader import SHOW_FILE, load_show_config
from podcast.show.schema import PublishTarget, ShowConfig
from podcast.show.show_files import file_kind

Log = Callable[[str], None]
FEEDS_LAST = (urls.RADIO_FEED, urls.PODCAST_FEED, MANIFEST)  # in this order, after all else
HISTORY_KEPT = 50
SESSION_PREFIX = "podcast-publish-"
# Hidden entries a web space has before anything is published there: they do not make a target
# someone else's (no published name starts with a dot). Any other, such as a home folder's
# .bashrc or .ssh, does.
WEB_SERVER_FILES = frozenset(
    {
        ".",
        "..",
        ".htaccess",
        ".htpasswd",
        ".well-known",
        ".user.ini",
        ".ftpquota",
        ".podcast-upload",
    }
)


@dataclass
class PublishReport:
    """What a publish did (or, with `dry_run`, would do)."""

    target: str
    destination: str
    dry_run: bool
    sent: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # removed files -> deleted after (date)
    findings: list[Finding] = field(default_factory=list)
    announce_failures: list[str] = field(default_factory=list)
    verified: bool = False
    unchanged: bool = False  # nothing new since the last publish: the target was not contacted
    last_publish: str | None = None

    @property
    def has_problems(self) -> bool:
        """Whether the check over HTTP found something that is not only a warning."""
        return any(f.severity == "problem" for f in self.findings)


def upload_phases(files: list[str]) -> list[tuple[str, list[str]]]:
    """The build's files in upload order: (phase name, files)."""
    pages = sorted((f for f in files if urls.is_page(f)), key=lambda f: (f == urls.INDEX, f))
    last = [name for name in FEEDS_LAST if name in files]
    media = sorted(f for f in files if f not in pages and f not in last)
    return [("media", media), ("pages", pages), *(("feeds", [name]) for name in last)]


def show_config(show_root: Path) -> ShowConfig:
    """The show's podcast.toml, checked (every problem at once)."""
    return _config(show_root)


def _config(show_root: Path) -> ShowConfig:
    problems: list[Any] = []
    config = load_show_config(show_root, problems)
    if config is None:
        raise PodcastError(problems)
    return config


def _target(config: ShowConfig, show_root: Path, name: str | None) -> tuple[str, PublishTarget]:
    targets = config.publish
    if name is not None and name not in targets and name not in config.partners:
        known = [f"{t} (publish target)" for t in sorted(targets)]
        known += [f"{p} (radio partner)" for p in sorted(config.partners)]
        raise PodcastError(
            f"{show_root / SHOW_FILE}: --to {name!r} names no [publish.{name}] and no "
            f"[partners.{name}]; "
            + (f"--to takes {', '.join(known)}" if known else "add one (see README)")
        )
    if not targets:
        raise PodcastError(
            f"{show_root / SHOW_FILE}: no publish target; add one, e.g. [publish.web] with "
            'kind = "ssh", host = "user@example.org", path = "/var/www/podcast" (see README)'
        )
    if name is None:
        if len(targets) > 1:
            raise PodcastError(
                f"{show_root / SHOW_FILE}: several publish targets ({', '.join(sorted(targets))});"
                " choose one with --to NAME"
            )
        name = next(iter(targets))
    if name not in targets:
        raise PodcastError(
            f"{show_root / SHOW_FILE}: no publish target {name!r}; the targets are "
            f"{', '.join(sorted(targets))}"
        )
    return name, targets[name]


def _complete_build(cache: Cache, out: Path, config: ShowConfig) -> dict[str, str | None]:
    """The files of the finished build in `out` with their digests; refuses anything else: no
    build, a preview, a build for another address, a file changed since the build."""
    if not made_by_a_build(out):
        raise PodcastError(f"{out}: no finished build here; run `podcast build` first")
    record = last_build(cache, out)
    if record is None:
        raise PodcastError(f"{out}: this build is not known to the show's cache; build again")
    if record.get("preview") or record.get("base_url", config.base_url) != config.base_url:
        made_for = record.get("base_url", "another address")
        raise PodcastError(
            f"{out}: this folder holds a preview (made by `podcast serve` for {made_for}), not "
            f"a build for {config.base_url}; run `podcast build` and publish that"
            if record.get("preview")
            else f"{out}: this build was made for {made_for}, podcast.toml now says "
            f"{config.base_url}; run `podcast build` again"
        )
    changed = changed_since_build(cache, out, record)
    if changed:
        raise PodcastError(
            f"{out / changed[0]}: changed or missing since the build"
            + (f" (and {len(changed) - 1} more)" if len(changed) > 1 else "")
            + "; run `podcast build` again (a build's files are published as built, or not at all)"
        )
    return {name: recorded_digest(entry) for name, entry in sorted(record["files"].items())}


def check_local_target(local: Path, name: str, show_root: Path, field: str = "") -> None:
    """A target folder on this machine must be a folder that exists, outside the show and not
    holding it (`show_root` resolved); `field`: how podcast.toml names the target (default
    publish.NAME)."""
    where = f"{show_root / SHOW_FILE}: {field or 'publish.' + name}:"
    folder = local.resolve()
    if folder == show_root or folder.is_relative_to(show_root) or show_root.is_relative_to(folder):
        raise PodcastError(
            f"{where} the target {local} overlaps the show folder {show_root}; choose a folder "
            "outside the show"
        )
    existing = next((p for p in (local, *local.parents) if p.exists()), local)
    if existing.exists() and not existing.is_dir():
        raise PodcastError(
            f"{where} {existing} is {file_kind(existing)}, not a folder; set `path` to a folder"
        )
    if not local.is_dir():
        raise PodcastError(
            f"{where} the folder {local} does not exist; create it (mkdir -p {local}) or "
            "correct `path`"
        )


def _refuse_foreign_folder(via: Transport, name: str, show_root: Path, first: bool) -> None:
    """A target is ours if our manifest is there or it is empty (a web server's own hidden
    files such as .htaccess aside, `WEB_SERVER_FILES`); a
    folder on this machine must exist and must not overlap the show (its folder, output or
    recordings)."""
    local = via.local_folder()
    if local is not None:
        check_local_target(local, name, show_root)
    if not first:
        return
    names = [n for n in (via.listing() or []) if n not in WEB_SERVER_FILES]
    if not names or set(names) <= set(KEPT_FROM_PREVIOUS):
        return
    manifest = via.fetch(MANIFEST) if MANIFEST in names else None
    if manifest is not None and _our_manifest(manifest):
        return
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    raise PodcastError(
        f"{show_root / SHOW_FILE}: publish.{name}: {via.description} holds files that no "
        f"publish of a podcast build put there ({shown}); publishing would overwrite them. "
        "Choose an empty folder (or one this show was published to)"
    )


class _PublishLog(BaseModel):
    """What the publish log of a target holds (see publish_build); a log that does not fit
    (damaged, or of another version) counts as none."""

    target: str = ""
    destination: str = ""
    files: dict[str, str | None] | list[str] = {}  # file -> SHA-256 (older logs: a list)
    removed: dict[str, str] = {}  # file -> since when (ISO 8601)
    runs: list[dict[str, Any]] = []  # each with "at" (ISO 8601)
    pending: list[str] = []  # files a publish began to send and did not confirm
    unverified: bool = False  # the last publish's check over HTTP failed or did not run


def _read_log(data: dict[str, Any]) -> dict[str, Any]:
    log = _PublishLog.model_validate(data)
    for moment in [*log.removed.values(), *(str(run["at"]) for run in log.runs)]:
        datetime.fromisoformat(moment)
    return log.model_dump(exclude_unset=True)


def _publish_log(cache: Cache, key: str) -> dict[str, Any]:
    """The publish log of a target; empty when there is none or it is damaged (then the next
    publish sends everything again, and files removed since the last one stay on the target)."""
    return cache.get_record("publish", key, _read_log) or {}


def _our_manifest(data: bytes) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / MANIFEST).write_bytes(data)
        return made_by_a_build(Path(folder))


# A Unix socket's path holds at most 107 bytes; ssh's socket in the session folder takes the
# folder, "/ssh-" and a 40-character hash of the connection.
_SOCKET_PATH_MAX = 107
_SOCKET_NAME = len("/ssh-") + 40


def _session_parent() -> str | None:
    """Where a publish's private folder is made: the temporary folder (TMPDIR), or /tmp where
    that path is too long for ssh's connection socket (a deep TMPDIR, as on macOS or in CI)."""
    parent = tempfile.gettempdir()
    if len(parent) + 1 + len(SESSION_PREFIX) + 8 + _SOCKET_NAME <= _SOCKET_PATH_MAX:
        return None
    return "/tmp" if Path("/tmp").is_dir() else None


@contextmanager
def _session(cache: Cache, lock_descriptor: int, resend: bool) -> Iterator[Session]:
    """A private folder for this publish (file lists, the ssh socket); a killed publish's
    folder is removed by the next one (its path is noted in the cache)."""
    note = cache.root / "publish" / "session"
    try:
        stale = Path(note.read_text(encoding="utf-8").strip())
        if stale.name.startswith(SESSION_PREFIX) and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass
    folder = Path(tempfile.mkdtemp(prefix=SESSION_PREFIX, dir=_session_parent()))  # mode 0700
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(str(folder), encoding="utf-8")
    try:
        yield Session(folder, lock_descriptor, resend)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        note.unlink(missing_ok=True)


@dataclass
class _Routes:
    """Which transport takes which file: the audio goes to the media target, if any."""

    main: Transport
    media: Transport | None

    @property
    def description(self) -> str:
        if self.media is None:
            return self.main.description
        return f"{self.main.description}, audio to {self.media.description}"

    @property
    def transports(self) -> list[Transport]:
        return [self.main] if self.media is None else [self.media, self.main]

    def log_key(self, name: str) -> str:
        return key_of("publish", name, self.description)

    def split(self, files: list[str]) -> list[tuple[Transport, list[str]]]:
        """`files` by transport, audio first (in one phase the audio is what others link)."""
        if self.media is None:
            return [(self.main, files)]
        audio = [f for f in files if f.startswith(urls.MEDIA_FOLDERS)]
        rest = [f for f in files if not f.startswith(urls.MEDIA_FOLDERS)]
        return [(via, part) for via, part in ((self.media, audio), (self.main, rest)) if part]


def _routes(
    config: ShowConfig, name: str, target: PublishTarget, root: Path, session: Session
) -> _Routes:
    media = None
    if target.media_target is not None:
        media_name = target.media_target
        media = transport_for(media_name, config.publish[media_name], root, session)
    return _Routes(transport_for(name, target, root, session), media)


def _published(history: dict[str, Any]) -> dict[str, str | None]:
    """What the target has, by the log: file -> digest (logs of older versions: no digest).
    Files an interrupted publish began to send count as there, with no digest: they are sent
    again if the build has them, else removed like any file the build no longer has."""
    files = history.get("files", {})
    known = dict(files) if isinstance(files, dict) else dict.fromkeys(files)
    return {**dict.fromkeys(history.get("pending", [])), **known}


def _removals(
    published: dict[str, str | None],
    history: dict[str, Any],
    files: dict[str, str | None],
    moment: datetime,
    grace: timedelta,
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(files to delete now, files kept -> until, every removed file -> since)."""
    removed: dict[str, str] = {
        **{f: moment.isoformat() for f in published if f not in files},
        **history.get("removed", {}),
    }
    for path in files:
        removed.pop(path, None)
    delete, kept = [], {}
    for path, since in sorted(removed.items()):
        due = datetime.fromisoformat(since) + grace
        if urls.is_versioned(path) and moment < due:
            kept[path] = due.date().isoformat()
        else:
            delete.append(path)
    return delete, kept, removed


def publish_build(
    show_root: Path,
    out: Path | None = None,
    target_name: str | None = None,
    dry_run: bool = False,
    verify: bool | None = None,
    log: Log = lambda _: None,
    now: datetime | None = None,
    resend: bool = False,
) -> PublishReport:
    """Upload the build in `out` (default: `feed/`) to a target of podcast.toml, verify it
    over HTTP and announce it.

    `verify`: None checks over HTTP when something was sent or deleted (and the target asks
    for it), True always, False never. `resend`: send every file again (a target changed by
    someone else). `now` is for tests of the grace period."""
    root = show_root.resolve()
    config = _config(root)
    name, target = _target(config, root, target_name)
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    moment = now or datetime.now(UTC)
    cache = Cache.of_show(root)
    with show_lock(cache.root, root) as lock_descriptor:
        files = _complete_build(cache, out, config)
        with _session(cache, lock_descriptor, resend) as session:
            routes = _routes(config, name, target, root, session)
            report = PublishReport(name, routes.description, dry_run)
            log_key = routes.log_key(name)
            history = _publish_log(cache, log_key)
            runs = history.get("runs", [])
            report.last_publish = runs[-1]["at"] if runs else None
            published = _published(history)
            grace = timedelta(days=target.keep_removed_days)
            delete, report.kept, removed = _removals(published, history, files, moment, grace)
            to_send = [
                f for f in files if resend or files[f] is None or published.get(f) != files[f]
            ]
            report.unchanged = not to_send and not delete
            state = {
                "target": name,
                "destination": routes.description,
                "files": published,
                "removed": history.get("removed", {}),
                "runs": runs,
                "pending": to_send,
            }

            def note(sent: list[str]) -> None:
                # What reached the target so far: a killed publish resumes from here.
                if not dry_run:
                    state["files"] = {**state["files"], **{f: files[f] for f in sent}}
                    cache.put_json("publish", log_key, state)

            # A publish whose check over HTTP failed (or never ran) is checked again by the
            # next one, changed or not: a failure is never followed by a silent success.
            recheck = bool(history.get("unverified"))
            try:
                if report.unchanged:
                    _checked(report, out, files, config, target, verify, recheck)
                    if report.verified and not dry_run:
                        state["unverified"] = report.has_problems
                        cache.put_json("publish", log_key, {**history, **state, "pending": []})
                    return report
                for via in routes.transports:
                    # Once a publish began (the log is written before the first file is
                    # sent), what is at the target is ours or was found empty.
                    _refuse_foreign_folder(via, name, root, first=not history)
                note([])
                for via in routes.transports:
                    via.prepare(dry_run)
                for phase, names in upload_phases(to_send):
                    log(
                        f"{phase}: {len(names)} files"
                        + (f" ({names[0]})" if phase == "feeds" else "")
                    )
                    for via, part in routes.split(names):
                        report.sent += via.send(out, part, dry_run, atomic=phase == "feeds")
                    note(names)
                report.deleted = delete
                log(f"deletions: {len(delete)} files")
                for via, part in routes.split(delete):
                    via.delete(part, dry_run)
            finally:
                for via in routes.transports:
                    via.close()
            kept = {path: removed[path] for path in report.kept}
            state["files"] = {**dict.fromkeys(kept), **files}
            state["removed"], state["pending"] = kept, []
            state["runs"] = [
                *runs,
                {"at": moment.isoformat(), "sent": len(report.sent), "deleted": report.deleted},
            ][-HISTORY_KEPT:]
            if dry_run:
                return report
            state["unverified"] = True  # until the check over HTTP passes
            cache.put_json("publish", log_key, state)
            if _checked(report, out, files, config, target, verify, recheck).verified:
                state["unverified"] = report.has_problems
            elif verify is False or not target.verify:
                state["unverified"] = False  # the editor chose not to check
            cache.put_json("publish", log_key, state)
    feeds = [config.base_url + f for f in (urls.PODCAST_FEED, urls.RADIO_FEED) if f in files]
    # The partners' feed is blocked from directories: its subscribers may hear from the hub,
    # but no directory is told about it.
    blocked = (config.base_url + urls.RADIO_FEED,)
    report.announce_failures = announce(feeds, config.websub_hub, config.update_notify, blocked)
    return report


def _checked(
    report: PublishReport,
    out: Path,
    files: dict[str, str | None],
    config: ShowConfig,
    target: PublishTarget,
    verify: bool | None,
    recheck: bool = False,
) -> PublishReport:
    """`report` with the findings of the check over HTTP, where one is due (`recheck`: the
    last one failed)."""
    if verify or (verify is None and target.verify and (recheck or not report.unchanged)):
        feeds = [f for f in (urls.PODCAST_FEED, urls.RADIO_FEED) if f in files]
        report.findings = verify_published(out, feeds, check_addresses(config, target))
        report.verified = True
    return report


def check_addresses(config: ShowConfig, target: PublishTarget) -> dict[str, str]:
    """Where verification fetches what the feeds name, by the address prefix they use."""
    addresses = {config.base_url: target.verify_url or config.base_url}
    media = config.media_base_url
    if media:
        media_target = config.publish.get(target.media_target or "")
        addresses[media] = (media_target.verify_url if media_target else None) or media
    if config.enclosure_prefix:
        plain = media or config.base_url
        addresses[config.enclosure_prefix + plain.split("://", 1)[1]] = addresses[plain]
    return addresses


@dataclass
class PublishStatus:
    """How a target stands against the build in the output folder (from the publish log)."""

    target: str
    destination: str
    last_publish: str | None
    to_send: list[str]  # new or changed in the build since the last publish
    to_delete: list[str]  # in the last publish, not in the build
    kept: dict[str, str]  # removed files waiting for their grace period to end (since)


def publish_status(
    show_root: Path, out: Path | None = None, target_name: str | None = None
) -> PublishStatus:
    """What `podcast publish` would change, as far as the publish log knows."""
    root = show_root.resolve()
    config = _config(root)
    name, target = _target(config, root, target_name)
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    cache = Cache.of_show(root)
    files = _complete_build(cache, out, config)
    description = _describe(config, name, target, root)
    history = _publish_log(cache, key_of("publish", name, description))
    published = _published(history)
    kept = history.get("removed", {})
    runs = history.get("runs", [])
    return PublishStatus(
        target=name,
        destination=description,
        last_publish=runs[-1]["at"] if runs else None,
        to_send=[f for f in files if files[f] is None or published.get(f) != files[f]],
        to_delete=sorted(f for f in published if f not in files and f not in kept),
        kept=dict(kept),
    )


def _describe(config: ShowConfig, name: str, target: PublishTarget, root: Path) -> str:
    """The routes' description without starting a session (nothing is run)."""
    return _routes(config, name, target, root, Session(Path(tempfile.gettempdir()), -1)).description
