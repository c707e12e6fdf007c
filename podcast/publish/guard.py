"""The GUID guard: refuse to publish a feed that would make subscribers' apps misbehave.

Compares the new feed with the one already published (and with podcast.lock, which a fresh
checkout has even without an output folder): an episode whose GUID changed, an episode that
disappeared, an enclosure URL that moved. Each is refused unless the editor allows that
episode explicitly (`podcast build --allow NAME-OR-GUID`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from podcast.errors import Problem
from podcast.outputs import urls
from podcast.outputs.urls import PODCAST_FEED
from podcast.show.lock import LOCK_FILE, Lock
from podcast.show.model import Show


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    enclosure: str

    @property
    def name(self) -> str:
        """The published name (file stem of the enclosure), used to allow a change."""
        return PurePosixPath(urlparse(urls.unversioned(self.enclosure)).path).stem


def feed_items(xml: bytes) -> list[FeedItem]:
    """GUID, title and enclosure URL of each item of an RSS feed."""
    root = ET.fromstring(xml)
    items = []
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        items.append(
            FeedItem(
                guid=(item.findtext("guid") or "").strip(),
                title=(item.findtext("title") or "").strip(),
                enclosure=enclosure.get("url", "") if enclosure is not None else "",
            )
        )
    return items


def planned_items(show: Show) -> list[FeedItem]:
    """The items the podcast feed of `show` will have, from the model (nothing is parsed)."""
    return [
        FeedItem(
            e.guid, e.meta.title, urls.enclosure_url(show, e.kept_media_url or urls.episode_mp3(e))
        )
        for e in show.episodes
    ]


def guard_output(
    show: Show,
    out: Path,
    lock: Lock,
    allowed: set[str],
    held_back: frozenset[str] = frozenset(),
    preview_there: bool = False,
) -> list[Problem]:
    """The guard for a build of `show` into `out`: its feed as published there vs. planned.
    `held_back`: GUIDs of episodes that exist but wait (drafts, later dates).
    `preview_there`: `out` holds a preview (`podcast serve`), whose feed was never public:
    only podcast.lock tells what was published."""
    feed = out / PODCAST_FEED
    old = [] if preview_there else published_items(feed)
    old_base = None if preview_there else published_base(feed)
    if old_base and old_base != show.config.base_url:
        old = moved(old, old_base, show.config.base_url)
    return guard(old, planned_items(show), lock, allowed, feed, held_back)


def base_move_warnings(show: Show, out: Path, preview_there: bool = False) -> list[str]:
    """A reminder when the show moved to another base URL since the published feed: the old
    address must keep answering (HTTP 301 to the new feed) or its subscribers are lost."""
    old_base = None if preview_there else published_base(out / PODCAST_FEED)
    new_base = show.config.base_url
    if not old_base or old_base == new_base:
        return []
    return [
        f"base_url: the show moves from {old_base} to {new_base}: make {old_base}"
        f"{PODCAST_FEED} answer with an HTTP 301 redirect to {new_base}{PODCAST_FEED} (or "
        "publish a last feed there with moved_to), else its subscribers are lost; see the "
        "README, Moving a show"
    ]


def published_base(feed: Path) -> str | None:
    """The base URL the published feed was built for (its channel's <link>), if readable."""
    try:
        link = ET.fromstring(feed.read_bytes()).findtext("channel/link")
    except (OSError, ET.ParseError):
        return None
    return link.strip() if link and link.strip().endswith("/") else None


def moved(items: list[FeedItem], old_base: str, new_base: str) -> list[FeedItem]:
    """The published items as they are once the whole show moved from `old_base` to
    `new_base` (a new domain, a redirect in place): the same files at the new address are
    the move the editors made, not audio that moved away from its episode."""
    return [
        replace(item, enclosure=new_base + item.enclosure.removeprefix(old_base))
        if item.enclosure.startswith(old_base)
        else item
        for item in items
    ]


def published_items(feed: Path) -> list[FeedItem]:
    """The items of the feed in the output folder; none if there is no (readable) feed."""
    try:
        return feed_items(feed.read_bytes())
    except (OSError, ET.ParseError):
        return []


def guard(
    old: list[FeedItem],
    new: list[FeedItem],
    lock: Lock,
    allowed: set[str],
    feed: Path,
    held_back: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every change that would break subscribers and was not allowed."""
    problems: list[Problem] = []

    def refuse(item: FeedItem, message: str, token: str) -> None:
        if {item.guid, item.name, token} & allowed:
            return
        problems.append(
            Problem(feed, 0, item.guid, message, f"if this is intended, build with --allow {token}")
        )

    new_by_guid = {item.guid: item for item in new}
    for item in old:
        now = new_by_guid.get(item.guid)
        if now is None:
            successor = next((n for n in new if urls.same_media(n.enclosure, item.enclosure)), None)
            if successor is not None:
                refuse(
                    item,
                    f"'{item.title}' would change its GUID to '{successor.guid}'; "
                    "apps would download it again as a new episode",
                    item.name,
                )
            elif item.guid in held_back:
                refuse(
                    item,
                    f"'{item.title}' was published and is now held back (status: draft, or a "
                    "later date): apps would drop it",
                    item.guid,
                )
            else:
                refuse(item, f"'{item.title}' would disappear from the feed", item.guid)
        # An analytics prefix put in front or taken away leads to the same file: no move.
        elif not urls.same_media(now.enclosure, item.enclosure):
            refuse(
                item,
                f"'{item.title}' would move its audio from {item.enclosure} to {now.enclosure}",
                item.name,
            )
    seen = {item.guid for item in old}
    for guid, name in sorted(lock.published.items()):
        if guid not in seen and guid not in new_by_guid:
            gone = FeedItem(guid, name, f"/{name}")
            if not {guid, name} & allowed:
                problems.append(
                    Problem(
                        Path(LOCK_FILE),
                        0,
                        guid,
                        f"the published episode '{name}' is "
                        + (
                            "held back now (status: draft, or a later date)"
                            if guid in held_back
                            else "missing (its folder was removed or renamed, or its guid edited)"
                        ),
                        f"restore it, or build with --allow {gone.guid} to retire it",
                    )
                )
    return problems
