"""Staging and the atomic swap of a finished build into the output folder."""

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

from .errors import PodcastError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
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


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def publish(stage: Path, out: Path) -> None:
    """Make the complete `stage` the new `out`: readers see the old or the new, never a mix.

    The previous contents end up in `stage` and are removed with it.
    """
    _fsync_tree(stage)
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
