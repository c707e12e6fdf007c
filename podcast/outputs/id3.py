"""ID3 tags on the podcast MP3 (mutagen): the full set players and Apple's apps read. Which
frames carry what is the `id3` style of the tag table (outputs/tag_fields.py); here the tag
is saved and tidied the way readers expect it."""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.outputs import urls
from podcast.plan.cache import key_of

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

from mutagen.id3 import COMM, ID3, TALB, TDRC, TIT2, TPE1, TRCK

from podcast.outputs.tag_fields import WFED, EpisodeTags, iso639_2, values

__all__ = [
    "TAGGING_VERSION",
    "WFED",
    "AudioTags",
    "EpisodeTags",
    "TaggedMp3",
    "iso639_2",
    "write_audio_tags",
    "write_id3",
]

# Part of the key of every tagged file: change it when the tags written change.
TAGGING_VERSION = "5"


def write_id3(path: Path, tags: EpisodeTags, version: int = 3) -> None:
    """Replace any tag on `path` with a complete ID3v2 tag (v2.3 by default, or v2.4)."""
    id3 = ID3()
    for style, value in values(tags, "id3"):  # the frames of TAG_FIELDS (outputs/tag_fields.py)
        for frame in style(value, tags):
            id3.add(frame)
    if version == 3:
        id3.update_to_v23()  # TDRC -> TYER + TDAT: v2.3 readers know no TDRC
    id3.save(path, v2_version=version, padding=lambda info: 0)
    _tidy_tag(path)


@dataclass(frozen=True)
class AudioTags:
    """The ID3v2 tag of a partner's MP2 or MP3: what its playout system files it by."""

    title: str
    artist: str
    album: str  # the show
    track: int
    date: str  # the radio release (else the public date), yyyy-mm-dd
    comment: str  # the cut ID, and the Sperrfrist while there is one
    language: str


def write_audio_tags(path: Path, tags: AudioTags) -> None:
    """An ID3v2.3 tag at the start of an MP2 or MP3 (ffmpeg's MP2 muxer writes none; MPEG
    audio readers skip the tag)."""
    id3 = ID3()
    id3.add(TIT2(encoding=1, text=tags.title))
    id3.add(TPE1(encoding=1, text=tags.artist))
    id3.add(TALB(encoding=1, text=tags.album))
    id3.add(TRCK(encoding=1, text=str(tags.track)))
    id3.add(TDRC(encoding=1, text=tags.date))
    id3.add(COMM(encoding=1, lang=tags.language, desc="", text=tags.comment))
    id3.update_to_v23()  # TDRC -> TYER + TDAT: v2.3 readers know no TDRC
    id3.save(path, v2_version=3, padding=lambda info: 0)


def _tidy_tag(path: Path) -> None:
    """Rewrite the saved tag's frames in place the way readers expect them.

    mutagen orders frames by size, so CHAP frames land out of time order (ffmpeg and most
    players keep file order: a converted file gets wrong chapter titles); and it ends URLs with
    a NUL byte that readers keep as part of the URL. Here the chapter table (CTOC) and the CHAP
    frames, in time order, follow the other frames, and URL frames end with their URL. The tag
    keeps its size (what is saved becomes padding).
    """
    with path.open("r+b") as handle:
        header = handle.read(10)
        if header[:3] != b"ID3" or header[5] & 0x40:  # no tag, or an extended header
            return
        major, size = header[3], _syncsafe(header[6:10])
        body = handle.read(size)
        frames = _frames(body, major)
        chapters = sorted(
            (f for f in frames if f[0] == b"CHAP"), key=lambda f: _chapter_start(f[2])
        )
        ordered = [f for f in frames if f[0] not in (b"CHAP", b"CTOC")]
        ordered += [f for f in frames if f[0] == b"CTOC"] + chapters
        data = b"".join(_frame_bytes(f, major) for f in ordered)
        if len(data) > size:
            return
        if 0 < size - len(data) < FRAME_HEADER:
            # Padding shorter than a frame header reads as a frame of an illegal size
            # (music-metadata): the tag is written again without it, the audio after it.
            tidied = path.with_name(f".{path.name}.tidy")
            with tidied.open("wb") as out:
                out.write(header[:6] + _to_syncsafe(len(data)) + data)
                shutil.copyfileobj(handle, out)
            tidied.replace(path)
            return
        handle.seek(10)
        handle.write(data + bytes(size - len(data)))


Frame = tuple[bytes, bytes, bytes]  # id, flags, body
FRAME_HEADER = 10  # bytes: id, size, flags


def _syncsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


def _to_syncsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _frames(data: bytes, major: int) -> list[Frame]:
    """The frames of a tag body (or of a CHAP frame's sub-frames), URL frames tidied."""
    frames = []
    position = 0
    while position + 10 <= len(data) and data[position] != 0:
        frame_id, raw_size, flags = struct.unpack(">4s4s2s", data[position : position + 10])
        size = _syncsafe(raw_size) if major == 4 else int.from_bytes(raw_size, "big")
        body = data[position + 10 : position + 10 + size]
        position += 10 + size
        if frame_id.startswith(b"W") and body.endswith(b"\x00"):
            body = body[:-1]  # a URL ends the frame; no terminator
        elif frame_id == b"CHAP":
            head_end = body.index(b"\x00") + 1 + 16  # element id, start/end time and offset
            sub_frames = _frames(body[head_end:], major)
            body = body[:head_end] + b"".join(_frame_bytes(f, major) for f in sub_frames)
        frames.append((frame_id, flags, body))
    return frames


def _frame_bytes(frame: Frame, major: int) -> bytes:
    frame_id, flags, body = frame
    size = _to_syncsafe(len(body)) if major == 4 else len(body).to_bytes(4, "big")
    return frame_id + size + flags + body


def _chapter_start(body: bytes) -> int:
    start = body.index(b"\x00") + 1
    return int.from_bytes(body[start : start + 4], "big")


class TaggedMp3:
    """The podcast MP3 with its ID3 tag: the enclosure of the feed."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        mp3, tags = context.mp3, context.tags
        version = context.show.config.id3_version
        kept = context.episode.meta.media
        if kept is not None and kept.url is not None:  # imported, left where it is
            files.mp3, files.mp3_bytes = kept.url, kept.length or 0
            return

        def tagged(path: Path) -> None:
            shutil.copyfile(mp3.path, path)
            write_id3(path, tags, version)

        # Media are keyed by what went into them: an unchanged episode's files are linked
        # from the published folder instead of being copied and tagged again.
        key = key_of("id3", TAGGING_VERSION, mp3.path.parent.name, version, context.tags_key)
        files.mp3 = urls.versioned(urls.episode_mp3(context.episode), key)
        files.mp3_bytes = writer.produce(files.mp3, key, tagged).stat().st_size
