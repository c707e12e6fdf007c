"""The rendition table: every kind of audio file a build makes, one row each.

A row says everything that differs between renditions: the name editors use for it
(`alternate_encodings = ["aac"]`), its file and MIME type, the title apps show, who it is for
(listeners or radio), its sample rate, encoder arguments, container, and how it is tagged. The
render (specs), the build (alternates and their tags), feed validation and `podcast serve`
(MIME types) all read this table. Adding an encoding is one row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from podcast.show.schema import AudioSettings

PODCAST_RATE = 44100
BROADCAST_RATE = 48000

# How a finished file gets its tags: ID3 (MP3), MP4 atoms, Vorbis comments in Ogg or FLAC,
# bext/INFO chunks (broadcast WAV).
TagStyle = Literal["id3", "mp4", "ogg", "flac", "bwf"]


@dataclass(frozen=True)
class Rendition:
    """One row of the table."""

    key: str  # the name in podcast.toml (`alternate_encodings`)
    file: str  # the file name in the render cache: "podcast.mp3"
    mime: str
    title: str  # what apps show for an alternate enclosure
    audience: Literal["listeners", "radio"]
    sample_rate: int
    encoder: Callable[[AudioSettings], tuple[str, ...]]  # ffmpeg's codec arguments
    muxer: str
    tags: TagStyle
    muxer_options: tuple[tuple[str, str], ...] = ()
    # A container the encoded audio can be streamed in for measuring while it is written (the
    # same packets, without the file's seekable headers); empty: the muxer itself.
    stream_muxer: str = ""

    @property
    def suffix(self) -> str:
        return PurePath(self.file).suffix


def _stereo(settings: AudioSettings) -> bool:
    return settings.channels == "stereo"


MP3 = Rendition(
    key="mp3",
    file="podcast.mp3",
    mime="audio/mpeg",
    title="MP3",
    audience="listeners",
    sample_rate=PODCAST_RATE,
    encoder=lambda s: ("-c:a", "libmp3lame", "-b:a", f"{s.mp3_bitrate}k"),
    muxer="mp3",
    tags="id3",
    muxer_options=(("write_xing", "1"), ("id3v2_version", "0"), ("write_id3v1", "0")),
)
AAC = Rendition(
    key="aac",
    file="podcast.m4a",
    mime="audio/mp4",
    title="AAC",
    audience="listeners",
    sample_rate=PODCAST_RATE,
    encoder=lambda s: ("-c:a", "aac", "-b:a", "96k" if _stereo(s) else "64k"),
    muxer="mp4",
    tags="mp4",
    muxer_options=(("movflags", "+faststart"),),
    stream_muxer="adts",
)
OPUS = Rendition(
    key="opus",
    file="podcast.opus",
    mime="audio/opus",
    title="Opus",
    audience="listeners",
    sample_rate=BROADCAST_RATE,  # Opus runs at 48 kHz
    encoder=lambda s: ("-c:a", "libopus", "-b:a", "64k" if _stereo(s) else "32k"),
    muxer="ogg",
    tags="ogg",
)
BROADCAST_WAV = Rendition(
    key="broadcast",
    file="broadcast.wav",
    mime="audio/wav",
    title="WAV (EBU R128)",
    audience="radio",
    sample_rate=BROADCAST_RATE,
    encoder=lambda s: ("-c:a", "pcm_s24le" if s.broadcast_bits == 24 else "pcm_s16le"),
    muxer="wav",
    tags="bwf",
)

# The podcast MP3 comes first: it is the enclosure; the rest are alternates or for radio.
RENDITIONS: tuple[Rendition, ...] = (MP3, AAC, OPUS, BROADCAST_WAV)


def alternates() -> list[Rendition]:
    """The renditions for listeners besides the MP3, which editors can ask for."""
    return [r for r in RENDITIONS if r.audience == "listeners" and r is not MP3]


def by_file(file: str) -> Rendition:
    """The row of a rendition by its file name in the render cache."""
    return next(r for r in RENDITIONS if r.file == file)


def mime_types() -> dict[str, str]:
    """MIME type by file suffix, for every rendition."""
    return {r.suffix: r.mime for r in RENDITIONS}


@dataclass(frozen=True)
class RenditionSpec:
    """What one output should be: file name, loudness target, encoder and container.

    `stream_muxer` is a container the encoded audio can be streamed in (for measuring it while
    it is written): the same packets as the file, without the file's seekable headers.
    """

    name: str
    target_lufs: float
    ceiling_dbtp: float
    sample_rate: int
    channels: int
    codec_args: tuple[str, ...]
    muxer: str
    muxer_options: tuple[tuple[str, str], ...] = ()
    stream_muxer: str = ""

    @property
    def lossless(self) -> bool:
        """PCM in WAV: what is encoded is exactly what was filtered."""
        return self.muxer == "wav"

    @property
    def layout(self) -> str:
        return "stereo" if self.channels == 2 else "mono"

    @property
    def sample_bits(self) -> int:
        """Bits per sample of a PCM rendition (pcm_s24le: 24)."""
        return int(re.sub(r"\D", "", self.codec_args[-1]))

    def tee_target(self) -> str:
        """A tee muxer target: the file (named as the rendition) and standard output."""
        options = "".join(f":{key}={value}" for key, value in self.muxer_options)
        return f"[f={self.muxer}{options}]{self.name}|[f={self.stream_muxer or self.muxer}]pipe\\:1"


def rendition_specs(settings: AudioSettings) -> list[RenditionSpec]:
    """The renditions the show's settings ask for, from the rendition table: the MP3, the
    alternates named in `alternate_encodings`, and the broadcast WAV unless switched off."""
    specs = []
    for rendition in RENDITIONS:
        if rendition.audience == "radio":
            if not settings.broadcast:
                continue
            target, channels = settings.broadcast_lufs, 2
        else:
            if rendition is not MP3 and rendition.key not in settings.alternate_encodings:
                continue
            target, channels = settings.podcast_target, 2 if settings.channels == "stereo" else 1
        specs.append(
            RenditionSpec(
                rendition.file,
                target,
                settings.true_peak,
                rendition.sample_rate,
                channels,
                rendition.encoder(settings),
                rendition.muxer,
                rendition.muxer_options,
                rendition.stream_muxer,
            )
        )
    return specs
