"""Mains hum in a recording: the averaged spectrum shows it as lines at 50 or 60 Hz and their
multiples up to the 10th, far above the spectrum around them (over a phone line, whose band
took the fundamental away, two multiples standing out are enough); only the lines found are
notched out (with a high-pass for rumble, `hum_filters`). The spectra are taken during the
analysis pass (audio/sound.py, `SoundObserver`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from podcast.audio.sound import SoundSettings

Samples = npt.NDArray[np.float64]

HUM_FREQUENCIES = (50, 60)
HUM_HARMONICS = 10  # every mains harmonic up to the 10th
HUM_LINE_DB = 12.0  # a fundamental (or its double) this far above its neighbourhood is hum
HUM_HARMONIC_DB = 8.0  # and so is each multiple this far above its own
# The mains frequency stays this close to 50 or 60 Hz (grids hold it within 0.2 Hz, a
# recorder's clock adds a few hundredths): a series of lines further off is a machine's (a
# fan at 118 Hz was reported as "59 Hz hum" by an outside round). Its lines are notched all
# the same (they are steady noise), and named for what they are.
MAINS_TOLERANCE_HZ = 0.6
HUM_SPECTRA_EVERY = 5  # one spectrum of a second from every fifth stretch (of two seconds)


@dataclass(frozen=True)
class Hum:
    """Mains hum found in a recording: the fundamental and each line to remove (Hz)."""

    fundamental: float
    lines: tuple[float, ...]
    level_dbfs: float  # of the strongest line

    @property
    def mains(self) -> bool:
        """Whether the lines are mains hum (else a machine's steady tone: a fan, a motor)."""
        return min(abs(self.fundamental - f) for f in HUM_FREQUENCIES) <= MAINS_TOLERANCE_HZ

    def describe(self, removed: bool) -> str:
        """The report's words for it: what, how loud, its lines and what became of them."""
        lines = ", ".join(f"{line:.0f}" for line in self.lines)
        what = (
            f"{self.fundamental:.0f} Hz hum"
            if self.mains
            else f"a steady {self.lines[0]:.0f} Hz tone (not mains hum: a fan or motor?)"
        )
        action = "removed" if removed else "left in"
        return f"{what} at {self.level_dbfs:.0f} dBFS ({lines} Hz) {action}"


def find_hum(spectra: list[Samples], rate: int) -> Hum | None:
    """Mains hum, if the median of the power `spectra` (1 Hz bins, one-second windows of a
    recording at `rate`) shows it: voices move their harmonics from one window to the next,
    hum stays."""
    if not spectra:
        return None
    power = np.median(np.stack(spectra), axis=0)
    best: tuple[float, float, list[float], float] | None = None
    for fundamental in HUM_FREQUENCIES:
        found, strongest, prominence_of = [], -math.inf, {}
        # The mains frequency is read off the line that stands out most (a phone's band may
        # have taken the fundamental away: a guess from noise, multiplied up the series,
        # would miss the upper lines).
        clearest = max(
            range(1, HUM_HARMONICS + 1),
            key=lambda harmonic: (_line(power, fundamental * harmonic, rate)[0], -harmonic),
        )
        estimate = _refine(power, fundamental * clearest) / clearest
        # once more around that (a machine's line may lie further off than the bin searched)
        estimate = _refine(power, round(estimate * clearest)) / clearest
        for harmonic in range(1, HUM_HARMONICS + 1):
            frequency = estimate * harmonic
            prominence, level = _line(power, frequency, rate)
            prominence_of[harmonic] = prominence
            if prominence >= HUM_HARMONIC_DB:
                found.append(round(frequency, 2))
                strongest = max(strongest, level)
        strong = sum(p >= HUM_LINE_DB for p in prominence_of.values())
        # The fundamental (or its double) stands out, or, where a phone's band took them
        # away, two multiples stand out as far.
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
