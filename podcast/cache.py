"""A content-addressed store for analysis results and rendered media.

Entries are written to a temporary name, fsynced and renamed, so a killed build never leaves a
half-written entry that a later build would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

CACHE_FORMAT = "1"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (never the whole file in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """A stable key from JSON-serialisable parts."""
    blob = json.dumps([CACHE_FORMAT, *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via temp file + fsync + rename: readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Cache:
    """Files and JSON documents under `root`, addressed by key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _json_path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.json"

    def get_json(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self._json_path(kind, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put_json(self, kind: str, key: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, sort_keys=True, indent=1)
        atomic_write_bytes(self._json_path(kind, key), text.encode())

    def entry_dir(self, kind: str, key: str) -> Path:
        """Folder of a complete media entry (exists only once the entry was committed)."""
        return self.root / kind / key

    def commit_dir(self, kind: str, key: str, built: Path) -> Path:
        """Move a fully written folder into place as the entry for `key`."""
        for item in built.iterdir():
            with item.open("rb") as handle:
                os.fsync(handle.fileno())
        target = self.entry_dir(kind, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(built)
            return target
        os.replace(built, target)
        return target

    def remove_leftovers(self) -> None:
        """Remove half-built entries of killed builds (call only while no build runs)."""
        for leftover in self.root.glob("*/.building-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in self.root.glob("*/.*.tmp"):
            leftover.unlink(missing_ok=True)

    def scratch_dir(self, kind: str) -> Path:
        """A fresh folder on the cache's file system for building an entry."""
        parent = self.root / kind
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=parent, prefix=".building-"))
