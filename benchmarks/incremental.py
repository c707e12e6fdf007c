"""Incremental-build benchmark: a synthetic show of many episodes, timed as an editor uses it.

    .venv/bin/python benchmarks/incremental.py --episodes 500
    .venv/bin/python benchmarks/incremental.py --episodes 1000

Every episode has its own notes and a short recording (the same audio, so the first build
renders it once and the benchmark measures everything around the audio). Timed, one after the
other, each as `podcast build` in a fresh process:
  cold       first build (analysis, one render, tags, pages, feeds, validation)
  no-op      nothing changed: must take under 1 s at 500 episodes
  one-note   one episode's notes edited: its page, its tags and the feeds change
  show-text  the show's description edited: every page and both feeds (audio cached): under
             3 s at 1000 episodes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import show_toml, synthesise

BASE_URL = "https://example.org/synthetic/"
EPISODE = """---
title: "Folge {number}: Gespräch über Beiräte"
number: {number}
date: {date}
summary: Folge {number} der synthetischen Reihe über Beiräte und Bürgerbeteiligung.
guid: "urn:uuid:00000000-0000-4000-8000-{number:012d}"
recordings:
  - file: aufnahme.wav
---
Notizen zu **Folge {number}**: [Quelle](https://example.org/{number}).
"""


def make_show(folder: Path, episodes: int) -> Path:
    from PIL import Image

    show = folder / "show"
    show.mkdir()
    (show / "podcast.toml").write_text(
        show_toml("Synthetic", "Eine synthetische Sendung.", BASE_URL)
    )
    Image.new("RGB", (1400, 1400), (20, 60, 90)).save(show / "cover.jpg", "JPEG")
    recording = folder / "aufnahme.wav"
    synthesise(
        recording,
        "aevalsrc=exprs='0.2*sin(2*PI*200*t)*pow(max(0\\,sin(2*PI*1.7*t))\\,3)':d=3",
        *("-ac", "2"),
    )
    for number in range(1, episodes + 1):
        episode = show / "episodes" / f"{number:04d}-folge"
        episode.mkdir(parents=True)
        day = 1 + number % 28
        date = f"20{10 + number // 336:02d}-{1 + number // 28 % 12:02d}-{day:02d}T10:00:00+01:00"
        (episode / "episode.md").write_text(EPISODE.format(number=number, date=date))
        os.link(recording, episode / "aufnahme.wav")
    return show


def timed_build(show: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "podcast", "-q", "build", str(show)], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podcast-incremental-") as tmp:
        show = make_show(Path(tmp), args.episodes)
        rows = [("cold", timed_build(show))]
        rows.append(("no-op", timed_build(show)))
        notes = show / "episodes/0001-folge/episode.md"
        notes.write_text(notes.read_text().replace("Notizen zu", "Neue Notizen zu"))
        rows.append(("one-note", timed_build(show)))
        (show / "podcast.toml").write_text(show_toml("Synthetic", "Neu beschrieben.", BASE_URL))
        rows.append(("show-text", timed_build(show)))
        print(f"\n{args.episodes} episodes\n\n{'build':10} {'seconds':>8}")
        for name, seconds in rows:
            print(f"{name:10} {seconds:8.2f}")
        times = dict(rows)
        print(
            f"noop_s={times['no-op']:.2f} one_note_s={times['one-note']:.2f} "
            f"show_text_s={times['show-text']:.2f} episodes={args.episodes}"
        )


if __name__ == "__main__":
    main()
