"""The one writer every output goes through: files land in the build's staging folder, and
what is already published unchanged is hard-linked instead of written again."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class OutputWriter:
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
        """Write a file the build made (linked from the output if it is unchanged)."""
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
        """Write a media file whose content `key` identifies it (linked if already published
        with that key and untouched since, copied from `source` otherwise)."""
        return self.produce(relative, key, lambda target: shutil.copyfile(source, target))

    def produce(self, relative: str, key: str, make: Callable[[Path], object]) -> Path:
        """Write a media file whose content `key` identifies it: linked if already published
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
