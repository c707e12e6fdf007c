"""ffmpeg as podcast runs it: its common arguments, safe file names, its version (running
programs in general: podcast/programs.py)."""

from __future__ import annotations

import functools
from pathlib import Path

from podcast.programs import require as require
from podcast.programs import run as run

# ffmpeg as every render and analysis starts it: no terminal input, only errors on stderr.
FFMPEG = ("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y")


def file_arg(path: Path) -> str:
    """An input/output name ffmpeg can never mistake for an option or a protocol."""
    return "file:" + str(path.absolute())


@functools.cache
def _version_text() -> str:
    return run(["ffmpeg", "-hide_banner", "-version"], "ffmpeg", "version check").stdout or ""


def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version`, part of every audio cache key."""
    lines = _version_text().splitlines()
    return lines[0] if lines else "unknown"


def upsampler() -> str:
    """aresample's options for stretching a slow control signal (the gain envelope) to the
    audio rate: libsoxr where ffmpeg has it (a third cheaper than its own resampler here)."""
    return ":resampler=soxr" if "--enable-libsoxr" in _version_text() else ""
