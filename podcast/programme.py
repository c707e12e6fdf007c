"""The programme sheet for radio partners: what a presenter needs to schedule and announce."""

from __future__ import annotations

from typing import Any

from . import urls
from .chapters import TimedChapter, clock
from .model import Episode, Show

SHEET_VERSION = 1


def programme_sheet(
    show: Show,
    episode: Episode,
    duration: float,
    chapters: list[TimedChapter],
    loudness: dict[str, Any] | None,
) -> dict[str, Any]:
    """The sheet as data (published as JSON, and rendered as HTML by the site)."""
    config, meta = show.config, episode.meta
    team = [h.name for h in config.hosts]
    team += [
        p.name
        for p in meta.persons
        if p.role in ("host", "producer", "editor") and p.name not in team
    ]
    return {
        "version": SHEET_VERSION,
        "series": config.title,
        "title": meta.title,
        "episode": meta.number,
        "season": meta.season,
        "date": meta.date.isoformat(),
        "language": config.language,
        "duration": clock(duration),
        "duration_seconds": round(duration, 3),
        "licence": {"name": config.license, "url": config.license_url},
        "editorial_team": team,
        "guests": [p.name for p in meta.persons if p.role == "guest"],
        "summary": meta.summary,
        "announcement": meta.announcement or "",
        "back_announcement": meta.back_announcement or "",
        "chapters": [{"start": clock(c.start), "title": c.title} for c in chapters],
        "contact": {"name": config.owner.name, "email": config.owner.email},
        "audio": urls.absolute(show, urls.episode_broadcast(episode)),
        "loudness": loudness,
        "page": urls.absolute(show, urls.episode_page(episode)),
    }
