"""A content-addressed store for analysis results and rendered media.

Entries are written to a temporary name, fsynced and renamed, so a killed build never leaves a
half-written entry that a later build would trust.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

CACHE_FORMAT = "1"
# Every kind of entry the cache keeps, each a folder of its own; `clean` removes only these
# (the cache folder may be a link into a folder that holds other things too).
KINDS = (
    "analysis",
    "builds",
    "denoise",
    "digests",
    "envelope",
    "notes",
    "partners",
    "premix",
    "publish",
    "render",
    "transcripts",
    "validated",
)
T = TypeVar("T")


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (never the whole file in memory)."""
    digest = hashlib.sha256()
    # Large chunks: reading and hashing let go of the interpreter lock, and each chunk needs it
    # back only once, so other threads (loading libraries, say) barely slow this down.
    buffer = memoryview(bytearray(16 << 20))
    with path.open("rb", buffering=0) as handle:
        while got := handle.readinto(buffer):
            digest.update(buffer[:got])
    return digest.hexdigest()


def data_digest(data: bytes | str) -> str:
    """SHA-256 (hex) of bytes, or of text as UTF-8."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def key_of(*parts: Any) -> str:
    """A stable key from JSON-serialisable parts."""
    blob = json.dumps([CACHE_FORMAT, *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via temp file + fsync + rename: readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the written file gets the permissions any
        # new file gets (the umask), so other editors on a shared server can read podcast.lock.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    """The process's umask (read once: reading it means setting it, which is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def tree_size(path: Path) -> int:
    """Bytes in a file or a folder tree (what deleting it frees, hard links aside)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def remove_tree(path: Path) -> int:
    """Delete a file or a folder tree; the bytes that freed."""
    size = tree_size(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return size


class Cache:
    """Files and JSON documents under `root`, addressed by key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._digests: dict[str, str] | None = None
        self._digests_changed = False
        self._used: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def of_show(cls, show_root: Path) -> Cache:
        """The cache of the show at `show_root` (`.cache/podcast`, shared by build and check)."""
        return cls(show_root / ".cache" / "podcast")

    def _known_digests(self) -> dict[str, str]:
        """The digests remembered so far, by stamp (call with the lock held)."""
        if self._digests is None:
            self._digests = {}
            stored = self.get_json("digests", "stat")
            if stored is not None:
                self._digests = {str(k): str(v) for k, v in stored.items()}
        return self._digests

    @staticmethod
    def _stamp(path: Path) -> str:
        info = path.stat()
        return f"{info.st_dev}|{info.st_ino}|{info.st_size}|{info.st_mtime_ns}"

    def knows(self, path: Path) -> bool:
        """Whether the digest of `path` (as it is now) is remembered: `digest` will not read it."""
        stamp = self._stamp(path)
        with self._lock:
            return stamp in self._known_digests()

    def digest(self, path: Path) -> str:
        """SHA-256 of a file, remembered by (device, inode, size, mtime) so unchanged files are
        not read again on the next build."""
        stamp = self._stamp(path)
        with self._lock:
            known = self._known_digests().get(stamp)
            self._used.add(stamp)
        if known is not None:
            return known
        value = file_digest(path)
        with self._lock:
            assert self._digests is not None
            self._digests[stamp] = value
            self._digests_changed = True
        return value

    def save(self) -> None:
        """Persist what `digest` learned (atomically), keeping only the files it was asked
        about (the rest are old versions of recordings)."""
        with self._lock:
            if self._digests is None:
                return
            stale = self._digests.keys() - self._used
            if self._digests_changed or stale:
                kept = {stamp: self._digests[stamp] for stamp in sorted(self._used)}
                self.put_json("digests", "stat", kept)
                self._digests, self._digests_changed = kept, False

    def _json_path(self, kind: str, key: str) -> Path:
        assert kind in KINDS, kind
        return self.root / kind / f"{key}.json"

    def get_json(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self._json_path(kind, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def get_record(self, kind: str, key: str, read: Callable[[dict[str, Any]], T]) -> T | None:
        """The document of `kind` turned into a value by `read`; None, as for a missing one,
        when `read` finds it damaged or written by an older version (a KeyError, TypeError
        or ValueError, pydantic's included): the work it saved is done again."""
        data = self.get_json(kind, key)
        if data is None:
            return None
        try:
            return read(data)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return None

    def put_json(self, kind: str, key: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))  # C encoder: fast
        atomic_write_bytes(self._json_path(kind, key), text.encode())

    def file_path(self, kind: str, name: str) -> Path:
        """Where the file `name` of `kind` is kept (it may not exist)."""
        assert kind in KINDS, kind
        return self.root / kind / name

    def put_file(self, kind: str, name: str, data: bytes) -> Path:
        """Keep `data` as the file `name` of `kind` (atomically); its path."""
        path = self.file_path(kind, name)
        atomic_write_bytes(path, data)
        return path

    def entry_dir(self, kind: str, key: str) -> Path:
        """Folder of a complete media entry (exists only once the entry was committed)."""
        assert kind in KINDS, kind
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

    def prune(self, kind: str, keep: set[str]) -> int:
        """Delete the entries of `kind` (folders and JSON) whose key is not in `keep`; the bytes
        freed. Call only while no build runs."""
        folder, freed = self.root / kind, 0
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            if entry.name.startswith(".") or entry.name.removesuffix(".json") in keep:
                continue
            freed += remove_tree(entry)
        return freed

    def clean(self, keep_kinds: tuple[str, ...] = ()) -> int:
        """Delete the cache's entries but those of `keep_kinds`; the bytes freed. Only the
        cache's own kinds of entry are touched, whatever else the folder holds."""
        freed = 0
        for kind in KINDS:
            if kind not in keep_kinds and not (self.root / kind).is_symlink():
                freed += remove_tree(self.root / kind)
        self._digests = None
        return freed

    def scratch_dir(self, kind: str) -> Path:
        """A fresh folder on the cache's file system for building an entry."""
        parent = self.root / kind
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=parent, prefix=".building-"))


class Memo:
    """Results of a pure text-to-text function, remembered across builds in one cache file.

    `version` names everything the results depend on besides the input; a new version starts
    afresh. Only the entries used by the last build are kept.
    """

    def __init__(self, cache: Cache, kind: str, version: str) -> None:
        self._cache, self._kind, self._key = cache, kind, key_of(kind, version)
        stored = cache.get_json(kind, self._key) or {}
        self._known = {str(k): str(v) for k, v in stored.items()}
        self._used: dict[str, str] = {}

    def get(self, text: str, compute: Callable[[str], str]) -> str:
        """`compute(text)`, or what it gave before."""
        key = hashlib.sha256(text.encode()).hexdigest()
        result = self._known.get(key)
        if result is None:
            result = compute(text)
        self._used[key] = result
        return result

    def save(self) -> None:
        if self._used != self._known:
            self._cache.put_json(self._kind, self._key, self._used)
