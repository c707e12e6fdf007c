"""Broadcast WAV metadata: a `bext` chunk (EBU Tech 3285 v2, with loudness) and LIST/INFO.

The WAV is copied chunk by chunk (the audio streamed, never held in memory) with the metadata
chunks placed between `fmt ` and `data`, where broadcast tools look first.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from podcast.errors import PodcastError
from podcast.show.text import to_ascii

BEXT_VERSION = 2


@dataclass(frozen=True)
class BroadcastInfo:
    """What goes into the bext and INFO chunks."""

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
    return _chunk(b"bext", body)


def info_chunk(info: BroadcastInfo) -> bytes:
    fields = [
        (b"INAM", info.title),
        (b"IART", info.artist),
        (b"ICMT", info.comment),
        (b"ICRD", info.created),
        (b"ICOP", info.copyright),
    ]
    # RIFF INFO declares no encoding: tools read it as UTF-8 (ffmpeg) or Windows-1252 (much
    # broadcast software). ASCII with German letters spelled out reads the same in all of them.
    body = b"INFO" + b"".join(
        _chunk(key, to_ascii(value).encode() + b"\0") for key, value in fields
    )
    return _chunk(b"LIST", body)


def _chunk(chunk_id: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return chunk_id + struct.pack("<I", len(body)) + body + pad


def _chunks(handle: BinaryIO, end: int) -> list[tuple[bytes, int, int]]:
    """(id, offset of body, size) of each top-level chunk."""
    found = []
    position = 12
    while position + 8 <= end:
        handle.seek(position)
        header = handle.read(8)
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        found.append((chunk_id, position + 8, size))
        position += 8 + size + (size % 2)
    return found


WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_EXTENSIBLE = 1, 3, 0xFFFE
# (format, bits per sample) of the sample layouts that can be read as they are stored.
PLAIN_SAMPLES = {
    (WAVE_FORMAT_PCM, 16): "s16",
    (WAVE_FORMAT_PCM, 32): "s32",
    (WAVE_FORMAT_IEEE_FLOAT, 32): "f32",
}


@dataclass(frozen=True)
class PcmData:
    """Where a WAV file keeps its samples, and how they are stored."""

    offset: int
    size: int
    channels: int
    rate: int
    sample_format: str  # "s16", "s32" (integers) or "f32" (floats), little-endian, interleaved


def pcm_data(path: Path) -> PcmData | None:
    """The sample data of a plain WAV file (16- or 32-bit integers, 32-bit floats), or None
    for anything else (other formats, other sample layouts, unreadable headers)."""
    try:
        with path.open("rb") as handle:
            end = os.fstat(handle.fileno()).st_size
            header = handle.read(12)
            if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                return None
            chunks = {chunk_id: (offset, size) for chunk_id, offset, size in _chunks(handle, end)}
            if b"fmt " not in chunks or b"data" not in chunks:
                return None
            handle.seek(chunks[b"fmt "][0])
            fmt = handle.read(min(chunks[b"fmt "][1], 40))
    except OSError:
        return None
    if len(fmt) < 16:
        return None
    tag, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        valid_bits, tag = struct.unpack("<H4xH", fmt[18:26])
        if valid_bits != bits:
            return None
    sample_format = PLAIN_SAMPLES.get((tag, bits))
    if sample_format is None or channels == 0 or block_align != channels * bits // 8:
        return None
    offset, size = chunks[b"data"]
    # Recorders that were cut off leave a size their data never reached, or none at all (0).
    size = end - offset if size == 0 else min(size, end - offset)
    return PcmData(offset, size - size % block_align, channels, rate, sample_format)


# Room kept free (a JUNK chunk) before the samples of a rendered WAV: the bext and INFO chunks
# go there when it is first published, so the hour of audio is not copied to publish it.
METADATA_ROOM = 16384
RIFF_LIMIT = 0xFFFFFFFF


def wav_header(channels: int, rate: int, bits: int, data_size: int = 0) -> bytes:
    """The header of a PCM WAV file with METADATA_ROOM before its `data_size` bytes."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", WAVE_FORMAT_PCM, channels, rate, rate * block, block, bits)
    chunks = _chunk(b"fmt ", fmt) + _chunk(b"JUNK", bytes(METADATA_ROOM))
    riff_size = 4 + len(chunks) + 8 + data_size + data_size % 2
    if riff_size > RIFF_LIMIT:
        raise PodcastError(f"{data_size} bytes of audio do not fit a WAV file (4 GB at most)")
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + chunks
        + b"data"
        + struct.pack("<I", data_size)
    )


WAV_HEADER_SIZE = 12 + 8 + 16 + 8 + METADATA_ROOM + 8  # RIFF, fmt, JUNK, data header


def finish_wav(handle: BinaryIO) -> None:
    """Write the sizes into the header of a WAV file begun with `wav_header` (no size) and
    the samples appended (open for reading and writing)."""
    data_size = handle.seek(0, os.SEEK_END) - WAV_HEADER_SIZE
    if data_size % 2:
        handle.write(b"\0")
    handle.seek(0)
    _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", handle.read(36)[20:36])
    handle.seek(0)
    handle.write(wav_header(channels, rate, bits, data_size))


def fill_metadata_room(path: Path, info: BroadcastInfo) -> bool:
    """Write the bext and INFO chunks into the room a rendered WAV keeps for them, in place
    (so only in a file nothing else shows). False if it has no such room, or too little.

    The file's modification time is kept: it still identifies the rendered samples.
    """
    metadata = _metadata(info)
    with path.open("r+b") as handle:
        stat = os.fstat(handle.fileno())
        chunks = _chunks(handle, stat.st_size)
        names = [chunk_id for chunk_id, _, _ in chunks]
        if names[:1] != [b"fmt "] or b"data" not in names:
            return False
        room = chunks[1 : names.index(b"data")]  # JUNK, or what an earlier filling left
        if not room or any(chunk_id not in (b"bext", b"LIST", b"JUNK") for chunk_id, *_ in room):
            return False
        start, end = room[0][1] - 8, chunks[names.index(b"data")][1] - 8
        if len(metadata) != end - start:
            return False
        handle.seek(start)
        handle.write(metadata)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return True


def _metadata(info: BroadcastInfo) -> bytes:
    """The bext and INFO chunks, padded with a JUNK chunk to fill METADATA_ROOM where they
    fit: a file gets the same bytes whether its metadata was filled in or copied."""
    chunks = bext_chunk(info) + info_chunk(info)
    room = METADATA_ROOM + 8  # the JUNK chunk of a rendered WAV, header included
    if len(chunks) + 8 <= room:
        chunks += _chunk(b"JUNK", bytes(room - len(chunks) - 8))
    return chunks


def write_broadcast_wav(source: Path, target: Path, info: BroadcastInfo) -> None:
    """Copy `source` to `target` with bext and LIST/INFO chunks (replacing any it had)."""
    with source.open("rb") as src:
        header = src.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise PodcastError(
                f"{source}: not a RIFF WAVE file (RF64 files over 4 GB keep no broadcast metadata)"
            )
        chunks = _chunks(src, source.stat().st_size)
        kept = [c for c in chunks if c[0] not in (b"bext", b"LIST", b"JUNK", b"data")]
        data = [c for c in chunks if c[0] == b"data"]
        if not data:
            raise PodcastError(f"{source}: the WAV file has no data chunk")
        extra = _metadata(info)
        kept_bytes = b""
        for chunk_id, offset, size in kept:
            src.seek(offset)
            kept_bytes += _chunk(chunk_id, src.read(size))
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
