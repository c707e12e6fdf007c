"""Problems as editors read them: pydantic's validation errors turned into
`file:line: field: what is wrong (how to fix)`, with the line found in TOML or YAML."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from podcast.errors import Problem
from podcast.show.fields import TIME_FIX
from podcast.show.reference import example, table_at
from podcast.show.schema import Strict

DATE_EXAMPLE = "2026-03-12T18:00:00+01:00"


CONTROL_CHARACTER_FIX = "delete it: most editors do not show it, so retype the text around it"


Loc = tuple[int | str, ...]


def _known_field_names() -> list[str]:
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Strict]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.update(cls.model_fields)
    return sorted(names)


# pydantic's error types for a number out of its range, with the bound its context names
_BOUNDS = {
    "greater_than_equal": ("ge", "write {} or more"),
    "greater_than": ("gt", "write more than {}"),
    "less_than_equal": ("le", "write {} or less"),
    "less_than": ("lt", "write less than {}"),
}


def _fix_for(
    error_type: str,
    loc: Loc,
    bad_key: str | None,
    message: str = "",
    context: dict[str, object] | None = None,
) -> str:
    name = str(loc[-1]) if loc else ""
    if "control character" in message:
        return CONTROL_CHARACTER_FIX
    if message == "end must come after start":
        return "make `end` later than `start`, or leave one of them out"
    if error_type in _BOUNDS and context is not None:
        key, advice = _BOUNDS[error_type]
        bound = context.get(key)
        if isinstance(bound, (int, float)):
            return advice.format(f"{bound:g}")
    if error_type in ("bool_parsing", "bool_type"):
        return "write true or false"
    if "web address" in message:
        return "write the full address, e.g. https://www.example.org/page"
    if error_type == "missing":
        return f"add `{name}`"
    if error_type == "extra_forbidden" and bad_key is not None:
        # Names of other tables are known too: a key of another table is no typo.
        known = [n for n in _known_field_names() if n != bad_key]
        close = difflib.get_close_matches(bad_key, known, n=1)
        return f"did you mean `{close[0]}`?" if close else "remove it"
    if name in ("start", "end"):
        return TIME_FIX
    if error_type == "timezone_aware" or name in ("date", "radio_release"):
        return f"write date and time with a time zone, e.g. {DATE_EXAMPLE}"
    if name == "language":
        return "use a BCP 47 language tag such as de or de-DE"
    if name == "email":
        return "write an e-mail address such as redaktion@example.org"
    if name == "geo":
        return "write geo:LATITUDE,LONGITUDE, e.g. geo:51.3397,12.3731"
    if name == "osm":
        return "write an OpenStreetMap id such as R62649 (N node, W way, R relation)"
    if name == "offset_s":
        return "write seconds, e.g. 1.5 for a track started 1.5 s after the first, or leave it out"
    if error_type == "finite_number":
        return "write a number"
    if error_type.startswith(("int_", "float_")):
        return "write a number"
    if error_type in ("string_too_long", "too_long"):
        return "shorten it"
    if error_type in ("string_too_short", "too_short"):
        return "give a value"
    return ""


# pydantic's error types for a value that should have been a table (or a list of them).
_NOT_A_TABLE = {"model_type", "model_attributes_type", "dict_type", "tuple_type", "list_type"}


def _schema_named(title: str) -> type[BaseModel] | None:
    stack: list[type[BaseModel]] = [Strict]
    while stack:
        cls = stack.pop()
        if cls.__name__ == title:
            return cls
        stack.extend(cls.__subclasses__())
    return None


def _table_help(
    error: ValidationError, error_type: str, loc: Loc, file: Path
) -> tuple[str, str] | None:
    """For a key that holds a table but got something else (or is missing): the message and
    an example of the table to write, in the file's own syntax."""
    if error_type not in _NOT_A_TABLE and error_type != "missing":
        return None
    schema = _schema_named(error.title)
    found = table_at(schema, loc) if schema is not None else None
    if found is None:
        return None
    model, path, how = found
    style: Literal["toml", "yaml"] = "toml" if file.suffix == ".toml" else "yaml"
    if error_type == "missing":
        message = "required but missing"
    elif how == "list":
        message = "must be a list of entries" if style == "yaml" else "must be tables"
    else:
        message = "must be a table of keys" if style == "toml" else "must be keys under it"
    # In TOML, every key after a [table] line belongs to that table: tables come last.
    advice = "write it like this, after the plain keys" if style == "toml" else "write it like this"
    return message, f"{advice}:\n" + example(model, path, style, how)


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _is_union_member(part: int | str) -> bool:
    """Whether a part of pydantic's error location names a member of a union type (such as
    `tuple[Chapter, ...]` or `constrained-str`), not a field."""
    # Pydantic's tags ("constrained-str", "function-after[...]"), not a key such as a
    # partner's name "freies-radio".
    tags = ("constrained-", "function-", "lax-", "json-", "nullable")
    return isinstance(part, str) and (
        part in ("str", "int", "float") or "[" in part or part.startswith(tags)
    )


def _without_union_noise(errors: list[Any]) -> list[Any]:
    """Pydantic's errors for a value of a union type (chapters: a list or a file name) with
    the member names taken out of the locations, and without the complaint of the member the
    value plainly was not (`Input should be a valid string` next to the list's real error)."""
    cleaned = []
    for item in errors:
        loc = tuple(part for part in item["loc"] if not _is_union_member(part))
        cleaned.append({**item, "loc": loc, "union": len(loc) != len(item["loc"])})
    mismatches = ("string_type", "tuple_type", "list_type")

    def mismatch(item: dict[str, Any]) -> bool:
        return bool(item["union"]) and item["type"] in mismatches

    def covers(item: dict[str, Any], other: dict[str, Any]) -> bool:
        return other is not item and other["loc"][: len(item["loc"])] == item["loc"]

    return [
        item
        for item in cleaned
        if not (mismatch(item) and any(covers(item, o) and not mismatch(o) for o in cleaned))
    ]


def pydantic_problems(
    error: ValidationError, file: Path, locate: Callable[[Loc], int], prefix: Loc = ()
) -> list[Problem]:
    """Turn pydantic's errors into editor-facing problems with line numbers (`prefix`: where
    the validated value sits in the editors' structure, for the field name)."""
    problems = []
    errors = _without_union_noise(error.errors())
    for item in errors:
        loc: Loc = tuple(item["loc"])
        if item["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc
            for other in errors
        ):
            continue  # "at least 1 item" only because the one given has an error of its own
        bad_key = str(loc[-1]) if item["type"] == "extra_forbidden" and loc else None
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required but missing"
        elif item["type"] == "finite_number":  # YAML's .nan and .inf, TOML's nan and inf
            message = "not a number" if item["input"] != item["input"] else "not a finite number"
        fix = _fix_for(item["type"], loc, bad_key, message, item.get("ctx"))
        if item["type"] == "invalid_key":
            # YAML reads `{offset_s: 1,7}` as `offset_s: 1` and a key `7` (a comma separates
            # the fields of a `{...}` mapping)
            message = f"`{item['input']}` stands where a field's name belongs"
            fix = (
                "write numbers with a decimal point (1.7, not 1,7): in `{...}` a comma "
                "separates the fields"
            )
        table_help = _table_help(error, item["type"], loc, file)
        if table_help is not None:
            message, fix = table_help
        problems.append(
            Problem(
                file=file,
                line=locate(loc),
                field=_dotted(prefix + loc),
                message=message,
                fix=fix,
            )
        )
    return problems


def toml_line(text: str, loc: Loc) -> int:
    """Best-effort 1-based line of a TOML key: the key in its table, else the table, else 1."""
    keys = [str(p) for p in loc if isinstance(p, str)]
    if not keys:
        return 1
    table, key = ".".join(keys[:-1]), keys[-1]
    section, fallback = "", 1
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip()
            if section in (table, ".".join(keys)) and fallback == 1:
                fallback = number
        elif "=" in stripped:
            name = stripped.split("=", 1)[0].strip()
            if section == table and name == key:
                return number
            if section == "" and name == keys[0] and fallback == 1:
                fallback = number
    return fallback
