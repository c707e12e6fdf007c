"""Broadcast WAV metadata: a `bext` chunk (EBU Tech 3285 v2, with loudness), an AES46 `cart`
chunk (outputs/cart.py) and LIST/INFO.

The WAV is copied chunk by chunk (the audio streamed, never held in memory) with the metadata
chunks placed between `fmt ` and `data`, where broadcast tools look first; a freshly rendered
WAV takes them in place, in the room its header keeps for them (audio/wav.py).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from podcast import __version__
from podcast.audio.render import RenditionResult
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.wav import METADATA_ROOM, list_chunks, riff_chunk
from podcast.errors import PodcastError
from podcast.outputs import urls
from podcast.outputs.cart import CartInfo, cart_chunk, episode_cart
from podcast.outputs.tag_fields import TAG_FIELDS, EpisodeTags, values
from podcast.outputs.writer import hard_link
from podcast.plan.cache import key_of
from podcast.show.model import Episode, Show
from podcast.show.text import to_ascii

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter

BEXT_VERSION = 2


@dataclass(frozen=True)
class BroadcastInfo:
    """What goes into the bext and INFO chunks (the INFO values from the tag table: its
    `riff_info` style names the attribute of each, outputs/tag_fields.py). Its repr is part of
    the published file's key."""

    description: str
    originator: str
    originator_reference: str
    origination_date: str  # yyyy-mm-dd
    origination_time: str  # hh:mm:ss
    coding_history: str
    loudness_value: float
    loudness_range: float
    max_true_peak: float
    max_momentary: float
    max_short_term: float
    title: str
    artist: str
    comment: str
    created: str
    copyright: str
    cart: CartInfo | None = None  # the AES46 cart chunk (outputs/cart.py), if any


def _ascii(text: str, size: int) -> bytes:
    """Fixed-size ASCII field, NUL padded."""
    return to_ascii(text).encode()[:size].ljust(size, b"\0")


def _centi(value: float) -> int:
    """Loudness fields are int16 hundredths; -inf and absurd values clamp to the type's range."""
    if value != value or value == float("-inf"):
        return -32768
    return max(-32768, min(32767, round(value * 100)))


def bext_chunk(info: BroadcastInfo) -> bytes:
    body = b"".join(
        [
            _ascii(info.description, 256),
            _ascii(info.originator, 32),
            _ascii(info.originator_reference, 32),
            _ascii(info.origination_date, 10),
            _ascii(info.origination_time, 8),
            struct.pack("<II", 0, 0),  # TimeReference: the programme starts at sample 0
            struct.pack("<H", BEXT_VERSION),
            b"\0" * 64,  # UMID: none
            struct.pack(
                "<hhhhh",
                _centi(info.loudness_value),
                _centi(info.loudness_range),
                _centi(info.max_true_peak),
                _centi(info.max_momentary),
                _centi(info.max_short_term),
            ),
            b"\0" * 180,
            to_ascii(info.coding_history).encode() + b"\r\n",
        ]
    )
    return riff_chunk(b"bext", body)


def info_chunk(info: BroadcastInfo) -> bytes:
    """The LIST/INFO chunk: a sub-chunk per field of the tag table stored in RIFF INFO, in
    the order of their attributes here."""
    order = [f.name for f in fields(BroadcastInfo)]
    styles = sorted(
        (f.riff_info for f in TAG_FIELDS if f.riff_info is not None),
        key=lambda style: order.index(style.attribute),
    )
    chunks = [(style.chunk, str(getattr(info, style.attribute))) for style in styles]
    # RIFF INFO declares no encoding: tools read it as UTF-8 (ffmpeg) or Windows-1252 (much
    # broadcast software). ASCII with German letters spelled out reads the same in all of them.
    body = b"INFO" + b"".join(
        riff_chunk(key, to_ascii(value).encode() + b"\0") for key, value in chunks
    )
    return riff_chunk(b"LIST", body)


def fill_metadata_room(path: Path, info: BroadcastInfo) -> bool:
    """Write the bext, cart and INFO chunks into the room a rendered WAV keeps for them, in place
    (so only in a file nothing else shows). False if it has no such room, or too little.

    The file's modification time is kept: it still identifies the rendered samples.
    """
    metadata = _metadata(info)
    with path.open("r+b") as handle:
        stat = os.fstat(handle.fileno())
        chunks = list_chunks(handle, stat.st_size)
        names = [chunk_id for chunk_id, _, _ in chunks]
        if names[:1] != [b"fmt "] or b"data" not in names:
            return False
        room = chunks[1 : names.index(b"data")]  # JUNK, or what an earlier filling left
        if not room or any(
            chunk_id not in (b"bext", b"cart", b"LIST", b"JUNK") for chunk_id, *_ in room
        ):
            return False
        start, end = room[0][1] - 8, chunks[names.index(b"data")][1] - 8
        if len(metadata) != end - start:
            return False
        handle.seek(start)
        handle.write(metadata)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return True


def _metadata(info: BroadcastInfo) -> bytes:
    """The bext, cart and INFO chunks, padded with a JUNK chunk to fill METADATA_ROOM where they
    fit: a file gets the same bytes whether its metadata was filled in or copied."""
    cart = cart_chunk(info.cart) if info.cart is not None else b""
    chunks = bext_chunk(info) + cart + info_chunk(info)
    room = METADATA_ROOM + 8  # the JUNK chunk of a rendered WAV, header included
    if len(chunks) + 8 <= room:
        chunks += riff_chunk(b"JUNK", bytes(room - len(chunks) - 8))
    return chunks


def write_broadcast_wav(source: Path, target: Path, info: BroadcastInfo) -> None:
    """Copy `source` to `target` with bext, cart and LIST/INFO chunks (replacing any it had)."""
    with source.open("rb") as src:
        header = src.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise PodcastError(
                f"{source}: not a RIFF WAVE file (RF64 files over 4 GB keep no broadcast metadata)"
            )
        chunks = list_chunks(src, source.stat().st_size)
        kept = [c for c in chunks if c[0] not in (b"bext", b"cart", b"LIST", b"JUNK", b"data")]
        data = [c for c in chunks if c[0] == b"data"]
        if not data:
            raise PodcastError(f"{source}: the WAV file has no data chunk")
        extra = _metadata(info)
        kept_bytes = b""
        for chunk_id, offset, size in kept:
            src.seek(offset)
            kept_bytes += riff_chunk(chunk_id, src.read(size))
        _, data_offset, data_size = data[0]
        riff_size = 4 + len(kept_bytes) + len(extra) + 8 + data_size + (data_size % 2)
        with target.open("wb") as out:
            out.write(b"RIFF" + struct.pack("<I", riff_size) + b"WAVE")
            out.write(kept_bytes)
            out.write(extra)
            out.write(b"data" + struct.pack("<I", data_size))
            out.flush()
            _copy_range(src, out, data_offset, data_size, source)
            if data_size % 2:
                out.write(b"\0")


def _copy_range(src: BinaryIO, out: BinaryIO, offset: int, size: int, source: Path) -> None:
    """Append `size` bytes of `src` from `offset` to `out` (in the kernel where it can)."""
    copied = 0
    try:
        while copied < size:
            done = os.copy_file_range(src.fileno(), out.fileno(), size - copied, offset + copied)
            if done == 0:
                break
            copied += done
    except (OSError, AttributeError):
        pass  # another file system, an old kernel or not Linux: copy through this process
    out.seek(0, os.SEEK_END)
    src.seek(offset + copied)
    while copied < size:
        block = src.read(min(size - copied, 1 << 20))
        if not block:
            raise PodcastError(f"{source}: the WAV file is truncated")
        out.write(block)
        copied += len(block)


class BroadcastWav:
    """The broadcast WAV with bext, cart and INFO metadata, for radio partners."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        broadcast = context.broadcast
        if broadcast is None:
            return
        info = broadcast_info(context.show, context.episode, broadcast, context.tags)
        info = replace(info, cart=episode_cart(context, broadcast.duration))
        source = broadcast.path

        def with_metadata(path: Path) -> None:
            # A render published for the first time takes its metadata in place and is
            # linked (an hour of broadcast audio is a gigabyte: not copied, not written twice);
            # one already shown elsewhere is copied, so what was published never changes.
            if source.stat().st_nlink == 1 and hard_link(source, path):
                if fill_metadata_room(path, info):
                    return
                path.unlink()
            write_broadcast_wav(source, path, info)

        key = key_of("bwf", source.parent.name, repr(info))
        files.broadcast = urls.versioned(urls.episode_broadcast(context.episode), key)
        files.broadcast_bytes = writer.produce(files.broadcast, key, with_metadata).stat().st_size


def broadcast_info(
    show: Show, episode: Episode, result: RenditionResult, tags: EpisodeTags
) -> BroadcastInfo:
    """The broadcast metadata of an episode's WAV rendition."""
    config, meta, loudness = show.config, episode.meta, result.loudness
    bits = config.audio.broadcast_bits
    history = (
        f"A=PCM,F={BROADCAST_RATE},W={bits},M=stereo,T=podcast {__version__}; "
        f"EBU R128 {result.spec.target_lufs:g} LUFS"
    )
    info_values: dict[str, Any] = {
        style.attribute: str(value) for style, value in values(tags, "riff_info")
    }
    return BroadcastInfo(
        description=f"{config.title}: {meta.title}"[:256],
        originator=config.author[:32],
        originator_reference=f"{meta.number:04d}-{episode.slug}"[:32],
        # The radio's origination: its release to the partners, as the cart's StartDate.
        origination_date=(meta.radio_release or meta.date).strftime("%Y-%m-%d"),
        origination_time=(meta.radio_release or meta.date).strftime("%H:%M:%S"),
        coding_history=history,
        loudness_value=loudness.integrated,
        loudness_range=loudness.lra,
        max_true_peak=loudness.peak,
        max_momentary=loudness.max_momentary,
        max_short_term=loudness.max_short_term,
        **info_values,
    )
