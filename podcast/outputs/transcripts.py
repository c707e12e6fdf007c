"""Transcripts as published: cues re-flowed into captions, written as WebVTT, SRT and
Podcasting 2.0 JSON, and as plain text for the ID3 tag."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from podcast.outputs import urls
from podcast.outputs.published import PublishedTranscript
from podcast.outputs.timecode import clock
from podcast.plan.cache import data_digest
from podcast.show.transcripts import Cue

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

# The published formats, by suffix, with their MIME types (podcast:transcript).
FORMATS = {".vtt": "text/vtt", ".srt": "application/x-subrip", ".json": "application/json"}


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


_SENTENCE = re.compile(r"[^\s.!?\u2026][^.!?\u2026]*[.!?\u2026]*")


def sentences(cues: list[Cue]) -> list[tuple[float, str]]:
    """The transcript's sentences, each with the start of the cue it begins in (a sentence
    may run over several cues, as captions cut it)."""
    text, starts = "", list[tuple[int, float]]()
    for cue in cues:
        text += " " if text else ""
        starts.append((len(text), cue.start))
        text += " ".join(cue.text.split())
    return [
        (next(start for where, start in reversed(starts) if where <= m.start()), m.group().strip())
        for m in _SENTENCE.finditer(text)
    ]


# The shortest a caption is shown: about a second, as caption guidelines ask (BBC: 0.3 s a
# word; a caption of one word shown for 0.3 s cannot be read).
MIN_CAPTION_S = 1.0


def captions(
    cues: list[Cue], prefix_speaker: bool = False, duration: float | None = None
) -> list[Caption]:
    """The cues re-flowed into captions of at most two short lines, each piece timed by its
    share of the cue's characters, then each shown at least MIN_CAPTION_S where the captions
    around it leave the time (`_readable`). `prefix_speaker` starts a cue's first caption with
    "Name: " (for SRT, which has no voice tags); `duration` is the audio's, which no caption
    passes."""
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
    return _readable(out, duration)


def _readable(shown: list[Caption], duration: float | None) -> list[Caption]:
    """Each caption shorter than MIN_CAPTION_S lengthened: into the silence after it, then
    before it, then taking time from the caption before or after as far as that one stays
    readable. Captions never overlap; one stays short only where its neighbours are short too."""
    out = list(shown)
    for i, caption in enumerate(out):
        if caption.end - caption.start >= MIN_CAPTION_S:
            continue
        after = out[i + 1].start if i + 1 < len(out) else duration
        end = caption.start + MIN_CAPTION_S
        end = max(caption.end, min(end, after)) if after is not None else end
        before = out[i - 1].end if i else 0.0
        start = min(caption.start, max(before, end - MIN_CAPTION_S))
        if end - start < MIN_CAPTION_S and i:  # start == the previous caption's end
            previous = out[i - 1]
            give = min(MIN_CAPTION_S - (end - start), previous.end - previous.start - MIN_CAPTION_S)
            if give > 0:
                start = round(previous.end - give, 3)
                out[i - 1] = replace(previous, end=start)
        if end - start < MIN_CAPTION_S and i + 1 < len(out):  # end == the next one's start
            following = out[i + 1]
            take = min(
                MIN_CAPTION_S - (end - start), following.end - following.start - MIN_CAPTION_S
            )
            if take > 0:
                end = round(end + take, 3)
                out[i + 1] = replace(following, start=end)
        out[i] = replace(caption, start=round(start, 3), end=round(end, 3))
    return out


def to_vtt(cues: list[Cue], duration: float | None = None) -> str:
    """WebVTT captions (two short lines at most, readable long) with speakers as voice spans;
    `duration`: the audio's."""
    blocks = ["WEBVTT"]
    for index, caption in enumerate(captions(cues, duration=duration), start=1):
        body = "\n".join(_escape_vtt(line) for line in caption.lines)
        if caption.speaker:
            body = f"<v {_escape_vtt(caption.speaker)}>{body}"
        timing = f"{clock(caption.start, True)} --> {clock(caption.end, True)}"
        blocks.append(f"{index}\n{timing}\n{body}")
    return "\n\n".join(blocks) + "\n"


def to_srt(cues: list[Cue], duration: float | None = None) -> str:
    """SRT captions (two short lines at most, readable long); a cue's speaker leads it as
    'Name: …'; `duration`: the audio's."""
    blocks = []
    for index, caption in enumerate(captions(cues, True, duration), start=1):
        timing = f"{clock(caption.start, True, ',')} --> {clock(caption.end, True, ',')}"
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


class TranscriptFiles:
    """Each transcript, on the published timeline, as WebVTT, SRT and Podcasting 2.0 JSON."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        for transcript, cues in context.transcripts:
            written = {}
            for suffix, text in (
                (".vtt", to_vtt(cues, context.mp3.duration)),
                (".srt", to_srt(cues, context.mp3.duration)),
                (".json", to_json(cues)),
            ):
                relative = urls.versioned(
                    urls.episode_transcript(context.episode, transcript.language, suffix),
                    data_digest(text),
                )
                writer.write(relative, text)
                written[suffix] = relative
            files.transcripts.append(PublishedTranscript(transcript.language, written))
