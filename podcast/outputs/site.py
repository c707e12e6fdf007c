"""The site-level outputs: the website (Jinja2 pages from the theme, overridable file by file
by the show) and the feeds, each a list of outputs sharing one context and one writer.

A new site-level file (a search index, a partner page) is a class with
`write(site, writer)` in a module of its own plus one entry in `SITE_OUTPUTS`; a new feed is a
class with `name` and `feed(site)` plus one entry in `FEED_OUTPUTS`. The `SiteContext`
(outputs/site_context.py) has what they read.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import TemplateError, TemplateSyntaxError

from podcast.errors import PodcastError, Problem
from podcast.outputs.feeds.rss import PodcastFeed, RadioFeed
from podcast.outputs.music import MonthlyMusicReports
from podcast.outputs.pages import (
    EpisodePages,
    Favicon,
    IndexPage,
    ProgrammeSheets,
    ShowPages,
    Stylesheet,
)
from podcast.outputs.published import Rendered
from podcast.outputs.search import SearchPage
from podcast.outputs.site_context import FeedOutput, SiteContext, SiteOutput, ui_strings
from podcast.outputs.writer import OutputWriter
from podcast.show.images import Cover
from podcast.show.model import Show
from podcast.show.theme import TEMPLATE_FIX, theme_dirs

__all__ = ["FEED_OUTPUTS", "SITE_OUTPUTS", "render_site", "ui_strings", "write_feeds"]

SITE_OUTPUTS: tuple[SiteOutput, ...] = (
    Favicon(),
    IndexPage(),
    EpisodePages(),
    ProgrammeSheets(),
    MonthlyMusicReports(),
    ShowPages(),
    SearchPage(),
    Stylesheet(),
)

FEED_OUTPUTS: tuple[FeedOutput, ...] = (PodcastFeed(), RadioFeed())


def write_feeds(
    show: Show, rendered: list[Rendered], cover: Cover, writer: OutputWriter
) -> dict[str, bytes]:
    """Write every feed the show has; each by its name, for the validation gate."""
    site = SiteContext(show, rendered, cover)
    feeds = {}
    for output in FEED_OUTPUTS:
        document = output.feed(site)
        if document is not None:
            writer.write(output.name, document)
            feeds[output.name] = document
    return feeds


def render_site(show: Show, rendered: list[Rendered], cover: Cover, writer: OutputWriter) -> None:
    """Write every output of `SITE_OUTPUTS` (radio-only episodes get their programme sheet
    only); a template that fails is named with its line."""
    site = SiteContext(show, rendered, cover)
    try:
        for output in SITE_OUTPUTS:
            output.write(site, writer)
    except TemplateError as exc:
        raise PodcastError([template_problem(exc, theme_dirs(show.root))]) from exc


def template_problem(exc: TemplateError, folders: list[Path]) -> Problem:
    """Where in which theme file a template failed, from the error or the template's frame
    in the traceback (Jinja gives template frames the template's file and line)."""
    file, line = None, 0
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        file, line = Path(exc.filename), exc.lineno
    else:
        trace = exc.__traceback__
        while trace is not None:
            name = Path(trace.tb_frame.f_code.co_filename)
            if any(name.is_relative_to(folder) for folder in folders):
                file, line = name, trace.tb_lineno
            trace = trace.tb_next
    where = file if file is not None else folders[0]
    return Problem(where, line, "", f"the template failed: {exc.message or exc}", TEMPLATE_FIX)
