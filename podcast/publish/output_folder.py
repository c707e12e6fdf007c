"""The output folder a build owns: what marks it as ours, and what a build refuses to replace."""

from __future__ import annotations

import json
from pathlib import Path

from podcast.errors import PodcastError
from podcast.show.model import Show
from podcast.show.show_files import file_kind

MANIFEST = "manifest.json"
GENERATOR = "podcast"  # the manifest's mark that a build of ours wrote the folder
KEPT_FROM_PREVIOUS = ("README.md",)


def check_output_folder(show: Show, out: Path) -> None:
    root = show.root.resolve()
    target = out.resolve()
    # The swap would put the build in place of a device or file (as root: /dev/null).
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        raise PodcastError(
            f"{out}: {existing} is {file_kind(existing)}, not a folder, and a build replaces "
            "the output folder as a whole; choose a folder with --out"
        )
    if target == root or root.is_relative_to(target):
        raise PodcastError(
            f"{out}: the output folder would replace the show folder; "
            "choose another folder with --out"
        )
    if target.is_dir():
        entries = {p.name for p in target.iterdir()}
        if entries and not entries <= set(KEPT_FROM_PREVIOUS) and not made_by_a_build(target):
            raise PodcastError(
                f"{out}: the folder has files that no build put there; a build replaces the "
                "whole folder, so choose an empty or new folder with --out"
            )


def made_by_a_build(folder: Path) -> bool:
    """Whether `folder` holds a manifest that a build wrote (web roots and web apps often have
    a manifest.json of their own: that one must not make the folder ours)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    # Builds before the marker wrote exactly these two keys.
    return manifest.get("generator") == GENERATOR or set(manifest) == {"show", "episodes"}
