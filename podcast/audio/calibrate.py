"""Calibration: how much each rendition's limiter and encoder will take off its loudness,
predicted from a minute of excerpts so that the first full render already aims right."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from podcast.audio.graph import (
    REFERENCE,
    Mix,
    RenditionPlan,
    encode_and_measure,
    envelope_input,
    shaped_chain,
    shaped_source,
)
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.tools import file_arg

CALIBRATION_EXCERPTS = 6


CALIBRATION_EXCERPT_SECONDS = 10.0


@dataclass(frozen=True)
class Calibration:
    """Per rendition tested (by file name): how much its limiter and encoder lower its
    loudness (LU, <= 0), and the true peak (dBTP) its excerpts reached."""

    offsets: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)


def calibrate(
    mix: Mix,
    plans: list[RenditionPlan],
    workdir: Path,
    subject: str,
) -> Calibration:
    """How much the limiter and the encoder will lower each rendition's loudness (LU, <= 0),
    and how high its true peak goes.

    Limiting takes loudness off the loudest passages; lossy encoders drop energy the ear would
    not miss but the meter counts (LAME at 128 kb/s takes about 0.5 LU off speech). Rendering
    a minute of excerpts spread over the recordings through each rendition's gain, limiter and
    encoder predicts both, so the first full render can already aim right.
    """
    segments, timeline, settings = mix.segments, mix.timeline, mix.settings
    recordings = [i for i, s in enumerate(segments) if s.kind == "recording"]
    # Plain gain into WAV changes nothing but the level: only limiters and encoders need a test.
    tested = [plan for plan in plans if plan.limiter_dbfs is not None or not plan.spec.lossless]
    if not tested:
        return Calibration()
    spots = [
        (index, timeline.pieces[index].offset + fraction * timeline.pieces[index].length)
        for number in range(CALIBRATION_EXCERPTS)
        for fraction in [(number + 0.5) / CALIBRATION_EXCERPTS]
        for index in [recordings[number % len(recordings)]]
    ]
    # A short programme is calibrated on at most half its length: longer excerpts would cost
    # more than the second render they are meant to save.
    spoken = sum(timeline.pieces[index].length for index in recordings)
    excerpt_cap = max(1.0, spoken / (2 * CALIBRATION_EXCERPTS))
    inputs: list[str] = []
    parts = []
    envelopes: list[str] = []  # input arguments of the envelopes, after the excerpts'
    envelope_count = 0
    for number, (index, middle) in enumerate(spots):
        segment, piece = segments[index], timeline.pieces[index]
        length = min(CALIBRATION_EXCERPT_SECONDS, piece.length, excerpt_cap)
        start = min(max(piece.offset, middle - length / 2), piece.offset + piece.length - length)
        shaping, envelope = mix.shaping[index], None
        source = shaped_source(segment, shaping, settings.channels, start, length)
        if source is not None:
            inputs += source[0]
            chain = source[1]
        else:
            # Seeking in the demuxer (-ss before -i) skips decoding all before the excerpt.
            inputs += [
                "-ss",
                f"{(segment.start or 0.0) + start:.6f}",
                "-t",
                f"{length:.6f}",
                "-i",
                file_arg(segment.path),
            ]
            chain = [
                f"aresample={BROADCAST_RATE}",
                f"aformat=sample_fmts=fltp:channel_layouts={settings.channels}",
            ]
        if shaping.envelope is not None:
            envelopes += envelope_input(shaping.envelope, start, length)
            envelope = len(spots) + envelope_count
            envelope_count += 1
        gain = mix.segment_gains[index]
        parts += shaped_chain(number, chain, shaping, envelope, gain)
    inputs += envelopes
    excerpts = "".join(f"[s{n}]" for n in range(len(spots)))
    parts.append(f"{excerpts}concat=n={len(spots)}:v=0:a=1[mix]")
    channels = 2 if settings.channels == "stereo" else 1
    measured = encode_and_measure(
        inputs, parts, tested, workdir, subject, keep_files=False, reference_channels=channels
    )
    reference_lufs = measured[REFERENCE].integrated
    calibration = Calibration()
    for plan in tested:
        name = plan.spec.name
        offset = measured[name].integrated - (reference_lufs + plan.gain_db)
        if math.isfinite(offset):
            calibration.offsets[name] = min(0.0, offset)
        if math.isfinite(measured[name].peak):
            calibration.peaks[name] = measured[name].peak
    return calibration
