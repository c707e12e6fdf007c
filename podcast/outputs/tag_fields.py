"""One table of the tags every published audio file carries, and how each format stores them.

As beets' mediafile does it: a field (title, artist, date, cover, chapters...) is one row of
`TAG_FIELDS`, with the value it takes from `EpisodeTags` and a storage style per format:

- `id3`: the ID3v2 frames of the podcast MP3 (outputs/id3.py);
- `ffmetadata`: ffmpeg's key, which its muxers store as an MP4 atom (`title` -> `©nam`) or a
  Vorbis comment (`album_artist` -> `ALBUMARTIST`) in the alternates (outputs/alternate_tags.py);
- `mp4`, `vorbis`: what ffmpeg cannot write, added with mutagen (the cover; Vorbis chapters);
- `riff_info`: a RIFF INFO chunk of the broadcast WAV (outputs/bext.py).

A new field is one row; a new format (the cart chunk) is one more style on the rows it carries.
The order of the rows is the order the text fields are written in (ffmpeg keeps it in Ogg).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    COMM,
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
    Frame,
    TextFrame,
)
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus

from podcast.outputs.timecode import clock

if TYPE_CHECKING:
    from podcast.outputs.chapters import TimedChapter


@dataclass(frozen=True)
class EpisodeTags:
    """Every value an episode's audio files are tagged with (`TAG_FIELDS` says where)."""

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
    chapter_frames: list[Any] = field(default_factory=list)  # ID3 CTOC and CHAP frames
    # The chapters as the alternates store them; what they are is in `chapter_frames` already
    # (part of the files' keys through the repr), so they are left out of it.
    chapters: tuple[TimedChapter, ...] = field(default=(), repr=False, compare=False)


# Apple's podcast feed URL frame: iTunes (and eyeD3, ffmpeg) read WFED as a text frame, with an
# encoding byte, while mutagen knows it as a URL frame without one. A text frame named WFED.
WFED = type("WFED", (TextFrame,), {"__doc__": "Podcast feed URL (iTunes), as a text frame."})

Vorbis = OggOpus | FLAC  # files with Vorbis comments that ffmpeg tagged first
Id3Style = Callable[[Any, EpisodeTags], list[Frame]]  # (value, all tags) -> frames
Mp4Style = Callable[[MP4, Any], None]  # stores the value in the file mutagen opened
VorbisStyle = Callable[[Vorbis, Any], None]


@dataclass(frozen=True)
class RiffInfo:
    """A RIFF INFO chunk (`INAM`...) and the attribute of `BroadcastInfo` (outputs/bext.py)
    that carries its value into the WAV's key; the chunks follow those attributes' order."""

    chunk: bytes
    attribute: str


@dataclass(frozen=True)
class TagField:
    """One field of the table: its value (None: not written) and how each format stores it
    (None: the format does not carry it)."""

    name: str
    value: Callable[[EpisodeTags], Any]
    id3: Id3Style | None = None
    ffmetadata: str | None = None
    mp4: Mp4Style | None = None
    vorbis: VorbisStyle | None = None
    riff_info: RiffInfo | None = None


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
        "pt": "por",
        "ja": "jpn",
        "zh": "zho",
        "ko": "kor",
        "sv": "swe",
        "da": "dan",
        "no": "nor",
        "fi": "fin",
        "cs": "ces",
        "el": "ell",
        "he": "heb",
        "hi": "hin",
        "hu": "hun",
        "ro": "ron",
    }
    # A language not in the table: its own code if it has three letters, else ID3's (and ISO
    # 639-2's) "undetermined"; a two-letter code would not fit the frame (mutagen refuses it).
    found = codes.get(primary, primary)
    return found if len(found) == 3 and found.isalpha() else "und"


def _text(frame: type[TextFrame]) -> Id3Style:
    """A text frame (UTF-16, as ID3v2.3 readers all know it)."""
    return lambda value, tags: [frame(encoding=1, text=value)]


def _user_text(description: str) -> Id3Style:
    return lambda value, tags: [TXXX(encoding=1, desc=description, text=value)]


def _comment(value: str, tags: EpisodeTags) -> list[Frame]:
    return [COMM(encoding=1, lang=iso639_2(tags.language), desc="", text=value)]


def _lyrics(value: str, tags: EpisodeTags) -> list[Frame]:
    lang = iso639_2(tags.language)
    return [USLT(encoding=1, lang=lang, desc=tags.transcript_label, text=value)]


def _page_url(value: str, tags: EpisodeTags) -> list[Frame]:
    return [WOAS(url=value), WXXX(encoding=0, desc="", url=value)]


def _id3_cover(value: bytes, tags: EpisodeTags) -> list[Frame]:
    return [APIC(encoding=0, mime="image/jpeg", type=3, desc="Cover", data=value)]


def _mp4_cover(audio: MP4, value: bytes) -> None:
    audio["covr"] = [MP4Cover(value, imageformat=MP4Cover.FORMAT_JPEG)]


def _vorbis_cover(audio: Vorbis, value: bytes) -> None:
    """A FLAC picture block; in Ogg a `METADATA_BLOCK_PICTURE` comment (ffmpeg's Ogg muxer
    cannot write it)."""
    picture = Picture()
    picture.type, picture.mime, picture.desc = 3, "image/jpeg", "Cover"
    picture.data = value
    if isinstance(audio, FLAC):
        audio.add_picture(picture)
    else:
        audio["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]


def _vorbis_chapters(audio: Vorbis, value: tuple[TimedChapter, ...]) -> None:
    """`CHAPTERxxx`/`CHAPTERxxxNAME` comments (ffmpeg 5.1 writes their times a second late)."""
    for index, chapter in enumerate(value):
        audio[f"CHAPTER{index:03d}"] = [clock(chapter.start, millis=True)]
        audio[f"CHAPTER{index:03d}NAME"] = [chapter.title]


TAG_FIELDS: tuple[TagField, ...] = (
    TagField(
        "title", lambda t: t.title, _text(TIT2), "title", riff_info=RiffInfo(b"INAM", "title")
    ),
    TagField(
        "artist", lambda t: t.artist, _text(TPE1), "artist", riff_info=RiffInfo(b"IART", "artist")
    ),
    TagField("album_artist", lambda t: t.artist, ffmetadata="album_artist"),
    TagField("album", lambda t: t.show, _text(TALB), "album"),
    TagField("date", lambda t: t.date, _text(TDRC), "date", riff_info=RiffInfo(b"ICRD", "created")),
    TagField("genre", lambda t: "Podcast", _text(TCON), "genre"),
    TagField("track", lambda t: str(t.number), _text(TRCK), "track"),
    TagField(
        "comment", lambda t: t.summary, _comment, "comment", riff_info=RiffInfo(b"ICMT", "comment")
    ),
    TagField(
        "copyright",
        lambda t: t.copyright,
        _text(TCOP),
        "copyright",
        riff_info=RiffInfo(b"ICOP", "copyright"),
    ),
    TagField("disc", lambda t: None if t.season is None else str(t.season), _text(TPOS)),
    TagField("language", lambda t: iso639_2(t.language), _text(TLAN)),
    TagField("url", lambda t: t.page_url, _page_url),
    TagField("cover", lambda t: t.cover_jpeg, _id3_cover, mp4=_mp4_cover, vorbis=_vorbis_cover),
    TagField("lyrics", lambda t: t.transcript or None, _lyrics),
    TagField("loudness", lambda t: f"{t.loudness_lufs:.1f}", _user_text("LOUDNESS_LUFS")),
    TagField("true_peak", lambda t: f"{t.true_peak_dbtp:.1f}", _user_text("TRUE_PEAK_DBTP")),
    # The podcast frames Apple's apps read.
    TagField("podcast", lambda t: 1, lambda value, tags: [PCST(value=value)]),
    TagField("description", lambda t: t.description, _text(TDES)),
    TagField("guid", lambda t: t.guid, _text(TGID)),
    TagField("feed_url", lambda t: t.feed_url, lambda value, tags: [WFED(encoding=0, text=value)]),
    # ID3: a CTOC and CHAP frames (outputs/chapters.py); MP4: ffmpeg's chapter track, from the
    # FFMETADATA document (outputs/alternate_tags.py); Vorbis: CHAPTERxxx comments.
    TagField(
        "chapters",
        lambda t: t.chapters,
        lambda chapters, tags: list(tags.chapter_frames),
        vorbis=_vorbis_chapters,
    ),
)


def values(tags: EpisodeTags, style: str) -> list[tuple[Any, Any]]:
    """(style, value) of every field that `style` ("id3", "ffmetadata"...) stores and that has
    a value, in the table's order."""
    found = []
    for tag_field in TAG_FIELDS:
        storage = getattr(tag_field, style)
        if storage is None:
            continue
        value = tag_field.value(tags)
        if value is not None:
            found.append((storage, value))
    return found
