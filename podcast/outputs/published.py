"""What each episode's outputs hand to the pages and feeds: the published files and their facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podcast.outputs.chapters import TimedChapter
from podcast.show.images import Cover
from podcast.show.model import Episode
from podcast.show.transcripts import Cue


@dataclass(frozen=True)
class PublishedTranscript:
    """One transcript language, published in every format (suffix -> relative path)."""

    language: str
    files: dict[str, str]


@dataclass(frozen=True)
class AlternateAudio:
    """An additional encoding of the episode (podcast:alternateEnclosure)."""

    path: str
    mime: str
    size: int
    bitrate: int
    title: str


@dataclass(frozen=True)
class Rendered:
    """One episode as published: notes, media facts, chapters, transcripts, measurements."""

    episode: Episode
    notes_html: str  # for the feeds (pictures by absolute URL)
    mp3: str  # published path (relative to the output folder), as every file below
    mp3_bytes: int
    mp3_duration: float
    broadcast: str | None
    broadcast_bytes: int | None
    broadcast_duration: float | None
    loudness: dict[str, object]
    chapters: list[TimedChapter] = field(default_factory=list)
    chapters_json: str | None = None
    chapter_images: list[str | None] = field(default_factory=list)  # by chapter
    transcripts: list[PublishedTranscript] = field(default_factory=list)
    transcript_cues: list[Cue] = field(default_factory=list)
    programme: dict[str, Any] | None = None
    cover: Cover | None = None  # the episode's own cover, else the show's
    alternates: list[AlternateAudio] = field(default_factory=list)
    page_notes_html: str = ""  # for the episode's page (pictures relative, srcset)
    preview_mark: str | None = None  # in a preview: draft, embargo, scheduled (release.py)
