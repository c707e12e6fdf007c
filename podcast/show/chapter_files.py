"""Chapters files editors write beside episode.md, from the tools they use: `HH:MM:SS(.mmm)
Title` lines (an optional URL in angle brackets at the end; mp4chaps, Ultraschall, Hindenburg),
Audacity label tracks, Reaper's marker/region CSV, OGM chapters, or podcast:chapters JSON."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podcast.errors import Problem
from podcast.show.fields import TIME_FIX, parse_timestamp, read_time
from podcast.show.schema import chapter_order_problems

_TEXT_LINE = re.compile(
    r"^(?P<time>-?\d+(:-?\d{1,2}){0,2}(\.\d+)?)\s+(?P<title>.+?)(\s+<(?P<url>\S+)>)?$"
)


JSON_FORMAT = "podcast:chapters JSON"
AUDACITY_FORMAT = "Audacity labels"
REAPER_FORMAT = "Reaper markers and regions (CSV)"
OGM_FORMAT = "OGM chapters (CHAPTER01=...)"
TEXT_FORMAT = "chapter lines (HH:MM:SS Title, as mp4chaps, Ultraschall and Hindenburg write)"
# Audacity: start, end (seconds) and the label, tab-separated; spectral labels add a line
# starting with a backslash.
_AUDACITY_LINE = re.compile(r"^(?P<start>-?\d+(\.\d+)?)\t(?P<end>\d+(\.\d+)?)\t(?P<title>.*)$")
_OGM_LINE = re.compile(r"^CHAPTER(?P<number>\d+)(?P<name>NAME)?=(?P<value>.*)$")

Item = tuple[int, dict[str, Any]]  # (line, {start, title, url, img})
Refuse = Callable[[int, str, str], None]  # (line, message, fix)


@dataclass(frozen=True)
class ChapterReader:
    """One chapters format: its name (in every message about a file read as it), how it is
    recognised, and how it is read."""

    name: str
    # (path, text, lines that are neither blank nor # comments) -> whether the file is in it
    recognises: Callable[[Path, str, list[str]], bool]
    # (path, text, refuse, problems) -> the chapters; `refuse` names the format and the line
    read: Callable[[Path, str, Refuse, list[Problem]], list[Item]]


UTF8_FIX = "export the chapters again as UTF-8 text"


def _decode(path: Path, problems: list[Problem]) -> str | None:
    """The text of a chapters file: UTF-8 (a byte-order mark dropped), or UTF-16 or UTF-32
    with a byte-order mark, as Windows tools export; a problem naming the encoding otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path, 0, "chapters", f"cannot read: {exc.strerror}", ""))
        return None
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if encoding != "utf-8":
            label = encoding.upper().removesuffix("-SIG")
            message = f"not valid {label} text, although it starts with {label}'s byte-order mark"
        elif b"\x00" in data:
            message = "not UTF-8 text: a binary file, or UTF-16 without a byte-order mark"
        else:
            message = f"not UTF-8 text (byte 0x{data[exc.start]:02X})"
        problems.append(Problem(path, line, "chapters", message, UTF8_FIX))
        return None
    if "\x00" in text:  # valid UTF-8, but no text: UTF-16 without its mark reads like this
        line = text[: text.index("\x00")].count("\n") + 1
        message = "not UTF-8 text: a binary file, or UTF-16 without a byte-order mark"
        problems.append(Problem(path, line, "chapters", message, UTF8_FIX))
        return None
    return text


# Byte-order marks and the encodings they announce (UTF-32 first: its little-endian mark
# starts like UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


JSON_FIX = 'write {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "..."}, ...]}'


def _json_chapters(
    path: Path, text: str, problems: list[Problem]
) -> list[tuple[int, dict[str, Any]]]:
    """The chapters of a podcast:chapters JSON document (line 0: JSON has no lines to name;
    the field names the chapter)."""

    def refuse(field: str, message: str, fix: str = JSON_FIX) -> None:
        problems.append(Problem(path, 0, field, f"{message} (read as {JSON_FORMAT})", fix))

    try:
        data = json.loads(text)
    except RecursionError:
        refuse("chapters", "nested too deeply to read")
        return []
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(path, exc.lineno, "chapters", f"not valid JSON: {exc.msg}", JSON_FIX)
        )
        return []
    entries = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        refuse("chapters", 'no list of chapters under the key "chapters"')
        return []
    items = []
    for index, entry in enumerate(entries):
        field = f"chapters[{index}]"
        if not isinstance(entry, dict):
            refuse(field, f"a chapter must be an object, not {_json_kind(entry)}")
            continue
        if "startTime" not in entry or "title" not in entry:
            missing = "startTime" if "startTime" not in entry else "title"
            refuse(f"{field}.{missing}", "required but missing", f"add `{missing}`")
            continue
        title = entry["title"]
        if not isinstance(title, str):
            refuse(f"{field}.title", f"must be text, not {_json_kind(title)}", "write the title")
            continue
        try:
            start = parse_timestamp(entry["startTime"])
            if not isinstance(start, float):
                raise ValueError(f"must be a time, not {_json_kind(entry['startTime'])}")
        except ValueError as exc:
            refuse(f"{field}.startTime", str(exc), TIME_FIX)
            continue
        url, img = entry.get("url"), entry.get("img")
        items.append((0, {"start": start, "title": title, "url": url, "img": img}))
    return items


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    if value is None:
        return "null"
    kinds = ((bool, "true or false"), (str, "text"), (int | float, "a number"), (list, "a list"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "an object")


def read_chapters_file(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """Parse a chapters file into (line, {start, title, url, img}) items; problems appended.

    The format is the first of `CHAPTER_READERS` that recognises the file.
    """
    before = len(problems)
    text = _decode(path, problems)
    if text is None:
        return []
    reader = chapter_reader(path, text)

    def refuse(line: int, message: str, fix: str) -> None:
        problems.append(Problem(path, line, "chapters", f"{message} (read as {reader.name})", fix))

    items = reader.read(path, text, refuse, problems)
    if len(problems) > before:
        return items
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


def _csv_rows(
    text: str, refuse: Callable[[int, str, str], None]
) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV file with the line each starts on; a row the csv module cannot read
    (a field over its limit of 128 KiB) is refused, and reading stops there."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                limit = csv.field_size_limit() // 1024
                message = f"a field longer than {limit} KiB: not a marker list"
            else:
                message = f"not readable as CSV: {exc}"
            refuse(start, message, "export the markers from Reaper again")
            return
        yield start, row
        start = reader.line_num + 1


def _audacity_chapters(
    path: Path, text: str, refuse: Refuse, problems: list[Problem]
) -> list[Item]:
    items: list[Item] = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = _AUDACITY_LINE.match(line)
        if found is None:
            continue  # blank, or a spectral label's frequency line
        title = found["title"].strip()
        if not title:
            refuse(number, "a label without text", "name the label in Audacity")
            continue
        try:
            start = read_time(found["start"])
        except ValueError as exc:
            refuse(number, str(exc), "move the label to 0 or later in Audacity")
            continue
        items.append((number, {"start": start, "title": title, "url": None, "img": None}))
    return items


def _reaper_chapters(path: Path, text: str, refuse: Refuse, problems: list[Problem]) -> list[Item]:
    items: list[Item] = []
    for number, row in _csv_rows(text, refuse):
        if number == 1 or not row or not "".join(row).strip():
            continue  # the heading, or an empty line
        try:
            if len(row) < 3:
                raise ValueError("no start time")
            start = read_time(row[2])
        except ValueError as exc:
            refuse(
                number,
                f"cannot read the start of '{','.join(row)}': {exc}",
                "export markers with the time format Minutes:Seconds (or Seconds), "
                "none before 0:00",
            )
            continue
        items.append((number, {"start": start, "title": row[1].strip(), "url": None, "img": None}))
    return items


def _ogm_chapters(path: Path, text: str, refuse: Refuse, problems: list[Problem]) -> list[Item]:
    starts: dict[str, tuple[int, float]] = {}
    names: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _OGM_LINE.match(line.strip())
        if found is None:
            continue
        if found["name"]:
            names[found["number"]] = found["value"].strip()
            continue
        try:
            start = read_time(found["value"])
        except ValueError as exc:
            refuse(number, str(exc), "write HH:MM:SS.mmm, from 00:00:00.000 on")
            continue
        starts[found["number"]] = (number, start)
    items: list[Item] = []
    for key, (number, start) in sorted(starts.items(), key=lambda pair: pair[1][1]):
        title = names.get(key, "")
        if not title:
            refuse(number, f"CHAPTER{key} has no CHAPTER{key}NAME", "add the name line")
            continue
        items.append((number, {"start": start, "title": title, "url": None, "img": None}))
    return items


def _text_chapters(path: Path, text: str, refuse: Refuse, problems: list[Problem]) -> list[Item]:
    items: list[Item] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        found = _TEXT_LINE.match(stripped)
        if found is None or "\t" in found["title"]:
            refuse(
                number,
                f"cannot read '{stripped}'",
                "write one chapter per line as `HH:MM:SS Title`",
            )
            continue
        try:
            start = read_time(found["time"])
        except ValueError as exc:
            refuse(number, str(exc), "write one chapter per line as `HH:MM:SS Title`")
            continue
        items.append(
            (number, {"start": start, "title": found["title"], "url": found["url"], "img": None})
        )
    return items


# The formats in the order they are tried; the last recognises any text. A new format is a
# reader function and one entry here.
CHAPTER_READERS: tuple[ChapterReader, ...] = (
    ChapterReader(
        JSON_FORMAT,
        lambda path, text, lines: path.suffix.lower() == ".json",
        lambda path, text, refuse, problems: _json_chapters(path, text, problems),
    ),
    ChapterReader(
        AUDACITY_FORMAT,
        lambda path, text, lines: (
            bool(lines)
            and all(_AUDACITY_LINE.match(line) or line.startswith("\\") for line in lines)
        ),
        _audacity_chapters,
    ),
    ChapterReader(
        REAPER_FORMAT,
        lambda path, text, lines: text.lstrip().startswith("#,Name,Start"),
        _reaper_chapters,
    ),
    ChapterReader(
        OGM_FORMAT,
        lambda path, text, lines: (
            bool(lines) and all(_OGM_LINE.match(line.strip()) for line in lines)
        ),
        _ogm_chapters,
    ),
    ChapterReader(TEXT_FORMAT, lambda path, text, lines: True, _text_chapters),
)


def chapter_reader(path: Path, text: str) -> ChapterReader:
    """The reader of a chapters file's format: the first in `CHAPTER_READERS` to recognise it."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return next(reader for reader in CHAPTER_READERS if reader.recognises(path, text, lines))


def chapter_format(path: Path, text: str) -> str:
    """Which tool's format a chapters file is in (named in every message about it)."""
    return chapter_reader(path, text).name
