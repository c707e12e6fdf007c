"""Transcripts: read WebVTT or SRT (webvtt-py), validate, write VTT, SRT and Podcasting 2.0 JSON."""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import webvtt
from webvtt.errors import MalformedFileError

from podcast.errors import PodcastError, Problem
from podcast.show.model import Show, control_character, parse_timestamp

_TIMING = re.compile(
    r"^\s*(\d+:)?\d{1,2}:\d{2}[.,]\d{3}\s+-->\s+(\d+:)?\d{1,2}:\d{2}[.,]\d{3}(\s.*)?$"
)
FORMATS = {".vtt": "text/vtt", ".srt": "application/x-subrip", ".json": "application/json"}


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
        if cue.end <= cue.start:
            raise fail(0, f"cue {index} ends before it starts", "fix its timing")
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


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Caption lines: at most two of about 32 characters (the namespace's guidance for SRT, and
# short enough for a phone's player in VTT). Longer cues are split into several captions.
CAPTION_LINE = 32
CAPTION_LINES = 2
_SENTENCE_OR_CLAUSE = re.compile(r"(?<=[.!?\u2026,;:\u2013\u2014])\s+")


@dataclass(frozen=True)
class Caption:
    """A piece of a cue as it is shown: at most CAPTION_LINES lines."""

    start: float
    end: float
    speaker: str | None
    lines: tuple[str, ...]


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, CAPTION_LINE, break_long_words=False, break_on_hyphens=False)


def _pieces(text: str, lead: str = "") -> list[str]:
    """The text in pieces that each fit one caption, split at sentence or clause ends where
    possible, else between words; `lead` (a speaker's "Name: ") starts the first piece."""
    pieces: list[str] = []
    units = _SENTENCE_OR_CLAUSE.split(text.strip())
    units[0] = lead + units[0]
    for unit in units:
        lines = _wrap(unit)
        # A sentence or clause too long for one caption is cut between words.
        units = [
            " ".join(lines[i : i + CAPTION_LINES]) for i in range(0, len(lines), CAPTION_LINES)
        ]
        for piece in units:
            joined = f"{pieces[-1]} {piece}" if pieces else piece
            if pieces and len(_wrap(joined)) <= CAPTION_LINES:
                pieces[-1] = joined
            else:
                pieces.append(piece)
    return pieces or [""]


def captions(cues: list[Cue], prefix_speaker: bool = False) -> list[Caption]:
    """The cues re-flowed into captions of at most two short lines, each piece timed by its
    share of the cue's characters. `prefix_speaker` starts a cue's first caption with
    "Name: " (for SRT, which has no voice tags)."""
    out: list[Caption] = []
    for cue in cues:
        lead = f"{cue.speaker}: " if prefix_speaker and cue.speaker else ""
        pieces = _pieces(" ".join(cue.text.split()), lead)
        total = sum(len(p) for p in pieces) or 1
        done = 0
        for piece in pieces:
            start = cue.start + (cue.end - cue.start) * done / total
            done += len(piece)
            end = cue.end if done == total else cue.start + (cue.end - cue.start) * done / total
            out.append(Caption(round(start, 3), round(end, 3), cue.speaker, tuple(_wrap(piece))))
    return out


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT captions (two short lines at most) with speakers as voice spans."""
    blocks = ["WEBVTT"]
    for index, caption in enumerate(captions(cues), start=1):
        body = "\n".join(_escape_vtt(line) for line in caption.lines)
        if caption.speaker:
            body = f"<v {_escape_vtt(caption.speaker)}>{body}"
        timing = f"{_stamp(caption.start, '.')} --> {_stamp(caption.end, '.')}"
        blocks.append(f"{index}\n{timing}\n{body}")
    return "\n\n".join(blocks) + "\n"


def to_srt(cues: list[Cue]) -> str:
    """SRT captions (two short lines at most); a cue's speaker leads it as 'Name: …'."""
    blocks = []
    for index, caption in enumerate(captions(cues, prefix_speaker=True), start=1):
        timing = f"{_stamp(caption.start, ',')} --> {_stamp(caption.end, ',')}"
        blocks.append(f"{index}\n{timing}\n" + "\n".join(caption.lines))
    return "\n\n".join(blocks) + "\n"


def to_json(cues: list[Cue]) -> str:
    """The Podcasting 2.0 JSON transcript format."""
    segments = []
    for cue in cues:
        segment: dict[str, object] = {
            "startTime": round(cue.start, 3),
            "endTime": round(cue.end, 3),
            "body": cue.text,
        }
        if cue.speaker:
            segment["speaker"] = cue.speaker
        segments.append(segment)
    return (
        json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=1) + "\n"
    )


def plain(cues: list[Cue]) -> str:
    """Readable text: a paragraph per change of speaker (for ID3 USLT)."""
    paragraphs: list[str] = []
    speaker: str | None = None
    for cue in cues:
        if paragraphs and cue.speaker == speaker:
            paragraphs[-1] += " " + cue.text
        else:
            speaker = cue.speaker
            paragraphs.append(f"{speaker}: {cue.text}" if speaker else cue.text)
    return "\n\n".join(paragraphs)


def transcript_problems(show: Show) -> list[Problem]:
    """Every transcript that cannot be read (checked before any audio is rendered)."""
    problems: list[Problem] = []
    for episode in show.episodes:
        for transcript in episode.transcripts:
            try:
                read_transcript(transcript.path)
            except PodcastError as exc:
                problems.extend(exc.problems)
    return problems
