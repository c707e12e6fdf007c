"""Build the podcast feed and the radio partners' feed with feedgen."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator

from podcast import __version__
from podcast.audio.renditions import BROADCAST_WAV, MP3
from podcast.outputs import urls
from podcast.outputs.chapters import TimedChapter, timestamp_lines
from podcast.outputs.feeds.podcasting20 import (
    AlternateEnclosureTag,
    LocationTag,
    PersonTag,
    Podcasting20EntryExtension,
    Podcasting20Extension,
    SimpleChapter,
    TranscriptTag,
    podcast_guid,
)
from podcast.outputs.notes import truncate_bytes
from podcast.outputs.published import Rendered
from podcast.outputs.timecode import clock
from podcast.outputs.transcripts import FORMATS
from podcast.show.images import Cover
from podcast.show.model import Episode, Show
from podcast.show.vocabularies import APPLE_DESCRIPTION_MAX_BYTES

if TYPE_CHECKING:
    from podcast.outputs.site_context import SiteContext


def _channel(
    show: Show, cover: Cover, feed_file: str, title: str, listed: bool = True
) -> FeedGenerator:
    """The channel of one feed; `listed=False` keeps directories from listing it."""
    config = show.config
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", Podcasting20Extension, Podcasting20EntryExtension)
    feed_url = urls.absolute(show, feed_file)
    fg.title(title)
    fg.link(href=feed_url, rel="self")
    fg.link(href=config.base_url, rel="alternate")
    fg.description(config.description)
    fg.language(config.language)
    fg.copyright(config.copyright)
    fg.generator("podcast", version=__version__)
    fg.image(url=urls.absolute(show, cover.file_name), title=title, link=config.base_url)
    fg.podcast.itunes_author(config.author)
    fg.podcast.itunes_owner(name=config.owner.name, email=config.owner.email)
    category = {"cat": config.category.name}
    if config.category.subcategory:
        category["sub"] = config.category.subcategory
    fg.podcast.itunes_category(category)
    fg.podcast.itunes_image(urls.absolute(show, cover.file_name))
    fg.podcast.itunes_type(config.type)
    p20: Podcasting20Extension = fg.podcastindex
    p20.explicit = config.explicit
    # Each feed its own identity: a guid-resolving app or directory must never merge the
    # partner feed with the listeners' one.
    # An imported show keeps the podcast:guid it was known by.
    p20.guid = (config.podcast_guid if listed else None) or podcast_guid(feed_url)
    p20.block = not listed
    p20.hub = config.websub_hub
    if listed and config.moved_to:  # the show moved: apps and directories follow
        fg.podcast.itunes_new_feed_url(config.moved_to)
    p20.locked = config.locked
    p20.locked_owner = config.owner.email
    p20.medium = "podcast"
    p20.license = config.license
    p20.license_url = config.license_url
    if config.funding:
        p20.funding_url, p20.funding_text = config.funding.url, config.funding.text
    p20.persons = [
        PersonTag(h.name, h.role, h.group or "cast", h.href, h.img) for h in config.hosts
    ]
    return fg


def _episode_item(
    fg: FeedGenerator,
    show: Show,
    item: Rendered,
    enclosure: tuple[str, int, str],
    seconds: float,
    page: str,
    cover_file: str,
    radio: bool = False,
) -> None:
    """One item; `radio`: of the partners' feed (released to them at `radio_release`, if
    earlier than the public date)."""
    episode: Episode = item.episode
    meta = episode.meta
    fe = fg.add_entry()
    fe.title(meta.title)
    fe.guid(episode.guid, permalink=False)
    fe.published(_pub_date(item, radio))
    fe.link(href=urls.absolute(show, page))
    fe.description(feed_description(meta.summary, item.chapters))
    fe.content(item.notes_html, type="CDATA")
    url, length, mime = enclosure
    fe.enclosure(url, str(length), mime)
    fe.podcast.itunes_duration(str(round(seconds)))
    fe.podcast.itunes_title(meta.title)
    if item.cover is not None and item.cover.file_name != cover_file:
        fe.podcast.itunes_image(urls.absolute(show, item.cover.file_name))
    fe.podcast.itunes_episode(meta.number)
    if meta.season is not None:
        fe.podcast.itunes_season(meta.season)
    fe.podcast.itunes_episode_type(meta.episode_type)
    p20: Podcasting20EntryExtension = fe.podcastindex
    if radio:
        # The release to partners is the pubDate; when the public may have it, its own element.
        p20.available = meta.date.isoformat()
    p20.explicit = meta.explicit if meta.explicit is not None else show.config.explicit
    p20.season, p20.episode = meta.season, meta.number
    p20.persons = [
        PersonTag(p.name, p.role, p.group or "cast", p.href, p.img) for p in meta.persons
    ]
    p20.locations = [
        LocationTag(loc.name, loc.geo, loc.osm, loc.rel, loc.country) for loc in meta.locations
    ]
    p20.transcripts = [
        TranscriptTag(
            url=urls.absolute(show, relative),
            mime=FORMATS[suffix],
            language=transcript.language,
            rel="captions" if suffix in (".vtt", ".srt") else None,
        )
        for transcript in item.transcripts
        for suffix, relative in transcript.files.items()
    ]
    if enclosure[2] == MP3.mime:
        p20.alternate_enclosures = [
            AlternateEnclosureTag(
                urls.enclosure_url(show, a.path), a.mime, a.size, a.bitrate, a.title
            )
            for a in item.alternates
        ]
    if item.chapters_json:
        p20.chapters_url = urls.absolute(show, item.chapters_json)
        p20.simple_chapters = [
            SimpleChapter(
                clock(c.start, millis=True),
                c.title,
                c.url,
                urls.absolute(show, image) if image else None,
            )
            for c, image in zip(item.chapters, item.chapter_images, strict=True)
        ]


def feed_description(summary: str, chapters: list[TimedChapter]) -> str:
    """The item description: summary, then chapter lines when Apple will read them (3+).

    Readers render an item's description as HTML, so the editors' plain text is escaped:
    a summary that reads `<script>` shows those characters, it never runs them. Cut to fit
    Apple's limit before escaping, so no entity is cut in half.
    """
    text = summary
    if len(chapters) >= 3:
        text += "\n\n" + timestamp_lines(chapters)
    limit = APPLE_DESCRIPTION_MAX_BYTES
    while True:
        escaped = html.escape(truncate_bytes(text, limit), quote=False)
        excess = len(escaped.encode()) - APPLE_DESCRIPTION_MAX_BYTES
        if excess <= 0:
            return escaped
        limit -= excess


def _pub_date(item: Rendered, radio: bool) -> datetime:
    """When the item came out: to the partners (radio.xml) at the radio release, if earlier."""
    meta = item.episode.meta
    return (meta.radio_release or meta.date) if radio else meta.date


def _serialise(fg: FeedGenerator, rendered: list[Rendered], radio: bool = False) -> bytes:
    # When the newest item appeared in the feed: never in the future. An item of radio.xml
    # appears at its public date (under embargo it is in no feed), although its pubDate is
    # the earlier radio release.
    newest: datetime | None = max(
        (max(_pub_date(r, radio), r.episode.meta.date) for r in rendered), default=None
    )
    if newest is not None:
        fg.lastBuildDate(newest)
    xml: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return xml


Enclosure = tuple[tuple[str, int, str], float, str]


def _build(
    show: Show,
    rendered: list[Rendered],
    cover: Cover,
    feed_file: str,
    title: str,
    enclosure_of: Callable[[Rendered], Enclosure | None],
    listed: bool = True,
    radio: bool = False,
) -> bytes:
    fg = _channel(show, cover, feed_file, title, listed)
    fg.podcastindex.dcterms = radio
    for item in sorted(rendered, key=lambda r: (_pub_date(r, radio), r.episode.meta.number)):
        found = enclosure_of(item)
        if found is not None:
            enclosure, seconds, page = found
            _episode_item(fg, show, item, enclosure, seconds, page, cover.file_name, radio)
    return _serialise(fg, rendered, radio)


def podcast_feed(show: Show, rendered: list[Rendered], cover: Cover) -> bytes:
    """The listeners' feed: MP3 enclosures, iTunes and Podcasting 2.0 tags."""

    def mp3(item: Rendered) -> Enclosure:
        url = urls.enclosure_url(show, item.mp3)
        page = urls.episode_page(item.episode)
        # Whole seconds cut, not rounded: as a player shows the file (7.9 s is 0:07).
        return (url, item.mp3_bytes, MP3.mime), int(item.mp3_duration), page

    return _build(show, rendered, cover, urls.PODCAST_FEED, show.config.title, mp3)


def radio_feed(show: Show, rendered: list[Rendered], cover: Cover, label: str) -> bytes:
    """The radio partners' feed: broadcast WAVs (EBU R128), exact durations, programme sheets;
    titled as the show with `label` (the theme's `radio_feed_label`) in brackets."""

    def wav(item: Rendered) -> Enclosure | None:
        if item.broadcast is None or item.broadcast_bytes is None:
            return None
        if item.broadcast_duration is None:
            return None
        url = urls.enclosure_url(show, item.broadcast)
        page = urls.episode_programme(item.episode, ".html")
        return (url, item.broadcast_bytes, BROADCAST_WAV.mime), item.broadcast_duration, page

    title = f"{show.config.title} ({label})"
    return _build(show, rendered, cover, urls.RADIO_FEED, title, wav, listed=False, radio=True)


class PodcastFeed:
    """feed.xml, the listeners' feed (an entry of FEED_OUTPUTS, outputs/site.py)."""

    name = urls.PODCAST_FEED

    def feed(self, site: SiteContext) -> bytes | None:
        return podcast_feed(site.show, site.public, site.cover)


class RadioFeed:
    """radio.xml, the radio partners' feed, where the show makes broadcast files."""

    name = urls.RADIO_FEED

    def feed(self, site: SiteContext) -> bytes | None:
        if not site.show.config.audio.broadcast:
            return None
        label = str(site.strings()["radio_feed_label"])
        return radio_feed(site.show, site.rendered, site.cover, label)
