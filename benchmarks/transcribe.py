"""Transcription benchmark: the default model (Whisper base, int8) on the synthesised German
interview the sound tests use (tests/interview.py: two espeak-ng voices, room noise, hum; its
text is known).

    .venv/bin/pip install -e '.[transcribe]'
    .venv/bin/python benchmarks/transcribe.py                    # quick: speed on 3 minutes
    .venv/bin/python benchmarks/transcribe.py --speed-minutes 60  # the README's numbers

Prints the word error rate without steering, with the glossary as initial prompt
(`wer_glossary`: the default steering) and as hotwords, the share of words given
to the right speaker on a two-track recording (host on the
left channel, guest on the right, each 20 dB lower on the other), and the real-time factor and
peak memory of `podcast transcribe` (a process of its own, cold cache) on the interview
repeated to --speed-minutes. The last line is
`rtf=… wer=… wer_glossary=… wer_hotwords=… speaker_accuracy=… peak_rss_mb=…`; the
decoding variants are compared by benchmarks/transcribe_variants.py.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import one_episode_show, show_toml, timed_alone

from tests.interview import GUEST_LINES, HOST_LINES, RATE, RAW_STEREO, Interview, make_interview

GLOSSARY = [
    "Migrantenbeirat",
    "Seniorenbeirat",
    "Jugendbeirat",
    "Stadtrat",
    "Migrationsgeschichte",
    "Delegierte",
    "Berufsabschlüssen",
]
EPISODE = """---
title: Interview
number: 1
date: 2026-09-10T18:00:00+02:00
summary: Ein Interview.
recordings:
  - file: {name}
{extra}---
"""


def words(text: str) -> list[str]:
    return re.findall(r"[\wäöüß]+", text.lower())


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1] / max(1, len(reference))


def transcript(show: Path) -> list[tuple[float, float, str | None, str]]:
    """The draft's cues (start, end, speaker, text), read by the project's own reader."""
    from podcast.show.transcripts import read_transcript

    vtt = next(show.glob("episodes/*/transcript.*.vtt"))
    return [(c.start, c.end, c.speaker, c.text) for c in read_transcript(vtt)]


def run_show(folder: Path, recording: Path, steer: str, extra: str = "") -> Path:
    config = show_toml(
        "Bench",
        "Transcription benchmark.",
        "https://example.org/bench/",
        f'[transcription]\nsteer = "{steer}"\nglossary = {GLOSSARY!r}\n'.replace("'", '"'),
    )
    episode = EPISODE.format(name=recording.name, extra=extra)
    show = one_episode_show(folder, config, episode, recording, "01-interview", recording.name)
    subprocess.run(
        [sys.executable, "-m", "podcast", "-q", "transcribe", "--show-dir", str(show)], check=True
    )
    return show


def two_tracks(interview: Interview, path: Path) -> None:
    """Host on the left, guest on the right (clean stems), each 20 dB lower on the other."""
    host = np.zeros_like(interview.clean)
    guest = np.zeros_like(interview.clean)
    for who, start, end in interview.turns:
        a, b = int(start * RATE), int(end * RATE)
        (host if who == "host" else guest)[a:b] = interview.clean[a:b]
    left, right = host + 0.1 * guest, guest + 0.1 * host
    stereo = np.stack([left, right], axis=1).astype("<f4") * 0.5
    subprocess.run(
        [*RAW_STEREO, "-i", "-", "-v", "error", "-c:a", "pcm_s16le", str(path)],
        input=stereo.tobytes(),
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="host-and-guest exchanges")
    parser.add_argument("--speed-minutes", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        folder = Path(tmp)
        interview = make_interview(folder, rounds=args.rounds)
        reference = []
        for number in range(args.rounds):
            reference += words(HOST_LINES[number % len(HOST_LINES)])
            reference += words(GUEST_LINES[number % len(GUEST_LINES)])
        results = {}
        for steer in ("none", "prompt", "hotwords"):
            show = run_show(folder / steer, interview.path, steer)
            hypothesis = [w for cue in transcript(show) for w in words(cue[3])]
            results[steer] = wer(reference, hypothesis)
            print(f"steer={steer:8} wer={results[steer]:.3f}  {' '.join(hypothesis)[:300]}")
        tracks = folder / "two-tracks.wav"
        two_tracks(interview, tracks)
        show = run_show(folder / "tracks", tracks, "none", "    speakers: [Host, Gast]\n")
        right = total = 0
        for start, end, speaker, text in transcript(show):
            middle = (start + end) / 2
            truth = next((w for w, a, b in interview.turns if a - 0.3 <= middle <= b + 0.3), None)
            if truth is not None:
                count = len(words(text))
                total += count
                right += count if speaker == {"host": "Host", "guest": "Gast"}[truth] else 0
        accuracy = right / max(1, total)
        print(f"speaker accuracy on two tracks: {accuracy:.3f} ({right} of {total} words)")
        # Speed: the interview repeated to the length asked, transcribed cold in a process of
        # its own (the model joined into the user cache beforehand, by the runs above).
        long = folder / "long.flac"
        loops = int(args.speed_minutes * 60 / interview.duration) + 1
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-stream_loop", str(loops), "-i", str(interview.path)),
                *("-t", str(args.speed_minutes * 60), "-ac", "1", str(long)),
            ],
            check=True,
        )
        config = show_toml("Bench", "Speed.", "https://example.org/bench/")
        show = one_episode_show(
            folder / "speed",
            config,
            EPISODE.format(name=long.name, extra=""),
            long,
            "01-x",
            long.name,
        )
        # The machine may be shared: the CPU time (over 2 cores) and the load average beside
        # the wall clock say how much of it the run had.
        before, load = resource.getrusage(resource.RUSAGE_CHILDREN), os.getloadavg()[0]
        seconds, rss = timed_alone(
            [sys.executable, "-m", "podcast", "-q", "transcribe", "--show-dir", str(show)]
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        rtf = seconds / (args.speed_minutes * 60)
        print(
            f"{args.speed_minutes:g} minutes transcribed in {seconds:.1f} s, {cpu:.1f} CPU "
            f"seconds (cpu_rtf={cpu / 2 / (args.speed_minutes * 60):.3f} on 2 cores); load "
            f"average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
        )
        # Nothing half: the draft reaches the end of the recording, with as many words per
        # minute as the interview itself gives.
        cues = transcript(show)
        per_minute = len([w for c in cues for w in words(c[3])]) / args.speed_minutes
        short = [w for c in transcript(folder / "none" / "show") for w in words(c[3])]
        print(
            f"draft: {len(cues)} cues, the last ending at {cues[-1][1] / 60:.1f} of "
            f"{args.speed_minutes:g} minutes; {per_minute:.0f} words a minute "
            f"(the interview alone: {len(short) / (interview.duration / 60):.0f})"
        )
        print(
            f"rtf={rtf:.3f} wer={results['none']:.3f} wer_glossary={results['prompt']:.3f} "
            f"wer_hotwords={results['hotwords']:.3f} speaker_accuracy={accuracy:.3f} "
            f"peak_rss_mb={rss:.0f}"
        )


if __name__ == "__main__":
    main()
