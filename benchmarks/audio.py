"""Audio benchmark: our full episode build against a bare ffmpeg encode and ffmpeg-normalize.

    .venv/bin/pip install -e '.[bench]'       # ffmpeg-normalize, the anchor
    .venv/bin/python benchmarks/audio.py --minutes 60 --runs 3

Synthesises a speech-like, quiet 48 kHz stereo recording of N minutes, then times (median of
--runs) and measures side by side:
  floor   ffmpeg -i in.wav -c:a libmp3lame -b:a 128k out.mp3
  anchor  ffmpeg-normalize in.wav -nt ebu -t -16 -tp -1 -c:a libmp3lame -b:a 128k -o out.mp3
  ours    podcast build of a one-episode show (analysis, podcast MP3 + broadcast WAV, tags,
          feeds, pages and the verification of every rendition), with an empty cache
Peak RSS is the largest resident set of the process and everything it started (wait4).
The loudness of each result is measured independently with ffmpeg's ebur128 filter.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import one_episode_show, show_toml, synthesise, timed

SHOW = show_toml(
    "Benchmark",
    "A synthetic show for the audio benchmark.",
    "https://example.org/bench/",
    "[audio]\nalternate_encodings = []\n",
)
EPISODE = """---
title: Benchmark
number: 1
date: 2026-01-01T10:00:00+01:00
summary: A long synthetic recording.
guid: "urn:uuid:00000000-0000-4000-8000-000000000001"
recordings:
  - file: in.wav
---
Notes.
"""
# Bursts of a voice-like tone with pauses and noise: high crest factor, like speech.
SPEECH = (
    "aevalsrc=exprs='0.08*sin(2*PI*(180+40*sin(2*PI*0.3*t))*t)"
    "*pow(max(0\\,sin(2*PI*1.9*t))\\,3)*(0.6+0.4*sin(2*PI*0.05*t))':s=48000:d={seconds}"
)


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak by ffmpeg's ebur128 filter (the same meter for all)."""
    from podcast.audio.loudness import measure_file

    measured = measure_file(path)
    return measured.integrated, measured.peak


def make_show(folder: Path, recording: Path) -> Path:
    return one_episode_show(folder, SHOW, EPISODE, recording, "01-bench", "in.wav")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-anchor", action="store_true", help="skip ffmpeg-normalize (minutes per run)"
    )
    args = parser.parse_args()
    normalize = shutil.which("ffmpeg-normalize") or str(
        Path(sys.executable).parent / "ffmpeg-normalize"
    )
    has_anchor = Path(normalize).exists() and not args.no_anchor
    with tempfile.TemporaryDirectory(prefix="podcast-bench-") as tmp:
        folder = Path(tmp)
        recording = folder / "in.wav"
        print(
            f"synthesising {args.minutes:g} min of 48 kHz stereo speech-like audio ...",
            file=sys.stderr,
        )
        synthesise(
            recording,
            SPEECH.format(seconds=args.minutes * 60),
            *("-af", "volume=-6dB", "-ac", "2", "-c:a", "pcm_s16le"),
        )
        show = make_show(folder, recording)
        out = folder / "site"
        commands = {
            "floor": [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-i",
                str(recording),
                "-c:a",
                "libmp3lame",
                "-b:a",
                "128k",
                str(folder / "floor.mp3"),
            ],
            "ours": [sys.executable, "-m", "podcast", "-q", "build", str(show), "--out", str(out)],
        }
        if has_anchor:
            commands["anchor"] = [
                normalize,
                str(recording),
                "-nt",
                "ebu",
                "-t",
                "-16",
                "-tp",
                "-1",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "128k",
                "-f",
                "-o",
                str(folder / "anchor.mp3"),
            ]
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for run in range(args.runs):
            for name, command in commands.items():
                if name == "ours":  # a cold build: nothing cached, nothing published
                    shutil.rmtree(show / ".cache", ignore_errors=True)
                    shutil.rmtree(out, ignore_errors=True)
                results[name].append(timed(command))
                print(f"run {run + 1}: {name} {results[name][-1][0]:.1f} s", file=sys.stderr)
        outputs = {
            "floor": folder / "floor.mp3",
            "ours": out / "audio/01-bench.mp3",
            "anchor": folder / "anchor.mp3",
        }
        print(f"\n{args.minutes:g} minutes of 48 kHz stereo, median of {args.runs} runs\n")
        print(f"{'tool':8} {'seconds':>8} {'peak RSS MB':>12} {'LUFS':>7} {'dBTP':>6}")
        medians = {}
        for name, runs in results.items():
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            medians[name] = (seconds, rss)
            integrated, peak = loudness(outputs[name])
            print(f"{name:8} {seconds:8.1f} {rss:12.0f} {integrated:7.1f} {peak:6.1f}")
        wav_i, wav_tp = loudness(out / "broadcast/01-bench.wav")
        print(f"{'(ours broadcast WAV)':24} {wav_i:7.1f} {wav_tp:6.1f}")
        ours = medians["ours"][0]
        anchor = f"{ours / medians['anchor'][0]:.2f}" if "anchor" in medians else "n/a"
        print(
            f"ratio_floor={ours / medians['floor'][0]:.2f} ratio_ffmpeg_normalize={anchor} "
            f"peak_rss_mb={medians['ours'][1]:.0f} minutes={args.minutes:g}"
        )


if __name__ == "__main__":
    main()
