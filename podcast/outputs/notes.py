"""Show notes: Markdown (CommonMark) to sanitised HTML, and plain text within Apple's limits."""

from __future__ import annotations

import html
import re
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


def notes_html(markdown_text: str) -> str:
    """Render Markdown show notes to HTML that is safe to put in a page or a feed.

    Scripts, event-handler attributes and `javascript:` links are removed by nh3 (ammonia);
    every link gets rel="noopener noreferrer".
    """
    raw = _markdown.render(markdown_text)
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


def publish_image_sources(notes: str, published: dict[str, tuple[str, WebPicture]]) -> str:
    """Notes HTML with each picture's src (as written) replaced by its published URL, and its
    size given (the page keeps its layout while pictures load)."""
    for src, (url, picture) in published.items():
        size = f'width="{picture.width}" height="{picture.height}"'
        notes = notes.replace(f'src="{html.escape(src)}"', f'src="{html.escape(url)}" {size}')
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
