"""Images in the show notes: `![alt text](photo.jpg)` names a picture in the episode folder,
published with the pages (pages load nothing from elsewhere, so remote pictures are refused)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from podcast.errors import Problem

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_RAW_IMG = re.compile(r"<img\b", re.I)


@cache
def _parser() -> MarkdownIt:
    # Imported when notes are read: `podcast publish` loads the show's settings only.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True})


@dataclass(frozen=True)
class NoteImage:
    """A picture the notes show: `src` as written in the Markdown, the file it names."""

    src: str
    path: Path


def is_local(src: str) -> bool:
    """Whether an image reference names a file (not an address on another site)."""
    parts = urlsplit(src)
    return not parts.scheme and not parts.netloc and not src.startswith("//")


def note_images(
    body: str,
    body_line: int,
    source: Path,
    resolve: Callable[[str, int, str], Path | None],
    problems: list[Problem],
    field: str = "notes",
) -> tuple[NoteImage, ...]:
    """The pictures of an episode's notes or a page (`body` starts at line `body_line` of
    `source`; problems name `field`); `resolve(name, line, field)` finds a file inside the
    show or reports why not."""
    found: dict[str, NoteImage] = {}
    for token in _parser().parse(body):
        if token.type not in ("inline", "html_block") or token.map is None:
            continue
        line = body_line + token.map[0]
        children = token.children or []
        raw = [c.content for c in children if c.type == "html_inline"]
        if token.type == "html_block":
            raw.append(token.content)
        if any(_RAW_IMG.search(html) for html in raw):
            problems.append(
                Problem(
                    source,
                    line,
                    field,
                    "an <img> tag: it would not be shown",
                    "write pictures as ![what it shows](photo.jpg), the file beside the Markdown",
                )
            )
        for child in children:
            if child.type != "image":
                continue
            src = str(child.attrs.get("src", ""))
            if not is_local(src):
                problems.append(
                    Problem(
                        source,
                        line,
                        field,
                        f"the picture {src} is on another site; pages load nothing from "
                        "elsewhere (listeners' privacy)",
                        "save it beside the Markdown file and write ![what it shows](name.jpg)",
                    )
                )
                continue
            if not child.content.strip():
                problems.append(
                    Problem(
                        source,
                        line,
                        field,
                        f"the picture {src} has no description",
                        "say what it shows in the brackets: ![Die Sitzung im Rathaus](...)",
                    )
                )
                continue
            path = resolve(unquote(src), line, field)
            if path is None:
                continue
            from podcast.show.images import picture_problem

            unusable = picture_problem(path)
            if unusable is not None:  # named: a line may hold several pictures
                what, fix = unusable
                problems.append(Problem(source, line, field, f"{src}: {what}", fix))
                continue
            found.setdefault(src, NoteImage(src, path))
    return tuple(found.values())
