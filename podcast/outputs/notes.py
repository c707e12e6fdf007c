"""Show notes: Markdown (CommonMark) to sanitised HTML, and plain text within Apple's limits."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from importlib import metadata

import nh3
from markdown_it import MarkdownIt

from podcast.show.images import WebPicture
from podcast.show.note_images import is_local
from podcast.show.vocabularies import APPLE_DESCRIPTION_MAX_BYTES

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
_markdown.enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "del",
    "img",  # only pictures of the episode folder keep their src (see publish_image_sources)
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "img": {"src", "alt", "title"},
}


def renderer_version() -> str:
    """What `notes_html` depends on besides its input (for remembering its results)."""
    libraries = f"{metadata.version('markdown-it-py')}|{metadata.version('nh3')}"
    return f"{libraries}|{sorted(ALLOWED_TAGS)}|{ALLOWED_ATTRIBUTES}"


# A paragraph whose lines are all at most this long keeps its line breaks on a page.
SHORT_LINE = 60


def notes_html(markdown_text: str, keep_short_lines: bool = False) -> str:
    """Render Markdown show notes to HTML that is safe to put in a page or a feed.

    Scripts, event-handler attributes and `javascript:` links are removed by nh3 (ammonia);
    every link gets rel="noopener noreferrer". With `keep_short_lines` (the show's pages), a
    paragraph of short lines (an address, SHORT_LINE) keeps its line breaks; flowing text
    wrapped in the editor is joined as Markdown does.
    """
    tokens = _markdown.parse(markdown_text)
    if keep_short_lines:
        for token in tokens:
            lines = token.content.split("\n")
            if token.type == "inline" and len(lines) > 1 and max(map(len, lines)) <= SHORT_LINE:
                for child in token.children or []:
                    if child.type == "softbreak":
                        child.type = "hardbreak"
    raw = _markdown.renderer.render(tokens, _markdown.options, {})
    cleaned: str = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_local_pictures_only,
    )
    return cleaned.strip()


def _local_pictures_only(tag: str, attribute: str, value: str) -> str | None:
    """A picture keeps its src only when it names a file (the loader checked it), so no page
    loads anything from another site."""
    if tag == "img" and attribute == "src" and not is_local(value):
        return None
    return value


@dataclass(frozen=True)
class PublishedPicture:
    """A picture of notes or a page as published: its URL, the picture, and the URL of each
    narrower copy (`picture.smaller`, in the same order)."""

    url: str
    picture: WebPicture
    smaller: tuple[str, ...] = ()


# The width a picture takes: the page's column (style.css: main is at most 48rem wide).
PICTURE_SIZES = "(max-width: 48rem) 100vw, 48rem"


def publish_image_sources(
    notes: str, published: dict[str, PublishedPicture], page: bool = True
) -> str:
    """Notes HTML with each picture's src (as written) replaced by its published URL, and its
    size given (the page keeps its layout while pictures load). On a `page`, also the narrower
    copies (srcset; a phone loads the one its screen needs) and lazy loading; a feed's HTML
    gets only what every reader knows."""
    for src, found in published.items():
        picture = found.picture
        attributes = f'src="{html.escape(found.url)}"'
        if page and found.smaller:
            widths = [
                f"{html.escape(url)} {small.width}w"
                for url, small in zip(found.smaller, picture.smaller, strict=True)
            ]
            widths.append(f"{html.escape(found.url)} {picture.width}w")
            attributes += f' srcset="{", ".join(widths)}" sizes="{PICTURE_SIZES}"'
        attributes += f' width="{picture.width}" height="{picture.height}"'
        if page:
            attributes += ' loading="lazy" decoding="async"'
        notes = notes.replace(f'src="{html.escape(src)}"', attributes)
    return notes


def plain_text(html_text: str) -> str:
    """Text of sanitised HTML, paragraphs separated by blank lines."""
    text = re.sub(r"</(p|h\d|li|blockquote|pre|tr)>", "\n", html_text)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def truncate_bytes(text: str, limit: int = APPLE_DESCRIPTION_MAX_BYTES) -> str:
    """Cut `text` at a word boundary so its UTF-8 encoding fits in `limit` bytes."""
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - len("…".encode())].decode(errors="ignore")
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"
