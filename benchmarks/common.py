"""What the benchmark scripts share."""

from __future__ import annotations

import subprocess
from pathlib import Path


def synthesise(path: Path, source: str, *options: str) -> Path:
    """Write `path` from one of ffmpeg's generators (lavfi `source`), with output `options`."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *options, str(path)],
        check=True,
    )
    return path
