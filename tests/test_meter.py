"""The streaming meter against reference signals and against ffmpeg's ebur128 filter."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from podcast.audio import meter as meter_module
from podcast.audio.meter import Meter, measure_stream

RATE = 48000
FFMPEG_METER = ("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-af", "ebur128=peak=true")
FFMPEG_METER += ("-f", "null", "-")


def _sine(frequency: float, amplitude: float, seconds: float, rate: int = RATE, phase: float = 0):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * math.pi * frequency * t + phase)).astype(np.float32)


def _measure(frames: np.ndarray, rate: int = RATE, chunk: int = 96000, true_peak: bool = True):
    meter = Meter(rate, frames.shape[1], true_peak)
    for start in range(0, frames.shape[0], chunk):
        meter.feed(frames[start : start + chunk])
    return meter.result()


@pytest.mark.smoke
def test_ebu_reference_sine_reads_minus_23_lufs() -> None:
    # EBU Tech 3341, case 1: a 1 kHz sine at -23 dBFS in both channels is -23.0 LUFS.
    tone = _sine(1000, 10 ** (-23 / 20), 20)
    measured = _measure(np.stack([tone, tone], axis=1))
    assert measured.integrated == pytest.approx(-23.0, abs=0.1)
    assert measured.max_momentary == pytest.approx(-23.0, abs=0.1)
    assert measured.lra == pytest.approx(0.0, abs=0.1)


def test_gating_ignores_silence_and_quiet_passages() -> None:
    loud = _sine(1000, 10 ** (-20 / 20), 10)
    silence = np.zeros(10 * RATE, np.float32)
    quiet = _sine(1000, 10 ** (-50 / 20), 10)  # more than 10 LU below: relative gate
    signal = np.concatenate([loud, silence, quiet])
    measured = _measure(np.stack([signal, signal], axis=1))
    assert measured.integrated == pytest.approx(-20.0, abs=0.1)


def test_true_peak_finds_peaks_between_samples() -> None:
    # A quarter-rate sine sampled 45 degrees off its crests: samples 3 dB below the true peak.
    tone = _sine(RATE / 4, 0.5, 2, phase=math.pi / 4)
    frames = np.stack([tone, tone], axis=1)
    sample_peak = _measure(frames, true_peak=False).peak
    true_peak = _measure(frames).peak
    assert sample_peak == pytest.approx(-9.03, abs=0.05)
    assert true_peak == pytest.approx(-6.02, abs=0.3)


def test_chunk_size_does_not_change_the_result() -> None:
    rng = np.random.default_rng(7)
    noise = (rng.standard_normal((5 * RATE + 123, 2)) * 0.1).astype(np.float32)
    results = {_measure(noise, chunk=chunk) for chunk in (1000, 4801, 96000, 10**7)}
    assert len(results) == 1


def _ffmpeg_ebur128(source: list[str]) -> tuple[float, float, float]:
    log = subprocess.run(
        [*FFMPEG_METER[:4], *source, *FFMPEG_METER[4:]],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = log[log.rindex("Summary:") :]
    values = [
        float(re.search(pattern, summary)[1])  # type: ignore[index]
        for pattern in (r"I:\s+(-?[\d.]+)", r"LRA:\s+(-?[\d.]+)", r"Peak:\s+(-?[\d.]+)")
    ]
    return values[0], values[1], values[2]


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("source", "rate", "channels"),
    [
        # Speech-like bursts, limited hard: peaks near full scale, overshooting between samples.
        (
            "aevalsrc=exprs='sin(2*PI*210*t)*pow(max(0\\,sin(2*PI*1.7*t))\\,3)*(0.6+0.4*sin(t))'"
            ":s=48000:d=30,volume=12dB,alimiter=limit=0.9:level=false",
            48000,
            2,
        ),
        ("anoisesrc=c=pink:a=0.2:d=30:r=44100:seed=3", 44100, 1),
        ("sine=f=3000:d=20:sample_rate=44100,volume=-9dB", 44100, 2),
    ],
)
def test_agrees_with_ffmpeg_ebur128(source: str, rate: int, channels: int) -> None:
    layout = "stereo" if channels == 2 else "mono"
    lavfi = ["-f", "lavfi", "-i", f"{source},aformat=channel_layouts={layout}"]
    decoded = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", *lavfi, "-c:a", "pcm_f32le", "-f", "f32le", "-"],
        stdout=subprocess.PIPE,
    )
    assert decoded.stdout is not None
    ours = measure_stream(decoded.stdout, rate, channels).result()
    assert decoded.wait() == 0
    integrated, lra, peak = _ffmpeg_ebur128(lavfi)
    assert ours.integrated == pytest.approx(integrated, abs=0.1)
    assert ours.lra == pytest.approx(lra, abs=0.2)
    assert ours.peak == pytest.approx(peak, abs=0.15)


def test_compiled_filter_and_public_sosfilt_give_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scipy import signal

    sections = meter_module.k_weighting(44100)
    samples = np.random.default_rng(5).normal(0, 0.1, 20000)
    expected, _ = signal.sosfilt(sections, samples, zi=np.zeros((2, 2)))
    public_sosfilt = signal.sosfilt
    calls: list[str] = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append("sosfilt")
        return public_sosfilt(*args, **kwargs)

    # Which path ran is seen, not assumed: the public function is counted, so the compiled
    # case fails if it fell back to it (a scipy that moved or changed the kernel).
    monkeypatch.setattr(signal, "sosfilt", counted)
    for loader in ("compiled", "public"):
        if loader == "public":
            monkeypatch.setattr(meter_module, "_load_compiled_kernel", _refuse)
        calls.clear()
        apply = meter_module._load_section_filter()
        filtered, state = samples.copy(), np.zeros((2, 2))
        for start in range(0, filtered.size, 7000):  # the state carries across calls
            apply(sections, filtered[start : start + 7000], state)
        assert np.allclose(filtered, expected, rtol=0, atol=1e-12), loader
        assert calls == ([] if loader == "compiled" else ["sosfilt"] * 3), loader


def _refuse() -> None:
    raise ImportError("as if scipy had moved it")


@pytest.mark.parametrize(
    ("sample_format", "dtype", "full_scale"), [("s16", "<i2", 2**15), ("s32", "<i4", 2**31)]
)
def test_integer_samples_measure_like_floats(
    sample_format: str, dtype: str, full_scale: int
) -> None:
    tone = _sine(997, 0.5, 6) * np.concatenate([np.zeros(RATE), np.ones(5 * RATE)]).astype(
        np.float32
    )
    frames = np.stack([tone, 0.5 * tone], axis=1)
    as_floats = measure_stream(io.BytesIO(frames.astype("<f4").tobytes()), RATE, 2, silence_db=-50)
    integers = np.round(frames.astype(np.float64) * (full_scale - 1)).astype(dtype)
    # A trailing chunk after the samples (as in a WAV file) is left alone with `limit`.
    stream = io.BytesIO(integers.tobytes() + b"LIST\x04\x00\x00\x00abcd")
    as_integers = measure_stream(
        stream, RATE, 2, silence_db=-50, sample_format=sample_format, limit=integers.nbytes
    )
    assert as_integers.frames == as_floats.frames == frames.shape[0]
    assert as_integers.result() == as_floats.result()
    assert as_integers.first_loud == as_floats.first_loud == RATE + 1
    assert as_integers.last_loud == as_floats.last_loud


def test_most_negative_integer_counts_as_loud() -> None:
    frames = np.zeros((RATE, 1), "<i2")
    frames[100, 0] = -32768
    meter = measure_stream(io.BytesIO(frames.tobytes()), RATE, 1, True, -6.0, "s16")
    assert (meter.first_loud, meter.last_loud) == (100, 100)
    assert meter.result().peak >= 0.0


FIRST_USE_FROM_THREADS = """
import threading
import numpy as np
from podcast.audio.meter import Meter

barrier = threading.Barrier(6)
failures = []


def measure() -> None:
    barrier.wait()
    try:
        meter = Meter(48000, 2, True)
        meter.feed(np.full((48000, 2), 0.1, dtype=np.float32))
        meter.result()
    except BaseException as exc:
        failures.append(repr(exc))


threads = [threading.Thread(target=measure) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("\\n".join(failures))
raise SystemExit(1 if failures else 0)
"""


def test_first_use_from_many_threads_in_fresh_processes_never_fails() -> None:
    # The compiled filter is loaded on first use; six threads at once in each of twelve fresh
    # processes (before the fix, about one process in three failed with a _DeadlockError).
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_USE_FROM_THREADS],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(12)
    ]
    outcomes = [(process.wait(timeout=120), process.communicate()[0]) for process in processes]
    assert [output for code, output in outcomes if code != 0] == []
