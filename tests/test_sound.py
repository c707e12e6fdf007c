"""Interview sound on short synthesised interviews: a quiet speaker is raised, pauses get
quieter, hum is removed where present and nothing is touched where it is absent, music in an
intro keeps its dynamics. Measured on the published MP3 with ffmpeg's ebur128 and numpy
spectra (tests/interview.py), not with podcast's own analysis."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from podcast.build import build

from .helpers import built_file, ebur128, run_cli
from .interview import (
    RATE,
    Interview,
    cut,
    decode,
    hum_levels,
    make_interview,
    rms_db,
    speaker_loudness,
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="no espeak-ng: install Debian's espeak-ng package"
)

SHOW = """title = "Klangprobe"
description = "Interviews, wie sie aufgenommen wurden."
author = "Redaktion"
language = "de"
base_url = "https://podcast.radio-sued.de/klang/"
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
"""

EPISODE = """---
title: Gespräch
number: 1
date: 2026-09-10T18:00:00+02:00
summary: Ein Gespräch im Rathaus.
recordings:
  - file: interview.wav
{extra}---
Notizen.
"""


def make_show(folder: Path, audio: str = "", recording: str = "") -> Path:
    from PIL import Image

    (folder / "episodes/01-gespraech").mkdir(parents=True)
    (folder / "podcast.toml").write_text(SHOW + audio)
    Image.new("RGB", (1400, 1400), (30, 60, 90)).save(folder / "cover.jpg")
    (folder / "episodes/01-gespraech/episode.md").write_text(EPISODE.format(extra=recording))
    return folder / "episodes/01-gespraech"


def measured(samples: np.ndarray, interview: Interview) -> dict[str, float]:
    speech = rms_db(cut(samples, [(a, b) for _, a, b in interview.turns]))
    hum = hum_levels(samples, interview)
    return {
        "gap": speaker_loudness(samples, interview, "host")
        - speaker_loudness(samples, interview, "guest"),
        "pauses": rms_db(cut(samples, interview.pauses())) - speech,
        **{f"hum{line}": level - speech for line, level in hum.items()},
    }


@pytest.mark.smoke
def test_a_field_interview_is_leveled_its_pauses_quieter_and_its_hum_removed(
    tmp_path: Path,
) -> None:
    folder = make_show(tmp_path / "show")
    interview = make_interview(folder, rounds=2)
    report = build(tmp_path / "show")
    mp3 = built_file(report.out, "audio/01-gespraech.mp3")
    heard = decode(mp3)[: int(interview.duration * RATE)]
    before, after = measured(decode(interview.path), interview), measured(heard, interview)
    assert before["gap"] > 12  # the guest across the table, as recorded
    assert abs(after["gap"]) <= 1.5, after
    # Pauses are lowered only as far as keeps the noise bed steady (tests/test_field_sound.py).
    assert after["pauses"] <= before["pauses"], (before, after)
    for line in (50, 100, 150):
        assert after[f"hum{line}"] <= before[f"hum{line}"] - 20, (line, before, after)
    integrated, peak = ebur128(mp3)
    assert abs(integrated + 16) <= 0.5 and peak <= -1.0
    # The editor is told what was done, and `podcast info` finds the same in the recording.
    said = run_cli("build", str(tmp_path / "show"), "--out", str(tmp_path / "again"))
    line = re.search(
        r"interview\.wav: noise floor -(\d+) -> -(\d+) dB below speech "
        r"\(under raised speech up to (?:\d+) dB less noise\), "
        r"speaker gap ([\d.]+) -> ([\d.]+) LU, 50 Hz hum .*removed",
        said.stdout,
    )
    assert line, said.stdout + said.stderr
    assert int(line[2]) >= int(line[1]) and float(line[3]) > 10 > 2 > float(line[4])
    info = run_cli("info", str(interview.path))
    assert "sound:       noise floor" in info.stdout and "50 Hz hum" in info.stdout


def test_what_needs_nothing_is_left_alone(tmp_path: Path) -> None:
    """No hum: no notch. Music in the intro: its dynamics stay. A recording that opts out of
    leveling keeps its speakers' difference."""
    folder = make_show(
        tmp_path / "show",
        audio='intro = "intro.wav"\ncrossfade_s = 0.2\n',
        recording="    level_speech: false\n",
    )
    interview = make_interview(folder, rounds=2, hum_dbfs=None, plosives=False, seed=3)
    # A chord, loud for two seconds and 12 dB quieter for two more.
    chord = "+".join(f"0.2*sin(2*PI*{f}*t)" for f in (220, 277.18, 329.63))
    source = f"aevalsrc=exprs='({chord})*if(lt(t\\,2)\\,1\\,0.2512)':s=48000:d=4"
    intro = tmp_path / "show/intro.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, "-ac", "2", str(intro)])
    report = build(tmp_path / "show")
    mp3 = built_file(report.out, "audio/01-gespraech.mp3")
    loud, quiet = ebur128(mp3, 0.3, 1.7)[0], ebur128(mp3, 2.3, 3.5)[0]
    assert 11.5 <= loud - quiet <= 12.5  # the intro's own dynamics, untouched
    published = decode(mp3)
    start = 4 - 0.2  # the recording follows the intro, crossfaded
    recording = published[int(start * RATE) : int((start + interview.duration) * RATE)]
    assert measured(recording, interview)["gap"] > 10  # opted out of leveling
    # Without hum, no notch: around 50, 100 and 150 Hz the spectrum stays smooth (averaged
    # over one-second windows; a notch would cut 20 dB and more out of the middle).
    windows = np.lib.stride_tricks.sliding_window_view(recording, RATE)[:: RATE // 2]
    power = (np.abs(np.fft.rfft(windows * np.hanning(RATE), axis=1)) ** 2).mean(axis=0)

    def level(low: int, high: int) -> float:  # 1 Hz bins
        return float(10 * np.log10(power[low : high + 1].mean()))

    for line in (50, 100, 150):
        # Between the levels just below and just above (the rumble filter's slope is there).
        expected = (level(line - 6, line - 3) + level(line + 3, line + 6)) / 2
        assert abs(level(line, line) - expected) < 4, line
    episode = report.episodes[0]
    sound = episode["inputs"][-1]["sound"]
    assert sound["hum"] is None and sound["pauses"] == "noisy"


def test_a_phrase_ending_quietly_keeps_its_gain() -> None:
    """A ten-second phrase whose last words are 6 dB quieter: the leveler hears it through
    windows of full length near its end too, so the gain hardly moves inside the phrase
    (a window cut short at the end heard only the quiet close: 4.4 dB of swing)."""
    import numpy as np

    from podcast.audio.sound import SoundSettings, shape_sound

    rng = np.random.default_rng(3)
    phrase = -20 + rng.normal(0, 2, 100)
    phrase[-25:] -= 6
    levels = np.concatenate([np.full(20, -70.0), phrase, np.full(20, -70.0)])
    energies = 10 ** ((levels + 0.691) / 10)
    shaped = shape_sound(energies, np.full(levels.size, 0.3), SoundSettings(), None)
    gains = 20 * np.log10(shaped.envelope[::10][20:120])
    smooth = np.array([np.median(gains[i : i + 5]) for i in range(gains.size - 4)])
    assert float(np.percentile(smooth, 97) - np.percentile(smooth, 3)) < 3.0


def test_turns_of_room_alone_do_not_hide_the_speaker_gap() -> None:
    """An outside round's quiet guest 7 dB above pink noise: two of its fourteen turns held
    nothing above the silence gate (-70 LUFS), those formed the quiet group of the two, the
    voices the other, and the build reported `speaker gap 0.0 -> 0.0 LU` for 16 LU (measured
    with ebur128). The turns' levels as that analysis found them:"""
    from podcast.audio.sound import _speaker_gap

    levels = [
        (-20.2, 31.0), (-35.0, 16.0), (-70.0, 6.0), (-34.0, 18.0), (-20.2, 56.0), (-34.5, 8.0),
        (-34.8, 31.0), (-20.0, 26.0), (-33.7, 31.0), (-20.8, 45.0), (-33.6, 43.0),
        (-19.6, 49.0), (-70.0, 13.0), (-34.3, 32.0),
    ]  # fmt: skip
    assert 13.5 <= _speaker_gap(levels) <= 15.0, _speaker_gap(levels)
    assert _speaker_gap([(-70.0, 10.0), (-20.0, 40.0)]) == 0.0  # one voice and the room


def test_the_noise_floor_is_found_under_a_guest_only_6_db_above_it() -> None:
    """An outside round's guest 6 LU above pink noise, talking half the time: her level, 6 dB
    over the room's, filled the steps 6 dB above the floor as often as the room filled the
    floor, so the room's peak was passed over and her own taken for the floor; she was left
    7.9 LU under the host. 100 ms steps as such a recording has them: the room held for a
    pause at a time, each voice moving from one step to the next."""
    from podcast.audio.speech import noise_floor

    rng = np.random.default_rng(26)
    steps: list[float] = []
    for turn in range(20):
        steps += list(-44.0 + rng.normal(0, 0.6, int(rng.integers(5, 12))))  # a pause
        level, spread = (-20.0, 4.0) if turn % 2 == 0 else (-38.0, 2.5)
        steps += list(level + rng.normal(0, spread, int(rng.integers(40, 90))))
    found = noise_floor(np.array(steps))
    assert found is not None and abs(found + 44.0) <= 1.0, found


def test_a_gated_recorders_noise_far_under_the_voices_is_found() -> None:
    """An outside round's gated recorder with its pink noise 21 dB under the quiet guest: the
    noise filled under a tenth of the steps inside the phrases (a word's gap held only now and
    then), the steps where the gate opens and closes spread below it, so no plateau was found,
    the recording passed for a clean one and the noise rose 14 dB with the guest. 100 ms
    steps as that recording has them: digital silence between the turns."""
    from podcast.audio.sound import SoundSettings, shape_sound

    rng = np.random.default_rng(7)
    steps: list[float] = []
    for turn in range(10):
        steps += [-100.0] * int(rng.integers(3, 6))
        level, spread = (-21.0, 5.0) if turn % 2 == 0 else (-35.0, 4.0)
        words = list(level + rng.normal(0, spread, int(rng.integers(35, 70))))
        for gap in rng.choice(len(words), 3, replace=False):  # a word's gap: the noise alone
            words[gap] = -54.0 + rng.normal(0, 0.4)
        edges = -60.0 + rng.normal(0, 2, 4)  # where the gate opens and closes
        steps += [edges[0], edges[1], *words, edges[2], edges[3]]
    steps += [-100.0] * 5
    levels = np.array(steps)
    energies = np.where(levels <= -100, 0.0, 10 ** ((levels + 0.691) / 10))
    report = shape_sound(energies, np.full(levels.size, 0.3), SoundSettings(), None).report
    assert report.pauses == "gated" and abs(report.noise_dbfs + 54.0) <= 1.5, report


def test_room_noise_under_the_silence_gate_is_still_reduced() -> None:
    """An outside round's white noise at -80 dBFS in every pause (under BS.1770's -70 LUFS
    silence gate, no gated recorder): the recording was called `silent pauses`, nothing was
    reduced, and the hiss rose 12 dB under the raised guest while the pauses kept it. 100 ms
    steps as such a recording has them: the room's noise is now reduced under the guest."""
    from podcast.audio.sound import SoundSettings, shape_sound

    rng = np.random.default_rng(8)
    steps: list[float] = []
    for turn in range(10):
        steps += list(-80.0 + rng.normal(0, 0.5, int(rng.integers(8, 15))))
        level = -24.0 if turn % 2 == 0 else -36.0
        count = int(rng.integers(35, 70))
        # syllables, and a fifth of the steps at a word's edge, down to the room
        words = level + rng.normal(0, 4.0, count)
        edges = rng.random(count) < 0.2
        words[edges] = np.maximum(level - rng.uniform(8, 45, edges.sum()), -79.0)
        steps += list(words)
    levels = np.array(steps)
    energies = 10 ** ((levels + 0.691) / 10)
    shaped = shape_sound(energies, np.full(levels.size, 0.3), SoundSettings(), None)
    assert shaped.report.pauses == "noisy" and abs(shaped.report.noise_dbfs + 80) <= 2, shaped
    assert shaped.report.speech_denoise_db >= 10, shaped.report
    # a 16-bit file's dither far below it stays silence
    dithered = np.where(levels < -70, 10 ** ((-98.0 + 0.691) / 10), energies)
    quiet = shape_sound(dithered, np.full(levels.size, 0.3), SoundSettings(), None).report
    assert quiet.pauses == "silent" and quiet.speech_denoise_db == 0, quiet
