"""Field recordings as they come (tests/field.py): the hardest cases of the corpus that
benchmarks/sound.py runs, each a real build measured on the published MP3 with ffmpeg's
ebur128 and numpy, never with podcast's own meter."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from podcast.build import build
from podcast.check import check_show
from podcast.errors import PodcastError

from .field import (
    GAIN_BAND_HZ,
    FieldRecording,
    FieldSpec,
    _band,
    corpus,
    decoded,
    episode_recordings,
    frame_gains,
    make_field,
    measure,
)
from .helpers import built_file, ebur128, run_cli
from .interview import RATE, _speak, decode

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
{recordings}---
Notizen.
"""


def field_show(folder: Path, spec: FieldSpec, audio: str = "") -> FieldRecording:
    """A one-episode show (episodes/01-feld) around the corpus recording `spec`."""
    from PIL import Image

    episode = folder / "episodes/01-feld"
    episode.mkdir(parents=True)
    (folder / "podcast.toml").write_text(SHOW.format(audio=audio))
    Image.new("RGB", (1400, 1400), (30, 60, 90)).save(folder / "cover.jpg")
    recording = make_field(episode, spec)
    (episode / "episode.md").write_text(EPISODE.format(recordings=episode_recordings(recording)))
    return recording


HOT_THREE = FieldSpec("hot-three", 4, 3, (0.0, 8.0, 16.0), "pink", -55.0, hot=True, fmt="flac")


def test_a_miss_no_listener_hears_is_published_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hot three-voice FLAC pushed to -9 LUFS: its true peak used to end 0.07 dB over the
    ceiling after four attempts (before its noise under speech was reduced), and the build
    failed with an absolute path in the message. (Since the limiter catches only peaks, -10
    LUFS lands; since the noise reduction spares soft word starts, -9.3 lands too; since the
    first render's limiter is lowered where the excerpts come near the ceiling, -9 at -1 dBTP
    lands; since the render is aimed along the limiter's growing loss, -9 at -1.5 dBTP lands,
    and -9 at -3 dBTP ends a little short.)"""
    show = tmp_path / "show"
    field_show(show, HOT_THREE, "podcast_lufs = -9.0\ntrue_peak = -3.0")
    monkeypatch.chdir(tmp_path)  # messages name files relative to the show, wherever the build runs
    # Known only after the render: --strict refuses it there (the renders stay in the cache).
    with pytest.raises(PodcastError, match=re.escape("podcast.mp3 published a little off target")):
        build(show, strict=True)
    report = build(show)
    mp3 = built_file(report.out, "audio/01-feld.mp3")
    integrated, peak = ebur128(mp3)
    assert abs(integrated + 9.0) <= 0.5 and peak <= -3.0 + 0.1, (integrated, peak)
    notes = [w for w in report.warnings if "podcast.mp3" in w]
    assert notes, report.warnings  # within 0.5 LU, published with a note
    assert all(w.startswith("episodes/01-feld/episode.md: podcast.mp3 ") for w in notes), notes
    assert not any(str(tmp_path) in w for w in report.warnings), report.warnings


def test_a_recording_without_speech_is_named(tmp_path: Path) -> None:
    """Ten seconds of room noise where an interview should be (a wrong file, a recorder left
    running): the check warns, naming the file and the way to say it is meant so, and says
    nothing once the recording opts out of leveling."""
    from PIL import Image

    show = tmp_path / "show"
    episode = show / "episodes/01-feld"
    episode.mkdir(parents=True)
    (show / "podcast.toml").write_text(SHOW.format(audio=""))
    Image.new("RGB", (1400, 1400), (30, 60, 90)).save(show / "cover.jpg")
    (episode / "episode.md").write_text(EPISODE.format(recordings="  - file: raum.wav\n"))
    noise = "anoisesrc=c=pink:a=0.02:d=10:r=48000"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            noise,
            "-ac",
            "1",
            str(episode / "raum.wav"),
        ],
        check=True,
    )
    note = "episodes/01-feld/raum.wav: no speech found, only a steady sound"
    _, warnings = check_show(show)
    assert [w for w in warnings if note in w], warnings
    text = (episode / "episode.md").read_text()
    (episode / "episode.md").write_text(
        text.replace("  - file: raum.wav\n", "  - file: raum.wav\n    level_speech: false\n")
    )
    _, warnings = check_show(show)
    assert not [w for w in warnings if "no speech found" in w], warnings


def built_and_measured(
    tmp_path: Path, spec: FieldSpec, audio: str = ""
) -> tuple[list[str], dict[str, float], dict[str, float], Path]:
    """Build a show around `spec`; its warnings and the measures of the recording and of
    the published MP3 (tests/field.py)."""
    show = tmp_path / "show"
    recording = field_show(show, spec, audio)
    report = build(show)
    mp3 = built_file(report.out, "audio/01-feld.mp3")
    return report.warnings, measure(recording.path, recording), measure(mp3, recording), mp3


def test_a_split_recording_is_joined_at_its_in_point(tmp_path: Path) -> None:
    """The issue's two-part FLAC: the recorder stopped in a pause and started again, the first
    file opening with 6 s of set-up chatter (louder than the interview) before its in-point.
    Published: the interview alone, its two parts joined where they were split (its length,
    no chatter) and leveled as one interview, the room as steady as in one file."""
    (spec,) = [s for s in corpus() if s.name == "split-flac"]
    _, before, after, mp3 = built_and_measured(tmp_path, spec)
    assert before["gap"] > 10 and after["gap"] <= 1.5, (before, after)
    changes = [after[k] - before[k] for k in ("bed0", "bed1", "bed_pauses")]
    assert max(changes) - min(changes) <= 4.0, (before, after)
    whole = decode(tmp_path / "show/episodes/01-feld/split-flac.flac").size / RATE
    published = float(
        subprocess.run(
            [
                *("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"),
                str(mp3),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert abs(published - whole) < 0.1, (published, whole)
    # Before the first word (0.6 s in) only the room: the chatter (-16 LUFS) was cut away.
    assert ebur128(mp3, 0.0, 0.5)[0] < -35, ebur128(mp3, 0.0, 0.5)


def test_a_gated_recorders_noise_is_reduced_under_the_raised_voice(tmp_path: Path) -> None:
    """An outside round's F2: a recorder that gates (digital silence between the turns, its
    pink noise only while someone speaks), the guest 14 LU down. With no pause to learn the
    noise from, the noise under her rose with her: 13.5 dB of bed swing. The noise is now
    the plateau of the quietest steps inside the phrases, and it is reduced under her as
    under any raised voice; `podcast info` says the recording is gated. A clean recording
    with silent pauses (reverberation, no noise) has no such plateau and stays "silent".
    The next outside round started its recorders seconds before the first word: what the
    reduction takes of the voices was measured on that silence alone, every phrase was
    spared the reduction, and the bed swung 12 dB again. Here the first word comes at 7 s."""
    (spec,) = [s for s in corpus() if s.name == "gated-pink"]
    spec = replace(spec, name="gated-late", lead_s=7.0)
    _, before, after, _ = built_and_measured(tmp_path, spec)
    assert before["gap"] > 10 and after["gap"] <= 1.5, (before, after)
    changes = [after[k] - before[k] for k in ("bed0", "bed1")]
    assert max(changes) - min(changes) <= 4.0, (before, after)
    told = run_cli("info", "episodes/01-feld/gated-late.wav", cwd=tmp_path / "show")
    assert "sound:       gated (silent pauses), noise under speech" in told.stdout, told.stdout

    clean = FieldSpec("clean-room", 114, 2, (0.0, 12.0), None, reverb_s=0.6, fmt="flac")
    field_show(tmp_path / "clean", clean)
    told = run_cli("info", "episodes/01-feld/clean-room.flac", cwd=tmp_path / "clean")
    assert "sound:       silent pauses" in told.stdout, told.stdout
    # Three voices in a reverberant room (RT60 0.9 s) without noise: their quiet steps held
    # a floor that was a voice's level, with a third of the steps under it (called gated).
    echoing = FieldSpec(
        "echoing", 309, 3, (0.0, 0.3, 12.7), None, reverb_s=0.9, pauses_s=(0.3, 1.4)
    )
    field_show(tmp_path / "echoing", echoing)
    told = run_cli("info", "episodes/01-feld/echoing.wav", cwd=tmp_path / "echoing")
    assert "sound:       silent pauses" in told.stdout, told.stdout


def test_a_gate_just_over_a_white_room_is_found(tmp_path: Path) -> None:
    """An outside round's recorder gating on the voices' level 3 dB over a white room at -48
    dBFS, the guest 14 dB down: its phrases hold the room only in short stretches (the gate
    closes between words), her quiet syllables fill the levels above it as often, and it was
    taken for silent pauses, her room rising 13 dB with her. The gate's noise is now the
    lowest level the phrases keep to with next to nothing under it. (This gate, 4-5 dB over a
    white room at -46 dBFS, the guest 12 dB down, was taken for silent pauses before.)"""
    spec = FieldSpec("gate-white", 504, 2, (0.0, 12.0), "white", -46.0, gate_dbfs=-42.0, turns=8)
    recording = field_show(tmp_path / "show", spec)
    told = run_cli("info", f"episodes/01-feld/{recording.path.name}", cwd=tmp_path / "show")
    assert "sound:       gated (silent pauses)" in told.stdout, told.stdout


def test_speech_in_babble_is_leveled_with_a_warning(tmp_path: Path) -> None:
    """A crowd as loud as the quiet guest leaves no pause to find: the speech is leveled all
    the same (it used to be left alone, the guest 12 LU down), and the editor is told why."""
    spec = FieldSpec("cafe", 8, 2, (0.0, 12.0), "babble", -36.0, reverb_s=0.3, fmt="flac")
    warnings, before, after, mp3 = built_and_measured(tmp_path, spec)
    assert before["gap"] > 10
    assert after["gap"] <= 1.5, after
    note = "episodes/01-feld/cafe.flac: speech and pauses cannot be told apart"
    told = [w for w in warnings if w.startswith("episodes/01-feld/episode.md: ")]
    assert any(note in w for w in told), warnings
    # Found by the checks after analysis: `podcast check` names it too, --strict refuses it.
    _, checked = check_show(tmp_path / "show")
    assert any(note in w for w in checked), checked
    with pytest.raises(PodcastError, match=re.escape(note)):
        check_show(tmp_path / "show", strict=True)
    integrated, peak = ebur128(mp3)
    assert abs(integrated + 16) <= 0.5 and peak <= -1.0


def test_a_click_on_the_recorders_first_sample_is_not_published(tmp_path: Path) -> None:
    """An outside round's recorder began on a click (-13 dBFS over a -38 dBFS room), raised with
    the room it reached the MP3 encoder's first frame, whose overshoot no limiter setting
    lowered: the build failed at -0.84 dBTP after three attempts. The programme now fades in
    and out over 10 ms: the MP3's first 5 ms stay under the room that follows."""
    (spec,) = [s for s in corpus() if s.name == "zoom-pink"]
    show = tmp_path / "show"
    recording = field_show(show, spec)
    samples = decode(recording.path)
    samples[:24] += 0.9 * np.linspace(1.0, 0.0, 24)
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "f64le", "-ar", str(RATE), "-ac", "1"),
            *("-i", "-", str(recording.path)),
        ],
        input=samples.astype("<f8").tobytes(),
        check=True,
    )
    published = decode(built_file(build(show).out, "audio/01-feld.mp3"))
    head = float(np.abs(published[: RATE // 200]).max())
    room = float(np.abs(published[RATE // 20 : RATE // 2]).max())
    assert head <= room, (20 * np.log10(head), 20 * np.log10(room))


def test_without_noise_reduction_the_room_stays_as_recorded(tmp_path: Path) -> None:
    """An outside round set noise_reduction_db = 0 on an interview with the guest 14 dB down:
    nothing was reduced under her raised voice, so her room rose 12-14 dB with her and the
    pauses after her took her gain. With 0 the pauses now keep their room, and under a raised
    voice only what the raise added is taken off: the room where it was recorded everywhere."""
    (spec,) = [s for s in corpus() if s.name == "zoom-pink"]
    _, before, after, _ = built_and_measured(tmp_path, spec, "noise_reduction_db = 0")
    assert after["gap"] <= 1.5, after
    changes = [after[k] - before[k] for k in ("bed0", "bed1", "bed_pauses")]
    assert max(changes) - min(changes) <= 2.0, (before, after)


def test_a_voice_near_the_rooms_noise_is_named_in_a_warning(tmp_path: Path) -> None:
    """An outside round's guest 16 dB under the host, only 2-4 LU over a room at -40 dBFS:
    her quieter syllables count as pauses, she is leveled in pieces and stayed 4-10 LU down,
    while the build said the voices were equal and warned of nothing. The build now says that
    a voice stands too close to the room, naming the recording and what to do. The corpus'
    recordings (each voice 6 dB or more over its room) get no such warning."""
    spec = FieldSpec("near-room", 116, 2, (0.0, 16.0), "white", -40.0, quietest_over_noise_db=3.0)
    warnings, _, _, _ = built_and_measured(tmp_path, spec)
    note = "episodes/01-feld/near-room.wav: a voice stands only a few dB above the room's noise"
    assert any(note in w and "record that speaker closer" in w for w in warnings), warnings
    (zoom,) = [s for s in corpus() if s.name == "zoom-pink"]
    warnings, _, _, _ = built_and_measured(tmp_path / "zoom", zoom)
    assert not any("above the room's noise" in w for w in warnings), warnings


def test_a_voice_whose_room_cannot_be_reduced_is_raised_a_little_less(tmp_path: Path) -> None:
    """The corpus' field-08: babble at -37 dBFS with no pause to learn it from, the guest 4.7 LU
    down. Her room cannot be reduced, so it rose with her by the whole gap (4.7 dB of bed
    swing); she is now raised 1 dB less: the room within 4 dB, the voices within 1.5 LU."""
    spec = FieldSpec("field-08", 108, 2, (0.0, 4.7), "babble", -36.8, reverb_s=0.3, fmt="flac")
    _, before, after, _ = built_and_measured(tmp_path, spec)
    assert after["gap"] <= 1.5, after
    changes = [after[k] - before[k] for k in ("bed0", "bed1", "bed_pauses")]
    assert max(changes) - min(changes) <= 4.0, (before, after)


def test_a_quiet_guest_in_pink_noise_with_hum_to_the_tenth_harmonic(tmp_path: Path) -> None:
    """The issue's interview: a 48 kHz WAV, the guest 15 LU down, pink noise at -45 dBFS, 50 Hz
    hum with harmonics up to the 10th. Leveled to within 1.5 LU (the loud syllables alone used
    to set the guest's level: 2 LU short), every hum line lower than before, none louder, the
    pauses' noise as loud as the host's."""
    spec = FieldSpec("zoom", 1, 2, (0.0, 15.0), "pink", -45.0, 50, (1, 2, 3, 4, 7, 9, 10), -48.0)
    _, before, after, mp3 = built_and_measured(tmp_path, spec)
    assert before["gap"] > 13
    assert after["gap"] <= 1.5, after
    for harmonic in spec.hum_harmonics:
        assert after[f"hum{harmonic}"] <= before[f"hum{harmonic}"] - 10, (harmonic, before, after)
    # The room does not breathe between the host and the pauses (they were 12 dB apart); the
    # noise under the raised guest is still raised with the guest (see the README).
    assert abs(after["bed_pauses"] - after["bed0"]) <= 4, after
    integrated, peak = ebur128(mp3)
    assert abs(integrated + 16) <= 0.5 and peak <= -1.0


def test_a_quiet_guest_over_a_humming_phone_line_is_told_from_the_hum(tmp_path: Path) -> None:
    """A phone line (300-3400 Hz: the 50 Hz fundamental is gone) humming at -41 dBFS, the
    guest 18 LU down and only a few dB above the hum: the mains frequency is read off the
    clearest line, every line is found and notched, and the analysis hears the guest against
    the room left after the notches, not against the hum (the guest ended 4.5 LU short)."""
    spec = FieldSpec(
        "hum-line", 117, 2, (0.0, 18.3), "brown", -59.5, 50, (1, 5, 8, 9), -40.9,
        reverb_s=0.3, phone=True, fmt="flac", channels=1, turns=4,
    )  # fmt: skip
    _, before, after, _ = built_and_measured(tmp_path, spec)
    assert before["gap"] > 15
    assert after["gap"] <= 1.5, after
    for harmonic in (8, 9):  # the lines the phone's band lets through
        assert after[f"hum{harmonic}"] <= before[f"hum{harmonic}"] - 10, (harmonic, before, after)


def _spectra_with_lines(
    seed: int, rate: int, lines: list[float], band: tuple[float, float] | None = None
) -> list[Any]:
    """Twelve one-second power spectra (1 Hz bins, Hann window, up to 620 Hz) of noise (in
    `band`, if given) with steady sine lines at `lines` (Hz), as the analysis takes them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    spectra = []
    window = np.hanning(rate)
    t = np.arange(rate) / rate
    for _ in range(12):
        spectrum = np.fft.rfft(rng.normal(size=rate))
        frequencies = np.fft.rfftfreq(rate, 1 / rate)
        if band is not None:
            spectrum[(frequencies < band[0]) | (frequencies > band[1])] = 0
        second = np.fft.irfft(spectrum, rate) * 0.01
        for number, frequency in enumerate(lines):
            second += 0.05 * np.sin(2 * np.pi * frequency * t + number)
        spectra.append(np.abs(np.fft.rfft(second * window)[:620]) ** 2)
    return spectra


@pytest.mark.parametrize("seed", range(6))
def test_hum_over_a_phone_line_is_found_without_its_fundamental(seed: int) -> None:
    """Hum whose fundamental and lower multiples a phone's band took away: the upper lines
    are found at their frequency (a fundamental guessed from noise, multiplied up to the 9th,
    missed them)."""
    from podcast.audio.hum import find_hum

    spectra = _spectra_with_lines(seed, 8000, [50.02 * 8, 50.02 * 9], (300, 3400))
    hum = find_hum(spectra, 8000)
    assert hum is not None and abs(hum.fundamental - 50.02) < 0.05, hum
    assert {round(line) for line in hum.lines} >= {400, 450}, hum


def test_a_fans_lines_are_not_called_mains_hum() -> None:
    """An outside round's fan at 118 Hz (and its multiples) was reported as `59 Hz hum`: no
    grid runs 1 Hz off. Its lines are still notched (steady noise), and named for what they
    are; mains a little off 50 Hz is still hum."""
    from podcast.audio.hum import find_hum

    fan = find_hum(_spectra_with_lines(3, 8000, [118.0, 236.0, 354.0]), 8000)
    assert fan is not None and len(fan.lines) == 3, fan
    assert all(abs(a - b) < 0.5 for a, b in zip(fan.lines, (118, 236, 354), strict=True)), fan
    assert not fan.mains
    assert fan.describe(True).startswith("a steady 118 Hz tone (not mains hum: a fan or motor?)")
    hum = find_hum(_spectra_with_lines(3, 8000, [50.3, 100.6, 150.9]), 8000)
    assert hum is not None and abs(hum.fundamental - 50.3) < 0.05 and hum.mains, hum
    assert hum.describe(False).startswith("50 Hz hum at ")


def test_speakers_handing_over_without_a_pause_are_leveled_turn_by_turn(tmp_path: Path) -> None:
    """Host and guest (14 LU quieter) hand over after 0.15-0.35 s, shorter than a pause: the
    turns share a phrase, and the leveler used to hear the host's level over the guest's
    first words (an outside tester: 4.8 LU left, her first second 2-7 dB quieter, the report
    saying 0.5). Each turn is now leveled on its own, from its first word."""
    spec = FieldSpec("quick", 50, 2, (0.0, 14.0), "pink", -55.0, turns=4, pauses_s=(0.15, 0.35))
    _, before, after, mp3 = built_and_measured(tmp_path, spec)
    assert before["gap"] > 12
    assert after["gap"] <= 1.5, after
    integrated, peak = ebur128(mp3)
    assert abs(integrated + 16) <= 0.5 and peak <= -1.0


def test_a_quiet_guests_one_sentence_replies_each_get_her_gain(tmp_path: Path) -> None:
    """Outside round 14: a guest 12 dB down answers the host in one sentence (1.3-1.7 s),
    0.12-0.6 s after his question and before his next. A phrase shared by two speakers was
    split only where each side held 2 s of one voice, so most of her replies kept the host's
    gain, 10-11 LU under her longer turns. Each reply is now a turn of its own: measured on
    the MP3 (20 ms frames 20 dB over the room), every reply is raised within 2 dB of the
    others, and the host's turns within 2 dB of each other."""
    (spec,) = [s for s in corpus() if s.name == "quick-replies"]
    recording, mp3 = _built_field(tmp_path, spec)
    host, guest = _turn_gains(recording, mp3, 0), _turn_gains(recording, mp3, 1)
    for gains, raised in ((host, False), (guest, True)):
        assert len(gains) == spec.turns // 2, gains
        assert max(gains) - min(gains) <= 2.0, gains
        assert (min(gains) > 8.0) == raised, gains
    assert measure(mp3, recording)["gap"] <= 1.5


def test_a_guest_only_6_db_under_the_host_is_told_from_him_by_her_pitch(tmp_path: Path) -> None:
    """Outside round 15: a guest 6 dB under the host answers in one sentence 0.12-0.4 s after
    his question. By loudness alone a phrase the two share is split only where their voices
    differ by 8 dB, so three of her replies kept the host's gain, 4-5 dB short. Her pitch
    (an octave over his) now tells where she takes over: measured on the MP3, each reply is
    raised 6 dB (within 1.5) more than the host's turns."""
    spec = FieldSpec(
        "quick-six", 54, 2, (0.0, 6.0), "pink", -55.0, turns=12, pauses_s=(0.12, 0.4), replies=True
    )
    recording, mp3 = _built_field(tmp_path, spec)
    host = float(np.median(_turn_gains(recording, mp3, 0)))
    raised = [round(gain - host, 1) for gain in _turn_gains(recording, mp3, 1)]
    assert len(raised) == spec.turns // 2, raised
    assert all(abs(gain - 6.0) <= 1.5 for gain in raised), raised


def _built_field(tmp_path: Path, spec: FieldSpec) -> tuple[FieldRecording, Path]:
    """The recording of `spec` in a show of its own, and the MP3 built from it."""
    show = tmp_path / "show"
    recording = field_show(show, spec)
    return recording, built_file(build(show).out, "audio/01-feld.mp3")


def _turn_gains(recording: FieldRecording, mp3: Path, voice: int) -> list[float]:
    """The gain (dB, MP3 over recording) of each of `voice`'s turns: the median over its
    20 ms frames standing 20 dB over the room (measured in the lead-in before the first
    turn) at 700-4000 Hz."""
    raw, heard = decoded(recording.path, recording.duration), decoded(mp3, recording.duration)
    room = _band(raw[RATE // 20 : RATE // 2], *GAIN_BAND_HZ)
    room_db = float(10 * np.log10(np.mean(room**2)))
    spans = [(a + 0.05, b - 0.05) for a, b in recording.spans(voice)]
    return [float(np.median(g)) for g, _ in frame_gains(raw, heard, spans, room_db)]


def test_a_raised_guests_first_fricative_gets_the_turns_gain(tmp_path: Path) -> None:
    """An outside round's white noise at -45 dBFS, the guest 15 dB down, her turn opening on a
    fricative ("Sprechen"): 10-13 dB above the noise at 2-6 kHz, but its 100 ms step hardly
    above the noise in loudness, so the phrase (and its gain) began a step later and the "Sch"
    kept the pause's gain, 10 dB under the rest of the word. The gain is now up two steps
    before the first step that sounds like speech. Her turns start at six places within a
    step; measured on the published MP3, 20 ms frames at 2-6 kHz where her voice stands 6 dB
    over the noise."""
    show = tmp_path / "show"
    episode = show / "episodes/01-feld"
    episode.mkdir(parents=True)
    (show / "podcast.toml").write_text(SHOW.format(audio=""))
    from PIL import Image

    Image.new("RGB", (1400, 1400), (30, 60, 90)).save(show / "cover.jpg")
    host = ["Wie sehen Sie das heute?", "Und was sagen die anderen dazu?", "Wie geht es weiter?"]
    # espeak-ng's "Sprechen" opens on a long "Sch" (its "Schauen" and "Schon" did not show it);
    # her turns start 15 to 90 ms into a step (at 30 and 45 ms, 15 and 13 dB were lost)
    guest = "Sprechen Sie mit den Leuten hier."
    lines = [
        (voice, level_db, text, offset_ms)
        for number, offset_ms in enumerate((15, 30, 45, 60, 75, 90))
        for voice, level_db, text in (("de", 0.0, host[number % 3]), ("de+f3", -15.0, guest))
    ]
    pieces, turns, at = [], [], 0
    for number, (voice, level_db, text, offset_ms) in enumerate(lines):
        speech = _speak(text, voice, tmp_path, f"line{number}")
        sounding = np.flatnonzero(np.abs(speech) > 1e-3 * np.abs(speech).max())
        speech = speech[sounding[0] : sounding[-1] + 1]
        # each turn 1 to 1.1 s after the last
        start = (at // (RATE // 10) + 10) * (RATE // 10) + RATE * offset_ms // 1000
        pieces.append(np.zeros(start - at))
        level = 10 ** (-18 / 20) * 10 ** (level_db / 20) / np.sqrt(np.mean(speech**2))
        pieces.append(speech * level)
        turns.append((level_db < 0, start))
        at = start + speech.size
    pieces.append(np.zeros(RATE))
    voice_track = np.concatenate(pieces)
    noise = np.random.default_rng(7).standard_normal(voice_track.size) * 10 ** (-45 / 20)
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "f64le", "-ar", str(RATE), "-ac", "1", "-i", "-"),
            *("-c:a", "pcm_s24le", str(episode / "talk.wav")),
        ],
        input=(voice_track + noise).astype("<f8").tobytes(),
        check=True,
    )
    (episode / "episode.md").write_text(EPISODE.format(recordings="  - file: talk.wav\n"))
    published = decode(built_file(build(show).out, "audio/01-feld.mp3"))

    size = RATE // 50

    def frames(samples: Any) -> Any:
        count = voice_track.size // size * size
        band = _band(np.asarray(samples[:count]), 2000.0, 6000.0)
        return 10 * np.log10(np.mean(band.reshape(-1, size) ** 2, axis=1) + 1e-20)

    voice_db, noise_db = frames(voice_track), frames(noise)
    gain_db = frames(published) - frames(voice_track + noise)
    for raised, start in turns:
        if not raised:
            continue
        first = start // size
        standing = [f for f in range(first, first + 15) if voice_db[f] >= noise_db[f] + 6]
        head = [f for f in standing if f < first + 3]
        rest = [f for f in standing if f >= first + 3]
        assert head and rest, (start / RATE, (voice_db - noise_db)[first : first + 4])
        loss = float(np.median(gain_db[rest]) - np.mean(gain_db[head]))
        assert loss <= 2.0, (start / RATE, gain_db[first : first + 6].round(1))
