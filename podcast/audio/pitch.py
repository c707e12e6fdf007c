"""The pitch of the voice in each 100 ms step: who speaks, where loudness alone cannot tell.

Two people handing over without a pause are one phrase to the loudness steps; where their
voices are only a few dB apart, loudness cannot say where one ends and the next begins. Their
pitch usually can: a man's and a woman's voices lie about an octave apart, and one person's
pitch moves only a few semitones from one second to the next. Measured in the analysis pass:
each step folded to mono, brought down to about 8 kHz (a box average: it takes the highs
off), low-passed at 1 kHz and autocorrelated; the pitch is the shortest lag (70-400 Hz) whose
normalised autocorrelation lies near the highest (a voice at 200 Hz repeats at 5 and 10 ms
alike: the shorter is its pitch), where that is high enough to be a voice."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]

PITCH_RATE = 8000  # about the rate the steps are brought down to
LOWEST_HZ, HIGHEST_HZ = 70.0, 400.0
PITCH_LOWPASS_HZ = 1000.0
VOICED_CORRELATION = 0.5  # a step whose best lag correlates less has no clear pitch
OCTAVE_TOLERANCE = 0.9  # a shorter lag within this share of the best is the pitch


def voice_pitches(steps: npt.NDArray[np.floating[Any] | np.integer[Any]], rate: int) -> Samples:
    """The pitch (Hz) of each row of `steps` (mono 100 ms steps at `rate`, any scale), 0 where
    a step has no clear pitch (a pause, noise, a consonant)."""
    count = steps.shape[0]
    if count == 0:
        return np.zeros(0)
    fold = max(1, rate // PITCH_RATE)
    width = steps.shape[1] // fold * fold
    low = steps[:, :width].reshape(count, -1, fold).mean(axis=2, dtype=np.float64)
    low_rate = rate / fold
    low = low - low.mean(axis=1, keepdims=True)
    length = low.shape[1]
    window = np.hanning(length)
    spectra = np.fft.rfft(low * window, n=2 * length, axis=1)
    spectra[:, np.fft.rfftfreq(2 * length, 1 / low_rate) > PITCH_LOWPASS_HZ] = 0
    correlation = np.fft.irfft(spectra.real**2 + spectra.imag**2, axis=1)[:, :length]
    # The window's own autocorrelation shrinks the longer lags: divided out.
    own = np.correlate(window, window, "full")[length - 1 :]
    correlation = correlation * (own[0] / np.maximum(own, 1e-9))
    first, last = int(low_rate / HIGHEST_HZ), int(low_rate / LOWEST_HZ)
    if first < 1 or last + 1 >= length:
        return np.zeros(count)
    energy = correlation[:, 0]
    around = correlation[:, first - 1 : last + 2] / np.maximum(energy, 1e-30)[:, None]
    lags = around[:, 1:-1]
    # Only the autocorrelation's peaks count (not its slope down from lag 0).
    peaks = (lags >= around[:, :-2]) & (lags >= around[:, 2:])
    best = np.where(peaks, lags, -np.inf).max(axis=1)
    chosen = peaks & (lags >= OCTAVE_TOLERANCE * best[:, None])
    shortest = np.argmax(chosen, axis=1)
    pitch = low_rate / (first + shortest)
    # No peak inside the range (the correlation still falling from lag 0 at its short end,
    # or rising at its long end) is no clear pitch.
    clear = chosen.any(axis=1) & (best >= VOICED_CORRELATION) & (energy > 0)
    return np.where(clear, pitch, 0.0)
