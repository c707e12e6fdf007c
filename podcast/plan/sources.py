"""What the sources of a show look like on disk: for noticing changes without reading files."""

from __future__ import annotations

import os
from pathlib import Path

IGNORED_FOLDERS = {".cache", ".git", "__pycache__", ".venv", "node_modules"}
DEFAULT_OUTPUT = "feed"


def source_state(root: Path, out: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time (ns) of every file under `root`, by path, and every folder
    (size -1, no time: a new empty episode folder is a change, a temporary file an editor's
    program wrote and removed is not).

    Hidden folders, caches and the output folder are left out, as the loader leaves them out.
    """
    state = {}
    # The output folder, and the default one (a preview builds elsewhere), are no sources.
    outputs = {out.resolve(), (root / DEFAULT_OUTPUT).resolve()}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in IGNORED_FOLDERS
            and not d.startswith(".")
            and (here / d).resolve() not in outputs
        )
        for name in dirs:
            state[str(here / name)] = (-1, 0)
        for name in sorted(files):
            path = here / name
            try:
                info = path.stat()
            except OSError:
                continue
            state[str(path)] = (info.st_size, info.st_mtime_ns)
    return state
