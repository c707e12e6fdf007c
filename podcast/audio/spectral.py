"""Spectral noise reduction under speech the leveler raised: a short-time Fourier transform of
our own, so that the gain of each frequency can look ahead. ffmpeg's afftdn (used before) has
no look-ahead and judges each band by its level against a noise floor setting: a word's soft
start, a few dB over the room in the bands it fills, was taken for noise (the field corpus'
worst onset loss: 7.5 dB, on a phone guest raised 18 dB over brown noise).

Per frequency bin and 21 ms frame, the power against the room's (learned in a pause) is smoothed
over SMOOTH_FRAMES frames and SMOOTH_BINS bins; what stands OVER_SUBTRACTION times above the
room is speech, and the bin keeps the Wiener gain of that excess. A bin opens LOOK_AHEAD_FRAMES
before its sound arrives and holds HOLD_FRAMES after. No bin goes below the schedule's
reduction (sound.ShapedSound.denoise: dB per 100 ms step; a pause or 0: the sound is left as it
is, sample for sample). The result does not depend on how the sound is cut into blocks, so
blocks are reduced side by side in threads (numpy and scipy's FFT release the GIL)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from podcast import stopping
from podcast.audio.pipeline import ProcessGraph
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.sound import NOISE_SAMPLE_STEPS, PAUSE_STEP
from podcast.audio.speech import STEP_S, runs
from podcast.audio.tools import FFMPEG, file_arg

Samples = npt.NDArray[np.float32]

FRAME = 1024  # 21 ms at 48 kHz: 47 Hz apart per bin
HOP = FRAME // 2  # half-overlapping frames: the square-root Hann windows add up to one
# Measured on the sound benchmark's hardest recordings against afftdn: the room under a raised
# voice within 0.1 dB of afftdn's, every onset loss under 0.7 dB (afftdn: up to 7.5); at 2 the
# room under a raised guest stood 2.5 dB higher (random peaks of the room opened bins).
OVER_SUBTRACTION = 3.5
SMOOTH_FRAMES = 5  # 53 ms: a room's random peaks average out, a word's onset does not
SMOOTH_BINS = 3
LOOK_AHEAD_FRAMES = 2  # a bin opens 21 ms before its sound: a soft start keeps its gain
HOLD_FRAMES = 1
# A room's level drifts (a fan, traffic, an air conditioner cycling), and a leveled track's
# room follows its gain: the room learned in the pauses is followed at the level of each
# frame's quietest quarter of bins (every fourth bin: what speech leaves alone), taken as the
# median over TRACK_FRAMES either side (2 s), within LEVEL_LIMITS of the learned level;
# digital silence (a gated recorder's pauses) counts as the learned level. An outside round's
# pink room swinging +-8 dB over 40 s kept 11 dB of a raised guest's room where the level was
# not followed; a multitrack guest's room, raised 14 dB with her voice over pauses lowered
# 12 dB (reduced after her leveler, as it then was), was not reduced at all within -6 to
# +20 dB.
TRACK_FRAMES = 94
TRACK_QUANTILE = 0.25
LEVEL_LIMITS = (1e-3, 1e4)  # -30 to +40 dB
# Frames on either side of a frame that its gain depends on (the level's median, the
# smoothing, look-ahead and hold).
CONTEXT_FRAMES = TRACK_FRAMES + SMOOTH_FRAMES // 2 + max(LOOK_AHEAD_FRAMES, HOLD_FRAMES)
BLOCK_FRAMES = 4096  # 44 s a block: 17 MB of spectrum per channel
# The room is learned over at most LEARN_MAX_STEPS of the pauses within the first
# LEARN_WITHIN_S: one pause misled it where an MP3's first frames hold nothing at high
# frequencies (the room there then seemed to be nothing, and nothing was reduced under speech).
LEARN_WITHIN_S = 60.0
LEARN_MAX_STEPS = 50
# Without a pause (a gated recorder: digital silence between the phrases, its noise under them),
# the room is the quietest fifth of each bin's frames over the first FALLBACK_S, divided by that
# quantile's share of the mean (a bin's power in noise is exponentially distributed).
FALLBACK_S = 30.0
FALLBACK_QUANTILE = 0.2
SILENT_POWER = 1e-12  # a frame's power (all bins) at or below this is digital silence
_STEP_SAMPLES = round(STEP_S * BROADCAST_RATE)
_WINDOW = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / FRAME)).astype(np.float32)


@dataclass(frozen=True)
class Reduction:
    """What the reduction of one stretch of a recording follows: the schedule's reduction (dB)
    per 100 ms step of the recording (see sound.ShapedSound.denoise), where the stretch starts
    in it (samples at BROADCAST_RATE), and which of the stretch's samples hold pauses to learn
    the room from (empty: none; the quietest frames are taken)."""

    steps: npt.NDArray[np.float32]
    offset: int
    learn: tuple[tuple[int, int], ...] = ()

    @property
    def learned_by(self) -> int:
        """The sample of the stretch up to which the room is learned."""
        return max((b for _, b in self.learn), default=round(FALLBACK_S * BROADCAST_RATE))


def reduction_for(schedule: npt.NDArray[np.float32], start: float, length: float) -> Reduction:
    """The Reduction of the stretch from `start` (s) for `length` s of a recording whose
    schedule is `schedule`: it learns the room in the pauses of at least NOISE_SAMPLE_STEPS
    within the stretch's first LEARN_WITHIN_S (their middles: the edges may hold breath or a
    word's end), or else in its first such pause."""
    offset = round(start * BROADCAST_RATE)
    first = max(0, int(start / STEP_S))
    last = min(schedule.size, math.ceil((start + length) / STEP_S))
    pauses = [
        (first + begin + 1, first + end - 1)
        for begin, end in runs(np.asarray(schedule[first:last]) == PAUSE_STEP)
        if end - begin >= NOISE_SAMPLE_STEPS
    ]
    early = [(a, b) for a, b in pauses if b * STEP_S <= start + LEARN_WITHIN_S] or pauses[:1]
    learn: list[tuple[int, int]] = []
    total = 0
    for a, b in early:
        b = min(b, a + LEARN_MAX_STEPS - total)
        if b <= a:
            break
        learn.append((max(0, a * _STEP_SAMPLES - offset), max(0, b * _STEP_SAMPLES - offset)))
        total += b - a
    return Reduction(np.asarray(schedule, dtype=np.float32), offset, tuple(learn))


def _frames(padded: Samples, count: int) -> npt.NDArray[np.complex64]:
    """The spectra of `count` frames HOP apart from the start of `padded`."""
    import scipy.fft

    view = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP][:count]
    return np.asarray(scipy.fft.rfft(view * _WINDOW, axis=1), dtype=np.complex64)


def _power(spectra: npt.NDArray[np.complex64]) -> npt.NDArray[np.float32]:
    return np.asarray(spectra.real**2 + spectra.imag**2, dtype=np.float32)


def room_power(samples: Samples, reduction: Reduction) -> npt.NDArray[np.float32]:
    """The room's power per frequency bin of one channel (`samples`: the stretch reduced)."""
    # (digital silence in a pause, a track placed before its recorder started, is no room)
    learned = [
        _sounding(_power(_frames(piece, (piece.size - FRAME) // HOP + 1)))
        for a, b in reduction.learn
        for piece in [np.asarray(samples[a:b], dtype=np.float32)]
        if piece.size >= FRAME
    ]
    if sum(power.shape[0] for power in learned) >= SMOOTH_FRAMES:
        return np.asarray(np.concatenate(learned).mean(axis=0) + 1e-20, dtype=np.float32)
    piece = np.asarray(samples[: round(FALLBACK_S * BROADCAST_RATE)], dtype=np.float32)
    if piece.size < FRAME:
        piece = np.pad(piece, (0, FRAME - piece.size))
    power = _power(_frames(piece, (piece.size - FRAME) // HOP + 1))
    sounding = _sounding(power)  # a gated recorder's digital silence is no room
    if sounding.shape[0] >= SMOOTH_FRAMES:
        power = sounding
    share = -math.log(1 - FALLBACK_QUANTILE)  # of the mean, at that quantile
    quiet = np.quantile(power, FALLBACK_QUANTILE, axis=0) / share
    return np.asarray(quiet + 1e-20, dtype=np.float32)


def _sounding(power: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The frames of `power` (frames x bins) that are not digital silence."""
    return np.asarray(power[power.sum(axis=1) > SILENT_POWER], dtype=np.float32)


def _floors(reduction: Reduction, first_frame: int, count: int) -> npt.NDArray[np.float32]:
    """The least gain of each frame (linear) that the schedule allows."""
    centres = np.arange(first_frame, first_frame + count) * HOP - (FRAME - HOP) + FRAME // 2
    steps = (np.maximum(centres, 0) + reduction.offset) // _STEP_SAMPLES
    inside = steps < reduction.steps.size
    strength = np.where(inside, reduction.steps[np.minimum(steps, reduction.steps.size - 1)], 0.0)
    return np.asarray(10 ** (-np.maximum(strength, 0.0) / 20), dtype=np.float32)


def _gains(power: npt.NDArray[np.float32], room: npt.NDArray[np.float32]) -> Samples:
    """Each frame's and bin's gain (before the schedule's floor) from its power."""
    from scipy.ndimage import median_filter, uniform_filter1d

    ratio = power / room
    # a noise bin's power is exponentially distributed: its quantile q lies at -ln(1 - q) of
    # its mean
    quiet = np.quantile(ratio[:, ::4], TRACK_QUANTILE, axis=1) / -math.log(1 - TRACK_QUANTILE)
    quiet[power.sum(axis=1) <= SILENT_POWER] = 1.0
    level = median_filter(quiet, size=2 * TRACK_FRAMES + 1, mode="nearest")
    ratio /= np.clip(level, *LEVEL_LIMITS)[:, None].astype(np.float32)
    ratio = uniform_filter1d(ratio, SMOOTH_FRAMES, axis=0, mode="nearest")
    ratio = uniform_filter1d(ratio, SMOOTH_BINS, axis=1, mode="nearest")
    excess = np.maximum(ratio - OVER_SUBTRACTION, 0.0)
    wiener = excess / (1.0 + excess)
    opened = wiener.copy()
    for shift in range(1, LOOK_AHEAD_FRAMES + 1):
        np.maximum(opened[:-shift], wiener[shift:], out=opened[:-shift])
    for shift in range(1, HOLD_FRAMES + 1):
        np.maximum(opened[shift:], wiener[:-shift], out=opened[shift:])
    return np.asarray(opened, dtype=np.float32)


def _block(
    padded: Samples, first: int, count: int, room: npt.NDArray[np.float32], reduction: Reduction
) -> Samples:
    """The overlap-added output of frames `first` to `first + count` (`padded`: the padded
    signal from frame `first - CONTEXT_FRAMES` on, zeros where it has none): FRAME - HOP +
    count * HOP samples from frame `first`'s start."""
    import scipy.fft

    spectra = _frames(padded, count + 2 * CONTEXT_FRAMES)
    gains = _gains(_power(spectra), room)[CONTEXT_FRAMES : CONTEXT_FRAMES + count]
    floors = _floors(reduction, first, count)
    np.maximum(gains, floors[:, None], out=gains)
    kept = spectra[CONTEXT_FRAMES : CONTEXT_FRAMES + count]
    kept *= gains
    frames = np.asarray(scipy.fft.irfft(kept, FRAME, axis=1), dtype=np.float32) * _WINDOW
    out = np.zeros(FRAME - HOP + count * HOP, dtype=np.float32)
    out[: count * HOP] += frames[:, :HOP].reshape(-1)
    out[HOP:] += frames[:, HOP:].reshape(-1)
    return out


def reduce_stream(
    chunks: Iterable[Samples], room: npt.NDArray[np.float32], reduction: Reduction, workers: int
) -> Iterator[Samples]:
    """One channel's samples (given in `chunks` of any size) with the room reduced as
    `reduction` says, in order and as many samples as came in; `room`: room_power's."""
    lead = FRAME - HOP  # zeros before the signal, so its first sample lies in two frames
    context = CONTEXT_FRAMES * HOP  # zeros before those for the first frames' context
    buffer = np.zeros(context + lead, dtype=np.float32)
    base = -(context + lead)  # the signal's sample index at buffer[0]
    received = 0
    done_frames = 0
    carry = np.zeros(FRAME - HOP, dtype=np.float32)
    pending: list[tuple[int, Future[Samples]]] = []

    def need(first: int, count: int) -> tuple[int, int]:
        """The signal's samples the frames first to first + count take (with context)."""
        start = (first - CONTEXT_FRAMES) * HOP - lead
        return start, start + (count + 2 * CONTEXT_FRAMES - 1) * HOP + FRAME

    with stopping.worker_pool(max(1, workers), "reducing noise") as pool:

        def submit(count: int) -> None:
            nonlocal done_frames, buffer, base
            start, end = need(done_frames, count)
            piece = buffer[start - base : end - base]
            if piece.size < end - start:
                piece = np.pad(piece, (0, end - start - piece.size))
            pending.append(
                (count, pool.submit(_block, piece.copy(), done_frames, count, room, reduction))
            )
            done_frames += count
            keep_from = need(done_frames, 1)[0]
            buffer = buffer[keep_from - base :]
            base = keep_from

        def finished(final: bool) -> Iterator[Samples]:
            nonlocal carry
            while pending and (final or len(pending) > workers):
                count, future = pending.pop(0)
                out = future.result()
                out[: carry.size] += carry
                carry = out[count * HOP :].copy()
                yield out[: count * HOP]

        emitted = -lead  # the signal's index of the next sample to yield
        arrived: list[Samples] = []  # joined to the buffer only when a block is due
        for chunk in chunks:
            stopping.check()
            arrived.append(np.asarray(chunk, dtype=np.float32))
            received += arrived[-1].size
            if need(done_frames, BLOCK_FRAMES)[1] > received:
                continue
            buffer = np.concatenate([buffer, *arrived])
            arrived = []
            while need(done_frames, BLOCK_FRAMES)[1] <= received:
                submit(BLOCK_FRAMES)
            for out in finished(False):
                emitted, out = _trimmed(emitted, out, received)
                if out.size:
                    yield out
        buffer = np.concatenate([buffer, *arrived])
        total = math.ceil((received + lead) / HOP) if received else 0
        while done_frames < total:
            submit(min(BLOCK_FRAMES, total - done_frames))
        for out in finished(True):
            emitted, out = _trimmed(emitted, out, received)
            if out.size:
                yield out


def _trimmed(emitted: int, out: Samples, length: int) -> tuple[int, Samples]:
    """`out` (output from the signal's sample `emitted` on) without the lead before the
    signal's start and what lies past its `length`."""
    start = emitted
    emitted += out.size
    if start < 0:
        out = out[-start:]
        start = 0
    return emitted, out[: max(0, length - start)]


def reduce_noise(samples: Samples, reduction: Reduction, workers: int = 1) -> Samples:
    """`samples` (frames x channels, or one channel) with the room reduced (each channel
    with the room it has)."""
    many = samples.ndim == 2
    channels = samples if many else samples[:, None]
    out = np.empty(channels.shape, dtype=np.float32)
    for channel in range(channels.shape[1]):
        one = np.ascontiguousarray(channels[:, channel], dtype=np.float32)
        room = room_power(one, reduction)
        parts = list(reduce_stream([one], room, reduction, workers))
        out[:, channel] = np.concatenate(parts) if parts else one[:0]
    return out if many else out[:, 0]


def f32_chunks(stream: IO[bytes], channels: int) -> Iterator[Samples]:
    """Interleaved 32-bit float samples from `stream`, as (frames x channels) arrays."""
    size = 4 * channels
    rest = b""
    for block in iter(lambda: stream.read(1 << 20), b""):
        block = rest + block
        whole = len(block) - len(block) % size
        rest = block[whole:]
        if whole:
            yield np.frombuffer(block[:whole], dtype="<f4").reshape(-1, channels)


def reduce_chunks(
    chunks: Iterable[Samples], reduction: Reduction, channels: int, workers: int
) -> Iterator[Samples]:
    """(frames x channels) chunks with the room reduced, each channel with its own room,
    learned where `reduction` says (the chunks up to there are held until then)."""
    source = iter(chunks)
    needed = reduction.learned_by
    held: list[Samples] = []
    count = 0
    for chunk in source:
        held.append(chunk)
        count += chunk.shape[0]
        if count >= needed:
            break
    if not held:
        return
    start = np.concatenate(held)
    rooms = [room_power(np.ascontiguousarray(start[:, c]), reduction) for c in range(channels)]
    streams = itertools.tee(itertools.chain(held, source), channels)
    reduced = [
        reduce_stream((chunk[:, c] for chunk in stream), rooms[c], reduction, workers)
        for c, stream in enumerate(streams)
    ]
    del start
    for parts in zip(*reduced, strict=True):
        yield np.stack(parts, axis=1)


def write_reduced(
    source: Path, chain: list[str], channels: int, reduction: Reduction, target: Path, subject: str
) -> None:
    """Decode `source` through the ffmpeg filters `chain` (which deliver `channels` at
    BROADCAST_RATE), reduce its room as `reduction` says, and write the samples to `target`
    as raw interleaved 32-bit floats (what the render then reads in its place)."""

    def reduce_into(stream: IO[bytes]) -> None:
        with target.open("wb") as out:
            for part in reduce_chunks(f32_chunks(stream, channels), reduction, channels, 2):
                out.write(np.ascontiguousarray(part, dtype="<f4").tobytes())

    with ProcessGraph(subject, target.parent) as graph:
        decoder = graph.start(
            "decoding for the noise reduction",
            [
                *FFMPEG,
                *("-i", file_arg(source), "-filter_complex", f"[0:a:0]{','.join(chain)}[out]"),
                *("-map", "[out]", "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"),
            ],
            capture_stdout=True,
        )
        assert decoder.process.stdout is not None
        graph.read("reducing the noise", decoder.process.stdout, reduce_into)
        graph.wait()


def reduced_input(path: Path, channels: int, start: float, length: float) -> list[str]:
    """ffmpeg input arguments for `length` s from `start` (s) of a file write_reduced wrote."""
    return [
        *("-ss", f"{start:.6f}", "-t", f"{length:.6f}"),
        *("-f", "f32le", "-ar", str(BROADCAST_RATE), "-ac", str(channels)),
        *("-i", file_arg(path)),
    ]
