"""Pages of the show's own: Markdown files in `pages/` (Impressum, Datenschutz, About), each
published as `<name>.html` with the theme and linked from the footer of every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import yaml
from pydantic import ValidationError

from podcast.errors import Problem
from podcast.show.diagnostics import CONTROL_CHARACTER_FIX, pydantic_problems
from podcast.show.front_matter import (
    control_character_lines,
    field_lines,
    parse_yaml,
    split_front_matter,
    yaml_problem,
)
from podcast.show.note_images import NoteImage, note_images
from podcast.show.schema import PageMeta
from podcast.show.show_files import outside_show
from podcast.show.text import url_name

PAGES_FOLDER = "pages"
RESERVED_NAMES = {"index"}  # the site's own page


@dataclass(frozen=True)
class Page:
    """One page: its name in the URL, its title, the Markdown, where it was written and the
    pictures it shows (files in pages/)."""

    name: str
    title: str
    markdown: str
    source: Path
    images: tuple[NoteImage, ...] = ()


# resolve(name, page, line, field): the file of pages/ a picture names, or None with the reason
# appended to the problems.
Resolve = Callable[[str, Path, int, str], Path | None]


def _title_of(markdown: str, fallback: str) -> tuple[str, str]:
    """The title (the first `# ` heading, else `fallback`) and the Markdown without it: the
    page shows the title as its one heading."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return line[2:].strip(), "\n".join(lines[:index] + lines[index + 1 :])
    return fallback, markdown


def _resolve_for(resolve: Resolve, page: Path, name: str, line: int, field: str) -> Path | None:
    return resolve(name, page, line, field)


def load_pages(root: Path, problems: list[Problem], resolve: Resolve) -> tuple[Page, ...]:
    """Every page in `pages/`, in name order (the footer's order); problems appended.
    `resolve` finds the files pictures name, as for the episodes' notes."""
    pages = []
    named: dict[str, Path] = {}
    for source in sorted((root / PAGES_FOLDER).glob("*.md")):
        if source.name.startswith("."):
            continue
        outside = outside_show(root, source, source, 0, "")
        if outside is not None:
            problems.append(outside)
            continue
        name = url_name(source.stem)
        # Case too: a case-insensitive disk (macOS, Windows) would keep one of them.
        twin = named.get(name.casefold())
        if twin is not None:
            problems.append(
                Problem(
                    source,
                    0,
                    "",
                    f"'{source.name}' and '{twin.name}' would both be published as {name}.html",
                    "rename one of them",
                )
            )
            continue
        named[name.casefold()] = source
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(source, 0, "", f"cannot read: {exc}", "save it as UTF-8"))
            continue
        if name.casefold() in RESERVED_NAMES:
            problems.append(
                Problem(source, 0, "", f"'{name}' is the site's start page", "rename the file")
            )
            continue
        title, body, body_line = None, text, 1
        parts = split_front_matter(text)
        if parts is not None:
            front, body, body_line = parts
            try:
                node, data = parse_yaml(front)
                meta = PageMeta.model_validate(data or {})
            except yaml.YAMLError as exc:
                problems.append(yaml_problem(exc, source, first_line=2))
                continue
            except ValidationError as exc:
                at = field_lines(node, first_line=2).at
                problems.extend(pydantic_problems(exc, source, at))
                continue
            title = meta.title
        bad = control_character_lines(body)
        for line, problem in bad:
            problems.append(
                Problem(source, body_line + line - 1, "", problem, CONTROL_CHARACTER_FIX)
            )
        before = len(problems)
        images = note_images(
            body,
            body_line,
            source,
            partial(_resolve_for, resolve, source),
            problems,
            field="",
        )
        if not bad and len(problems) == before:
            heading, rest = _title_of(body, source.stem)
            pages.append(Page(name, title or heading, body if title else rest, source, images))
    return tuple(pages)
