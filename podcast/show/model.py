"""The resolved show: files as `Path`s inside the show folder, episodes in publication order,
each with its validated front matter (schema.py), notes, chapters and where they were written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from podcast.show.front_matter import FieldLines
from podcast.show.note_images import NoteImage
from podcast.show.pages import Page
from podcast.show.schema import EpisodeMeta, ShowConfig


@dataclass(frozen=True)
class Track:
    """One track of a multitrack recording, resolved to a file inside the show folder."""

    path: Path
    person: str | None = None  # whose microphone (a name of the episode's or show's persons)
    role: str | None = None  # music, ambience or phone (instead of a person)
    offset_s: float | None = None  # given in the front matter (None: measured)
    line: int = 0  # where it is written, for messages

    @property
    def voice(self) -> bool:
        """Whether the track carries speech (a person's microphone or a phone line)."""
        return self.role in (None, "phone")

    @property
    def name(self) -> str:
        return self.person or self.role or self.path.name


@dataclass(frozen=True)
class Recording:
    """A recording resolved to a file inside the show folder (a multitrack recording: the
    first track's file, with every track in `tracks`)."""

    path: Path
    start: float | None = None
    end: float | None = None
    # The recording's own sound settings (None: the show's [audio] settings).
    level_speech: bool | None = None
    noise_reduction_db: float | None = None
    hum_removal: bool | None = None
    highpass_hz: float | None = None
    speakers: tuple[str, ...] = ()  # one name, or the left and right channel's
    tracks: tuple[Track, ...] = ()  # a multitrack recording's tracks (empty: one file)


@dataclass(frozen=True)
class Transcript:
    path: Path
    language: str


@dataclass(frozen=True)
class ChapterMark:
    """A chapter with its image resolved to a file inside the show folder."""

    start: float
    title: str
    url: str | None = None
    image: Path | None = None
    source: Path | None = None  # where the editor wrote it, for messages
    line: int = 0


@dataclass(frozen=True)
class Episode:
    """An episode: validated metadata, resolved files and the Markdown notes."""

    slug: str
    source: Path
    meta: EpisodeMeta
    notes_markdown: str
    recordings: tuple[Recording, ...]
    transcripts: tuple[Transcript, ...] = ()
    chapters: tuple[ChapterMark, ...] = ()
    image: Path | None = None
    guid: str = ""
    name: str = ""  # the name in every published URL; fixed in podcast.lock once published
    # Where each front-matter field is written in `source`, for messages after loading.
    lines: FieldLines = field(default_factory=FieldLines)
    note_images: tuple[NoteImage, ...] = ()  # pictures the notes show
    # `media.file` resolved: audio published as it is (meta.media; recordings are empty).
    media_file: Path | None = None

    @property
    def kept_media_url(self) -> str | None:
        """The enclosure URL an imported episode keeps (its audio is not published here)."""
        return self.meta.media.url if self.meta.media is not None else None

    @property
    def as_is(self) -> bool:
        """Whether the audio is published as it is (imported), not mastered by the build."""
        return self.meta.media is not None

    @property
    def date(self) -> datetime:
        return self.meta.date


@dataclass(frozen=True)
class Show:
    """The whole show: configuration, resolved files, episodes in publication order."""

    root: Path
    config: ShowConfig
    cover: Path
    intro: Path | None
    outro: Path | None
    jingle: Path | None = None
    episodes: tuple[Episode, ...] = field(default=())
    pages: tuple[Page, ...] = ()  # pages/*.md: Impressum, Datenschutz, About ...


def editorial_team(show: Show, episode: Episode) -> list[str]:
    """The show's hosts, then the episode's hosts, producers and editors."""
    team = [h.name for h in show.config.hosts]
    team += [
        p.name
        for p in episode.meta.persons
        if p.role in ("host", "producer", "editor") and p.name not in team
    ]
    return team
