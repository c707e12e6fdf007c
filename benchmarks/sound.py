"""Interview sound benchmark: our processing against what a user would otherwise run.

    .venv/bin/pip install -e '.[bench]'       # ffmpeg-normalize and pystoi
    .venv/bin/python benchmarks/sound.py --rounds 6 --speed-minutes 60

Synthesises a realistic field interview (tests/interview.py): two German espeak-ng voices
taking turns, the host at about -20 LUFS and the guest 13.5 LU quieter, pink and brown room
noise 15 dB below the guest, 50 Hz hum with two harmonics at -45 dBFS, a few plosives; the
clean speech is kept as the reference. Then, side by side, for
  unprocessed       the recording as it is
  ffmpeg-normalize  -nt ebu -t -16 -tp -1 (loudness only)
  dynaudnorm        ffmpeg's dynamic normaliser alone (default settings)
  speechnorm        ffmpeg's speech normaliser alone (e=12.5:r=0.0001:l=1, its manual's
                    example for weak and strong speech)
  ours              podcast build of a one-episode show (podcast MP3 only)
it prints the speaker gap (LU, the two speakers' integrated loudness from the known turn
times), the noise floor in the pauses relative to speech (dB), the hum at 50, 100 and 150 Hz
relative to speech (dB), STOI against the clean speech, loudness and true peak, and the time
relative to a bare MP3 encode (the floor). Every number is measured on the decoded output with
ffmpeg's ebur128 and numpy, not with podcast's own analysis.

With --speed-minutes, the same interview repeated to that length is built cold (all processing
on, hum present) and timed against the floor, with peak memory. The last line is
`speaker_gap_lu=… noise_drop_db=… hum_drop_db=… stoi=… stoi_unprocessed=… ratio_floor=…`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import one_episode_show, show_toml, timed_alone

from tests.helpers import ebur128
from tests.interview import (
    RATE,
    Interview,
    cut,
    decode,
    hum_levels,
    make_interview,
    rms_db,
    speaker_loudness,
)

SHOW = show_toml(
    "Klang",
    "A synthetic show for the sound benchmark.",
    "https://example.org/klang/",
    "[audio]\nbroadcast = false\ntrim_silence = false\n",
)
EPISODE = """---
title: Interview
number: 1
date: 2026-01-01T10:00:00+01:00
summary: A field interview.
guid: "urn:uuid:00000000-0000-4000-8000-000000000002"
recordings:
  - file: interview.wav
---
Notes.
"""
MP3 = ["-c:a", "libmp3lame", "-b:a", "128k"]
EBU = ["-nt", "ebu", "-t", "-16", "-tp", "-1", "-ar", "48000"]
SPEECHNORM = "speechnorm=e=12.5:r=0.0001:l=1"  # ffmpeg's manual: for weak and strong speech


def ffmpeg(*arguments: str) -> list[str]:
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", *arguments]


def make_show(folder: Path, recording: Path) -> Path:
    return one_episode_show(folder, SHOW, EPISODE, recording, "01-interview", "interview.wav")


def contenders(folder: Path, recording: Path) -> dict[str, tuple[list[str] | None, Path]]:
    """Name: (command, the file it writes); the unprocessed one has no command."""
    normalize = shutil.which("ffmpeg-normalize") or str(
        Path(sys.executable).parent / "ffmpeg-normalize"
    )
    show = make_show(folder, recording)
    return {
        "floor": (
            ffmpeg("-i", str(recording), *MP3, str(folder / "floor.mp3")),
            folder / "floor.mp3",
        ),
        "unprocessed": (None, recording),
        "ffmpeg-normalize": (
            [normalize, str(recording), *EBU, "-f", *MP3, "-o", str(folder / "normalized.mp3")],
            folder / "normalized.mp3",
        ),
        "dynaudnorm": (
            ffmpeg("-i", str(recording), "-af", "dynaudnorm", *MP3, str(folder / "dyn.mp3")),
            folder / "dyn.mp3",
        ),
        "speechnorm": (
            ffmpeg("-i", str(recording), "-af", SPEECHNORM, *MP3, str(folder / "speechnorm.mp3")),
            folder / "speechnorm.mp3",
        ),
        "ours": (
            build_command(show, folder / "site"),
            folder / "site/audio/01-interview.mp3",
        ),
    }


def measure(path: Path, interview: Interview) -> dict[str, float]:
    from pystoi import stoi

    samples = decode(path)[: int(interview.duration * RATE)]
    speech = rms_db(cut(samples, [(a, b) for _, a, b in interview.turns]))
    hum = hum_levels(samples, interview)
    clean = interview.clean[: samples.size]
    integrated, peak = ebur128(path)
    return {
        "gap": speaker_loudness(samples, interview, "host")
        - speaker_loudness(samples, interview, "guest"),
        "noise": rms_db(cut(samples, interview.pauses())) - speech,
        **{f"hum{line}": level - speech for line, level in hum.items()},
        "stoi": float(stoi(clean, samples[: clean.size], RATE, extended=False)),
        "lufs": integrated,
        "dbtp": peak,
    }


def build_command(show: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "podcast", "-q", "build", str(show), "--out", str(out)]


def speed(folder: Path, interview: Interview, minutes: float) -> tuple[float, float, float, float]:
    """(floor seconds, ours seconds, ours peak RSS MB, floor peak RSS MB) at `minutes`: the
    interview repeated to that length (by ffmpeg, so this process stays small)."""
    recording = folder / "long.wav"
    repeats = str(int(minutes * 60 / interview.duration) + 1)
    loop = ("-stream_loop", repeats, "-i", str(interview.path), "-t", str(minutes * 60))
    subprocess.run(ffmpeg(*loop, "-c:a", "pcm_s24le", str(recording)), check=True)
    long_folder = folder / "speed"
    long_folder.mkdir()
    show = make_show(long_folder, recording)
    encode = ffmpeg("-i", str(recording), *MP3, str(long_folder / "floor.mp3"))
    floor, floor_rss = timed_alone(encode)
    subprocess.run(["sync"], check=True)
    ours, ours_rss = timed_alone(build_command(show, long_folder / "out"))
    return floor, ours, ours_rss, floor_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="exchanges of host and guest")
    parser.add_argument("--speed-minutes", type=float, default=0, help="0: skip the speed run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podcast-sound-") as tmp:
        folder = Path(tmp)
        print("synthesising the interview ...", file=sys.stderr)
        interview = make_interview(folder, rounds=args.rounds)
        results, seconds = {}, {}
        for name, (command, output) in contenders(folder, interview.path).items():
            if command is not None:
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True)
                seconds[name] = time.perf_counter() - started
                if done.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
            if name != "floor":
                results[name] = measure(output, interview)
        floor = seconds["floor"]
        print(
            f"\n{interview.duration:.0f} s interview: gap, noise and hum in dB relative to "
            "speech (lower is better, except STOI)\n"
        )
        print(
            "| | speaker gap LU | noise floor dB | hum 50 / 100 / 150 Hz dB | STOI | LUFS | dBTP "
            "| time / floor |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in results.items():
            hum = " / ".join(f"{r[f'hum{line}']:.0f}" for line in (50, 100, 150))
            ratio = f"{seconds[name] / floor:.1f}" if name in seconds else ""
            print(
                f"| {name} | {r['gap']:.1f} | {r['noise']:.1f} | {hum} | {r['stoi']:.3f} "
                f"| {r['lufs']:.1f} | {r['dbtp']:.1f} | {ratio} |"
            )
        ours, raw = results["ours"], results["unprocessed"]
        hum_drop = min(raw[f"hum{line}"] - ours[f"hum{line}"] for line in (50, 100, 150))
        ratio_floor = float("nan")
        if args.speed_minutes > 0:
            print(f"\nbuilding {args.speed_minutes:g} minutes cold ...", file=sys.stderr)
            floor_s, ours_s, ours_rss, floor_rss = speed(folder, interview, args.speed_minutes)
            ratio_floor = ours_s / floor_s
            print(
                f"\n{args.speed_minutes:g} min, all processing on: floor {floor_s:.1f} s "
                f"({floor_rss:.0f} MB), ours {ours_s:.1f} s ({ours_rss:.0f} MB peak RSS)"
            )
        print(
            f"\nspeaker_gap_lu={abs(ours['gap']):.2f} "
            f"noise_drop_db={raw['noise'] - ours['noise']:.1f} hum_drop_db={hum_drop:.1f} "
            f"stoi={ours['stoi']:.3f} stoi_unprocessed={raw['stoi']:.3f} "
            f"ratio_floor={ratio_floor:.2f}"
        )


if __name__ == "__main__":
    main()
