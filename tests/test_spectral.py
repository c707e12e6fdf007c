"""The spectral noise reduction under raised speech (podcast/audio/spectral.py), on room noise
that ffmpeg synthesises, measured with numpy: it reduces the room by what the schedule asks,
from where it asks, leaves the sound alone where it asks nothing, keeps a word's soft start,
and gives the same samples however the sound arrives."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.sound import PAUSE_STEP
from podcast.audio.spectral import Reduction, reduce_noise, reduce_stream, reduction_for, room_power

RATE = BROADCAST_RATE
NOISE_DBFS = -50.0
LEVEL_S = 0.01


def pink(seconds: float, seed: int = 7) -> np.ndarray:
    """Pink noise at about NOISE_DBFS, from ffmpeg's anoisesrc."""
    amplitude = 10 ** (NOISE_DBFS / 20) * 1.7
    done = subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i",
            f"anoisesrc=c=pink:a={amplitude:.5f}:d={seconds}:r={RATE}:s={seed}",
            "-f", "f32le", "-ac", "1", "-",
        ],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return np.frombuffer(done.stdout, dtype="<f4").copy()


def levels(samples: np.ndarray) -> np.ndarray:
    """10 ms levels (dBFS)."""
    size = round(LEVEL_S * RATE)
    count = samples.size // size
    frames = samples[: count * size].astype(np.float64).reshape(count, size)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-20)


def band_db(samples: np.ndarray, low: float, high: float) -> float:
    spectrum = np.fft.rfft(samples.astype(np.float64) * np.hanning(samples.size))
    frequencies = np.fft.rfftfreq(samples.size, 1 / RATE)
    inside = (frequencies >= low) & (frequencies <= high)
    return float(10 * np.log10(np.sum(np.abs(spectrum[inside]) ** 2) + 1e-30))


@pytest.mark.parametrize("start", [0.0, 0.037])
def test_the_room_goes_down_by_what_the_schedule_asks_from_where_it_asks(start: float) -> None:
    # A pause to learn the room from, then a voice the leveler raised 18 dB from 1.9 s on
    # (the recording cut at an in-point off the 100 ms steps: `start`).
    schedule = np.array([PAUSE_STEP] * 19 + [18.0] * 21, dtype=np.float32)
    room = pink(4.0 - start)
    reduction = reduction_for(schedule, start, room.size / RATE)
    assert reduction.learn
    heard = levels(reduce_noise(room, reduction))
    before = levels(room)
    raised = round((1.9 - start) / LEVEL_S)
    # the pause untouched, sample for sample up to the frames reaching into the raised part
    assert np.allclose(heard[: raised - 4], before[: raised - 4], atol=0.01)
    settled = float(np.mean(heard[raised + 5 : raised + 150] - before[raised + 5 : raised + 150]))
    assert -19.0 < settled < -17.0, settled
    # at most a frame (21 ms) of the room before the reduction takes hold
    assert float(np.max(heard[raised + 3 : raised + 10] - before[raised + 3 : raised + 10])) < -12


def test_where_the_schedule_reduces_nothing_the_sound_is_left_as_it_is() -> None:
    rng = np.random.default_rng(3)
    sound = (rng.standard_normal(RATE * 3) * 0.1).astype(np.float32)
    for steps in ([0.0] * 30, [PAUSE_STEP] * 30):
        reduction = Reduction(np.array(steps, dtype=np.float32), 0)
        assert np.max(np.abs(reduce_noise(sound, reduction) - sound)) < 1e-6


def test_a_soft_word_start_keeps_its_level_under_a_strong_reduction() -> None:
    # A "word" of three harmonics of 220 Hz: its first 60 ms only 6 dB above the room in its
    # bands, then 20 dB. A reduction that judges each band by its level alone takes the soft
    # start for room (afftdn lost 7.5 dB of one on the sound benchmark's field-17).
    room = pink(3.0)
    t = np.arange(RATE) / RATE
    tone = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3))
    envelope = np.where(t < 0.06, 10 ** (-14 / 20), 1.0)
    word = np.zeros_like(room)
    begin = 2 * RATE
    word[begin : begin + RATE] = tone * envelope
    low, high = 150.0, 750.0
    # the word's loud part 20 dB above the room in its band
    word *= 10 ** ((band_db(room[begin + RATE // 5 : begin + RATE // 2], low, high)
                    - band_db(tone[RATE // 5 : RATE // 2], low, high) + 20) / 20)  # fmt: skip
    schedule = np.array([PAUSE_STEP] * 15 + [24.0] * 15, dtype=np.float32)
    reduction = reduction_for(schedule, 0.0, 3.0)
    out = reduce_noise((room + word).astype(np.float32), reduction)
    recorded = room + word

    def gain(a: int, b: int) -> float:
        return band_db(out[begin + a : begin + b], low, high) - band_db(
            recorded[begin + a : begin + b], low, high
        )

    soft = gain(0, round(0.06 * RATE))
    loud = gain(round(0.1 * RATE), round(0.5 * RATE))
    assert soft > loud - 1.5, (soft, loud)
    # and the room around the word is down by the reduction
    assert gain(-RATE // 2, -RATE // 10) < -18


def test_the_same_samples_however_the_sound_arrives() -> None:
    rng = np.random.default_rng(5)
    sound = pink(20.0, seed=9) + np.sin(np.arange(RATE * 20) / RATE * 2 * np.pi * 440) * 0.01
    sound = sound.astype(np.float32)
    schedule = np.array(([PAUSE_STEP] * 10 + [12.0] * 20) * 7, dtype=np.float32)
    reduction = reduction_for(schedule, 0.0, 20.0)
    whole = reduce_noise(sound, reduction)
    room = room_power(sound, reduction)
    cuts = np.sort(rng.integers(0, sound.size, 40))
    chunks = np.split(sound, cuts)
    streamed = np.concatenate(list(reduce_stream(iter(chunks), room, reduction, workers=2)))
    assert streamed.size == sound.size
    assert np.array_equal(streamed, whole)


def test_without_a_pause_the_room_is_learned_from_the_quietest_frames() -> None:
    # A gated recorder: no pause between the phrases; the room is under them all along.
    room = pink(6.0)
    schedule = np.full(60, 15.0, dtype=np.float32)
    reduction = reduction_for(schedule, 0.0, 6.0)
    assert not reduction.learn
    out = reduce_noise(room, reduction)
    drop = float(np.mean(levels(out)[20:-20]) - np.mean(levels(room)[20:-20]))
    assert -16.5 < drop < -13.0, drop


def test_a_room_whose_level_drifts_is_followed() -> None:
    # The room swings +-8 dB over 40 s (a fan, traffic); it is learned in the first pause,
    # at its middle level. A raised voice's room must come down by what is asked throughout,
    # not only where the room stands at the level it was learned at.
    seconds = 40.0
    room = pink(seconds, seed=11)
    t = np.arange(room.size) / RATE
    room = (room * 10 ** (8 * np.sin(2 * np.pi * t / seconds) / 20)).astype(np.float32)
    schedule = np.array([PAUSE_STEP] * 10 + [16.0] * 390, dtype=np.float32)
    out = reduce_noise(room, reduction_for(schedule, 0.0, seconds))
    change = levels(out)[150:] - levels(room)[150:]
    windows = change[: change.size // 100 * 100].reshape(-1, 100).mean(axis=1)  # 1 s each
    assert np.all(np.abs(windows + 16) < 1.5), windows.round(1)
