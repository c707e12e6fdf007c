"""Interview sound benchmark: our processing against what a user would otherwise run.

    .venv/bin/pip install -e '.[bench]'       # ffmpeg-normalize and pystoi
    .venv/bin/python benchmarks/sound.py --compare --speed-minutes 60
    .venv/bin/python benchmarks/sound.py --interview --rounds 6 --speed-minutes 60

Without --interview: the corpus of 29 seeded field recordings (tests/field.py; two split in
two files, the first with set-up chatter before its in-point; the last a gated recorder's,
with digital silence between the turns), each built as a
one-episode show and measured on its MP3 (README: "Measured on a corpus of field recordings");
with --compare, ffmpeg-normalize and plain loudnorm on the same recordings; with
--speed-minutes, the interview below repeated to that length is timed against the floor. The
last line is `recordings=… failures=… worst_gap_lu=… worst_bed_swing_db=… worst_limiter_db=…
worst_phrase_swing_db=… worst_hum_db=… stoi_delta=… ratio_floor=…`.

With --interview: synthesises a realistic field interview (tests/interview.py): two German
espeak-ng voices taking turns, the host at about -20 LUFS and the guest 13.5 LU quieter, pink
and brown room noise 15 dB below the guest, 50 Hz hum with two harmonics at -45 dBFS, a few
plosives; the clean speech is kept as the reference. Then, side by side, for
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
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import one_episode_show, show_toml, timed_with_cpu

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


def speed(folder: Path, interview: Interview, minutes: float) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of a bare MP3 encode (floor_*) and of our
    build (ours_*) at `minutes`: the interview repeated to that length (by ffmpeg, so this
    process stays small)."""
    recording = folder / "long.wav"
    repeats = str(int(minutes * 60 / interview.duration) + 1)
    loop = ("-stream_loop", repeats, "-i", str(interview.path), "-t", str(minutes * 60))
    subprocess.run(ffmpeg(*loop, "-c:a", "pcm_s24le", str(recording)), check=True)
    long_folder = folder / "speed"
    long_folder.mkdir()
    show = make_show(long_folder, recording)
    encode = ffmpeg("-i", str(recording), *MP3, str(long_folder / "floor.mp3"))
    floor, floor_rss, floor_cpu = timed_with_cpu(encode)
    subprocess.run(["sync"], check=True)
    ours, ours_rss, ours_cpu = timed_with_cpu(build_command(show, long_folder / "out"))
    return {
        "floor_s": floor,
        "floor_rss": floor_rss,
        "floor_cpu": floor_cpu,
        "ours_s": ours,
        "ours_rss": ours_rss,
        "ours_cpu": ours_cpu,
    }


def print_speed(folder: Path, minutes: float, rounds: int) -> float:
    """Run `speed` on the synthesised interview and print it; the wall-time ratio to the floor."""
    folder.mkdir(parents=True, exist_ok=True)
    interview = make_interview(folder, rounds=rounds)
    print(f"\nbuilding {minutes:g} minutes cold ...", file=sys.stderr)
    run = speed(folder, interview, minutes)
    print(
        f"\n{minutes:g} min, all processing on: floor {run['floor_s']:.1f} s "
        f"({run['floor_cpu']:.1f} s CPU, {run['floor_rss']:.0f} MB), ours {run['ours_s']:.1f} s "
        f"({run['ours_cpu']:.1f} s CPU, {run['ours_rss']:.0f} MB peak RSS); "
        f"CPU ratio {run['ours_cpu'] / run['floor_cpu']:.2f}"
    )
    return run["ours_s"] / run["floor_s"]


# The corpus (tests/field.py): every recording through `podcast build`, measured on the MP3.

CORPUS_EPISODE = """---
title: Field recording
number: 1
date: 2026-01-01T10:00:00+01:00
summary: A field recording.
guid: "urn:uuid:00000000-0000-4000-8000-000000000003"
recordings:
{recordings}---
Notes.
"""


def _spread(gains: list[tuple[Any, Any]]) -> tuple[float, float]:
    """(the largest gain swing inside a phrase, the largest limiter cut) in dB, from the
    per-frame gains and levels of each turn: the swing is what the gain does beyond a word's
    own ripple (5-frame medians, 3rd to 97th percentile); the cut is how far a turn's peaks
    (its frames within 6 dB of its loudest) were turned down below the turn's median gain.
    Quiet frames are not peaks: a word onset's low rumble, taken by the high-pass, is not
    the limiter's doing."""
    import numpy as np

    swing, limited = 0.0, 0.0
    for turn, levels in gains:
        smooth = np.array([np.median(turn[i : i + 5]) for i in range(max(1, turn.size - 4))])
        swing = max(swing, float(np.percentile(smooth, 97) - np.percentile(smooth, 3)))
        peaks = turn[levels >= levels.max() - 6]
        limited = max(limited, float(np.median(turn) - peaks.min()))
    return swing, limited


def _renders(show: Path) -> int:
    """How many full renders the build's MP3 took (its render record in the show's cache;
    0 where none was made)."""
    for record in (show / ".cache" / "podcast" / "render").glob("*.json"):
        renditions = json.loads(record.read_text(encoding="utf-8")).get("renditions", {})
        if "podcast.mp3" in renditions:
            return int(renditions["podcast.mp3"]["attempts"])
    return 0


def corpus_row(folder: Path, recording: Any, stoi_too: bool, compare: bool) -> dict[str, Any]:
    """Build one corpus recording and measure it before and after (and, with `compare`, what
    ffmpeg-normalize and plain loudnorm make of it)."""
    from tests.field import episode_recordings
    from tests.field import measure as measure_field
    from tests.helpers import built_file

    spec = recording.spec
    # A split recording is built from its parts (the first with its in-point after the set-up
    # chatter); the whole recording in one file is what is measured before and compared.
    parts = recording.parts or [(recording.path, None)]
    show = one_episode_show(
        folder,
        SHOW,
        CORPUS_EPISODE.format(recordings=episode_recordings(recording)),
        parts[0][0],
        "01-field",
        parts[0][0].name,
    )
    for path, _ in parts[1:]:
        os.link(path, show / "episodes" / "01-field" / path.name)
    started = time.perf_counter()
    done = subprocess.run(build_command(show, folder / "site"), capture_output=True, text=True)
    errors = [line for line in done.stderr.splitlines() if not line.startswith("warning:")]
    row: dict[str, Any] = {
        "name": spec.name,
        "seconds": time.perf_counter() - started,
        "failed": done.returncode != 0,
        "message": errors[-1] if errors else "",
        "warnings": [line for line in done.stderr.splitlines() if "episodes/" in line],
    }
    row["renders"] = float(_renders(show))
    before = measure_field(recording.path, recording)
    row["gap_before"] = before["gap"]
    others: dict[str, Path] = {}
    if compare:
        others["ffmpeg-normalize"] = folder / "normalized.mp3"
        normalize = shutil.which("ffmpeg-normalize") or str(
            Path(sys.executable).parent / "ffmpeg-normalize"
        )
        subprocess.run(
            [
                normalize,
                str(recording.path),
                *EBU,
                "-f",
                *MP3,
                "-o",
                str(others["ffmpeg-normalize"]),
            ],
            check=True,
            capture_output=True,
        )
        others["loudnorm"] = folder / "loudnorm.mp3"
        subprocess.run(
            ffmpeg(
                "-i",
                str(recording.path),
                "-af",
                "loudnorm=I=-16:TP=-1",
                "-ar",
                "48000",
                *MP3,
                str(others["loudnorm"]),
            ),
            check=True,
        )
    for name, path in others.items():
        row[name] = measured_output(path, recording, before, stoi_too)
    if not row["failed"]:
        row.update(
            measured_output(
                built_file(folder / "site", "audio/01-field.mp3"), recording, before, stoi_too
            )
        )
    return row


def _quietest_frames_db(samples: Any, turns: list[tuple[int, float, float]]) -> float:
    """The level (dB) of the quietest tenth of the 20 ms frames inside the turns: the noise
    under speech of a recording whose pauses are digital silence."""
    import numpy as np

    size = RATE // 50
    levels = []
    for _, start, end in turns:
        piece = samples[int(start * RATE) : int(end * RATE)]
        count = piece.size // size
        frames = piece[: count * size].reshape(count, size)
        levels.append(10 * np.log10(np.mean(frames**2, axis=1) + 1e-20))
    return float(np.percentile(np.concatenate(levels), 10))


def measured_output(
    path: Path, recording: Any, before: dict[str, float], stoi_too: bool
) -> dict[str, float]:
    """The corpus measures of one processed file (see run_corpus)."""
    import numpy as np

    from tests.field import decoded, frame_gains, onset_losses
    from tests.field import measure as measure_field

    spec = recording.spec
    after = measure_field(path, recording)
    integrated, peak = ebur128(path)
    # The noise bed only where the recording has one to measure (above the coding noise).
    keys = [f"bed{v}" for v in range(spec.voices)] + ["bed_pauses"]
    if spec.gated:  # its pauses are digital silence: the bed is the voices' only
        keys = keys[:-1]
    measurable = [k for k in keys if before[k] > -85 and np.isfinite(after[k])]
    beds = [after[k] for k in measurable]
    # The corpus' noise is the same everywhere: what the band holds under a voice beyond the
    # pauses' level before processing is not room noise but the voice's own (a hot recorder's
    # clipping products, an MP3 source's coding noise). The swing is therefore taken over what
    # the processing did to each region (after minus before); the raw swing is kept beside it.
    changes = [after[k] - before[k] for k in measurable]
    hum_keys = [k for k in after if k.startswith("hum")]
    raw, heard = decoded(recording.path, recording.duration), decoded(path, recording.duration)
    pauses = recording.pauses()  # (a reverberant voice's tail included)
    noise_db = rms_db(cut(raw, pauses)) if pauses else float("nan")
    if not np.isfinite(noise_db):  # no pause between the turns: the noise of the lead-in
        noise_db = rms_db(raw[int(0.05 * RATE) : int(0.5 * RATE)])
    if spec.gated:  # digital silence in the pauses: the noise is under the turns only
        noise_db = _quietest_frames_db(raw, recording.turns)
    spans = [(a + 0.05, b - 0.05) for _, a, b in recording.turns]
    swing, limited = _spread(frame_gains(raw, heard, spans, noise_db))
    clean = recording.clean
    onsets = onset_losses(raw, heard, clean, [(a, b) for _, a, b in recording.turns])
    row = {
        "gap": after["gap"],
        "bed_swing": (max(changes) - min(changes)) if len(beds) == len(keys) else float("nan"),
        "bed_swing_raw": (max(beds) - min(beds)) if len(beds) == len(keys) else float("nan"),
        # (a gated recorder's pauses are digital silence: nothing there to drop)
        "pause_drop": float("nan") if spec.gated else before["pauses"] - after["pauses"],
        "hum": max((after[k] - before[k] for k in hum_keys), default=float("nan")),
        "phrase_swing": swing,
        "limiter": limited,
        "onset_loss": max(onsets, default=float("nan")),
        # the room at the turns' starts against the rest of the turns, as the processing
        # changed each (the MP3's coding noise under a voice is in both)
        "onset_bed": (after["bed_onsets"] - before["bed_onsets"])
        - (after["bed_turns"] - before["bed_turns"])
        if len(beds) == len(keys) and min(before["bed_onsets"], before["bed_turns"]) > -85
        else float("nan"),
        "lufs_error": integrated + 16.0,
        "dbtp": peak,
    }
    if stoi_too:
        from pystoi import stoi

        clean = recording.clean[: heard.size]
        row["stoi_delta"] = float(
            stoi(clean, heard[: clean.size], RATE) - stoi(clean, raw[: clean.size], RATE)
        )
    return row


def run_corpus(
    count: int,
    only: str | None,
    stoi_too: bool,
    keep: Path | None,
    compare: bool,
    speed_minutes: float = 0.0,
) -> None:
    """Build every recording of the corpus and print the table and the summary line."""
    import math
    import statistics

    from tests.field import corpus, make_field

    rows = []
    with tempfile.TemporaryDirectory(prefix="podcast-field-") as tmp:
        base = keep or Path(tmp)
        for spec in corpus(count):
            if only and only not in spec.name:
                continue
            folder = base / spec.name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            recording = make_field(folder, spec)
            row = corpus_row(folder, recording, stoi_too, compare)
            rows.append(row)
            shown = {
                k: (round(v, 2) if isinstance(v, float) else v)
                for k, v in row.items()
                if k not in ("warnings", "ffmpeg-normalize", "loudnorm")
            }
            print(shown, file=sys.stderr, flush=True)
            for warning in row.get("warnings", []):
                print(f"    {warning}", file=sys.stderr)
    built = [r for r in rows if not r["failed"]]

    def column(key: str, absolute: bool = False, who: str = "") -> list[float]:
        values = [(r[who] if who else r).get(key, math.nan) for r in (rows if who else built)]
        values = [abs(v) if absolute else v for v in values if isinstance(v, float)]
        return [v for v in values if math.isfinite(v)]

    print(f"\n{len(rows)} field recordings, {len(built)} built\n")
    contenders = ["ffmpeg-normalize", "loudnorm"] if compare else []
    heads = "".join(f" {c} worst | {c} median |" for c in contenders)
    print(f"| measure | worst | median | target |{heads}")
    print("|---|---:|---:|---|" + "---:|---:|" * len(contenders))
    measures = [
        ("speaker gap before, LU", "gap_before", max, False, ""),
        ("speaker gap after, LU", "gap", max, True, "<= 1.5"),
        ("noise-bed swing, dB", "bed_swing", max, False, "<= 4"),
        ("noise-bed swing, raw, dB", "bed_swing_raw", max, False, ""),
        ("pause drop, dB", "pause_drop", min, False, ">= 0"),
        ("hum line change, dB", "hum", max, False, "<= 0"),
        ("limiter cut, dB", "limiter", max, False, "<= 3"),
        ("gain swing in a phrase, dB", "phrase_swing", max, False, "<= 2"),
        ("onset loss, dB", "onset_loss", max, False, "<= 1"),
        ("noise bed at turn starts, dB", "onset_bed", max, False, "<= 4"),
        ("loudness error, LU", "lufs_error", max, True, "<= 0.2"),
        ("true peak, dBTP", "dbtp", max, False, "<= -1"),
        ("STOI change", "stoi_delta", min, False, ">= 0"),
        ("full renders of the MP3", "renders", max, False, "1"),
    ]
    worst: dict[str, float] = {}
    for label, key, pick, absolute, target in measures:
        values = column(key, absolute)
        if not values:
            print(f"| {label} | n/a | n/a | {target} |")
            worst[key] = math.nan
            continue
        worst[key] = pick(values)
        line = f"| {label} | {worst[key]:.2f} | {statistics.median(values):.2f} | {target} |"
        for contender in contenders:
            theirs = (
                column(key, absolute, contender) if key not in ("gap_before", "renders") else []
            )
            line += f" {pick(theirs):.2f} | {statistics.median(theirs):.2f} |" if theirs else " | |"
        print(line)
    failures = [r for r in rows if r["failed"]]
    print(f"| build failures | {len(failures)} | | 0 |" + " | |" * len(contenders))
    for row in failures:
        print(f"  {row['name']}: {row['message']}", file=sys.stderr)
    ratio_floor = math.nan
    if speed_minutes > 0:
        with tempfile.TemporaryDirectory(prefix="podcast-speed-") as tmp:
            ratio_floor = print_speed(Path(tmp), speed_minutes, rounds=6)
    print(
        f"\nrecordings={len(rows)} failures={len(failures)} "
        f"worst_gap_lu={worst['gap']:.2f} worst_bed_swing_db={worst['bed_swing']:.2f} "
        f"worst_limiter_db={worst['limiter']:.2f} "
        f"worst_phrase_swing_db={worst['phrase_swing']:.2f} worst_hum_db={worst['hum']:.2f} "
        f"stoi_delta={worst['stoi_delta']:.3f} ratio_floor={ratio_floor:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="exchanges of host and guest")
    parser.add_argument("--speed-minutes", type=float, default=0, help="0: skip the speed run")
    parser.add_argument("--interview", action="store_true", help="the one interview, compared")
    parser.add_argument("--recordings", type=int, default=29, help="corpus size")
    parser.add_argument("--only", help="only the corpus recordings whose name holds this")
    parser.add_argument("--no-stoi", action="store_true", help="skip STOI (pystoi)")
    parser.add_argument("--keep", type=Path, help="build the corpus in this folder, kept")
    parser.add_argument(
        "--compare", action="store_true", help="ffmpeg-normalize and loudnorm on the corpus too"
    )
    args = parser.parse_args()
    if not args.interview:
        run_corpus(
            args.recordings,
            args.only,
            not args.no_stoi,
            args.keep,
            args.compare,
            args.speed_minutes,
        )
        return
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
            if name == "ours":  # the published name carries its content's version
                from tests.helpers import built_file

                output = built_file(folder / "site", "audio/01-interview.mp3")
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
            ratio_floor = print_speed(folder / "long", args.speed_minutes, args.rounds)
        print(
            f"\nspeaker_gap_lu={abs(ours['gap']):.2f} "
            f"noise_drop_db={raw['noise'] - ours['noise']:.1f} hum_drop_db={hum_drop:.1f} "
            f"stoi={ours['stoi']:.3f} stoi_unprocessed={raw['stoi']:.3f} "
            f"ratio_floor={ratio_floor:.2f}"
        )


if __name__ == "__main__":
    main()
