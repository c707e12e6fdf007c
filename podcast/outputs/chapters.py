"""One chapter list, every output: ID3 CHAP/CTOC, podcast:chapters JSON, Podlove Simple
Chapters and "00:00 Title" lines for the description."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mutagen.id3 import APIC, CHAP, CTOC, TIT2, WXXX, CTOCFlags

from podcast.outputs import urls
from podcast.outputs.timecode import clock
from podcast.plan.cache import data_digest
from podcast.show.model import ChapterMark

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

CHAPTERS_JSON_VERSION = "1.2.0"


@dataclass(frozen=True)
class TimedChapter:
    """A chapter with its end: the next chapter's start, or the end of the episode."""

    start: float
    end: float
    title: str
    url: str | None
    image: Path | None


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


def timestamp_lines(chapters: list[TimedChapter]) -> str:
    """'00:00 Title' lines; Apple shows them as chapters when there are 3+, the first at 00:00."""

    def short(seconds: float) -> str:
        text = clock(seconds)
        return text[3:] if text.startswith("00:") else text

    return "\n".join(f"{short(c.start)} {c.title}" for c in chapters)


class ChaptersJson:
    """podcast:chapters JSON, with each chapter's image beside it."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        if not context.chapters:
            return
        show, episode = context.show, context.episode
        for index, chapter in enumerate(context.chapters):
            files.chapter_images.append(None)
            if chapter.image is not None:
                data = chapter.image.read_bytes()
                relative = urls.versioned(
                    urls.chapter_image(episode, index, chapter.image.suffix), data_digest(data)
                )
                writer.write(relative, data)
                files.chapter_images[-1] = relative
        image_urls = [urls.absolute(show, p) if p else None for p in files.chapter_images]
        document = chapters_json(context.chapters, image_urls)
        files.chapters_json = urls.versioned(urls.episode_chapters(episode), data_digest(document))
        writer.write(files.chapters_json, document)
