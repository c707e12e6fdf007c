"""Where every published file lives, relative to the output folder and as an absolute URL."""

from __future__ import annotations

from .model import Episode, Show


def episode_page(episode: Episode) -> str:
    return f"episodes/{episode.slug}.html"


def episode_mp3(episode: Episode) -> str:
    return f"audio/{episode.slug}.mp3"


def episode_broadcast(episode: Episode) -> str:
    return f"broadcast/{episode.slug}.wav"


def episode_transcript(episode: Episode, language: str, suffix: str) -> str:
    return f"transcripts/{episode.slug}.{language}{suffix}"


def absolute(show: Show, relative: str) -> str:
    """The public URL of a file published at `relative` inside the output folder."""
    return show.config.base_url + relative


def episode_programme(episode: Episode, suffix: str) -> str:
    return f"programme/{episode.slug}{suffix}"


def episode_chapters(episode: Episode) -> str:
    return f"chapters/{episode.slug}.json"


def chapter_image(episode: Episode, index: int, suffix: str) -> str:
    return f"chapters/{episode.slug}-{index}{suffix.lower()}"
