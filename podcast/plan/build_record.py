"""The record each build leaves in the cache: its fingerprint, its files with their sizes and
SHA-256 digests, the report shown for it, and where its media came from. Read by the next build
(up to date?) and by `podcast publish` (is this a finished build, unchanged since? what is new
since the last publish?)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from podcast.plan.cache import Cache, file_digest, key_of


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns]


def record_files(out: Path, names: list[str], previous: dict[str, Any]) -> dict[str, Any]:
    """Size, digest and stamp (size, inode, modification and change time) of each file of a
    finished build in `out`. A file the last build recorded with the same inode, size and
    modification time (the build linked it unchanged) is not read again."""
    files: dict[str, Any] = {}
    for name in names:
        stamp = _stamp(out / name)
        known = previous.get(name)
        if isinstance(known, dict) and known.get("stamp", [])[:3] == stamp[:3]:
            digest = str(known["sha256"])
        else:
            digest = file_digest(out / name)
        files[name] = {"size": stamp[0], "sha256": digest, "stamp": stamp}
    return files


def recorded_size(entry: Any) -> int:
    """A file's size in a build record (records of older versions kept only the size)."""
    return int(entry["size"]) if isinstance(entry, dict) else int(entry)


def recorded_digest(entry: Any) -> str | None:
    """A file's SHA-256 in a build record; None in records of older versions."""
    return str(entry["sha256"]) if isinstance(entry, dict) else None


def refresh_stamps(out: Path, record: dict[str, Any]) -> None:
    """Take the files' stamps anew (after the cache dropped a render linked into `out`: that
    changes the link count, and so the change time, not the content)."""
    for name, entry in record["files"].items():
        if isinstance(entry, dict):
            entry["stamp"] = _stamp(out / name)


def changed_since_build(cache: Cache, out: Path, record: dict[str, Any]) -> list[str]:
    """The files of the recorded build that are missing from `out` or whose content is not
    the built one. A file whose stamp is unchanged is trusted without reading it: the change
    time cannot be set back by anyone editing the file. A file whose stamp changed but whose
    content is the built one (a link to it came or went) gets its new stamp in the record, so
    it is not read again."""
    changed, refreshed = [], False
    for name, entry in sorted(record["files"].items()):
        path = out / name
        try:
            stamp = _stamp(path)
        except OSError:
            changed.append(name)
            continue
        if not isinstance(entry, dict):
            if stamp[0] != entry:
                changed.append(name)
        elif stamp != entry["stamp"]:
            if stamp[0] != entry["size"] or file_digest(path) != entry["sha256"]:
                changed.append(name)
            else:
                entry["stamp"], refreshed = stamp, True
    if refreshed and not changed:
        save_build(cache, out, record)
    return changed


def last_build_if_unchanged(cache: Cache, out: Path, current: str) -> dict[str, Any] | None:
    """The record of the last build into `out` if its fingerprint is `current` and its output
    is intact (every file it wrote still there, at its size); None otherwise."""
    record = last_build(cache, out)
    if record is None or record.get("fingerprint") != current:
        return None
    for name, entry in record["files"].items():
        try:
            if (out / name).stat().st_size != recorded_size(entry):
                return None
        except OSError:
            return None
    return record


class RecordedFile(BaseModel):
    """A file of a build: its size, SHA-256, and stamp (size, inode, mtime, ctime)."""

    size: int
    sha256: str
    stamp: list[int]


class BuildRecord(BaseModel):
    """What a build record holds; records that do not fit (damaged, or from a version that
    kept less) count as no record."""

    fingerprint: str
    files: dict[str, RecordedFile | int]  # a bare size: a record of an older version
    base_url: str | None = None
    preview: bool = False
    episodes: list[dict[str, Any]]
    warnings: list[str]
    notes: list[str] = []
    placed: dict[str, list[Any]] = {}
    held_back: int = 0
    radio_only: int = 0
    next_release: str | None = None
    renders: list[str] = []
    out: str = ""


def _read_record(data: dict[str, Any]) -> dict[str, Any]:
    """The record as the build wrote it (keys it lacks stay absent), once it fits."""
    return BuildRecord.model_validate(data).model_dump(exclude_unset=True)


def last_build(cache: Cache, out: Path) -> dict[str, Any] | None:
    """The record of the last build into `out`: fingerprint, files with their sizes, the report
    shown for it, and where its media came from (`placed`)."""
    return cache.get_record("builds", key_of(str(out)), _read_record)


def holds_preview(cache: Cache, out: Path) -> bool:
    """Whether the last build into `out` was a preview (`podcast serve`), never published."""
    return bool((last_build(cache, out) or {}).get("preview"))


def save_build(cache: Cache, out: Path, record: dict[str, Any]) -> None:
    cache.put_json("builds", key_of(str(out)), {**record, "out": str(out)})


def prune_renders(cache: Cache) -> int:
    """Delete the renders no recorded build uses any more; the bytes freed.

    Renders are the cache's bulk (an hour of broadcast WAV is a gigabyte) and every edit of a
    recording or a loudness target makes new ones. What the last build into each output folder
    used stays; records of output folders that are gone (say, `podcast serve`'s previews) are
    dropped first. Nothing is pruned while a record from an older version lacks that list.
    """
    keep: set[str] = set()
    folder = cache.root / "builds"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        record = cache.get_record("builds", path.stem, _read_record)
        if record is None or "renders" not in record or "out" not in record:
            return 0
        if not Path(record["out"]).is_dir():
            path.unlink(missing_ok=True)
            continue
        keep.update(record["renders"])
    return cache.prune("render", keep)
