"""The programme sheet for radio partners: what a presenter needs to schedule and announce."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from podcast.outputs import urls
from podcast.outputs.chapters import TimedChapter
from podcast.outputs.music import played_music
from podcast.outputs.timecode import clock
from podcast.outputs.transcripts import sentences
from podcast.show.model import Episode, Show, editorial_team
from podcast.show.transcripts import Cue

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

SHEET_VERSION = 1


def first_and_last(cues: list[Cue]) -> tuple[dict[str, str], dict[str, str]] | None:
    """The interview's first and last sentence, each with the time of the cue it begins in,
    from its transcript: for the Anmoderation and the out-cue."""
    spoken = sentences(cues)
    if not spoken:
        return None
    (first_at, first), (last_at, last) = spoken[0], spoken[-1]
    return (
        {"time": clock(first_at), "text": first},
        {"time": clock(last_at), "text": last},
    )


def programme_sheet(
    show: Show,
    episode: Episode,
    broadcast_file: str,
    duration: float,
    chapters: list[TimedChapter],
    loudness: dict[str, Any] | None,
    embargo: bool = False,
    cues: list[Cue] | None = None,
    partners: list[dict[str, Any]] | None = None,
    music: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The sheet as data (published as JSON, and rendered as HTML by the site);
    `broadcast_file` is the published path of the broadcast WAV."""
    config, meta = show.config, episode.meta
    team = editorial_team(show, episode)
    sheet = {
        "version": SHEET_VERSION,
        "series": config.title,
        "title": meta.title,
        "episode": meta.number,
        "season": meta.season,
        "date": meta.date.isoformat(),
        "language": config.language,
        "duration": clock(round(duration)),  # rounded as the feed rounds it
        "duration_seconds": round(duration, 3),
        "licence": {"name": config.license, "url": config.license_url},
        "editorial_team": team,
        "guests": [p.name for p in meta.persons if p.role == "guest"],
        "summary": meta.summary,
        "announcement": meta.announcement or "",
        "back_announcement": meta.back_announcement or "",
        "chapters": [{"start": clock(c.start), "title": c.title} for c in chapters],
        "contact": {"name": config.owner.name, "email": config.owner.email},
        "audio": urls.media_url(show, broadcast_file),
        "loudness": loudness,
        "page": urls.absolute(show, urls.episode_page(episode)),
    }
    spoken = first_and_last(cues or [])
    if spoken is not None:
        sheet["first_sentence"], sheet["last_sentence"] = spoken
    if music:
        # What a music report needs, piece by piece, with its exact duration in this episode.
        sheet["music"] = music
    if partners:
        # Each partner's version (without the podcast's intro and outro): slot and margin.
        sheet["partners"] = partners
    if embargo:
        # Sperrfrist: not to be aired before the public release.
        sheet["embargo_until"] = meta.date.isoformat()
        del sheet["page"]  # not public yet
    return sheet


class ProgrammeSheet:
    """The programme sheet as JSON (the site renders it as a page), for episodes on radio."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        broadcast = context.broadcast
        if broadcast is None or files.broadcast is None:
            return
        files.programme = programme_sheet(
            context.show,
            context.episode,
            files.broadcast,
            broadcast.duration,
            context.chapters,
            broadcast.summary(),
            cues=context.cues,
            partners=[cut.sheet() for cut in context.partner_cuts],
            music=[
                p.row() for p in played_music(context.show, context.episode, context.audio.timeline)
            ],
        )
        writer.write(
            urls.episode_programme(context.episode, ".json"),
            json.dumps(files.programme, indent=1, ensure_ascii=False) + "\n",
        )
