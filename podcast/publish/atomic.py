"""The staging folder of a build and the atomic swap that makes it the output folder; the
build lock that keeps two builds of one show apart."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

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
def exclusive(lock_path: Path, busy_message: str) -> Iterator[int]:
    """Hold an exclusive lock on `lock_path` for the duration; fail at once if it is taken.
    Yields the locked file descriptor: a child process given it holds the lock as long as it
    lives, even should this process die first."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PodcastError(busy_message) from exc
        try:
            yield handle.fileno()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def show_lock(cache_root: Path, show_root: Path) -> Iterator[int]:
    """The lock one build or publish of a show holds: the output folder stays as it is.
    Yields the lock's file descriptor (see `exclusive`)."""
    busy = (
        f"{show_root}: another build or publish of this show is running (or an upload it "
        "started); wait for it to finish"
    )
    with exclusive(cache_root / ".build.lock", busy) as descriptor:
        yield descriptor


def remove_staging_leftovers(out: Path) -> None:
    """Staging folders of killed builds (call only while holding the build lock)."""
    for leftover in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out` (same file system, so the swap is a rename); removed after."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.staging-"))
    staging.chmod(0o755)  # mkdtemp makes it private; the published folder must be servable
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, out: Path) -> None:
    """Make the complete `staging` the new `out`: readers see the old or the new, never a mix.

    The previous contents end up in `staging` and are removed with it.
    """
    # Everything in the staging folder reaches the disk before it becomes the published
    # folder; one sync of its file system is far cheaper than an fsync per file on a show of
    # many episodes.
    _sync_file_system(staging)
    if out.exists() and _exchange(staging, out):
        return
    if not out.exists():
        os.replace(staging, out)
        staging.mkdir()
        return
    # No renameat2 (not Linux): two renames, with a short window where `out` is missing.
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(staging, out)
    os.replace(old, staging)
