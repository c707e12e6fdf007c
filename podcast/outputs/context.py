"""What the outputs of one episode share: the context they read and the record they fill.

The context is made once per episode (`episode_context`): the render, the cover, the notes,
chapters and transcript cues moved onto the published timeline, the ID3 tag values. Each
output (outputs/episode.py lists them) reads it, writes its files through the one
`OutputWriter`, and notes in `EpisodeFiles` what the pages and feeds need to know of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Protocol

from podcast.audio.render import RenderResult, RenditionResult
from podcast.audio.renditions import BROADCAST_WAV, MP3
from podcast.audio.timeline import Timeline, place_chapters
from podcast.outputs import urls
from podcast.outputs.chapters import TimedChapter, id3_frames, timed
from podcast.outputs.id3 import EpisodeTags
from podcast.outputs.notes import (
    PublishedPicture,
    plain_text,
    publish_image_sources,
    truncate_bytes,
)
from podcast.outputs.published import AlternateAudio, PublishedTranscript
from podcast.outputs.transcripts import plain
from podcast.outputs.urls import PODCAST_FEED
from podcast.outputs.writer import OutputWriter
from podcast.show.images import Cover, WebPicture, web_picture
from podcast.show.model import ChapterMark, Episode, Show, Transcript
from podcast.show.transcripts import Cue

if TYPE_CHECKING:
    from podcast.outputs.partners import PartnerCut


@dataclass(frozen=True)
class EpisodeContext:
    """Everything an episode's outputs read; nothing in it is written to the output yet."""

    show: Show
    episode: Episode
    audio: RenderResult
    cover: Cover  # the episode's own cover, else the show's
    notes_html: str  # for the feeds: pictures by absolute URL
    page_notes_html: str  # for the episode's page: pictures relative, in several widths
    strings: dict[str, Any]  # the UI strings of the episode's language
    chapters: list[TimedChapter]  # on the published timeline
    transcripts: list[tuple[Transcript, list[Cue]]]  # cues on the published timeline
    tags: EpisodeTags
    tags_key: str  # identifies `tags` (the cover by its digest) in media cache keys
    radio_only: bool = False  # out for radio partners only, under embargo until its date
    pictures: tuple[tuple[WebPicture, str], ...] = ()  # the notes' pictures and where they go
    partner_cuts: tuple[PartnerCut, ...] = ()  # what each radio partner airs (outputs/partners.py)

    @property
    def mp3(self) -> RenditionResult:
        return self.audio.renditions[MP3.file]

    @property
    def broadcast(self) -> RenditionResult | None:
        """The broadcast WAV rendition, when the show makes one."""
        return self.audio.renditions.get(BROADCAST_WAV.file)

    @property
    def cues(self) -> list[Cue]:
        """The cues of the first transcript (the one the page and the ID3 tag show)."""
        return self.transcripts[0][1] if self.transcripts else []


@dataclass
class EpisodeFiles:
    """What the outputs published for one episode, as the pages and feeds need it."""

    mp3: str = ""  # the published path of each file (versioned: see urls.versioned)
    mp3_bytes: int = 0
    broadcast: str | None = None
    broadcast_bytes: int | None = None
    chapters_json: str | None = None
    chapter_images: list[str | None] = field(default_factory=list)  # by chapter
    transcripts: list[PublishedTranscript] = field(default_factory=list)
    alternates: list[AlternateAudio] = field(default_factory=list)
    programme: dict[str, Any] | None = None


class EpisodeOutput(Protocol):
    """One kind of file (or set of files) published for every episode."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        """Write this output's files for the episode and note them in `files`."""
        ...


def published_chapters(episode: Episode, timeline: Timeline) -> tuple[ChapterMark, ...]:
    """Chapters moved onto the published timeline; the first starts at 0 (it covers the intro).
    Those that would start together (in trimmed silence) are left out but the last."""
    return place_chapters(episode, timeline)[0]


def published_cues(cues: list[Cue], timeline: Timeline) -> list[Cue]:
    """Transcript cues moved onto the published timeline (cues in trimmed silence drop out)."""
    moved = [replace(c, start=timeline.map(c.start), end=timeline.map(c.end)) for c in cues]
    return [cue for cue in moved if cue.end > cue.start]


def episode_context(
    show: Show,
    episode: Episode,
    audio: RenderResult,
    cover: Cover,
    notes_html: str,
    strings: dict[str, Any],
    transcripts: list[tuple[Transcript, list[Cue]]],
    radio_only: bool = False,
) -> EpisodeContext:
    """The context of an episode's outputs. `cover` is the episode's own cover (else the
    show's) and `transcripts` its transcripts' cues as written, both as the checks before
    rendering read them (checks.py)."""
    mp3 = audio.renditions[MP3.file]
    pictures: list[tuple[WebPicture, str]] = []
    on_page: dict[str, PublishedPicture] = {}
    in_feed: dict[str, PublishedPicture] = {}
    for image in episode.note_images:
        web = web_picture(image.path)
        names = [
            urls.note_image(episode, version.digest, image.path.suffix)
            for version in (web, *web.smaller)
        ]
        pictures += zip((web, *web.smaller), names, strict=True)
        # Relative on the pages (episodes/ is one folder down: they work from disk or any
        # host), absolute in the feeds.
        on_page[image.src] = PublishedPicture(
            f"../{names[0]}", web, tuple(f"../{name}" for name in names[1:])
        )
        in_feed[image.src] = PublishedPicture(urls.absolute(show, names[0]), web)
    page_notes_html = publish_image_sources(notes_html, on_page)
    notes_html = publish_image_sources(notes_html, in_feed, page=False)
    chapters = timed(published_chapters(episode, audio.timeline), mp3.duration)
    transcripts = [
        (transcript, published_cues(written, audio.timeline)) for transcript, written in transcripts
    ]
    first_cues = transcripts[0][1] if transcripts else []
    tags = EpisodeTags(
        title=episode.meta.title,
        artist=show.config.author,
        show=show.config.title,
        number=episode.meta.number,
        season=episode.meta.season,
        date=episode.meta.date.strftime("%Y-%m-%d"),
        language=show.config.language,
        summary=episode.meta.summary,
        description=truncate_bytes(plain_text(notes_html)),
        copyright=show.config.copyright,
        page_url=urls.absolute(show, urls.episode_page(episode)),
        feed_url=urls.absolute(show, PODCAST_FEED),
        guid=episode.guid,
        cover_jpeg=cover.embedded_jpeg,
        loudness_lufs=mp3.loudness.integrated,
        true_peak_dbtp=mp3.loudness.peak,
        transcript=plain(first_cues) if first_cues else None,
        transcript_label=str(strings["transcript"]),
        chapter_frames=id3_frames(chapters, str(strings["chapters"])),
        chapters=tuple(chapters),
    )
    fingerprint = repr(replace(tags, cover_jpeg=sha256(tags.cover_jpeg).digest()))
    return EpisodeContext(
        show=show,
        episode=episode,
        audio=audio,
        cover=cover,
        notes_html=notes_html,
        page_notes_html=page_notes_html,
        strings=strings,
        chapters=chapters,
        transcripts=transcripts,
        tags=tags,
        tags_key=sha256(fingerprint.encode()).hexdigest(),
        radio_only=radio_only,
        pictures=tuple(pictures),
    )
