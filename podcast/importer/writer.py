"""Write what the import found as sources: podcast.toml (TOML) and episode.md (YAML front
matter and Markdown notes), in the shape editors write them, deterministically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from podcast.plan.cache import atomic_write_bytes

Table = dict[str, Any]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON strings are TOML basic strings (the same escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def toml_text(config: Table, header: str = "") -> str:
    """`config` as TOML: plain keys first, then tables, then arrays of tables; None is left
    out (the schema's default)."""
    lines = [header] if header else []
    tables: list[tuple[str, Table]] = []
    arrays: list[tuple[str, list[Table]]] = []
    for key, value in config.items():
        if value is None:
            continue
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for key, table in tables:
        lines += ["", f"[{key}]"]
        lines += [f"{k} = {_value(v)}" for k, v in table.items() if v is not None]
    for key, entries in arrays:
        for entry in entries:
            lines += ["", f"[[{key}]]"]
            lines += [f"{k} = {_value(v)}" for k, v in entry.items() if v is not None]
    return "\n".join(lines) + "\n"


def _pruned(value: Any) -> Any:
    """`value` without None and empty lists, at every depth (the schema's defaults)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def episode_text(front: Table, notes: str) -> str:
    """An episode.md: the front matter (None values left out) and the notes."""
    matter = yaml.safe_dump(_pruned(front), allow_unicode=True, sort_keys=False, width=100)
    return f"---\n{matter}---\n{notes.strip()}\n"


def write_text(path: Path, text: str) -> None:
    """Write `path` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode())
