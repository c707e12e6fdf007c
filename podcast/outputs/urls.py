"""Where every published file lives, relative to the output folder and as an absolute URL."""

from __future__ import annotations

from urllib.parse import quote

from podcast.show.model import Episode, Show

PODCAST_FEED = "feed.xml"
RADIO_FEED = "radio.xml"  # the broadcast WAVs, for partner stations


def episode_page(episode: Episode) -> str:
    return f"episodes/{episode.name}.html"


def episode_mp3(episode: Episode) -> str:
    return episode_audio(episode, ".mp3")


def episode_audio(episode: Episode, suffix: str) -> str:
    return f"audio/{episode.name}{suffix}"


def episode_broadcast(episode: Episode) -> str:
    return f"broadcast/{episode.name}.wav"


def episode_transcript(episode: Episode, language: str, suffix: str) -> str:
    return f"transcripts/{episode.name}.{language}{suffix}"


def absolute(show: Show, relative: str) -> str:
    """The public URL of a file published at `relative` inside the output folder.

    Names are URL-safe by construction (see `loader.url_name`); percent-encoding here keeps a
    name recorded in podcast.lock by an older version a valid URL too.
    """
    return show.config.base_url + quote(relative, safe="/")


def episode_programme(episode: Episode, suffix: str) -> str:
    return f"programme/{episode.name}{suffix}"


def episode_chapters(episode: Episode) -> str:
    return f"chapters/{episode.name}.json"


def chapter_image(episode: Episode, index: int, suffix: str) -> str:
    return f"chapters/{episode.name}-{index}{suffix.lower()}"
