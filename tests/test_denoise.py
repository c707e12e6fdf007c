"""The spectral noise reduction under raised speech (podcast/audio/denoise.py), run through
real ffmpeg on synthesised room noise and measured with numpy: it must switch on where the
schedule says, not where ffmpeg's next audio frame happens to begin."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from podcast.audio.denoise import denoise_filters
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.sound import PAUSE_STEP

NOISE_DBFS = -50.0
FRAME_S = 0.01


def _through_reduction(schedule: list[float], frame_samples: int, start: float) -> np.ndarray:
    """10 ms levels (dBFS) of pink noise at NOISE_DBFS played through the reduction that
    follows `schedule` from `start` (s; an in-point), the noise arriving in audio frames of
    `frame_samples` (a FLAC decoder hands over 4096 at a time)."""
    seconds = len(schedule) * 0.1 - start
    amplitude = 10 ** (NOISE_DBFS / 20)
    filters = denoise_filters(schedule, NOISE_DBFS, 0, start, seconds)
    done = subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i",
            f"anoisesrc=c=pink:a={amplitude * 1.7:.5f}:d={seconds}:r={BROADCAST_RATE}"
            f":s=7:n={frame_samples}",
            "-af", ",".join(filters), "-f", "f32le", "-ac", "1", "-",
        ],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    samples = np.frombuffer(done.stdout, dtype="<f4").astype(np.float64)
    size = round(FRAME_S * BROADCAST_RATE)
    count = samples.size // size
    return 10 * np.log10(np.mean(samples[: count * size].reshape(count, size) ** 2, axis=1))


@pytest.mark.parametrize(("frame_samples", "start"), [(1024, 0.0), (4096, 0.0), (8192, 0.037)])
def test_the_reduction_takes_hold_where_the_raised_speech_begins(
    frame_samples: int, start: float
) -> None:
    # The leveler raises the voice from 1.9 s on, its envelope with it: the reduction under
    # it has to be there too, or the room comes up with the gain until ffmpeg's next audio
    # frame begins (up to 170 ms later for a 22.05 kHz FLAC resampled: a puff of room noise
    # at every raised turn; 9-17 dB for 40-80 ms on the sound benchmark's field-12).
    schedule = [PAUSE_STEP] * 19 + [18.0] * 11
    levels = _through_reduction(schedule, frame_samples, start)
    raised = round((1.9 - start) / FRAME_S)
    before = float(np.mean(levels[raised - 45 : raised - 5]))
    just_after = float(np.max(levels[raised + 3 : raised + 10]))  # 30 to 100 ms into it
    settled = float(np.mean(levels[raised + 20 : raised + 80]))
    assert settled < before - 10, (before, settled)
    assert just_after < before - 6, (before, just_after, levels[raised - 5 : raised + 15].round(1))
