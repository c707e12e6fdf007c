"""The record each build leaves in the cache: its fingerprint, its files with their sizes,
the report shown for it, and where its media came from. Read by the next build (up to date?)
and by `podcast publish` (is this a finished build?)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from podcast.plan.cache import Cache, key_of


def last_build_if_unchanged(cache: Cache, out: Path, current: str) -> dict[str, Any] | None:
    """The record of the last build into `out` if its fingerprint is `current` and its output
    is intact (every file it wrote still there, at its size); None otherwise."""
    record = last_build(cache, out)
    if record is None or record.get("fingerprint") != current:
        return None
    for name, size in record["files"].items():
        try:
            if (out / name).stat().st_size != size:
                return None
        except OSError:
            return None
    return record


class BuildRecord(BaseModel):
    """What a build record holds; records that do not fit (damaged, or from a version that
    kept less) count as no record."""

    fingerprint: str
    files: dict[str, int]
    episodes: list[dict[str, Any]]
    warnings: list[str]
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
