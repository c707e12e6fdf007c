"""Loudness results, and measurement with ffmpeg's ebur128 filter (the independent check).

Builds measure with `meter.py`, beside ffmpeg; `podcast info` and the benchmark use ebur128."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import ToolError
from .tools import file_arg, run

SILENCE_LUFS = -70.0
_SUMMARY = re.compile(
    r"Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf) LUFS.*?"
    r"Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+) LU.*?"
    r"(?:True|Sample) peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf) dBFS",
    re.S,
)
_FRAME = re.compile(r"\bM:\s*(-?[\d.]+|-inf)\s+S:\s*(-?[\d.]+|-inf)")


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) of a signal."""

    integrated: float
    lra: float
    true_peak: float
    max_momentary: float = -math.inf
    max_short_term: float = -math.inf

    @property
    def silent(self) -> bool:
        return self.integrated <= SILENCE_LUFS + 0.05

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)


def measure_graph(
    input_args: list[str],
    filter_prefix: str,
    subject: Path | str,
    frames: bool = True,
    true_peak: bool = True,
) -> tuple[Loudness, str]:
    """Measure the audio that `input_args` (+ an optional filter chain) produce.

    Returns the measurement and ffmpeg's log (other filters in the chain may report there).
    With `frames`, the per-frame log gives the maximum momentary and short-term loudness.
    Without `true_peak`, the peak is the (twice as fast to measure) sample peak.
    """
    chain = f"{filter_prefix}," if filter_prefix else ""
    framelog = "info" if frames else "verbose"
    peak = "true" if true_peak else "sample"
    result = run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-v",
            "info",
            *input_args,
            "-filter_complex",
            f"[0:a]{chain}ebur128=peak={peak}:framelog={framelog}[out]",
            "-map",
            "[out]",
            "-f",
            "null",
            "-",
        ],
        subject,
        "loudness measurement",
    )
    return parse_ebur128(result.stderr, subject), result.stderr


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
        true_peak=_number(found["tp"]),
        max_momentary=momentary,
        max_short_term=short_term,
    )


def measure_file(path: Path) -> Loudness:
    """Measure a finished file as it is (the independent check of a rendition)."""
    return measure_graph(["-i", file_arg(path)], "", path)[0]
