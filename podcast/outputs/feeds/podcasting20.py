"""A feedgen extension for the Podcasting 2.0 namespace, shaped like feedgen.ext.podcast.

It also writes `itunes:explicit` as `true`/`false`: feedgen 1.0 only knows yes/no/clean, which
Apple no longer accepts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

from podcast.outputs.feeds.namespaces import ATOM_NS, DCTERMS_NS, ITUNES_NS, PODCAST_NS, PSC_NS

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


@dataclass
class PersonTag:
    name: str
    role: str = "guest"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass
class LocationTag:
    name: str
    geo: str | None = None
    osm: str | None = None
    rel: str = "subject"  # what the episode is about ("creator": where it was made)
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass
class SimpleChapter:
    """A Podlove Simple Chapter: start as normal play time (HH:MM:SS.mmm)."""

    start: str
    title: str
    href: str | None = None
    image: str | None = None


@dataclass
class AlternateEnclosureTag:
    url: str
    mime: str
    length: int
    bitrate: int
    title: str


@dataclass
class TranscriptTag:
    url: str
    mime: str
    language: str
    rel: str | None = None


def _add_persons(parent: Any, persons: list[PersonTag]) -> None:
    for person in persons:
        element = xml_elem(f"{{{PODCAST_NS}}}person", parent)
        element.text = person.name
        element.attrib["role"] = person.role
        element.attrib["group"] = person.group
        if person.href:
            element.attrib["href"] = person.href
        if person.img:
            element.attrib["img"] = person.img


def _add_locations(parent: Any, locations: list[LocationTag]) -> None:
    for location in locations:
        element = xml_elem(f"{{{PODCAST_NS}}}location", parent)
        element.text = location.name
        element.attrib["rel"] = location.rel
        if location.geo:
            element.attrib["geo"] = location.geo
        if location.osm:
            element.attrib["osm"] = location.osm
        if location.country:
            element.attrib["country"] = location.country


def _add_explicit(parent: Any, explicit: bool | None) -> None:
    if explicit is not None:
        xml_elem(f"{{{ITUNES_NS}}}explicit", parent).text = "true" if explicit else "false"


@dataclass
class Podcasting20Extension(BaseExtension):  # type: ignore[misc]
    """Channel-level tags; set the attributes, feedgen calls `extend_rss`."""

    guid: str | None = None
    locked: bool | None = None
    locked_owner: str | None = None
    medium: str | None = None
    funding_url: str | None = None
    funding_text: str | None = None
    license: str | None = None
    license_url: str | None = None
    explicit: bool | None = None
    block: bool = False  # keep the feed out of directories (itunes:block, podcast:block)
    hub: str | None = None  # a WebSub hub (atom:link rel="hub")
    persons: list[PersonTag] = field(default_factory=list)
    locations: list[LocationTag] = field(default_factory=list)
    dcterms: bool = False  # items carry dcterms:available (the partners' feed)

    def extend_ns(self) -> dict[str, str]:
        spaces = {"podcast": PODCAST_NS, "psc": PSC_NS}
        return {**spaces, "dcterms": DCTERMS_NS} if self.dcterms else spaces

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        _add_explicit(channel, self.explicit)
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        if self.locked is not None:
            locked = xml_elem(f"{{{PODCAST_NS}}}locked", channel)
            locked.text = "yes" if self.locked else "no"
            if self.locked_owner:
                locked.attrib["owner"] = self.locked_owner
        if self.medium:
            xml_elem(f"{{{PODCAST_NS}}}medium", channel).text = self.medium
        if self.block:  # Apple's value is "Yes" (feedgen writes "yes"), the namespace's "yes"
            xml_elem(f"{{{ITUNES_NS}}}block", channel).text = "Yes"
            xml_elem(f"{{{PODCAST_NS}}}block", channel).text = "yes"
        if self.funding_url:
            funding = xml_elem(f"{{{PODCAST_NS}}}funding", channel)
            funding.attrib["url"] = self.funding_url
            funding.text = self.funding_text or ""
        if self.license:
            license_tag = xml_elem(f"{{{PODCAST_NS}}}license", channel)
            license_tag.text = self.license
            if self.license_url:
                license_tag.attrib["url"] = self.license_url
        _add_persons(channel, self.persons)
        _add_locations(channel, self.locations)
        if self.hub:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=self.hub, rel="hub")
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        return atom_feed


@dataclass
class Podcasting20EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Item-level tags."""

    season: int | None = None
    episode: int | None = None
    explicit: bool | None = None
    persons: list[PersonTag] = field(default_factory=list)
    locations: list[LocationTag] = field(default_factory=list)
    transcripts: list[TranscriptTag] = field(default_factory=list)
    chapters_url: str | None = None
    simple_chapters: list[SimpleChapter] = field(default_factory=list)
    alternate_enclosures: list[AlternateEnclosureTag] = field(default_factory=list)
    available: str | None = None  # dcterms:available: when the public may have it (W3CDTF)

    def extend_rss(self, entry: Any) -> Any:
        _add_explicit(entry, self.explicit)
        if self.available is not None:
            xml_elem(f"{{{DCTERMS_NS}}}available", entry).text = self.available
        if self.season is not None:
            xml_elem(f"{{{PODCAST_NS}}}season", entry).text = str(self.season)
        if self.episode is not None:
            xml_elem(f"{{{PODCAST_NS}}}episode", entry).text = str(self.episode)
        for transcript in self.transcripts:
            element = xml_elem(f"{{{PODCAST_NS}}}transcript", entry)
            element.attrib["url"] = transcript.url
            element.attrib["type"] = transcript.mime
            element.attrib["language"] = transcript.language
            if transcript.rel:
                element.attrib["rel"] = transcript.rel
        for alternate in self.alternate_enclosures:
            element = xml_elem(f"{{{PODCAST_NS}}}alternateEnclosure", entry)
            element.attrib["type"] = alternate.mime
            element.attrib["length"] = str(alternate.length)
            element.attrib["bitrate"] = str(alternate.bitrate)
            element.attrib["title"] = alternate.title
            xml_elem(f"{{{PODCAST_NS}}}source", element).attrib["uri"] = alternate.url
        if self.chapters_url:
            chapters = xml_elem(f"{{{PODCAST_NS}}}chapters", entry)
            chapters.attrib["url"] = self.chapters_url
            chapters.attrib["type"] = "application/json+chapters"
        if self.simple_chapters:
            psc = xml_elem(f"{{{PSC_NS}}}chapters", entry)
            psc.attrib["version"] = "1.2"
            for chapter in self.simple_chapters:
                element = xml_elem(f"{{{PSC_NS}}}chapter", psc)
                element.attrib["start"] = chapter.start
                element.attrib["title"] = chapter.title
                if chapter.href:
                    element.attrib["href"] = chapter.href
                if chapter.image:
                    element.attrib["image"] = chapter.image
        _add_persons(entry, self.persons)
        _add_locations(entry, self.locations)
        return entry

    def extend_atom(self, entry: Any) -> Any:
        return entry
