"""Loudness results, and measurement with ffmpeg's ebur128 filter (the independent check).

Builds measure with `meter.py`, beside ffmpeg; `podcast info` and the benchmark use ebur128."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from podcast.audio.tools import file_arg, run
from podcast.errors import ToolError

SILENCE_LUFS = -70.0
_SUMMARY = re.compile(
    r"Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf) LUFS.*?"
    r"Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+) LU.*?"
    r"(?P<kind>True|Sample) peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf) dBFS",
    re.S,
)
_FRAME = re.compile(r"\bM:\s*(-?[\d.]+|-inf)\s+S:\s*(-?[\d.]+|-inf)")


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness (LUFS), loudness range (LU) and peak level of a signal.

    `peak` is the true peak (dBTP, oversampled) when `peak_kind` is "true", else the highest
    sample (dBFS): analysis meters inputs without oversampling, renders are metered with it.
    """

    integrated: float
    lra: float
    peak: float
    max_momentary: float = -math.inf
    max_short_term: float = -math.inf
    peak_kind: Literal["true", "sample"] = "true"

    @property
    def silent(self) -> bool:
        return self.integrated <= SILENCE_LUFS + 0.05


def _number(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)


def measure_file(path: Path) -> Loudness:
    """Measure a finished file as it is with ffmpeg's ebur128 filter (`podcast info`): the
    maxima of momentary and short-term loudness come from its per-frame log."""
    result = run(
        [
            *("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info"),
            *("-i", file_arg(path), "-filter_complex", "[0:a:0]ebur128=peak=true:framelog=info"),
            *("-f", "null", "-"),
        ],
        path,
        "loudness measurement",
    )
    return parse_ebur128(result.stderr, path)


def parse_ebur128(log: str, subject: Path | str) -> Loudness:
    """The measurement in an ebur128 log (summary, and maxima from the frame lines)."""
    # The summary is printed last; take the last match in case a file name looks like one.
    matches = list(_SUMMARY.finditer(log))
    found = matches[-1] if matches else None
    if found is None:
        raise ToolError(f"{subject}: loudness measurement gave no result; is the audio empty?")
    momentary = short_term = -math.inf
    for frame in _FRAME.finditer(log, 0, found.start()):
        momentary = max(momentary, _number(frame[1]))
        short_term = max(short_term, _number(frame[2]))
    return Loudness(
        integrated=_number(found["i"]),
        lra=_number(found["lra"]),
        peak=_number(found["tp"]),
        max_momentary=momentary,
        max_short_term=short_term,
        peak_kind="true" if found["kind"] == "True" else "sample",
    )
