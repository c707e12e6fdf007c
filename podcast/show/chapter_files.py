"""Chapters files editors write beside episode.md, from the tools they use: `HH:MM:SS(.mmm)
Title` lines (an optional URL in angle brackets at the end; mp4chaps, Ultraschall, Hindenburg),
Audacity label tracks, Reaper's marker/region CSV, OGM chapters, or podcast:chapters JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from podcast.errors import Problem
from podcast.show.schema import chapter_order_problems, parse_timestamp

_TEXT_LINE = re.compile(
    r"^(?P<time>\d+(:\d{1,2}){0,2}(\.\d+)?)\s+(?P<title>.+?)(\s+<(?P<url>\S+)>)?$"
)


def chapter_format(path: Path, text: str) -> str:
    """Which tool's format a chapters file is in (named in every message about it)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if path.suffix.lower() == ".json":
        return JSON_FORMAT
    if lines and all(_AUDACITY_LINE.match(line) or line.startswith("\\") for line in lines):
        return AUDACITY_FORMAT
    if text.lstrip().startswith("#,Name,Start"):
        return REAPER_FORMAT
    if lines and all(_OGM_LINE.match(line.strip()) for line in lines):
        return OGM_FORMAT
    return TEXT_FORMAT


JSON_FORMAT = "podcast:chapters JSON"
AUDACITY_FORMAT = "Audacity labels"
REAPER_FORMAT = "Reaper markers and regions (CSV)"
OGM_FORMAT = "OGM chapters (CHAPTER01=...)"
TEXT_FORMAT = "chapter lines (HH:MM:SS Title, as mp4chaps, Ultraschall and Hindenburg write)"
# Audacity: start, end (seconds) and the label, tab-separated; spectral labels add a line
# starting with a backslash.
_AUDACITY_LINE = re.compile(r"^(?P<start>\d+(\.\d+)?)\t(?P<end>\d+(\.\d+)?)\t(?P<title>.*)$")
_OGM_LINE = re.compile(r"^CHAPTER(?P<number>\d+)(?P<name>NAME)?=(?P<value>.*)$")


def read_chapters_file(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """Parse a chapters file into (line, {start, title, url, img}) items; problems appended.

    The format is recognised by its shape: podcast:chapters JSON, Audacity label tracks,
    Reaper's marker and region CSV, OGM chapters, or `HH:MM:SS Title` lines.
    """
    text = path.read_text(encoding="utf-8-sig")
    kind = chapter_format(path, text)

    def refuse(line: int, message: str, fix: str) -> None:
        problems.append(Problem(path, line, "chapters", f"{message} (read as {kind})", fix))

    items: list[tuple[int, dict[str, Any]]] = []
    if kind == JSON_FORMAT:
        try:
            data = json.loads(text)
            for entry in data["chapters"]:
                items.append(
                    (
                        0,
                        {
                            "start": float(entry["startTime"]),
                            "title": str(entry["title"]),
                            "url": entry.get("url"),
                            "img": entry.get("img"),
                        },
                    )
                )
        except (ValueError, KeyError, TypeError) as exc:
            refuse(
                0,
                f"not a podcast:chapters JSON file ({exc})",
                'write {"version": "1.2.0", "chapters": [...]}',
            )
        return items
    if kind == AUDACITY_FORMAT:
        for number, line in enumerate(text.splitlines(), start=1):
            found = _AUDACITY_LINE.match(line)
            if found is None:
                continue  # blank, or a spectral label's frequency line
            title = found["title"].strip()
            if not title:
                refuse(number, "a label without text", "name the label in Audacity")
                continue
            item = {"start": float(found["start"]), "title": title, "url": None, "img": None}
            items.append((number, item))
    elif kind == REAPER_FORMAT:
        rows = list(csv.reader(io.StringIO(text)))
        for number, row in enumerate(rows[1:], start=2):
            if not row or not "".join(row).strip():
                continue
            start = parse_timestamp(row[2]) if len(row) > 2 else None
            if len(row) < 3 or not isinstance(start, float):
                refuse(
                    number,
                    f"cannot read the start of '{','.join(row)}'",
                    "export markers with the time format Minutes:Seconds (or Seconds)",
                )
                continue
            items.append(
                (number, {"start": start, "title": row[1].strip(), "url": None, "img": None})
            )
    elif kind == OGM_FORMAT:
        starts: dict[str, tuple[int, float]] = {}
        names: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            found = _OGM_LINE.match(line.strip())
            if found is None:
                continue
            if found["name"]:
                names[found["number"]] = found["value"].strip()
                continue
            start = parse_timestamp(found["value"].strip())
            if not isinstance(start, float):
                refuse(number, f"cannot read the time '{found['value']}'", "write HH:MM:SS.mmm")
                continue
            starts[found["number"]] = (number, start)
        for key, (number, start) in sorted(starts.items(), key=lambda pair: pair[1][1]):
            title = names.get(key, "")
            if not title:
                refuse(number, f"CHAPTER{key} has no CHAPTER{key}NAME", "add the name line")
                continue
            items.append((number, {"start": start, "title": title, "url": None, "img": None}))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            found = _TEXT_LINE.match(stripped)
            start = parse_timestamp(found["time"]) if found else None
            if found is None or not isinstance(start, float) or "\t" in found["title"]:
                refuse(
                    number,
                    f"cannot read '{stripped}'",
                    "write one chapter per line as `HH:MM:SS Title`",
                )
                continue
            item = {"start": start, "title": found["title"], "url": found["url"], "img": None}
            items.append((number, item))
    for index, message in chapter_order_problems([(i["start"], i["title"]) for _, i in items]):
        problems.append(
            Problem(
                path,
                items[index][0],
                f"chapters[{index}]",
                message,
                "keep chapters in order, the first at 00:00",
            )
        )
    return items
