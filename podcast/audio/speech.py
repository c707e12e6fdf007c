"""Speech and pauses in a recording, from the loudness of its 100 ms steps: the noise floor its
pauses keep coming back to, and which steps belong to phrases of speech. Used by the interview
sound (audio/sound.py: leveling, noise reduction in pauses, the report); a multitrack premix
would gate its tracks with the same.

- The recording's noise floor is the level its quietest steps keep coming back to; steps 6 dB
  above it are speech, and over stationary noise a phrase goes on while its steps stay 3 dB
  above it; pauses shorter than 0.4 s are part of the phrase around them (a breath between
  words is not a pause).
- Where no pauses stand out (noise as loud as the quiet speaker, a continuous crowd) but the
  sound moves like speech, `without_pauses` splits it into phrases at its quietest tenth, so
  it can still be leveled; a steady sound (music, a tone, noise) is left alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]

STEP_S = 0.1  # the meter's loudness steps
SPEECH_ABOVE_FLOOR_DB = 6.0
SPEECH_GOES_ON_DB = 3.0
SHORTEST_PAUSE_S = 0.4
# The gain is up before a phrase starts: a word opening on a fricative ("Sch") over white
# noise adds too little loudness to its 100 ms step, and the next one, to count as speech; with
# one step of pre-roll an outside round's raised guest lost 10-15 dB on her first 50 ms.
PRE_ROLL_S = 0.2
HANGOVER_S = 0.2  # and stays up while a phrase fades out
SILENT_LUFS = -100.0  # digital silence, as far as the analysis is concerned
SILENCE_GATE_LUFS = -70.0  # BS.1770's absolute gate: quieter pauses count as silent
# A floor in the pauses above this is noise the leveler would raise with a quiet voice, and
# is reduced under it (below: a 16-bit file's dither, an encoder's silence). Between it and
# the silence gate it is still noise: an outside round's white noise at -80 dBFS rose 12 dB
# under the raised guest while the pauses kept it, reported as `silent pauses`.
QUIET_NOISE_LUFS = -90.0
# Below this contrast between speech and the quietest steps there are no pauses to speak of
# (a continuous crowd, noise as loud as the quiet speaker): the pauses are left alone.
LEAST_CONTRAST_DB = 10.0
# A sound whose 100 ms loudness spreads less than this (5th to 95th percentile) is steady
# (music, a tone, noise), not speech: it is left alone.
LEAST_SPEECH_SPREAD_DB = 6.0


def step_loudness(energy: Samples) -> Samples:
    """Loudness (LUFS) of mean squares, digital silence at SILENT_LUFS."""
    with np.errstate(divide="ignore"):
        return np.maximum(SILENT_LUFS, -0.691 + 10 * np.log10(energy))


def runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) of each run of True in `mask`, end exclusive."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def steps_of(seconds: float) -> int:
    """How many 100 ms steps `seconds` last (at least one)."""
    return max(1, round(seconds / STEP_S))


def histogram_peaks(loudness: Samples, lowest: float) -> list[float]:
    """The peaks (LUFS, rising) of the histogram of `loudness` in 1 dB bins from `lowest` up
    to its median, smoothed over three bins: each the highest bin within 2 dB either side (a
    noise floor's peak is about as wide)."""
    bins = np.arange(lowest - 0.5, float(np.median(loudness)) + 1.5, 1.0)
    if bins.size < 3:
        return []
    counts, edges = np.histogram(loudness, bins)
    smooth = np.convolve(counts, np.ones(3), mode="same")
    highest = np.lib.stride_tricks.sliding_window_view(np.pad(smooth, 2), 5).max(axis=1)
    return [float(edges[i] + 0.5) for i in np.flatnonzero((smooth > 0) & (smooth >= highest))]


def noise_floor(loudness: Samples) -> float | None:
    """The level (LUFS) a recording's pauses keep coming back to, if it has pauses.

    Stationary noise (room tone, hiss) measures within a decibel or two from one 100 ms
    step to the next, so the pauses of a recording show as a narrow peak at the low end of
    the histogram of its steps; speech spreads over 30 dB and has no such peak. Without one
    (continuous talk, music) there are no pauses to tell apart, and None is returned.
    """
    if loudness.size < 20:
        return None
    speech_level = float(np.percentile(loudness, 90))
    # The floor is looked for below the speech only: in a mixed, published episode (loud,
    # even speech, short silent pauses) the speech's own peak is higher than the pauses'.
    # The floor is the lowest narrow peak: where speakers hand over without pausing, the room
    # shows in few steps, and a quiet guest's own level can hold more of them (she is not the
    # noise floor).
    peaks = [
        p for p in histogram_peaks(loudness, SILENT_LUFS) if p <= speech_level - LEAST_CONTRAST_DB
    ]
    for floor in peaks:
        near = float(np.mean(np.abs(loudness - floor) <= 1.5))
        above = float(np.mean(np.abs(loudness - floor - 6) <= 1.5))
        if near >= 0.04 and near >= 2 * above:
            return floor
        held = _held_floor(loudness, floor)
        if held is not None:
            return held
    return None


# A quiet guest 6 dB above the room fills the level 6 dB above the floor as often as the room
# fills the floor (and the lower tail of her level moves the room's peak up): the floor is
# then told by being held, pause after pause, where a voice's level moves from step to step.
# HELD_SHARE of the steps within 1.5 dB of it lie in runs of HELD_STEPS or more (an outside
# round's guest 6 LU above pink noise was taken for the floor, and left 7.9 LU under the host).
HELD_STEPS = 4
HELD_SHARE = 0.6


def _held_floor(loudness: Samples, peak: float) -> float | None:
    """The level within 2 dB of a histogram `peak` that the recording holds (HELD_SHARE of
    its steps in runs of HELD_STEPS), the most held of them; None if none is."""
    best, found = HELD_SHARE, None
    for level in np.arange(peak - 2.0, peak + 2.01, 0.5):
        at = np.abs(loudness - level) <= 1.5
        if at.mean() < 0.04:
            continue
        share = sum(end - start for start, end in runs(at) if end - start >= HELD_STEPS) / at.sum()
        if share >= best:
            best, found = share, float(level)
    return found


def speech_steps(
    energies: Samples, floor: float | None = None
) -> tuple[npt.NDArray[np.bool_], float] | None:
    """Which 100 ms steps belong to phrases of speech, and the noise floor (LUFS, found
    unless given); None when the recording has no pauses to tell speech from (too short,
    continuous sound)."""
    loudness = step_loudness(energies)
    if floor is None:
        floor = noise_floor(loudness)
    if floor is None:
        return None
    speech = loudness >= floor + SPEECH_ABOVE_FLOOR_DB
    # Hysteresis: a phrase goes on while its steps stay SPEECH_GOES_ON_DB above the floor (the
    # quiet syllables of a speaker only 6 dB above the noise are not pauses).
    # Only over stationary noise: above digital silence or a hiss under the gate, every
    # reverberation tail would join the phrases either side of a pause.
    going_on = loudness >= max(floor, SILENCE_GATE_LUFS) + SPEECH_GOES_ON_DB
    for start, end in runs(going_on):
        if speech[start:end].any():
            speech[start:end] = True
    # Short gaps belong to the phrase; then the phrase is widened a little on both sides.
    shortest = steps_of(SHORTEST_PAUSE_S)
    for start, end in runs(~speech):
        if end - start < shortest and start > 0 and end < speech.size:
            speech[start:end] = True
    widened = speech.copy()
    before, after = steps_of(PRE_ROLL_S), steps_of(HANGOVER_S)
    for start, end in runs(speech):
        widened[max(0, start - before) : min(speech.size, end + after)] = True
    return widened, floor


def without_pauses(
    energies: Samples,
) -> tuple[tuple[npt.NDArray[np.bool_], float] | None, str]:
    """Speech whose pauses cannot be told apart (the noise as loud as the quiet speaker,
    a continuous crowd, speech without gaps) is still leveled from its loudness over time,
    in phrases split where it dips to its quietest tenth: (the phrase mask, that level as
    the floor), and why. A steady sound (music, a tone, noise) is not speech: (None, "")."""
    loudness = step_loudness(energies)
    audible = loudness[loudness > SILENCE_GATE_LUFS]
    if audible.size < 20:
        return None, ""
    low, high = np.percentile(audible, [5, 95])
    if high - low < LEAST_SPEECH_SPREAD_DB:
        return None, ""
    floor = float(np.percentile(audible, 10))
    found = speech_steps(energies, floor)
    reason = (
        "speech and pauses cannot be told apart (no steady noise floor; the quietest moments "
        f"are only {high - low:.0f} dB below the loudest speech): the speech is leveled over "
        "time, the pauses are not lowered"
    )
    return found, reason
