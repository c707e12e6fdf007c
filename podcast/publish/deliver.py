"""`podcast publish --to <partner>`: the files a radio partner is due from the last build
(outputs/partners.py made them), delivered into its drop box or import folder.

A playout system scans its import folder at any moment and imports what it finds, so a file
appears there only complete: each is sent whole into the target's `.podcast-upload/` folder,
the intent to rename it is logged, it is renamed into place on the target (a local rename, `mv`
over ssh, rclone's move on the server) and its delivery logged right after, one file at a
time. Stations move or delete imported files, so what was delivered is known from the delivery
log in the show's cache (file -> digest), never from the folder: nothing is delivered twice (a
delivery killed between a rename and its record is finished by the next one: gone from the
upload folder means renamed), and an episode edited since is delivered again. Nothing at the
target is ever deleted, and no file of a name we never delivered there is overwritten: the
folder belongs to the station.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podcast.errors import PodcastError
from podcast.outputs.partners import record_key
from podcast.plan.cache import Cache, key_of
from podcast.plan.sources import DEFAULT_OUTPUT
from podcast.publish.atomic import show_lock
from podcast.publish.output_folder import MANIFEST
from podcast.publish.remote import (
    HISTORY_KEPT,
    Log,
    PublishReport,
    _complete_build,
    _config,
    _session,
    check_local_target,
)
from podcast.publish.transfer import Session, Transport, transport_for
from podcast.show.loader import SHOW_FILE


def delivery_log_key(name: str, description: str) -> str:
    """The key of a partner's delivery log (kept by `podcast clean` with the publish logs)."""
    return key_of("delivery", name, description)


def _due(cache: Cache, out: Path, files: dict[str, str | None], name: str) -> list[dict[str, Any]]:
    """What the build in `out` made for the partner, each file still as the build made it."""
    record = cache.get_json("partners", record_key(out))
    if record is None or record.get("manifest") != files.get(MANIFEST):
        raise PodcastError(
            f"{out}: the partners' files of this build are not known to the show's cache; "
            "run `podcast build` again"
        )
    made: dict[str, list[dict[str, Any]]] = record.get("partners", {})
    if name not in made:
        raise PodcastError(
            f"{out}: partners.{name} is not in the last build (added to podcast.toml since?); "
            f"run `podcast build`, which makes its files, then deliver"
        )
    due = made[name]
    for entry in due:
        path = Path(entry["path"])
        if not path.is_file() or cache.digest(path) != entry["digest"]:
            raise PodcastError(
                f"{path}: the file for {name} changed or went since the build; run "
                "`podcast build` again"
            )
    return due


def deliver(
    show_root: Path,
    name: str,
    out: Path | None = None,
    dry_run: bool = False,
    log: Log = lambda _: None,
    resend: bool = False,
) -> PublishReport:
    """Deliver to the partner `name` ([partners.NAME] in podcast.toml) the files of the last
    build it has not had yet; `resend`: all of them again."""
    root = show_root.resolve()
    config = _config(root)
    partner = config.partners[name]
    if partner.delivery is None:
        raise PodcastError(
            f"{root / SHOW_FILE}: partners.{name}: no `delivery`; add one, e.g. "
            f'[partners.{name}.delivery] with kind = "ssh", host = "import@station.example", '
            'path = "/srv/import" (or kind = "folder" for a mounted import folder)'
        )
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    cache = Cache.of_show(root)
    with show_lock(cache.root, root) as lock_descriptor:
        due = _due(cache, out, _complete_build(cache, out, config), name)
        with _session(cache, lock_descriptor, resend) as session:
            via = transport_for(name, partner.delivery, root, session)
            report = PublishReport(name, via.description, dry_run)
            local = via.local_folder()
            if local is not None:
                check_local_target(local, name, root, f"partners.{name}.delivery")
            log_key = delivery_log_key(name, via.description)
            history = cache.get_json("publish", log_key) or {}
            log_ = _DeliveryLog(cache, log_key, name, history)
            report.last_publish = log_.runs[-1]["at"] if log_.runs else None
            refused: list[str] = []
            try:
                if log_.intents and not dry_run:
                    _finish_interrupted(via, log_, {e["file"]: e["digest"] for e in due})
                delivered = log_.delivered
                to_send = [e for e in due if resend or delivered.get(e["file"]) != e["digest"]]
                report.unchanged = not to_send
                if report.unchanged:
                    return report
                staging = session.folder / "delivery"
                staging.mkdir()
                for entry in to_send:
                    _place(Path(entry["path"]), staging / entry["file"])
                refused = _not_ours(via, log_, [e["file"] for e in to_send])
                to_send = [e for e in to_send if e["file"] not in refused]
                via.prepare(dry_run)
                for entry in to_send:
                    log(f"delivering {entry['file']}")
                    if dry_run:
                        report.sent += via.send(staging, [entry["file"]], dry_run, atomic=True)
                        continue
                    via.upload(staging, entry["file"])
                    # The intent before the rename and the delivery right after it: a delivery
                    # killed between the two is finished by the next one, never repeated.
                    log_.intend(entry["file"], entry["digest"])
                    via.move_into_place(entry["file"])
                    log_.done(entry["file"], entry["digest"])
                    report.sent.append(entry["file"])
            finally:
                via.close()
            if not dry_run:
                log_.run(len(report.sent))
            if refused:
                raise PodcastError(
                    "; ".join(
                        f"{via.description}: {file}: a file of that name is in the drop box, "
                        "and this show never delivered it there (the station's own?); not "
                        "overwritten. Ask the station to move it away, or change "
                        f"partners.{name}.file_name"
                        for file in refused
                    )
                    + (f" ({len(report.sent)} other files were delivered)" if report.sent else "")
                )
    return report


class _DeliveryLog:
    """A partner's delivery log in the show's cache: file -> digest delivered, when, the
    intents (a file about to be renamed into place), and the runs."""

    def __init__(self, cache: Cache, key: str, name: str, history: dict[str, Any]) -> None:
        self.cache, self.key, self.name = cache, key, name
        self.delivered: dict[str, str] = dict(history.get("files", {}))
        self.when: dict[str, str] = dict(history.get("at", {}))  # file -> when it was there
        self.intents: dict[str, str] = dict(history.get("intents", {}))
        self.runs: list[dict[str, Any]] = list(history.get("runs", []))

    def save(self) -> None:
        state: dict[str, Any] = {"target": self.name, "files": self.delivered, "at": self.when}
        if self.intents:
            state["intents"] = self.intents
        self.cache.put_json("publish", self.key, {**state, "runs": self.runs})

    def intend(self, file: str, digest: str) -> None:
        self.intents[file] = digest
        self.save()

    def done(self, file: str, digest: str) -> None:
        self.delivered[file] = digest
        self.when[file] = datetime.now(UTC).isoformat(timespec="seconds")
        self.intents.pop(file, None)
        self.save()

    def run(self, sent: int) -> None:
        moment = datetime.now(UTC).isoformat()
        self.runs = [*self.runs, {"at": moment, "sent": sent}][-HISTORY_KEPT:]
        self.save()


def _finish_interrupted(via: Transport, log: _DeliveryLog, due: dict[str, str]) -> None:
    """A delivery killed between a rename and its record: a file still in the upload folder
    is renamed into place now (it was complete: the intent follows the upload); one gone from
    there was renamed, and the station may have taken it already: it is recorded as delivered."""
    waiting = set(via.uploaded())
    for file, digest in sorted(log.intents.items()):
        if file not in waiting:
            log.done(file, digest)
        elif due.get(file) == digest:
            via.move_into_place(file)
            log.done(file, digest)
        else:  # made again since: the new version is due (prepare removes the old one)
            log.intents.pop(file)
            log.save()


def _not_ours(via: Transport, log: _DeliveryLog, files: list[str]) -> list[str]:
    """The files among `files` whose name is taken in the drop box by a file this show never
    delivered there: never overwritten."""
    there = set(via.listing() or [])
    return [f for f in files if f in there and f not in log.delivered and f not in log.intents]


@dataclass(frozen=True)
class DeliveredFile:
    """One file of the last build for a partner: when it was delivered (None: still due)."""

    file: str
    delivered_at: str | None  # ISO 8601, UTC; "" when the log predates the times


@dataclass(frozen=True)
class DeliveryStatus:
    """What a partner had of the last build, and what is still due, episode by episode."""

    partner: str
    destination: str
    last_delivery: str | None
    episodes: list[tuple[str, list[DeliveredFile]]]  # (episode name, its files)
    pulls: bool = False  # no `delivery`: nothing is delivered to it, so nothing is due

    @property
    def due(self) -> list[str]:
        if self.pulls:
            return []
        return [f.file for _, files in self.episodes for f in files if f.delivered_at is None]


def delivery_status(show_root: Path, name: str, out: Path | None = None) -> DeliveryStatus:
    """What the delivery log says the partner `name` has of the last build, per episode
    (`podcast publish --to NAME --status`); nothing is connected to."""
    root = show_root.resolve()
    config = _config(root)
    partner = config.partners[name]
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    cache = Cache.of_show(root)
    due = _due(cache, out, _complete_build(cache, out, config), name)
    if partner.delivery is None:
        destination, history = "no delivery: it pulls radio.xml", {}
    else:
        # The description alone: a session that is never started (nothing is run).
        session = Session(Path(tempfile.gettempdir()), -1)
        destination = transport_for(name, partner.delivery, root, session).description
        history = cache.get_json("publish", delivery_log_key(name, destination)) or {}
    delivered: dict[str, str] = history.get("files", {})
    when: dict[str, str] = history.get("at", {})
    runs = history.get("runs", [])
    episodes: dict[str, list[DeliveredFile]] = {}
    for entry in due:
        at = (
            when.get(entry["file"], "") if delivered.get(entry["file"]) == entry["digest"] else None
        )
        files = episodes.setdefault(str(entry.get("episode_name", entry.get("episode", ""))), [])
        files.append(DeliveredFile(entry["file"], at))
    return DeliveryStatus(
        name,
        destination,
        runs[-1]["at"] if runs else None,
        list(episodes.items()),
        pulls=partner.delivery is None,
    )


def _place(source: Path, target: Path) -> None:
    """`source` under the name it is delivered as (a link: a WAV of an hour is not copied)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
