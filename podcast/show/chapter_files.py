"""Chapters files editors write beside episode.md: a text file with one `HH:MM:SS(.mmm) Title`
per line (an optional URL in angle brackets at the end), or a `podcast:chapters` JSON file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from podcast.errors import Problem
from podcast.show.schema import chapter_order_problems, parse_timestamp

_TEXT_LINE = re.compile(
    r"^(?P<time>\d+(:\d{1,2}){0,2}(\.\d+)?)\s+(?P<title>.+?)(\s+<(?P<url>\S+)>)?$"
)


def read_chapters_file(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """Parse a chapters file into (line, {start, title, url, img}) items; problems appended."""
    text = path.read_text(encoding="utf-8-sig")
    items: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
            chapters = data["chapters"]
            for entry in chapters:
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
            problems.append(
                Problem(
                    path,
                    0,
                    "chapters",
                    f"not a podcast:chapters JSON file ({exc})",
                    'write {"version": "1.2.0", "chapters": [...]}',
                )
            )
        return items
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        found = _TEXT_LINE.match(stripped)
        start = parse_timestamp(found["time"]) if found else None
        if found is None or not isinstance(start, float):
            problems.append(
                Problem(
                    path,
                    number,
                    "chapters",
                    f"cannot read '{stripped}'",
                    "write one chapter per line as `HH:MM:SS Title`",
                )
            )
            continue
        items.append(
            (number, {"start": start, "title": found["title"], "url": found["url"], "img": None})
        )
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
