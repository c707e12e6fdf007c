"""The validation gate: a feed is published only if real client parsers and the rules accept it.

Parses each feed with gPodder's podcastparser and with feedparser, checks Apple's and the
Podcasting 2.0 namespace's rules, and checks every enclosure and linked file in the staging
folder exists with the stated length and type.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import Future, ProcessPoolExecutor
from hashlib import sha256
from importlib import metadata
from pathlib import Path

import feedparser
import podcastparser

from podcast.audio.renditions import mime_types
from podcast.errors import Problem
from podcast.outputs.feeds.namespaces import ITUNES_NS, PODCAST_NS, PSC_NS
from podcast.show.vocabularies import (
    APPLE_CATEGORIES,
    APPLE_DESCRIPTION_MAX_BYTES,
    EPISODE_TYPES,
    PERSON_TAXONOMY,
)

# Every rendition's type, and the other names apps know for them.
# audio/x-m4a: what Apple's own sample feed names (an imported episode may keep it).
AUDIO_TYPES = {*mime_types().values(), "audio/x-wav", "audio/aac", "audio/ogg", "audio/x-m4a"}
IT = f"{{{ITUNES_NS}}}"
PC = f"{{{PODCAST_NS}}}"


PARALLEL_FROM_ITEMS = 200
_ITEM = re.compile(rb"<item>.*?</item>", re.S)


class FeedValidation:
    """Validate feeds in other processes while the caller goes on (many items to parse), or in
    this process when asked for the result (few, where starting processes costs more).

    `known` holds, per feed name, the digests of items the client parsers accepted in an
    earlier build (see `parsed_items`); those are not parsed again.
    """

    def __init__(
        self,
        feeds: dict[str, bytes],
        staging: Path,
        roots: tuple[str, ...],
        known: dict[str, set[str]] | None = None,
        kept: frozenset[str] = frozenset(),
    ) -> None:
        known = known or {}
        self._jobs = [
            (xml, name, staging, roots, frozenset(known.get(name, ())), kept)
            for name, xml in feeds.items()
        ]
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[tuple[list[Problem], list[str]]]] = []
        self.accepted: dict[str, list[str]] = {}
        unparsed = sum(len(parsed_items(job[0], job[4])[1]) for job in self._jobs)
        if unparsed >= PARALLEL_FROM_ITEMS:
            # Forking is safe (and needs no imports in the child) while this is the only
            # thread; otherwise start fresh interpreters.
            alone = threading.active_count() == 1
            context = multiprocessing.get_context("fork" if alone else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=len(self._jobs), mp_context=context)
            self._futures = [self._pool.submit(_validate, *job) for job in self._jobs]

    def problems(self) -> list[Problem]:
        """Every reason not to publish; afterwards `accepted` has each feed's item digests."""
        if self._pool is None:
            outcomes = [_validate(*job) for job in self._jobs]
        else:
            outcomes = [future.result() for future in self._futures]
        self.accepted = {
            job[1]: digests for job, (_, digests) in zip(self._jobs, outcomes, strict=True)
        }
        return [p for found, _ in outcomes for p in found]

    def __enter__(self) -> FeedValidation:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def parser_versions() -> str:
    """The client parsers' versions: what they accepted is remembered only for these."""
    return f"podcastparser {metadata.version('podcastparser')} feedparser {feedparser.__version__}"


def item_digests(xml: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The feed without its items, and (digest, bytes) of each item.

    An item's digest covers its bytes and the feed's opening <rss> tag (its namespaces), the
    only context a parser takes into an item.
    """
    opening = xml[: xml.find(b">", xml.find(b"<rss")) + 1]
    items = [match.group() for match in _ITEM.finditer(xml)]
    first, last = xml.find(b"<item>"), xml.rfind(b"</item>")
    bare = xml if first < 0 else xml[:first] + xml[last + len(b"</item>") :]
    return bare, [(sha256(opening + item).hexdigest(), item) for item in items]


def parsed_items(xml: bytes, known: frozenset[str]) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The document the client parsers must read (the channel and the items not in `known`),
    and those items."""
    bare, items = item_digests(xml)
    fresh = [(digest, item) for digest, item in items if digest not in known]
    if len(fresh) == len(items):
        return xml, fresh
    cut = bare.find(b"</channel>")
    return bare[:cut] + b"".join(item for _, item in fresh) + bare[cut:], fresh


def _validate(
    xml: bytes,
    name: str,
    staging: Path,
    roots: tuple[str, ...],
    known: frozenset[str],
    kept: frozenset[str],
) -> tuple[list[Problem], list[str]]:
    problems = validate_feed(xml, name, staging, roots, known, kept)
    return problems, [] if problems else [digest for digest, _ in item_digests(xml)[1]]


def _staged(url: str, roots: tuple[str, ...], staging: Path) -> Path | None:
    """The staged file a URL of the feed names (`roots`: the addresses of the output folder:
    base URL, media URL, the media URL behind an analytics prefix)."""
    for root in roots:
        if url.startswith(root):
            return staging / url.removeprefix(root)
    return None


def validate_feed(
    xml: bytes,
    name: str,
    staging: Path,
    roots: tuple[str, ...],
    known: frozenset[str] = frozenset(),
    kept: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every reason not to publish the feed `name` (written into `staging`).

    `kept`: enclosure URLs of imported episodes whose audio stays where it is (not published
    here; the loader checked them and their length).

    Items whose digest is in `known` passed the client parsers before and are not given to
    them again; every other check covers the whole feed.
    """
    feed = Path(name)
    problems: list[Problem] = []

    def problem(field: str, message: str, fix: str = "") -> None:
        problems.append(Problem(feed, 0, field, message, fix))

    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        problem("", f"no client can parse it: not well-formed XML ({exc})")
        return problems
    document, fresh = parsed_items(xml, known)
    try:
        parsed = podcastparser.parse(roots[0] + name, io.BytesIO(document))
    except Exception as exc:  # podcastparser raises assorted errors on bad feeds
        problem("", f"podcastparser (gPodder) cannot parse it: {exc}")
        return problems
    result = feedparser.parse(document)
    if result.bozo:
        problem("", f"feedparser cannot parse it cleanly: {result.bozo_exception}")
    if len(parsed.get("episodes", [])) != len(fresh):
        problem(
            "item",
            f"podcastparser reads {len(parsed.get('episodes', []))} episodes of {len(fresh)}",
        )
    channel = root.find("channel")
    if channel is None:
        problem("channel", "missing")
        return problems
    for tag in ("title", "description", "language", "link"):
        if not (channel.findtext(tag) or "").strip():
            problem(tag, "missing from the channel")
    image = channel.find(f"{IT}image")
    cover = _staged(image.get("href", "") if image is not None else "", roots, staging)
    if cover is None or not cover.is_file():
        problem("itunes:image", "missing, or not a published file")
    category = channel.find(f"{IT}category")
    if category is None or category.get("text") not in APPLE_CATEGORIES:
        problem("itunes:category", "missing or not one of Apple's categories")
    if channel.findtext(f"{IT}explicit") not in ("true", "false"):
        problem("itunes:explicit", "must be true or false")
    if not channel.findtext(f"{IT}owner/{IT}email"):
        problem("itunes:owner", "needs an e-mail address")
    guid = channel.findtext(f"{PC}guid") or ""
    try:
        uuid.UUID(guid)
    except ValueError:
        problem("podcast:guid", f"'{guid}' is not a UUID")
    for person in root.iter(f"{PC}person"):
        group = person.get("group", "cast").lower()
        role = person.get("role", "host").lower()
        if role not in PERSON_TAXONOMY.get(group, set()):
            problem(
                "podcast:person",
                f"{person.text}: role '{role}' is not in group '{group}' "
                "of the Podcasting 2.0 taxonomy",
                "use a role such as host, guest, producer",
            )
    items = channel.findall("item")
    if len(items) != len(item_digests(xml)[1]):
        problem("item", "items nested or written in a way the validation cannot split")
    for item in items:
        problems += _item_problems(item, feed, staging, roots, kept)
    return problems


def _item_problems(
    item: ET.Element,
    feed: Path,
    staging: Path,
    roots: tuple[str, ...],
    kept: frozenset[str] = frozenset(),
) -> list[Problem]:
    title = item.findtext("title") or "(untitled)"
    problems: list[Problem] = []

    def problem(field: str, message: str) -> None:
        problems.append(Problem(feed, 0, field, f"'{title}': {message}"))

    if not (item.findtext("guid") or "").strip():
        problem("guid", "missing")
    if not item.findtext("pubDate"):
        problem("pubDate", "missing")
    if len((item.findtext("description") or "").encode()) > APPLE_DESCRIPTION_MAX_BYTES:
        problem("description", f"longer than Apple's {APPLE_DESCRIPTION_MAX_BYTES} bytes")
    if not re.fullmatch(r"\d+", item.findtext(f"{IT}duration") or ""):
        problem("itunes:duration", "must be whole seconds")
    if item.findtext(f"{IT}episodeType") not in EPISODE_TYPES:
        problem("itunes:episodeType", "must be full, trailer or bonus")
    enclosure = item.find("enclosure")
    if enclosure is None:
        problem("enclosure", "missing")
    else:
        url = enclosure.get("url", "")
        path = _staged(url, roots, staging)
        # Under the base URL, which the loader holds to https:// (a preview uses its own).
        if url in kept:
            pass
        elif path is None or not path.is_file():
            problem("enclosure", f"{url} is not a published file")
        elif str(path.stat().st_size) != enclosure.get("length"):
            problem(
                "enclosure",
                f"length {enclosure.get('length')} but the file has {path.stat().st_size} bytes",
            )
        if enclosure.get("type") not in AUDIO_TYPES:
            problem("enclosure", f"type {enclosure.get('type')} is not an audio type")
    linked = [
        (e.tag, e.get("url", ""))
        for e in item.iter()
        if e.tag in (f"{PC}transcript", f"{PC}chapters")
    ]
    linked += [(e.tag, e.get("uri", "")) for e in item.iter(f"{PC}source")]
    for tag, url in linked:
        path = _staged(url, roots, staging)
        if path is None or not path.is_file():
            problem(tag.split("}")[1], f"{url} is not a published file")
    for chapter in item.iter(f"{{{PSC_NS}}}chapter"):
        if not re.fullmatch(r"\d{2}:\d{2}:\d{2}\.\d{3}", chapter.get("start", "")):
            problem("psc:chapter", f"start '{chapter.get('start')}' is not HH:MM:SS.mmm")
    return problems
