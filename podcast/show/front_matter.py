"""Front matter: the YAML block at the top of episode.md, parsed once into its data and the
line each field was written on (kept on the episode for messages found after loading)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from podcast.show.diagnostics import Loc
from podcast.show.schema import control_character

# libyaml's loader when PyYAML was built with it: several times faster on large shows.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once, safely: the node tree (for line numbers) and the data built from it."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def duplicate_keys(node: yaml.Node | None) -> list[tuple[int, str]]:
    """(1-based line, dotted key) of every key given twice in one YAML mapping: YAML keeps the
    last silently, so an editor's second `title:` would win without a word."""
    found: list[tuple[int, str]] = []

    def walk(current: yaml.Node | None, path: str) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                name = str(key.value)
                dotted = f"{path}.{name}" if path else name
                if name in seen:
                    found.append((key.start_mark.line + 1, dotted))
                seen.add(name)
                walk(value, dotted)
        elif isinstance(current, yaml.SequenceNode):
            for index, value in enumerate(current.value):
                walk(value, f"{path}[{index}]")

    walk(node, "")
    return found


def control_character_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, description) of each line holding a character no output can carry."""
    return [
        (number, problem)
        # Not splitlines(): it takes form feeds and other control characters for line ends.
        for number, line in enumerate(text.split("\n"), start=1)
        if (problem := control_character(line)) is not None
    ]


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split `---` YAML front matter from the Markdown body; return (yaml, body, body_line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None


@dataclass(frozen=True)
class FieldLines:
    """The 1-based line of every field of a front matter, by its path (`("recordings", 0,
    "file")`); a path not written there gets the line of its closest written parent."""

    lines: tuple[tuple[Loc, int], ...] = ()

    def at(self, loc: Loc) -> int:
        """`line` for a path given as one tuple (as pydantic reports them)."""
        return self.line(*loc)

    def line(self, *loc: int | str) -> int:
        table = dict(self.lines)
        for end in range(len(loc), -1, -1):
            if loc[:end] in table:
                return table[loc[:end]]
        return 0


def field_lines(root: yaml.Node | None, first_line: int) -> FieldLines:
    """Where each field under `root` was written; `first_line` is the file's line of the YAML
    text's first line (2 in episode.md, after the opening `---`)."""
    found: list[tuple[Loc, int]] = []

    def walk(node: yaml.Node, path: Loc, line: int) -> None:
        found.append((path, line))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, str(key.value)), key.start_mark.line + first_line)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, (*path, index), value.start_mark.line + first_line)

    if root is not None:
        walk(root, (), root.start_mark.line + first_line)
    return FieldLines(tuple(found))
