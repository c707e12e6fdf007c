"""The files published for every episode: a list of outputs sharing one context and one writer.

A new kind of file (say, a web player's configuration) is a class with a `write` method in a
module of its own plus one entry in `EPISODE_OUTPUTS`. The list is in dependency order only
where an output reads what an earlier one noted in `EpisodeFiles`; today none does.
"""

from __future__ import annotations

from typing import Any

from podcast.outputs.alternate_tags import TaggedAlternates
from podcast.outputs.bext import BroadcastWav
from podcast.outputs.chapters import ChaptersJson
from podcast.outputs.context import EpisodeContext, EpisodeFiles, EpisodeOutput
from podcast.outputs.id3 import TaggedMp3
from podcast.outputs.music import MusicReport
from podcast.outputs.note_pictures import NotePictures
from podcast.outputs.programme_sheet import ProgrammeSheet
from podcast.outputs.published import Rendered
from podcast.outputs.transcripts import TranscriptFiles
from podcast.outputs.writer import OutputWriter


class EpisodeCover:
    """The episode's own cover image, where it has one (the show's is written once)."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        if context.episode.image:
            writer.write(context.cover.file_name, context.cover.data)


EPISODE_OUTPUTS: tuple[EpisodeOutput, ...] = (
    EpisodeCover(),
    NotePictures(),
    TranscriptFiles(),
    ChaptersJson(),
    TaggedMp3(),
    TaggedAlternates(),
    BroadcastWav(),
    ProgrammeSheet(),
    MusicReport(),
)


def publish_episode(context: EpisodeContext, writer: OutputWriter) -> Rendered:
    """Write every output of one episode; what the pages and feeds need to know of it."""
    files = EpisodeFiles()
    for output in EPISODE_OUTPUTS:
        output.write(context, writer, files)
    broadcast = context.broadcast
    return Rendered(
        episode=context.episode,
        notes_html=context.notes_html,
        page_notes_html=context.page_notes_html,
        mp3=files.mp3,
        mp3_bytes=files.mp3_bytes,
        mp3_duration=context.mp3.duration,
        broadcast=files.broadcast,
        broadcast_bytes=files.broadcast_bytes,
        broadcast_duration=broadcast.duration if broadcast is not None else None,
        loudness=loudness(context),
        chapters=context.chapters,
        chapters_json=files.chapters_json,
        chapter_images=files.chapter_images,
        transcripts=files.transcripts,
        transcript_cues=context.cues,
        programme=files.programme,
        cover=context.cover,
        alternates=files.alternates,
    )


def loudness(context: EpisodeContext) -> dict[str, object]:
    """The measurements of the episode's inputs and renditions."""
    audio = context.audio
    return {
        "inputs": [i.as_json() for i in audio.inputs],
        "renditions": {name: r.summary() for name, r in audio.renditions.items()},
    }


def episode_summary(context: EpisodeContext, radio_only: bool = False) -> dict[str, Any]:
    """What the build report (and its record in the cache) says of an episode; `radio_only`:
    out for radio partners only, under embargo (published nowhere)."""
    episode = context.episode
    return {
        "slug": episode.slug,
        "name": episode.name,
        "guid": episode.guid,
        "title": episode.meta.title,
        **({"radio_only": True} if radio_only else {}),
        **loudness(context),
    }
