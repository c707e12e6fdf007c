"""`podcast publish`: a finished build, uploaded to a web server or object storage in an order
that never exposes a feed whose files are not there yet.

1. media and every file the pages and feeds link (audio, broadcast WAVs, covers, chapters,
   transcripts, programme sheets, the style sheet), 2. the pages, 3. `radio.xml`, then
   `feed.xml`, then the build's manifest, 4. only then are files deleted that the build no
   longer has: at once for pages and the like, after `keep_removed_days` for the audio of removed
   episodes (apps download late). Killed at any moment, the target's feeds point only at files
   that are there; the next publish completes the work (unchanged files are not sent again).

What was published where is kept in the show's cache (the publish log), for deletions and for
`podcast publish --status`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from podcast.errors import PodcastError
from podcast.outputs import urls
from podcast.plan.build_record import last_build
from podcast.plan.cache import Cache, key_of
from podcast.plan.sources import DEFAULT_OUTPUT
from podcast.publish.announce import announce
from podcast.publish.atomic import show_lock
from podcast.publish.output_folder import MANIFEST, made_by_a_build
from podcast.publish.transfer import Transport, transport_for
from podcast.publish.verify import Finding, verify_published
from podcast.show.loader import SHOW_FILE, load_show_config
from podcast.show.schema import PublishTarget, ShowConfig

Log = Callable[[str], None]
FEEDS_LAST = (urls.RADIO_FEED, urls.PODCAST_FEED, MANIFEST)  # in this order, after all else
# The audio: kept a while after its episode is removed; on `media_target` when there is one.
MEDIA_FOLDERS = ("audio/", "broadcast/")
HISTORY_KEPT = 50


@dataclass
class PublishReport:
    """What a publish did (or, with `dry_run`, would do)."""

    target: str
    destination: str
    dry_run: bool
    sent: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # removed media -> deleted after (date)
    findings: list[Finding] = field(default_factory=list)
    announce_failures: list[str] = field(default_factory=list)
    verified: bool = False


def upload_phases(files: list[str]) -> list[tuple[str, list[str]]]:
    """The build's files in upload order: (phase name, files)."""
    pages = sorted((f for f in files if f.endswith(".html")), key=lambda f: (f == "index.html", f))
    last = [name for name in FEEDS_LAST if name in files]
    media = sorted(f for f in files if f not in pages and f not in last)
    return [("media", media), ("pages", pages), *(("feeds", [name]) for name in last)]


def _config(show_root: Path) -> ShowConfig:
    problems: list[Any] = []
    config = load_show_config(show_root, problems)
    if config is None:
        raise PodcastError(problems)
    return config


def _target(config: ShowConfig, show_root: Path, name: str | None) -> tuple[str, PublishTarget]:
    targets = config.publish
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


def _complete_build(cache: Cache, out: Path) -> list[str]:
    """The files of the finished build in `out`; refuses anything else."""
    if not made_by_a_build(out):
        raise PodcastError(f"{out}: no finished build here; run `podcast build` first")
    record = last_build(cache, out)
    if record is None:
        raise PodcastError(f"{out}: this build is not known to the show's cache; build again")
    for name, size in record["files"].items():
        path = out / name
        if not path.is_file() or path.stat().st_size != size:
            raise PodcastError(
                f"{path}: changed or missing since the build; run `podcast build` again "
                "(a build's files are published as built, or not at all)"
            )
    return sorted(record["files"])


class _PublishLog(BaseModel):
    """What the publish log of a target holds (see publish_build)."""

    target: str = ""
    destination: str = ""
    files: list[str] = []
    removed: dict[str, str] = {}  # file -> since when (ISO 8601)
    runs: list[dict[str, Any]] = []  # each with "at" (ISO 8601)


def _read_log(data: dict[str, Any]) -> dict[str, Any]:
    log = _PublishLog.model_validate(data)
    for moment in [*log.removed.values(), *(str(run["at"]) for run in log.runs)]:
        datetime.fromisoformat(moment)
    return log.model_dump(exclude_unset=True)


def _publish_log(cache: Cache, key: str) -> dict[str, Any]:
    """The publish log of a target; empty when there is none or it is damaged (then the next
    publish sends what differs, and files removed since the last one stay on the target)."""
    return cache.get_record("publish", key, _read_log) or {}


def _media_transport(config: ShowConfig, target: PublishTarget, root: Path) -> Transport | None:
    if target.media_target is None:
        return None
    return transport_for(target.media_target, config.publish[target.media_target], root)


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

    def log_key(self, name: str) -> str:
        return key_of("publish", name, self.description)

    def split(self, files: list[str]) -> list[tuple[Transport, list[str]]]:
        """`files` by transport, audio first (in one phase the audio is what others link)."""
        if self.media is None:
            return [(self.main, files)]
        audio = [f for f in files if f.startswith(MEDIA_FOLDERS)]
        rest = [f for f in files if not f.startswith(MEDIA_FOLDERS)]
        return [(via, part) for via, part in ((self.media, audio), (self.main, rest)) if part]


def publish_build(
    show_root: Path,
    out: Path | None = None,
    target_name: str | None = None,
    dry_run: bool = False,
    verify: bool = True,
    log: Log = lambda _: None,
    now: datetime | None = None,
) -> PublishReport:
    """Upload the build in `out` (default: `feed/`) to a target of podcast.toml, verify it
    over HTTP and announce it. `now` is for tests of the grace period."""
    root = show_root.resolve()
    config = _config(root)
    name, target = _target(config, root, target_name)
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    moment = now or datetime.now(UTC)
    cache = Cache.of_show(root)
    transport = transport_for(name, target, root)
    routes = _Routes(transport, _media_transport(config, target, root))
    report = PublishReport(name, routes.description, dry_run)
    with show_lock(cache.root, root):
        files = _complete_build(cache, out)
        history = _publish_log(cache, routes.log_key(name))
        for phase, names in upload_phases(files):
            log(f"{phase}: {len(names)} files")
            for via, part in routes.split(names):
                report.sent += via.send(out, part, dry_run)
        removed: dict[str, str] = {
            **history.get("removed", {}),
            **{f: moment.isoformat() for f in history.get("files", []) if f not in files},
        }
        for path in files:
            removed.pop(path, None)
        grace = timedelta(days=target.keep_removed_days)
        for path, since in sorted(removed.items()):
            due = datetime.fromisoformat(since) + grace
            if path.startswith(MEDIA_FOLDERS) and moment < due:
                report.kept[path] = due.date().isoformat()
            else:
                report.deleted.append(path)
        for via, part in routes.split(report.deleted):
            via.delete(out, part, dry_run)
        for via, part in routes.split(files):
            via.clean_leftovers(out, part, dry_run)
        if not dry_run:
            runs = [
                *history.get("runs", []),
                {"at": moment.isoformat(), "sent": len(report.sent), "deleted": report.deleted},
            ]
            cache.put_json(
                "publish",
                routes.log_key(name),
                {
                    "target": name,
                    "destination": routes.description,
                    "files": files,
                    "removed": {p: removed[p] for p in report.kept},
                    "runs": runs[-HISTORY_KEPT:],
                },
            )
    if dry_run:
        return report
    feeds = [f for f in (urls.PODCAST_FEED, urls.RADIO_FEED) if f in files]
    if verify and target.verify:
        report.findings = verify_published(out, feeds, check_addresses(config, target))
        report.verified = True
    feed_urls = [config.base_url + f for f in feeds]
    report.announce_failures = announce(feed_urls, config.websub_hub, config.update_notify)
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
    to_send: list[str]  # in the build, not in the last publish
    to_delete: list[str]  # in the last publish, not in the build
    kept: dict[str, str]  # removed media waiting for their grace period to end (since)


def publish_status(
    show_root: Path, out: Path | None = None, target_name: str | None = None
) -> PublishStatus:
    """What `podcast publish` would change, as far as the publish log knows (files changed in
    place since are found by the upload itself)."""
    root = show_root.resolve()
    config = _config(root)
    name, target = _target(config, root, target_name)
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    cache = Cache.of_show(root)
    routes = _Routes(transport_for(name, target, root), _media_transport(config, target, root))
    files = _complete_build(cache, out)
    history = _publish_log(cache, routes.log_key(name))
    published = set(history.get("files", []))
    runs = history.get("runs", [])
    return PublishStatus(
        target=name,
        destination=routes.description,
        last_publish=runs[-1]["at"] if runs else None,
        to_send=[f for f in files if f not in published],
        to_delete=sorted(published - set(files)),
        kept=dict(history.get("removed", {})),
    )
