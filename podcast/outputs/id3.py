"""ID3 tags on the podcast MP3 (mutagen): the full set players and Apple's apps read."""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.outputs import urls
from podcast.plan.cache import key_of

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

from mutagen.id3 import (
    APIC,
    COMM,
    ID3,
    PCST,
    TALB,
    TCON,
    TCOP,
    TDES,
    TDRC,
    TGID,
    TIT2,
    TLAN,
    TPE1,
    TPOS,
    TRCK,
    TXXX,
    USLT,
    WOAS,
    WXXX,
    TextFrame,
)

# Part of the key of every tagged file: change it when the tags written change.
TAGGING_VERSION = "4"

# Apple's podcast feed URL frame: iTunes (and eyeD3, ffmpeg) read WFED as a text frame, with an
# encoding byte, while mutagen knows it as a URL frame without one. A text frame named WFED.
WFED = type("WFED", (TextFrame,), {"__doc__": "Podcast feed URL (iTunes), as a text frame."})


@dataclass(frozen=True)
class EpisodeTags:
    """Everything written into the MP3's ID3 tag."""

    title: str
    artist: str
    show: str
    number: int
    season: int | None
    date: str
    language: str
    summary: str
    description: str
    copyright: str
    page_url: str
    feed_url: str
    guid: str
    cover_jpeg: bytes
    loudness_lufs: float
    true_peak_dbtp: float
    transcript: str | None = None
    transcript_label: str = "Transcript"  # USLT's description, in the episode's language
    chapter_frames: list[Any] = field(default_factory=list)


def iso639_2(language: str) -> str:
    """ID3's TLAN wants ISO 639-2 codes; map the common BCP 47 primaries."""
    primary = language.split("-")[0].lower()
    codes = {
        "de": "deu",
        "en": "eng",
        "fr": "fra",
        "es": "spa",
        "it": "ita",
        "tr": "tur",
        "ar": "ara",
        "pl": "pol",
        "ru": "rus",
        "uk": "ukr",
        "fa": "fas",
        "nl": "nld",
    }
    return codes.get(primary, primary)


def write_id3(path: Path, tags: EpisodeTags, version: int = 3) -> None:
    """Replace any tag on `path` with a complete ID3v2 tag (v2.3 by default, or v2.4)."""
    lang = iso639_2(tags.language)
    id3 = ID3()
    id3.add(TIT2(encoding=1, text=tags.title))
    id3.add(TPE1(encoding=1, text=tags.artist))
    id3.add(TALB(encoding=1, text=tags.show))
    id3.add(TRCK(encoding=1, text=str(tags.number)))
    if tags.season is not None:
        id3.add(TPOS(encoding=1, text=str(tags.season)))
    id3.add(TDRC(encoding=1, text=tags.date))  # becomes TYER + TDAT in a v2.3 tag
    id3.add(TCON(encoding=1, text="Podcast"))
    id3.add(TLAN(encoding=1, text=lang))
    id3.add(COMM(encoding=1, lang=lang, desc="", text=tags.summary))
    id3.add(TCOP(encoding=1, text=tags.copyright))
    id3.add(WOAS(url=tags.page_url))
    id3.add(WXXX(encoding=0, desc="", url=tags.page_url))
    id3.add(APIC(encoding=0, mime="image/jpeg", type=3, desc="Cover", data=tags.cover_jpeg))
    if tags.transcript:
        id3.add(USLT(encoding=1, lang=lang, desc=tags.transcript_label, text=tags.transcript))
    id3.add(TXXX(encoding=1, desc="LOUDNESS_LUFS", text=f"{tags.loudness_lufs:.1f}"))
    id3.add(TXXX(encoding=1, desc="TRUE_PEAK_DBTP", text=f"{tags.true_peak_dbtp:.1f}"))
    # The podcast frames Apple's apps read.
    id3.add(PCST(value=1))
    id3.add(TDES(encoding=1, text=tags.description))
    id3.add(TGID(encoding=1, text=tags.guid))
    id3.add(WFED(encoding=0, text=tags.feed_url))
    for frame in tags.chapter_frames:
        id3.add(frame)
    if version == 3:
        id3.update_to_v23()  # TDRC -> TYER + TDAT: v2.3 readers know no TDRC
    id3.save(path, v2_version=version, padding=lambda info: 0)
    _tidy_tag(path)


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
        handle.seek(10)
        handle.write(data + bytes(size - len(data)))


Frame = tuple[bytes, bytes, bytes]  # id, flags, body


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

    for_radio_only = False

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        mp3, tags = context.mp3, context.tags
        version = context.show.config.id3_version

        def tagged(path: Path) -> None:
            shutil.copyfile(mp3.path, path)
            write_id3(path, tags, version)

        # Media are keyed by what went into them: an unchanged episode's files are linked
        # from the published folder instead of being copied and tagged again.
        key = key_of("id3", TAGGING_VERSION, mp3.path.parent.name, version, context.tags_key)
        files.mp3 = urls.versioned(urls.episode_mp3(context.episode), key)
        files.mp3_bytes = writer.produce(files.mp3, key, tagged).stat().st_size
