"""Where each segment lands in the published audio: silence trimmed at the head and
tail, intro and outro crossfaded into the speech, and the map from the editors' timeline (the
recordings joined) to published times that chapters and transcripts are moved with."""

from __future__ import annotations

from dataclasses import dataclass, replace

from podcast.audio.analyse import Segment, SegmentAnalysis
from podcast.errors import display_path
from podcast.show.model import ChapterMark, Episode
from podcast.show.schema import AudioSettings


@dataclass(frozen=True)
class Piece:
    """Where a segment lands in the published audio.

    `offset` and `length` select the part of the segment (after its in point) that is used;
    `published_start` is where it starts in the published file. For recordings, `joined_start`
    is where that part starts on the editors' timeline: the recordings joined, before silence
    was trimmed, without intro or jingles. Chapters and transcripts are written on that timeline.
    """

    kind: str
    offset: float
    length: float
    published_start: float
    joined_start: float | None
    crossfade: float = 0.0


@dataclass(frozen=True)
class Timeline:
    """Maps times on the editors' timeline to times in the published audio."""

    pieces: tuple[Piece, ...]

    @property
    def duration(self) -> float:
        last = self.pieces[-1]
        return last.published_start + last.length

    @property
    def joined_duration(self) -> float:
        recordings = [p for p in self.pieces if p.joined_start is not None]
        last = recordings[-1]
        assert last.joined_start is not None
        return last.joined_start + last.length

    def map(self, seconds: float) -> float:
        """The published time of `seconds` on the editors' timeline (clamped into speech)."""
        recordings = [p for p in self.pieces if p.joined_start is not None]
        for piece in recordings:
            assert piece.joined_start is not None
            if seconds < piece.joined_start + piece.length:
                inside = max(0.0, seconds - piece.joined_start)
                return round(piece.published_start + inside, 3)
        last = recordings[-1]
        return round(last.published_start + last.length, 3)


def plan_timeline(
    segments: list[Segment], inputs: list[SegmentAnalysis], settings: AudioSettings
) -> Timeline:
    """Lay the segments out: silence trimmed at the head and tail, intro and outro
    crossfaded into the speech."""
    recordings = [i for i, s in enumerate(segments) if s.kind == "recording"]
    pieces: list[Piece] = []
    position = joined = 0.0
    for index, (segment, facts) in enumerate(zip(segments, inputs, strict=True)):
        duration = facts.duration
        head = tail = 0.0
        if settings.trim_silence and segment.kind == "recording":
            keep = settings.keep_silence_s
            if index == recordings[0]:
                head = max(0.0, facts.head_silence - keep)
            if index == recordings[-1]:
                tail = max(0.0, facts.tail_silence - keep)
        length = max(0.05, duration - head - tail)
        crossfade = 0.0
        previous = segments[index - 1].kind if index else None
        if pieces and (
            (previous == "intro" and segment.kind == "recording")
            or (previous == "recording" and segment.kind == "outro")
        ):
            crossfade = min(settings.crossfade_s, 0.45 * pieces[-1].length, 0.45 * length)
        position -= crossfade
        joined_start = None
        if segment.kind == "recording":
            joined_start = joined + head
            joined += duration
        pieces.append(
            Piece(segment.kind, head, length, round(position, 6), joined_start, round(crossfade, 6))
        )
        position += length
    return Timeline(tuple(pieces))


def place_chapters(
    episode: Episode, timeline: Timeline
) -> tuple[tuple[ChapterMark, ...], list[str]]:
    """The chapters on the published timeline (the first at 0: it covers the intro), and a
    warning for each left out.

    Chapters inside trimmed silence (or an in point's cut) all land where the speech begins
    (or ends): of those that land on one time, the last is kept, since what is heard from
    there on is its part; a chapter that lands at the very end would have no length."""
    moved = [
        replace(chapter, start=0.0 if index == 0 else timeline.map(chapter.start))
        for index, chapter in enumerate(episode.chapters)
    ]
    kept: list[tuple[int, ChapterMark]] = []
    warnings = []

    def leave_out(index: int, reason: str, fix: str) -> None:
        chapter = episode.chapters[index]
        warnings.append(
            f"{display_path(chapter.source or episode.source)}: chapters[{index}] "
            f"'{chapter.title}' at {chapter.start:.2f} s lies in silence the build trims and is "
            f"left out of the published chapters ({reason}); {fix}"
        )

    for index, chapter in enumerate(moved):
        if kept and chapter.start <= kept[-1][1].start:
            earlier, _ = kept.pop()
            leave_out(
                earlier,
                f"'{chapter.title}' would start at the same time",
                "move it to where the speech begins",
            )
            chapter = replace(chapter, start=moved[earlier].start)
        kept.append((index, chapter))
    if len(kept) > 1 and kept[-1][1].start >= timeline.duration:
        leave_out(kept.pop()[0], "it would start where the episode ends", "move it before the end")
    return tuple(chapter for _, chapter in kept), warnings
