"""`podcast publish --to <partner>`: the files a radio partner is due from the last build
(outputs/partners.py made them), delivered into its drop box or import folder.

A playout system scans its import folder at any moment and imports what it finds, so a file
appears there only complete: each is written under a temporary name in the target's
`.podcast-upload/` folder and renamed into place (rsync's --temp-dir; rclone's copy then move
on the server), one file at a time. Stations move or delete imported files, so what was
delivered is known from the delivery log in the show's cache (file -> digest), never from the
folder: nothing is delivered twice, and an episode edited since is delivered again. Nothing
at the target is ever deleted: the folder belongs to the station.
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
from podcast.publish.transfer import Session, transport_for
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
    due: list[dict[str, Any]] = record.get("partners", {}).get(name, [])
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
                check_local_target(local, name, root)
            log_key = delivery_log_key(name, via.description)
            history = cache.get_json("publish", log_key) or {}
            delivered: dict[str, str] = dict(history.get("files", {}))
            when: dict[str, str] = dict(history.get("at", {}))  # file -> when it was there
            runs: list[dict[str, Any]] = list(history.get("runs", []))
            report.last_publish = runs[-1]["at"] if runs else None
            to_send = [e for e in due if resend or delivered.get(e["file"]) != e["digest"]]
            report.unchanged = not to_send
            if report.unchanged:
                return report
            staging = session.folder / "delivery"
            staging.mkdir()
            for entry in to_send:
                _place(Path(entry["path"]), staging / entry["file"])
            try:
                via.prepare(dry_run)
                for entry in to_send:
                    log(f"delivering {entry['file']}")
                    report.sent += via.send(staging, [entry["file"]], dry_run, atomic=True)
                    if not dry_run:
                        # Noted as soon as it is there: a killed delivery resumes after it.
                        delivered[entry["file"]] = entry["digest"]
                        when[entry["file"]] = datetime.now(UTC).isoformat(timespec="seconds")
                        state = {"target": name, "files": delivered, "at": when, "runs": runs}
                        cache.put_json("publish", log_key, state)
            finally:
                via.close()
            if not dry_run:
                moment = datetime.now(UTC).isoformat()
                runs = [*runs, {"at": moment, "sent": report.sent}][-HISTORY_KEPT:]
                cache.put_json(
                    "publish",
                    log_key,
                    {"target": name, "files": delivered, "at": when, "runs": runs},
                )
    return report


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

    @property
    def due(self) -> list[str]:
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
        name, destination, runs[-1]["at"] if runs else None, list(episodes.items())
    )


def _place(source: Path, target: Path) -> None:
    """`source` under the name it is delivered as (a link: a WAV of an hour is not copied)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
