"""Interview sound: speech and pauses found once per recording, shared by the speech leveler,
the noise reduction in pauses and the report; mains hum found in the spectrum.

Everything here is decided from the analysis pass (100 ms loudness steps and a few spectra),
so the render needs no look-ahead of its own: the leveler and the noise reduction become one
gain envelope (100 values a second, a file in the cache) that ffmpeg multiplies the recording
with; hum and rumble become a few notch and high-pass filters. All of it streams.

- Speech and pauses: the recording's noise floor is the level its quietest steps keep coming
  back to; steps 6 dB above it are speech, pauses shorter than 0.4 s are part of the phrase
  around them (a breath between words is not a pause).
- Leveling: every stretch of speech is brought to the loudness of the recording's speech, from
  its loudness over a few seconds and only inside a phrase, so a quiet guest and a close host
  end up alike, while within a phrase nothing is compressed (laughter and emphasis stay) and the
  gain only changes in pauses or slowly.
- Noise reduction: pauses are lowered by `noise_reduction_db` (a downward expander that knows
  where the pauses are, with its threshold learned from the pauses themselves). Speech itself
  is never filtered, so it cannot sound "underwater"; the noise under speech stays.
- Hum: the averaged spectrum shows mains hum as lines at 50 or 60 Hz and their multiples,
  far above the spectrum around them; only the lines found are notched out.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from podcast.audio.meter import integrated_loudness

Samples = npt.NDArray[np.float64]

STEP_S = 0.1  # the meter's loudness steps
ENVELOPE_RATE = 100  # gain values per second in the envelope file
ENVELOPE_FORMAT = ("-f", "f32le", "-ar", str(ENVELOPE_RATE), "-ac", "1")

SPEECH_ABOVE_FLOOR_DB = 6.0
SPEECH_GOES_ON_DB = 3.0
SHORTEST_PAUSE_S = 0.4
PRE_ROLL_S = 0.1  # the gain is up before a phrase starts ...
HANGOVER_S = 0.2  # ... and stays up while it fades out
LEVELING_WINDOW_S = 5.0
GAIN_SMOOTHING_S = 1.0
RAMP_S = 0.05
MAX_RAISE_DB = 20.0
MAX_CUT_DB = 12.0
SILENT_LUFS = -100.0  # digital silence, as far as the analysis is concerned
SILENCE_GATE_LUFS = -70.0  # BS.1770's absolute gate: quieter pauses count as silent
# Below this contrast between speech and the quietest steps there are no pauses to speak of
# (a continuous crowd, noise as loud as the quiet speaker): the pauses are left alone.
LEAST_CONTRAST_DB = 10.0
# A sound whose 100 ms loudness spreads less than this (5th to 95th percentile) is steady
# (music, a tone, noise), not speech: it is left alone.
LEAST_SPEECH_SPREAD_DB = 6.0
# The noise in a pause is lowered at most to this far below the noise under the speech either
# side of it, so the room does not audibly breathe at each turn.
BED_STEP_DB = 4.0

HUM_FREQUENCIES = (50, 60)
HUM_HARMONICS = 10  # every mains harmonic up to the 10th
HUM_LINE_DB = 12.0  # a fundamental (or its double) this far above its neighbourhood is hum
HUM_HARMONIC_DB = 8.0  # and so is each multiple this far above its own
HUM_SPECTRA_EVERY = 5  # one spectrum of a second from every fifth stretch (of two seconds)


@dataclass(frozen=True)
class SoundSettings:
    """What is done to one recording (the show's [audio] settings, or the recording's own)."""

    level_speech: bool = True
    noise_reduction_db: float = 12.0
    hum_removal: bool = True
    highpass_hz: float = 70.0

    @property
    def needs_envelope(self) -> bool:
        return self.level_speech or self.noise_reduction_db > 0


@dataclass(frozen=True)
class Hum:
    """Mains hum found in a recording: the fundamental and each line to remove (Hz)."""

    fundamental: float
    lines: tuple[float, ...]
    level_dbfs: float  # of the strongest line


@dataclass(frozen=True)
class SoundReport:
    """What the analysis found and what the processing does (dB relative to the speech)."""

    pauses: str  # "noisy", "silent" (digital silence) or "none" (continuous sound)
    noise_floor_before_db: float
    noise_floor_after_db: float
    speaker_gap_before_lu: float
    speaker_gap_after_lu: float
    speech_share: float
    hum: Hum | None
    hum_removed: bool
    processed_lufs: float  # the recording's loudness after the envelope
    peak_raise_db: float  # how much higher the envelope takes the sample peak (>= 0)
    note: str = ""  # why speech and pauses could not be told apart (a build warning)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SoundReport:
        hum = data.get("hum")
        fields = {**data, "hum": None}
        if hum is not None:
            fields["hum"] = Hum(hum["fundamental"], tuple(hum["lines"]), hum["level_dbfs"])
        return cls(**fields)

    def describe(self) -> str:
        """One line for the build's report and `podcast info`."""
        if self.hum is None:
            hum = "no hum"
        else:
            lines = ", ".join(f"{line:.0f}" for line in self.hum.lines)
            action = "removed" if self.hum_removed else "left in"
            hum = (
                f"{self.hum.fundamental:.0f} Hz hum at {self.hum.level_dbfs:.0f} dBFS "
                f"({lines} Hz) {action}"
            )
        if self.pauses == "noisy":
            noise = (
                f"noise floor {self.noise_floor_before_db:.0f} -> "
                f"{self.noise_floor_after_db:.0f} dB below speech"
            )
        elif self.pauses == "silent":
            noise = "silent pauses"
        elif self.pauses == "unclear":
            noise = "pauses not told from speech: leveled, noise left alone"
        else:
            noise = "no speech found (a steady sound): noise and levels left alone"
        return (
            f"{noise}, speaker gap {self.speaker_gap_before_lu:.1f} -> "
            f"{self.speaker_gap_after_lu:.1f} LU, {hum}"
        )


class SoundObserver:
    """Fed the stretches of a recording as they are decoded (beside the loudness meter):
    keeps the sample peak of every 100 ms step, and the low end of the power spectra of
    one-second windows spread over the recording (1 Hz resolution), for `hum`."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._step = rate // 10
        self._peaks: list[Samples] = []
        self._carry: npt.NDArray[Any] | None = None
        self._full_scale = 1.0
        self._window = np.hanning(rate)
        self._bins = min(rate // 2 + 1, max(HUM_FREQUENCIES) * HUM_HARMONICS + 16)
        self._spectra: list[Samples] = []
        self._count = 0
        self._stretches = 0

    def feed(self, frames: npt.NDArray[Any], full_scale: float) -> None:
        """Note the peaks of the stretch `frames` (count x channels); take the spectrum of
        the first second of every fifth stretch (and of the first dozen)."""
        self._full_scale = full_scale
        joined = frames if self._carry is None else np.concatenate([self._carry, frames])
        whole = joined.shape[0] - joined.shape[0] % self._step
        if whole:  # a stretch shorter than a step (a file's last) only adds to the carry
            blocks = joined[:whole].reshape(whole // self._step, -1)
            highest = blocks.max(axis=1).astype(np.float64)
            lowest = blocks.min(axis=1).astype(np.float64)
            self._peaks.append(np.maximum(highest, -lowest) / full_scale)
        self._carry = joined[whole:].copy()
        self._stretches += 1
        if frames.shape[0] < self.rate:
            return
        if self._count >= 12 and (self._stretches - 1) % HUM_SPECTRA_EVERY:
            return
        mono = frames[: self.rate].astype(np.float64).mean(axis=1) / full_scale
        spectrum = np.fft.rfft(mono * self._window)[: self._bins]
        self._spectra.append(spectrum.real**2 + spectrum.imag**2)
        self._count += 1

    def step_peaks(self) -> Samples:
        """The sample peak (linear, full scale 1) of every whole 100 ms step."""
        return np.concatenate(self._peaks) if self._peaks else np.zeros(0)

    def hum(self) -> Hum | None:
        """Mains hum, if the median of the spectra shows it: voices move their harmonics from
        one window to the next, hum stays."""
        if self._count == 0:
            return None
        power = np.median(np.stack(self._spectra), axis=0)
        best: tuple[float, float, list[float], float] | None = None
        for fundamental in HUM_FREQUENCIES:
            found, strongest, prominence_of = [], -math.inf, {}
            estimate = _refine(power, fundamental)
            for harmonic in range(1, HUM_HARMONICS + 1):
                frequency = estimate * harmonic
                prominence, level = _line(power, frequency, self.rate)
                prominence_of[harmonic] = prominence
                if prominence >= HUM_HARMONIC_DB:
                    found.append(round(frequency, 2))
                    strongest = max(strongest, level)
            strong = sum(p >= HUM_LINE_DB for p in prominence_of.values())
            # The fundamental (or its double) stands out, or, where a phone's band took
            # them away, two multiples stand out as far.
            fundamental_stands_out = max(prominence_of[1], prominence_of[2]) >= HUM_LINE_DB
            if len(found) < 2 or not (fundamental_stands_out or strong >= 2):
                continue
            score = prominence_of[1] + prominence_of[2] + prominence_of[3]
            if best is None or score > best[0]:
                best = (score, estimate, found, strongest)
        if best is None:
            return None
        return Hum(round(best[1], 2), tuple(best[2]), round(best[3], 1))


def _refine(power: Samples, near: int) -> float:
    """The frequency of the strongest bin within 1 Hz of `near`, between bins (parabolic)."""
    index = max(range(near - 1, near + 2), key=lambda i: power[i])
    left, centre, right = (math.log(power[i] + 1e-30) for i in (index - 1, index, index + 1))
    bend = left - 2 * centre + right
    shift = 0.5 * (left - right) / bend if bend < 0 else 0.0
    return index + max(-0.5, min(0.5, shift))


def _line(power: Samples, frequency: float, rate: int) -> tuple[float, float]:
    """How far a spectral line stands above its neighbourhood (dB), and its level (dBFS of
    a sine's peak)."""
    centre = round(frequency)
    if centre + 11 > power.size:
        return 0.0, -math.inf
    peak = float(power[centre - 1 : centre + 2].max())
    around = np.concatenate([power[centre - 10 : centre - 2], power[centre + 3 : centre + 11]])
    floor = float(np.median(around)) + 1e-30
    # A sine of amplitude A through a Hann window of N samples: |X| = A N / 4.
    amplitude = 4 * math.sqrt(peak) / rate
    return 10 * math.log10(peak / floor + 1e-30), 20 * math.log10(amplitude + 1e-12)


def _loudness(energy: Samples) -> Samples:
    """Loudness (LUFS) of mean squares, digital silence at SILENT_LUFS."""
    with np.errstate(divide="ignore"):
        return np.maximum(SILENT_LUFS, -0.691 + 10 * np.log10(energy))


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) of each run of True in `mask`, end exclusive."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _steps(seconds: float) -> int:
    return max(1, round(seconds / STEP_S))


def noise_floor(loudness: Samples) -> float | None:
    """The level (LUFS) a recording's pauses keep coming back to, if it has pauses.

    Stationary noise (room tone, hiss) measures within a decibel or two from one 100 ms
    step to the next, so the pauses of a recording show as a narrow peak at the low end of
    the histogram of its steps; speech spreads over 30 dB and has no such peak. Without one
    (continuous talk, music) there are no pauses to tell apart, and None is returned.
    """
    if loudness.size < 20:
        return None
    median = float(np.median(loudness))
    bins = np.arange(SILENT_LUFS - 0.5, median + 1.5, 1.0)
    if bins.size < 3:
        return None
    counts, edges = np.histogram(loudness, bins)
    smooth = np.convolve(counts, np.ones(3), mode="same")
    floor = float(edges[int(np.argmax(smooth))] + 0.5)
    near = float(np.mean(np.abs(loudness - floor) <= 1.5))
    above = float(np.mean(np.abs(loudness - floor - 6) <= 1.5))
    speech_level = float(np.percentile(loudness, 90))
    if near < 0.04 or near < 2 * above or speech_level - floor < LEAST_CONTRAST_DB:
        return None
    return floor


def speech_steps(
    energies: Samples, floor: float | None = None
) -> tuple[npt.NDArray[np.bool_], float] | None:
    """Which 100 ms steps belong to phrases of speech, and the noise floor (LUFS, found
    unless given); None when the recording has no pauses to tell speech from (too short,
    continuous sound)."""
    loudness = _loudness(energies)
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
    for start, end in _runs(going_on):
        if speech[start:end].any():
            speech[start:end] = True
    # Short gaps belong to the phrase; then the phrase is widened a little on both sides.
    shortest = _steps(SHORTEST_PAUSE_S)
    for start, end in _runs(~speech):
        if end - start < shortest and start > 0 and end < speech.size:
            speech[start:end] = True
    widened = speech.copy()
    before, after = _steps(PRE_ROLL_S), _steps(HANGOVER_S)
    for start, end in _runs(speech):
        widened[max(0, start - before) : min(speech.size, end + after)] = True
    return widened, floor


def _without_pauses(
    energies: Samples,
) -> tuple[tuple[npt.NDArray[np.bool_], float] | None, str]:
    """Speech whose pauses cannot be told apart (the noise as loud as the quiet speaker,
    a continuous crowd, speech without gaps) is still leveled from its loudness over time,
    in phrases split where it dips to its quietest tenth: (the phrase mask, that level as
    the floor), and why. A steady sound (music, a tone, noise) is not speech: (None, "")."""
    loudness = _loudness(energies)
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


def _phrase_gains(loudness: Samples, talking: npt.NDArray[np.bool_], target: float) -> Samples:
    """Per step of one phrase: the gain (dB) bringing its local loudness to `target`."""
    energy = np.where(talking, 10 ** ((loudness + 0.691) / 10), 0.0)
    half = _steps(LEVELING_WINDOW_S) // 2
    total = _window_sums(energy, half)
    count = _window_sums(talking.astype(np.float64), half)
    with np.errstate(divide="ignore", invalid="ignore"):
        local = -0.691 + 10 * np.log10(total / np.maximum(count, 1e-9))
    if not np.isfinite(local).any():
        return np.zeros(loudness.size)
    local = np.where(np.isfinite(local), local, np.nanmean(local[np.isfinite(local)]))
    gains = np.clip(target - local, -MAX_CUT_DB, MAX_RAISE_DB)
    half = _steps(GAIN_SMOOTHING_S) // 2
    return _window_sums(gains, half) / _window_sums(np.ones(gains.size), half)


def _window_sums(values: Samples, half: int) -> Samples:
    """The sum of `values` over the window of `half` steps either side of each step (cut
    short at the ends)."""
    totals = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(values.size)
    high = np.minimum(values.size, index + half + 1)
    low = np.maximum(0, index - half)
    return np.asarray(totals[high] - totals[low])


def _speaker_gap(levels: list[tuple[float, float]]) -> float:
    """The gap (LU) between the two groups phrase loudness falls into (two-means on
    (loudness, duration)); 0 when one group would hold under a sixth of the speech."""
    if len(levels) < 2:
        return 0.0
    values = np.array([level for level, _ in levels])
    weights = np.array([duration for _, duration in levels])
    low, high = float(values.min()), float(values.max())
    for _ in range(50):
        upper = np.abs(values - high) < np.abs(values - low)
        if upper.all() or not upper.any():
            return 0.0
        low = float(np.average(values[~upper], weights=weights[~upper]))
        high = float(np.average(values[upper], weights=weights[upper]))
    share = float(weights[upper].sum() / weights.sum())
    if min(share, 1 - share) < 1 / 6:
        return 0.0
    return high - low


def shape_sound(
    energies: Samples, peaks: Samples, settings: SoundSettings, hum: Hum | None
) -> tuple[SoundReport, npt.NDArray[np.float32]]:
    """The report and the gain envelope (linear, ENVELOPE_RATE values a second) of a
    recording measured as 100 ms `energies` with their sample `peaks`."""
    loudness = _loudness(energies)
    gains = np.zeros(energies.size)
    found = speech_steps(energies)
    speech_share, floor_before, floor_after, gap_before, gap_after = 1.0, 0.0, 0.0, 0.0, 0.0
    pauses_kind, note = "none", ""
    if found is None:
        found, note = _without_pauses(energies)
        pauses_kind = "none" if found is None else "unclear"
    if found is not None:
        phrases_mask, floor = found
        talking = phrases_mask & (loudness >= floor + SPEECH_ABOVE_FLOOR_DB)
        # The leveler hears the voice without the noise under it: a quiet speaker's loudness
        # is that of all their syllables (not only of the loud ones) less the noise floor's
        # energy, or they would end up quieter than the others.
        noise_energy = 10 ** ((floor + 0.691) / 10) if floor > SILENCE_GATE_LUFS else 0.0
        voiced = phrases_mask & (loudness >= floor + SPEECH_GOES_ON_DB)
        voice = _loudness(np.maximum(energies - noise_energy, 0.1 * energies))
        speech_lufs = integrated_loudness(
            np.maximum(energies - noise_energy, 0.1 * energies)[voiced]
        )
        phrases = _runs(phrases_mask)
        levels, after_levels = [], []
        for start, end in phrases:
            if settings.level_speech:
                gains[start:end] = _phrase_gains(voice[start:end], voiced[start:end], speech_lufs)
            inside = talking[start:end]
            if inside.any():
                energy = energies[start:end][inside]
                level = integrated_loudness(energy)
                after = integrated_loudness(energy * 10 ** (gains[start:end][inside] / 10))
                levels.append((level, float(end - start)))
                after_levels.append((after, float(end - start)))
        gap_before, gap_after = _speaker_gap(levels), _speaker_gap(after_levels)
        # Pauses: the lower gain of the phrases around them, less the noise reduction, but
        # never further below the higher one than BED_STEP_DB (the noise under a raised
        # speaker stays, so lowering the pause beside it more would make the room breathe).
        bounds = [(0, 0), *phrases, (energies.size, energies.size)]
        for (_, end), (start, _) in itertools.pairwise(bounds):
            if start > end:
                neighbours = [gains[end - 1]] if end > 0 else []
                if start < energies.size:
                    neighbours.append(gains[start])
                reduction = 0.0 if pauses_kind == "unclear" else settings.noise_reduction_db
                lowered = min(neighbours, default=0.0) - reduction
                steady = max(neighbours, default=0.0) - BED_STEP_DB
                gains[end:start] = min(max(lowered, steady), min(neighbours, default=0.0))
        pauses = ~phrases_mask
        speech_share = float(phrases_mask.mean())
        processed = energies * 10 ** (gains / 10)
        after_speech = integrated_loudness(processed[talking])
        floor_before = floor - speech_lufs
        if pauses_kind != "unclear":
            pauses_kind = "silent" if floor <= SILENCE_GATE_LUFS else "noisy"
        if pauses.any():
            floor_after = float(np.median(_loudness(processed[pauses]))) - after_speech
        else:
            floor_after = floor_before
    envelope = _envelope(gains)
    processed_lufs = integrated_loudness(energies * 10 ** (gains / 10))
    peak_raise = _peak_raise(peaks, gains)
    report = SoundReport(
        pauses=pauses_kind,
        noise_floor_before_db=round(floor_before, 1),
        noise_floor_after_db=round(floor_after, 1),
        speaker_gap_before_lu=round(gap_before, 1),
        speaker_gap_after_lu=round(gap_after, 1),
        speech_share=round(speech_share, 3),
        hum=hum,
        hum_removed=hum is not None and settings.hum_removal,
        processed_lufs=round(processed_lufs, 2),
        peak_raise_db=round(peak_raise, 2),
        note=note,
    )
    return report, envelope


def _envelope(step_gains: Samples) -> npt.NDArray[np.float32]:
    """100 ms gains (dB) as a linear envelope of ENVELOPE_RATE values a second, with ramps of
    RAMP_S between steps (and one extra second at the end, so it outlasts the audio)."""
    per_step = round(STEP_S * ENVELOPE_RATE)
    steps = step_gains if step_gains.size else np.zeros(1)
    fine = np.repeat(steps, per_step)
    fine = np.concatenate([fine, np.full(ENVELOPE_RATE, fine[-1])])
    ramp = max(1, round(RAMP_S * ENVELOPE_RATE))
    padded = np.pad(fine, (ramp // 2, ramp - 1 - ramp // 2), mode="edge")
    smooth = np.convolve(padded, np.ones(ramp) / ramp, mode="valid")
    return np.asarray(10 ** (smooth / 20), dtype=np.float32)


def _peak_raise(peaks: Samples, gains: Samples) -> float:
    """How much higher (dB, >= 0) the highest sample gets under the step `gains` (each step
    counted at the highest gain of it and its neighbours: the envelope ramps between them)."""
    count = min(peaks.size, gains.size)
    if count == 0 or not (peaks > 0).any():
        return 0.0
    padded = np.pad(gains[:count], 1, mode="edge")
    highest_gain = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    with np.errstate(divide="ignore"):
        levels = 20 * np.log10(peaks[:count])
    return max(0.0, float((levels + highest_gain).max() - levels.max()))


def hum_filters(settings: SoundSettings, hum: Hum | None) -> list[str]:
    """ffmpeg filters for rumble (a high-pass) and for the hum lines found."""
    filters = []
    if settings.highpass_hz > 0:
        filters.append(f"highpass=f={settings.highpass_hz:g}:p=2")
    if hum is not None and settings.hum_removal:
        for number, line in enumerate(hum.lines, start=1):
            # About 2 Hz wide at 50 Hz, wider up the series (the mains frequency wanders).
            width = 1.5 + 0.4 * number
            filters.append(f"bandreject=f={line:.2f}:width_type=h:w={width:.1f}")
    return filters
