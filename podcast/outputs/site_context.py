"""What the site-level outputs share: the context they read (`SiteContext`) and the shapes of
an output (`SiteOutput`, writing files) and of a feed (`FeedOutput`, giving a document).

The context is made once per build from every episode's `Rendered`; each output in
`SITE_OUTPUTS` or `FEED_OUTPUTS` (outputs/site.py) reads it and writes through the one
`OutputWriter`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from podcast.outputs import urls
from podcast.outputs.published import Rendered
from podcast.outputs.timecode import long_date_time, player_clock
from podcast.outputs.urls import PODCAST_FEED, RADIO_FEED
from podcast.outputs.writer import OutputWriter
from podcast.show.images import Cover
from podcast.show.model import Show
from podcast.show.theme import theme_dirs
from podcast.show.vocabularies import SUBSCRIBE_APPS


def ui_strings(show_root: Path, language: str) -> dict[str, Any]:
    """The theme's UI strings for `language` (BCP 47), from lang/<code>.toml; English fallback."""
    primary = language.split("-")[0].lower()
    strings: dict[str, Any] = {}
    for code in ("en", primary):
        for folder in reversed(theme_dirs(show_root)):
            path = folder / "lang" / f"{code}.toml"
            if path.is_file():
                strings.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return strings


def environment(show_root: Path) -> Environment:
    """The theme's templates (the show's first), with the filters they use. Sandboxed: a
    template cannot reach Python's internals (a theme is still trusted, see the README)."""
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in theme_dirs(show_root)]),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["clock"] = player_clock
    env.filters["duration"] = player_clock  # cut, as players show it (and feed.xml says it)
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = long_date
    env.filters["longdatetime"] = long_date_time
    return env


def long_date(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y")


def language_versions(show: Show, rendered: list[Rendered]) -> dict[str, list[tuple[str, str]]]:
    """For each episode with translations: (language, URL) of every version, itself included."""
    groups: dict[str, list[Rendered]] = {}
    for item in rendered:
        groups.setdefault(item.episode.meta.translation_of or item.episode.slug, []).append(item)
    versions: dict[str, list[tuple[str, str]]] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        links = sorted(
            (
                m.episode.meta.language or show.config.language,
                urls.absolute(show, urls.episode_page(m.episode)),
            )
            for m in members
        )
        for member in members:
            versions[member.episode.slug] = links
    return versions


@dataclass
class SiteContext:
    """What every site-level output reads: the show, every published episode's `Rendered`
    (one under embargo is not among them: it is published nowhere), the cover; the templates
    and the theme's words are made when an output first asks for them."""

    show: Show
    rendered: list[Rendered]
    cover: Cover
    _strings: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def public(self) -> list[Rendered]:
        """The episodes out for everyone: every one the build published (one under embargo
        is published nowhere, so it has no `Rendered`)."""
        return self.rendered

    @property
    def in_order(self) -> list[Rendered]:
        """The public episodes, oldest first."""
        return sorted(self.public, key=lambda r: r.episode.date)

    @cached_property
    def env(self) -> Environment:
        return environment(self.show.root)

    def strings(self, language: str | None = None) -> dict[str, Any]:
        """The theme's words in `language` (default: the show's)."""
        language = language or self.show.config.language
        if language not in self._strings:
            self._strings[language] = ui_strings(self.show.root, language)
        return self._strings[language]

    def page_language(self, item: Rendered) -> str:
        return item.episode.meta.language or self.show.config.language

    @cached_property
    def common(self) -> dict[str, Any]:
        """What every template is given, besides what its page is about."""
        show = self.show
        return {
            "show": show.config,
            "t": self.strings(),
            "lang": show.config.language,
            "cover_file": self.cover.file_name,
            "feed_url": urls.absolute(show, PODCAST_FEED),
            "radio_feed_url": (
                urls.absolute(show, RADIO_FEED) if show.config.audio.broadcast else None
            ),
            "subscribe_links": [
                (SUBSCRIBE_APPS.get(name, name), link)
                for name, link in show.config.subscribe.items()
            ],
            "urls": urls,
            "absolute": lambda rel: urls.absolute(show, rel),
            "pages": show.pages,
            # Audio links: relative (the site works offline) unless the audio lives elsewhere.
            "media": lambda rel, root: (
                urls.media_url(show, rel)
                if show.config.media_base_url or "://" in rel  # kept where it was imported from
                else root + rel
            ),
        }


class SiteOutput(Protocol):
    """One kind of site-level file (or set of files): a page, the stylesheet, an index."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        """Write this output's files."""
        ...


class FeedOutput(Protocol):
    """One feed: written before the pages, and checked by the client parsers while they
    render (build.py)."""

    name: str  # where it is published, relative to the output folder (outputs/urls.py)

    def feed(self, site: SiteContext) -> bytes | None:
        """The feed document, or None where the show has no such feed."""
        ...
