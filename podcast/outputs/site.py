"""The website: Jinja2 pages from the theme, overridable file by file by the show."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from podcast.errors import PodcastError, Problem
from podcast.outputs import urls
from podcast.outputs.notes import notes_html, publish_image_sources
from podcast.outputs.published import Rendered
from podcast.outputs.timecode import player_clock
from podcast.outputs.urls import PODCAST_FEED
from podcast.outputs.writer import OutputWriter
from podcast.show.images import Cover, favicon, web_picture
from podcast.show.model import Show
from podcast.show.theme import TEMPLATE_FIX, theme_dirs
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
    env.filters["duration"] = lambda seconds: player_clock(round(seconds))  # as the feed rounds it
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = long_date
    env.filters["longdatetime"] = long_date_time
    return env


FAVICON = "favicon.ico"  # browsers ask for it on every site, linked or not


def long_date(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y")


def long_date_time(moment: datetime) -> str:
    """Date, time and offset as written: 01.12.2026, 18:00 (UTC+01:00)."""
    return f"{moment.strftime('%d.%m.%Y, %H:%M')} (UTC{moment.isoformat()[-6:]})"


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


def render_site(show: Show, rendered: list[Rendered], cover: Cover, writer: OutputWriter) -> None:
    """Write index.html, a page per episode, programme sheets, the stylesheet and the icon;
    a template that fails is named with its line."""
    try:
        _render_site(show, rendered, cover, writer)
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


def _render_site(show: Show, rendered: list[Rendered], cover: Cover, writer: OutputWriter) -> None:
    env = environment(show.root)
    writer.write(FAVICON, favicon(cover))
    show_strings = ui_strings(show.root, show.config.language)
    common: dict[str, Any] = {
        "show": show.config,
        "t": show_strings,
        "lang": show.config.language,
        "cover_file": cover.file_name,
        "feed_url": urls.absolute(show, PODCAST_FEED),
        "subscribe_links": [
            (SUBSCRIBE_APPS.get(name, name), link) for name, link in show.config.subscribe.items()
        ],
        "urls": urls,
        "absolute": lambda rel: urls.absolute(show, rel),
        "pages": show.pages,
        # Audio links: relative (the site works offline) unless the audio lives elsewhere.
        "media": lambda rel, root: (
            urls.media_url(show, rel) if show.config.media_base_url else root + rel
        ),
    }
    # Episodes out for radio partners only get their programme sheet, no page of their own.
    programme_only = [item for item in rendered if item.radio_only]
    rendered = [item for item in rendered if not item.radio_only]
    newest_first = sorted(rendered, key=lambda r: r.episode.date, reverse=True)
    index = env.get_template("index.html")
    writer.write("index.html", index.render(root="", episodes=newest_first, **common))
    in_order = sorted(rendered, key=lambda r: r.episode.date)
    versions = language_versions(show, rendered)
    strings: dict[str, dict[str, Any]] = {show.config.language: show_strings}
    episode_page = env.get_template("episode.html")
    programme_page = env.get_template("programme.html")
    for position, item in enumerate([*in_order, *programme_only]):
        page_lang = item.episode.meta.language or show.config.language
        if page_lang not in strings:
            strings[page_lang] = ui_strings(show.root, page_lang)
        context = {**common, "t": strings[page_lang]}
        if item.programme is not None:
            sheet = programme_page.render(root="../", item=item, sheet=item.programme, **context)
            writer.write(urls.episode_programme(item.episode, ".html"), sheet)
        if item.radio_only:
            continue
        html = episode_page.render(
            root="../",
            item=item,
            previous=in_order[position - 1] if position > 0 else None,
            next=in_order[position + 1] if position + 1 < len(in_order) else None,
            versions=versions.get(item.episode.slug, []),
            page_lang=page_lang,
            **context,
        )
        writer.write(urls.episode_page(item.episode), html)
    page_template = env.get_template("page.html")
    for page in show.pages:
        published = {}
        for image in page.images:
            picture = web_picture(image.path)
            relative = urls.page_image(page.name, picture.digest, image.path.suffix)
            writer.write(relative, picture.data)
            published[image.src] = (relative, picture)  # pages sit at the root, beside images/
        page_html = publish_image_sources(notes_html(page.markdown), published)
        html = page_template.render(root="", page=page, page_html=page_html, **common)
        writer.write(f"{page.name}.html", html)
    writer.write("style.css", env.get_template("style.css").render())
