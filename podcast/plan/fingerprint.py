"""What is stale: a fingerprint of every source by size and time, and the last build's record.

A build whose fingerprint matches the last one's, with that build's output intact, has
nothing to do (`podcast build` answers "up to date" without reading any file).
"""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path

from podcast import __version__
from podcast.audio.analyse import ANALYSIS_VERSION
from podcast.audio.render import RENDER_VERSION
from podcast.audio.tools import ffmpeg_version
from podcast.outputs.id3 import TAGGING_VERSION
from podcast.plan.sources import source_state
from podcast.show.theme import theme_dirs


def source_states(root: Path, out: Path) -> dict[str, tuple[int, int]]:
    """Sizes and times of every file of the show and of a theme outside it."""
    theme_outside = [d for d in theme_dirs(root) if not d.is_relative_to(root)]
    states: dict[str, tuple[int, int]] = {}
    for folder in [root, *theme_outside]:
        states.update(source_state(folder, out))
    return states


def fingerprint(
    states: dict[str, tuple[int, int]], allow: frozenset[str], preview_url: str | None
) -> str:
    """Everything a build depends on, by file sizes and times (no file is read)."""
    digest = sha256()
    versions: list[object] = [__version__, RENDER_VERSION, ANALYSIS_VERSION, TAGGING_VERSION]
    versions += [ffmpeg_version(), sorted(allow), preview_url]
    digest.update(json.dumps(versions).encode())
    for path, (size, mtime) in sorted(states.items()):
        # A file name need not be valid UTF-8 (it is bytes on Linux): encode it back as is.
        digest.update(f"{path}|{size}|{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
