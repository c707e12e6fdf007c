"""One chapter list, every output: ID3 CHAP/CTOC, podcast:chapters JSON, Podlove Simple
Chapters and "00:00 Title" lines for the description.

Editors write chapters in the front matter or in a separate file: a text file with one
`HH:MM:SS(.mmm) Title` per line (an optional URL in angle brackets at the end), or a
`podcast:chapters` JSON file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen.id3 import APIC, CHAP, CTOC, TIT2, WXXX, CTOCFlags

from podcast.errors import Problem
from podcast.show.model import ChapterMark, chapter_order_problems, parse_timestamp

CHAPTERS_JSON_VERSION = "1.2.0"
_TEXT_LINE = re.compile(
    r"^(?P<time>\d+(:\d{1,2}){0,2}(\.\d+)?)\s+(?P<title>.+?)(\s+<(?P<url>\S+)>)?$"
)


@dataclass(frozen=True)
class TimedChapter:
    """A chapter with its end: the next chapter's start, or the end of the episode."""

    start: float
    end: float
    title: str
    url: str | None
    image: Path | None


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


def timed(chapters: tuple[ChapterMark, ...], duration: float) -> list[TimedChapter]:
    """Give each chapter its end time."""
    if not chapters:
        return []
    ends = [c.start for c in chapters[1:]] + [duration]
    return [
        TimedChapter(c.start, end, c.title, c.url, c.image)
        for c, end in zip(chapters, ends, strict=True)
    ]


def id3_frames(chapters: list[TimedChapter], toc_title: str) -> list[Any]:
    """A CTOC table of contents (titled `toc_title`, "Chapters" in the episode's language) and
    one CHAP frame per chapter (ID3v2 Chapter Frame Addendum)."""
    if not chapters:
        return []
    ids = [f"chp{index}" for index in range(len(chapters))]
    frames: list[Any] = [
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=1, text=[toc_title])],
        )
    ]
    for element_id, chapter in zip(ids, chapters, strict=True):
        sub_frames: list[Any] = [TIT2(encoding=1, text=[chapter.title])]
        if chapter.url:
            sub_frames.append(WXXX(encoding=0, desc="chapter url", url=chapter.url))
        if chapter.image is not None:
            mime = "image/png" if chapter.image.suffix.lower() == ".png" else "image/jpeg"
            sub_frames.append(
                APIC(
                    encoding=0,
                    mime=mime,
                    type=0,
                    desc="chapter image",
                    data=chapter.image.read_bytes(),
                )
            )
        frames.append(
            CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                sub_frames=sub_frames,
            )
        )
    return frames


def chapters_json(chapters: list[TimedChapter], image_urls: list[str | None]) -> bytes:
    """The Podcasting 2.0 `podcast:chapters` JSON document."""
    entries = []
    for chapter, image_url in zip(chapters, image_urls, strict=True):
        entry: dict[str, Any] = {"startTime": round(chapter.start, 3), "title": chapter.title}
        if chapter.url:
            entry["url"] = chapter.url
        if image_url is not None:
            entry["img"] = image_url
        entries.append(entry)
    document = {"version": CHAPTERS_JSON_VERSION, "chapters": entries}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def clock(seconds: float, millis: bool = False) -> str:
    """HH:MM:SS, or HH:MM:SS.mmm with `millis` (Podlove Simple Chapters' normal play time)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if millis:
        text += f".{round((seconds - whole) * 1000):03d}"
    return text


def timestamp_lines(chapters: list[TimedChapter]) -> str:
    """'00:00 Title' lines; Apple shows them as chapters when there are 3+, the first at 00:00."""

    def short(seconds: float) -> str:
        text = clock(seconds)
        return text[3:] if text.startswith("00:") else text

    return "\n".join(f"{short(c.start)} {c.title}" for c in chapters)
