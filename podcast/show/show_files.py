"""The one rule for every file a build reads from the show: it must lie inside the show folder,
symlinks resolved (a link to /etc/passwd in pages/ would otherwise be published).

Recordings, transcripts, chapters, covers, pictures, pages, episode files and the show's theme
all go through `outside_show`; the packaged theme is the only other place files come from.
"""

from __future__ import annotations

import stat
from pathlib import Path

from podcast.errors import Problem

OUTSIDE_FIX = "copy the file into the show folder instead of linking to it"


def inside(root: Path, path: Path) -> bool:
    """True when `path` (symlinks resolved) lies inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
    return True


def outside_show(
    root: Path, path: Path, file: Path, line: int, field: str, name: str = ""
) -> Problem | None:
    """The problem (reported at `file:line: field`, naming the file as `name` when it is not
    `file` itself) when `path` leads out of the show `root`."""
    if inside(root, path):
        return None
    what = "is a link to a file outside the show folder"
    return Problem(file, line, field, f"'{name}' {what}" if name else what, OUTSIDE_FIX)


def resolve_file(
    root: Path, base: Path, name: str, problems: list[Problem], file: Path, line: int, field: str
) -> Path | None:
    """The file `name` (relative to the folder `base`) names, or None with the reason appended
    to `problems` (at `file:line: field`): outside the show, missing, or not a file."""
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts:
        problems.append(
            Problem(
                file,
                line,
                field,
                f"'{name}' points outside the show folder",
                "give a path relative to the episode folder, without ../",
            )
        )
        return None
    path = base / candidate
    if not path.exists():
        problems.append(Problem(file, line, field, f"file '{name}' not found", f"put it at {path}"))
        return None
    outside = outside_show(root, path, file, line, field, name)
    if outside is not None:
        problems.append(outside)
        return None
    if not path.is_file():
        problems.append(Problem(file, line, field, f"'{name}' is not a file", "name a file"))
        return None
    return path


def file_kind(path: Path) -> str | None:
    """What is at `path`: "a file", "a folder", "a device", "a named pipe (FIFO)", "a socket"
    (symlinks followed); None when nothing is."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
