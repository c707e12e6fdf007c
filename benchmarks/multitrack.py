"""Multitrack interview benchmark: a microphone per person, against a plain sum of the tracks.

    .venv/bin/python benchmarks/multitrack.py --rounds 8

Synthesises two espeak-ng voices (tests/test_multitrack.py: each on its own track with the
other as bleed at -15 dB and 3 ms later, the guest speaking 9 dB quieter, the guest's recorder
set 12 dB lower (--recorder-db) and started 1.234 s late, its clock 100 ppm slow: --drift-ppm)
and builds a one-episode show of the two tracks. Side by side with the tracks simply summed at
the right offset (what a plain amix gives), it prints, measured on the decoded MP3s and stems
with numpy and ffmpeg's ebur128, never with podcast's own code:
  align_ms        how far the guest's voice sits from where it belongs (ms; the worse of the
                  first and the last third)
  bleed_drop_db   how much lower each microphone's bleed of the other person is, relative to
                  that microphone's own voice, in its stem (`podcast build --stems`: the
                  processed track as the mix has it) than as recorded (the smaller of the two;
                  the per-microphone bleed in the mix, fitted, is printed beside it)
  speaker_gap_lu  the two speakers' loudness difference in our MP3 (LU)
  onset_loss_db   the most the first 50 ms of a phrase lost against its phrase, compared with
                  the plain sum (clipped word onsets)
  ratio_single    the two-track build's time over a one-track build of the same length
A second case builds three persons and a music bed (tests/test_multitrack.py `make_three`: the
host; a guest whose recorder is 8 dB lower, 44.1 kHz stereo and started 0.6 s late; a phone line,
300 Hz to 3.4 kHz at 8 kHz, noisy, started 2.9 s late with its `offset_s` given; each microphone
hearing the others at -15 dB, 3 to 6 ms later) and prints the same numbers for it (the bleed
drop: the smallest over every microphone and every other person; the onset loss against each
clean voice). With --minutes M, two tracks M minutes long (the guest's clock --drift-ppm slow)
are aligned by podcast's `align` (not built) and the error at either end is printed: an hour's
drift claim, measured without building an hour. With --build-minutes M, M minutes of two such
tracks are built, and one track of their sum, each --build-repeats times by turns, and
ratio_single is that of the fastest of each (the issue's target is for an hour: --build-minutes
60; a short build's ratio is mostly fixed costs).
The last line is `align_ms=… bleed_drop_db=… speaker_gap_lu=… onset_loss_db=… ratio_single=…`,
the worst over the cases (ratio_single: the two tracks' build only).
The plain sum is made before the drift (as if a plain amix had been given the right offset and
no drift). Not built: the hour-long case (only aligned).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import show_toml

from tests.helpers import ebur128
from tests.interview import decode as decode_mono
from tests.test_multitrack import (
    BLEED_DELAY_S,
    LATE_S,
    RATE,
    THREE,
    Samples,
    ThreeTracks,
    Tracks,
    alignment_error_ms,
    lag_of,
    long_interview,
    make_three,
    make_tracks,
    stem_bleeds,
    track_lines,
    voice_of,
)

SHOW = show_toml(
    "Spuren",
    "A synthetic show for the multitrack benchmark.",
    "https://example.org/spuren/",
    '[audio]\nbroadcast = false\ntrim_silence = false\n\n[[hosts]]\nname = "Host"\n'
    'role = "host"\n\n[[hosts]]\nname = "Guest"\nrole = "guest"\n',
)
EPISODE = """---
title: Interview
number: 1
date: 2026-01-01T10:00:00+01:00
summary: A multitrack interview.
guid: "urn:uuid:00000000-0000-4000-8000-000000000029"
{persons}recordings:
{recording}
---
Notes.
"""
TRACKS = (
    "  - tracks:\n      - {file: host.wav, person: Host}\n      - {file: guest.wav, person: Guest}"
)
SINGLE = "  - file: sum.wav"
# Three persons: the guest's recorder 44.1 kHz stereo and 0.6 s late (measured), a phone line
# (300 Hz to 3.4 kHz, 8 kHz, noisy, 2.9 s late: its offset given) and a music bed.
THREE_TRACKS = "  - tracks:\n" + track_lines(
    {"file": "host.flac", "person": f'"{THREE[0]}"'},
    {"file": "anna.wav", "person": f'"{THREE[1]}"'},
    {"file": "tom.wav", "person": f'"{THREE[2]}"', "role": "phone", "offset_s": "2.9"},
    {"file": "bed.wav", "role": "music", "offset_s": "0"},
)
THREE_PERSONS = "persons:\n" + "".join(f"  - {{name: {name}, role: guest}}\n" for name in THREE)


def show_of(folder: Path, recording: str, files: dict[str, Path], persons: str = "") -> Path:
    from PIL import Image

    show = folder / "show"
    episode = show / "episodes" / "01-interview"
    episode.mkdir(parents=True)
    (show / "podcast.toml").write_text(SHOW)
    (episode / "episode.md").write_text(EPISODE.format(recording=recording, persons=persons))
    for name, path in files.items():
        (episode / name).hardlink_to(path)
    Image.new("RGB", (1400, 1400), (20, 60, 90)).save(show / "cover.jpg", "JPEG")
    return show


def build(show: Path, *extra: str) -> tuple[float, Path]:
    started = time.perf_counter()
    subprocess.run(
        [
            *(sys.executable, "-m", "podcast", "-q", "build", str(show)),
            *("--out", str(show / "site"), *extra),
        ],
        check=True,
    )
    return time.perf_counter() - started, next((show / "site" / "audio").glob("01-*.mp3"))


def track_bleed(
    track: Samples, turns: list[tuple[str, float, float]], own: str, at: float
) -> float:
    """A microphone's level where only the other person speaks, relative to where its own
    person speaks (dB; power means over the turns, 0.1 s in from each end); `at`: where the
    host track's time 0 lies in `track`."""

    def level(who: str) -> float:
        power = []
        for speaker, start, end in turns:
            if speaker == who:
                a, b = round((at + start + 0.1) * RATE), round((at + end - 0.1) * RATE)
                power.append(track[max(0, a) : max(0, b)] ** 2)
        return float(10 * np.log10(np.mean(np.concatenate(power)) + 1e-20))

    other = "guest" if own == "host" else "host"
    return level(other) - level(own)


def plain_sum(tracks: Tracks, folder: Path) -> Path:
    """The two tracks summed at the right offset, as a 24-bit WAV."""
    host, guest = decode_mono(tracks.host), decode_mono(tracks.guest)
    late = round(LATE_S * RATE)
    mix = host.copy()
    mix[late : late + guest.size] += guest[: mix.size - late]
    path = folder / "sum.wav"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "f64le", "-ar", str(RATE), "-ac", "1", "-i"),
            *("-", "-c:a", "pcm_s24le", str(path)),
        ],
        input=mix.astype("<f8").tobytes(),
        check=True,
    )
    return path


def fit(mix: Samples, at: float, clean: Samples, spans: list[tuple[float, float]]) -> float:
    """20 log10 of b/a in mix ≈ a·clean + b·(clean 3 ms later) over `spans`: the bleed of
    that voice through the other microphone, relative to the voice itself (dB). What the
    processing's filters and gain changes leave unexplained puts a floor under it (about
    -28 dB here), so a bleed lowered further reads as that floor."""
    delay, offset = round(BLEED_DELAY_S * RATE), round(at * RATE)
    target, now, late = [], [], []
    for start, end in spans:
        a, b = int(start * RATE), int(end * RATE)
        target.append(mix[offset + a : offset + b])
        now.append(clean[a:b])
        late.append(clean[a - delay : b - delay])
    basis = np.stack([np.concatenate(now), np.concatenate(late)])
    (direct, bleed), *_ = np.linalg.lstsq(basis.T, np.concatenate(target), rcond=None)
    return float(20 * np.log10(abs(bleed) / abs(direct)))


def with_drift(tracks: Tracks, ppm: float) -> None:
    """Rewrite the guest's track as a recorder whose clock runs `ppm` slow would have made it."""
    if ppm == 0:
        return
    drift = ppm * 1e-6
    microphone = np.concatenate([np.zeros(round(LATE_S * RATE)), decode_mono(tracks.guest)])
    times = np.arange(int((microphone.size / RATE * (1 - drift) - LATE_S) * RATE)) / RATE
    slow = np.interp((times + LATE_S) / (1 - drift) * RATE, np.arange(microphone.size), microphone)
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "f64le", "-ar", str(RATE), "-ac", "1", "-i"),
            *("-", "-c:a", "pcm_s24le", str(tracks.guest)),
        ],
        input=slow.astype("<f8").tobytes(),
        check=True,
    )


def misplaced_ms(mix: Samples, voices: dict[str, Samples], at: float, part: slice) -> float:
    """How far (ms) the guest's voice in `part` of the recording sits from where it belongs."""
    guest = np.zeros_like(voices["guest"])
    guest[part] = voices["guest"][part]
    return abs(lag_of(mix, guest, near=at) - at) * 1000


def measure(path: Path, tracks: Tracks, voices: dict[str, Samples]) -> dict[str, float]:
    mix = decode_mono(path)
    at = {who: lag_of(mix, voice) for who, voice in voices.items()}
    third = voices["guest"].size // 3
    ends = [slice(0, third), slice(2 * third, None)]
    align_ms = max(misplaced_ms(mix, voices, at["host"], part) for part in ends)
    spans = {who: [(a, b) for w, a, b in tracks.turns if w == who] for who in voices}
    levels = {
        who: [ebur128(path, at["host"] + a + 0.1, at["host"] + b - 0.1)[0] for a, b in spans[who]]
        for who in voices
    }

    def mean(values: list[float]) -> float:
        return float(10 * np.log10(np.mean([10 ** (v / 10) for v in values])))

    loud = {who: mean(values) for who, values in levels.items()}
    onsets = []
    for _, start, end in tracks.turns:
        a = round((at["host"] + start) * RATE)
        head = mix[a : a + RATE // 20]
        whole = mix[a : round((at["host"] + end) * RATE)]
        onsets.append(10 * np.log10(np.mean(head**2) / np.mean(whole**2)))
    # The bleed of a voice through the other microphone, relative to that microphone's voice.
    host_bleed = fit(mix, at["host"], voices["host"], spans["host"])
    guest_bleed = fit(mix, at["host"], voices["guest"], spans["guest"])
    return {
        "align_ms": align_ms,
        "gap": loud["host"] - loud["guest"],
        "bleed_in_guest_mic": host_bleed - (loud["guest"] - loud["host"]),
        "bleed_in_host_mic": guest_bleed - (loud["host"] - loud["guest"]),
        "onsets": np.array(onsets),  # type: ignore[dict-item]
    }


def power_mean(values: list[float]) -> float:
    """The power mean (dB) of levels in dB."""
    return float(10 * np.log10(np.mean([10 ** (v / 10) for v in values])))


def onset_db(samples: Samples, first: int, last: int) -> float:
    """A phrase's first 50 ms against the whole phrase (dB)."""
    head = samples[first : first + RATE // 20]
    return float(10 * np.log10(np.mean(head**2) / np.mean(samples[first:last] ** 2)))


def three_case(folder: Path) -> dict[str, float]:
    """Three persons and a music bed (`make_three`: a phone line with its offset given, a
    resampled stereo guest started late), built with stems and measured like the two."""
    (folder / "tracks").mkdir(parents=True)
    made: ThreeTracks = make_three(folder / "tracks")
    files = {name: made.folder / name for name in ("host.flac", "anna.wav", "tom.wav", "bed.wav")}
    show = show_of(folder, THREE_TRACKS, files, THREE_PERSONS)
    seconds, mp3 = build(show)
    stems = folder / "stems"
    build(show, "--stems", str(stems))

    drops = []
    bleeds = stem_bleeds(made, lambda mic: next(stems.glob(f"01-*/{mic + 1:02d}-*.wav")))
    for (mic, other), (before, after) in bleeds.items():
        print(
            f"  {THREE[mic]}'s microphone, bleed of {THREE[other]}: {before:.1f} dB "
            f"recorded, {after:.1f} dB in its stem"
        )
        drops.append(before - after)
    mix = decode_mono(mp3)
    at = [lag_of(mix, made.clean[who]) for who in range(len(THREE))]
    loud = [
        power_mean(
            [
                ebur128(mp3, at[0] + a + 0.1, at[0] + b - 0.1)[0]
                for w, a, b in made.turns
                if w == who
            ]
        )
        for who in range(len(THREE))
    ]
    print(
        "  in the mix: " + ", ".join(f"{n} {v:.2f} LUFS" for n, v in zip(THREE, loud, strict=True))
    )
    losses = []
    for who, start, end in made.turns:
        a, b = round(start * RATE), round(end * RATE)
        offset = round(at[0] * RATE)
        losses.append(onset_db(made.clean[who], a, b) - onset_db(mix, offset + a, offset + b))
    return {
        "align_ms": max(abs(t - at[0]) * 1000 for t in at[1:]),
        "bleed_drop_db": min(drops),
        "speaker_gap_lu": max(loud) - min(loud),
        "onset_loss_db": max(losses),
        "seconds": seconds,
        "duration": made.clean.shape[1] / RATE,
    }


def drift_case(folder: Path, minutes: float, ppm: float) -> float:
    """Two microphones `minutes` long (tests/test_multitrack.py `long_interview`: the test's
    phrases over and over, the guest's recorder 1.234 s late with its clock `ppm` slow),
    aligned by podcast's `align` (not built: an hour's premix holds gigabytes): the
    alignment's error (ms) at 5 s from either end, the worse."""
    from podcast.audio.multitrack import align

    host, slow = long_interview(folder, minutes, ppm)
    started = time.perf_counter()
    found = align(host, slow)
    print(
        f"  aligned {minutes:g} minutes in {time.perf_counter() - started:.1f} s: offset "
        f"{found.offset_s:.6f} s, drift {found.drift * 1e6:.2f} ppm ({found.windows} windows)"
    )
    return alignment_error_ms(found, ppm, host.size / RATE)


def long_builds(folder: Path, minutes: float, ppm: float, repeats: int) -> tuple[float, float]:
    """Build times (s) of `minutes` of two tracks (`long_interview`: the guest's recorder
    1.234 s late, its clock `ppm` slow) and of one track of the same length (their sum): the
    fastest of `repeats` builds of each, made by turns, each from an empty cache (on a shared
    machine a build's time varied by 10 s from one run to the next; nothing makes one
    faster than its work allows)."""
    host, slow = long_interview(folder / "voices", minutes, ppm)

    def write(path: Path, samples: npt.NDArray[np.float32]) -> Path:
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1"),
                *("-i", "-", "-c:a", "pcm_s24le", str(path)),
            ],
            input=samples.astype("<f4").tobytes(),
            check=True,
        )
        return path

    files = {"host.wav": write(folder / "host.wav", host)}
    files["guest.wav"] = write(folder / "guest.wav", slow)
    late = round(LATE_S * RATE)
    count = min(host.size - late, slow.size)
    host[late : late + count] += slow[:count]  # the sum, without the drift's correction
    summed = write(folder / "sum.wav", host)
    del host, slow
    single, two = [], []
    for turn in range(repeats):
        single_show = show_of(folder / f"single{turn}", SINGLE, {"sum.wav": summed})
        single.append(build(single_show)[0])
        shutil.rmtree(single_show.parent)  # (its cache and MP3: a gigabyte)
        two_show = show_of(folder / f"ours{turn}", TRACKS, files)
        two.append(build(two_show)[0])
        shutil.rmtree(two_show.parent)
        print(f"  builds {turn + 1}: two tracks {two[-1]:.1f} s, one track {single[-1]:.1f} s")
    return min(two), min(single)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="4 phrases each (about 20 s)")
    parser.add_argument("--drift-ppm", type=float, default=100.0, help="the guest's clock")
    parser.add_argument(
        "--recorder-db", type=float, default=-12.0, help="the guest's recorder's gain"
    )
    parser.add_argument(
        "--minutes",
        type=float,
        default=0.0,
        help="also align two tracks this long (the guest's clock --drift-ppm slow; 60: an hour)",
    )
    parser.add_argument(
        "--build-minutes",
        type=float,
        default=0.0,
        help="also build two tracks this long and one track of their sum; ratio_single is "
        "then theirs (60: the issue's hour, about 3 minutes and 4 GB)",
    )
    parser.add_argument(
        "--build-repeats",
        type=int,
        default=3,
        help="builds of each for --build-minutes, by turns; the fastest of each is taken",
    )
    arguments = parser.parse_args()
    rounds = arguments.rounds
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        tracks = make_tracks(folder, rounds=rounds, recorder_db=arguments.recorder_db)
        voices = {"host": voice_of(tracks, "host"), "guest": voice_of(tracks, "guest")}
        summed = plain_sum(tracks, folder)  # at the right offset, without the drift
        with_drift(tracks, arguments.drift_ppm)
        files = {"host.wav": tracks.host, "guest.wav": tracks.guest}
        ours_show = show_of(folder / "ours", TRACKS, files)
        ours_s, ours = build(ours_show)
        # The bleed in each microphone before (the recorded tracks) and after the crossgate
        # (the stems: each processed track as the mix has it), made by a second build.
        stems = folder / "stems"
        build(ours_show, "--stems", str(stems))
        host_stem, guest_stem = sorted((stems / "01-interview").glob("*.wav"))
        recorded = {
            "host": track_bleed(decode_mono(tracks.host), tracks.turns, "host", 0.0),
            "guest": track_bleed(decode_mono(tracks.guest), tracks.turns, "guest", -LATE_S),
        }
        processed = {
            "host": track_bleed(decode_mono(host_stem), tracks.turns, "host", 0.0),
            "guest": track_bleed(decode_mono(guest_stem), tracks.turns, "guest", 0.0),
        }
        for who in ("host", "guest"):
            print(
                f"bleed in the {who}'s microphone: {recorded[who]:.1f} dB recorded, "
                f"{processed[who]:.1f} dB in its stem"
            )
        single_s, single = build(show_of(folder / "single", SINGLE, {"sum.wav": summed}))
        plain_path = folder / "plain.mp3"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(summed), "-b:a", "128k", str(plain_path)],
            check=True,
        )
        print(f"{tracks.duration:.1f} s, {len(tracks.turns)} phrases")
        found = {}
        for name, path in (
            ("plain sum", plain_path),
            ("single-track build", single),
            ("ours", ours),
        ):
            found[name] = measure(path, tracks, voices)
            m = found[name]
            print(
                f"{name:20} align {m['align_ms']:.3f} ms, speaker gap {m['gap']:+.2f} LU, bleed "
                f"in guest mic {m['bleed_in_guest_mic']:.1f} dB, in host mic "
                f"{m['bleed_in_host_mic']:.1f} dB"
            )
        ours_m, plain_m = found["ours"], found["plain sum"]
        drop = min(recorded[who] - processed[who] for who in ("host", "guest"))
        onset_loss = float(np.max(plain_m["onsets"] - ours_m["onsets"]))
        print(f"build: two tracks {ours_s:.1f} s, one track {single_s:.1f} s")
        cases = {
            "two tracks": {
                "align_ms": ours_m["align_ms"],
                "bleed_drop_db": drop,
                "speaker_gap_lu": abs(ours_m["gap"]),
                "onset_loss_db": onset_loss,
            }
        }
        print("three persons (a guest's recorder, a phone line with its offset given), a bed:")
        three = three_case(folder / "three")
        print(f"  {three['duration']:.1f} s, built in {three.pop('seconds'):.1f} s")
        del three["duration"]
        cases["three tracks"] = three
        if arguments.minutes:
            error = drift_case(folder / "drift", arguments.minutes, arguments.drift_ppm)
            print(
                f"{arguments.minutes:g} minutes, the guest's clock {arguments.drift_ppm:g} ppm "
                f"slow: aligned within {error:.3f} ms at both ends"
            )
            cases["drift"] = {"align_ms": error}
        ratio = ours_s / single_s
        if arguments.build_minutes:
            two_s, one_s = long_builds(
                folder / "long",
                arguments.build_minutes,
                arguments.drift_ppm,
                max(1, arguments.build_repeats),
            )
            print(
                f"{arguments.build_minutes:g} minutes built: two tracks {two_s:.1f} s, one "
                f"track {one_s:.1f} s ({two_s / one_s:.2f}x; the short build's: {ratio:.2f}x)"
            )
            ratio = two_s / one_s
        for name, numbers in cases.items():
            print(f"{name:12} " + " ".join(f"{k}={v:.2f}" for k, v in numbers.items()))

        def worst(key: str, pick: Callable[[Iterable[float]], float]) -> float:
            return pick(numbers[key] for numbers in cases.values() if key in numbers)

        # The worst over the cases (ratio_single: the two tracks' build only).
        print(
            f"align_ms={worst('align_ms', max):.3f} "
            f"bleed_drop_db={worst('bleed_drop_db', min):.1f} "
            f"speaker_gap_lu={worst('speaker_gap_lu', max):.2f} "
            f"onset_loss_db={worst('onset_loss_db', max):.2f} "
            f"ratio_single={ratio:.2f}"
        )


if __name__ == "__main__":
    main()
