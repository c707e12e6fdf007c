"""ID3 tags on the podcast MP3 (mutagen): the full set players and Apple's apps read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    WFED,
    WOAS,
    WXXX,
)


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
    # TDRC is converted to TYER (+TDAT) when saving as v2.3.
    id3.add(TDRC(encoding=1, text=tags.date))
    id3.add(TCON(encoding=1, text="Podcast"))
    id3.add(TLAN(encoding=1, text=lang))
    id3.add(COMM(encoding=1, lang=lang, desc="", text=tags.summary))
    id3.add(TCOP(encoding=1, text=tags.copyright))
    id3.add(WOAS(url=tags.page_url))
    id3.add(WXXX(encoding=0, desc="", url=tags.page_url))
    id3.add(APIC(encoding=0, mime="image/jpeg", type=3, desc="Cover", data=tags.cover_jpeg))
    if tags.transcript:
        id3.add(USLT(encoding=1, lang=lang, desc="Transkript", text=tags.transcript))
    id3.add(TXXX(encoding=1, desc="LOUDNESS_LUFS", text=f"{tags.loudness_lufs:.1f}"))
    id3.add(TXXX(encoding=1, desc="TRUE_PEAK_DBTP", text=f"{tags.true_peak_dbtp:.1f}"))
    # The podcast frames Apple's apps read.
    id3.add(PCST(value=1))
    id3.add(TDES(encoding=1, text=tags.description))
    id3.add(TGID(encoding=1, text=tags.guid))
    id3.add(WFED(url=tags.feed_url))
    for frame in tags.chapter_frames:
        id3.add(frame)
    id3.save(path, v2_version=version, padding=lambda info: 0)
