"""Publish benchmark: `podcast publish` against the plain rsync a user would otherwise run.

    .venv/bin/python benchmarks/publish.py --minutes 60 --runs 3

Builds a one-episode show of N minutes of synthetic speech (podcast MP3, broadcast WAV, pages,
feeds; not timed), then times, median of --runs, each into a fresh folder on this machine:
  rsync    rsync -a site/ target/            (one pass, in whatever order rsync walks)
  publish  podcast publish --no-verify       (rsync in ordered passes, the publish log after
                                              each; with nothing changed it contacts nothing)
once into an empty target and once more with nothing changed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audio import SPEECH, make_show
from common import synthesise


def timed(command: list[str]) -> float:
    os.sync()  # what the previous command wrote must not slow this one down
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    podcast = str(Path(sys.executable).parent / "podcast")
    with tempfile.TemporaryDirectory(prefix="podcast-bench-") as tmp:
        folder = Path(tmp)
        recording = folder / "in.wav"
        print(f"synthesising and building {args.minutes:g} min ...", file=sys.stderr)
        synthesise(
            recording,
            SPEECH.format(seconds=args.minutes * 60),
            *("-af", "volume=-6dB", "-ac", "2", "-c:a", "pcm_s16le"),
        )
        show = make_show(folder, recording)
        site = folder / "site"
        subprocess.run([podcast, "-q", "build", str(show), "--out", str(site)], check=True)
        times: dict[str, list[float]] = {}
        for run in range(args.runs):
            plain, ours = folder / f"plain-{run}", folder / f"ours-{run}"
            ours.mkdir()  # a folder target must exist
            toml = show / "podcast.toml"
            base = toml.read_text().split("\n[publish.bench]")[0]
            toml.write_text(f'{base}\n[publish.bench]\nkind = "folder"\npath = "{ours}"\n')
            rsync = ["rsync", "-a", f"{site}/", f"{plain}/"]
            publish = [podcast, "-q", "publish", str(show), "--out", str(site), "--no-verify"]
            order = [("rsync", rsync), ("publish", publish)]
            for label, command in order if run % 2 else reversed(order):
                times.setdefault(f"{label} first", []).append(timed(command))
                times.setdefault(f"{label} again", []).append(timed(command))
        print(f"\n{args.minutes:g} min of audio, {size_mb(site):.0f} MB published, a local folder")
        print(f"| median of {args.runs} | seconds |")
        print("|---|---:|")
        medians = {label: statistics.median(values) for label, values in times.items()}
        for label, seconds in medians.items():
            print(f"| {label} | {seconds:.2f} |")
        print(
            f"ratio_first={medians['publish first'] / medians['rsync first']:.2f} "
            f"ratio_again={medians['publish again'] / medians['rsync again']:.2f} "
            f"minutes={args.minutes:g}"
        )


if __name__ == "__main__":
    main()
