"""Staging and the atomic swap of a finished build into the output folder."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from podcast.errors import PodcastError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name is not None else None


def _sync_file_system(folder: Path) -> None:
    """Flush the file system holding `folder` to disk (Linux syncfs; elsewhere all of them)."""
    libc = _libc()
    syncfs = getattr(libc, "syncfs", None)
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    libc = _libc()
    if libc is None:
        return False
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


@contextlib.contextmanager
def exclusive(lock_path: Path, busy_message: str) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` for the duration; fail at once if it is taken."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PodcastError(busy_message) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_staging_leftovers(out: Path) -> None:
    """Staging folders of killed builds (call only while holding the build lock)."""
    for leftover in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)


class Stage:
    """The staging folder of a build, which reuses what is already published.

    Every file of the new output goes through `write` (content the build made) or `place`
    (media from the cache, by content key). A file whose content equals the published one is
    hard-linked from the output folder instead of created again: on a show of many episodes
    most pages and all unchanged media cost a link, not a write. Tagged MP3s are copies; a
    broadcast WAV published for the first time is its cached render (metadata filled in), and
    the cache renders again should someone change it in place.
    """

    def __init__(self, folder: Path, out: Path, previous: dict[str, list[Any]]) -> None:
        self.folder, self.out, self.previous = folder, out, previous
        self.placed: dict[str, list[Any]] = {}
        self.written: set[str] = set()
        self._folders: set[Path] = set()
        self._lock = threading.Lock()

    def _target(self, relative: str) -> Path:
        target = self.folder / relative
        with self._lock:
            self.written.add(relative)
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
        return target

    def write(self, relative: str, content: bytes | str) -> Path:
        """Stage a file the build made (linked from the output if it is unchanged)."""
        data = content.encode() if isinstance(content, str) else content
        target = self._target(relative)
        published = self.out / relative
        try:
            same = published.stat().st_size == len(data) and published.read_bytes() == data
        except OSError:
            same = False
        if not (same and hard_link(published, target)):
            target.write_bytes(data)
        return target

    def place(self, source: Path, key: str, relative: str) -> Path:
        """Stage a media file whose content `key` identifies it (linked if already published
        with that key and untouched since, copied from `source` otherwise)."""
        return self.produce(relative, key, lambda target: shutil.copyfile(source, target))

    def produce(self, relative: str, key: str, make: Callable[[Path], object]) -> Path:
        """Stage a media file whose content `key` identifies it: linked if already published
        with that key and untouched since, made by `make(path)` otherwise."""
        target = self._target(relative)
        published = self.out / relative
        try:
            info = published.stat()
            reusable = self.previous.get(relative) == [key, info.st_size, info.st_mtime_ns]
        except OSError:
            reusable = False
        if not (reusable and hard_link(published, target)):
            make(target)
        info = target.stat()
        with self._lock:
            self.placed[relative] = [key, info.st_size, info.st_mtime_ns]
        return target


def hard_link(source: Path, target: Path) -> bool:
    """Link `target` to `source`; False where the file system refuses (another device...)."""
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out` (same file system, so the swap is a rename); removed after."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.staging-"))
    stage.chmod(0o755)  # mkdtemp makes it private; the published folder must be servable
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def publish(stage: Path, out: Path) -> None:
    """Make the complete `stage` the new `out`: readers see the old or the new, never a mix.

    The previous contents end up in `stage` and are removed with it.
    """
    # Everything in the staging folder reaches the disk before it becomes the published
    # folder; one sync of its file system is far cheaper than an fsync per file on a show of
    # many episodes.
    _sync_file_system(stage)
    if out.exists() and _exchange(stage, out):
        return
    if not out.exists():
        os.replace(stage, out)
        stage.mkdir()
        return
    # No renameat2 (not Linux): two renames, with a short window where `out` is missing.
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(stage, out)
    os.replace(old, stage)
