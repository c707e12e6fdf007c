"""Tags on the alternates (M4A, Opus, FLAC): the same facts and chapters the MP3 carries.

ffmpeg copies the audio and writes the text tags (and, in MP4, the chapters as a chapter track),
reading an FFMETADATA document from its standard input; mutagen then adds the cover (MP4
`covr`, a FLAC picture, or in Ogg a `METADATA_BLOCK_PICTURE` comment, which ffmpeg's Ogg muxer
cannot write), and chapters as Vorbis comments `CHAPTERxxx`/`CHAPTERxxxNAME` (ffmpeg 5.1 writes
their times one second late). Deterministic: the same input gives the same bytes. The style
comes from the rendition table (`tags`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

from mutagen.flac import FLAC, Picture
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus

from podcast.audio import renditions
from podcast.audio.tools import file_arg, run
from podcast.outputs import urls
from podcast.outputs.chapters import TimedChapter
from podcast.outputs.id3 import TAGGING_VERSION, EpisodeTags
from podcast.outputs.published import AlternateAudio
from podcast.outputs.timecode import clock
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


def ffmetadata(tags: EpisodeTags, chapters: list[TimedChapter]) -> str:
    """The episode's tags and chapters as an FFMETADATA1 document."""
    fields = {
        "title": tags.title,
        "artist": tags.artist,
        "album_artist": tags.artist,
        "album": tags.show,
        "date": tags.date,
        "genre": "Podcast",
        "track": str(tags.number),
        "comment": tags.summary,
        "copyright": tags.copyright,
    }
    lines = [";FFMETADATA1", *(f"{key}={_escape(value)}" for key, value in fields.items())]
    for chapter in chapters:
        lines += [
            "",
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(chapter.start * 1000)}",
            f"END={round(chapter.end * 1000)}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def tag_alternate(
    source: Path, target: Path, style: str, tags: EpisodeTags, chapters: list[TimedChapter]
) -> None:
    """Write `target`: the audio of `source` with tags, chapters and cover in `style` (the
    rendition table's tag style: mp4, ogg or flac)."""
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
        stdin=ffmetadata(tags, chapters),
    )
    if style == "mp4":
        audio = MP4(target)
        audio["covr"] = [MP4Cover(tags.cover_jpeg, imageformat=MP4Cover.FORMAT_JPEG)]
        audio.save()
        return
    picture = Picture()
    picture.type, picture.mime, picture.desc = 3, "image/jpeg", "Cover"
    picture.data = tags.cover_jpeg
    vorbis: OggOpus | FLAC
    if style == "flac":
        vorbis = FLAC(target)
        vorbis.add_picture(picture)
    else:
        vorbis = OggOpus(target)
        vorbis["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]
    for index, chapter in enumerate(chapters):
        vorbis[f"CHAPTER{index:03d}"] = [clock(chapter.start, millis=True)]
        vorbis[f"CHAPTER{index:03d}NAME"] = [chapter.title]
    vorbis.save()


class TaggedAlternates:
    """The alternate encodings editors asked for (AAC, Opus, ...), tagged like the MP3."""

    for_radio_only = False

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        for row in renditions.alternates():
            rendition = context.audio.renditions.get(row.file)
            if rendition is None:
                continue
            key = key_of(
                "alternate", TAGGING_VERSION, rendition.path.parent.name, row.file, context.tags_key
            )
            relative = urls.versioned(urls.episode_audio(context.episode, row.suffix), key)

            def tagged(target: Path, source: Path = rendition.path, style: str = row.tags) -> None:
                tag_alternate(source, target, style, context.tags, context.chapters)

            size = writer.produce(relative, key, tagged).stat().st_size
            bitrate = round(size * 8 / rendition.duration) if rendition.duration else 0
            files.alternates.append(AlternateAudio(relative, row.mime, size, bitrate, row.title))
