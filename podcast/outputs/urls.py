"""Where every published file lives, relative to the output folder and as an absolute URL: the
one place that knows the layout of the output folder (the pages, publish and serve ask here)."""

from __future__ import annotations

import re
from urllib.parse import quote

from podcast.show.model import Episode, Show

VERSION_DIGITS = 12  # as the content-named pictures have them
_VERSION = re.compile(rf"-[0-9a-f]{{{VERSION_DIGITS}}}(\.[^./]+)$")
PODCAST_FEED = "feed.xml"
RADIO_FEED = "radio.xml"  # the broadcast WAVs, for partner stations
INDEX = "index.html"
PARTNERS_PAGE = "programme/index.html"  # for radio partners: the radio feed and every sheet
STYLESHEET = "style.css"
SEARCH_PAGE = "search.html"  # the full-text search over notes and transcripts
FAVICON = "favicon.ico"  # browsers ask for it on every site, linked or not
AUDIO_FOLDER = "audio/"
BROADCAST_FOLDER = "broadcast/"
MEDIA_FOLDERS = (AUDIO_FOLDER, BROADCAST_FOLDER)  # large files, on `media_target` if there is one
PAGE_SUFFIX = ".html"


def show_page(name: str) -> str:
    """A page of the show's pages/ folder, at the root of the site."""
    return f"{name}{PAGE_SUFFIX}"


def is_page(relative: str) -> bool:
    """Whether a published file is a web page (uploaded after the files pages link)."""
    return relative.endswith(PAGE_SUFFIX)


def episode_page(episode: Episode) -> str:
    return f"episodes/{episode.name}{PAGE_SUFFIX}"


def episode_mp3(episode: Episode) -> str:
    return episode_audio(episode, ".mp3")


def episode_audio(episode: Episode, suffix: str) -> str:
    return f"{AUDIO_FOLDER}{episode.name}{suffix}"


def episode_broadcast(episode: Episode) -> str:
    return f"{BROADCAST_FOLDER}{episode.name}.wav"


def episode_transcript(episode: Episode, language: str, suffix: str) -> str:
    return f"transcripts/{episode.name}.{language}{suffix}"


def versioned(relative: str, content_key: str) -> str:
    """`audio/x.mp3` as `audio/x-<12 hex digits of content_key>.mp3`.

    Every file a feed names (audio, broadcast WAVs, chapters, transcripts, pictures) is
    published under a name that changes with its content: a file never changes under a URL
    that a live feed gives, so an app that polls the feed while a publish runs finds either
    the old files or the new ones, each complete (the old ones stay until the feeds moved on).
    """
    stem, _, suffix = relative.rpartition(".")
    return f"{stem}-{content_key[:VERSION_DIGITS]}.{suffix}"


def unversioned(url: str) -> str:
    """A versioned file's URL without its version: the same for every version of one file."""
    return _VERSION.sub(r"\1", url, count=1)


def is_versioned(relative: str) -> bool:
    """Whether a published name carries a content version (such a file never changes)."""
    return _VERSION.search(relative) is not None


def absolute(show: Show, relative: str) -> str:
    """The public URL of a file published at `relative` inside the output folder.

    Names are URL-safe by construction (see `show/text.url_name`); percent-encoding here keeps a
    name recorded in podcast.lock by an older version a valid URL too.
    """
    return show.config.base_url + quote(relative, safe="/")


def media_url(show: Show, relative: str) -> str:
    """The public URL of a media file (audio/, broadcast/): under `media_base_url` when the
    show keeps its audio on another host, else like `absolute`; an absolute URL (imported
    audio left where it is) as it is."""
    if "://" in relative:
        return relative
    return (show.config.media_base_url or show.config.base_url) + quote(relative, safe="/")


def enclosure_url(show: Show, relative: str) -> str:
    """A media file's URL as the feeds give it: behind the show's `enclosure_prefix` (an
    analytics redirect that takes the URL without its scheme) when it has one."""
    if "://" in relative:  # an imported episode's audio left where it is: its URL, unchanged
        return relative
    url = media_url(show, relative)
    prefix = show.config.enclosure_prefix
    return prefix + url.split("://", 1)[1] if prefix else url


def url_roots(show: Show) -> tuple[str, ...]:
    """Every address prefix under which feeds and pages name files of the output folder."""
    config = show.config
    roots = [config.base_url]
    if config.media_base_url:
        roots.append(config.media_base_url)
    if config.enclosure_prefix:
        media = config.media_base_url or config.base_url
        roots.append(config.enclosure_prefix + media.split("://", 1)[1])
    return tuple(dict.fromkeys(roots))


def same_media(a: str, b: str) -> bool:
    """Whether two enclosure URLs lead to the same file: equal, or one is the other behind a
    redirect prefix (`https://op3.dev/e/host/audio/x.mp3` and `https://host/audio/x.mp3`).
    Another version of the same file counts as the same (see `versioned`)."""
    bare_a, bare_b = (unversioned(url).split("://", 1)[-1] for url in (a, b))
    return bare_a == bare_b or bare_a.endswith("/" + bare_b) or bare_b.endswith("/" + bare_a)


def episode_programme(episode: Episode, suffix: str) -> str:
    return f"programme/{episode.name}{suffix}"


def episode_music_report(episode: Episode) -> str:
    """The music report (CSV) beside the programme sheet."""
    return f"programme/{episode.name}-music.csv"


def monthly_music_report(month: str) -> str:
    """The music reports of a month (yyyy-mm) of radio releases (CSV)."""
    return f"programme/music-{month}.csv"


def note_image(episode: Episode, digest: str, suffix: str) -> str:
    """A picture of an episode's notes, named by its content (a new picture, a new URL)."""
    return f"images/{episode.name}-{digest[:12]}{suffix.lower()}"


def page_image(page_name: str, digest: str, suffix: str) -> str:
    """A picture of a page in pages/, named by its content like the notes' pictures."""
    return f"images/{page_name}-{digest[:12]}{suffix.lower()}"


def episode_chapters(episode: Episode) -> str:
    return f"chapters/{episode.name}.json"


def chapter_image(episode: Episode, index: int, suffix: str) -> str:
    return f"chapters/{episode.name}-{index}{suffix.lower()}"
