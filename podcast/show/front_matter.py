"""Front matter: the YAML block at the top of episode.md, parsed once into its data and the
line each field was written on (kept on the episode for messages found after loading)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from podcast.errors import Problem
from podcast.show.diagnostics import Loc
from podcast.show.fields import control_character


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's when PyYAML was built with it: several times faster on
    large shows) that keeps timestamps as text: the schema reads them, so that an impossible
    date (30 February) is reported with its field instead of failing the whole file."""


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", yaml.constructor.SafeConstructor.construct_yaml_str
)
_DECIMAL = re.compile(r"[-+]?[0-9]+")


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str:
    """Plain decimal numbers only: YAML 1.1 also reads `1:30` as 90 and `0x10` as 16. Those
    stay text, which a time field reads as a time and a number field refuses."""
    text = str(loader.construct_scalar(node))
    return int(text) if _DECIMAL.fullmatch(text) else text


def _refuse_binary(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    raise YamlRefused(
        node.start_mark.line if node.start_mark is not None else None,
        "a binary value (!!binary): front matter takes text",
        "write the value as plain text",
    )


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:binary", _refuse_binary)


class YamlRefused(yaml.YAMLError):
    """YAML the front matter does not take (an alias), or a value YAML cannot build; `line`
    is 0-based in the YAML text, like YAML's own marks (None: not known)."""

    def __init__(self, line: int | None, message: str, fix: str) -> None:
        super().__init__(message)
        self.line, self.message, self.fix = line, message, fix


ALIAS_FIX = "write the value out in full wherever it is needed"


def _refuse_aliases(text: str) -> None:
    """Anchors and aliases (`&name`, `*name`) are refused before anything is built: an alias
    bomb (each level naming the one before ten times) expands into billions of values."""
    if "&" not in text and "*" not in text:
        return  # neither can occur: nothing to scan
    for event in yaml.parse(text, Loader=_FrontMatterLoader):
        line = event.start_mark.line if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(
                line,
                f"a YAML alias (*{event.anchor}): front matter takes no anchors or aliases",
                ALIAS_FIX,
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlRefused(
                line,
                f"a YAML anchor (&{anchor}): front matter takes no anchors or aliases",
                ALIAS_FIX,
            )


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once, safely: the node tree (for line numbers) and the data built from it.
    Raise yaml.YAMLError (YamlRefused for what is refused here) when that fails."""
    _refuse_aliases(text)
    loader = _FrontMatterLoader(text)
    try:
        node = loader.get_single_node()
        try:
            data = loader.construct_document(node) if node is not None else None
        except (ValueError, TypeError, OverflowError) as error:
            # A value YAML cannot build, as `!!int x` or `!!float []`.
            raise YamlRefused(
                None, f"a value YAML cannot read ({error})", "fix the value"
            ) from error
    finally:
        loader.dispose()
    return node, data


def yaml_problem(error: yaml.YAMLError, source: Path, first_line: int) -> Problem:
    """A YAML error as a problem at its line (`first_line`: the file's line of the YAML
    text's first line)."""
    if isinstance(error, YamlRefused):
        line = error.line + first_line if error.line is not None else 0
        return Problem(source, line, "", error.message, error.fix)
    mark = getattr(error, "problem_mark", None)
    line = mark.line + first_line if mark is not None else first_line - 1
    return Problem(source, line, "", f"not valid YAML: {error}", "fix the syntax")


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
