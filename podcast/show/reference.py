"""The reference of every `podcast.toml` key and front-matter field, read from the schema.

The descriptions are the docstrings under the fields of schema.py, so the reference
(`podcast reference`, docs/reference.md) and the examples in error messages never drift from
what the loader accepts.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AfterValidator, AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from podcast.show.fields import WebUrl
from podcast.show.schema import EpisodeMeta, PageMeta, ShowConfig

_WEB_URL_CHECK = get_args(WebUrl)[1]


@dataclass(frozen=True)
class Key:
    """One documented key: where it is written, what it takes, and what it does."""

    name: str
    kind: str
    default: str  # "required", or the value used when the key is left out
    description: str


@dataclass(frozen=True)
class Table:
    """The keys of one table of podcast.toml or one mapping of the front matter."""

    heading: str  # as written in the file: [audio], [[hosts]], persons[]
    description: str
    keys: tuple[Key, ...]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _members(annotation: Any) -> list[Any]:
    """The types a union allows, without None."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _strip(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return base, tuple(metadata)
    return annotation, ()


def _kind(annotation: Any, metadata: tuple[Any, ...] = ()) -> str:
    """What a key takes, in an editor's words."""
    annotation, more = _strip(annotation)
    metadata += more
    members = _members(annotation)
    if len(members) > 1:
        return " or ".join(_kind(m) for m in members)
    annotation = members[0]
    annotation, more = _strip(annotation)
    metadata += more
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(_toml_value(v) for v in get_args(annotation))
    if origin is tuple:
        item = get_args(annotation)[0]
        if _is_model(_strip(item)[0]):
            return "list of tables"
        return f"list of {_plural(_kind(item))}"
    if origin is dict:
        value = get_args(annotation)[1]
        if _is_model(_strip(value)[0]):
            return "tables by name"
        return f"{_plural(_kind(value))} by name"
    if _is_model(annotation):
        return "table"
    kind = {
        bool: "true or false",
        int: "whole number",
        float: "number",
        AwareDatetime: "date and time with time zone",
    }.get(annotation, "text")
    # Field(ge=1) inside Annotated carries its constraints as metadata of its own.
    metadata = tuple(
        inner for m in metadata for inner in (m.metadata if isinstance(m, FieldInfo) else [m])
    )
    if any(isinstance(m, AfterValidator) and m is _WEB_URL_CHECK for m in metadata):
        kind = "web address"
    low = [m.ge for m in metadata if isinstance(m, Ge)] + [
        m.gt for m in metadata if isinstance(m, Gt)
    ]
    high = [m.le for m in metadata if isinstance(m, Le)] + [
        m.lt for m in metadata if isinstance(m, Lt)
    ]
    if low and high:
        kind += f", {low[0]} to {high[0]}"
    elif low:
        kind += f", at least {low[0]}"
    return kind


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith("s") else "s")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    unset = field.default_factory is not None or field.default in ((), None)
    if unset or _is_model(type(field.default)):
        return "not set"
    return _toml_value(field.default)


def _text(field: FieldInfo) -> str:
    return " ".join((field.description or "").split())


def _keys(model: type[BaseModel]) -> tuple[Key, ...]:
    return tuple(
        Key(name, _kind(field.annotation, tuple(field.metadata)), _default(field), _text(field))
        for name, field in model.model_fields.items()
    )


def _nested(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The model a key holds, and how it is held: "table", "list" or "by name"."""
    for member in _members(_strip(annotation)[0]):
        member = _strip(member)[0]
        origin = get_origin(member)
        if _is_model(member):
            return member, "table"
        if origin is tuple and _is_model(_strip(get_args(member)[0])[0]):
            return _strip(get_args(member)[0])[0], "list"
        if origin is dict and _is_model(_strip(get_args(member)[1])[0]):
            return _strip(get_args(member)[1])[0], "by name"
    return None


def _toml_heading(path: str, how: str) -> str:
    if how == "list":
        return f"[[{path}]]"
    if how == "by name":
        return f"[{path}.<name>]"
    return f"[{path}]"


def tables(model: type[BaseModel], style: Literal["toml", "yaml"], path: str = "") -> list[Table]:
    """The tables of `model` and of every table it holds, in the order of the schema."""
    found = []
    for name, field in model.model_fields.items():
        nested = _nested(field.annotation)
        if nested is None:
            continue
        inner, how = nested
        where = f"{path}.{name}" if path else name
        if style == "toml":
            heading = _toml_heading(where, how)
        else:
            heading = where + ("[]" if how == "list" else "")
        found.append(Table(heading, _text(field), _keys(inner)))
        found += tables(inner, style, where + (".<name>" if how == "by name" else ""))
    return found


def _markdown_table(keys: tuple[Key, ...]) -> list[str]:
    lines = ["| key | takes | default | what it does |", "|---|---|---|---|"]
    for key in keys:
        cells = [f"`{key.name}`", key.kind, key.default, key.description]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def _section(
    title: str, intro: str, model: type[BaseModel], style: Literal["toml", "yaml"]
) -> list[str]:
    lines = [f"## {title}", "", intro, "", *_markdown_table(_keys(model)), ""]
    for table in tables(model, style):
        lines += [
            f"### `{table.heading}`",
            "",
            table.description,
            "",
            *_markdown_table(table.keys),
            "",
        ]
    return lines


def reference_markdown() -> str:
    """The whole reference as Markdown (docs/reference.md is this text)."""
    lines = [
        "# Reference: podcast.toml and front matter",
        "",
        "Every key the loader accepts, generated from the schema (`podcast/show/schema.py`) by",
        "`podcast reference`; do not edit this file, edit the descriptions in the schema. Any",
        "other key is an error (a misspelt key is never ignored silently).",
        "",
        *_section(
            "podcast.toml",
            "The show, in TOML, in the show folder.",
            ShowConfig,
            "toml",
        ),
        *_section(
            "Episode front matter",
            "YAML between `---` lines at the top of `episodes/<folder>/episode.md`; the Markdown "
            "below it is the show notes.",
            EpisodeMeta,
            "yaml",
        ),
        *_section(
            "Page front matter",
            "Optional YAML at the top of a page in `pages/`.",
            PageMeta,
            "yaml",
        ),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


_PLACEHOLDERS = {
    "text": '"…"',
    "web address": '"https://…"',
    "true or false": "false",
    "date and time with time zone": "2026-03-12T18:00:00+01:00",
}


def _placeholder(key: Key) -> str:
    if key.kind.startswith("one of "):
        return key.kind.removeprefix("one of ").split(", ")[0]
    if key.kind.startswith(("whole number", "number")):
        return "0"
    if key.kind.startswith("list"):
        return "[]"
    return _PLACEHOLDERS.get(key.kind, '"…"')


def example(
    model: type[BaseModel], path: tuple[str, ...], style: Literal["toml", "yaml"], how: str
) -> str:
    """How to write the table `model` found at `path`: its required keys with placeholders
    and the names of the optional ones, as TOML or YAML."""
    keys = _keys(model)
    required = [k for k in keys if k.default == "required"]
    optional = ", ".join(k.name for k in keys if k.default != "required")
    dotted = ".".join(path)
    if style == "toml":
        lines = [_toml_heading(dotted, how).replace("<name>", "NAME")]
        lines += [f"{k.name} = {_placeholder(k)}" for k in required]
        if optional:
            lines.append(f"# optional: {optional}")
        return "\n".join(lines)
    indent = "  " * (len(path) - 1)
    first = f"{indent}  - " if how == "list" else f"{indent}  "
    rest = f"{indent}    " if how == "list" else f"{indent}  "
    lines = [f"{indent}{path[-1]}:"]
    for index, key in enumerate(required or keys[:1]):
        value = _placeholder(key).replace('"…"', "…")
        lines.append(f"{first if index == 0 else rest}{key.name}: {value}")
    if optional:
        lines.append(f"{rest}# optional: {optional}")
    return "\n".join(lines)


def table_at(
    model: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[type[BaseModel], tuple[str, ...], str] | None:
    """The table (model, its key path, how it is held) that an error location names, if the
    location is a key holding a table (`owner`, `persons`, `publish.web`)."""
    path: list[str] = []
    how = ""
    current: type[BaseModel] = model
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if not isinstance(part, str) or part not in current.model_fields:
            return None
        nested = _nested(current.model_fields[part].annotation)
        if nested is None:
            return None
        current, how = nested
        path.append(part)
        if parts and isinstance(parts[0], int) and how == "list":
            parts.pop(0)
            if not parts:
                return current, tuple(path), "list"
        elif parts and how == "by name":
            path.append(str(parts.pop(0)))
            if not parts:
                return current, tuple(path), "table"
    return current, tuple(path), how
