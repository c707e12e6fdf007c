"""Each voice's microphone with the other voices' bleed taken out, to tell its own sound by.

A voice reaches another person's microphone through the room: a fixed, linear path while
nobody moves (its delay, its reflections), or through a phone line's return. That path is
learnt where the voice speaks alone, per frequency, as a short filter over the frames of the
voice's own microphone (least squares on the short-time spectra: a convolutive transfer
function), and what it predicts is taken off the other microphone. What remains is that
microphone's own sound, its noise, and what the path does not explain (a codec, a head turned).
This is for deciding only: the mix takes every microphone as recorded.

On an outside round's two-person interview the bleed that remains lay 16-22 dB under the bleed
as recorded, and back-channels 12 dB under their speaker, 2-8 dB over the bleed as recorded,
peaked 17-23 dB over what remained of it."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future

import numpy as np
import numpy.typing as npt
import scipy.fft
from threadpoolctl import threadpool_limits

from podcast import stopping

Samples = npt.NDArray[np.float32]
Spectra = npt.NDArray[np.complex64]

RATE = 16000  # the microphones' rate here (ALIGN_RATE)
FRAME = 1024  # samples (64 ms); frames overlap by three quarters (at a half, the paths
HOP = FRAME // 4  # explained 6 dB of the bleed, not 13-14)
TAPS = 32  # frames of a voice's own microphone a path reaches back over (0.51 s)
BLOCK_S = 300.0  # a path is learnt anew for each stretch this long (people move)
LEARN_REACH_S = 150.0  # from where the voice speaks alone in it and this far either side
LEARN_MOST = 1500  # frames a path is learnt on at most (evenly picked: 24 s)
LEARN_LEAST = 200  # and at least (3.2 s): with fewer nothing is taken off
TRIM_DB = 6.0  # frames a first fit leaves this much more of than of most: the other's own sound
RIDGE = 1e-3  # the fit's regularisation, against each frequency's mean power
BLOCKS_AT_ONCE = 2  # stretches of BLOCK_S worked on side by side

_WINDOW = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / FRAME)).astype(np.float32)


def _spectra(samples: Samples, first: int, count: int) -> Spectra:
    """The short-time spectra (bins x frames) of `count` frames from frame `first` (negative
    frames, or frames beyond the end, see silence). Frame k covers samples from
    k * HOP - (FRAME - HOP)."""
    begin = first * HOP - (FRAME - HOP)
    length = (count - 1) * HOP + FRAME
    part = np.zeros(length, dtype=np.float32)
    source_from, target_from = max(0, begin), max(0, -begin)
    taken = max(0, min(length - target_from, samples.size - source_from))
    part[target_from : target_from + taken] = samples[source_from : source_from + taken]
    # (a frame a column, transformed along the columns: the spectra come out a bin a row
    # without a copy to turn them; in 32 bits, on both cores: numpy's works in 64)
    frames = np.lib.stride_tricks.sliding_window_view(part, FRAME)[::HOP].T * _WINDOW[:, None]
    return np.asarray(scipy.fft.rfft(frames, axis=0, workers=2), dtype=np.complex64)


def _lagged(spectra: Spectra, at: npt.NDArray[np.int64]) -> Spectra:
    """Per bin, the TAPS frames of `spectra` up to each of the frames `at`, the oldest first
    (bins x frames x TAPS): a path's regressors."""
    window = np.lib.stride_tricks.sliding_window_view(spectra, TAPS, axis=1)
    # (gathered as runs of TAPS frames, and laid out as the shape reads: an indexed array's
    # own layout made the fit 4 times slower)
    return np.ascontiguousarray(window[:, at - (TAPS - 1)], dtype=np.complex64)


def _normal(regressors: Spectra, heard: Spectra) -> tuple[Spectra, Spectra]:
    """The normal equations (per bin: the regressors' Gram matrix, their product with what
    is heard) of predicting `heard` (bins x frames) from `regressors` (bins x frames x
    TAPS)."""
    adjoint = np.conj(regressors).transpose(0, 2, 1)
    return np.matmul(adjoint, regressors), np.matmul(adjoint, heard[:, :, None])


def _solved(gram: Spectra, cross: Spectra) -> Spectra:
    """The path (bins x TAPS) with the least squared error, from its normal equations."""
    power = np.real(np.trace(gram, axis1=1, axis2=2)) / TAPS
    ridge = (RIDGE * power + 1e-12)[:, None, None] * np.eye(TAPS, dtype=np.float32)
    return np.asarray(np.linalg.solve(gram + ridge, cross)[:, :, 0], dtype=np.complex64)


def _predicted(path: Spectra, spectra: Spectra, first: int, count: int) -> Spectra:
    """What a path (bins x TAPS, the oldest frame's tap first) predicts from `spectra` for
    `count` frames from `first`: per bin, a convolution along the frames (by FFT: an hour's
    frames by a path's taps took three times as long directly)."""
    part = spectra[:, first - TAPS + 1 : first + count]
    size = scipy.fft.next_fast_len(part.shape[1])
    product = scipy.fft.fft(part, size, axis=1, workers=2)
    product *= scipy.fft.fft(path[:, ::-1], size, axis=1, workers=2)
    convolved = scipy.fft.ifft(product, axis=1, overwrite_x=True, workers=2)
    return np.asarray(convolved[:, TAPS - 1 : TAPS - 1 + count], dtype=np.complex64)


def _learnt(source: Spectra, heard_on: Spectra, frames: npt.NDArray[np.int64]) -> Spectra | None:
    """A voice's path onto another microphone, from the spectra of both (`source`,
    `heard_on`), learnt on `frames` of them (where the voice speaks alone; each at least
    TAPS - 1 from the first); None with too few. Fitted twice:
    the second time without the frames the first left most of (the other person's own "hm"
    in them, which the first fit bends towards: the voice's microphone hears it too)."""
    if frames.size < LEARN_LEAST:
        return None
    if frames.size > LEARN_MOST:
        frames = frames[np.linspace(0, frames.size - 1, LEARN_MOST).astype(np.int64)]
    regressors = _lagged(source, frames)
    heard = heard_on[:, frames]
    gram, cross = _normal(regressors, heard)
    path = _solved(gram, cross)
    predicted = np.matmul(regressors, path[:, :, None])[:, :, 0]
    left = np.sum(np.abs(heard - predicted) ** 2, axis=0)
    share = 10 * np.log10((left + 1e-20) / (np.sum(np.abs(heard) ** 2, axis=0) + 1e-20))
    dropped = share > np.median(share) + TRIM_DB
    if not dropped.any() or frames.size - np.count_nonzero(dropped) < LEARN_LEAST:
        return path
    # (the dropped frames' share taken out of the equations: no second pass over all)
    less_gram, less_cross = _normal(regressors[:, dropped], heard[:, dropped])
    return _solved(gram - less_gram, cross - less_cross)


def bleed_removed(
    microphones: Mapping[int, Samples],
    alone: Mapping[int, npt.NDArray[np.bool_]],
    step: int,
) -> dict[int, Samples]:
    """Each voice's microphone (at RATE, all on one time and of one length) with what every
    other voice's path onto it predicts taken off. `alone`: per voice, the steps of `step`
    samples where its person speaks alone (where its paths are learnt). A voice that reaches a
    microphone late (an echo) is not for this: its path is learnt over TAPS frames only."""
    # (numpy's BLAS on one thread: between thousands of small products its idle threads
    # spin, and took a core from the voices processed beside this; the limit is the
    # process's, for as long as this runs)
    with threadpool_limits(limits=1, user_api="blas"):
        return _removed(microphones, alone, step)


def _removed(
    microphones: Mapping[int, Samples],
    alone: Mapping[int, npt.NDArray[np.bool_]],
    step: int,
) -> dict[int, Samples]:
    """bleed_removed's work: its stretches of BLOCK_S two at a time (alongside the voices'
    sound it shares the cores; once that is made, an hour's last stretches took one core for
    15 s while the other waited), overlap-added in order."""
    voices = sorted(microphones)
    length = min(samples.size for samples in microphones.values())
    total = -(-(length + FRAME - HOP) // HOP)  # frames covering every sample
    per_block = max(1, round(BLOCK_S * RATE / HOP))
    centres = (np.arange(total) * HOP - (FRAME - HOP) + FRAME // 2) // step
    alone_frames = {
        v: alone[v][np.clip(centres, 0, alone[v].size - 1)] & (centres < alone[v].size)
        for v in voices
    }
    out = {v: np.zeros((total + 3) * HOP, dtype=np.float32) for v in voices}
    firsts = list(range(0, total, per_block))
    with stopping.worker_pool(BLOCKS_AT_ONCE, "unbleed") as pool:
        running: list[Future[dict[int, Samples]]] = []
        for number, first in enumerate(firsts):
            # (the next ones started before this one is added in: the pool never waits)
            for at in firsts[number + len(running) : number + BLOCKS_AT_ONCE + 1]:
                running.append(
                    pool.submit(_block, microphones, alone_frames, (at, per_block, total))
                )
            frames = running.pop(0).result()
            count = min(per_block, total - first)
            for v in voices:
                # (overlap-add: each frame's quarters onto the HOP samples they cover)
                quarters = frames.pop(v).reshape(count, FRAME // HOP, HOP)
                into = out[v][first * HOP : (first + count + 3) * HOP].reshape(-1, HOP)
                for quarter in range(FRAME // HOP):
                    into[quarter : quarter + count] += quarters[:, quarter]
    # (sqrt-Hann in and out, three quarters overlapping: the windows sum to 2)
    skip = FRAME - HOP
    return {v: np.asarray(out[v][skip : skip + length] / 2, dtype=np.float32) for v in voices}


def _block(
    microphones: Mapping[int, Samples],
    alone_frames: Mapping[int, npt.NDArray[np.bool_]],
    where: tuple[int, int, int],
) -> dict[int, Samples]:
    """The frames (windowed, a frame a row) of each microphone's stretch of `per_block`
    frames from `first` (`where`: those two and the frames in all) with the others' bleed
    taken out, their paths learnt over LEARN_REACH_S either side."""
    stopping.check()
    first, per_block, total = where
    voices = sorted(microphones)
    count = min(per_block, total - first)
    reach = round(LEARN_REACH_S * RATE / HOP)
    learn_from, learn_to = max(0, first - reach), min(total, first + count + reach)
    origin = learn_from - (TAPS - 1)  # spectra[:, 0] is this frame
    spectra = {v: _spectra(microphones[v], origin, learn_to - origin) for v in voices}
    remains = {v: spectra[v][:, first - origin : first - origin + count].copy() for v in voices}
    for source in voices:
        for target in voices:
            if source == target:
                continue
            alone_here = np.flatnonzero(alone_frames[source][learn_from:learn_to])
            path = _learnt(spectra[source], spectra[target], alone_here + learn_from - origin)
            if path is not None:
                remains[target] -= _predicted(path, spectra[source], first - origin, count)
    del spectra
    return {
        v: np.asarray(
            scipy.fft.irfft(remains.pop(v).T, n=FRAME, axis=1, workers=2) * _WINDOW,
            dtype=np.float32,
        )
        for v in voices
    }
