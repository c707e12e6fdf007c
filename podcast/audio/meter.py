"""A streaming loudness meter: ITU-R BS.1770-4 loudness and true peak, EBU Tech 3342 range.

ffmpeg's ebur128 filter measures the same quantities, but it runs in ffmpeg's one filter thread
and oversamples every sample for the true peak. This meter runs beside ffmpeg (it reads the
decoded samples from a pipe), filters with scipy, and oversamples only where an inter-sample
peak could exceed the highest one found so far, which gives the same maximum at a fraction of
the cost. The tests hold it to ffmpeg's ebur128 on speech, tones and noise.

It is one module of about 460 lines on purpose: the K-weighting, the pruned true-peak
search and the gating share the per-channel state of one streaming pass and its worker threads.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from podcast.audio.loudness import SILENCE_LUFS, Loudness

Samples = npt.NDArray[np.float64]

OVERSAMPLING = 4
TAPS_PER_PHASE = 12
# Windows of 64 interpolated positions are checked against a bound before they are computed.
PRUNE_BLOCK = 64
# How many stretches fed to a meter may still be being measured while the next is fetched.
IN_FLIGHT = 3


def k_weighting(rate: int) -> Samples:
    """The two biquads of BS.1770's K-weighting at `rate`, as second-order sections.

    BS.1770 gives coefficients for 48 kHz only; these come from the analogue prototypes of
    the shelving pre-filter and the RLB high-pass through the bilinear transform, which
    reproduces the 48 kHz table and extends it to any rate.
    """
    # High shelf: +4 dB above about 1.7 kHz (the acoustic effect of the head).
    gain_db, centre, quality = 3.999843853973347, 1681.974450955533, 0.7071752369554196
    k = math.tan(math.pi * centre / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / quality + k * k
    shelf = [
        (vh + vb * k / quality + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / quality + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / quality + k * k) / a0,
    ]
    # High-pass at 38 Hz (revised low-frequency B-curve).
    centre, quality = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * centre / rate)
    a0 = 1 + k / quality + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / quality + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


# Filters `samples` in place through second-order sections (one row of b0 b1 b2 a0 a1 a2
# each, a0 = 1), carrying `state` (sections x 2, updated in place) from one call to the next.
SectionFilter = Callable[[Samples, Samples, Samples], None]


_FILTER_LOADING = threading.Lock()
_loaded_filter: list[SectionFilter] = []


def section_filter() -> SectionFilter:
    """scipy's compiled second-order-section filter (what scipy.signal.sosfilt runs).

    Importing scipy.signal loads much of scipy (half a second, at the start of every analysis),
    so the compiled filter is loaded on its own from where scipy keeps it, and checked on a
    short signal against the textbook recursion. Should a scipy release move or change it,
    scipy.signal.sosfilt is used instead: the same numbers, a little later.

    Loaded once, under a lock: meters start in several threads at once, and Python's import
    machinery can raise a _DeadlockError when threads import the same compiled modules
    concurrently (seen with scipy 1.18 on Python 3.13).
    """
    with _FILTER_LOADING:
        if not _loaded_filter:
            _loaded_filter.append(_load_section_filter())
        return _loaded_filter[0]


def _load_section_filter() -> SectionFilter:
    try:
        kernel = _load_compiled_kernel()
        probe = np.array([1.0, -0.5, 0.25, 0.75, 0.0, 0.0, -1.0, 0.5])
        sections = np.array([[0.2, 0.3, 0.1, 1.0, -0.6, 0.2], [1.0, -2.0, 1.0, 1.0, -1.9, 0.9]])
        filtered, state = probe.copy(), np.zeros((2, 2))
        # In two calls: the state must carry over.
        kernel(sections, filtered[None, :5], state[None, :, :])
        kernel(sections, filtered[None, 5:], state[None, :, :])
        if np.allclose(filtered, _direct_form_filter(sections, probe), rtol=1e-12, atol=1e-12):
            return lambda sections, samples, state: kernel(
                sections, samples[None, :], state[None, :, :]
            )
    except Exception:  # any failure means: use the public function
        pass
    from scipy import signal

    def public(sections: Samples, samples: Samples, state: Samples) -> None:
        samples[:], state[:] = signal.sosfilt(sections, samples, zi=state)

    return public


def _load_compiled_kernel() -> Callable[[Samples, Samples, Samples], None]:
    spec = importlib.util.find_spec("scipy")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(spec.submodule_search_locations[0]) / "signal"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"_sosfilt{suffix}"
        if path.is_file():
            name = "scipy.signal._sosfilt"
            loader = importlib.machinery.ExtensionFileLoader(name, str(path))
            spec = importlib.util.spec_from_loader(name, loader)
            assert spec is not None
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module._sosfilt  # type: ignore[no-any-return]
    raise ImportError("scipy's compiled sosfilt not found")


def _direct_form_filter(sections: Samples, samples: Samples) -> list[float]:
    """Second-order sections, one sample at a time (transposed direct form II)."""
    values = [float(x) for x in samples]
    for b0, b1, b2, _, a1, a2 in sections:
        z1 = z2 = 0.0
        for index, x in enumerate(values):
            y = b0 * x + z1
            z1, z2 = b1 * x - a1 * y + z2, b2 * x - a2 * y
            values[index] = y
    return values


def interpolation_phases() -> npt.NDArray[np.float32]:
    """The three in-between phases of a 4x oversampling filter, as a (12, 3) matrix.

    A 49-tap Kaiser-windowed sinc: its zero phase is the signal itself, so the true peak is
    never below the sample peak, and each other phase has 12 taps (BS.1770-4, Annex 2).
    """
    taps = np.arange(-24, 25)
    prototype = np.sinc(taps / OVERSAMPLING) * np.kaiser(taps.size, 6.0)
    phases = [prototype[phase::OVERSAMPLING][:TAPS_PER_PHASE] for phase in (1, 2, 3)]
    return np.stack(phases, axis=1).astype(np.float32)


# Added to every sample before filtering. In digital silence the filters' output decays into
# subnormal numbers, which the processor handles many times slower; the filters remove this
# constant (the high-pass blocks it), so what is measured does not change.
SUBNORMAL_GUARD = 1e-9


class _Channel:
    """What the meter knows of one channel so far."""

    def __init__(self, sections: int) -> None:
        self.filter_state = np.zeros((sections, 2))
        self.pending = np.zeros(0)  # squared filtered samples short of a whole step
        self.step_energies: list[Samples] = []
        self.peak = 0.0
        self.history = np.zeros((1, TAPS_PER_PHASE - 1), dtype=np.float32)
        self.first_loud: int | None = None
        self.last_loud: int | None = None


def _raise_true_peak(
    history: npt.NDArray[np.float32],
    by_channel: npt.NDArray[np.float32],
    peak: float,
    phases: npt.NDArray[np.float32],
    bound: float,
    final: bool = False,
) -> tuple[npt.NDArray[np.float32], float]:
    """Raise `peak` to the highest interpolated value in this stretch of audio (channels x
    samples, after the `history` kept from the stretch before); return the new history and peak.

    An interpolated value is at most `bound` times the largest sample under the filter, so
    only blocks where that bound exceeds the peak found so far are oversampled. Windows that
    reach past the stretch wait for the next one (or, at the end, for zeros).
    """
    samples = np.concatenate([history, by_channel], axis=1)
    if final:
        padding = np.zeros((samples.shape[0], PRUNE_BLOCK + TAPS_PER_PHASE), np.float32)
        samples = np.concatenate([samples, padding], axis=1)
    blocks = (samples.shape[1] - (TAPS_PER_PHASE - 1)) // PRUNE_BLOCK
    history = samples[:, blocks * PRUNE_BLOCK :]
    if blocks == 0:
        return history, peak
    used = samples[:, : blocks * PRUNE_BLOCK + TAPS_PER_PHASE - 1]
    magnitude = np.abs(used)
    block_max = np.maximum.reduceat(magnitude, np.arange(0, used.shape[1], PRUNE_BLOCK), 1)
    peak = max(peak, float(block_max[:, :blocks].max()))
    # Windows of a block reach 11 samples into the next block.
    reach = np.maximum(block_max[:, :blocks], block_max[:, 1 : blocks + 1])
    channel_index, block_index = np.nonzero(reach * bound > peak)
    if channel_index.size == 0:
        return history, peak
    order = np.argsort(-reach[channel_index, block_index], kind="stable")
    offsets = np.arange(PRUNE_BLOCK + TAPS_PER_PHASE - 1)
    # Loudest blocks first: the peak rises early and prunes the rest.
    for start in range(0, order.size, 1024):
        batch = order[start : start + 1024]
        rows, cols = channel_index[batch], block_index[batch]
        keep = reach[rows, cols] * bound > peak
        rows, cols = rows[keep], cols[keep]
        if rows.size == 0:
            break
        stretches = used[rows[:, None], cols[:, None] * PRUNE_BLOCK + offsets]
        windows = np.lib.stride_tricks.sliding_window_view(stretches, TAPS_PER_PHASE, axis=1)
        interpolated = windows @ phases
        peak = max(peak, float(np.abs(interpolated).max()))
    return history, peak


class Meter:
    """Feed it decoded audio (frames x channels); read the measurement.

    Samples are floats in -1..1 or integers with `full_scale` (e.g. 32768 for 16-bit) as the
    value of a full-scale sample: integers are measured as they are, without conversion.
    """

    def __init__(
        self,
        rate: int,
        channels: int,
        true_peak: bool = True,
        silence_db: float | None = None,
        full_scale: float = 1.0,
    ) -> None:
        self.rate = rate
        self.full_scale = full_scale
        self.true_peak = true_peak
        self.step = rate // 10  # 100 ms: gating blocks (400 ms) overlap by 75 %
        self._filter = section_filter()
        self._sections = k_weighting(rate)
        self._phases = interpolation_phases()
        self._bound = float(np.abs(self._phases).sum(axis=0).max())
        # With `silence_db`: find the first and last frame louder than that.
        self._silence = None if silence_db is None else full_scale * 10 ** (silence_db / 20)
        self._channels = [_Channel(self._sections.shape[0]) for _ in range(channels)]
        self.frames = 0
        # One thread per channel, so each channel's stretches are measured in order; the
        # channels run side by side and need not wait for each other.
        self._workers = [ThreadPoolExecutor(max_workers=1) for _ in range(channels)]
        self._measuring: deque[list[Future[None]]] = deque()

    @property
    def first_loud(self) -> int | None:
        """The first frame with a sample at the silence level or above (None: none)."""
        self._settle()
        found = [c.first_loud for c in self._channels if c.first_loud is not None]
        return min(found) if found else None

    @property
    def last_loud(self) -> int | None:
        """The last frame with a sample at the silence level or above (None: none)."""
        self._settle()
        found = [c.last_loud for c in self._channels if c.last_loud is not None]
        return max(found) if found else None

    def feed(self, frames: npt.NDArray[Any]) -> None:
        """Add the next `frames` (shape: count x channels).

        Each channel is measured in a thread of its own (numpy and scipy let go of the
        interpreter lock), also after this returns, while the caller fetches the next frames:
        `frames` must stay untouched until IN_FLIGHT more feeds, or `result`, have returned.
        """
        if frames.shape[0] == 0:
            return
        self._settle(IN_FLIGHT - 1)
        offset = self.frames
        self.frames += frames.shape[0]
        self._measuring.append(
            [
                worker.submit(self._measure, frames[:, number], offset, channel)
                for number, (worker, channel) in enumerate(
                    zip(self._workers, self._channels, strict=True)
                )
            ]
        )

    def _settle(self, pending: int = 0) -> None:
        """Wait until at most `pending` stretches are still being measured (and raise what
        measuring the others raised)."""
        while len(self._measuring) > pending:
            for future in self._measuring.popleft():
                future.result()

    def _measure(self, samples: npt.NDArray[Any], offset: int, channel: _Channel) -> None:
        """Measure the next stretch of one channel."""
        weighted = samples.astype(np.float64)
        stretch_peak = max(float(weighted.max()), -float(weighted.min()))
        if not self.true_peak:
            channel.peak = max(channel.peak, stretch_peak)
        elif max(stretch_peak, float(np.abs(channel.history).max())) * self._bound > channel.peak:
            channel.history, channel.peak = _raise_true_peak(
                channel.history,
                samples.astype(np.float32)[None, :],
                channel.peak,
                self._phases,
                self._bound,
            )
        else:
            # Not even between samples could this stretch beat the peak found so far: keep
            # only the samples the windows reaching into the next stretch need.
            tail = samples[-(TAPS_PER_PHASE - 1) :].astype(np.float32)[None, :]
            joined = np.concatenate([channel.history, tail], axis=1)
            channel.history = joined[:, -(TAPS_PER_PHASE - 1) :]
        if self._silence is not None and stretch_peak >= self._silence:
            if channel.first_loud is None:
                first = _loud_sample(weighted, self._silence, from_end=False)
                channel.first_loud = None if first is None else offset + first
            last = _loud_sample(weighted, self._silence, from_end=True)
            if last is not None:
                channel.last_loud = offset + last
        weighted += SUBNORMAL_GUARD * self.full_scale
        self._filter(self._sections, weighted, channel.filter_state)
        energy = np.square(weighted, out=weighted)
        if channel.pending.size:
            energy = np.concatenate([channel.pending, energy])
        whole = energy.size - energy.size % self.step
        if whole:
            channel.step_energies.append(energy[:whole].reshape(-1, self.step).sum(axis=1))
        channel.pending = energy[whole:]

    def step_energies(self) -> Samples:
        """The K-weighted mean square of every 100 ms, summed over the channels (BS.1770's
        weighting): -0.691 + 10 log10 of a value is its loudness in LUFS."""
        self._settle()
        steps = [np.concatenate(c.step_energies) for c in self._channels if c.step_energies]
        if not steps:
            return np.zeros(0)
        return np.asarray(np.stack(steps).sum(axis=0) / (self.step * self.full_scale**2))

    def result(self) -> Loudness:
        """The measurement of everything fed so far."""
        self._settle()
        for worker in self._workers:
            worker.shutdown()
        for channel in self._channels:
            if self.true_peak:  # the windows over the last samples, with silence after them
                channel.history, channel.peak = _raise_true_peak(
                    channel.history,
                    np.zeros((1, 0), np.float32),
                    channel.peak,
                    self._phases,
                    self._bound,
                    final=True,
                )
        peak = max(channel.peak for channel in self._channels) / self.full_scale
        energies = self.step_energies()
        momentary = _loudness(_moving_mean(energies, 4))
        short_term = _loudness(_moving_mean(energies, 30))
        peak_db = 20 * math.log10(peak) if peak > 0 else -math.inf
        return Loudness(
            integrated=round(_integrated(energies), 2),
            lra=round(_loudness_range(short_term), 2),
            peak=round(peak_db, 2),
            max_momentary=round(float(momentary.max()), 2) if momentary.size else -math.inf,
            max_short_term=round(float(short_term.max()), 2) if short_term.size else -math.inf,
            peak_kind="true" if self.true_peak else "sample",
        )


SCAN_SAMPLES = 4096


def _loud_sample(samples: Samples, threshold: float, from_end: bool) -> int | None:
    """The index of the first (or last) sample at `threshold` or above, in magnitude.

    Scanned in short stretches from that end: in speech the answer is usually in the first.
    """
    starts = range(0, samples.size, SCAN_SAMPLES)
    for start in reversed(starts) if from_end else starts:
        stretch = samples[start : start + SCAN_SAMPLES]
        loud = (stretch >= threshold) | (stretch <= -threshold)
        if loud.any():
            last = loud.size - 1 - int(loud[::-1].argmax())
            return start + (last if from_end else int(loud.argmax()))
    return None


def _moving_mean(energies: Samples, steps: int) -> Samples:
    if energies.size < steps:
        return np.zeros(0)
    totals = np.concatenate([[0.0], np.cumsum(energies)])
    return np.asarray((totals[steps:] - totals[:-steps]) / steps)


def _loudness(energy: Samples) -> Samples:
    with np.errstate(divide="ignore"):
        return np.asarray(-0.691 + 10 * np.log10(energy))


def integrated_loudness(energies: Samples) -> float:
    """The integrated loudness (LUFS) of 100 ms energies as `Meter.step_energies` gives them."""
    return _integrated(energies)


def _integrated(energies: Samples) -> float:
    """Gated integrated loudness (BS.1770-4): absolute gate -70 LUFS, relative gate -10 LU."""
    blocks = _moving_mean(energies, 4)
    audible = blocks[_loudness(blocks) > SILENCE_LUFS]
    if audible.size == 0:
        return SILENCE_LUFS
    relative = -0.691 + 10 * math.log10(float(audible.mean())) - 10
    gated = audible[_loudness(audible) > relative]
    return max(SILENCE_LUFS, -0.691 + 10 * math.log10(float(gated.mean())))


def _loudness_range(short_term: Samples) -> float:
    """EBU Tech 3342: spread of the short-term loudness (10th to 95th percentile), gated."""
    audible = short_term[short_term > SILENCE_LUFS]
    if audible.size < 2:
        return 0.0
    relative = 10 * math.log10(float(np.mean(10 ** (audible / 10)))) - 20
    gated = audible[audible > relative]
    if gated.size < 2:
        return 0.0
    low, high = np.percentile(gated, [10, 95])
    return float(high - low)


# The raw sample formats measure_stream reads: numpy's type and the value of full scale.
SAMPLE_FORMATS = {"f32": ("<f4", 1.0), "s16": ("<i2", 2.0**15), "s32": ("<i4", 2.0**31)}


def measure_stream(
    stream: IO[bytes],
    rate: int,
    channels: int,
    true_peak: bool = True,
    silence_db: float | None = None,
    sample_format: str = "f32",
    limit: int | None = None,
    observe: Callable[[npt.NDArray[Any], float], None] | None = None,
) -> Meter:
    """Meter interleaved little-endian audio read from `stream` until it ends (or `limit`
    bytes were read): 32-bit floats, or 16- or 32-bit integers (`sample_format` "f32", "s16",
    "s32"). `observe(frames, full_scale)` sees every stretch too (for another analysis)."""
    dtype, full_scale = SAMPLE_FORMATS[sample_format]
    meter = Meter(rate, channels, true_peak, silence_db, full_scale)
    width = np.dtype(dtype).itemsize
    frame_bytes = channels * width
    # Buffers of two seconds, filled in turn: one is read into while the meter still
    # measures the others.
    buffers = [bytearray(rate * frame_bytes * 2) for _ in range(IN_FLIGHT + 1)]
    current, filled = 0, 0
    left = math.inf if limit is None else limit
    while True:
        buffer = buffers[current]
        space = memoryview(buffer)[filled : filled + int(min(len(buffer) - filled, left))]
        got = stream.readinto(space) if space else 0  # type: ignore[attr-defined]
        if got:
            left -= got
            filled += got
            if filled < len(buffer):
                continue
        usable = filled - filled % frame_bytes
        if usable:
            frames = np.frombuffer(buffer, dtype=dtype, count=usable // width).reshape(-1, channels)
            if observe is not None:
                observe(frames, full_scale)
            meter.feed(frames)
        if not got:
            return meter
        current = (current + 1) % len(buffers)
        buffers[current][: filled - usable] = buffer[usable:filled]
        filled -= usable
