"""Interview sound: speech and pauses found once per recording (audio/speech.py), shared by
the speech leveler, the noise reduction in pauses and the report; mains hum found in the
spectrum (audio/hum.py).

Everything here is decided from the analysis pass (100 ms loudness steps and a few spectra),
so the render needs no look-ahead of its own: the leveler and the noise reduction in pauses
become one gain envelope (100 values a second, a file in the cache) that ffmpeg multiplies
the recording with; hum and rumble become a few notch and high-pass filters. All of it
streams.

- Speech and pauses: the recording's noise floor is the level its quietest steps keep coming
  back to; steps 6 dB above it are speech, pauses shorter than 0.4 s are part of the phrase
  around them (a breath between words is not a pause).
- Leveling: every stretch of speech is brought to the loudness of the recording's speech, from
  its loudness over a few seconds and only inside a phrase, so a quiet guest and a close host
  end up alike, while within a phrase nothing is compressed (laughter and emphasis stay) and the
  gain only changes in pauses or slowly.
- Noise reduction: where the leveler raises a voice above the least raised one, the noise
  under it is reduced by as much (spectral: audio/spectral.py), so the room stays at one level;
  what that leaves of the voice is measured and made up for, and a phrase whose voice it
  would take more than MAX_VOICE_LOSS_DB of is spared. Pauses are lowered by
  `noise_reduction_db` (a downward expander that knows where the pauses are), at most
  BED_STEP_DB below the noise under the speech beside them.
- Hum: the averaged spectrum shows mains hum as lines at 50 or 60 Hz and their multiples,
  far above the spectrum around them; only the lines found are notched out.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from podcast.audio.hum import (
    HUM_FREQUENCIES,
    HUM_HARMONICS,
    HUM_SPECTRA_EVERY,
    Hum,
    find_hum,
    hum_filters,
)
from podcast.audio.meter import integrated_loudness, k_weighting
from podcast.audio.pitch import voice_pitches
from podcast.audio.speech import (
    QUIET_NOISE_LUFS,
    SILENCE_GATE_LUFS,
    SILENT_LUFS,
    SPEECH_ABOVE_FLOOR_DB,
    SPEECH_GOES_ON_DB,
    STEP_S,
    Samples,
    histogram_peaks,
    noise_floor,
    runs,
    speech_steps,
    step_loudness,
    steps_of,
    without_pauses,
)

ENVELOPE_RATE = 100  # gain values per second in the envelope file
ENVELOPE_FORMAT = ("-f", "f32le", "-ar", str(ENVELOPE_RATE), "-ac", "1")

LEVELING_WINDOW_S = 5.0
# Inside a phrase, a dip between two stretches of voice this far apart in loudness (over
# TURN_CONTEXT_S either side) is a hand-over from one speaker to another.
TURN_CHANGE_DB = 6.0
TURN_CONTEXT_S = 2.0
# A turn as short as QUICK_TURN_S (a one-sentence reply between two of the other speaker's) is
# one where the loud steps either side differ by QUICK_TURN_CHANGE_DB: the steps within
# LOUD_STEPS_DB of a side's loudest, so a sentence's fading close or the first word's quiet
# lead-in is not taken for another voice (7 dB split one speaker's turn in the corpus; 6 three).
QUICK_TURN_S = 1.0
QUICK_TURN_CHANGE_DB = 8.0
# Or where the voice's pitch either side differs by PITCH_CHANGE_ST semitones (one person's
# pitch moves a few semitones from one second to the next; a man's and a woman's lie about an
# octave apart) and its loudness by VOICE_CHANGE_DB: a guest only 6 dB under the host is told
# from him by her pitch. PITCH_STEPS loud steps with a clear pitch on each side are needed,
# PITCH_AGREEMENT of them near the side's median.
PITCH_CHANGE_ST = 6.0
VOICE_CHANGE_DB = 2.0
PITCH_STEPS = 2
PITCH_AGREEMENT = 2 / 3
# A step whose pitch lies within this of one side's median is that side's voice (a sentence's
# falling close spans several semitones, an octave error twelve).
SAME_VOICE_ST = 5.0
# Two hand-overs told by pitch may lie this close: a reply of one short sentence.
PITCHED_TURN_S = 0.5
LOUD_STEPS_DB = 10.0
GAIN_SMOOTHING_S = 1.0
RAMP_S = 0.05
MAX_RAISE_DB = 20.0
MAX_CUT_DB = 12.0
# The noise in a pause is lowered at most to this far below the noise under the speech either
# side of it, so the room does not audibly breathe at each turn.
BED_STEP_DB = 2.0
# A voice whose noise cannot be reduced is raised this much less (within the 1.5 LU the speaker
# gap may keep), so the room under it rises less.
UNREDUCED_RAISE_CUT_DB = 1.0
# Under speech the leveler raised above the least raised speech, the noise is taken down by as
# much (spectral noise reduction, whole dB), so the noise bed stays where the least raised voice
# has it; at most this much, and only where the raise would make the bed swing.
MAX_SPEECH_DENOISE_DB = 24.0
# The most the noise reduction may take off a voice (made up for by the gain); a phrase that
# would lose more is spared the reduction.
MAX_VOICE_LOSS_DB = 3.0
PAUSE_STEP = -1.0  # a pause in the denoise schedule (no reduction; a place to learn the noise)
# A gated recorder (or app) leaves digital silence between phrases and its noise only under
# them: that noise is the plateau of the quietest steps inside the phrases, where at least
# this share of them lies within GATED_PLATEAU_DB of their quietest twentieth, and their
# quietest tenth does too (a clean recording's quiet steps spread like speech: no plateau).
GATED_PLATEAU_DB = 2.0
GATED_PLATEAU_SHARE = 0.08
GATED_SPEECH_SHARE = 0.5  # and at least this share of them stand clearly above it
# Or, between phrases of digital silence, the lowest level this share of those steps keeps
# to with at most GATED_UNDER_SHARE under it: an outside round's gate opening 3 dB over a white
# room at -48 dBFS (the guest 10 dB over it) was not found, and her room rose 13 dB with her.
# Its four gated recordings: 0.11-0.18 at the floor, 0.03-0.06 under it; the clean ones with
# silent pauses (corpus and that round): 0.17-0.21 under their commonest low level.
GATED_FLOOR_SHARE = 0.1
GATED_UNDER_SHARE = 0.1
# What is left of a step at least, once the hum's share is taken off its energy (an estimate
# of the hum a little too high must not leave a step at nothing).
HUM_RESIDUE = 0.02
# A pause this long (in 100 ms steps) teaches the spectral noise reduction the room's noise.
NOISE_SAMPLE_STEPS = 5
# What the noise reduction leaves of the voices is measured on excerpts, not on the whole
# recording (that would double the render's largest cost): at most LOSS_PHRASES denoised
# phrases, spread over the reduction's strengths and the voices' levels above the noise, each
# from LOSS_LEAD_STEPS before its start for at most LOSS_EXCERPT_STEPS. A phrase not measured
# takes the loss of the measured phrase most like it (strength, voice above the noise).
LOSS_PHRASES = 24
LOSS_EXCERPT_STEPS = 60
LOSS_LEAD_STEPS = 3

# A build warning: a recording that is meant to be speech but holds none is likely a wrong file.
NO_SPEECH_NOTE = (
    "no speech found, only a steady sound (noise, a tone or music: its loudness hardly "
    "changes); it is published as it is at the programme's loudness. If it is the wrong file, "
    "replace it; if it is meant so, set level_speech: false on this recording"
)

# A build warning: a voice that stands only a few dB above the room cannot be told from it
# everywhere (its quieter syllables count as pauses), so it is leveled in pieces. Seen as
# many steps NEAR_ROOM_DB above the noise floor: for one of NEAR_ROOM_SHARES, at least the
# first share of the speech's count and the second of what counts as pauses. Outside
# rounds' guests 2-6 dB over a -40 dBFS room: 0.46-1.05 and 0.17-0.34; every other recording
# of the corpus and of those rounds at most 0.57 and 0.17, and never both over 0.2.
NEAR_ROOM_DB = (2.0, SPEECH_ABOVE_FLOOR_DB)
NEAR_ROOM_SHARES = ((0.5, 0.1), (0.3, 0.2))
NEAR_ROOM_NOTE = (
    "a voice stands only a few dB above the room's noise ({share:.0%} of the pauses lie "
    "2-6 dB above the noise floor): it cannot be told from the room everywhere, so it may "
    "stay quieter than the others and its room may rise with it; record that speaker closer "
    "to the microphone, or in a quieter room"
)


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
class SoundReport:
    """What the analysis found and what the processing does (dB relative to the speech)."""

    # "noisy", "silent" (digital silence), "gated" (digital silence, noise under speech),
    # "unclear" (not told from speech) or "none" (continuous sound)
    pauses: str
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
    # The most the noise under raised speech is reduced (dB; 0: no spectral noise reduction).
    speech_denoise_db: float = 0.0
    noise_dbfs: float = -70.0  # the level of the noise in the pauses

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
        hum = "no hum" if self.hum is None else self.hum.describe(self.hum_removed)
        if self.pauses in ("noisy", "gated"):
            what, below = (
                ("noise floor", "below speech")
                if self.pauses == "noisy"
                else ("gated (silent pauses), noise under speech", "below it")
            )
            noise = (
                f"{what} {self.noise_floor_before_db:.0f} -> "
                f"{self.noise_floor_after_db:.0f} dB {below}"
            )
            if self.speech_denoise_db > 0:
                noise += f" (under raised speech up to {self.speech_denoise_db:.0f} dB less noise)"
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
    keeps the sample peak and the voice's pitch of every 100 ms step, and the low end of the
    power spectra of one-second windows spread over the recording (1 Hz resolution), for
    `hum`."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._step = rate // 10
        self._peaks: list[Samples] = []
        self._pitches: list[Samples] = []
        self._carry: npt.NDArray[Any] | None = None
        self._full_scale = 1.0
        self._window = np.hanning(rate)
        self._bins = min(rate // 2 + 1, max(HUM_FREQUENCIES) * HUM_HARMONICS + 16)
        self._spectra: list[Samples] = []
        self._count = 0
        self._stretches = 0
        self.same_channels = True  # until two channels differ in one sample
        self._channels = 1

    def feed(self, frames: npt.NDArray[Any], full_scale: float) -> None:
        """Note the peaks of the stretch `frames` (count x channels); take the spectrum of
        the first second of every fifth stretch (and of the first dozen)."""
        self._full_scale = full_scale
        self._channels = frames.shape[1] if frames.ndim == 2 else 1
        if self.same_channels and frames.ndim == 2 and frames.shape[1] == 2:
            self.same_channels = bool(np.array_equal(frames[:, 0], frames[:, 1]))
        joined = frames if self._carry is None else np.concatenate([self._carry, frames])
        whole = joined.shape[0] - joined.shape[0] % self._step
        if whole:  # a stretch shorter than a step (a file's last) only adds to the carry
            blocks = joined[:whole].reshape(whole // self._step, -1)
            highest = blocks.max(axis=1).astype(np.float64)
            lowest = blocks.min(axis=1).astype(np.float64)
            self._peaks.append(np.maximum(highest, -lowest) / full_scale)
            # (the channels summed, not averaged: the pitch does not care, and it is cheaper)
            steps = blocks.reshape(whole // self._step, self._step, -1)
            mono = steps[:, :, 0] if steps.shape[2] == 1 else steps.sum(axis=2)
            self._pitches.append(voice_pitches(mono, self.rate))
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

    def step_pitches(self) -> Samples:
        """The voice's pitch (Hz, 0: none clear) in every whole 100 ms step (pitch.py)."""
        return np.concatenate(self._pitches) if self._pitches else np.zeros(0)

    def hum(self) -> Hum | None:
        """Mains hum, if the median of the spectra shows it: voices move their harmonics from
        one window to the next, hum stays."""
        return find_hum(self._spectra, self.rate)

    def without_hum(self, energies: Samples, hum: Hum) -> Samples:
        """The step `energies` (Meter.step_energies) less the hum lines' share, as they will
        sound once the lines are notched out: where the hum stands above the room, the
        quiet voices are told from the room, not from the hum (a phone line over a humming
        line). Each line's power comes from the median spectrum (its main lobe: a Hann
        window's three bins hold 1.5 times the centre's power), K-weighted like the meter."""
        if not self._spectra or not hum.lines:
            return energies
        power = np.median(np.stack(self._spectra), axis=0)
        sections = k_weighting(self.rate)
        removed = 0.0
        for line in hum.lines:
            centre = round(line)
            if centre + 3 > power.size:
                continue
            lobe = float(power[centre - 2 : centre + 3].sum()) / 1.5
            # A sine of amplitude A through a Hann window of N samples: |X| = A N / 4, and
            # its mean square is A^2 / 2.
            mean_square = (4 * math.sqrt(lobe) / self.rate) ** 2 / 2
            turn = np.exp(-2j * np.pi * line / self.rate)
            weight = 1.0
            for b0, b1, b2, a0, a1, a2 in sections:
                response = (b0 + b1 * turn + b2 * turn**2) / (a0 + a1 * turn + a2 * turn**2)
                weight *= abs(response) ** 2
            removed += mean_square * weight * self._channels
        return np.asarray(np.maximum(energies - removed, HUM_RESIDUE * energies))


def _phrase_gains(loudness: Samples, talking: npt.NDArray[np.bool_], target: float) -> Samples:
    """Per step of one phrase: the gain (dB) bringing its local loudness to `target`."""
    energy = np.where(talking, 10 ** ((loudness + 0.691) / 10), 0.0)
    half = steps_of(LEVELING_WINDOW_S) // 2
    total = _window_sums(energy, half)
    count = _window_sums(talking.astype(np.float64), half)
    with np.errstate(divide="ignore", invalid="ignore"):
        local = -0.691 + 10 * np.log10(total / np.maximum(count, 1e-9))
    if not np.isfinite(local).any():
        return np.zeros(loudness.size)
    local = np.where(np.isfinite(local), local, np.nanmean(local[np.isfinite(local)]))
    gains = np.clip(target - local, -MAX_CUT_DB, MAX_RAISE_DB)
    half = steps_of(GAIN_SMOOTHING_S) // 2
    return _window_sums(gains, half) / _window_sums(np.ones(gains.size), half)


def _pitched_sides(
    voice: Samples, audible: npt.NDArray[np.bool_], pitches: Samples, sides: tuple[slice, slice]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """On each of two `sides`: the median pitch (semitones) of the `audible` steps (clear of
    the room, whose own sound can have a pitch: a brown room through a phone's band) within
    LOUD_STEPS_DB of the side's loudest that have a clear pitch, and the loudness (LUFS) of
    those near that median (the other person's first or last words within the side's reach
    do not count). None without PITCH_STEPS such steps on a side, or where under
    PITCH_AGREEMENT of them lie within SAME_VOICE_ST of its median."""
    tones, levels = [], []
    for side in sides:
        if not audible[side].any():
            return None
        # The loud steps only: a fading tail's pitch is the room's as much as the voice's.
        loudest = float(voice[side][audible[side]].max())
        heard = audible[side] & (pitches[side] > 0) & (voice[side] >= loudest - LOUD_STEPS_DB)
        if heard.sum() < PITCH_STEPS:
            return None
        semitones = 12 * np.log2(pitches[side][heard])
        median = float(np.median(semitones))
        own = voice[side][heard][np.abs(semitones - median) <= SAME_VOICE_ST]
        # A side whose pitch scatters (a phone line's band without the fundamental, octave
        # errors, two voices half the steps each) tells nothing.
        if own.size < PITCH_AGREEMENT * semitones.size:
            return None
        tones.append(median)
        levels.append(10 * math.log10(float(np.mean(10 ** ((own + 0.691) / 10)))))
    return (tones[0], tones[1]), (levels[0], levels[1])


def _turns(
    phrase: tuple[int, int],
    voice: Samples,
    voiced: npt.NDArray[np.bool_],
    audible: npt.NDArray[np.bool_],
    pitches: Samples | None = None,
) -> list[tuple[int, int]]:
    """A phrase split where one voice hands over to another without a pause: at a dip inside
    it (steps not `audible`, or a step quieter than both its neighbours: a hand-over shorter
    than a step leaves no quiet step) whose voiced steps TURN_CONTEXT_S either side differ by
    TURN_CHANGE_DB or more in loudness (`voice`, LUFS per step), or whose loud steps
    QUICK_TURN_S either side differ by QUICK_TURN_CHANGE_DB, or by VOICE_CHANGE_DB where the
    voice's pitch (`pitches`, Hz per step, 0 where none is clear) changes by PITCH_CHANGE_ST
    semitones. The one of largest change is moved to the dip within a second of it where
    the voices change (by their pitch where it tells them apart, else by loudness), then the
    next; turns keep TURN_CONTEXT_S between their edges, QUICK_TURN_S where both edges are
    quick changes, PITCHED_TURN_S where one of those is told by pitch. The dip goes with the
    turn after it."""
    start, end = phrase
    context, quick = steps_of(TURN_CONTEXT_S), steps_of(QUICK_TURN_S)
    dips = {start + (low + high) // 2 for low, high in runs(~audible[start:end])}
    inner = voice[start + 1 : end - 1]
    lowest = (inner <= voice[start : end - 2]) & (inner <= voice[start + 2 : end])
    dips.update(int(i) + start + 1 for i in np.flatnonzero(lowest))

    def change(cut: int, reach: int, loud_only: bool = False) -> float | None:
        """How far the voices `reach` steps before and after `cut` differ (dB); `loud_only`:
        on each side's steps within LOUD_STEPS_DB of its loudest."""
        sides = []
        for a, b in ((max(start, cut - reach), cut), (cut, min(end, cut + reach))):
            steps = voiced[a:b]
            if not steps.any():
                return None
            levels = voice[a:b][steps]
            if loud_only:
                levels = levels[levels >= levels.max() - LOUD_STEPS_DB]
            energy = 10 ** ((levels + 0.691) / 10)
            sides.append(10 * math.log10(energy.mean()))
        return abs(sides[0] - sides[1])

    def told_by_pitch(cut: int) -> bool:
        """Whether the voices QUICK_TURN_S either side of `cut` (_pitched_sides) differ by
        PITCH_CHANGE_ST in pitch and VOICE_CHANGE_DB in loudness: another person."""
        if pitches is None:
            return False
        around = (slice(max(start, cut - quick), cut), slice(cut, min(end, cut + quick)))
        found = _pitched_sides(voice, audible, pitches, around)
        if found is None:
            return False
        (before, after), (first, second) = found
        return abs(before - after) >= PITCH_CHANGE_ST and abs(first - second) >= VOICE_CHANGE_DB

    def sharpness(cut: int) -> int:
        """2 where the voices' pitch and loudness change at `cut`, 1 where their loudness
        changes by QUICK_TURN_CHANGE_DB over QUICK_TURN_S, else 0."""
        if told_by_pitch(cut):
            return 2
        if not start + quick <= cut <= end - quick:
            return 0
        found = change(cut, quick, loud_only=True)
        return 1 if found is not None and found >= QUICK_TURN_CHANGE_DB else 0

    candidates = []  # (change, dip), in the order of the dips
    # A turn lasts TURN_CONTEXT_S, or QUICK_TURN_S where the voices change sharply: a
    # sentence's quiet close or a room's reverberation after the last word is not the next
    # speaker.
    for cut in sorted(dips):
        found = change(cut, context) if start + context <= cut <= end - context else None
        if found is not None and found >= TURN_CHANGE_DB:
            candidates.append((found, cut))
        elif sharpness(cut):
            candidates.append((change(cut, quick, loud_only=True) or 0.0, cut))
    places = [cut for _, cut in candidates]
    cuts: list[tuple[int, int]] = []  # (dip, its sharpness)
    pitched = steps_of(PITCHED_TURN_S)

    def apart(cut: int, sharp: int) -> bool:
        def spacing(other_sharp: int) -> int:
            if min(sharp, other_sharp) == 0:
                return context
            return pitched if max(sharp, other_sharp) == 2 else quick

        return all(abs(cut - other) >= spacing(other_sharp) for other, other_sharp in cuts)

    def misplaced(around: list[int]) -> dict[int, int]:
        """For each dip in `around`: how many steps near them have the pitch of the voice on
        its other side, where the voices before the first dip and after the last differ in
        pitch by PITCH_CHANGE_ST (else none)."""
        if pitches is None:
            return {}
        low, high = max(start, around[0] - quick), min(end, around[-1] + quick)
        found = _pitched_sides(
            voice, audible, pitches, (slice(low, around[0]), slice(around[-1], high))
        )
        if found is None or abs(found[0][0] - found[0][1]) < PITCH_CHANGE_ST:
            return {}
        (before, after), _ = found
        low, high = max(start, around[0] - close), min(end, around[-1] + close)
        steps = np.flatnonzero(audible[low:high] & (pitches[low:high] > 0)) + low
        tones = 12 * np.log2(pitches[steps])
        later = np.abs(tones - after) < np.abs(tones - before)
        # Only the loud steps of each voice count: a reverberant tail's odd pitch does not.
        levels = voice[steps]
        loud = np.zeros(steps.size, dtype=bool)
        for side in (later, ~later):
            if side.any():
                loud |= side & (levels >= levels[side].max() - LOUD_STEPS_DB)
        return {
            at: int((loud & later)[steps < at].sum() + (loud & ~later)[steps >= at].sum())
            for at in around
        }

    # The largest change finds a hand-over; where exactly it lies is the dip within a second
    # of it across which the voices change most over half a second (the room between them,
    # not a pause between the next speaker's first words), the quieter of equals; unless
    # none of them changes as sharply as a quick turn, and pitch tells the voices either
    # side apart: then where the pitch changes from one to the other (a host's reverberant
    # last word and a quiet guest's first are alike in loudness).
    near, close = steps_of(1.0), steps_of(0.5)
    for _, found in sorted(candidates, reverse=True):
        if not apart(found, sharpness(found)):
            continue
        first, last = (
            bisect.bisect_left(places, found - near),
            bisect.bisect_right(places, found + near),
        )
        around = places[first:last]
        changes = {at: round(change(at, close) or 0.0) for at in around}
        # A step in loudness as sharp as a quick turn's tells the place; else the pitch.
        wrong = misplaced(around) if max(changes.values()) < QUICK_TURN_CHANGE_DB else {}
        # Of places alike in pitch, a quiet step between them (a real gap) before a dip.
        gap = {at: bool(wrong) and not audible[at] for at in around}
        cut = max(around, key=lambda at: (-wrong.get(at, 0), gap[at], changes[at], -voice[at]))
        sharp = sharpness(cut)
        if apart(cut, sharp):
            cuts.append((cut, sharp))
    edges = [start, *sorted(cut for cut, _ in cuts), end]
    return list(itertools.pairwise(edges))


def _window_sums(values: Samples, half: int) -> Samples:
    """The sum of `values` over the window of `half` steps either side of each step; near the
    ends the window keeps its length and moves inward instead of being cut short (a window
    cut short hears only a sentence's quiet last words and raises the gain at every phrase's
    end)."""
    totals = np.concatenate([[0.0], np.cumsum(values)])
    width = min(values.size, 2 * half + 1)
    low = np.clip(np.arange(values.size) - half, 0, values.size - width)
    return np.asarray(totals[low + width] - totals[low])


def _speaker_gap(levels: list[tuple[float, float]]) -> float:
    """The gap (LU) between the two groups phrase loudness falls into (two-means on
    (loudness, duration)); 0 when one group would hold under a sixth of the speech. Turns
    at the silence gate (nothing but the room in them) are left out: as a group of their own
    they made the voices one group, and a 16 LU gap read 0.0."""
    levels = [(level, duration) for level, duration in levels if level > SILENCE_GATE_LUFS]
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


@dataclass(frozen=True)
class ShapedSound:
    """What the analysis decided for a recording: the report, the gain envelope (linear,
    ENVELOPE_RATE values a second) and the denoise schedule (per 100 ms step: the spectral
    noise reduction in dB under speech, PAUSE_STEP in pauses; empty: none)."""

    report: SoundReport
    envelope: npt.NDArray[np.float32]
    denoise: npt.NDArray[np.float32]


def _spared_room(
    gains: Samples, unreduced: npt.NDArray[np.bool_], talking: npt.NDArray[np.bool_]
) -> Samples:
    """`gains` with the steps whose noise stays (`unreduced`: no pause to learn the noise from,
    or a phrase spared the reduction) raised up to UNREDUCED_RAISE_CUT_DB less where they are
    raised more than BED_STEP_DB above the least raised voice: the room rises with such a voice,
    and this spends part of the speaker-gap allowance on a steadier room."""
    reference = float(np.percentile(gains[talking], 5))
    over = np.clip(gains - reference - BED_STEP_DB, 0.0, UNREDUCED_RAISE_CUT_DB)
    return np.asarray(np.where(unreduced, gains - over, gains))


def _near_room_share(
    loudness: Samples,
    phrases_mask: npt.NDArray[np.bool_],
    talking: npt.NDArray[np.bool_],
    floor: float,
) -> float | None:
    """The share of the pauses that lie NEAR_ROOM_DB above the noise `floor`, where a voice
    seems to sit so close to the room that it is taken for pauses (see NEAR_ROOM_NOTE); None
    where nothing says so."""
    if floor <= QUIET_NOISE_LUFS or not talking.any():
        return None
    near = (loudness >= floor + NEAR_ROOM_DB[0]) & (loudness < floor + NEAR_ROOM_DB[1])
    pauses = ~phrases_mask
    in_pauses = float((near & pauses).sum() / max(int(pauses.sum()), 1))
    share = float(near.sum() / talking.sum())
    if any(share >= speech and in_pauses >= quiet for speech, quiet in NEAR_ROOM_SHARES):
        return in_pauses
    return None


def _gated_noise(loudness: Samples, phrases_mask: npt.NDArray[np.bool_]) -> float | None:
    """The level (LUFS) of the noise under the phrases of a recording whose pauses are digital
    silence (a gated recorder), from the quietest steps inside them (one step in from their
    edges, where the gate opens and closes), when they form a plateau (GATED_PLATEAU_*) or,
    failing that (between phrases of digital silence), a floor they return to as a room's
    pauses do (speech.noise_floor); None for a clean recording (its quiet steps are mostly
    speech: GATED_SPEECH_SHARE)."""
    inner = phrases_mask.copy()
    inner[1:] &= phrases_mask[:-1]
    inner[:-1] &= phrases_mask[1:]
    levels = loudness[inner & (loudness > SILENCE_GATE_LUFS)]
    if levels.size < 1 / GATED_PLATEAU_SHARE:
        return None
    lowest, tenth = np.percentile(levels, [5, 10])
    plateau = levels[np.abs(levels - lowest) <= GATED_PLATEAU_DB]
    if tenth - lowest <= GATED_PLATEAU_DB and plateau.size >= GATED_PLATEAU_SHARE * levels.size:
        noise: float | None = float(np.median(plateau))
    elif (~phrases_mask).any() and np.median(loudness[~phrases_mask]) <= SILENT_LUFS:
        # Noise far under the voices fills few steps inside the phrases, and the gate's edges
        # spread the quietest ones: its level is then the floor those steps keep returning to.
        # Only between phrases of digital silence: a room's noise just under the silence gate
        # (a phone line's band over brown noise) is no gate, and its phrases hold no floor.
        noise = _floor_with_nothing_under(levels)
        if noise is None:
            noise = noise_floor(levels)
        # (a floor with much under it is a voice's level: a clean recording's reverberant
        # decays spread its phrases' quiet steps far below their commonest levels)
        if noise is not None and np.mean(levels < noise - 3.0) > GATED_UNDER_SHARE:
            noise = None
    else:
        noise = None
    if noise is None:
        return None
    # Speech stands above its noise in most of a phrase (a steady tone is a plateau of its own)
    if np.mean(levels >= noise + SPEECH_ABOVE_FLOOR_DB) < GATED_SPEECH_SHARE:
        return None
    return noise


def _floor_with_nothing_under(levels: Samples) -> float | None:
    """The level (LUFS) of a gate's noise inside its phrases where a voice stands close above
    it (its quiet syllables fill the steps above the noise as often as the noise does, so no
    narrow peak stands out): the lowest histogram peak (1 dB bins) that holds GATED_FLOOR_SHARE
    of the steps within 1.5 dB, with at most GATED_UNDER_SHARE of them more than 3 dB under it
    (a gate's noise is the least its phrases hold; a clean recording's decays and quiet
    syllables reach far below its commonest levels)."""
    for peak in histogram_peaks(levels, math.floor(float(levels.min()))):
        if np.mean(np.abs(levels - peak) <= 1.5) >= GATED_FLOOR_SHARE:
            return peak if np.mean(levels < peak - 3.0) <= GATED_UNDER_SHARE else None
    return None


def _speech_denoise(
    gains: Samples, phrases_mask: npt.NDArray[np.bool_], talking: npt.NDArray[np.bool_]
) -> Samples:
    """Per step, how far (dB) to reduce the noise under speech so that the noise under every
    voice stays where the least raised one has it (zeros where the raise stays within the bed
    step anyway)."""
    reference = float(np.percentile(gains[talking], 5))
    wanted = np.where(phrases_mask, np.clip(gains - reference, 0.0, MAX_SPEECH_DENOISE_DB), 0.0)
    wanted = np.round(wanted)
    if wanted.max() < BED_STEP_DB:
        return np.zeros(gains.size)
    return np.asarray(wanted)


def shape_sound(
    energies: Samples,
    peaks: Samples,
    settings: SoundSettings,
    hum: Hum | None,
    denoised: Samples | None = None,
    pitches: Samples | None = None,
) -> ShapedSound:
    """What to do with a recording measured as 100 ms `energies` with their sample `peaks`.

    `denoised`: the same recording's energies measured through its hum filters and the denoise
    schedule a first call returned; each denoised phrase then gets back what the reduction
    took off its voice, and the report's levels after come from this measurement.
    `pitches`: the voice's pitch in each step (SoundObserver.step_pitches), which tells
    speakers apart where their loudness is close."""
    if pitches is not None:
        pitches = np.pad(pitches[: energies.size], (0, max(0, energies.size - pitches.size)))
    loudness = step_loudness(energies)
    gains = np.zeros(energies.size)
    denoise = np.zeros(energies.size)
    noise_energy = 0.0
    floor_dbfs = SILENCE_GATE_LUFS
    measured = energies
    found = speech_steps(energies)
    speech_share, floor_before, floor_after, gap_before, gap_after = 1.0, 0.0, 0.0, 0.0, 0.0
    pauses_kind, note = "none", ""
    if found is None:
        found, note = without_pauses(energies)
        pauses_kind = "none" if found is None else "unclear"
        if found is None and settings.level_speech:
            note = NO_SPEECH_NOTE
    if found is not None:
        phrases_mask, floor = found
        if floor <= SILENCE_GATE_LUFS and pauses_kind != "unclear":
            under_speech = _gated_noise(loudness, phrases_mask)
            if under_speech is not None:
                floor, pauses_kind = under_speech, "gated"
        talking = phrases_mask & (loudness >= floor + SPEECH_ABOVE_FLOOR_DB)
        near_room = _near_room_share(loudness, phrases_mask, talking, floor)
        if pauses_kind == "none" and settings.level_speech and near_room is not None:
            note = NEAR_ROOM_NOTE.format(share=near_room)
        # The leveler hears the voice without the noise under it: a quiet speaker's loudness
        # is that of all their syllables (not only of the loud ones) less the noise floor's
        # energy, or they would end up quieter than the others.
        noise_energy = 10 ** ((floor + 0.691) / 10) if floor > QUIET_NOISE_LUFS else 0.0
        floor_dbfs = max(floor, QUIET_NOISE_LUFS)
        voiced = phrases_mask & (loudness >= floor + SPEECH_GOES_ON_DB)
        voice_energies = np.maximum(energies - noise_energy, 0.1 * energies)
        voice = step_loudness(voice_energies)
        speech_lufs = integrated_loudness(voice_energies[voiced])
        phrases = runs(phrases_mask)
        # Speakers who hand over without a pause share a phrase; the leveler hears each turn
        # on its own (one voice's level does not hold the next one's first words down).
        audible = loudness >= floor + SPEECH_ABOVE_FLOOR_DB
        turns = [t for p in phrases for t in _turns(p, voice, voiced, audible, pitches)]
        if settings.level_speech:
            for start, end in turns:
                gains[start:end] = _phrase_gains(voice[start:end], voiced[start:end], speech_lufs)
        # With noise_reduction_db 0 the pauses keep their room, and under a raised voice only
        # what the raise added to it is taken off (an outside round: without, the room rose
        # 12-14 dB with the raised guest and the pauses after her took her gain).
        noisy = floor > QUIET_NOISE_LUFS
        if noisy and pauses_kind != "unclear" and talking.any():
            denoise = _speech_denoise(gains, phrases_mask, talking)
        measured = _processed(energies, np.zeros(energies.size), denoise, noise_energy)
        if denoised is not None and denoise.any():
            through = np.resize(np.asarray(denoised, dtype=np.float64), energies.size)
            through = _make_up(gains, phrases, voiced, (energies, through), denoise, noise_energy)
            measured = np.where(denoise > 0, through, energies)
        if noisy and settings.level_speech and talking.any():
            gains = _spared_room(gains, phrases_mask & (denoise <= 0), talking)
        levels, after_levels = [], []
        for start, end in turns:
            # A voice that never stands 6 dB above the noise is still leveled on its voiced
            # steps (3 dB above it), and counts in the gap (it read 0.0 -> 0.0 LU without it).
            # As recorded, it is the voice without the room under it (with it, a quiet voice
            # read 1-2 LU louder than ebur128 measures it on its own).
            inside = talking[start:end] if talking[start:end].any() else voiced[start:end]
            if inside.any():
                level = integrated_loudness(voice_energies[start:end][inside])
                after = integrated_loudness(
                    measured[start:end][inside] * 10 ** (gains[start:end][inside] / 10)
                )
                levels.append((level, float(end - start)))
                after_levels.append((after, float(end - start)))
        gap_before, gap_after = _speaker_gap(levels), _speaker_gap(after_levels)
        # What the noise under speech is raised by, after the spectral reduction.
        noise_gains = gains - denoise
        # Pauses: the lower gain of the noise either side, less the noise reduction, but
        # never further below the higher one than BED_STEP_DB (lowering the pause more than
        # the noise beside it went down would make the room breathe).
        bounds = [(0, 0), *phrases, (energies.size, energies.size)]
        for (_, end), (start, _) in itertools.pairwise(bounds):
            if start > end:
                neighbours = [noise_gains[end - 1]] if end > 0 else []
                if start < energies.size:
                    neighbours.append(noise_gains[start])
                reduction = 0.0 if pauses_kind == "unclear" else settings.noise_reduction_db
                lowered = min(neighbours, default=0.0) - reduction
                steady = max(neighbours, default=0.0) - BED_STEP_DB
                gains[end:start] = min(max(lowered, steady), min(neighbours, default=0.0))
        pauses = ~phrases_mask
        speech_share = float(phrases_mask.mean())
        processed = measured * 10 ** (gains / 10)
        after_speech = integrated_loudness(processed[talking])
        floor_before = floor - speech_lufs
        if pauses_kind not in ("unclear", "gated"):
            pauses_kind = "silent" if floor <= QUIET_NOISE_LUFS else "noisy"
        if pauses_kind == "gated" and talking.any():  # the noise under speech, as it went
            floor_after = floor + float(np.median(noise_gains[talking])) - after_speech
        elif pauses.any():
            floor_after = float(np.median(step_loudness(processed[pauses]))) - after_speech
        else:
            floor_after = floor_before
    envelope = _envelope(gains)
    processed_lufs = integrated_loudness(measured * 10 ** (gains / 10))
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
        speech_denoise_db=float(denoise.max(initial=0.0)),
        noise_dbfs=round(floor_dbfs, 1),
    )
    schedule = np.zeros(0, dtype=np.float32)
    if denoise.any():
        # A gated recording's pauses are digital silence, nothing to learn the noise from: the
        # reduction then takes what lies under its floor (the noise level) as the noise.
        between = 0.0 if pauses_kind == "gated" else PAUSE_STEP
        schedule = np.where(phrases_mask, denoise, between).astype(np.float32)
    return ShapedSound(report, envelope, schedule)


def _processed(energies: Samples, gains: Samples, denoise: Samples, noise: float) -> Samples:
    """The step energies after the gains, with the noise energy under speech lowered by the
    spectral reduction."""
    removed = noise * (1 - 10 ** (-denoise / 10))
    return np.asarray(np.maximum(energies - removed, 0.0) * 10 ** (gains / 10))


def loss_excerpts(
    energies: Samples, schedule: npt.NDArray[Any], noise_dbfs: float
) -> list[tuple[int, int]]:
    """The stretches (100 ms steps, end exclusive) of a recording to play through its noise
    reduction (the `schedule` of ShapedSound.denoise) to measure what it leaves of the voices:
    the pause the reduction learns the noise from (as the render's), then up to LOSS_PHRASES
    denoised phrases, each with a short lead, spread evenly over their reduction strength and
    their loudness above the noise (`noise_dbfs`)."""
    if schedule.size == 0:
        return []
    pausing = schedule == PAUSE_STEP
    excerpts = []
    for start, end in runs(pausing):
        if end - start >= NOISE_SAMPLE_STEPS:
            excerpts.append((start, start + NOISE_SAMPLE_STEPS))
            break
    # The phrases: between the pauses, or, where there are none to learn from (a gated
    # recorder's digital silence), wherever the reduction works (else a recording whose
    # first words come after seconds of silence had only that silence measured).
    phrases = runs(~pausing) if pausing.any() else runs(schedule > 0)
    denoised = [(s, e) for s, e in phrases if (schedule[s:e] > 0).any()]
    count = min(energies.size, schedule.size)
    keyed = sorted(
        (
            float(np.median(schedule[s:e][schedule[s:e] > 0])),
            integrated_loudness(energies[s : min(e, count)]) - noise_dbfs,
            s,
            e,
        )
        for s, e in denoised
        if s < count
    )
    if len(keyed) > LOSS_PHRASES:
        chosen = np.unique(np.linspace(0, len(keyed) - 1, LOSS_PHRASES).round().astype(int))
        keyed = [keyed[int(i)] for i in chosen]
    for _, _, start, end in sorted(keyed, key=lambda item: item[2]):
        excerpts.append(
            (max(0, start - LOSS_LEAD_STEPS), min(end, start + LOSS_EXCERPT_STEPS, count))
        )
    return excerpts


def _make_up(
    gains: Samples,
    phrases: list[tuple[int, int]],
    voiced: npt.NDArray[np.bool_],
    measures: tuple[Samples, Samples],
    denoise: Samples,
    noise_energy: float,
) -> Samples:
    """Give each denoised phrase back what the reduction took off its voice (`gains` raised by
    the loss), from the voice's loudness (noise taken off) in the `measures` of the recording
    as it is and through the reduction (NaN where not measured: such a phrase takes the loss
    of the measured phrase most like it in reduction strength and voice above the noise).
    Where the reduction took more than MAX_VOICE_LOSS_DB (the voice hardly stands above the
    noise, or the noise is other voices), the phrase is spared it (its `denoise` set to 0):
    the noise is better left than the voice taken. Returns the measure through the reduction
    with the phrases not measured estimated."""
    before, after = measures
    after = after.copy()
    noise_db = -0.691 + 10 * math.log10(noise_energy) if noise_energy > 0 else SILENCE_GATE_LUFS
    # (start, end, key, loss or None while not measured)
    found: list[tuple[int, int, tuple[float, float], float | None]] = []
    for start, end in phrases:
        steps = voiced[start:end]
        strength = denoise[start:end]
        if not steps.any() or not strength.any():
            continue
        voice = np.maximum(before[start:end] - noise_energy, 0.1 * before[start:end])
        heard = integrated_loudness(voice[steps])
        key = (float(np.median(strength[strength > 0])), heard - noise_db)
        if heard <= SILENCE_GATE_LUFS:
            # A voice that does not stand above the noise cannot be told from what the
            # reduction takes: spared.
            found.append((start, end, key, math.inf))
            continue
        heard_through = steps & np.isfinite(after[start:end])
        if not heard_through.any():
            found.append((start, end, key, None))
            continue
        left = noise_energy * 10 ** (-strength / 10)
        kept = integrated_loudness(
            np.maximum(after[start:end] - left, 0.1 * after[start:end])[heard_through]
        )
        heard_too = integrated_loudness(voice[heard_through])
        loss = heard_too - kept if np.isfinite(heard_too) and np.isfinite(kept) else math.inf
        found.append((start, end, key, loss))
    known = [(k, loss) for _, _, k, loss in found if loss is not None and np.isfinite(k).all()]
    measured_keys = np.array([k for k, _ in known])
    measured_losses = [loss for _, loss in known]
    for start, end, key, found_loss in found:
        loss = math.inf if found_loss is None else found_loss
        if found_loss is None:
            if measured_keys.size:
                distance = np.hypot(*(measured_keys - np.array(key)).T)
                loss = measured_losses[int(np.argmin(distance))]
            strength = denoise[start:end]
            voice = np.maximum(before[start:end] - noise_energy, 0.1 * before[start:end])
            estimate = voice * 10 ** (-max(loss, 0.0) / 10) + noise_energy * 10 ** (-strength / 10)
            after[start:end] = np.where(np.isfinite(after[start:end]), after[start:end], estimate)
        if loss > MAX_VOICE_LOSS_DB:
            denoise[start:end] = 0.0
        else:
            gains[start:end] += max(loss, 0.0)
    return np.where(np.isfinite(after), after, before)


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


__all__ = [
    "Hum",
    "ShapedSound",
    "SoundObserver",
    "SoundReport",
    "SoundSettings",
    "hum_filters",
    "shape_sound",
]
