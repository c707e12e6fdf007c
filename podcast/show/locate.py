"""Finding the show a command is about, without loading anything else (every command starts
here, so this stays light)."""

from __future__ import annotations

from pathlib import Path

SHOW_FILE = "podcast.toml"


def find_show_root(start: Path) -> Path:
    """The nearest folder at or above `start` with a podcast.toml (as git finds its
    repository); `start` itself when there is none, so the usual message names it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SHOW_FILE).is_file():
            return folder
    return start
