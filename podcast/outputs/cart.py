"""The AES46 `cart` chunk of a broadcast WAV: what a playout system (Rivendell, mAirList, ENCO,
Myriad) files a cart under, without anyone typing it in.

The fixed part is 2048 bytes (AES46-2002, the offsets Rivendell's importer reads in
lib/rdwavefile.cpp): Version "0101", Title, Artist, CutID, ClientID, Category, Classification,
OutCue (64 bytes each), StartDate/StartTime and EndDate/EndTime (yyyy-mm-dd, hh:mm:ss: the air
window), ProducerAppID/Version, UserDef (64 each), LevelReference (a dword), eight post timers
(a four-letter name and a dword sample position), 276 reserved bytes, URL (1024); then TagText,
as long as it needs. Every text field is ASCII (names transliterated, show/text.py).

The timers are the ones Rivendell reads: `AUDs`/`AUDe` (audio start and end), `INTs`/`INTe`
(the talk-over intro: where the intro music ends and speech starts), `SEGs`/`SEGe` (the segue:
where the outro begins, to the end).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from podcast import __version__
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.timeline import Timeline
from podcast.audio.wav import riff_chunk
from podcast.outputs import urls
from podcast.outputs.timecode import clock, long_date_time
from podcast.show.text import to_ascii

if TYPE_CHECKING:
    from podcast.outputs.chapters import TimedChapter
    from podcast.outputs.context import EpisodeContext
    from podcast.show.model import Episode, Show
    from podcast.show.transcripts import Cue

CART_VERSION = "0101"
CART_FIXED_SIZE = 2048
# The sample value of 0 dBFS full scale, as Rivendell writes it (AES46: dwLevelReference).
LEVEL_REFERENCE = 0x8000
TAG_TEXT_LIMIT = 8192  # bytes: the chunk has to fit the room a rendered WAV keeps (audio/wav.py)
NO_END = datetime(9999, 12, 31, 23, 59, 59)  # "no end" as Rivendell writes it


@dataclass(frozen=True)
class CartInfo:
    """The values of a cart chunk; its repr is part of the published WAV's key."""

    title: str
    artist: str
    cut_id: str
    client_id: str
    category: str
    classification: str
    out_cue: str
    start: datetime  # the air window, as local time (the cart knows no time zone)
    end: datetime
    user_def: str
    timers: tuple[tuple[str, int], ...]  # (name, sample) at most eight
    url: str
    tag_text: str


def _text(value: str, size: int) -> bytes:
    return to_ascii(value).encode()[:size].ljust(size, b"\0")


def cart_chunk(info: CartInfo) -> bytes:
    """The `cart` chunk (header included) of `info`."""
    timers = b"".join(
        name.encode("ascii")[:4].ljust(4, b" ") + struct.pack("<I", sample)
        for name, sample in info.timers[:8]
    ).ljust(64, b"\0")
    fixed = b"".join(
        [
            CART_VERSION.encode(),
            _text(info.title, 64),
            _text(info.artist, 64),
            _text(info.cut_id, 64),
            _text(info.client_id, 64),
            _text(info.category, 64),
            _text(info.classification, 64),
            _text(info.out_cue, 64),
            info.start.strftime("%Y-%m-%d%H:%M:%S").encode(),
            info.end.strftime("%Y-%m-%d%H:%M:%S").encode(),
            _text("podcast", 64),
            _text(__version__, 64),
            _text(info.user_def, 64),
            struct.pack("<I", LEVEL_REFERENCE),
            timers,
            bytes(276),
            _text(info.url, 1024),
        ]
    )
    assert len(fixed) == CART_FIXED_SIZE
    tag_text = to_ascii(info.tag_text).replace("\r\n", "\n").replace("\n", "\r\n")
    return riff_chunk(b"cart", fixed + tag_text.encode()[:TAG_TEXT_LIMIT] + b"\0")


def programme_timers(timeline: Timeline, duration: float) -> tuple[tuple[str, int], ...]:
    """The post timers where the programme has them, in samples of the broadcast WAV."""

    def sample(seconds: float) -> int:
        return max(0, round(seconds * BROADCAST_RATE))

    timers = [("AUDs", 0), ("AUDe", sample(duration))]
    pieces = timeline.pieces
    speech = [p for p in pieces if p.kind == "recording"]
    if pieces[0].kind == "intro" and speech:
        # The intro fades out over the crossfade into the first recording: speech from there.
        timers += [("INTs", 0), ("INTe", sample(speech[0].published_start + speech[0].crossfade))]
    if pieces[-1].kind == "outro":
        timers += [("SEGs", sample(pieces[-1].published_start)), ("SEGe", sample(duration))]
    return tuple(timers)


def out_cue(episode: Episode, cues: list[Cue]) -> str:
    """The last words heard (the transcript's), else the back-announcement's: what a presenter
    waits for. At most 64 ASCII characters, cut at a word."""
    text = cues[-1].text if cues else (episode.meta.back_announcement or "")
    words = " ".join(to_ascii(text).split())
    if len(words) <= 64:
        return words
    tail = words[-61:]
    return "..." + tail[tail.find(" ") + 1 :] if " " in tail else "..." + tail


def tag_text(
    show: Show, episode: Episode, chapters: list[TimedChapter], strings: dict[str, Any]
) -> str:
    """The programme sheet as text, for the cart's TagText (words from the theme's
    lang/<language>.toml)."""
    meta = episode.meta
    lines = [f"{show.config.title}: {meta.title}", f"{strings['episode']} {meta.number}"]
    if meta.radio_release is not None and meta.radio_release < meta.date:
        # Sperrfrist: released to radio partners before the public, not to be aired earlier.
        lines.append(f"{strings['embargo']} {long_date_time(meta.date)}")
    lines += ["", f"{strings['summary']}:", meta.summary]
    if meta.announcement:
        lines += ["", f"{strings['announcement']}:", meta.announcement]
    if meta.back_announcement:
        lines += ["", f"{strings['back_announcement']}:", meta.back_announcement]
    if chapters:
        lines += ["", f"{strings['chapters']}:"] + [f"{clock(c.start)} {c.title}" for c in chapters]
    lines += ["", f"{strings['licence']}: {show.config.license}"]
    lines += [f"{strings['contact']}: {show.config.owner.name} <{show.config.owner.email}>"]
    return "\n".join(lines)


def air_window(episode: Episode) -> tuple[datetime, datetime]:
    """From the radio release (else the public date) to the end of the airing rights, as the
    local times the editors wrote."""
    meta = episode.meta
    start = (meta.radio_release or meta.date).replace(tzinfo=None)
    end = meta.radio_until.replace(tzinfo=None) if meta.radio_until is not None else NO_END
    return start, end


def episode_cart(context: EpisodeContext, duration: float, cut_id: str | None = None) -> CartInfo:
    """The cart chunk of an episode's broadcast WAV (`cut_id`: a partner's, else the number
    and folder name, as bext's originator reference)."""
    show, episode = context.show, context.episode
    config, meta = show.config, episode.meta
    start, end = air_window(episode)
    # Released to radio before its date, the episode has no page until then: radio.xml answers
    # (and lists it from its date). Not switched at the date: the file delivered under embargo
    # stays the same, so no partner is sent it again.
    early = meta.radio_release is not None and meta.radio_release < meta.date
    page = urls.RADIO_FEED if early else urls.episode_page(episode)
    return CartInfo(
        title=meta.title,
        artist=config.author,
        cut_id=cut_id or f"{meta.number:04d}-{episode.slug}",
        client_id=config.owner.name,
        category="PODCAST",
        classification=config.title,
        out_cue=out_cue(episode, context.cues),
        start=start,
        end=end,
        user_def=episode.guid,
        timers=programme_timers(context.audio.timeline, duration),
        url=urls.absolute(show, page),
        tag_text=tag_text(show, episode, context.chapters, context.strings),
    )
