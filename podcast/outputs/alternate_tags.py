"""Tags on the alternates (the rendition table's rows with tag style mp4 or ogg; the flac
style is there for a FLAC row, as tests/test_feeds.py adds one): the same fields and chapters
the MP3 carries, from the tag table (outputs/tag_fields.py).

ffmpeg copies the audio and writes the text tags (the fields' `ffmetadata` style and, in MP4,
the chapters as a chapter track), reading an FFMETADATA document from its standard input;
mutagen then adds what ffmpeg cannot write (the `mp4` and `vorbis` styles: the cover, and
Vorbis chapter comments). Deterministic: the same input gives the same bytes. The style comes
from the rendition table (`tags`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mutagen.flac import FLAC
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from podcast.audio import renditions
from podcast.audio.tools import file_arg, run
from podcast.outputs import urls
from podcast.outputs.id3 import TAGGING_VERSION
from podcast.outputs.published import AlternateAudio
from podcast.outputs.tag_fields import EpisodeTags, Vorbis, values
from podcast.plan.cache import key_of

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

MUXERS = {"mp4": "mp4", "ogg": "ogg", "flac": "flac"}  # by tag style


def _escape(value: str) -> str:
    """FFMETADATA escapes `=`, `;`, `#`, backslash and line breaks with a backslash."""
    for special in ("\\", "=", ";", "#", "\n"):
        value = value.replace(special, "\\" + special)
    return value


def ffmetadata(tags: EpisodeTags, duration: float | None = None) -> str:
    """The episode's tags and chapters as an FFMETADATA1 document; no chapter passes
    `duration` (this file's audio: MP4's chapter track would make the file that long)."""
    fields = values(tags, "ffmetadata")
    lines = [";FFMETADATA1", *(f"{key}={_escape(str(value))}" for key, value in fields)]
    last = int(duration * 1000) if duration is not None else None  # cut: never past the audio
    for chapter in tags.chapters:
        start, end = round(chapter.start * 1000), round(chapter.end * 1000)
        if last is not None:
            start, end = min(start, last), min(end, last)
        lines += [
            "",
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={start}",
            f"END={end}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def tag_alternate(
    source: Path, target: Path, style: str, tags: EpisodeTags, duration: float | None = None
) -> None:
    """Write `target`: the audio of `source` (`duration` seconds long) with tags, chapters and
    cover in `style` (the rendition table's tag style: mp4, ogg or flac)."""
    muxer = MUXERS[style]
    run(
        [
            *("ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"),
            *("-i", file_arg(source), "-f", "ffmetadata", "-i", "pipe:0"),
            *("-map", "0:a", "-map_metadata", "1", "-c", "copy"),
            *("-map_chapters", "1" if style == "mp4" else "-1"),
            *("-fflags", "+bitexact", "-flags", "+bitexact"),
            *(("-movflags", "+faststart") if style == "mp4" else ()),
            *("-f", muxer, file_arg(target)),
        ],
        source,
        f"tagging the {target.suffix.lstrip('.')} alternate",
        stdin=ffmetadata(tags, duration),
    )
    audio: MP4 | Vorbis
    if style == "mp4":
        audio = MP4(target)
        for store, value in values(tags, "mp4"):
            store(audio, value)
    else:
        audio = FLAC(target) if style == "flac" else OggOpus(target)
        for store, value in values(tags, "vorbis"):
            store(audio, value)
    audio.save()


class TaggedAlternates:
    """The alternate encodings editors asked for (AAC, Opus, ...), tagged like the MP3."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        for row in renditions.alternates():
            rendition = context.audio.renditions.get(row.file)
            if rendition is None:
                continue
            key = key_of(
                "alternate", TAGGING_VERSION, rendition.path.parent.name, row.file, context.tags_key
            )
            relative = urls.versioned(urls.episode_audio(context.episode, row.suffix), key)

            def tagged(
                target: Path,
                source: Path = rendition.path,
                style: str = row.tags,
                duration: float = rendition.duration,
            ) -> None:
                tag_alternate(source, target, style, context.tags, duration)

            size = writer.produce(relative, key, tagged).stat().st_size
            # The audio's rate: the encoded file before its tags (a cover is not audio).
            audio_bytes = rendition.path.stat().st_size
            bitrate = round(audio_bytes * 8 / rendition.duration) if rendition.duration else 0
            files.alternates.append(AlternateAudio(relative, row.mime, size, bitrate, row.title))
