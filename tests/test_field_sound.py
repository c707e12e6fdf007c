"""Field recordings as they come (tests/field.py): the hardest cases of the corpus that
benchmarks/sound.py runs, each a real build measured on the published MP3 with ffmpeg's
ebur128 and numpy, never with podcast's own meter."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from podcast.build import build

from .field import FieldRecording, FieldSpec, make_field, measure
from .helpers import built_file, ebur128

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="no espeak-ng: install Debian's espeak-ng package"
)

SHOW = """title = "Feldaufnahmen"
description = "Aufnahmen, wie sie kommen."
author = "Redaktion"
language = "en"
base_url = "https://podcast.radio-sued.de/feld/"
cover = "cover.jpg"
copyright = "2026 Redaktion"
[owner]
name = "Redaktion"
email = "red@radio-sued.de"
[category]
name = "News"
[audio]
broadcast = false
trim_silence = false
{audio}
"""

EPISODE = """---
title: Feldaufnahme
number: 1
date: 2026-09-10T18:00:00+02:00
summary: Eine Aufnahme aus dem Feld.
recordings:
  - file: {name}
---
Notizen.
"""


def field_show(folder: Path, spec: FieldSpec, audio: str = "") -> FieldRecording:
    """A one-episode show (episodes/01-feld) around the corpus recording `spec`."""
    from PIL import Image

    episode = folder / "episodes/01-feld"
    episode.mkdir(parents=True)
    (folder / "podcast.toml").write_text(SHOW.format(audio=audio))
    Image.new("RGB", (1400, 1400), (30, 60, 90)).save(folder / "cover.jpg")
    (episode / "episode.md").write_text(EPISODE.format(name=spec.file_name))
    return make_field(episode, spec)


HOT_THREE = FieldSpec("hot-three", 4, 3, (0.0, 8.0, 16.0), "pink", -55.0, hot=True, fmt="flac")


def test_a_miss_no_listener_hears_is_published_with_a_note(tmp_path: Path) -> None:
    """A hot three-voice FLAC pushed to -9 LUFS: its true peak used to end 0.07 dB over the
    ceiling after four attempts, and the build failed with an absolute path in the message."""
    show = tmp_path / "show"
    field_show(show, HOT_THREE, "podcast_lufs = -9")
    os.chdir(tmp_path)  # messages name files relative to the show, wherever the build runs
    report = build(show)
    mp3 = built_file(report.out, "audio/01-feld.mp3")
    integrated, peak = ebur128(mp3)
    assert abs(integrated + 9) <= 0.5 and peak <= -1.0 + 0.1, (integrated, peak)
    notes = [w for w in report.warnings if "podcast.mp3" in w]
    assert all(w.startswith("episodes/01-feld/episode.md: podcast.mp3 ") for w in notes), notes
    assert not any(str(tmp_path) in w for w in report.warnings), report.warnings
