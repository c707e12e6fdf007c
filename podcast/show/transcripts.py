"""Transcripts editors write: WebVTT or SRT (read with webvtt-py), checked for what players
choke on (malformed blocks, control characters, cues past the end of the audio)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import webvtt
from webvtt.errors import MalformedFileError

from podcast.errors import PodcastError, Problem
from podcast.show.fields import control_character, parse_timestamp

_TIMING = re.compile(
    r"^\s*(\d+:)?\d{1,2}:\d{2}[.,]\d{3}\s+-->\s+(\d+:)?\d{1,2}:\d{2}[.,]\d{3}(\s.*)?$"
)


@dataclass(frozen=True)
class Cue:
    """One transcript cue, times in seconds."""

    start: float
    end: float
    speaker: str | None
    text: str


def _seconds(stamp: str) -> float:
    value = parse_timestamp(stamp.replace(",", "."))
    return float(value)


def read_transcript(path: Path) -> list[Cue]:
    """Parse a .vtt or .srt file; raise PodcastError naming the file and line when it is broken."""

    def fail(line: int, message: str, fix: str) -> PodcastError:
        return PodcastError([Problem(path, line, "transcript", message, fix)])

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(0, "not valid UTF-8", "save the file as UTF-8") from exc
    for number, line in enumerate(text.split("\n"), start=1):
        control = control_character(line)
        if control is not None:
            raise fail(number, control, "delete it: retype the text around it")
        if "-->" in line and not _TIMING.match(line):
            raise fail(
                number,
                f"cannot read the cue timing '{line.strip()}'",
                "write it as 00:01:02.500 --> 00:01:05.000",
            )
    try:
        if path.suffix.lower() == ".srt":
            document = webvtt.from_srt(str(path))
        else:
            document = webvtt.read(str(path))
    except MalformedFileError as exc:
        raise fail(
            1,
            f"not a valid {path.suffix.lstrip('.').upper()} file ({exc})",
            "start a WebVTT file with the line WEBVTT",
        ) from exc
    _check_blocks(path, text)
    is_vtt = path.suffix.lower() != ".srt"
    cues = [
        Cue(
            _seconds(c.start),
            _seconds(c.end),
            c.voice or None,
            html.unescape(c.text.strip()) if is_vtt else c.text.strip(),
        )
        for c in document.captions
    ]
    if not cues:
        raise fail(1, "the transcript has no cues", "add cues or remove the transcript")
    for index, cue in enumerate(cues, start=1):
        if cue.end < cue.start:
            raise fail(0, f"cue {index} ends before it starts", "fix its timing")
        if cue.end == cue.start:
            raise fail(
                0,
                f"cue {index} does not end after it starts (both at {cue.start:.3f} s)",
                "fix its timing: give it an end after its start",
            )
    return cues


def _check_blocks(path: Path, text: str) -> None:
    """webvtt-py skips blocks it cannot read; name the first such block instead."""
    block_start, block = 0, list[str]()
    for line_number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            block_start = block_start if block else line_number
            block.append(line)
            continue
        if not block:  # several blank lines in a row, or at the end (as Whisper writes)
            continue
        is_cue_block = block_start > 1 and not block[0].startswith(("NOTE", "STYLE", "REGION"))
        if block and is_cue_block and not any("-->" in entry for entry in block):
            problem = Problem(
                path,
                block_start,
                "transcript",
                "cannot read the cue timing of this block",
                "write it as 00:01:02.500 --> 00:01:05.000",
            )
            raise PodcastError([problem])
        block = []


def check_times(path: Path, cues: list[Cue], duration: float) -> list[Problem]:
    """Problems for cues that run past the end of the recordings (the editors' timeline)."""
    late = [i for i, cue in enumerate(cues, start=1) if cue.end > duration + 0.5]
    if not late:
        return []
    return [
        Problem(
            path,
            0,
            "transcript",
            f"cue {late[0]} ends at {cues[late[0] - 1].end:.1f} s, "
            f"after the end of the recordings ({duration:.1f} s)",
            "time cues on the recordings, without intro or jingles",
        )
    ]
