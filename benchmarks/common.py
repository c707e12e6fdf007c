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


def show_toml(title: str, description: str, base_url: str, extra: str = "") -> str:
    """A minimal, valid podcast.toml for a synthetic show (`extra`: more TOML at the end)."""
    return f"""title = "{title}"
description = "{description}"
author = "Benchmark"
language = "de"
base_url = "{base_url}"
cover = "cover.jpg"
copyright = "none"
[owner]
name = "Benchmark"
email = "bench@example.org"
[category]
name = "Technology"
{extra}"""
