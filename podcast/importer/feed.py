"""Read an RSS feed written by another tool into typed values, noting what cannot be used.

Feeds from real tools differ (Podlove Publisher, Castopod, PowerPress, Anchor, Libsyn,
Buzzsprout, hand-written RSS 2.0): namespaces spelled in other cases, durations as seconds or
clock times, HTML in titles, relative addresses, items without a GUID or an enclosure. Each
item is read into a `FeedItem` or skipped with the reason (`Skipped`); nothing here decides
where files go or checks values against the schema (the loader does that once they are
written). Over 400 lines: the channel's and the items' tags are read side by side, each
with its fallbacks, so what a tool writes can be followed in one file.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import nh3

from podcast.errors import PodcastError
from podcast.show.fields import DATE_YEARS

TITLE_MAX = 255  # characters, as the schema allows (and GUIDs)
WEB = ("http", "https")
ITUNES = "itunes"
PODCAST = "podcast"
NAMESPACES = {
    "http://www.itunes.com/dtds/podcast-1.0.dtd": ITUNES,
    "https://podcastindex.org/namespace/1.0": PODCAST,
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": PODCAST,
    "http://podlove.org/simple-chapters": "psc",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://www.w3.org/2005/atom": "atom",
    "http://www.google.com/schemas/play-podcasts/1.0": "googleplay",
}


@dataclass(frozen=True)
class PersonEntry:
    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class LocationEntry:
    name: str
    geo: str | None = None
    osm: str | None = None
    rel: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int | None
    mime: str


@dataclass(frozen=True)
class SimpleChapterEntry:
    start: str
    title: str
    href: str | None = None


@dataclass(frozen=True)
class TranscriptEntry:
    url: str
    mime: str
    language: str | None


@dataclass
class FeedItem:
    """One episode of the feed, as its tool wrote it."""

    guid: str
    title: str
    date: datetime
    enclosure: Enclosure
    summary: str = ""  # plain text
    notes_html: str = ""
    link: str | None = None  # the web address relative links in the notes are read against
    number: int | None = None
    season: int | None = None
    episode_type: str = "full"
    duration: float | None = None
    explicit: bool | None = None
    image_url: str | None = None
    chapters_url: str | None = None
    simple_chapters: list[SimpleChapterEntry] = field(default_factory=list)
    transcripts: list[TranscriptEntry] = field(default_factory=list)
    persons: list[PersonEntry] = field(default_factory=list)
    locations: list[LocationEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was changed on the way in


@dataclass(frozen=True)
class Skipped:
    """An item not imported, and why."""

    item: str  # its title, GUID or position
    reason: str


@dataclass
class FeedChannel:
    """The show as the feed describes it, and its items (oldest first)."""

    title: str
    description: str = ""
    link: str | None = None
    language: str | None = None
    author: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    categories: list[tuple[str, str | None]] = field(default_factory=list)
    explicit: bool | None = None
    image_url: str | None = None
    copyright: str | None = None
    podcast_guid: str | None = None
    locked: bool | None = None
    locked_owner: str | None = None
    funding: tuple[str, str] | None = None
    persons: list[PersonEntry] = field(default_factory=list)
    show_type: str | None = None
    new_feed_url: str | None = None
    generator: str | None = None
    items: list[FeedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was changed on the way in


def _key(element: ET.Element) -> tuple[str, str]:
    """(namespace prefix as this module names it, local name) of an element."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return NAMESPACES.get(uri.lower(), uri.lower()), local
    return "", tag


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    prefix, _, local = name.rpartition(":")
    return [child for child in element if _key(child) == (prefix, local)]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: ET.Element, name: str) -> str | None:
    child = _child(element, name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def plain(text_or_html: str) -> str:
    """Text without tags or entities, whitespace collapsed (titles, summaries)."""
    stripped = nh3.clean(text_or_html, tags=set(), clean_content_tags={"script", "style"})
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()


def duration_seconds(text: str | None) -> float | None:
    """itunes:duration as seconds: `3723`, `62:03`, `1:02:03` (fractions allowed)."""
    if not text:
        return None
    parts = text.strip().split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    if len(values) > 3 or any(v < 0 for v in values):
        return None
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return seconds


def _truth(text: str | None) -> bool | None:
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in ("yes", "true", "explicit"):
        return True
    if lowered in ("no", "false", "clean"):
        return False
    return None


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _number(text: str | None) -> int | None:
    if text is None or not re.fullmatch(r"\d{1,6}", text.strip()):
        return None
    return int(text.strip())


def _persons(element: ET.Element) -> list[PersonEntry]:
    persons = []
    for tag in _children(element, "podcast:person"):
        name = plain(tag.text or "")
        if name:
            persons.append(
                PersonEntry(
                    name,
                    (tag.get("role") or "host").strip().lower(),
                    (tag.get("group") or "cast").strip().lower(),
                    tag.get("href"),
                    tag.get("img"),
                )
            )
    return persons


def _absolute(url: str, base: str | None, notes: list[str], what: str) -> str | None:
    """`url` made absolute against the feed's web address (a relative URL is noted); None,
    with the reason noted, when it is no http(s) address then: the import reads nothing from
    the disk or other schemes (a feed naming file:///etc/passwd would publish it)."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme in WEB:
        return url
    if scheme:
        notes.append(f"{what}: {url!r} is not an http(s) address; left out")
        return None
    if base is None:
        notes.append(
            f"{what}: the relative address {url!r} cannot be resolved (the feed was read from a "
            "file and names no http(s) address of its own in <link> or atom:link rel=self); "
            "left out"
        )
        return None
    joined = urljoin(base, url)
    if urlsplit(joined).scheme.lower() not in WEB:
        notes.append(f"{what}: {url!r} is read as {joined}, not an http(s) address; left out")
        return None
    notes.append(f"{what}: the relative address {url!r} was read as {joined}")
    return joined


def _web_base(channel: ET.Element, feed_url: str) -> str | None:
    """The address relative links are read against: the feed's own when fetched over the web,
    else the http(s) address the feed names for itself (atom:link rel=self, then <link>)."""
    if urlsplit(feed_url).scheme.lower() in WEB:
        return feed_url
    named = [
        (tag.get("href") or "").strip()
        for tag in _children(channel, "atom:link")
        if (tag.get("rel") or "").strip().lower() == "self"
    ]
    named.append(_text(channel, "link") or "")
    return next((url for url in named if urlsplit(url).scheme.lower() in WEB), None)


def _shortened(title: str, notes: list[str]) -> str:
    """A title the schema takes: over TITLE_MAX characters, cut at a word (noted)."""
    if len(title) <= TITLE_MAX:
        return title
    cut = title[: TITLE_MAX - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    notes.append(f"the title had {len(title)} characters: cut at a word to {len(cut) + 1}")
    return cut.rstrip() + "…"


def parse_feed(data: bytes, feed_url: str) -> FeedChannel:
    """The channel and items of an RSS 2.0 feed; PodcastError when it is not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise PodcastError(
            f"{feed_url}: not a readable feed: the XML is not well-formed ({error}); "
            "check the address, or save the feed from a browser and import the file"
        ) from None
    channel = _child(root, "channel") if _key(root)[1] == "rss" else None
    if channel is None:
        raise PodcastError(
            f"{feed_url}: not an RSS 2.0 podcast feed (the document is <{_key(root)[1]}>); "
            "import the show's RSS feed"
        )
    found = FeedChannel(title=plain(_text(channel, "title") or ""))
    if not found.title:
        raise PodcastError(f"{feed_url}: the feed has no <title>; it cannot be a show")
    found.description = (
        _text(channel, "description")
        or _text(channel, "itunes:summary")
        or _text(channel, "itunes:subtitle")
        or ""
    )
    found.link = _text(channel, "link")
    found.language = _text(channel, "language")
    found.author = plain(_text(channel, "itunes:author") or "") or None
    owner = _child(channel, "itunes:owner")
    if owner is not None:
        found.owner_name = plain(_text(owner, "itunes:name") or "") or None
        found.owner_email = _text(owner, "itunes:email")
    editor = _text(channel, "managingEditor")
    if editor and not found.owner_email:
        match = re.match(r"\s*([^\s()]+@[^\s()]+)\s*(?:\((.*)\))?", editor)
        if match:
            found.owner_email = match.group(1)
            found.owner_name = found.owner_name or (match.group(2) or "").strip() or None
    for category in _children(channel, "itunes:category"):
        name = (category.get("text") or "").strip()
        subs = [(c.get("text") or "").strip() for c in _children(category, "itunes:category")]
        if name:
            found.categories.append((name, subs[0] if subs else None))
    found.explicit = _truth(_text(channel, "itunes:explicit"))
    image = _child(channel, "itunes:image")
    rss_image = _child(channel, "image")
    image_url = (image.get("href") if image is not None else None) or (
        _text(rss_image, "url") if rss_image is not None else None
    )
    base = _web_base(channel, feed_url)
    found.link = found.link if found.link and urlsplit(found.link).scheme.lower() in WEB else None
    if base is not None and base != feed_url:
        found.notes.append(f"relative addresses are read against {base}, as the feed names it")
    if image_url:
        found.image_url = _absolute(image_url, base, found.notes, "cover")
    found.copyright = plain(_text(channel, "copyright") or "") or None
    found.podcast_guid = _text(channel, "podcast:guid")
    locked = _child(channel, "podcast:locked")
    if locked is not None:
        found.locked = _truth(locked.text)
        found.locked_owner = locked.get("owner")
    funding = _child(channel, "podcast:funding")
    if funding is not None and funding.get("url"):
        found.funding = (funding.get("url", ""), plain(funding.text or "") or "Support the show")
    found.persons = _persons(channel)
    found.show_type = _text(channel, "itunes:type")
    found.new_feed_url = _text(channel, "itunes:new-feed-url")
    found.generator = _text(channel, "generator")
    seen: set[str] = set()
    items = []
    for position, element in enumerate(_children(channel, "item"), start=1):
        item = _item(element, position, base, found.language, seen, found.skipped)
        if item is not None:
            items.append(item)
    found.items = sorted(items, key=lambda i: i.date)
    return found


def _item(
    element: ET.Element,
    position: int,
    base: str | None,
    language: str | None,
    seen: set[str],
    skipped: list[Skipped],
) -> FeedItem | None:
    raw_title = _text(element, "title") or _text(element, "itunes:title") or ""
    title = plain(raw_title)
    label = title or f"item {position}"
    notes: list[str] = []
    if title != raw_title.strip() and "<" in raw_title:
        notes.append("HTML in the title was removed")
    if not title:
        skipped.append(Skipped(label, "no title"))
        return None
    title = _shortened(title, notes)
    link = _text(element, "link")
    if link is not None:
        link = _absolute(link, base, [], "link")
    enclosures = _children(element, "enclosure")
    enclosure_tag = enclosures[0] if enclosures else None
    if len(enclosures) > 1:
        notes.append(f"{len(enclosures)} enclosures: the first is imported (a feed item has one)")
    if enclosure_tag is None or not (enclosure_tag.get("url") or "").strip():
        skipped.append(Skipped(label, "no enclosure (no audio to publish)"))
        return None
    reasons: list[str] = []
    url = _absolute(enclosure_tag.get("url", ""), base, reasons, "enclosure")
    if url is None:
        skipped.append(Skipped(label, reasons[-1]))
        return None
    notes += reasons
    length = _number((enclosure_tag.get("length") or "").strip() or None)
    mime = (enclosure_tag.get("type") or "").strip().lower()
    if not mime.startswith("audio/"):
        skipped.append(
            Skipped(label, f"the enclosure is {mime or 'of no type'}, not audio ({url})")
        )
        return None
    guid = (_text(element, "guid") or "").strip()
    if not guid:
        # What apps fall back to, so the episode keeps the identity apps gave it.
        guid = url
        notes.append("no <guid>: the enclosure URL is its GUID, as apps treat it")
    if len(guid) > TITLE_MAX:
        skipped.append(Skipped(label, f"its GUID has {len(guid)} characters (at most {TITLE_MAX})"))
        return None
    if guid in seen:
        skipped.append(Skipped(label, f"its GUID {guid!r} was already used by another item"))
        return None
    seen.add(guid)
    date = _date(_text(element, "pubDate"))
    if date is None:
        skipped.append(Skipped(label, "no readable <pubDate>"))
        return None
    if not DATE_YEARS[0] <= date.year <= DATE_YEARS[1]:
        skipped.append(
            Skipped(label, f"its <pubDate> is in the year {date.year} (not a publication date)")
        )
        return None
    notes_html = _text(element, "content:encoded") or _text(element, "description") or ""
    summary = plain(
        _text(element, "itunes:summary")
        or _text(element, "itunes:subtitle")
        or _text(element, "description")
        or ""
    )
    item = FeedItem(
        guid=guid,
        title=title,
        date=date,
        enclosure=Enclosure(url, length, mime),
        link=link or base,
        summary=summary or title,
        notes_html=notes_html,
        number=_number(_text(element, "itunes:episode") or _text(element, "podcast:episode")),
        season=_number(_text(element, "itunes:season") or _text(element, "podcast:season")),
        episode_type=(_text(element, "itunes:episodeType") or "full").lower(),
        duration=duration_seconds(_text(element, "itunes:duration")),
        explicit=_truth(_text(element, "itunes:explicit")),
        persons=_persons(element),
        notes=notes,
    )
    image = _child(element, "itunes:image")
    if image is not None and image.get("href"):
        item.image_url = _absolute(image.get("href", ""), base, notes, "image")
    chapters = _child(element, "podcast:chapters")
    if chapters is not None and chapters.get("url"):
        item.chapters_url = _absolute(chapters.get("url", ""), base, notes, "chapters")
    psc = _child(element, "psc:chapters")
    for mark in _children(psc, "psc:chapter") if psc is not None else []:
        if mark.get("start") and mark.get("title"):
            item.simple_chapters.append(
                SimpleChapterEntry(mark.get("start", ""), mark.get("title", ""), mark.get("href"))
            )
    for tag in _children(element, "podcast:transcript"):
        address = tag.get("url") and _absolute(tag.get("url", ""), base, notes, "transcript")
        if address:
            item.transcripts.append(
                TranscriptEntry(
                    address, (tag.get("type") or "").lower(), tag.get("language") or language
                )
            )
    for tag in _children(element, "podcast:location"):
        name = plain(tag.text or "")
        if name:
            item.locations.append(
                LocationEntry(
                    name, tag.get("geo"), tag.get("osm"), tag.get("rel"), tag.get("country")
                )
            )
    return item
