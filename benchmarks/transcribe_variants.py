"""Decoding variants of the default model compared, in one process (the model loaded once):
real-time factor on a few minutes of the synthesised interview, word error rate on the
benchmark interview (tests/interview.py) and on the demo show's three episodes (against their
editors' transcripts), and the sentences skipped there, for each way of steering.

    .venv/bin/python benchmarks/transcribe_variants.py                 # every variant
    .venv/bin/python benchmarks/transcribe_variants.py --only greedy,batched8 --speed-minutes 5

Variants: `beam5` (the first version: beam search of 5, one speech segment after the other),
`greedy` (beam 1), `batched8`/`batched4` (beam 1, faster-whisper's BatchedInferencePipeline
over the VAD's speech chunks, 8 or 4 at once), `batched8-beam5`, and `greedy-1thread` (one
CTranslate2 thread). Every variant keeps word timestamps (the search links need them): the
script fails if a word comes without times. The real-time factor is wall-clock time over
audio time, with the CPU time beside it (`cpu_rtf`: process CPU seconds over audio seconds,
divided by the 2 cores) and the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import one_episode_show, show_toml
from transcribe import EPISODE, GLOSSARY, wer, words

from podcast.plan.cache import Cache
from podcast.show.loader import load_show
from podcast.show.transcripts import read_transcript
from podcast.transcribe.draft import recognise_episode, terms_of, whisper_language
from podcast.transcribe.engine import Line, Settings, load
from podcast.transcribe.model import default_model
from tests.interview import GUEST_LINES, HOST_LINES, make_interview

REPO = Path(__file__).resolve().parent.parent
# name: (beam size, batch size, CTranslate2 threads)
VARIANTS = {
    "beam5": (5, 0, 0),
    "greedy": (1, 0, 0),
    "batched8": (1, 8, 0),
    "batched4": (1, 4, 0),
    "batched8-beam5": (5, 8, 0),
    "greedy-1thread": (1, 0, 1),
}
STEERS = ("none", "prompt", "hotwords", "both")
DEMO_GLOSSARY = ["Migrantenbeirat", "Seniorenbeirat", "Jugendbeirat", "KAV", "Ausländervertretung"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def hypothesis(lines: list[Line]) -> list[str]:
    for line in lines:
        for word in line.words:
            if not word.end >= word.start >= 0:
                raise SystemExit(f"a word without times: {word}")
    return [w for line in lines for w in words(line.text)]


def skipped(reference: list[list[str]], hyp: list[str]) -> int:
    """Reference sentences of which at most a quarter of the words were recognised (aligned):
    what steering made Whisper leave out."""
    flat = [w for sentence in reference for w in sentence]
    owner = [i for i, sentence in enumerate(reference) for _ in sentence]
    matched = [0] * len(reference)
    for block in difflib.SequenceMatcher(None, flat, hyp, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            matched[owner[block.a + k]] += 1
    return sum(m <= len(s) / 4 for m, s in zip(matched, reference, strict=True))


def sentences(text: str) -> list[list[str]]:
    return [words(s) for s in re.split(r"(?<=[.?!])\s+", text) if words(s)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(VARIANTS))
    parser.add_argument("--steers", default=",".join(STEERS))
    parser.add_argument("--speed-minutes", type=float, default=4.0)
    parser.add_argument("--verbose", action="store_true", help="print what was recognised")
    parser.add_argument("--no-quality", action="store_true", help="speed only")
    args = parser.parse_args()
    model = default_model()
    demo = load_show(REPO)
    with tempfile.TemporaryDirectory(prefix="bench-variants-") as tmp:
        folder = Path(tmp)
        interview = make_interview(folder, rounds=6)
        reference = []
        for number in range(6):
            reference += sentences(HOST_LINES[number % len(HOST_LINES)])
            reference += sentences(GUEST_LINES[number % len(GUEST_LINES)])
        bench = load_show(
            one_episode_show(
                folder / "bench",
                show_toml("Bench", "Variants.", "https://example.org/bench/"),
                EPISODE.format(name=interview.path.name, extra=""),
                interview.path,
                "01-interview",
                interview.path.name,
            )
        )
        long = folder / "long.flac"
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-stream_loop", "-1", "-i", str(interview.path)),
                *("-t", str(args.speed_minutes * 60), "-ac", "1", str(long)),
            ],
            check=True,
        )
        speed = load_show(
            one_episode_show(
                folder / "speed",
                show_toml("Bench", "Speed.", "https://example.org/bench/"),
                EPISODE.format(name=long.name, extra=""),
                long,
                "01-x",
                long.name,
            )
        )
        demo_refs = {
            e.slug: [
                s for cue in read_transcript(e.transcripts[0].path) for s in sentences(cue.text)
            ]
            for e in demo.episodes
        }
        rows = []
        for name in args.only.split(","):
            beam, batch, threads = VARIANTS[name]
            load(model, threads)  # not timed
            cache = Cache(folder / "cache" / name)  # fresh: nothing reused between variants
            episode = speed.episodes[0]
            settings = Settings("de", (), "none", beam, batch)
            started, cpu = time.perf_counter(), cpu_seconds()
            lines, _, _ = recognise_episode(
                speed, episode, cache, model, lambda _: None, settings, threads
            )
            elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            hypothesis(lines)
            audio = args.speed_minutes * 60
            rtf, cpu_rtf, busy = elapsed / audio, cpu / audio / 2, os.getloadavg()[0]
            print(f"{name}: rtf={rtf:.3f} cpu_rtf={cpu_rtf:.3f} load={busy:.1f}", flush=True)
            if args.no_quality:
                rows.append(f"| {name} | {rtf:.3f} | {cpu_rtf:.3f} | {busy:.1f} |")
                continue
            for steer in args.steers.split(","):
                ep = bench.episodes[0]
                settings = Settings("de", tuple(GLOSSARY), steer, beam, batch)  # type: ignore[arg-type]
                lines, _, _ = recognise_episode(
                    bench, ep, cache, model, lambda _: None, settings, threads
                )
                hyp = hypothesis(lines)
                bench_wer = wer([w for s in reference for w in s], hyp)
                bench_skip = skipped(reference, hyp)
                demo_words = demo_errors = demo_skip = demo_total = 0
                for ep in demo.episodes:
                    terms = (*terms_of(demo, ep), *DEMO_GLOSSARY)
                    language = whisper_language(ep.meta.language or demo.config.language)
                    settings = Settings(language, terms, steer, beam, batch)  # type: ignore[arg-type]
                    lines, _, _ = recognise_episode(
                        demo, ep, cache, model, lambda _: None, settings, threads
                    )
                    hyp = hypothesis(lines)
                    ref = demo_refs[ep.slug]
                    flat = [w for s in ref for w in s]
                    demo_errors += round(wer(flat, hyp) * len(flat))
                    demo_words += len(flat)
                    demo_skip += skipped(ref, hyp)
                    if args.verbose:
                        print(f"  {ep.slug}: {' '.join(hyp)}")
                        print(f"  {' ' * len(ep.slug)}  {' '.join(flat)}")
                    demo_total += len(ref)
                row = (
                    f"| {name} | {steer} | {rtf:.3f} | {cpu_rtf:.3f} | {busy:.1f} | "
                    f"{bench_wer:.3f} | {bench_skip}/{len(reference)} | "
                    f"{demo_errors / demo_words:.3f} | {demo_skip}/{demo_total} |"
                )
                print(row, flush=True)
                rows.append(row)
        print("\n| variant | steer | rtf | cpu_rtf | load | wer | skipped | demo wer | demo skip |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
