"""Multitrack recordings (a microphone per person, music and ambience beds): the tracks are
aligned by the sound they share (each microphone hears the other voices as bleed), each voice
goes through the interview sound of a single recording (analyse.py, sound.py: leveler, noise
and hum reduction, via the render's own `shaped_chain`), is brought to one speaker loudness and
lowered where its person is silent (the crossgate, decided from all tracks' 100 ms steps
together); music and ambience are ducked under speech. The result is one cached WAV, the
premix, which the build then treats as an ordinary recording without sound processing."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import IO, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from podcast import stopping
from podcast.audio.analyse import Segment, SegmentAnalysis, analyse_segment, format_chain
from podcast.audio.graph import (
    BITEXACT,
    LIMITER_ATTACK_MS,
    LIMITER_RELEASE_MS,
    RAW_PCM,
    SoundShaping,
)
from podcast.audio.pipeline import ProcessGraph
from podcast.audio.render import INITIAL_LIMITER_MARGIN_DB, sound_shaping
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.sound import ENVELOPE_RATE, SoundSettings
from podcast.audio.spectral import Reduction, f32_chunks, reduce_chunks, reduction_for
from podcast.audio.speech import runs
from podcast.audio.tools import FFMPEG, ffmpeg_version, file_arg
from podcast.errors import PodcastError, Problem, ToolError
from podcast.plan.cache import Cache, key_of
from podcast.show.model import Recording, Show, Track
from podcast.show.schema import AudioSettings
from podcast.show.text import slugify

MULTITRACK_VERSION = "62"
_Value = TypeVar("_Value", bound=np.generic)
RATE = BROADCAST_RATE
STEP_S = 0.1  # the analysis' steps
STEP = RATE // 10
FINE_S = 0.001  # blocks a track's energy is summed over, to place its levels
ALIGN_RATE = 16000
TRANSCRIBE_RATE = 16000  # each voice's share of the mix, for transcription per track
ALIGN_WINDOW_S = 180.0  # how much of each track the offset is measured on
DRIFT_MIN_S = 30.0  # recordings at least this long get their clock drift measured
DRIFT_WINDOWS = 12  # windows spread over the recording, for the drift
DRIFT_WINDOW_S = 20.0  # the first, rough pass's windows
SUMMED_MAX_S = 300.0  # recordings up to this long: a drift the rough windows miss is searched
SUMMED_STRETCH_S = 5.0  # in the sum of these stretches' correlations (see _summed_drift)
SUMMED_SURE = 2.0  # whose peak stands this far over any but the two highest
SUMMED_BOX = 9  # lags each stretch's correlation is averaged over first
SUMMED_WINDOWS = 1  # what the report counts as the windows of a drift so found
MOVED_MS = 1.0  # a given offset its drift fit moved this far is reported as moved
ECHO_REACH_S = 0.45  # how late a line's echo may come (a double-ender's drift, offset given)
SUMMED_AGREE = 10e-6  # a fit this far from the summed stretches' drift is not taken
WINDOW_S = 10.0  # the second, sharp pass's windows
MAX_DRIFT = 300e-6  # the most a recorder's clock is expected off (300 ppm)
DRIFT_SLACK = 1.25  # a fitted drift beyond MAX_DRIFT by more than this is a wrong match
# parts of a track this far (ms) off the line its windows fit are no clock's doing (an
# outside round's warning read "up to 4770.1 ms apart" for a 3-minute track)
DRIFT_APART_MS = 1000.0
# At least this many of the DRIFT_WINDOWS must lie on the fitted line (0.5 ms): fits on 3 to 5
# windows, with others off the line, were wrong in an outside round's three-person recordings
# (273 ppm for none); right ones lie on 7 to 12. A shorter recording may give fewer windows
# where both persons speak: DRIFT_UNANIMOUS or more, every one on the line, are taken too (an
# outside round's 60 s at 300 ppm: 4 windows within 0.03 ms, ending 18 ms off without them).
DRIFT_AGREEING = 6
DRIFT_UNANIMOUS = 4
SIDELOBES = 16  # lags (1 ms) around a peak that belong to it
PAIR_RATIO = 0.05  # a second peak this high counts when it lies as far as in most windows
PAIR_TOLERANCE_S = 0.0005
# How far off the fitted line (over the first ALIGN_WINDOW_S) the offset measured there may
# lie: a third person's bleed puts a wrong pairing 1.5 ms or more away; repeated phrases
# put the measure itself up to 0.7 ms off a true fit.
START_TOLERANCE_S = 0.001
ACOUSTIC_S = 0.02  # how far apart the two directions' bleed peaks may lie (2 x path delay)
# Each direction's own correlation (see _recentred): over 100 ms blocks where one track stands
# OWN_CLEAR_DB further above its speech level than the other (its person speaks alone), at
# least OWN_MIN_S of them, its peak OWN_SURE times the median of the lags around it; a pair's
# member under OWN_SHARE of that peak is not that direction's path.
OWN_CLEAR_DB = 6.0
OWN_MIN_S = 3.0
OWN_SURE = 6.0
OWN_SHARE = 0.25
OWN_WINDOWS = 30
OWN_FRAME = 2048  # samples at ALIGN_RATE (128 ms): a block and the paths' delays either side
SECOND_PEAK = 0.15  # the other direction's peak counts from this share of the main one
# A further peak near both (a third person's bleed) counts from this share of the second one:
# about as high (a room's reflections, which lie outside the pair, stay lower).
THIRD_PEAK = 0.7
CONFIDENCE = 3.0  # the alignment peak's height over the highest peak elsewhere
# The drift's sharp windows are searched within 50 ms of where the rough pass put them, so a
# lower peak suffices there (the pairs and the line check each window): at CONFIDENCE, an
# outside round's double-enders of 1 to 5 minutes at 0 to 300 ppm often gave 3 to 5 windows and
# no drift (a warning; 3 minutes at 300 ppm then end 28.9 ms off); at 1.5 they give 5 to 12,
# every fit within 0.14 ms at both ends.
FINE_SURE = 1.5
# A first measure below CONFIDENCE (a clock far off spreads the peak over the first minutes:
# an outside round's three microphones at 180-200 ppm over 2-3 minutes stood at 2.2-2.6) is
# taken where the rough drift windows, each searched within a second of it and standing
# CONFIRM_SURE over the rest there, lie on one line in at least CONFIRM_WINDOWS of
# DRIFT_WINDOWS, within CONFIRM_TOLERANCE_S (their own precision: a clock MAX_DRIFT off
# spreads a window's peak over 6 ms): sound the tracks do not share puts no two of them there.
CONFIRM_SURE = 2.0
CONFIRM_WINDOWS = 8
CONFIRM_TOLERANCE_S = 0.003
# Or at CONFIRM_LOOSE_SURE, where CONFIRM_LOOSE_WINDOWS lie on the line: a room at -45 dBFS on
# the host's microphone left an outside round's windows at 1.7-2.4, all twelve on one line
# (a window's peak anywhere else within its second: ten on a line within 3 ms is no chance).
CONFIRM_LOOSE_SURE = 1.5
CONFIRM_LOOSE_WINDOWS = 10
# Where too few pairs agree (three persons: in most windows one direction's peak pairs with
# the third person's bleed), one direction's peak, which most windows share, carries the
# line: collected within ANCHOR_REACH_S of a peak (the rough drift's rest), then the windows
# within PAIR_TOLERANCE_S of their fitted line; the widest spacings from it shared by two
# windows, one on either side or the widest on one, are the pair.
ANCHOR_REACH_S = 0.002
GIVEN_REACH_S = 0.05  # how far a drift fit may move an offset the front matter gives
GIVEN_APART_S = 1.0  # a given offset this far from where the sound matches is warned of
# Two microphones, however close, differ by their room and noise (confidence 3 to about 100);
# copies of one recording (another format or gain) match at every frequency (over 10000).
SAME_RECORDING_CONFIDENCE = 1000.0
SILENT_DB = -90.0  # a track whose loudest 100 ms stay below this recorded nothing
GATE_MARGIN_DB = 10.0  # without a measured bleed: this far below the leading voice is silent
CLEAR_DB = 6.0  # a voice leads clearly (alone) this far above every other, against own speech
BALANCE_APART_DB = 2 * CLEAR_DB  # see _balanced
SETTLED_SHARE = 0.25  # see _who_speaks: a voice leading on fewer of the steps its pairs give it
BLEED_MARGIN_DB = 6.0  # a microphone this much above its measured bleed of the lead speaks
ECHO_MARGIN_DB = 3.0  # or above a phone line's echo of it (a fixed path: its level holds)
# A voice may reach another microphone this many steps late (a phone line's echo in a
# double-ender: 100-400 ms); measured per pair where the voice leads for DELAY_MIN_STEPS.
MAX_BLEED_DELAY_STEPS = 5
DELAY_MIN_STEPS = 30
QUIET_WORDS_DB = 30.0  # and only within this much of its person's speech level
PAUSE_BELOW_DB = 35.0  # a step this far below every track's speech level is a pause
FLOOR_PERCENTILE = 5.0  # a microphone's quietest steps: its own noise
FLOOR_MARGIN_DB = 6.0  # a step this far above its microphone's noise is heard
CROSSGATE_DB = -24.0  # a silent person's microphone is lowered this much
# A voice track's room standing this much (or less) above the quietest one's in the mix is left
# as it is (see _room_reductions); the noise's spectrum is learned over this many steps.
ROOM_STEP_DB = 2.0
ROOM_SAMPLE_STEPS = 5
ROOM_LEARN_WITHIN_S = 300.0
MAX_ROOM_REDUCTION_DB = 24  # as under a raised voice in one recording (sound.py)
WORD_GAP_STEPS = 3  # steps between a person's words that count as theirs
ABSOLUTE_GATE_LUFS = -70.0  # BS.1770: blocks below this are left out of the integrated loudness
BLOCK_STEPS = 4  # a loudness meter's 400 ms blocks
RELATIVE_GATE_DB = 10.0  # speech levels leave out steps this far below their mean (BS.1770)
MAX_GAIN_DB = 30.0  # the most a voice is raised or lowered to the others' loudness
DUCK_DB = -12.0  # music and ambience under speech
LOOKAHEAD_STEPS = 2  # a microphone opens this many steps before its person speaks
HOLD_STEPS = 0  # and stays open this many after (in pauses each keeps its last decision)
# A microphone whose bleed rose more than this through the crossgate (its person's voice
# leveled, the others' not lowered) is named in a warning.
BLEED_RISE_DB = 3.0
MIX_ROUNDS = 4  # mixes made: each but the last corrects the voices' gains and limits
SETTLED_DB = 0.1  # a round that moves no gain or ceiling further than this makes the last
RAMP_SAMPLES = RATE // 50  # 20 ms gain ramps
GATE_STEPS = 5  # the crossgate's gains change on 20 ms sub-steps (as long as a ramp), 5 a STEP
GATE_STEP = STEP // GATE_STEPS
ONSET_LEAD = 1  # sub-steps a microphone opens before its person's sound rises over the bleed
ONSET_GAP = 3  # sub-steps in a row the others' bleed explains: no dip between own syllables
# A microphone's own sound is told from the others' bleed band by band: a sub-step is its own
# where two GATE_BANDS_HZ bands stand OWN_BAND_DB over the bleed those bands carry (each
# voice's level in the band, at its coupling, fading as a room's tail: BLEED_FADE_DB a
# sub-step, 60 dB in half a second) and the microphone's noise there.
GATE_BANDS_HZ = (100, 300, 600, 1200, 2400, 4800, 7800)
GATE_BAND_BLOCK_S = 0.005  # the bands' energy is summed over blocks this long, to place them
OWN_BANDS = 2
CARRIED_DB = 10.0  # a band where a voice stands less than this over its noise tells little:
BLIND_MARGIN_DB = 12.0  # own sound must stand this much further over the bleed there
OWN_BAND_DB = 6.0
UNBLEED_OVER_DB = 10.0  # a voice's bleed that stands this far over a microphone's noise
REFINE_FRAME = 2048  # samples at ALIGN_RATE (128 ms): a window where a voice speaks alone
REFINE_MOST = 600  # windows a delay is measured over at most (evenly picked)
REFINE_LEAST = 30  # and at least (a few seconds of each voice alone)
REFINE_FEWEST = 8  # windows of back-channels under another's words a delay is measured over
# and how far their summed peak stands over the rest: lower than REFINE_SURE, as a partner
# placed 0.4 ms off (its drift fitted 70 ppm off) smears its peak, and the track it leaves is
# placed by its bleed, which is off by the paths (an outside round's listener, 4.4 ms: 1.6)
BESIDE_SURE = 1.5
REFINE_REACH_S = 0.015  # delays searched either side
REFINE_SURE = 2.0  # a delay's peak over the highest 0.5 ms or more away from it
REFINE_TRUSTED_S = 0.00025  # an alignment this close is kept (its drift's windows are finer)
UNBLEED_SPREAD_DB = 4.0  # tells what share of it its path leaves: the median, this raised
UNBLEED_LEAST = 50  # from at least this many sub-steps (_unexplained)
UNBLEED_FALL_DB = 6.0  # the bleed this far under its most within UNBLEED_FALL_REACH sub-steps
UNBLEED_FALL_REACH = 15  # either side (300 ms) is falling: its share is told apart
UNBLEED_RISE_DB = 20.0  # the bleed this far over its least within UNBLEED_RISE_REACH sub-steps
UNBLEED_RISE_REACH = 10  # before (200 ms) is a word's onset after a pause: told apart too
UNBLEED_TOOK_DB = 2.0  # the remains are trusted where taking the bleed out took this much away
UNBLEED_NEAR_S = 5.0  # near each stretch this long, and as far either side
UNBLEED_SMEAR = 5  # sub-steps what a path leaves of the bleed spreads either side
BLEED_FADE_DB = 2.4  # dB a sub-step a voice's bleed fades by after its words (RT60 0.5 s)
ROOM_FADE_S = 0.4  # unless a room is measured to fade slower, in pauses at least this long
ROOM_FADE_LEAST = 3  # after at least this many of the person's phrases
ROOM_FADE_SLOWEST_DB = 1.0  # (RT60 1.2 s)
ROOM_FADE_OVER_DB = 6.0  # measured where the tail stands this far over the noise
STEP_FADE_DB = 6.0  # on 100 ms steps, the tail of a room of RT60 1 s
HELD_TURN_STEPS = 10  # a turn whose leveler gain holds outside the turns (_held_to_turns)
OWN_REACH_STEPS = 4  # how far before its first heard step a microphone may open on its sound
OWN_GAP = 10  # sub-steps without its own sound that part an utterance from what came before
OWN_BRIDGE = 2  # sub-steps without its own sound inside one sound (a closure, a fading "m")
ONSET_REACH = 3  # sub-steps a sound's rising flank may lie before its own sound is told
OWN_ALONE_MIN = 3  # sub-steps of own sound OWN_ALONE_DB over the bleed open a microphone
OWN_ALONE_DB = 9.0  # its person is not heard to speak at (`_follow_own`)
RESAMPLE_PAD_S = 0.05  # each part of a drifting track's resampling sees this beyond it
CHUNK = RATE * 10  # gains are applied 10 s at a time (a whole number of STEPs)
LIMIT_MARGIN = RATE // 10  # what a voice's limiter sees beyond a chunk (look-ahead, release)


Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TrackReport:
    """What the premix did to one track (levels in LUFS, bleed relative to its own voice)."""

    name: str
    file: str
    offset_s: float
    measured: bool  # False: the offset was given in the front matter
    confidence: float
    speech_before_lufs: float | None
    speech_after_lufs: float | None
    bleed_before_db: float | None
    bleed_after_db: float | None
    reference: bool = False  # the first track, whose time the others are placed on
    drift_ppm: float = 0.0  # how much slower the track's clock ran (parts per million)
    drift_windows: int = 0  # how many windows the drift was fitted on (0: not measured)
    disagreement_ms: float = 0.0  # Alignment.disagreement_ms
    drift_unknown: bool = False  # Alignment.drift_unknown
    confirmed: int = 0  # Alignment.confirmed
    room_reduced_db: float = 0.0  # how far its room noise was taken down (see _room_reductions)
    sounds_at_s: float | None = None  # Alignment.sounds_at
    given_s: float | None = None  # the offset_s the front matter gives, if it gives one
    one_way: bool = False  # Alignment.one_way
    unchecked: bool = False  # Alignment.unchecked

    def warning(self) -> str | None:
        """What the editor should check, if anything: a given offset far from where the
        track's sound matches, a track whose clock drift could not be measured on a recording
        long enough for it (aligned at its start only), or whose microphone carries the
        other voices louder after the crossgate than before."""
        notes = [
            self._offset_warning(),
            self._line_warning(),
            self._drift_warning(),
            self._placement_warning(),
            self._bleed_warning(),
        ]
        kept = [note for note in notes if note]
        return "; ".join(kept) if kept else None

    def _offset_warning(self) -> str | None:
        if self.sounds_at_s is None:
            return None
        return (
            f"{self.file} ({self.name}): it was placed at its offset_s {self.offset_s:+.3f} s as "
            f"given, but its sound matches the first track's at {self.sounds_at_s:+.3f} s: "
            "check offset_s (the seconds it started after the first track; negative: before), "
            "or leave it out to have it measured"
        )

    def _line_warning(self) -> str | None:
        if not self.one_way:
            return None
        return (
            f"{self.file} ({self.name}): its offset {self.offset_s:+.3f} s was measured on the "
            "first track's sound coming back through the line only (the caller's own voice "
            "was not found on the first track): a phone returns that sound late by the "
            "line's delay (often 0.1 to 0.4 s), so the line may be placed that much early "
            "and its replies start over the others' words: give its offset_s (the seconds it "
            "started after the first track; 0 where one recorder took both)"
        )

    def _bleed_warning(self) -> str | None:
        if self.bleed_before_db is None or self.bleed_after_db is None:
            return None
        if self.bleed_after_db <= self.bleed_before_db + BLEED_RISE_DB:
            return None
        return (
            f"{self.file} ({self.name}): the other voices in this microphone went from "
            f"{self.bleed_before_db:.1f} to {self.bleed_after_db:.1f} dB under its own voice: "
            "the crossgate could not tell when they speak (their sound reaches it more than "
            "half a second late, or changed on its way): listen for an echo, or leave this "
            "recording as one file per side mixed by hand"
        )

    def _placement_warning(self) -> str | None:
        if not self.unchecked:
            return None
        return (
            f"{self.file} ({self.name}): its placement against the first track could not be "
            "checked (too few words alone, or beside one other person), and with three or "
            "more microphones "
            "the alignment can take a third person's bleed for this one's, a few milliseconds "
            "off: listen for a hollow, doubled sound on this person's words; if all "
            "microphones went into one recorder, give offset_s: 0"
        )

    def _drift_warning(self) -> str | None:
        if not self.drift_unknown:
            return None
        why = (
            f"it aligns differently in different parts of the recording (up to "
            f"{self.disagreement_ms:.1f} ms apart: a recorder that dropped or added samples, or "
            "a third microphone's bleed)"
            if 0 < self.disagreement_ms <= DRIFT_APART_MS
            else "parts of it matched the first track where no clock's drift puts them (a "
            "third microphone's bleed, or a passage said twice)"
            if self.disagreement_ms > DRIFT_APART_MS
            else "no stretches were found where both microphones hear each other clearly"
        )
        return (
            f"{self.file} ({self.name}): its clock drift could not be measured ({why}), so it "
            "is aligned by its start only; if its recorder's clock ran differently, the mix "
            "drifts apart toward the end: listen for an echo late in the recording"
        )

    def describe(self) -> str:
        """One line for the build's report and `podcast info`."""
        how = f"measured, confidence {self.confidence:.0f}" if self.measured else "given"
        if self.one_way:
            how = f"measured on the line's return only, confidence {self.confidence:.0f}"
        moved_ms = 0.0 if self.given_s is None else (self.offset_s - self.given_s) * 1000
        if abs(moved_ms) >= MOVED_MS:
            how = (
                f"given as {self.given_s:+.3f} s, moved {moved_ms:+.1f} ms to where its "
                "sound matches along its drift"
            )
        if self.confirmed:
            how += f", confirmed by {self.confirmed} windows along its drift"
        offset = (
            "the time reference" if self.reference else f"offset {self.offset_s:+.4f} s ({how})"
        )
        parts = [f"{self.name} ({self.file}): {offset}"]
        if self.drift_windows == SUMMED_WINDOWS:
            parts.append(f"drift {self.drift_ppm:+.1f} ppm (over the whole recording's stretches)")
        elif self.drift_windows:
            parts.append(f"drift {self.drift_ppm:+.1f} ppm ({self.drift_windows} windows)")
        elif not self.reference:
            parts.append("drift not measured" + ("" if self.measured else " (offset given)"))
        if self.speech_before_lufs is not None and self.speech_after_lufs is not None:
            parts.append(
                f"speech {self.speech_before_lufs:.1f} -> {self.speech_after_lufs:.1f} LUFS"
            )
        if self.bleed_before_db is not None and self.bleed_after_db is not None:
            parts.append(f"bleed {self.bleed_before_db:.1f} -> {self.bleed_after_db:.1f} dB")
        if self.room_reduced_db:
            parts.append(
                f"room noise {self.room_reduced_db:.0f} dB lower (toward the quietest microphone's)"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class Premix:
    """The mixed tracks of a recording (a WAV in the cache) and what was done to each."""

    path: Path
    tracks: tuple[TrackReport, ...]
    # Per track, its share of the mix (leveled and gated) at 16 kHz for transcription; None
    # for music and ambience.
    voices: tuple[Path | None, ...] = ()


def _problem(source: Path, track: Track, field: str, message: str, fix: str) -> PodcastError:
    return PodcastError([Problem(source, track.line, field, message, fix)])


def _read_f32(stream: IO[bytes]) -> Samples:
    # read-only, over the bytes read (no copy: an hour is 691 MB)
    return np.frombuffer(stream.read(), dtype="<f4")


_Read = TypeVar("_Read")


def _decode(
    track: Track,
    label: str,
    filters: list[str],
    consume: Callable[[IO[bytes]], _Read],
    also_at: int | None = None,
) -> tuple[_Read, Samples | None]:
    """What `consume` makes of the track decoded through `filters` (mono 32-bit floats); with
    `also_at`, the same sound resampled to that rate too, from the same decoding (ffmpeg's
    resampler: a third of the time scipy's polyphase filter takes for an hour)."""
    graph_of = f"[0:a:0]{','.join(filters)}"
    outputs = ["-map", "[out]", *RAW_PCM, "pipe:1"]
    with ProcessGraph(label, track.path.parent) as graph:
        low_pipe = None
        if also_at is None:
            graph_of += "[out]"
        else:
            low_pipe = graph.pipe()
            graph_of += f",asplit=2[out][both];[both]aresample={also_at}[low]"
            outputs += ["-map", "[low]", *RAW_PCM, f"pipe:{low_pipe.write_end}"]
        decoder = graph.start(
            "decoding",
            [*FFMPEG, "-i", file_arg(track.path), "-filter_complex", graph_of, *outputs],
            pass_fds=() if low_pipe is None else (low_pipe.write_end,),
            capture_stdout=True,
        )
        assert decoder.process.stdout is not None
        box = graph.read("reading", decoder.process.stdout, consume)
        low_box = None
        if low_pipe is not None:
            low_stream = os.fdopen(os.dup(low_pipe.read_end), "rb")
            low_box = graph.read("reading at a lower rate", low_stream, _read_f32)
        graph.wait()
        result: _Read = box[0]
        return result, None if low_box is None else low_box[0]


@dataclass
class Decoded:
    """A track as decoded: its `size` (samples), its `samples` (kept for music and ambience
    only: a voice track is decoded again through its interview sound), its speech `band` for
    the alignment (None where none is needed), its loudest 100 ms (dB) and its energy summed
    over FINE_S blocks, K-weighted (`loudness`, at RATE) and in the DECISION_BAND_HZ
    (`decision`, at ALIGN_RATE), from which its 100 ms levels on the first track's time are
    taken (`_placed_db`: a track with a drift is not resampled for them), and in each of the
    GATE_BANDS_HZ over GATE_BAND_BLOCK_S blocks (`bands`, at ALIGN_RATE; a voice's only), and
    a voice's sound at ALIGN_RATE (`low`: its own sound is told from it, unbleed.py)."""

    size: int
    samples: Samples
    band: npt.NDArray[np.float32] | None
    loudest_db: float
    loudness: npt.NDArray[np.float64]
    decision: npt.NDArray[np.float64]
    bands: list[npt.NDArray[np.float64]]
    low: Samples


def _decoded(track: Track, label: str, banded: bool) -> Decoded:
    """A track as recorded and what the premix needs of it (see Decoded); its speech band
    for the alignment if `banded`."""
    segment = Segment(track.path, label=label)
    samples, low = _decode(track, label, format_chain(segment, "mono"), _read_f32, ALIGN_RATE)
    assert low is not None
    band = _band(low, ALIGN_RATE) if banded else None
    plain, loudness = _energy_sums(samples, (None, K_WEIGHTING), RATE)
    (decision,) = _energy_sums(low, (_decision_band(ALIGN_RATE),), ALIGN_RATE)
    bands = (
        _energy_sums(low, _gate_bands(ALIGN_RATE), ALIGN_RATE, GATE_BAND_BLOCK_S)
        if track.voice
        else []
    )
    steps = np.diff(plain[:: round(STEP_S / FINE_S)]) / STEP
    loudest = float(10 * np.log10(steps.max(initial=0.0) + 1e-20))
    kept = np.zeros(0, dtype=np.float32) if track.voice else samples
    voice_low = low if track.voice else np.zeros(0, dtype=np.float32)
    return Decoded(
        samples.size, kept, band, max(-120.0, loudest), loudness, decision, bands, voice_low
    )


def _analysed(
    track: Track, label: str, settings: AudioSettings, cache: Cache
) -> tuple[Segment, SegmentAnalysis]:
    """A voice track analysed as a single recording's interview sound (analyse.py)."""
    sound = SoundSettings(
        level_speech=settings.level_speech,
        noise_reduction_db=settings.noise_reduction_db,
        hum_removal=settings.hum_removal,
        highpass_hz=settings.highpass_hz,
    )
    segment = Segment(track.path, sound=sound, label=label)
    mono = settings.model_copy(update={"channels": "mono"})
    return segment, analyse_segment(segment, mono, cache)


@dataclass(frozen=True)
class RoomReduction:
    """How far (dB) a voice track's room is taken down on top of its own interview sound
    (toward the quietest microphone's, see _room_reductions), where (samples of the track, on
    its own clock) it is learned: a stretch where nobody is heard (None: none was found), and
    the room's level there as recorded (dB, K-weighted)."""

    strength_db: float
    learn: tuple[int, int] | None
    level_db: float


def _room_reduction(shaping: SoundShaping, room: RoomReduction, duration: float) -> Reduction:
    """The spectral reduction of a voice track whose room is taken down by `room` on top of
    its interview sound's own schedule (one pass: the reductions add up)."""
    own = np.asarray(shaping.denoise, dtype=np.float32)
    steps = np.full(round(duration * RATE) // STEP + 2, room.strength_db, dtype=np.float32)
    shared = min(own.size, steps.size)
    steps[:shared] += np.maximum(own[:shared], 0.0)  # (its pauses: PAUSE_STEP)
    if room.learn is not None:
        learn: tuple[tuple[int, int], ...] = (room.learn,)
    else:
        learn = reduction_for(own, 0.0, duration).learn if own.size else ()
    return Reduction(steps, 0, learn)


def _room_taken(window: Samples, lead: int, room: RoomReduction) -> float:
    """How far (dB) a track's room came down where it was learned: `window` holds that stretch
    of the reduced sound after `lead` samples (the K-weighting settles on them); the strength
    asked where there is no such stretch."""
    levels = _loudness_steps(window)[lead // STEP :]
    if not levels.size:
        return float(room.strength_db)
    after = 10 * np.log10(np.mean(10 ** (levels / 10)))
    return float(round(max(0.0, room.level_db - after)))


@dataclass(frozen=True)
class OwnTurns:
    """Where a voice track's person holds the turn (`Decisions.turns`: 100 ms steps of the
    first track's time from `start` s), and where the track lies on that time."""

    steps: npt.NDArray[np.bool_]
    where: Alignment
    start: float


def _held_to_turns(envelope: npt.NDArray[np.float32], turns: OwnTurns) -> npt.NDArray[np.float32]:
    """A voice's leveler gains (ENVELOPE_RATE values a second, on its track's own clock)
    outside its person's turns no higher than over their nearest turn (the median there; a
    turn of HELD_TURN_STEPS or more: a back-channel in the other's pause is none).
    The leveler of a single recording hears the others' bleed on this microphone as a quiet
    voice and raises it; what the crossgate lets through there (a murmured "ja genau" under
    the other's sentence, a cough in a pause) came out 12-15 dB over the person's own speech
    (an outside round: a murmur as loud as the host's questions, a cough 7 dB over the
    voices)."""
    whole = np.zeros(turns.steps.size, dtype=bool)
    for first, last in runs(turns.steps):
        if last - first >= HELD_TURN_STEPS:
            whole[first:last] = True
    frames = np.arange(envelope.size)
    seconds = (frames / ENVELOPE_RATE + turns.where.offset_s) / (1.0 - turns.where.drift)
    steps = np.floor((seconds - turns.start) / STEP_S).astype(np.int64)
    inside = (steps >= 0) & (steps < turns.steps.size)
    own = np.zeros(envelope.size, dtype=bool)
    own[inside] = whole[steps[inside]]
    if not own.any():
        return envelope
    gain_db = 20 * np.log10(np.maximum(envelope, 1e-9))
    mine = np.flatnonzero(own)
    run = np.cumsum(np.r_[1, np.diff(mine) > 1]) - 1  # each own frame's stretch
    starts = np.flatnonzero(np.r_[True, np.diff(run) > 0])
    held = np.array([np.median(part) for part in np.split(gain_db[mine], starts[1:])])
    after = np.minimum(np.searchsorted(mine, frames), mine.size - 1)
    before = np.maximum(after - 1, 0)
    nearest = np.where(np.abs(mine[before] - frames) < np.abs(mine[after] - frames), before, after)
    capped = np.where(own, gain_db, np.minimum(gain_db, held[run[nearest]]))
    return np.asarray(10 ** (capped / 20), dtype=np.float32)


def _shaped(
    track: Track,
    label: str,
    cache: Cache,
    analysed: tuple[Segment, SegmentAnalysis],
    room: RoomReduction | None,
    turns: OwnTurns | None = None,
) -> tuple[Samples, float]:
    """The track through the interview sound of a single recording (leveler, noise and hum
    reduction), with its room taken down further by `room`; and how far that took the room
    down (dB). One stream: ffmpeg decodes and filters, the reduction and the gain envelope
    are applied here as the samples arrive (the render's graph, without its passes through a
    file: an hour's track was decoded, reduced into a file and read back through ffmpeg).
    With its person's `turns`, the leveler raises nothing outside them beyond their own
    speech's gain (`_held_to_turns`)."""
    segment, analysis = analysed
    shaping = sound_shaping(segment, analysis, cache)
    reduction = None
    if room is not None:
        reduction = _room_reduction(shaping, room, analysis.duration)
    elif shaping.reduces:
        schedule = np.asarray(shaping.denoise, dtype=np.float32)
        reduction = reduction_for(schedule, 0.0, analysis.duration)
    envelope = None
    if analysis.envelope is not None:
        envelope = np.fromfile(cache.file_path("envelope", analysis.envelope), dtype="<f4")
        if turns is not None:
            envelope = _held_to_turns(envelope, turns)
    learn = None if room is None or room.learn is None else room.learn
    lead = 0 if learn is None else min(learn[0], STEP)
    chain = [*format_chain(segment, "mono"), *shaping.filters]

    def shape(stream: IO[bytes]) -> tuple[Samples, Samples]:
        chunks: Iterator[Samples] = f32_chunks(stream, 1)
        if reduction is not None:
            chunks = reduce_chunks(chunks, reduction, 1, 2)
        out = np.empty(round(analysis.duration * RATE) + RATE, dtype=np.float32)
        window = np.zeros(0 if learn is None else learn[1] - learn[0] + lead, dtype=np.float32)
        at = 0
        for chunk in chunks:
            part = np.asarray(chunk[:, 0], dtype=np.float32)
            if learn is not None:  # the stretch the room was learned in, as reduced
                low, high = max(at, learn[0] - lead), min(at + part.size, learn[1])
                if low < high:
                    into = learn[0] - lead
                    window[low - into : high - into] = part[low - at : high - at]
            if envelope is not None:
                part = part * _envelope_at(envelope, at, part.size)
            if at + part.size > out.size:
                out = np.resize(out, at + part.size + RATE)
            out[at : at + part.size] = part
            at += part.size
        return out[:at], window

    (samples, window), _ = _decode(track, label, chain, shape)
    return samples, 0.0 if room is None else _room_taken(window, lead, room)


def _envelope_at(envelope: npt.NDArray[np.float32], first: int, count: int) -> Samples:
    """The gain envelope (ENVELOPE_RATE values a second, the last held) at the samples `first`
    to `first + count`, interpolated linearly between its values (the render upsamples it
    with ffmpeg), a block of samples per value at a time."""
    per = RATE // ENVELOPE_RATE
    low, high = first // per, (first + count - 1) // per + 1
    values = envelope[np.minimum(np.arange(low, high + 1), envelope.size - 1)]
    ramp = np.arange(per, dtype=np.float32) / np.float32(per)
    blocks = values[:-1, None] + (values[1:] - values[:-1])[:, None] * ramp[None, :]
    return np.asarray(blocks.ravel()[first - low * per :][:count], dtype=np.float32)


def _band(samples: Samples, rate: int = RATE) -> npt.NDArray[np.float32]:
    """The speech band of a track (at `rate`) at ALIGN_RATE, for the alignment (32-bit: a third
    of the track's size; filtered in 64: in 32, a track reversed in time, sharing no sound,
    aligned with confidence)."""
    from scipy import signal

    low = samples
    if rate != ALIGN_RATE:
        low = np.asarray(signal.resample_poly(samples, ALIGN_RATE, rate), dtype=np.float32)
    sos = signal.butter(4, [200, 4000], btype="bandpass", fs=ALIGN_RATE, output="sos")
    return np.asarray(signal.sosfilt(sos, low), dtype=np.float32)


def _parabolic(values: npt.NDArray[np.float64], index: int) -> float:
    if 0 < index < values.size - 1:
        a, b, c = values[index - 1], values[index], values[index + 1]
        denominator = a - 2 * b + c
        if denominator != 0:
            return float(index + 0.5 * (a - c) / denominator)
    return float(index)


@dataclass(frozen=True)
class Peaks:
    """Where `other` lies against `reference` (seconds: other started this much later), by
    the highest peak and the highest other one within ACOUSTIC_S of it (the other direction's
    bleed; `ratio`: its height over the highest), and how sure (the highest peak over every
    peak further away)."""

    main: float
    second: float
    ratio: float
    confidence: float

    @property
    def seconds(self) -> float:
        """The offset: midway between both directions' peaks when the second stands out."""
        return (self.main + self.second) / 2 if self.ratio >= SECOND_PEAK else self.main


def _lags(reference: npt.NDArray[np.float32], other: npt.NDArray[np.float32]) -> Samples:
    """The phase transform of the two tracks' cross-correlation (GCC-PHAT) by lag, from
    -(other.size - 1): lag k (samples) is where reference[t + k] matches other[t] (other
    started k samples later)."""
    from scipy import fft as sp_fft
    from scipy import signal

    # 32-bit transforms (scipy's): the three minutes of the first window take 0.2 GB so
    a = reference * signal.windows.tukey(reference.size, 0.02).astype(np.float32)
    b = other * signal.windows.tukey(other.size, 0.02).astype(np.float32)
    size = 1 << int(np.ceil(np.log2(a.size + b.size)))
    cross = sp_fft.rfft(a, size)
    cross *= np.conj(sp_fft.rfft(b, size))
    weight = np.abs(cross)
    cross /= np.where(weight > 0, weight, np.float32(1.0))
    del weight
    correlation = np.asarray(sp_fft.irfft(cross, size), dtype=np.float32)
    return np.concatenate([correlation[-(b.size - 1) :], correlation[: a.size]])


def _peaks(
    reference: npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
    smear: int = 0,
    correlation: npt.NDArray[np.float32] | None = None,
    outermost: bool = False,
) -> Peaks:
    """The peaks of the phase transform of the two tracks' cross-correlation (GCC-PHAT: sharp
    peaks whatever the voices' pitch), of (parts of) their speech bands (`_band`); `smear`
    (samples at ALIGN_RATE) first averages it over that many lags, so that a peak a drifting
    clock spread out still stands. `correlation`: `_lags(reference, other)`, if made before.
    `outermost`: of several peaks about as high (THIRD_PEAK), the outermost two are the pair
    (over minutes, where a voice's pitch leaves no peaks of its own that high)."""
    lags = (_lags(reference, other) if correlation is None else correlation).astype(np.float64)
    if smear > 1:
        lags = _box_average(lags, smear)
    first_lag = -(other.size - 1)
    peak = int(np.argmax(lags))
    reach = max(int(ACOUSTIC_S * ALIGN_RATE), smear)
    low, high = max(0, peak - reach), min(lags.size, peak + reach + 1)
    elsewhere = np.concatenate([lags[:low], lags[high:]])
    confidence = float(lags[peak] / max(float(elsewhere.max(initial=0.0)), 1e-12))
    near = lags[low:high].copy()
    near[max(0, peak - low - SIDELOBES) : peak - low + SIDELOBES + 1] = -np.inf
    second = int(np.argmax(near)) + low
    ratio = float(lags[second] / lags[peak]) if np.isfinite(near).any() and lags[peak] > 0 else 0.0

    def seconds(index: int) -> float:
        return float((_parabolic(lags, index) + first_lag) / ALIGN_RATE)

    if outermost and ratio >= SECOND_PEAK:
        # A third person's bleed reaches both microphones and peaks between the two
        # directions' peaks (never outside: no path between the microphones is shorter);
        # of peaks about as high, the outermost two are the pair.
        found = [peak, second]
        near[max(0, second - low - SIDELOBES) : second - low + SIDELOBES + 1] = -np.inf
        while np.isfinite(near).any():
            extra = int(np.argmax(near)) + low
            if lags[extra] < THIRD_PEAK * lags[second]:
                break
            found.append(extra)
            near[max(0, extra - low - SIDELOBES) : extra - low + SIDELOBES + 1] = -np.inf
        left, right = min(found), max(found)
        if (left, right) != (min(peak, second), max(peak, second)):
            outer = sorted((left, right), key=lambda i: -lags[i])
            return Peaks(
                seconds(outer[0]), seconds(outer[1]), float(lags[outer[1]] / lags[peak]), confidence
            )
    return Peaks(seconds(peak), seconds(second), ratio, confidence)


def _box_average(values: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """`np.convolve(values, np.ones(width) / width, mode="same")` from running sums: the same
    to rounding, in a time that does not grow with `width` (a drifting clock's box is a
    thousand lags wide, over millions of lags)."""
    if width > values.size:
        return np.asarray(np.convolve(values, np.ones(width) / width, mode="same"))
    totals = np.concatenate([[0.0], np.cumsum(values)])
    last = np.arange(values.size) + (width - 1) // 2  # each window's last value
    ends = np.minimum(last, values.size - 1) + 1
    starts = np.clip(last - width + 1, 0, values.size)
    return np.asarray((totals[ends] - totals[starts]) / width)


@dataclass(frozen=True)
class Alignment:
    """A track's place against the first: it started `offset_s` later (at the first track's
    time 0) and its clock runs slow by `drift` (its offset at the first track's time t is
    offset_s + drift * t); `windows`: how many windows the drift was fitted on (0: none)."""

    offset_s: float
    drift: float
    confidence: float
    windows: int = 0
    # The most (ms) windows over the recording lay off one straight line of offset and drift,
    # when they did not agree on one (a recorder that dropped samples, a third voice's bleed):
    # the offset then holds at the start only. 0: they agreed, or too few were found.
    disagreement_ms: float = 0.0
    # The recording was long enough to measure a drift, and none could be: no stretches where
    # both directions' bleed stood out, or the windows disagreed (`disagreement_ms`).
    drift_unknown: bool = False
    # A first measure below CONFIDENCE, taken as this many rough windows confirmed it (0: none
    # needed, or too few did: the track cannot be aligned).
    confirmed: int = 0
    # The first measure's peak stood out only averaged over a drifting clock's spread (a sharp
    # one means the clock kept time over the first minutes).
    smeared: bool = False
    # For an offset given in the front matter: where the track's sound matches the first
    # track's instead, with confidence, more than GIVEN_APART_S away (None: it agrees).
    sounds_at: float | None = None
    # A phone line measured where only the first track's sound comes back on it (its own
    # voice never found on the first track): a line's return is late by its delay.
    one_way: bool = False
    # One of three or more room microphones whose placement `_refined` could not check (its
    # person, or the first track's, hardly speaks alone): a third person's bleed may have
    # been taken for its own.
    unchecked: bool = False


def _agreed(
    reference: npt.NDArray[np.float32], other: npt.NDArray[np.float32], parts: int = 2
) -> tuple[float, float]:
    """Where `other` lies against `reference` by the lag found in every part of the reference
    (each part's GCC-PHAT against all of `other`, the lowest of them per lag) and how sure
    (that lag's over every other further away). Sound repeated within a track (a phrase said
    twice, a jingle) makes a second peak in the whole recording's correlation, which in a
    short recording can stand nearly as high as the true one; it lies in one part only."""
    from scipy.ndimage import maximum_filter1d

    total = reference.size + other.size - 1
    lowest = np.full(total, np.inf, dtype=np.float32)
    for part in range(parts):
        first, last = part * reference.size // parts, (part + 1) * reference.size // parts
        lags = _lags(reference[first:last], other)
        field = np.zeros(total, dtype=np.float32)  # no evidence where the part cannot lie
        # a lag or two of tolerance (the parts' peaks are interpolated apart)
        field[first : first + lags.size] = maximum_filter1d(lags, 5)
        np.minimum(lowest, field, out=lowest)
    peak = int(np.argmax(lowest))
    reach = int(ACOUSTIC_S * ALIGN_RATE)
    low, high = max(0, peak - reach), min(total, peak + reach + 1)
    elsewhere = max(float(lowest[:low].max(initial=0.0)), float(lowest[high:].max(initial=0.0)))
    confidence = float(lowest[peak]) / max(elsewhere, 1e-12)
    return (peak - (other.size - 1)) / ALIGN_RATE, confidence


def align(reference: Samples, other: Samples) -> Alignment:
    """Where `other` lies against `reference`: the offset from their first ALIGN_WINDOW_S
    (averaged over a drifting clock's spread if the sharp peak does not stand out); over a
    recording of DRIFT_MIN_S or more, the drift too (see `_drift`)."""
    return align_bands(_band(reference), _band(other))


def align_bands(first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]) -> Alignment:
    """`align` on both tracks' speech bands (`_band`), made once each: every window is cut
    from them, and the first track's serves every other track's alignment."""
    found = _first_measure(first, second)
    if min(first.size, second.size) < DRIFT_MIN_S * ALIGN_RATE:
        return found
    if found.confidence < CONFIDENCE:
        confirmed = _confirmed(first, second, found)
        if confirmed is None:
            return found
        # (no sharp first measure to check the fit's start against)
        fitted = _drift(first, second, confirmed, CONFIRM_SURE, check_start=False)
        return fitted or replace(confirmed, drift_unknown=True)
    return _drift(first, second, found) or replace(found, drift_unknown=True)


def _first_measure(first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]) -> Alignment:
    """The offset from both speech bands' first ALIGN_WINDOW_S: the sharp peak, or where
    both halves agree on it, or averaged over a drifting clock's spread (no drift)."""
    window = int(ALIGN_WINDOW_S * ALIGN_RATE)
    correlation = _lags(first[:window], second[:window])  # made once, searched in several ways
    sharp = _peaks(first[:window], second[:window], correlation=correlation, outermost=True)
    found = Alignment(sharp.seconds, 0.0, sharp.confidence)
    if sharp.confidence < CONFIDENCE:
        # A second peak nearly as high (repeated sound): taken when both halves of the
        # reference agree on the highest peak (no shared sound: about 1).
        at, sure = _agreed(first[:window], second[:window])
        if sure >= CONFIDENCE and min(abs(at - sharp.main), abs(at - sharp.second)) <= 0.001:
            found = Alignment(sharp.seconds, 0.0, sure)
    if found.confidence < CONFIDENCE:
        # averaged over what the most a clock may be off spreads it, and over half and a
        # quarter of that (a box much wider than the spread lowers a peak into its noise)
        widest = _smear(min(window, second.size))
        for smear in (widest, widest // 2, widest // 4):
            stopping.check()
            spread = _peaks(first[:window], second[:window], smear, correlation)
            if spread.confidence > found.confidence:
                found = Alignment(spread.seconds, 0.0, spread.confidence, smeared=True)
    return found


def _confirmed(
    first: npt.NDArray[np.float32], second: npt.NDArray[np.float32], found: Alignment
) -> Alignment | None:
    """A first measure too weak to take (`found`) where the rough drift windows confirm it
    (CONFIRM_SURE, CONFIRM_WINDOWS; or CONFIRM_LOOSE_SURE, CONFIRM_LOOSE_WINDOWS): the offset
    where their line starts, and how many lie on it; None where too few do."""
    length = min(int(DRIFT_WINDOW_S * ALIGN_RATE), first.size // 4)
    rough = _windows(
        first, second, found.offset_s, length, ALIGN_RATE, _smear(length), CONFIRM_LOOSE_SURE
    )
    for sure, needed in (
        (CONFIRM_SURE, CONFIRM_WINDOWS),
        (CONFIRM_LOOSE_SURE, CONFIRM_LOOSE_WINDOWS),
    ):
        taken = [(t, base + p.main) for t, base, p in rough if p.confidence >= sure]
        line = _confirming_line(taken, needed)
        if line is not None:
            at_zero, agreeing = line
            return Alignment(at_zero, 0.0, found.confidence, confirmed=agreeing, smeared=True)
    return None


def _confirming_line(windows: list[tuple[float, float]], needed: int) -> tuple[float, int] | None:
    """The line `needed` or more of the rough `windows` (time, offset) lie on within
    CONFIRM_TOLERANCE_S, at a drift a recorder's clock can have: where it starts, and how
    many lie on it; None without one."""
    if len(windows) < needed:
        return None
    times = np.array([t for t, _ in windows])
    offsets = np.array([o for _, o in windows])
    close = np.ones(times.size, dtype=bool)
    for _ in range(2):  # fitted on all, then on those near the line
        drift, at_zero = np.polyfit(times[close], offsets[close], 1)
        close = np.abs(offsets - (at_zero + drift * times)) <= CONFIRM_TOLERANCE_S
        if close.sum() < needed:
            return None
    if abs(drift) > MAX_DRIFT * DRIFT_SLACK:
        return None
    return float(at_zero), int(close.sum())


def _given(
    offset_s: float,
    first: npt.NDArray[np.float32] | None,
    second: npt.NDArray[np.float32] | None,
) -> Alignment:
    """A track placed at the offset its front matter gives: over a recording long enough,
    its clock drift is measured from there (`_drift`, both speech bands given; the offset
    then comes from the same fit, within the sharp windows' 50 ms of it), else it is known
    as not measured (a warning names it)."""
    given = Alignment(offset_s, 0.0, 0.0)
    if first is None or second is None:
        return given
    # (seconds apart, not an echo's 100-400 ms: a sign or a digit wrong, another take)
    measured = _first_measure(first, second)
    if measured.confidence >= CONFIDENCE and abs(measured.offset_s - offset_s) > GIVEN_APART_S:
        given = replace(given, sounds_at=round(measured.offset_s, 3))
    if min(first.size, second.size) < DRIFT_MIN_S * ALIGN_RATE:
        return given
    fitted = _drift(first, second, given, check_start=False)
    near = measured.confidence >= CONFIDENCE and abs(measured.offset_s - offset_s) <= GIVEN_REACH_S
    if (fitted is None or fitted.drift_unknown) and near:
        # (where the sound itself gives the offset sharply, the drift is fitted from there, as
        # without an offset: from the given one an outside round's recorder 120 ppm fast was
        # not fitted at all, 5.3 ms off after 45 s)
        fitted = _drift(first, second, measured)
    if fitted is None or fitted.drift_unknown or abs(fitted.offset_s - offset_s) > GIVEN_REACH_S:
        # (a fit further off followed other sound: an outside round's phone double-enders,
        # their offsets given, were moved onto the line's echo, 100-300 ms early). The drift
        # alone, from the offset given, may still be found where the two sides hear each
        # other only through the line (its echo, up to ECHO_REACH_S late, both ways): an
        # outside round's double-ender drifted 4.6 ms apart.
        summed = _summed_drift(first, second, offset_s, ECHO_REACH_S)
        if summed is None or abs(summed[1]) <= ACOUSTIC_S:
            # (near the offset, the sharp windows would have found it: no drift to trust)
            apart = 0.0 if fitted is None else fitted.disagreement_ms
            return replace(given, drift_unknown=True, disagreement_ms=apart)
        return replace(given, drift=summed[0], windows=SUMMED_WINDOWS)
    return replace(fitted, sounds_at=given.sounds_at)


def _smear(samples: int) -> int:
    """How many lags a clock MAX_DRIFT off spreads a window of `samples` (at ALIGN_RATE)."""
    return int(MAX_DRIFT * samples) + 1


def _windows(
    reference: npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
    offset: float,
    length: int,
    margin: int,
    smear: int,
    sure: float = CONFIDENCE,
) -> list[tuple[float, float, Peaks]]:
    """DRIFT_WINDOWS windows of `length` spread over the reference, each searched for in
    `other` within `margin` of `offset` (speech bands, samples at ALIGN_RATE): (the window's
    middle, the offset there, its peaks)."""
    found = []
    overlap = min(reference.size, other.size + round(offset * ALIGN_RATE))
    for start in np.linspace(0, max(0, overlap - length), DRIFT_WINDOWS).astype(int):
        stopping.check()
        at = int(start) - round(offset * ALIGN_RATE)  # the window's place in `other`
        low, high = max(0, at - margin), min(other.size, at + length + margin)
        if high - low < length // 2:
            continue
        peaks = _peaks(reference[start : start + length], other[low:high], smear)
        if peaks.confidence >= sure:
            found.append(((start + length / 2) / ALIGN_RATE, (start - low) / ALIGN_RATE, peaks))
    return found


def _drift(
    reference: npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
    start: Alignment,
    rough_sure: float = CONFIDENCE,
    check_start: bool = True,
) -> Alignment | None:
    """Offset and drift fitted over the recording, in two passes: windows of DRIFT_WINDOW_S
    whose peaks are averaged over what MAX_DRIFT could spread them find the drift roughly;
    then, on `other` resampled to that clock, short sharp windows where both persons speak
    (both directions' peaks, a pair as far apart as in most windows: the acoustic paths
    cancel) fit it precisely. None when too few windows agree. Both are speech bands
    (`_band`, at ALIGN_RATE)."""
    from scipy import signal

    length = min(int(DRIFT_WINDOW_S * ALIGN_RATE), reference.size // 4)
    rough = _windows(
        reference, other, start.offset_s, length, ALIGN_RATE, _smear(length), rough_sure
    )
    if len(rough) >= 4:
        times = np.array([t for t, _, _ in rough])
        offsets = np.array([base + p.main for _, base, p in rough])
        drift, _ = np.polyfit(times, offsets, 1)
    else:
        summed = _summed_drift(reference, other, start.offset_s)
        if summed is None:
            return None
        drift = summed[0]
    ratio = Fraction(1 - float(drift)).limit_denominator(50_000)
    steady = signal.resample_poly(other, ratio.denominator, ratio.numerator).astype(np.float32)
    # On `steady`, the reference's time t is at t * (1 - rest) - offset / ratio.
    length = min(int(WINDOW_S * ALIGN_RATE), reference.size // 4)
    fine = _windows(
        reference, steady, start.offset_s / float(ratio), length, ALIGN_RATE // 20, 0, FINE_SURE
    )
    paired = _pair_midpoints(fine)
    if paired is None:
        return None
    kept, spacing = paired
    # Only where the first measure stood out smeared (a clock visibly off): after a sharp one
    # the clock kept time over the first minutes, and the anchor's lines were spurious there
    # (224-297 ppm, or 7-28 ppm, for clocks that kept time; a given offset tells nothing).
    anchored = _anchored(fine) if start.smeared else None
    if len(kept) < 3:
        if anchored is None:
            return None
        rest, at_zero, agreeing, off = *anchored, 0.0
    else:
        rest, at_zero, agreeing, off, trusted = _fitted_line(kept)
        if not trusted:
            if anchored is None:
                return replace(start, disagreement_ms=off, drift_unknown=True)
            rest, at_zero, agreeing = anchored
    total = 1 - float(ratio) * (1 - float(rest))
    if abs(total) > MAX_DRIFT * DRIFT_SLACK:  # no recorder's clock is that far off
        return replace(start, disagreement_ms=off, drift_unknown=True)
    if len(rough) < 4 and abs(total - float(drift)) > SUMMED_AGREE:
        # (the summed stretches and the sharp windows found different clocks: neither is
        # sure; a phone line's four windows fitted 76 ppm to a clock that kept time)
        return replace(start, disagreement_ms=off, drift_unknown=True)
    fitted = Alignment(
        float(at_zero) * float(ratio), total, start.confidence, agreeing, confirmed=start.confirmed
    )
    # The offset measured over the first ALIGN_WINDOW_S lies on the fitted line there (a
    # drifting clock spreads its peak over that stretch); where it does not, the windows
    # paired other peaks than it did (a third person's bleed: an outside round's fit on seven
    # windows was 2.3 ms off the true offset, which the first measure had right). Not after a
    # smeared one: averaged over a drifting clock's spread, it is no sharper than that spread
    # (an outside round's 71 s interview: 4.3 ms off where ten sharp windows agreed).
    # It may lie anywhere between both directions' peaks, though: a reverberant room's bleed
    # leaves one direction's peak, or another pair, in that first measure over a drifting
    # clock (an outside round's 62 s interviews: 2.5 to 4.9 ms off the line, where seven to
    # ten sharp windows agreed within 0.1 ms).
    if check_start and not start.smeared:
        window = min(ALIGN_WINDOW_S, reference.size / ALIGN_RATE)
        ends = (fitted.offset_s, fitted.offset_s + fitted.drift * window)
        reach = START_TOLERANCE_S + spacing / 2
        if not min(ends) - reach <= start.offset_s <= max(ends) + reach:
            apart = min(abs(start.offset_s - end) for end in ends)
            return replace(start, disagreement_ms=round(apart * 1000, 1), drift_unknown=True)
    # (on the track brought to the reference's clock: a window's own peaks smeared by the
    # drift in it lay 0.9 ms off at 190 ppm)
    centre = _recentred(reference, steady, Alignment(float(at_zero), float(rest), 0.0), spacing)
    if centre is None:
        return fitted
    return replace(fitted, offset_s=fitted.offset_s + centre * float(ratio))


def _own_peaks(
    reference: npt.NDArray[np.float32], other: npt.NDArray[np.float32], where: Alignment
) -> dict[int, tuple[float, npt.NDArray[np.float64]]]:
    """Each direction's own correlation about `where` (speech bands at ALIGN_RATE), by whose
    voice it carries (0: the reference's person, heard on `other`; 1: the other's): over
    windows of WINDOW_S, the cross-spectra of frames (OWN_FRAME) around the blocks where one
    track's person speaks alone (OWN_CLEAR_DB), summed, then phase-transformed (GCC-PHAT),
    within ACOUSTIC_S of the offset. Its peak (seconds from the offset) and those lags, for
    each direction that holds OWN_MIN_S and stands out (OWN_SURE). (Both tracks gated to
    those blocks and correlated whole, the common gate itself made a peak at the offset.)"""
    length, block = int(WINDOW_S * ALIGN_RATE), ALIGN_RATE // 10
    reach = int(ACOUSTIC_S * ALIGN_RATE)
    pieces = []
    for start in range(0, reference.size - length + 1, length)[:OWN_WINDOWS]:
        middle = (start + length / 2) / ALIGN_RATE
        at = start - round((where.offset_s + where.drift * middle) * ALIGN_RATE)
        if 0 <= at <= other.size - length:
            pieces.append((reference[start : start + length], other[at : at + length]))
    if not pieces:
        return {}

    def levels(samples: npt.NDArray[np.float32]) -> Samples:
        count = samples.size // block
        power = np.mean(samples[: count * block].reshape(count, block) ** 2, axis=1)
        return np.asarray(10 * np.log10(power + 1e-20))

    stepped = [(levels(a), levels(b)) for a, b in pieces]
    speech = [float(np.percentile(np.concatenate(side), 95)) for side in zip(*stepped, strict=True)]
    window = np.hanning(OWN_FRAME).astype(np.float32)
    sums = [np.zeros(OWN_FRAME + 1, dtype=np.complex128) for _ in range(2)]
    counts = [0, 0]
    for (a, b), (first, second) in zip(pieces, stepped, strict=True):
        stopping.check()
        lead = (first - speech[0]) - (second - speech[1])
        alone = (
            (first > speech[0] - QUIET_WORDS_DB) & (lead > OWN_CLEAR_DB),
            (second > speech[1] - QUIET_WORDS_DB) & (lead < -OWN_CLEAR_DB),
        )
        for side, mask in enumerate(alone):
            blocks = np.flatnonzero(mask)
            if not blocks.size:
                continue
            starts = np.clip(blocks * block + (block - OWN_FRAME) // 2, 0, length - OWN_FRAME)
            frames = starts[:, None] + np.arange(OWN_FRAME)
            spectra = np.fft.rfft(a[frames] * window, n=2 * OWN_FRAME, axis=1)
            others = np.fft.rfft(b[frames] * window, n=2 * OWN_FRAME, axis=1)
            sums[side] += (spectra * np.conj(others)).sum(axis=0)
            counts[side] += int(blocks.size)
    found = {}
    for side, (cross, count) in enumerate(zip(sums, counts, strict=True)):
        if count * STEP_S < OWN_MIN_S:
            continue
        lags = np.fft.irfft(cross / np.maximum(np.abs(cross), 1e-30))
        total = np.concatenate([lags[-reach:], lags[: reach + 1]])  # lags -reach..reach
        peak = int(np.argmax(total))
        if total[peak] >= OWN_SURE * np.median(np.abs(total)):
            found[side] = ((peak - reach) / ALIGN_RATE, total)
    return found


def _one_way(
    reference: npt.NDArray[np.float32], line: npt.NDArray[np.float32], where: Alignment
) -> bool:
    """Whether a phone `line` placed at `where` matches the `reference` only by the
    reference's voice coming back on it, its caller's own voice not found on the reference
    (`_own_peaks`): a studio whose microphones never hear the caller shares with the line
    only the phone's return of its sound, late by the line's delay (an outside round's line
    was placed 181 ms early, its replies over the others' words)."""
    found = _own_peaks(reference, line, where)
    return 0 in found and 1 not in found


def _recentred(
    reference: npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
    fitted: Alignment,
    spacing: float,
) -> float | None:
    """How far (s) the offset moves where the pair the windows found (`spacing` apart about
    `fitted`) was one direction's path and its reflection, and the other direction lies
    outside it: a reverberant room's reflection of the stronger path (which lies further out,
    on that path's side) stood higher than the other direction's path in every window, and
    an outside round's offset was 9.8 ms off; in a room whose reverberation outweighs the
    direct sound, the windows paired a path with a peak of its tail, 11 ms off. Told by each
    direction's own correlation (`_own_peaks`): where both directions have one, the pair is
    theirs; where one has, and its peak lies outside the pair while the member further from
    it is not in it (OWN_SHARE), the pair is that peak and the nearer member. A peak inside
    the pair is a third person's bleed (it reaches both microphones: never outside)."""
    half = spacing / 2
    found = list(_own_peaks(reference, other, fitted).values())
    if len(found) == 2:
        centre = (found[0][0] + found[1][0]) / 2
        return centre if abs(centre) > PAIR_TOLERANCE_S else None

    def height(total: npt.NDArray[np.float64], lag: float) -> float:
        at = round(lag * ALIGN_RATE) + total.size // 2
        return float(total[max(0, at - 2) : at + 3].max(initial=0.0))

    for peak, total in found:
        if abs(peak) <= half + PAIR_TOLERANCE_S:
            continue
        far, near = (-half, half) if peak > 0 else (half, -half)
        if height(total, far) < OWN_SHARE * float(total.max()):
            return (near + peak) / 2
    return None


def _summed_drift(
    reference: npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
    offset: float,
    reach_s: float = ACOUSTIC_S,
) -> tuple[float, float] | None:
    """The clock drift of `other` against `reference` (speech bands, at ALIGN_RATE; `other`
    started about `offset` s later) under which their short stretches' correlations, each
    moved by what that drift makes of the offset there, add up to the highest peak: weak
    peaks (a room's reverberation on the bleed) add up where no single window stands out. For
    recordings up to SUMMED_MAX_S (an outside round's 52-75 s interviews with 0.3-0.7 s of
    reverberation on the bleed found no 20 s window sure enough: their drift went unmeasured
    and the tracks drifted 5-12 ms apart), and how far from `offset` (s) the sum peaks.
    Searched within `reach_s` of `offset` (and what
    the drift may add); None where the sum's peak does not stand out (SUMMED_SURE over every
    peak but the next highest: the other direction's, or a line's echo, may stand as high)."""
    if reference.size > SUMMED_MAX_S * ALIGN_RATE:
        return None
    length = int(SUMMED_STRETCH_S * ALIGN_RATE)
    span = min(reference.size, other.size + round(offset * ALIGN_RATE))
    reach = int(MAX_DRIFT * span) + int(reach_s * ALIGN_RATE)  # lags searched either side
    shifted = round(offset * ALIGN_RATE)
    stretches, middles = [], []
    for start in range(0, max(0, span - length) + 1, length):
        at = start - shifted  # the stretch's place in `other`
        low, high = at - reach, at + length + reach
        if low < 0 or high > other.size:
            continue
        lags = _lags(reference[start : start + length], other[low:high])
        # lag k of `lags` (from -(high - low - 1)) is the offset start - low + k; kept: the
        # offsets within `reach` of `offset`
        zero = (high - low - 1) - (start - low) + shifted
        # (averaged over SUMMED_BOX lags: a phase transform's peak is a lag wide, and a
        # drift off by a little moved it off the others' in some stretches but not in
        # others: the sum's height jumped from one drift to the next)
        kept = lags[zero - reach : zero + reach + 1].astype(np.float64)
        stretches.append(_box_average(kept, SUMMED_BOX))
        middles.append((start + length / 2) / ALIGN_RATE)
    if len(stretches) < 4:
        return None
    table, times = np.array(stretches), np.array(middles)
    lags_at = np.arange(-reach, reach + 1)

    def summed(drift: float) -> npt.NDArray[np.float64]:
        # each stretch's correlation read where the drifting offset puts it
        total = np.zeros(lags_at.size)
        for row, moved in zip(table, times * drift * ALIGN_RATE, strict=True):
            total += np.interp(lags_at + moved, lags_at, row, left=0.0, right=0.0)
        return total

    step = 1.0 / (span + 1)  # a sample's move over the recording
    coarse = np.arange(-MAX_DRIFT, MAX_DRIFT + step, step * 8)
    best = float(coarse[int(np.argmax([summed(float(d)).max() for d in coarse]))])
    fine = np.arange(best - step * 8, best + step * 8.5, step)
    heights = np.array([summed(float(d)).max() for d in fine])
    at = int(np.argmax(heights))
    best = float(fine[at])
    if 0 < at < heights.size - 1:  # between the grid's steps, where the heights peak
        best += step * (_parabolic(heights, at) - at)
    total = summed(best)
    near = int(ACOUSTIC_S * ALIGN_RATE)
    highest = int(np.argmax(total))
    height = float(total[highest])
    elsewhere = total.copy()
    for _ in range(2):  # (the highest peak, then the other direction's or the echo's)
        peak = int(np.argmax(elsewhere))
        elsewhere[max(0, peak - near) : peak + near + 1] = -np.inf
    rest = elsewhere[np.isfinite(elsewhere)]
    if not rest.size or height <= 0.0 or height < SUMMED_SURE * float(rest.max()):
        return None  # (nothing shared: silence correlates nowhere)
    return float(np.clip(best, -MAX_DRIFT, MAX_DRIFT)), float(lags_at[highest]) / ALIGN_RATE


def _pair_midpoints(
    fine: list[tuple[float, float, Peaks]],
) -> tuple[list[tuple[float, float]], float] | None:
    """Of the sharp windows (`_windows`' `fine`: time, base, peaks), the time and offset (the
    midpoint of both directions' peaks) of those whose pair lies as far apart as in most
    windows, and that spacing (s); None with fewer than three pairs. With a third person,
    whose bleed peaks between them, a window where only one of the pair speaks pairs with the
    third one, narrower: the widest spacing three windows share is the pair's."""
    pairs = [p for _, _, p in fine if p.ratio >= PAIR_RATIO]
    if len(pairs) < 3:
        return None
    spacings = np.array([abs(p.second - p.main) for p in pairs])
    shared = [float(s) for s in spacings if np.sum(np.abs(spacings - s) <= PAIR_TOLERANCE_S) >= 3]
    apart = max(shared) if shared else float(np.median(spacings))
    kept = [
        (t, base + (p.main + p.second) / 2)
        for t, base, p in fine
        if p.ratio >= PAIR_RATIO and abs(abs(p.second - p.main) - apart) <= PAIR_TOLERANCE_S
    ]
    return kept, apart


def _fitted_line(kept: list[tuple[float, float]]) -> tuple[float, float, int, float, bool]:
    """The line through the windows' offsets (`kept`: time, offset): its slope and value at 0,
    how many windows lie on it within PAIR_TOLERANCE_S, how far the farthest lies off (ms; 0
    within the tolerance) and whether enough agree to trust it (DRIFT_AGREEING, or all of at
    least DRIFT_UNANIMOUS: windows that do not lie on one line give no drift to trust); a
    trusted line is fitted again on the windows on it."""
    times = np.array([t for t, _ in kept])
    offsets = np.array([o for _, o in kept])
    rest, at_zero = np.polyfit(times, offsets, 1)
    close = np.abs(offsets - (at_zero + rest * times)) <= PAIR_TOLERANCE_S
    if close.sum() < DRIFT_AGREEING:
        # Windows that paired another peak (a voice's pitch, a third person's bleed) as far
        # from the main one pull a line through all of them off every window: the line
        # through two of them that most others lie on (an outside round: 9 of 12 windows on
        # one, 3 on a peak 13.3 ms the other side, and no line through all was trusted).
        for first, second in itertools.combinations(range(times.size), 2):
            if times[first] == times[second]:
                continue
            slope = (offsets[second] - offsets[first]) / (times[second] - times[first])
            line = offsets[first] + slope * (times - times[first])
            on_line = np.abs(offsets - line) <= PAIR_TOLERANCE_S
            if on_line.sum() > close.sum():
                close = on_line
        if close.sum() >= DRIFT_AGREEING:
            rest, at_zero = np.polyfit(times[close], offsets[close], 1)
            close = np.abs(offsets - (at_zero + rest * times)) <= PAIR_TOLERANCE_S
    off = float(np.abs(offsets - (at_zero + rest * times)).max())
    off = round(off * 1000, 1) if off > PAIR_TOLERANCE_S else 0.0  # else too few, not apart
    agreeing = int(close.sum())
    unanimous = bool(close.all()) and close.size >= DRIFT_UNANIMOUS
    trusted = agreeing >= DRIFT_AGREEING or unanimous
    if trusted:
        rest, at_zero = np.polyfit(times[close], offsets[close], 1)
    return float(rest), float(at_zero), agreeing, off, trusted


def _anchored(fine: list[tuple[float, float, Peaks]]) -> tuple[float, float, int] | None:
    """The offset's line (its slope, its value at 0, the windows on it) from the peak most
    sharp windows (`_windows`' `fine`: time, base, peaks) share, moved by half the pair's
    spacing (ANCHOR_REACH_S); None without DRIFT_AGREEING windows on it or a pair."""
    peaks = [(n, t, base + p.main) for n, (t, base, p) in enumerate(fine)]
    peaks += [
        (n, t, base + p.second) for n, (t, base, p) in enumerate(fine) if p.ratio >= PAIR_RATIO
    ]
    best: tuple[float, float, set[int]] | None = None
    for _, _, centre in peaks:
        near = [(n, t, x) for n, t, x in peaks if abs(x - centre) <= ANCHOR_REACH_S]
        if len({n for n, _, _ in near}) < DRIFT_AGREEING:
            continue
        times = np.array([t for _, t, _ in near])
        slope, value = np.polyfit(times, np.array([x for _, _, x in near]), 1)
        on_line = {n for n, t, x in near if abs(x - (value + slope * t)) <= PAIR_TOLERANCE_S}
        if len(on_line) >= DRIFT_AGREEING and (best is None or len(on_line) > len(best[2])):
            best = (float(slope), float(value), on_line)
    if best is None:
        return None
    slope, value, windows = best
    spacings = [
        x - (value + slope * t)
        for n, t, x in peaks
        if n in windows and PAIR_TOLERANCE_S < abs(x - (value + slope * t)) <= ACOUSTIC_S
    ]
    shared = [s for s in spacings if sum(abs(o - s) <= PAIR_TOLERANCE_S for o in spacings) >= 2]
    if not shared:
        return None
    low, high = min(0.0, *shared), max(0.0, *shared)
    return slope, value + (low + high) / 2, len(windows)


# ITU-R BS.1770's K-weighting at 48 kHz (a high shelf, then a high-pass): step levels weighted
# so are what a loudness meter (ffmpeg's ebur128) hears, whatever each voice's spectrum (a
# phone line lacks the highs the shelf raises).
K_WEIGHTING = np.array(
    [
        [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            1.0,
            -1.69065929318241,
            0.73248077421585,
        ],
        [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
    ]
)
# Who speaks is decided on each track's telephone band (300 Hz to 3.4 kHz): a phone line or a
# recorder at a low sample rate has nothing above it, while the other microphones hear that
# voice's bleed full band; compared full band, a hiss or an "s" of the phone's person looked
# like speech on every other microphone.
DECISION_BAND_HZ = (300, 3400)


def _decision_band(rate: int) -> npt.NDArray[np.float64]:
    """The DECISION_BAND_HZ band-pass at `rate` (second-order sections)."""
    from scipy import signal

    return np.asarray(signal.butter(4, DECISION_BAND_HZ, btype="bandpass", fs=rate, output="sos"))


def _gate_bands(rate: int) -> tuple[npt.NDArray[np.float64], ...]:
    """The GATE_BANDS_HZ band-passes at `rate` (second-order sections; one band ends below
    Nyquist)."""
    from scipy import signal

    return tuple(
        np.asarray(
            signal.butter(2, (low, min(high, 0.49 * rate)), "bandpass", fs=rate, output="sos"),
        )
        for low, high in itertools.pairwise(GATE_BANDS_HZ)
    )


def _steps_db(
    samples: Samples,
    weighting: npt.NDArray[np.float64] | None = None,
    state: list[object] | None = None,
    step: int = STEP,
) -> npt.NDArray[np.float64]:
    """The level (dB) of each `step` samples (100 ms; in chunks: memory stays flat), through
    the filter `weighting` (second-order sections) if given; `state` carries the filter's
    state from one call to the next (the chunks of one track). Filtered in 32 bits (see
    _filtered)."""
    count = samples.size // step
    power = np.empty(count, dtype=np.float64)
    chunk = 60 * RATE // step  # steps (a minute)
    carried: list[object] = [] if state is None else state
    for first in range(0, count, chunk):
        stopping.check()
        last = min(count, first + chunk)
        blocks = samples[first * step : last * step]
        if weighting is not None:
            blocks = _weighted(weighting, blocks, carried)
        rows = blocks.reshape(-1, step)
        power[first:last] = np.einsum("ij,ij->i", rows, rows) / step
    levels = 10 * np.log10(power + 1e-20)
    return np.asarray(np.maximum(-120.0, levels), dtype=np.float64)


def _filtered(
    weighting: npt.NDArray[np.float64], samples: Samples, state: npt.NDArray[np.float32]
) -> tuple[Samples, npt.NDArray[np.float32]]:
    """`samples` through the filter `weighting` (second-order sections) from `state`, and the
    state after. In 32 bits: four times as fast as in 64 for the K-weighting, and levels
    within 0.0001 dB of it (a 40 dB quieter signal too)."""
    from scipy import signal

    filtered, after = signal.sosfilt(weighting.astype(np.float32), samples, zi=state)
    return np.asarray(filtered, dtype=np.float32), np.asarray(after, dtype=np.float32)


def _energy_sums(
    samples: Samples,
    weightings: tuple[npt.NDArray[np.float64] | None, ...],
    rate: int,
    block_s: float = FINE_S,
) -> list[npt.NDArray[np.float64]]:
    """Per filter of `weightings` (second-order sections; None: none), the energy of `samples`
    (at `rate`) through it summed from the start to each `block_s` block's end (a leading 0),
    in chunks."""
    fine = round(rate * block_s)
    count = samples.size // fine
    sums = [np.zeros(count + 1) for _ in weightings]
    states = [np.zeros((0 if w is None else w.shape[0], 2), np.float32) for w in weightings]
    chunk = round(60 / block_s)  # blocks (a minute)
    totals = [0.0 for _ in weightings]
    for first in range(0, count, chunk):
        stopping.check()
        last = min(count, first + chunk)
        part = samples[first * fine : last * fine]
        for number, weighting in enumerate(weightings):
            filtered = part
            if weighting is not None:
                filtered, states[number] = _filtered(weighting, part, states[number])
            # (each block's sum of squares in 32 bits, within 1e-6 of a 64-bit one: a sixth
            # of the time squaring into a new array took)
            rows = filtered[: (last - first) * fine].reshape(-1, fine)
            blocks = np.cumsum(np.einsum("ij,ij->i", rows, rows), dtype=np.float64)
            sums[number][first + 1 : last + 1] = totals[number] + blocks
            totals[number] += float(blocks[-1])
    return sums


def _placed_db(
    sums: npt.NDArray[np.float64],
    rate: int,
    where: Alignment,
    start: float,
    count: int,
    step_s: float = STEP_S,
    block_s: float = FINE_S,
) -> npt.NDArray[np.float64]:
    """The level (dB) of `count` steps of `step_s` (100 ms) from `start` on the first track's
    time of a track placed by `where`, from its energy `sums` (_energy_sums over `block_s`
    blocks, at `rate`): as `_steps_db` of the placed track measures, the track's own time
    mapped as `place` maps it (silence outside)."""
    ratio = float(_clock_ratio(where))
    edges = start + np.arange(count + 1) * step_s
    blocks = (edges * ratio - where.offset_s) / block_s
    energy = np.diff(np.interp(blocks, np.arange(sums.size), sums))
    power = np.maximum(energy, 0.0) / (rate * step_s * ratio)
    return np.asarray(np.maximum(-120.0, 10 * np.log10(power + 1e-20)), dtype=np.float64)


def _weighted(weighting: npt.NDArray[np.float64], samples: Samples, state: list[object]) -> Samples:
    """`samples` through the filter `weighting` (second-order sections) from its `state`
    (empty at the start of a track), which is left as it ends."""
    if not state:
        state.append(np.zeros((weighting.shape[0], 2), dtype=np.float32))
    weighted, state[0] = _filtered(weighting, samples, np.asarray(state[0], np.float32))
    return weighted


def _k_weighted(samples: Samples, state: list[object]) -> Samples:
    """`samples` through the K-weighting (BS.1770), from `state` (see `_weighted`)."""
    return _weighted(K_WEIGHTING, samples, state)


def _loudness_steps(samples: Samples, state: list[object] | None = None) -> npt.NDArray[np.float64]:
    """K-weighted step levels (dB; -0.691 makes them LUFS, ungated)."""
    return _steps_db(samples, K_WEIGHTING, state)


def _speech_db(levels: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]) -> float | None:
    """The loudness (dB) of the steps in `mask` as a meter measures it (BS.1770): 400 ms
    blocks (4 steps) that lie in `mask`, those RELATIVE_GATE_DB below their mean left out (the
    quiet between words); the steps' power mean where no block fits; None without any."""
    if not mask.any():
        return None
    power = 10 ** (levels / 10)
    if mask.size >= BLOCK_STEPS:
        windows = np.lib.stride_tricks.sliding_window_view
        blocks = windows(power, BLOCK_STEPS).mean(axis=1)
        inside = windows(mask, BLOCK_STEPS).all(axis=1)
        if inside.any():
            chosen = blocks[inside]
            loud = chosen[chosen >= np.mean(chosen) * 10 ** (-RELATIVE_GATE_DB / 10)]
            return float(10 * np.log10(np.mean(loud)))
    return _power_db(levels, mask)


def _power_db(levels: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]) -> float | None:
    """The power mean (dB) of the steps in `mask`; None without any."""
    if not mask.any():
        return None
    return float(10 * np.log10(np.mean(10 ** (levels[mask] / 10))))


def _raise(
    before: npt.NDArray[np.float64], after: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]
) -> float:
    """How much louder (dB) the processing made a voice where its person speaks alone."""
    was, now = _speech_db(before, mask), _speech_db(after, mask)
    return 0.0 if was is None or now is None else now - was


def _dilate(mask: npt.NDArray[np.bool_], before: int, after: int) -> npt.NDArray[np.bool_]:
    """`mask` widened `before` steps earlier (look-ahead) and `after` steps later (hold)."""
    out = mask.copy()
    for shift in range(1, before + 1):
        out[:-shift] |= mask[shift:]
    for shift in range(1, after + 1):
        out[shift:] |= mask[:-shift]
    return out


def _gain_curve(step_db: npt.NDArray[np.float64], length: int, first: int, last: int) -> Samples:
    """Sub-step gains (dB, one a GATE_STEP) as a linear gain per sample from `first` to `last`
    (of `length`), with short ramps between sub-steps: the moving average over RAMP_SAMPLES
    of their gains, made as each sub-step's gain and a straight ramp across each boundary
    where the gain changes (a GATE_STEP is no shorter than a ramp: no two ramps overlap; a
    moving average by cumulative sums, in 64 bits a sample, took 1.5 s an hour)."""
    linear = 10 ** (step_db / 20) if step_db.size else np.ones(1)
    top = linear.size - 1
    low_step, high_step = first // GATE_STEP, (last - 1) // GATE_STEP
    values = linear[np.minimum(np.arange(low_step, high_step + 1), top)].astype(np.float32)
    curve = np.repeat(values, GATE_STEP)[first - low_step * GATE_STEP : last - low_step * GATE_STEP]
    # The window of sample n is n - half to n - half + RAMP_SAMPLES: it reaches across the
    # boundary b (where sub-step k starts) for n from b + half - RAMP_SAMPLES + 1 to b + half - 1.
    half = RAMP_SAMPLES // 2
    reach_before, reach_after = RAMP_SAMPLES - half - 1, half - 1
    steps = np.arange(
        max(1, -(-(first - reach_after) // GATE_STEP)), (last - 1 + reach_before) // GATE_STEP + 1
    )
    steps = steps[steps * GATE_STEP < length]  # (beyond the end, the last sample's gain holds)
    before, after = linear[np.minimum(steps - 1, top)], linear[np.minimum(steps, top)]
    changed = before != after
    steps, before, after = steps[changed], before[changed], after[changed]
    if steps.size:
        offsets = np.arange(-reach_before, reach_after + 1)
        where = steps[:, None] * GATE_STEP + offsets[None, :]
        across = (offsets + RAMP_SAMPLES - half)[None, :]  # the window's samples past b
        ramp = before[:, None] * (RAMP_SAMPLES - across) + after[:, None] * across
        inside = (where >= first) & (where < last)
        curve[where[inside] - first] = (ramp / RAMP_SAMPLES)[inside].astype(np.float32)
    return curve


def _limiter(gained: Samples, ceiling: float) -> Samples:
    """The gain (per sample) a peak limiter at `ceiling` (linear) gives `gained`, as the
    render's (graph.limiter_filter: its attack as look-ahead, its release): the gain each peak
    needs, held a quarter and smoothed over half the release."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    attack = RATE * LIMITER_ATTACK_MS // 1000
    release = RATE * LIMITER_RELEASE_MS // 1000
    widths = (2 * attack + 1, release // 4, release // 2)

    def gain_of(part: Samples) -> Samples:
        need = _need(part, ceiling)
        need = minimum_filter1d(need, widths[0])
        return np.asarray(
            uniform_filter1d(minimum_filter1d(need, widths[1]), widths[2]), dtype=np.float32
        )

    return _near_peaks(gained, ceiling, gain_of, sum(widths))


def _need(samples: Samples, ceiling: float) -> Samples:
    """The gain each sample needs to stay under `ceiling` (linear): 1 where it does."""
    return np.minimum(np.float32(1.0), np.float32(ceiling) / np.maximum(np.abs(samples), 1e-9))


def _near_peaks(
    samples: Samples, ceiling: float, gain_of: Callable[[Samples], Samples], reach: int
) -> Samples:
    """A limiter's gain `gain_of(samples)`, made only around the samples over `ceiling`
    (linear) and 1 elsewhere: the same gains, to the bit, where `gain_of`'s filters reach no
    further than `reach` samples (each stretch is given twice that on either side), in a
    fraction of the time (most of a voice never reaches its ceiling: an hour's limiter took
    5 s a track and a mixing round)."""
    gain = np.ones(samples.size, dtype=np.float32)
    over = np.flatnonzero(np.abs(samples) > ceiling)
    if not over.size:
        return gain
    breaks = np.flatnonzero(np.diff(over) > 2 * reach) + 1
    starts, ends = over[np.r_[0, breaks]], over[np.r_[breaks - 1, over.size - 1]]
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        low, high = max(0, first - 2 * reach), min(samples.size, last + 2 * reach + 1)
        made = gain_of(samples[low:high])
        keep_low, keep_high = max(0, first - reach), min(samples.size, last + reach + 1)
        gain[keep_low:keep_high] = made[keep_low - low : keep_high - low]
    return gain


def _gained(
    samples: Samples,
    gain_db: float,
    ceiling: float | None = None,
    step_db: npt.NDArray[np.float64] | None = None,
) -> Iterator[tuple[int, Samples]]:
    """`samples` raised by `gain_db` and, with a `ceiling` (linear), limited to it, in chunks
    (first sample, chunk): a whole hour at once would take gigabytes. With `step_db`, step
    gains (dB, one a GATE_STEP) are first applied to `samples` in place, as far as each chunk
    reads: between the crossgate's mixing rounds only a track's overall gain changes, so the
    first round applies them for all."""
    scale = np.float32(10 ** (gain_db / 20))
    stepped = 0  # where the step gains are applied up to
    for first in range(0, samples.size, CHUNK):
        stopping.check()
        last = min(samples.size, first + CHUNK)
        # the limiter looks ahead and releases: it sees LIMIT_MARGIN beyond the chunk
        low, high = max(0, first - LIMIT_MARGIN), min(samples.size, last + LIMIT_MARGIN)
        if step_db is not None and stepped < high:
            samples[stepped:high] *= _gain_curve(step_db, samples.size, stepped, high)
            stepped = high
        if ceiling is None:
            yield first, samples[first:last] * scale
            continue
        part = samples[low:high] * scale
        part *= _limiter(part, ceiling)
        yield first, part[first - low : last - low]


def _clock_ratio(where: Alignment) -> Fraction:
    """How much slower a track's clock runs than the first track's (1 - drift), as the ratio
    `place` resamples it by: the first track's t lies at t * ratio - offset on its clock."""
    return Fraction(1 - where.drift).limit_denominator(50_000)


def place(
    samples: Samples, where: Alignment, start: float, length: int, rate: int = RATE
) -> Samples:
    """A track (at `rate`) on the recording's time (the first track's), from `start`, `length`
    samples: shifted by its offset and, with a drift, resampled to the first track's clock (a
    view of `samples` or of the resampled track where it covers the whole length)."""
    ratio = _clock_ratio(where)
    if ratio == 1:
        return _shift(samples, round((start - where.offset_s) * rate), length)
    # The track's time for the first track's t is t * (1 - drift) - offset: after resampling
    # (its sample k at k * ratio), the first track's t is at t - offset / ratio.
    steady = _resampled(samples, ratio.denominator, ratio.numerator)
    first = round((start - where.offset_s / float(ratio)) * rate)
    return _shift(steady, first, length)


def _resampled(samples: Samples, up: int, down: int) -> Samples:
    """`scipy.signal.resample_poly(samples, up, down)`, made in parts side by side (an hour
    takes 3 s on one core): the same samples, to the bit, where each part starts at a
    multiple of `down` and sees RESAMPLE_PAD_S more on either side than its filter reaches."""
    from scipy import signal

    parts = _workers(2)
    pad = down * max(1, round(RESAMPLE_PAD_S * RATE / down))
    step = -(-samples.size // parts // down) * down  # each part's length, a multiple of down
    if parts == 1 or step <= pad:
        return np.asarray(signal.resample_poly(samples, up, down), dtype=np.float32)
    size = -(-samples.size * up // down)  # what resample_poly makes
    out = np.empty(size, dtype=np.float32)

    def part(first: int) -> None:
        low, high = max(0, first - pad), min(samples.size, first + step + pad)
        made = signal.resample_poly(samples[low:high], up, down)
        into, last = first * up // down, min(size, (first + step) * up // down)
        skip = (first - low) * up // down
        out[into:last] = made[skip : skip + last - into]

    with stopping.worker_pool(parts, "resample") as pool:
        list(pool.map(part, range(0, samples.size, step)))
    return out


def _shift(samples: Samples, first: int, length: int) -> Samples:
    """`length` samples of `samples` from index `first` (silence where there are none): a
    view where `samples` holds them all and can be written (a copy of an hour takes a
    second; a track as decoded is read-only)."""
    if first >= 0 and first + length <= samples.size and samples.flags.writeable:
        return samples[first : first + length]
    out = np.zeros(length, dtype=np.float32)
    source_from, target_from = max(0, first), max(0, -first)
    count = max(0, min(length - target_from, samples.size - source_from))
    out[target_from : target_from + count] = samples[source_from : source_from + count]
    return out


def _workers(tracks: int) -> int:
    """Threads for work done track by track: one a track, at most one a core."""
    return max(1, min(tracks, os.cpu_count() or 1))


def load_dsp() -> None:
    """Import what aligning and mixing tracks needs of scipy (a second or two, so only when a
    premix is to be made). Done before threads start (segments.load_multitrack): lazy
    imports of compiled modules from several threads can deadlock."""
    for module in ("scipy.fft", "scipy.ndimage", "scipy.signal"):
        importlib.import_module(module)


def _premix_files(
    recording: Recording, settings: AudioSettings, cache: Cache, voices: bool = False
) -> tuple[str, Path, tuple[Path | None, ...], Premix | None]:
    """The cache key of a recording's premix, its files (the mix, each voice's share), and the
    premix itself when the cache holds it (with each voice's share, if `voices`)."""
    tracks = recording.tracks
    sound = (
        settings.level_speech,
        settings.noise_reduction_db,
        settings.hum_removal,
        settings.highpass_hz,
        settings.podcast_target,
        settings.channels,
        settings.true_peak,
    )
    key = key_of(
        "multitrack",
        MULTITRACK_VERSION,
        [
            (digest, t.person, t.role, t.offset_s)
            for digest, t in zip(_digests(tracks, cache), tracks, strict=True)
        ],
        recording.start,
        recording.end,
        sound,
        ffmpeg_version(),
    )
    path = cache.file_path("premix", f"{key}.wav")
    shares = tuple(
        cache.file_path("premix", f"{key}-voice{i}.wav") if t.voice else None
        for i, t in enumerate(tracks)
    )
    kept = all(v.is_file() for v in shares if v)
    known = cache.get_json("premix", key)
    if known is None or not path.is_file() or (voices and not kept):
        return key, path, shares, None
    reports = tuple(TrackReport(**t) for t in known["tracks"])
    return key, path, shares, Premix(path, reports, shares if kept else ())


def _digests(tracks: tuple[Track, ...], cache: Cache) -> list[str]:
    """Each track's digest, read side by side where the cache has none (a second an hour)."""
    with stopping.worker_pool(_workers(len(tracks)), "digest") as pool:
        return list(pool.map(cache.digest, [t.path for t in tracks]))


def premixed(recording: Recording, settings: AudioSettings, cache: Cache) -> bool:
    """Whether the cache holds the premix of a multitrack `recording` (nothing to align)."""
    return _premix_files(recording, settings, cache)[3] is not None


def premix(
    recording: Recording,
    settings: AudioSettings,
    cache: Cache,
    source: Path,
    field: str,
    stems: Path | None = None,
    voices: bool = False,
) -> Premix:
    """Align, process, gate and mix the tracks of a multitrack `recording` into a WAV in the
    cache (made once per content and settings); `source` and `field` name the recording in
    messages (`recordings[N]`). With `stems`, each processed track (its share of the mix) is
    also written there as a 24-bit WAV (made again: the cache keeps only the mix). With
    `voices`, each voice's share is kept in the cache too, for its transcription (made again
    where an earlier premix did not keep them: a build that does not transcribe leaves them
    out, 2 s an hour each)."""
    tracks = recording.tracks
    digests = _digests(tracks, cache)
    for number, digest in enumerate(digests):
        if digest in digests[:number]:
            twin = tracks[digests.index(digest)]
            raise _problem(
                source,
                tracks[number],
                f"{field}.tracks[{number}].file",
                f"{tracks[number].path.name} is the same recording as {twin.path.name} "
                "(identical audio)",
                "name the file this microphone recorded",
            )
    key, path, shares, cached = _premix_files(recording, settings, cache, voices)
    if cached is not None and stems is None:
        return cached
    load_dsp()
    labels = [f"{field}.tracks[{i}] {t.path.name}" for i, t in enumerate(tracks)]
    # Each voice's analysis (ffmpeg's, a process each) is made while this thread aligns the
    # tracks; its interview sound, once all tracks' levels tell how far its room is to go.
    with stopping.worker_pool(_workers(len(tracks)), "premix") as pool:
        # The speech bands the alignment needs: each voice's but the first (a voice with its
        # offset given still has its drift measured), and the first one's.
        aligned = {
            n for n, track in enumerate(tracks) if n and (track.offset_s is None or track.voice)
        }
        banded = aligned | ({0} if aligned else set())
        decoded = [
            pool.submit(_decoded, track, labels[n], n in banded) for n, track in enumerate(tracks)
        ]
        analysed = {
            number: pool.submit(_analysed, track, labels[number], settings, cache)
            for number, track in enumerate(tracks)
            if track.voice
        }
        outcomes = _every_decoded(decoded, tracks, labels, source, field)
        decoded.clear()  # a future keeps its result: each track is to go once it is placed
        return _premix(
            recording,
            settings,
            (source, field, labels),
            stems,
            outcomes,
            (analysed, pool),
            (key, path, shares if voices else ()),
            cache,
        )


def _every_decoded(
    decoded: list[Future[Decoded]],
    tracks: tuple[Track, ...],
    labels: list[str],
    source: Path,
    field: str,
) -> list[Decoded]:
    """Each track's decoding; every track that could not be decoded is named at its line."""
    outcomes, problems = [], []
    for number, future in enumerate(decoded):
        try:
            outcomes.append(future.result())
        except ToolError as exc:
            reason = str(exc).removeprefix(f"{labels[number]}: ")
            problems.append(
                Problem(
                    source,
                    tracks[number].line,
                    f"{field}.tracks[{number}].file",
                    f"{tracks[number].path.name}: {reason}",
                    "export the track again as WAV or FLAC",
                )
            )
    if problems:
        raise PodcastError(problems)
    return outcomes


def _premix(
    recording: Recording,
    settings: AudioSettings,
    named: tuple[Path, str, list[str]],
    stems: Path | None,
    decoded: list[Decoded],
    analysing: tuple[dict[int, Future[tuple[Segment, SegmentAnalysis]]], ThreadPoolExecutor],
    files: tuple[str, Path, tuple[Path | None, ...]],
    cache: Cache,
) -> Premix:
    """`premix`'s work once the cache has missed, on the `decoded` tracks; `named`: the
    recording's file and field and each track's label, for messages; `analysing`: each voice
    track's analysis as it is being made, and the pool making it (each voice's interview sound
    is made there too); `files`: the premix's cache key, its mix and voice files (none: the
    voices are not kept)."""
    source, field, labels = named
    analysed, pool = analysing
    key, path, voices = files
    tracks = recording.tracks
    for number, (track, track_decoded) in enumerate(zip(tracks, decoded, strict=True)):
        loudest = track_decoded.loudest_db
        if loudest < SILENT_DB:
            raise _problem(
                source,
                track,
                f"{field}.tracks[{number}]",
                f"{track.path.name} is silent (its loudest 100 ms: "
                f"{'digital silence' if loudest <= -120 else f'{loudest:.0f} dBFS'})",
                "check that it is the file this microphone recorded, or leave the track out",
            )
    bands = {n: d.band for n, d in enumerate(decoded) if d.band is not None}
    for track_decoded in decoded:
        track_decoded.band = None
    # Each track's alignment against the first, and whether it was measured.
    offsets: list[tuple[Alignment, bool]] = [(Alignment(0.0, 0.0, 0.0), False)]
    for number, track in enumerate(tracks[1:], start=1):
        stopping.check()
        if track.offset_s is not None:
            offsets.append((_given(track.offset_s, bands.get(0), bands.get(number)), False))
            continue
        found = align_bands(bands[0], bands[number])
        if found.confidence >= SAME_RECORDING_CONFIDENCE:
            raise _problem(
                source,
                track,
                f"{field}.tracks[{number}].file",
                f"{track.path.name} is the same recording as {tracks[0].path.name} (another "
                f"copy, format or gain of it: they match sample for sample, confidence "
                f"{found.confidence:.0f})",
                "name the file this microphone recorded",
            )
        if found.confidence < CONFIDENCE and not found.confirmed:
            raise _problem(
                source,
                track,
                f"{field}.tracks[{number}]",
                f"{track.path.name} cannot be aligned with {tracks[0].path.name}: they share no "
                f"sound that was found with confidence ({found.confidence:.1f}, needs "
                f"{CONFIDENCE:.0f})",
                "check that both were recorded at the same time, or give its `offset_s`",
            )
        if track.role == "phone" and _one_way(bands[0], bands[number], found):
            found = replace(found, one_way=True)
        offsets.append((found, True))
    bands.clear()
    reference = decoded[0].size / RATE
    for number, (track, (found, measured)) in enumerate(zip(tracks, offsets, strict=True)):
        # Placed (mostly) outside the first track, a track would be cut away or mix silence
        # in: an offset_s mistyped, or an alignment on the wrong sound.
        duration = decoded[number].size / RATE
        inside = min(reference, found.offset_s + duration) - max(0.0, found.offset_s)
        if number and inside < 0.5 * min(duration, reference):
            how = f"measured, confidence {found.confidence:.1f}" if measured else "given"
            raise _problem(
                source,
                track,
                f"{field}.tracks[{number}]" + ("" if measured else ".offset_s"),
                f"{track.path.name} at offset {found.offset_s:+.3f} s ({how}) lies "
                f"{'wholly' if inside <= 0 else 'mostly'} outside {tracks[0].path.name} "
                f"(0 to {reference:.1f} s): {max(0.0, inside):.1f} s of its {duration:.1f} s "
                "were recorded at the same time",
                "check its offset_s (seconds it started after the first track; negative: before)"
                if not measured
                else "check that both were recorded at the same time, or give its `offset_s`",
            )
    # Without an in point the set starts with the track started first: one started before
    # the first track (a negative offset) keeps its early words.
    earliest = min(found.offset_s for found, _ in offsets)
    start = recording.start if recording.start is not None else min(0.0, earliest)
    end = reference
    end = min(recording.end, end) if recording.end is not None else end
    length = round((end - start) * RATE)
    if length < RATE // 2:
        raise _problem(
            source,
            tracks[0],
            f"{field}.start",
            "less than half a second of the tracks is left",
            "choose an earlier in point",
        )
    # Each track's 100 ms levels as recorded, on the first track's time: who speaks when, and
    # so how far each voice's room is to go, is known before any voice is processed.
    count = length // STEP
    placed = list(zip(decoded, [found for found, _ in offsets], strict=True))
    raw = [_placed_db(d.loudness, RATE, at, start, count) for d, at in placed]
    band = [_placed_db(d.decision, ALIGN_RATE, at, start, count) for d, at in placed]
    decided = _who_speaks({i: band[i] for i, t in enumerate(tracks) if t.voice}, count)
    # each voice's level on the crossgate's sub-steps, where its microphone opens, in all
    # and band by band
    sub_s = STEP_S / GATE_STEPS
    fine = {
        i: _placed_db(d.loudness, RATE, at, start, count * GATE_STEPS, sub_s)
        for i, (d, at) in enumerate(placed)
        if tracks[i].voice
    }
    sub_count, block_s = count * GATE_STEPS, GATE_BAND_BLOCK_S
    fine_bands = {
        i: np.array(
            [_placed_db(s, ALIGN_RATE, at, start, sub_count, sub_s, block_s) for s in d.bands]
        )
        for i, (d, at) in enumerate(placed)
        if tracks[i].voice
    }
    for d in decoded:
        d.bands = []
    offsets = _refined(tracks, placed, offsets, decided, start)
    placed = list(zip(decoded, [found for found, _ in offsets], strict=True))
    rooms = _room_reductions(tracks, raw, decided, offsets, start)

    def processed_track(number: int) -> tuple[Samples, npt.NDArray[np.float64], float]:
        """A track processed and placed on the first one's time, its loudness on the
        crossgate's sub-steps, and how far its room was taken down (dB). Memory: only the
        placed samples are kept."""
        where = offsets[number][0]
        if tracks[number].voice:
            turns = OwnTurns(decided.turns(number), where, start)
            shaped, taken = _shaped(
                tracks[number],
                labels[number],
                cache,
                analysed[number].result(),
                rooms.get(number),
                turns,
            )
        else:
            shaped, taken = decoded[number].samples, 0.0
            decoded[number].samples = np.zeros(0, dtype=np.float32)
        samples = place(shaped, where, start, length)
        del shaped
        return samples, _steps_db(samples, K_WEIGHTING, step=GATE_STEP), taken

    # (in the pool, after the analyses: each voice's sound made on a core of its own, while
    # this thread decides where each microphone opens, which that sound does not depend on)
    jobs = [pool.submit(processed_track, number) for number in range(len(tracks))]
    remains = _bleed_remains(tracks, placed, decided, start, count)
    couplings = _band_couplings(raw, {i: _steps(b) for i, b in fine_bands.items()}, decided, count)
    openings = _gate_openings(decided, fine, (fine_bands, remains), couplings, raw)
    outcomes = [job.result() for job in jobs]
    jobs.clear()
    processed = [samples for samples, _, _ in outcomes]
    fine_levels = [steps for _, steps, _ in outcomes]
    levels = [
        _steps(steps[None, : steps.size - steps.size % GATE_STEPS])[0] for steps in fine_levels
    ]
    taken = {number: room for number, (_, _, room) in enumerate(outcomes) if room}
    outcomes.clear()
    # The podcast rendition's gain and ceiling: its limiter lowers a voice with high peaks more
    # than the others; the voices are made equal as it will leave them.
    stereo = settings.channels == "stereo"
    program = (
        settings.podcast_target - (3.01 if stereo else 0.0),
        settings.true_peak - INITIAL_LIMITER_MARGIN_DB,
    )
    changed = {i: (fine[i], fine_levels[i]) for i in fine}
    mixed, reports = _crossgate(
        tracks, (raw, levels, changed), decided, processed, offsets, openings, program, taken
    )
    # (not np.abs(mixed).max(): an hour's copy takes 1.7 s to fill, the two passes 0.1)
    peak = max(float(mixed.max(initial=0.0)), -float(mixed.min(initial=0.0)))
    scale = 0.98 / peak if peak > 0.98 else 1.0  # the render sets the loudness; WAV kept whole
    mixed *= scale
    _write_wav(path, mixed)
    del mixed
    # The build analyses the premix next, as any recording (its loudness and peaks): that is
    # done now, while the shares are written (an hour's mix: 3 to 4 s).
    mix_analysed = pool.submit(_analyse_mix, path, settings, cache)
    if stems is not None:
        stems.mkdir(parents=True, exist_ok=True)

    def write_share(number: int) -> None:
        """A track's share of the mix (as the crossgate left it in `processed`), written as
        the voice to transcribe and as a stem."""
        share = processed[number]
        share *= np.float32(scale)
        voice = voices[number] if voices else None
        if voice is not None:
            _write_voice(voice, share, labels[number])
        if stems is not None:
            _write_wav(stems / stem_name(number, tracks[number]), share, RATE, 24)

    if voices or stems is not None:
        with stopping.worker_pool(_workers(len(tracks)), "share") as writers:
            list(writers.map(write_share, range(len(tracks))))
    mix_analysed.result()
    cache.put_json("premix", key, {"tracks": [asdict(r) for r in reports]})
    return Premix(path, tuple(reports), voices)


def _crossgate(
    tracks: tuple[Track, ...],
    loudness: tuple[
        list[npt.NDArray[np.float64]],
        list[npt.NDArray[np.float64]],
        dict[int, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
    ],
    decided: Decisions,
    processed: list[Samples],
    offsets: list[tuple[Alignment, bool]],
    openings: dict[int, npt.NDArray[np.bool_]],
    program: tuple[float, float] | None = None,
    taken: dict[int, float] | None = None,
) -> tuple[Samples, list[TrackReport]]:
    """Each voice to one speaker loudness, lowered where its person is silent (as `decided`,
    on sub-steps as `openings` places it: `_gate_openings`);
    music and ambience ducked under speech; summed (`loudness`: each track's 100 ms loudness
    as recorded and as processed, and each voice's on the sub-steps, as recorded and as
    processed; `taken`: how far each voice's room was taken down, for the report). Returned
    with the mix: a report per track; `processed` then holds each track's share of the mix
    (its step gains, overall gain and limiter). `program`: the loudness
    (LUFS, of the mono mix) and the limiter's ceiling (dBFS) the mix will be published at:
    each voice is limited to that ceiling at the gain the mix will get, before the voices are
    made equal (else that limiter, at the end, lowers a voice with high peaks more than the
    others: a phone line's voice ended 1 LU below the others, equal in the mix)."""
    voices = [i for i, t in enumerate(tracks) if t.voice]
    raw, levels, changed = loudness
    count = min(lv.size for lv in levels)
    # (Who speaks is decided on the tracks as recorded: the leveler may have raised the bleed.)
    speaking, alone, active = decided.speaking, decided.alone, decided.active
    turns = {i: decided.turns(i)[:count] for i in voices}
    speech_level = {i: _speech_db(levels[i][:count], alone[i] & active) for i in voices}
    known = [v for v in speech_level.values() if v is not None]
    target = max(known) if known else 0.0
    gains = {
        i: 0.0 if own is None else float(np.clip(target - own, -MAX_GAIN_DB, MAX_GAIN_DB))
        for i, own in speech_level.items()
    }
    anyone = np.zeros(count, dtype=bool)
    for i in voices:
        anyone |= speaking[i] & active
    step_db: list[npt.NDArray[np.float64]] = []
    for i, track in enumerate(tracks):
        if track.voice:
            open_steps = openings[i][: count * GATE_STEPS]
            # Where the person is silent, what the leveler did to the bleed is undone (it
            # took the bleed for speech to raise): the microphone stays CROSSGATE_DB below
            # what it recorded, relative to its person's voice. Undone sub-step by sub-step:
            # undone step by step, a 100 ms step in which the leveler began to raise the
            # other's first word took the room under the last syllable before it down 11 dB
            # (the room in the mix dipped at the hand-over: an outside round).
            raised = _raise(raw[i][:count], levels[i][:count], alone[i] & active)
            recorded, made = (part[: count * GATE_STEPS] for part in changed[i])
            undo = np.minimum(0.0, recorded - made + raised)
            closed = CROSSGATE_DB + undo
            # Held open in a pause after its person's words (not ahead of them, as far as
            # it may open on its person's sound: a word's onset keeps what the leveler gave
            # it, a back-channel's "m" lost 2-4 dB), a microphone keeps no more than its
            # person's raise either: a double-ender's host microphone, held open where only
            # the guest's echo came in, raised it 20 dB (an outside round: her first words
            # at -34 dB in his stem).
            said = decided.said[i][:count]
            held = np.repeat(~_dilate(said, OWN_REACH_STEPS, 0), GATE_STEPS)
            kept = np.where(held, undo, 0.0)
            step_db.append(np.where(open_steps, kept, closed))
        else:
            ducked = _dilate(anyone, LOOKAHEAD_STEPS, HOLD_STEPS)
            step_db.append(np.repeat(np.where(ducked, DUCK_DB, 0.0), GATE_STEPS))
    length = processed[0].size
    mixed = np.zeros(length, dtype=np.float32)
    ceilings: dict[int, float] = {}  # per voice: its limiter's ceiling (linear)
    outputs: list[npt.NDArray[np.float64]] = []
    settled = False  # the gains and ceilings no longer move: the next mix is the last
    for round_ in range(MIX_ROUNDS):
        # The mix where a person speaks alone also carries the other (closed) microphones: each
        # further pass corrects each voice's gain by what the mix before measured; the last
        # mix is the one measured for the report and written (its gains are the stems'). Only
        # that one's tracks are measured one by one (for the report's bleed).
        last = round_ == MIX_ROUNDS - 1 or settled
        mixed.fill(0.0)
        # (the first round applies each track's step gains in place: from then on only each
        # overall gain changes)
        steps = step_db if round_ == 0 else None
        owns, heard = _mix_into(mixed, processed, (gains, ceilings, steps), last)
        outputs = [np.concatenate(own)[:count] for own in owns] if last else []
        heard = heard[:count]
        in_mix = {i: _speech_db(heard, turns[i]) for i in voices}
        measured = [v for v in in_mix.values() if v is not None]
        if last:
            break
        if not measured:  # nobody speaks alone: nothing to correct, the next mix is the last
            settled = True
            continue
        before = (dict(gains), dict(ceilings))
        for i, level in in_mix.items():
            if level is not None:
                gains[i] = float(
                    np.clip(gains[i] + max(measured) - level, -MAX_GAIN_DB, MAX_GAIN_DB)
                )
        # the mix's integrated loudness (BS.1770: blocks above -70 LUFS, relatively gated),
        # and so the gain it will be published with
        whole = _speech_db(heard, heard > ABSOLUTE_GATE_LUFS + 0.691)
        if program is not None and whole is not None:
            lift = program[0] - (whole - 0.691)
            ceilings = {i: 10 ** ((program[1] - lift) / 20) for i in voices}
        settled = _unmoved(before, (gains, ceilings))
    if ceilings:
        _limit_mix(mixed, processed, max(ceilings.values()))
    # A voice's loudness after is measured on the mix (where its person speaks alone: what is
    # heard there), its microphone's bleed on the track's own share of it.
    reports = [
        replace(
            _track_report(
                track, offsets[i], (raw[i][:count], outputs[i], heard), alone, turns, active, i
            ),
            room_reduced_db=(taken or {}).get(i, 0.0),
        )
        for i, track in enumerate(tracks)
    ]
    return mixed, reports


def _limit_mix(mixed: Samples, shares: list[Samples], ceiling: float) -> None:
    """`mixed` (and each track's share of it, so the stems still add up to it) limited to
    `ceiling` (linear), the voices' own ceiling: where two voices speak at once their sum
    stood up to 6 dB over it, and the render's limiter, left with that, lifted the true peak
    whatever its ceiling (an outside round's build failed at -0.84 dBTP after 3 attempts).
    The gains are found on the mix as it is, then applied (only where they limit). Unlike
    the voices' limiter (the render's), its gain never stands above what a peak needs: each
    gain is the least any sample within the smoothing's reach needs (that limiter's
    smoothing let the sum's peaks through 1.2 dB over)."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    reach = RATE * LIMITER_RELEASE_MS // 2000 | 1  # odd: centred

    def gain_of(part: Samples) -> Samples:
        need = _need(part, ceiling)
        return np.asarray(uniform_filter1d(minimum_filter1d(need, reach), reach), np.float32)

    limited: list[tuple[int, Samples]] = []
    for first in range(0, mixed.size, CHUNK):
        stopping.check()
        last = min(mixed.size, first + CHUNK)
        low, high = max(0, first - LIMIT_MARGIN), min(mixed.size, last + LIMIT_MARGIN)
        part = mixed[low:high]
        if float(np.abs(part).max(initial=0.0)) <= ceiling:
            continue
        gain = _near_peaks(part, ceiling, gain_of, 2 * reach)
        limited.append((first, gain[first - low : last - low]))
    for first, gain in limited:
        mixed[first : first + gain.size] *= gain
        for share in shares:
            share[first : first + gain.size] *= gain


def _analyse_mix(path: Path, settings: AudioSettings, cache: Cache) -> None:
    """The premix analysed into the cache, as the build will ask for it (segments.segments_of:
    no in or out point, no sound processing); a failure is left for the build to name."""
    with contextlib.suppress(ToolError):
        analyse_segment(Segment(path), settings, cache)


def _room_reductions(
    tracks: tuple[Track, ...],
    raw: list[npt.NDArray[np.float64]],
    decided: Decisions,
    offsets: list[tuple[Alignment, bool]],
    start: float,
) -> dict[int, RoomReduction]:
    """How far to take each voice track's room down (spectrally, with its own interview
    sound): by as much as it will stand above the quietest voice track's in the mix, where its
    microphone is open. Each voice is brought to one loudness, and its room with it (a quiet
    guest's recorder, raised 14 dB to the host's level, brought her room up 14 dB at each of
    her turns: an outside round measured the room stepping 6-7 dB at every change of speaker),
    so a room ends as far above the others as it lies closer to its voice as recorded (`raw`:
    100 ms loudness on the first track's time, from `start` s; `offsets`: each track's
    placement, to find the stretch to learn the room from on its own clock)."""
    count = min(levels.size for levels in raw)
    active = decided.active
    rooms = {}  # the room's level under its own voice's (dB)
    for i, track in enumerate(tracks):
        if not track.voice:
            continue
        own = _speech_db(raw[i][:count], decided.alone[i] & active)
        if own is not None:
            rooms[i] = _floor_db(raw[i][:count]) - own
    if len(rooms) < 2:
        return {}
    quietest = min(rooms.values())
    # The room is learned in the quietest half second where nobody is heard (and where the
    # track was recording: not placed before its start).
    quiet = np.flatnonzero(~active[: count - ROOM_SAMPLE_STEPS])
    reductions: dict[int, RoomReduction] = {}
    for i, room in rooms.items():
        strength = min(round(room - quietest), MAX_ROOM_REDUCTION_DB)
        if strength <= ROOM_STEP_DB:
            continue
        recorded = raw[i][:count] > SILENT_DB
        usable = [s for s in quiet if recorded[s : s + ROOM_SAMPLE_STEPS].all()]
        # (within the first ROOM_LEARN_WITHIN_S where there is such a stretch: the reduction
        # holds the track's sound until it has learned the room)
        early = [s for s in usable if s < round(ROOM_LEARN_WITHIN_S / STEP_S)]
        usable = early or usable
        learn, level = None, -120.0
        if usable:
            windows = [raw[i][s : s + ROOM_SAMPLE_STEPS].max() for s in usable]
            first = int(usable[int(np.argmin(windows))])
            steps = raw[i][first : first + ROOM_SAMPLE_STEPS]
            level = float(10 * np.log10(np.mean(10 ** (steps / 10))))
            # the stretch on the track's own clock (as `place` maps it)
            where = offsets[i][0]
            ratio = float(_clock_ratio(where))
            begin = round(((start + first * STEP / RATE) * ratio - where.offset_s) * RATE)
            if begin >= 0:
                learn = (begin, begin + round(ROOM_SAMPLE_STEPS * STEP * ratio))
        reductions[i] = RoomReduction(float(strength), learn, level)
    return reductions


def _mix_into(
    mixed: Samples,
    processed: list[Samples],
    gained: tuple[dict[int, float], dict[int, float], list[npt.NDArray[np.float64]] | None],
    last: bool,
) -> tuple[list[list[npt.NDArray[np.float64]]], npt.NDArray[np.float64]]:
    """Each track at its gain and ceiling (`gained`, with the step gains to apply to each
    track first, if any: `_gained`) added into `mixed`, chunk by chunk, the tracks'
    chunks made side by side in threads and added in track order (the same sum every time),
    and the mix's 100 ms loudness (measured here while the next chunks are made). The `last`
    mix also measures each track's own 100 ms loudness by chunk (else empty lists) and leaves
    each track's share of it in `processed` (each chunk put back once the next one is made: a
    chunk's limiter reads a little of the chunk before); its mix's loudness is measured on the
    sum of the tracks' K-weighted chunks (the filter is linear: the same to rounding, without
    filtering the mix again)."""

    gains, ceilings, steps = gained
    Part = tuple[int, Samples, npt.NDArray[np.float64] | None, Samples | None]

    def chunks(number: int) -> Iterator[Part]:
        state: list[object] = []
        for first, chunk in _gained(
            processed[number],
            gains.get(number, 0.0),
            ceilings.get(number),
            None if steps is None else steps[number],
        ):
            if not last:
                yield first, chunk, None, None
                continue
            weighted = _k_weighted(chunk, state)
            yield first, chunk, _steps_db(weighted), weighted

    streams = [chunks(number) for number in range(len(processed))]
    measured: list[list[npt.NDArray[np.float64]]] = [[] for _ in processed]
    held: list[tuple[int, Samples] | None] = [None for _ in processed]
    heard: list[npt.NDArray[np.float64]] = []
    state: list[object] = []
    with stopping.worker_pool(_workers(len(streams)), "mix") as pool:
        pending = [pool.submit(next, stream, None) for stream in streams]
        while True:
            step = [future.result() for future in pending]
            for number, kept in enumerate(held):
                if kept is not None:
                    processed[number][kept[0] : kept[0] + kept[1].size] = kept[1]
                    held[number] = None
            if any(part is None for part in step):
                break
            pending = [pool.submit(next, stream, None) for stream in streams]
            span = (0, 0)
            summed: Samples | None = None  # the tracks' K-weighted chunks (the last mix)
            for number, part in enumerate(step):
                assert part is not None
                first, chunk, levels, weighted = part
                mixed[first : first + chunk.size] += chunk
                span = (first, first + chunk.size)
                if levels is not None and weighted is not None:
                    measured[number].append(levels)
                    held[number] = (first, chunk)
                    summed = weighted if summed is None else summed + weighted
            if summed is not None:
                heard.append(_steps_db(summed))
            else:
                heard.append(_loudness_steps(mixed[span[0] : span[1]], state))
    return measured, np.concatenate(heard) if heard else np.zeros(0)


def _unmoved(
    before: tuple[dict[int, float], dict[int, float]],
    after: tuple[dict[int, float], dict[int, float]],
) -> bool:
    """Whether a mixing round left every voice's gain and limiter ceiling within SETTLED_DB
    of the round before (ceilings: only once there were some)."""
    (gains_before, ceilings_before), (gains_after, ceilings_after) = before, after
    if not ceilings_before or ceilings_before.keys() != ceilings_after.keys():
        return False
    moved = [abs(gains_after[i] - gains_before[i]) for i in gains_after]
    moved += [abs(20 * np.log10(ceilings_after[i] / ceilings_before[i])) for i in ceilings_after]
    return max(moved, default=0.0) < SETTLED_DB


def _recording(levels: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """The steps where a microphone was recording: not the digital silence placed before it
    started or after it stopped (its steps at -120 dB). Its bleed of a voice is measured only
    there: a guest's recorder started 1.7 s into the host's first words, and those steps'
    -120 dB made a bleed delay of 0.5 s out of 4 ms (an outside round: the guest's microphone
    opened on the host's loud syllables, 45 steps of his monologue)."""
    return np.asarray(levels > -119.0)


def _floor_db(levels: npt.NDArray[np.float64]) -> float:
    """A microphone's own noise (dB): its quietest steps (FLOOR_PERCENTILE), the silence
    where it was not yet or no longer recording left out."""
    recorded = levels[_recording(levels)]
    return float(np.percentile(recorded, FLOOR_PERCENTILE)) if recorded.size else -120.0


def _who_speaks(heard: dict[int, npt.NDArray[np.float64]], count: int) -> Decisions:
    """Per voice track, the steps where its person speaks and where they speak alone (and lead:
    the steps their speech level is measured on), and the steps where anyone is heard, from the
    voice tracks' step levels as recorded (in the DECISION_BAND_HZ).

    Levels count relative to each track's own speech level (recorders set to other gains: a
    quiet guest on a low recorder is nearly as loud as bleed on the host's microphone as on
    their own). A step counts on a microphone only above its own noise (a noisy phone line's
    hiss, relative to its person's quiet voice, is no speech). Each step's dominant voice is
    the one loudest against its own speech; how loud that voice is on every other microphone
    (its bleed there) is then measured where it is clearly alone, and another microphone
    counts as speaking only where it is louder than that bleed and its own noise together
    explain (crosstalk: both speak)."""
    voices = list(heard)
    floor = {i: _floor_db(heard[i]) for i in voices}
    own = {i: float(np.percentile(heard[i], 99)) for i in voices}
    # A microphone hears something where it stands FLOOR_MARGIN_DB above its own noise.
    audible = {i: heard[i] > floor[i] + FLOOR_MARGIN_DB for i in voices}
    active = np.zeros(count, dtype=bool)
    for i in voices:
        active |= audible[i] & (heard[i] > own[i] - PAUSE_BELOW_DB)
    dominant = np.zeros(count, dtype=int)
    clear = np.zeros(count, dtype=bool)

    # Who leads a step is told from each microphone's sound above its own noise: the noise
    # counts for nothing, and a voice only a few dB over it still leads (a phone line's quiet
    # syllables 1-6 dB over its hiss led nowhere, so the room microphones hearing them as
    # bleed were taken for speaking: an outside round's room pumped 35-40 dB in its turns).
    over_noise = {}
    for i in voices:
        power = 10 ** (heard[i] / 10) - 10 ** (floor[i] / 10)
        over_noise[i] = np.where(power > 0, 10 * np.log10(np.maximum(power, 1e-30)), -200.0)

    def against(reference: dict[int, float]) -> npt.NDArray[np.float64]:
        return np.array([over_noise[i] - reference[i] for i in voices])

    balance = _balanced(heard, active, voices)
    # own speech levels and the dominant voice settle together (balanced: decided at once)
    for _ in range(3 if balance is None else 1):
        relative = against(own if balance is None else balance)
        order = np.sort(relative, axis=0)
        dominant = np.argmax(relative, axis=0)
        margin = order[-1] - order[-2] if len(voices) > 1 else np.full(count, 99.0)
        clear = active & (margin >= CLEAR_DB)
        for n, i in enumerate(voices):
            level = _speech_db(heard[i], clear & (dominant == n))
            if level is not None:
                own[i] = level
    # Where the speech levels settled on a handful of steps for some voice, each pair's split
    # decides who leads instead (see _pairwise_lead).
    lead = _pairwise_lead(heard, over_noise, active, voices) if balance is None else None
    if lead is not None:
        led = [int(np.sum(clear & (dominant == n))) for n in range(len(voices))]
        split = [int(np.sum(lead[1] & (lead[0] == n))) for n in range(len(voices))]
        if any(was < SETTLED_SHARE * now for was, now in zip(led, split, strict=True)):
            dominant, clear = lead
            for n, i in enumerate(voices):
                level = _speech_db(heard[i], clear & (dominant == n))
                if level is not None:
                    own[i] = level
    couplings = _couplings(heard, voices, own, active, dominant)
    relative = against(own)
    speaking, bleeding = {}, {}
    for m, j in enumerate(voices):
        noise = 10 ** ((floor[j] + BLEED_MARGIN_DB) / 10)
        expected, echo = _expected_bleed(heard, voices, m, own, dominant, couplings, noise)
        # where the others' late bleed (an echo), more than the microphone's noise, explains
        # what it hears (a room's bleed comes with its voice: a word started under another's
        # is not held back there, or crosstalk loses its second speaker's first words)
        bleeding[j] = active & (echo > noise) & (heard[j] <= 10 * np.log10(expected))
        expected = 10 * np.log10(expected)
        within = relative[m] >= -QUIET_WORDS_DB
        # even the step's leading voice, against its own speech level, is no speech where the
        # others' bleed explains it (the quiet end of another's word on a quiet guest's mic)
        speaking[j] = active & (heard[j] > expected) & ((dominant == m) | within)
    alone = {}
    for m, j in enumerate(voices):
        others = np.zeros(count, dtype=bool)
        for i in voices:
            if i != j:
                others |= speaking[i]
        alone[j] = speaking[j] & ~others & (dominant == m)
        # a person's quieter steps between their words (nobody else speaking) count as theirs,
        # as a loudness meter's 400 ms blocks take them in over a turn
        around = _dilate(alone[j], WORD_GAP_STEPS, 0) & _dilate(alone[j], 0, WORD_GAP_STEPS)
        alone[j] |= around & active & ~others
    # In a pause (nobody heard, or only the others' bleed: a phone line's echo of the last
    # words goes on into a pause between them), each microphone keeps its last decision: the
    # room goes on (an outside round's double-ender closed the speaker's microphone at every
    # gap between her words, and the room dropped 20 dB there); before anyone speaks, each
    # takes its first (the first speaker's room is heard). The pause's last LOOKAHEAD_STEPS
    # take the next decision: the next speaker's microphone opens that early anyway, and the
    # last speaker's leveler raises the next one's bleed there (its phrase starts early), so
    # the room came up 19 dB for 200 ms before a quiet guest's turn (an outside round); not
    # where a microphone hears only the others' late bleed (a phone line's echo of the last
    # words: the next speaker's microphone stays closed there).
    anyone = np.any([speaking[i] for i in voices], axis=0) & active
    echoing = np.any([bleeding[i] for i in voices], axis=0)
    steps = np.arange(count)
    last = np.maximum.accumulate(np.where(anyone, steps, -1))
    following = np.minimum.accumulate(np.where(anyone, steps, count)[::-1])[::-1]
    first = int(np.argmax(anyone)) if anyone.any() else 0
    last = np.where(last < 0, first, last)
    ahead = (following < count) & (following - steps <= LOOKAHEAD_STEPS) & ~echoing
    last = np.where(ahead, following, last)
    said = speaking
    speaking = {i: mask[last] for i, mask in speaking.items()}
    return Decisions(speaking, alone, active, bleeding, said, couplings[1])


# bleed[n, m]: voice n on microphone m, relative to microphone n (dB); delay[n, m]: the 100 ms
# steps voice n's sound takes to reach microphone m
Couplings = tuple[dict[tuple[int, int], float], dict[tuple[int, int], int]]


def _couplings(
    heard: dict[int, npt.NDArray[np.float64]],
    voices: list[int],
    own: dict[int, float],
    active: npt.NDArray[np.bool_],
    dominant: npt.NDArray[np.int_],
) -> Couplings:
    """How loud and how late each voice reaches every other microphone. The bleed is
    measured where the voice leads at full voice (within CLEAR_DB of its speech level; its
    median: crosstalk is the exception), not only where it leads clearly: a quiet guest on a
    low recorder hears the host within CLEAR_DB of the guest's own voice, and the host would
    never lead clearly there. The delay is 0 in a room (its path's few ms); a phone line's
    echo arrives steps late, and its bleed is measured that much later."""
    count = active.size
    bleed: dict[tuple[int, int], float] = {}
    delay: dict[tuple[int, int], int] = {}
    for n, i in enumerate(voices):
        mask = active & (dominant == n) & (heard[i] >= own[i] - CLEAR_DB)
        for m, j in enumerate(voices):
            if m != n and mask.sum() >= 3:
                late = delay[n, m] = _bleed_delay(heard[i], heard[j], mask)
                steps = np.flatnonzero(mask[: count - late])
                steps = steps[_recording(heard[j][steps + late])]
                if steps.size:
                    bleed[n, m] = float(np.median(heard[j][steps + late] - heard[i][steps]))
    return bleed, delay


def _expected_bleed(
    heard: dict[int, npt.NDArray[np.float64]],
    voices: list[int],
    m: int,
    own: dict[int, float],
    dominant: npt.NDArray[np.int_],
    couplings: Couplings,
    noise: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """What microphone `m` would hear, per step, of every other voice and of its own `noise`
    (as power: at a word's quiet edge the bleed is below the noise), and the part of it that
    comes late (a phone line's echo). A voice whose coupling is unknown counts by the old rule:
    where it leads, GATE_MARGIN_DB below it against the two speech levels."""
    bleed, delay = couplings
    j = voices[m]
    count = heard[j].size
    expected = np.full(count, noise)
    echo = np.zeros(count)
    for n, i in enumerate(voices):
        if n == m:
            continue
        coupling = bleed.get((n, m))
        if coupling is None:
            guess = heard[i] - own[i] + own[j] - GATE_MARGIN_DB
            expected += np.where(dominant == n, 10 ** (guess / 10), 0.0)
            continue
        # A voice's bleed at a step comes from its own steps `late` before: the end of a word
        # falls into the next step there (the path's delay is no whole number of steps), and
        # a measured delay may be a step off. Expected from the loudest of them, and only
        # where n leads (at one of them): elsewhere what microphone n hears is the others'
        # bleed, not its person (that bleed's bleed is no measure).
        late = delay[n, m]
        shifts = range(max(0, late - 1), late + 2) if late else range(2)
        held = np.max([_later(heard[i], k) for k in shifts], axis=0)
        leads = np.any([_later(dominant == n, k) for k in shifts], axis=0)
        margin = ECHO_MARGIN_DB if late else BLEED_MARGIN_DB
        # (held as the room's tail holds it, into the steps after n stopped leading: in a
        # room of RT60 0.8 s whose tail was as loud as the direct sound, the microphones of
        # the silent ones stood over the speaker's in each pause and opened there, raising
        # the tail up to 10 dB: an outside round)
        leading = np.asarray(np.where(leads, held + coupling + margin, -200.0), np.float64)
        part = 10 ** (_fading(leading, STEP_FADE_DB) / 10)
        part[part < 1e-19] = 0.0
        expected += part
        if late:
            echo += part
    return expected, echo


@dataclass(frozen=True)
class Decisions:
    """`_who_speaks`' answer, per voice track (by number): the steps where its person speaks
    (a pause keeps the last decision), where they speak alone and lead, the steps where anyone
    is heard, where the microphone hears only what the others' late bleed explains, and where
    its person is heard to speak (the pauses left as they are)."""

    speaking: dict[int, npt.NDArray[np.bool_]]
    alone: dict[int, npt.NDArray[np.bool_]]
    active: npt.NDArray[np.bool_]
    bleeding: dict[int, npt.NDArray[np.bool_]]  # where the others' late bleed explains it all
    said: dict[int, npt.NDArray[np.bool_]]  # where its person is heard to speak (no pause kept)
    delays: dict[tuple[int, int], int]  # steps voice n takes to reach microphone m (_couplings)

    def turns(self, voice: int) -> npt.NDArray[np.bool_]:
        """The steps of its person's turns, as a loudness meter over them hears the voice:
        from the first to the last step they are heard in each stretch where they speak (a
        pause keeps the last decision; not the pause after their last word, where a music bed
        comes up), without the steps where anybody else is heard to speak. Their quiet
        syllables count too, not only the steps where they clearly lead: a phone line's voice
        a few dB over its hiss led on 209 of its 352 steps, and made equal to the host there,
        it ended 2.1 LU under him over its turns (an outside round)."""
        speaking, said = self.speaking[voice], self.said[voice]
        count = said.size
        steps = np.arange(count)
        stretch = np.cumsum(~speaking)  # the same number along each stretch of speaking
        before = np.maximum.accumulate(np.where(said, steps, 0))
        after = np.minimum.accumulate(np.where(said, steps, count - 1)[::-1])[::-1]
        inside = said[before] & said[after] & (stretch[before] == stretch[after])
        others = np.zeros(count, dtype=bool)
        for other, heard in self.said.items():
            if other != voice:
                others |= heard
        return np.asarray(speaking & inside & ~others)

    def opened(self, voice: int, over_echo: bool = False) -> npt.NDArray[np.bool_]:
        """Where the crossgate leaves a voice's microphone open: where its person speaks, and
        LOOKAHEAD_STEPS before, except where the others' late bleed is all it hears there (a
        phone line's echo of the other's last word, raised by this voice's leveler, passed
        before every quick reply: an outside round's stems kept it at -9 dB). `over_echo`:
        there too (`_gate_openings` then opens it where its own sound rises over the echo)."""
        speaking = self.speaking[voice]
        ahead = _dilate(speaking, LOOKAHEAD_STEPS, HOLD_STEPS)
        if not over_echo:
            ahead &= ~self.bleeding[voice]
        return np.asarray(speaking | ahead)


def _band_couplings(
    raw: list[npt.NDArray[np.float64]],
    bands: dict[int, npt.NDArray[np.float64]],
    decided: Decisions,
    count: int,
) -> dict[tuple[int, int], npt.NDArray[np.float64]]:
    """How loud each voice reaches every other voice's microphone, band by band (`bands`: each
    voice's 100 ms levels in the GATE_BANDS_HZ, a row a band), relative to its own: the median
    where its person speaks alone at full voice (within CLEAR_DB of their speech level, by
    `raw`: their K-weighted 100 ms levels) and the other microphone was recording, as late as
    it arrives there (`Decisions.delays`: a line's echo, steps late); NaN in a band where the
    voice stands less than CARRIED_DB over its own microphone's noise."""
    bleed: dict[tuple[int, int], npt.NDArray[np.float64]] = {}
    for i in decided.said:
        full = decided.alone[i] & decided.active
        own = _speech_db(raw[i][:count], full)
        if own is None:
            continue
        full &= raw[i][:count] >= own - CLEAR_DB
        for j in decided.said:
            late = decided.delays.get((i, j), 0)
            steps = np.flatnonzero(full[: count - late])
            steps = steps[_recording(raw[j][steps + late])]
            if j != i and steps.size >= 3:
                heard = bands[j][:, steps + late] - bands[i][:, steps]
                coupling = np.median(heard, axis=1)
                # (a band its voice hardly reaches, as a phone line's below 300 Hz: what
                # arrives there on the other microphone is not told by its level)
                floor = np.array([_floor_db(band) for band in bands[i]])
                carried = np.median(bands[i][:, steps], axis=1) - floor >= CARRIED_DB
                bleed[i, j] = np.where(carried, coupling, np.nan)
    return bleed


def _steps(sub_steps: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Levels (dB) on GATE_STEPS sub-steps, a row a band, as levels of whole steps."""
    power = 10 ** (sub_steps / 10)
    steps = power.reshape(power.shape[0], -1, GATE_STEPS).mean(axis=2)
    return np.asarray(10 * np.log10(steps + 1e-20), dtype=np.float64)


def _fading(
    levels: npt.NDArray[np.float64], fade_db: float = BLEED_FADE_DB
) -> npt.NDArray[np.float64]:
    """`levels` (dB, along the last axis: sub-steps, or steps with their `fade_db`) each held
    as a room's tail holds a sound: falling `fade_db` a (sub-)step from its last peak, never
    below the level now (a running maximum of level + fade x time)."""
    fade = fade_db * np.arange(levels.shape[-1])
    return np.asarray(np.maximum.accumulate(levels + fade, axis=-1) - fade, dtype=np.float64)


def _room_fade_db(
    heard: npt.NDArray[np.float64], said: npt.NDArray[np.bool_], anyone: npt.NDArray[np.bool_]
) -> float:
    """How fast (dB a sub-step) a voice's bleed fades on a microphone once its person stops
    (`heard`: the microphone's sub-step levels; `said`: the steps the person is heard to
    speak; `anyone`: any person): the median slope of the levels over the pauses of
    ROOM_FADE_S or more after their words, from 60 ms on (past the last syllable's own
    fall), where they stand ROOM_FADE_OVER_DB over the microphone's noise; BLEED_FADE_DB (a
    room of RT60 0.5 s) where a room fades faster or is not measured, never slower than a
    room of RT60 1.2 s. In an
    outside round's RT60 1.0 s room the other's tail stood up to 15 dB over a fade of
    BLEED_FADE_DB on the silent microphone, which opened through each pause after his words."""
    pause = round(ROOM_FADE_S / STEP_S)
    count = min(said.size, anyone.size)
    ends = np.flatnonzero(said[: count - 1] & ~said[1:count])  # last steps of their words
    floor = _floor_db(heard)
    slopes = []
    for end in ends:
        after = slice(end + 1, end + 1 + pause)
        if end + 1 + pause > count or anyone[after].any():
            continue
        first = (end + 1) * GATE_STEPS + 3
        tail = heard[first : (end + 1 + pause) * GATE_STEPS]
        usable = np.flatnonzero(tail > floor + ROOM_FADE_OVER_DB)
        if usable.size >= 4 and usable[-1] - usable[0] + 1 == usable.size:
            slopes.append(-np.polyfit(usable, tail[usable], 1)[0])
    if len(slopes) < ROOM_FADE_LEAST:
        return BLEED_FADE_DB
    return float(np.clip(np.median(slopes), ROOM_FADE_SLOWEST_DB, BLEED_FADE_DB))


def _fine_delay(
    lead: npt.NDArray[np.float64],
    other: npt.NDArray[np.float64],
    leads: npt.NDArray[np.bool_],
    steps: int,
) -> int:
    """How many sub-steps the `lead` microphone's voice reaches the `other` later, within a
    step of `steps` (its delay in 100 ms steps): the shift at which the other's sub-step
    levels follow the lead's best where it leads (`leads`, per sub-step)."""
    shifts = range(max(0, (steps - 1) * GATE_STEPS), (steps + 1) * GATE_STEPS + 1)
    found = _best_follow(lead, other, np.flatnonzero(leads), shifts, DELAY_MIN_STEPS * GATE_STEPS)
    return steps * GATE_STEPS if found is None else found


def _own_sound_from(theirs: npt.NDArray[np.bool_]) -> int:
    """Where a microphone's own sound rises for good over the sub-steps before its person is
    heard to speak (`theirs`: where the others' bleed explains it): after the last ONSET_GAP
    sub-steps in a row that are the others'. A shorter dip lies between the person's own
    first syllables (an outside round's guest: her first syllable, then a closure as quiet as
    the line's echo, and the microphone opened after it: 24 dB off her first word)."""
    run = 0
    for at in range(theirs.size - 1, -1, -1):
        run = run + 1 if theirs[at] else 0
        if run >= ONSET_GAP:
            return at + run
    return 0 if run < theirs.size else theirs.size


@dataclass(frozen=True)
class OwnSound:
    """Per sub-step of a voice's microphone (`_own_sound`), over the others' bleed it predicts
    and its noise: `own`, two bands OWN_BAND_DB over; `explained`, the bleed comes through and
    is not `own`; `lingers`, one band OWN_BAND_DB over (a sound's fading end); `over`, one
    band over at all (a sound's rising flank, before it is told as `own`)."""

    own: npt.NDArray[np.bool_]
    explained: npt.NDArray[np.bool_]
    lingers: npt.NDArray[np.bool_]
    over: npt.NDArray[np.bool_]
    margin_db: npt.NDArray[np.float64]  # the second band's: how far `own` stands over


def _refined(
    tracks: tuple[Track, ...],
    placed: list[tuple[Decoded, Alignment]],
    offsets: list[tuple[Alignment, bool]],
    decided: Decisions,
    start: float,
) -> list[tuple[Alignment, bool]]:
    """Each measured microphone's offset against the first, made exact from where each of the
    two persons speaks alone: the first's voice reaches the other microphone as much later
    as the other's voice reaches the first (a room's paths run both ways), so half the
    difference of the two delays is what the placement is off. The alignment measures both
    at once, and with a third person's bleed between them it took the wrong pair of peaks
    (an outside round's microphones 0.75 to 6.7 ms apart, their voices comb-filtered where
    two were open). A person who hardly speaks alone is placed from where they speak beside
    one other person only, against that person's microphone once it is placed (`_beside_off`).
    Kept as measured where neither gives a delay that stands out, for a phone line (whose
    return is no room path) and a voice that reaches the other late (an echo)."""
    step = STEP * ALIGN_RATE // RATE
    if not tracks[0].voice or tracks[0].role == "phone" or 0 not in decided.alone:
        return offsets
    count = decided.active.size
    refined = list(offsets)
    never = np.zeros(count, dtype=bool)
    alone = {n: decided.alone.get(n, never) & decided.active for n in decided.said}
    # The microphones placed on one time so far, each at ALIGN_RATE, by track.
    checked = {0: place(placed[0][0].low, placed[0][1], start, count * step, ALIGN_RATE)}
    waiting: dict[int, Samples] = {}  # tracks placed by neither alone, and their microphone
    for i, (found, measured) in enumerate(offsets[1:], start=1):
        # (a given offset its drift fit moved to where the sound matches is made exact as a
        # measured one: an outside round's listener, given exactly, was moved 3.8 ms off)
        if (
            (not measured and found.offset_s == tracks[i].offset_s)
            or not tracks[i].voice
            or tracks[i].role == "phone"
            or i not in decided.said
            or decided.delays.get((0, i), 0)
            or decided.delays.get((i, 0), 0)
        ):
            continue
        other = place(placed[i][0].low, found, start, count * step, ALIGN_RATE)
        whole = _placement_off(checked[0], other, (alone[0], alone[i]), step)
        if whole is None:
            waiting[i] = other
            continue
        moved = found
        if REFINE_TRUSTED_S < abs(whole) <= REFINE_REACH_S / 2:
            moved = replace(found, offset_s=found.offset_s - whole)
        if found.drift_unknown and count * STEP_S >= DRIFT_MIN_S:
            steps = (alone[0], alone[i], _beside(decided, i, 0))
            moved = _held(checked[0], other, steps, step, (found, start)) or moved
        refined[i] = (moved, measured)
        if moved is not found:
            other = place(placed[i][0].low, moved, start, count * step, ALIGN_RATE)
        checked[i] = other
    rooms = sum(t.voice and t.role != "phone" for t in tracks)
    for i, other in waiting.items():
        found, measured = refined[i]
        partners = [
            (partners_own, alone[partner], _beside(decided, i, partner))
            for partner, partners_own in checked.items()
            if not decided.delays.get((partner, i), 0) and not decided.delays.get((i, partner), 0)
        ]
        whole = _beside_off(other, partners, step)
        if whole is None:
            refined[i] = (replace(found, unchecked=rooms >= 3), measured)
        elif REFINE_TRUSTED_S < abs(whole) <= REFINE_REACH_S / 2:
            refined[i] = (replace(found, offset_s=found.offset_s - whole), measured)
    return refined


def _held(
    first: Samples,
    other: Samples,
    steps: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
    step: int,
    placed: tuple[Alignment, float],
) -> Alignment | None:
    """A track placed by its start only (`placed`: its alignment, and the recording's start),
    its drift windows having disagreed (a third person's bleed, a room's reflections; an
    outside round's two microphones without any drift were warned of as "up to 10.3 ms
    apart"), with the drift that the placement's error in the first and the second half
    (`_placement_off`, from `steps`: where each of the two speaks alone; else `_beside_off`,
    from where the other is heard beside the first only: the fifth of five persons spoke
    alone too little in one half, and its warning was false) gives, where the two agree
    within REFINE_TRUSTED_S: the mix does not drift apart. None where they do not, or
    either is not found."""
    found, start = placed
    alone_first, alone_other, beside = steps
    count = alone_first.size
    early = np.arange(count) < count // 2
    halves = [
        _placement_off(first, other, (alone_first & half, alone_other & half), step)
        if np.count_nonzero(alone_other & half) >= REFINE_LEAST
        else _beside_off(other, [(first, alone_first & half, beside & half)], step)
        for half in (early, ~early)
    ]
    off_early, off_late = halves
    if off_early is None or off_late is None or abs(off_late - off_early) > REFINE_TRUSTED_S:
        return None
    middles = (start + count / 4 * STEP_S, start + 3 * count / 4 * STEP_S)
    slope = (off_late - off_early) / (middles[1] - middles[0])
    at_zero = off_early - slope * middles[0]
    return replace(
        found,
        offset_s=found.offset_s - at_zero,
        drift=found.drift - slope,
        windows=2,
        disagreement_ms=0.0,
        drift_unknown=False,
    )


def _placement_off(
    first: Samples,
    other: Samples,
    alone: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
    step: int,
) -> float | None:
    """How late (s) `other` microphone lies against the `first` (both placed, at
    ALIGN_RATE): half the difference of the first voice's delay onto the other and the
    other voice's onto the first, from the steps where each speaks `alone` (None where either
    is not found)."""
    late_there = _alone_delay(other, first, alone[0], step)
    late_here = _alone_delay(first, other, alone[1], step)
    if late_there is None or late_here is None:
        return None
    return (late_there - late_here) / 2


def _beside(decided: Decisions, voice: int, partner: int) -> npt.NDArray[np.bool_]:
    """The steps where `voice` is heard to speak and nobody but the `partner`."""
    beside = decided.said[voice] & decided.active
    for other, said in decided.said.items():
        if other not in (partner, voice):
            beside &= ~said
    return beside


def _beside_off(
    other: Samples,
    partners: list[tuple[Samples, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]],
    step: int,
) -> float | None:
    """`_placement_off` for a person who hardly speaks alone (back-channels under others'
    words; an outside round's listener placed 5.5 ms off), from `partners` already placed:
    each one's microphone, the steps where its person speaks alone and those where the other
    is heard beside them (`_beside`). Each partner's delay onto `other` comes from where they
    speak alone; the other's onto theirs from where both speak, a correlation with the
    partner's voice in it too, whose peak is left out. Each correlation, read as how far the
    placement is off, is summed over the partners: a few back-channels beside each of two
    persons agree where neither alone stands out. None without a peak BESIDE_SURE over the
    rest."""
    grid = np.arange(-REFINE_REACH_S / 2, REFINE_REACH_S / 2, 0.5 / ALIGN_RATE)
    summed = np.zeros(grid.size)
    for partners_own, alone, beside in partners:
        late_there = _alone_delay(other, partners_own, alone, step)
        if late_there is None:
            continue
        lags = _window_correlation(partners_own, other, beside, step, REFINE_FEWEST, inner=False)
        if lags is None:
            continue
        seconds = (np.arange(lags.size) - lags.size // 2) / ALIGN_RATE
        # The partner's own voice reaches `other` late_there later: its peak, at -late_there.
        lags = np.where(np.abs(seconds + late_there) <= 0.0005, 0.0, lags)
        # A lag of the other's voice onto the partner's microphone puts it this far off.
        summed += np.interp(late_there - 2 * grid, seconds, lags, left=0.0, right=0.0)
    if not summed.any():
        return None
    best = int(np.argmax(summed))
    elsewhere = np.abs(summed[np.abs(grid - grid[best]) > 0.00025]).max()
    if summed[best] < BESIDE_SURE * elsewhere or not 0 < best < grid.size - 1:
        return None
    return float(np.interp(_parabolic(summed, best), np.arange(grid.size), grid))


def _alone_delay(
    heard: Samples, source: Samples, alone: npt.NDArray[np.bool_], step: int
) -> float | None:
    """How much later (s) a voice sounds on `heard` than on its own microphone (`source`),
    from the steps where it speaks `alone` (both at ALIGN_RATE, on one time): the phase
    correlation's peak over REFINE_MOST windows at most, within REFINE_REACH_S; None with
    fewer than REFINE_LEAST windows or a peak that does not stand REFINE_SURE over the
    rest."""
    lags = _window_correlation(heard, source, alone, step, REFINE_LEAST)
    return None if lags is None else _sure_lag(lags)


def _window_correlation(
    heard: Samples,
    source: Samples,
    steps: npt.NDArray[np.bool_],
    step: int,
    least: int,
    inner: bool = True,
) -> npt.NDArray[np.float64] | None:
    """The phase correlation of `heard` against `source` summed over windows centred on
    `steps` (with `inner`, only those inside a run of three: the window lies in it), lag by
    lag from -REFINE_REACH_S to +REFINE_REACH_S; None with fewer than `least` windows."""
    if inner:
        steps = steps & np.roll(steps, 1) & np.roll(steps, -1)
        steps[[0, -1]] = False
    centres = np.flatnonzero(steps) * step + step // 2
    centres = centres[(centres >= REFINE_FRAME) & (centres + REFINE_FRAME < heard.size)]
    if centres.size < least:
        return None
    centres = centres[np.linspace(0, centres.size - 1, min(REFINE_MOST, centres.size)).astype(int)]
    at = centres[:, None] + np.arange(-REFINE_FRAME // 2, REFINE_FRAME // 2)[None, :]
    window = np.hanning(REFINE_FRAME).astype(np.float32)
    size = 2 * REFINE_FRAME
    cross = np.sum(
        np.fft.rfft(heard[at] * window, size) * np.conj(np.fft.rfft(source[at] * window, size)),
        axis=0,
    )
    correlation = np.fft.irfft(cross / (np.abs(cross) + 1e-20), size)
    reach = round(REFINE_REACH_S * ALIGN_RATE)
    return np.concatenate([correlation[-reach:], correlation[: reach + 1]])


def _sure_lag(lags: npt.NDArray[np.float64]) -> float | None:
    """The lag (s) of the highest peak of `_window_correlation`'s `lags`; None where it does
    not stand REFINE_SURE over every lag 0.5 ms or more away from it."""
    reach = lags.size // 2
    best = int(np.argmax(lags))
    elsewhere = np.abs(np.delete(lags, np.arange(best - 8, best + 9) % lags.size)).max()
    if lags[best] < REFINE_SURE * elsewhere or not 0 < best < lags.size - 1:
        return None
    return (_parabolic(lags, best) - reach) / ALIGN_RATE


def _bleed_remains(
    tracks: tuple[Track, ...],
    placed: list[tuple[Decoded, Alignment]],
    decided: Decisions,
    start: float,
    count: int,
) -> dict[int, npt.NDArray[np.float64]]:
    """Each voice microphone's levels in the GATE_BANDS_HZ on the crossgate's sub-steps with
    the others' bleed taken out, as far as their paths onto it explain it (unbleed.py: learnt
    where each person speaks alone), for the microphones in the room: not a phone line's,
    whose paths cross a codec (on a test's line the studio's microphones opened on the
    caller's voice, their stems 11 dB under it as recorded), nor one a voice reaches late
    (a double-ender's echo: an outside round's guest microphone opened 1.3 s on it). Frees
    each track's `low`."""
    from podcast.audio.unbleed import bleed_removed

    step = STEP * ALIGN_RATE // RATE
    microphones = {
        i: place(d.low, where, start, count * step, ALIGN_RATE)
        for i, (d, where) in enumerate(placed)
        if i in decided.said
        and tracks[i].role != "phone"
        and not any(late and i in pair for pair, late in decided.delays.items())
    }
    for d, _ in placed:
        d.low = np.zeros(0, dtype=np.float32)
    if len(microphones) < 2:
        return {}
    alone = {i: decided.alone[i] & decided.active for i in microphones}
    remains = bleed_removed(microphones, alone, step)
    microphones.clear()
    sub_count, sub_s, block_s = count * GATE_STEPS, STEP_S / GATE_STEPS, GATE_BAND_BLOCK_S
    levels = {}
    for i in list(remains):
        sums = _energy_sums(remains.pop(i), _gate_bands(ALIGN_RATE), ALIGN_RATE, block_s)
        at = Alignment(0.0, 0.0, 0.0)
        levels[i] = np.array(
            [_placed_db(s, ALIGN_RATE, at, 0.0, sub_count, sub_s, block_s) for s in sums]
        )
    return levels


def _spread(power: npt.NDArray[np.float64], reach: int) -> npt.NDArray[np.float64]:
    """`power` (a row a band, along sub-steps) at each sub-step the most within `reach`
    sub-steps either side."""
    from scipy.ndimage import maximum_filter1d

    return np.asarray(maximum_filter1d(power, 2 * reach + 1, axis=1, mode="nearest"))


def _unexplained(
    remains: npt.NDArray[np.float64],
    bleeding: npt.NDArray[np.float64],
    noise: npt.NDArray[np.float64],
    alone: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Per band and sub-step, what share of a voice's bleed on a microphone (`bleeding`: its
    power as `_own_sound` predicts it) its path leaves there (`remains`: the microphone's
    power with the bleed taken out, its `noise` aside), from the sub-steps near it where the
    voice speaks `alone` and its bleed stands UNBLEED_OVER_DB over the noise: their median
    within UNBLEED_NEAR_S either side, raised by UNBLEED_SPREAD_DB, at most 1 (all of it; so
    too with fewer than UNBLEED_LEAST such sub-steps there). Near, not over the recording: a
    host who turned his head half-way left his learnt path wrong, and the others'
    microphones opened on his words for seconds at a time (an outside round)."""
    bands, count = bleeding.shape
    share = np.ones((bands, count))
    clear = (bleeding > noise * 10 ** (UNBLEED_OVER_DB / 10)) & alone
    left = np.maximum(remains - noise, 0.0) / np.maximum(bleeding, 1e-30)
    block = round(UNBLEED_NEAR_S / (STEP_S / GATE_STEPS))
    raised = 10 ** (UNBLEED_SPREAD_DB / 10)
    # (told apart where the bleed falls between words: there a room's tail is most of it,
    # and a path shorter than the tail leaves more of it; in a room of RT60 0.8 s the silent
    # microphone opened in the other's short pauses, on the median share of her words)
    falling = bleeding < _spread(bleeding, UNBLEED_FALL_REACH) * 10 ** (-UNBLEED_FALL_DB / 10)
    # (and where it rises out of a pause: a path leaves more of a word's first 100-200 ms,
    # 16 dB under the bleed as recorded where it took 30 dB off the words after, and the
    # silent microphone opened 0.4 s into the other's first words: an outside round)
    least_before = np.full_like(bleeding, np.inf)
    for back in range(1, UNBLEED_RISE_REACH + 1):
        least_before[:, back:] = np.minimum(least_before[:, back:], bleeding[:, :-back])
    rising = ~falling & (bleeding > least_before * 10 ** (UNBLEED_RISE_DB / 10))
    steady = ~falling & ~rising
    for first in range(0, count, block):
        near = slice(max(0, first - block), min(count, first + 2 * block))
        for band in range(bands):
            for part in (falling[band], rising[band], steady[band]):
                where = clear[band, near] & part[near]
                if np.count_nonzero(where) >= UNBLEED_LEAST:
                    ratio = min(1.0, float(np.median(left[band, near][where])) * raised)
                    chosen = part[first : first + block]
                    share[band, first : first + block][chosen] = ratio
    return share


def _own_sound(
    voice: int,
    decided: Decisions,
    fine: dict[int, npt.NDArray[np.float64]],
    banded: tuple[dict[int, npt.NDArray[np.float64]], dict[int, npt.NDArray[np.float64]]],
    couplings: dict[tuple[int, int], npt.NDArray[np.float64]],
) -> OwnSound | None:
    """Per sub-step of a voice's microphone, whether its own sound is heard there, and whether
    the others' bleed explains what it hears (their bleed comes through over its noise, and
    its own sound is not heard); None where a voice's bleed on it is unknown. Own sound: two
    bands (OWN_BANDS) OWN_BAND_DB over the others' bleed in them and the microphone's noise,
    BLIND_MARGIN_DB further in a band some voice hardly reaches (`_band_couplings`' NaN): a
    phone line's voice, heard in the studio in full, comes through up to 13 dB over what its
    line's level predicts above 2.4 kHz, and the host's "s" 18-24 dB.
    Told band by band, a guest's nasal "m" under the host's words stood 8-19 dB over his bleed
    in its bands, where the level in all bands stood 2-4 dB over it (an outside round: her
    "mhm" lost its "m", -24 dB in her stem).
    Told on the microphone with the others' bleed taken out (`banded`: its levels as
    recorded and so, `_bleed_remains`), over what of the bleed the paths leave there
    (`_unexplained`): "hm"s 12 dB under their speaker stood 2-8 dB over the other's bleed
    as recorded, and peaked 17-23 dB over what remained of it."""
    bands, remains = banded
    others = [(i, coupling) for (i, k), coupling in couplings.items() if k == voice]
    if len(others) < len(decided.said) - 1:
        return None
    heard = bands[voice]
    noise = 10 ** (np.array([_floor_db(band) for band in heard]) / 10)[:, None]
    left = 10 ** (remains[voice][:, : heard.shape[1]] / 10) if voice in remains else None
    # (the remains' own noise: the others' microphones' noise comes along with their paths,
    # and a guest recorded 10 dB low brought the host's remains 5 dB over his noise)
    noise_left = noise
    if voice in remains:
        floors = [_floor_db(band) for band in remains[voice][:, : heard.shape[1]]]
        noise_left = 10 ** (np.array(floors) / 10)[:, None]
    bleeding = np.zeros(heard.shape)
    bleeding_left = np.zeros(heard.shape)
    blind = np.zeros(heard.shape[0], dtype=bool)  # bands where a voice's bleed is not told
    anyone_said = np.logical_or.reduce(list(decided.said.values()))
    for i, coupling in others:
        late = decided.delays.get((i, voice), 0)
        # (a line's echo: on sub-steps as late as it comes, a sub-step either side)
        shift = 0
        if late:
            leads = np.repeat(decided.alone[i], GATE_STEPS)[: fine[i].size]
            shift = _fine_delay(fine[i], fine[voice], leads, late)
        shifts = range(max(0, shift - 1), shift + 2)
        held = np.asarray(np.max([_later(bands[i], k) for k in shifts], axis=0), np.float64)
        carried = ~np.isnan(coupling)
        blind |= ~carried
        fade = _room_fade_db(fine[voice], decided.said[i], anyone_said)
        bleed = 10 ** ((_fading(held, fade) + np.where(carried, coupling, -120.0)[:, None]) / 10)
        bleeding += bleed
        if left is not None and i not in remains:  # (a phone line's: none taken out)
            bleeding_left += bleed
        elif left is not None:
            # (what a path leaves of the bleed is spread over its frames: loud syllables'
            # remains lay over the quiet room after them, up to the level heard there)
            spread = _spread(bleed, UNBLEED_SMEAR)
            alone = np.repeat(decided.alone[i] & decided.active, GATE_STEPS)[: heard.shape[1]]
            bleeding_left += spread * _unexplained(left, spread, noise_left, alone)
    over = 10 ** (heard / 10) / (bleeding + noise)
    if left is not None:
        # (told over the remains only in bands where the sound stands over the bleed's level
        # as recorded: where a voice's last syllables fall, its path left its remains over
        # the quiet room, and the silent host's microphone opened 0.2-0.4 s at 5 of her
        # phrase ends in 60 s)
        # (and only where no phone line's person speaks: the remains of a line's voice on a
        # studio microphone, no path taken out, opened it to 2 dB of that voice on a test)
        outside = np.zeros(heard.shape[1], dtype=bool)
        for i, _ in others:
            if i not in remains:
                outside |= np.repeat(decided.said[i], GATE_STEPS)[: heard.shape[1]]
        unbled = np.maximum(over, left / (bleeding_left + noise_left))
        # (and only where taking the bleed out took UNBLEED_TOOK_DB away: where a path is
        # wrong, a head turned, a clipping recorder, it adds to what was heard; in a room of
        # RT60 0.8 s with a tail as loud as the direct sound it took little off the tails
        # of the other's words: trusted wherever it took anything, the silent microphone
        # opened 34 times in 55 s, from 2 dB 12 times; from 4 dB never, but a back-channel
        # at the level of the other's bleed was cut again)
        took = left < 10 ** ((heard - UNBLEED_TOOK_DB) / 10)
        over = np.where((over >= 1.0) & took & ~outside, unbled, over)
    over[blind] /= 10 ** (BLIND_MARGIN_DB / 10)  # (what is heard there may be anybody's)
    ranked = np.sort(over, axis=0)
    own = ranked[-OWN_BANDS] >= 10 ** (OWN_BAND_DB / 10)
    comes_through = np.any(bleeding > noise, axis=0)
    return OwnSound(
        own=np.asarray(own),
        explained=np.asarray(comes_through & ~own),
        lingers=np.asarray(ranked[-1] >= 10 ** (OWN_BAND_DB / 10)),
        over=np.asarray(ranked[-1] >= 1.0),
        margin_db=np.asarray(10 * np.log10(ranked[-OWN_BANDS] + 1e-20), dtype=np.float64),
    )


def _earliest_own(own: npt.NDArray[np.bool_]) -> int:
    """Where an utterance that goes on to the end of `own` (a microphone's sub-steps, whether
    its own sound is heard) began: its first sub-step of own sound that no OWN_GAP sub-steps
    without it part from the end (`own.size`: none)."""
    begins = own.size
    for at in range(own.size - 1, -1, -1):
        if begins - at > OWN_GAP:
            break
        if own[at]:
            begins = at
    return begins


def _own_runs(own: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The stretches of a microphone's own sound (`own`, per sub-step), no more than
    OWN_BRIDGE sub-steps without it apart: (first, end)."""
    heard = np.flatnonzero(own)
    if not heard.size:
        return []
    groups = np.split(heard, np.flatnonzero(np.diff(heard) > OWN_BRIDGE + 1) + 1)
    return [(int(group[0]), int(group[-1]) + 1) for group in groups]


def _rising_from(at: int, over: npt.NDArray[np.bool_], floor: int) -> int:
    """Where the sound told as a microphone's own from sub-step `at` began to rise: back over
    the sub-steps just before it that stand `over` the bleed in one band (`OwnSound`), no
    further than ONSET_REACH nor `floor`. In crosstalk a reply's first 40 ms stood over the
    other's bleed in one band only (an outside round: 15-25 dB lost)."""
    floor = max(floor, at - ONSET_REACH, 0)
    while at > floor and at <= over.size and over[at - 1]:
        at -= 1
    return at


def _near_opening(
    fine_open: npt.NDArray[np.bool_], over: npt.NDArray[np.bool_], first: int, end: int
) -> bool:
    """Whether a stretch of own sound (sub-steps `first` to `end`) lies open, or no more than
    ONSET_GAP sub-steps from an opening, or no more than OWN_GAP with the sound standing
    `over` the bleed in one band all the way between (`OwnSound`): a reply's last words under
    the other's first ones, 80 ms after the steps last gave them to her, lost 24 dB."""
    if fine_open[first:end].any():
        return True
    before = np.flatnonzero(fine_open[max(0, first - OWN_GAP - 1) : first])
    if before.size:
        gap = (max(0, first - OWN_GAP - 1) + int(before[-1]) + 1, first)
        if gap[1] - gap[0] <= ONSET_GAP or over[gap[0] : gap[1]].all():
            return True
    after = np.flatnonzero(fine_open[end : end + OWN_GAP + 1])
    if after.size:
        gap = (end, end + int(after[0]))
        if gap[1] - gap[0] <= ONSET_GAP or over[gap[0] : gap[1]].all():
            return True
    return False


def _follow_own(fine_open: npt.NDArray[np.bool_], heard: OwnSound) -> None:
    """Opens a microphone (`fine_open`, per sub-step) for as long as its own sound goes on
    where it is open or opens (`heard`), and on while it lingers (a sound's fading end, over
    the bleed in one band); from where it began, if it goes on into an opening. Decided on
    100 ms steps, a guest's "hm" under the host's words was her first step only: the
    microphone closed at the next, 24 dB off the rest of it (an outside round). Where its
    person is heard in no step, own sound opens the microphone only where OWN_ALONE_MIN
    sub-steps of it stand OWN_ALONE_DB over the bleed (a quiet "ja" under the host's
    words, 19 dB over his bleed, was cut whole): a phone line heard in the studio stood up
    to 10 dB over its predicted bleed in two bands for 100 ms on the silent host's
    microphone."""
    # (a run no more than ONSET_GAP sub-steps from an opening opens with it, and so may the
    # next one: followed forwards, then backwards, for a reply's first syllable in crosstalk)
    runs = _own_runs(heard.own[: fine_open.size])
    for first, end in [*runs, *reversed(runs)]:
        clear = np.count_nonzero(heard.margin_db[first:end] >= OWN_ALONE_DB) >= OWN_ALONE_MIN
        if clear or _near_opening(fine_open, heard.over, first, end):
            while end < fine_open.size and heard.lingers[end : end + OWN_BRIDGE + 1].any():
                end += 1
            first = _rising_from(first, heard.over, 0)
            fine_open[max(0, first - ONSET_LEAD) : min(fine_open.size, end + 1)] = True


def _gate_openings(
    decided: Decisions,
    fine: dict[int, npt.NDArray[np.float64]],
    banded: tuple[dict[int, npt.NDArray[np.float64]], dict[int, npt.NDArray[np.float64]]],
    couplings: dict[tuple[int, int], npt.NDArray[np.float64]],
    raw: list[npt.NDArray[np.float64]],
) -> dict[int, npt.NDArray[np.bool_]]:
    """Per voice track, where the crossgate leaves its microphone open, on GATE_STEP
    sub-steps (`fine`: each voice microphone's K-weighted level per sub-step; `banded`: its
    levels in the GATE_BANDS_HZ, as recorded and with the others' bleed taken out
    (`_bleed_remains`); `couplings`: `_band_couplings`; `raw`: each track's K-weighted 100 ms
    levels): as `Decisions.opened`, but

    - the steps it opens before its person is heard (the look-ahead, over a line's echo too)
      open only from ONSET_LEAD sub-steps before its sound rises for good
      (`_own_sound_from`) over what the others' bleed explains (`_own_sound`). Opened the
      whole look-ahead, a guest's microphone passed the host's last syllable at her gain
      before each quick reply (an outside round: his bleed in her stem only 13 dB under the
      recording, a phone line's 15 dB under the host's);
    - it opens earlier where its own sound is heard, up to OWN_REACH_STEPS before its person
      is heard to speak, within QUIET_WORDS_DB of their speech level and no OWN_GAP apart
      (`_earliest_own`): a back-channel's first sound (the "m" of "mhm") is hidden in the
      steps' decision band by the other's words."""
    openings = {j: np.repeat(decided.opened(j, over_echo=True), GATE_STEPS) for j in decided.said}
    held_back: list[tuple[int, int, int]] = []  # (voice, first, end): sub-steps it waits
    for j, said in decided.said.items():
        told = _own_sound(j, decided, fine, banded, couplings)
        if told is None:  # a voice's bleed unknown: opened as decided
            continue
        own, explained = told.own, told.explained
        speech = _speech_db(raw[j][: said.size], decided.alone[j] & decided.active)
        if speech is not None:  # (in place: `told.own`, which _follow_own reads, too)
            own &= fine[j] > speech - QUIET_WORDS_DB
        opened = decided.opened(j, over_echo=True)
        fine_open = openings[j]
        starts = np.flatnonzero(opened & ~np.concatenate([[False], opened[:-1]]))
        ends = np.flatnonzero(opened & ~np.concatenate([opened[1:], [False]])) + 1
        closed_since = 0  # where this microphone last closed (sub-steps)
        # Steps heard as its person's where the bands hear none of its own sound and the
        # others' bleed explains every sub-step: a line's echo 0.1 dB over its margin, or
        # in the other's pause over what her own microphone heard, opened a host's
        # microphone for 0.3 s at a time, her leveler raising the echo 15.5 dB (an outside
        # round's double-ender).
        per_step = (said.size, GATE_STEPS)
        unheard = (
            said
            & ~own[: said.size * GATE_STEPS].reshape(per_step).any(axis=1)
            & explained[: said.size * GATE_STEPS].reshape(per_step).all(axis=1)
        )
        for first, end in zip(starts, ends, strict=True):
            begin = int(first) * GATE_STEPS
            if said[first:end].any() and unheard[first:end][said[first:end]].all():
                fine_open[begin : int(end) * GATE_STEPS] = False
            # (and where steps after the last one its own sound is heard in are taken for
            # theirs where it is not, from there: a double-ender's host held her microphone
            # open 0.3 s on the guest's echo after her "ja", raising it 10 dB: an outside
            # round. Closed in the pause before them too, the room dropped at hand-overs.)
            heard = np.flatnonzero(said[first:end] & ~unheard[first:end])
            if heard.size and said[first + heard[-1] + 1 : end].any():
                close = int(first + heard[-1]) + 1
                # (to the end of the opening where another person speaks there; in a pause
                # only over those steps, the room going on after them: three microphones all
                # closed in a pause, the room at -93 dBFS for 1.1 s, in an outside round)
                others = any(o[close:end].any() for i, o in decided.said.items() if i != j)
                until = int(end) if others else int(first + np.flatnonzero(said[first:end])[-1]) + 1
                fine_open[close * GATE_STEPS : until * GATE_STEPS] = False
            if not heard.size:
                closed_since = int(end) * GATE_STEPS
                continue
            step = int(first + heard[0])
            speaks = step * GATE_STEPS
            # Where nobody else speaks, from where its own sound is first heard in its first
            # two steps: a step was taken for theirs while the other's last syllable still
            # rang in the room (under the others' words, its onset is heard as theirs).
            if not any(other[step] for i, other in decided.said.items() if i != j):
                sounds = np.flatnonzero(own[speaks : min(int(end), step + 2) * GATE_STEPS])
                speaks += int(sounds[0]) if sounds.size else 0
            rises = begin + _own_sound_from(explained[begin:speaks])
            floor = begin
            reach = max(closed_since, speaks - OWN_REACH_STEPS * GATE_STEPS)
            opens = max(begin, rises - ONSET_LEAD)
            earliest = reach + _earliest_own(own[reach:opens]) if reach < opens else opens
            if earliest < opens:
                rises, floor = earliest, reach
            rises = _rising_from(rises, told.over, floor)
            opens = max(floor, rises - ONSET_LEAD)
            fine_open[begin:opens] = False
            fine_open[opens:begin] = True
            if opens > begin:
                held_back.append((j, begin, opens))
            closed_since = int(end) * GATE_STEPS
        _follow_own(fine_open, told)
    # Whoever was open before a microphone's look-ahead stays open until it opens: the room
    # goes on (else a hand-over left every microphone closed, and the room dropped 17 dB
    # before each of a guest's turns).
    before = {j: fine_open.copy() for j, fine_open in openings.items()}
    for waiting, begin, opens in held_back:
        for i, fine_open in openings.items():
            if i != waiting and begin and before[i][begin - 1]:
                fine_open[begin:opens] = True
    return openings


def _balanced(
    heard: dict[int, npt.NDArray[np.float64]], active: npt.NDArray[np.bool_], voices: list[int]
) -> dict[int, float] | None:
    """Of two voices' microphones, what to take off each level before comparing who leads:
    for the second, midway between where its level against the first's lies when the first
    one's person speaks and when its own does (the 5th and 95th percentiles over the steps
    anyone is heard), so that each step goes to the voice whose pattern it is nearer. None
    where those two do not lie BALANCE_APART_DB apart (a person who hardly speaks): then each
    is compared against its own speech level; and for three or more microphones (a third
    voice's pattern lies between: the benchmark's three persons fell apart on one balance;
    see `_pairwise_lead`). A quiet guest 15 dB under the host, whose microphone heard the host
    nearly as loud as her own voice, never let the host lead clearly against their speech
    levels: her microphone stayed open on the host throughout (an outside round: the host's
    voice whole in her stem, and her voice left 24 LU down)."""
    if len(voices) != 2 or not active.any():
        return None
    first, other = voices
    # (where both recorded: the silence before a recorder started is no pattern of the host's)
    both = active & _recording(heard[first]) & _recording(heard[other])
    if not both.any():
        return None
    apart = heard[other][both] - heard[first][both]
    # (the 1st and 99th where one person says only a few short words)
    for low, high in (np.percentile(apart, [5, 95]), np.percentile(apart, [1, 99])):
        if high - low >= BALANCE_APART_DB:
            return {first: 0.0, other: float(low + high) / 2}
    return None


def _pairwise_lead(
    heard: dict[int, npt.NDArray[np.float64]],
    over_noise: dict[int, npt.NDArray[np.float64]],
    active: npt.NDArray[np.bool_],
    voices: list[int],
) -> tuple[npt.NDArray[np.int_], npt.NDArray[np.bool_]] | None:
    """Of three or more voices' microphones, who leads each step, and where clearly: as
    `_balanced` weighs two, each pair's levels against each other are split midway between
    where they lie when one and when the other person speaks (the 5th and 95th percentiles,
    or the 1st and 99th), and a voice leads by the least it stands over that split against
    any other; clearly where that is CLEAR_DB. None where a pair's two patterns do not lie
    BALANCE_APART_DB apart. Taken where the speech levels settled on a handful of steps for
    some voice: against their speech levels, a guest whose own voice on his
    recorder (12 dB lower) stood only 3-7 dB over the others' bleed seemed to lead wherever
    anyone spoke: the host led on a single step, his speech level was taken there, and the
    voices ended 22 LU apart (an outside round)."""
    count = active.size
    score = np.full((len(voices), count), np.inf)
    for n, i in enumerate(voices):
        for j in voices:
            if j == i:
                continue
            both = active & _recording(heard[i]) & _recording(heard[j])
            if not both.any():
                return None
            apart = heard[i][both] - heard[j][both]
            split = None
            for low, high in (np.percentile(apart, [5, 95]), np.percentile(apart, [1, 99])):
                if high - low >= BALANCE_APART_DB:
                    split = float(low + high) / 2
                    break
            if split is None:
                return None
            score[n] = np.minimum(score[n], over_noise[i] - over_noise[j] - split)
    dominant = np.argmax(score, axis=0)
    clear = active & (np.max(score, axis=0) >= CLEAR_DB)
    return dominant, clear


def _earlier(mask: npt.NDArray[np.bool_], steps: int) -> npt.NDArray[np.bool_]:
    """`mask` moved `steps` earlier: at each step, whether it holds `steps` later (False past
    the end)."""
    if steps <= 0:
        return mask
    return np.concatenate([mask[steps:], np.zeros(min(steps, mask.size), dtype=bool)])


def _later(values: npt.NDArray[_Value], steps: int) -> npt.NDArray[_Value]:
    """`values` moved `steps` later along their last axis (the first value repeated in
    front)."""
    if steps == 0:
        return values
    front = np.repeat(values[..., :1], steps, axis=-1)
    return np.concatenate([front, values[..., :-steps]], axis=-1)[..., : values.shape[-1]]


def _bleed_delay(
    lead: npt.NDArray[np.float64], other: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]
) -> int:
    """How many steps (0 to MAX_BLEED_DELAY_STEPS) the `lead` microphone's voice reaches the
    `other` later, from the steps in `mask` (where it leads): the shift at which the other's
    levels follow the lead's best. 0 where it leads too seldom to tell."""
    # (the same steps at every shift, all while the other microphone was recording)
    recording = _recording(other)
    for late in range(MAX_BLEED_DELAY_STEPS + 1):
        mask = mask & _earlier(recording, late)
    steps = np.flatnonzero(mask)
    if steps.size < DELAY_MIN_STEPS:
        return 0
    shifts = range(MAX_BLEED_DELAY_STEPS + 1)
    return _best_follow(lead, other, steps, shifts, DELAY_MIN_STEPS) or 0


def _best_follow(
    lead: npt.NDArray[np.float64],
    other: npt.NDArray[np.float64],
    steps: npt.NDArray[np.int_],
    shifts: range,
    least: int,
) -> int | None:
    """Of `shifts`, the one at which the `other` levels follow the `lead` ones best over
    `steps` (their correlation; at least `least` steps within reach); None where none tells."""
    best, found = None, -np.inf
    for shift in shifts:
        within = steps[steps + shift < other.size]
        if within.size < least:
            continue
        a, b = lead[within], other[within + shift]
        if np.std(a) == 0.0 or np.std(b) == 0.0:
            continue
        follow = float(np.corrcoef(a, b)[0, 1])
        if follow > found:
            best, found = shift, follow
    return best


def _track_report(
    track: Track,
    offset: tuple[Alignment, bool],
    levels: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]],
    alone: dict[int, npt.NDArray[np.bool_]],
    turns: dict[int, npt.NDArray[np.bool_]],
    active: npt.NDArray[np.bool_],
    index: int,
) -> TrackReport:
    """Track `index`'s report, from its 100 ms levels as recorded and as its share of the mix,
    and the mix's (`levels`): its person's loudness over their `turns` (as a meter over them
    hears it), its microphone's bleed over the steps where the others speak `alone`."""
    before, after, mixed = levels
    own = turns.get(index)
    others = np.zeros(before.size, dtype=bool)
    for j, mask in alone.items():
        if j != index:
            others |= mask
    speech_before = speech_after = bleed_before = bleed_after = None
    if own is not None:
        speech_before = _speech_db(before, own)
        speech_after = _speech_db(mixed, own)
        own_after = _speech_db(after, own)
        # The bleed as heard over the others' turns: every step's power (a meter's relative
        # gate, right for a voice's loudness, left only the few steps where the microphone
        # opened at a turn's edge: an outside round's report read -12.2 dB for a stem whose
        # bleed was 35 dB down)
        others_before = _power_db(before, others & active)
        others_after = _power_db(after, others & active)
        if speech_before is not None and others_before is not None:
            bleed_before = others_before - speech_before
        if own_after is not None and others_after is not None:
            bleed_after = others_after - own_after

    def rounded(value: float | None) -> float | None:
        # dB of mean squares; -0.691 makes them read as LUFS of an unweighted signal
        return None if value is None else round(value, 2)

    return TrackReport(
        name=track.name,
        file=track.path.name,
        offset_s=round(offset[0].offset_s, 6),
        measured=offset[1],
        confidence=round(offset[0].confidence, 1),
        drift_ppm=round(offset[0].drift * 1e6, 2),
        drift_windows=offset[0].windows,
        disagreement_ms=offset[0].disagreement_ms,
        drift_unknown=offset[0].drift_unknown,
        sounds_at_s=offset[0].sounds_at,
        one_way=offset[0].one_way,
        unchecked=offset[0].unchecked,
        confirmed=offset[0].confirmed,
        given_s=track.offset_s,
        speech_before_lufs=rounded(None if speech_before is None else speech_before - 0.691),
        speech_after_lufs=rounded(None if speech_after is None else speech_after - 0.691),
        bleed_before_db=rounded(bleed_before),
        bleed_after_db=rounded(bleed_after),
        reference=index == 0,
    )


STEMS_MANIFEST = ".podcast-stems"  # in DIR/SLUG/: the stems a run wrote there, one a line


def stem_name(number: int, track: Track) -> str:
    """The file name of track `number`'s stem (from 0), e.g. `01-hans-meier.wav`."""
    return f"{number + 1:02d}-{slugify(track.name) or 'track'}.wav"


def _show_files(value: object, found: set[Path], seen: set[int]) -> None:
    """Every `Path` in the loaded show (dataclasses, models, tuples, lists, dicts)."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Path):
        found.add(value)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _show_files(item, found, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _show_files(item, found, seen)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            _show_files(getattr(value, name), found, seen)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _show_files(getattr(value, name), found, seen)


def check_stems_folder(show: Show, folder: Path, site: Path) -> None:
    """Refuse a stems folder that is, contains or lies inside the show folder's sources
    (episodes/, pages/, templates/, any folder of a file the show reads) or the site `site`:
    the stems would overwrite recordings, or be read or published with the show."""
    wanted, root = folder.resolve(), show.root.resolve()

    def overlaps(place: Path) -> bool:
        return wanted == place or place in wanted.parents or wanted in place.parents

    def refuse(reason: str) -> PodcastError:
        return PodcastError(f"--stems {folder}: {reason} (choose a folder of its own, e.g. stems/)")

    if wanted == root or wanted in root.parents:
        raise refuse(
            f"that is {'the show folder' if wanted == root else 'a folder around the show'} "
            f"{root}: the stems would overwrite its recordings (same file names) and be read "
            "as its sources"
        )
    if overlaps(site.resolve()):
        raise refuse(f"the stems would be published with the site in {site.resolve()}")
    if overlaps(root / ".cache"):
        raise refuse("that is the show's cache, which the build prunes and rewrites")
    files: set[Path] = set()
    _show_files(show, files, set())
    places = {root / name for name in ("episodes", "pages", "templates")}
    # (the show folder itself is left out: a folder of its own there, stems/, is fine)
    places |= {f.resolve().parent for f in files if f.is_absolute()}
    for place in sorted(p for p in places if root in p.parents):
        if overlaps(place):
            where = place.relative_to(root)
            raise refuse(
                f"the show reads {where}/: the stems would overwrite or mix with its "
                "recordings and sources"
            )


def write_stems(show: Show, folder: Path, site: Path | None = None) -> list[Path]:
    """Each processed track of every multitrack recording as a WAV in `folder`/SLUG/ (SLUG-N/
    from a second multitrack recording of an episode on); the files written. Refuses a folder
    of the show's sources or its site (`check_stems_folder`) and any file there that an
    earlier run did not write (listed in SLUG/STEMS_MANIFEST); a stem of a track no longer in
    the recording that an earlier run wrote is removed."""
    from podcast.plan.sources import DEFAULT_OUTPUT

    check_stems_folder(show, folder, site if site is not None else show.root / DEFAULT_OUTPUT)
    cache = Cache.of_show(show.root)
    plans: list[tuple[Path, Recording, Path, str, list[str]]] = []
    for episode in show.episodes:
        multitrack = [(i, r) for i, r in enumerate(episode.recordings) if r.tracks]
        for number, (index, recording) in enumerate(multitrack):
            target = folder / (episode.slug if number == 0 else f"{episode.slug}-{number + 1}")
            names = [stem_name(n, t) for n, t in enumerate(recording.tracks)]
            earlier = _manifest(target)
            for name in names:
                if (target / name).exists() and name not in earlier:
                    raise PodcastError(
                        f"--stems {folder}: {target / name} exists and was not written as a "
                        "stem (move it away, or choose another folder)"
                    )
            plans.append((target, recording, episode.source, f"recordings[{index}]", names))
    written: list[Path] = []
    for target, recording, source, field, names in plans:
        earlier = _manifest(target)
        premix(recording, show.config.audio, cache, source, field, target)
        for stale in sorted(earlier - set(names)):
            (target / stale).unlink(missing_ok=True)
        (target / STEMS_MANIFEST).write_text("".join(f"{n}\n" for n in names))
        written += [target / n for n in names]
    return written


def _manifest(target: Path) -> set[str]:
    """The stems an earlier run wrote into `target` (names without a folder only)."""
    try:
        lines = (target / STEMS_MANIFEST).read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {n for n in lines if n and "/" not in n and n.endswith(".wav") and n[0] != "."}


def _write_wav(path: Path, samples: Samples, rate: int = RATE, bits: int = 32) -> None:
    """A mono WAV: 32-bit float (WAVE_FORMAT_IEEE_FLOAT) or 24-bit PCM, written in
    chunks to a temporary file renamed into place (readers never see half of it)."""
    width = bits // 8
    fmt = struct.pack("<HHIIHH", 3 if bits == 32 else 1, 1, rate, rate * width, width, bits)
    size = samples.size * width
    header = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + size) + b"WAVE"
    header += b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(header)
            for first in range(0, samples.size, RATE * 60):
                handle.write(_pcm(samples[first : first + RATE * 60], bits))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _write_voice(path: Path, samples: Samples, label: str) -> None:
    """A voice's share of the mix (at RATE) as the 16-bit mono WAV at TRANSCRIBE_RATE that
    the transcription reads, resampled by ffmpeg (scipy's polyphase filter took 3 s an hour),
    into a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)
    os.close(fd)
    try:
        with ProcessGraph(label, path.parent) as graph:
            feed = graph.pipe()
            graph.start(
                "writing its voice for the transcription",
                [
                    *FFMPEG,
                    *("-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"),
                    *("-ar", str(TRANSCRIBE_RATE), "-c:a", "pcm_s16le", *BITEXACT, "-f", "wav"),
                    file_arg(Path(name)),
                ],
                stdin=feed.read_end,
            )
            sink = os.fdopen(os.dup(feed.write_end), "wb")
            with contextlib.suppress(BrokenPipeError), sink:
                for first in range(0, samples.size, CHUNK):
                    stopping.check()
                    sink.write(np.ascontiguousarray(samples[first : first + CHUNK], "<f4").data)
            graph.wait()  # (an ffmpeg that stopped early is named here, not the broken pipe)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _pcm(samples: Samples, bits: int) -> bytes:
    """Samples as little-endian WAV data of `bits` (32: float)."""
    if bits == 24:
        whole = np.round(np.clip(samples, -1.0, 1.0) * 8388607).astype("<i4")
        return whole.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return samples.astype("<f4").tobytes()
