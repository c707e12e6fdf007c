"""WAV files at the byte level: their chunks, where plain PCM samples sit (for metering them
straight from the file), and the header a render writes before ffmpeg's samples, with room
for broadcast metadata."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from podcast.errors import PodcastError


def riff_chunk(chunk_id: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return chunk_id + struct.pack("<I", len(body)) + body + pad


def list_chunks(handle: BinaryIO, end: int) -> list[tuple[bytes, int, int]]:
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


def _layout(path: Path) -> tuple[int, tuple[int, int], bytes] | None:
    """A WAV file's size, its data chunk (offset, size as written) and the start of its fmt
    chunk (at least 16 bytes); None for anything that is not such a file."""
    try:
        with path.open("rb") as handle:
            end = os.fstat(handle.fileno()).st_size
            header = handle.read(12)
            if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                return None
            chunks = {
                chunk_id: (offset, size) for chunk_id, offset, size in list_chunks(handle, end)
            }
            if b"fmt " not in chunks or b"data" not in chunks:
                return None
            handle.seek(chunks[b"fmt "][0])
            fmt = handle.read(min(chunks[b"fmt "][1], 40))
    except OSError:
        return None
    return (end, chunks[b"data"], fmt) if len(fmt) >= 16 else None


def pcm_data(path: Path) -> PcmData | None:
    """The sample data of a plain WAV file (16- or 32-bit integers, 32-bit floats), or None
    for anything else (other formats, other sample layouts, unreadable headers)."""
    layout = _layout(path)
    if layout is None:
        return None
    end, (offset, size), fmt = layout
    tag, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        valid_bits, tag = struct.unpack("<H4xH", fmt[18:26])
        if valid_bits != bits:
            return None
    sample_format = PLAIN_SAMPLES.get((tag, bits))
    if sample_format is None or channels == 0 or block_align != channels * bits // 8:
        return None
    # Recorders that were cut off leave a size their data never reached, or none at all (0).
    size = end - offset if size == 0 else min(size, end - offset)
    return PcmData(offset, size - size % block_align, channels, rate, sample_format)


def cut_off(path: Path) -> tuple[float, float] | None:
    """For a WAV file whose data chunk promises more samples than the file holds (a recorder
    that stopped mid-write, a copy that did not finish): (seconds promised, seconds held).
    None for anything else, including a size of 0 or 4 GiB - 1 (never written, or RF64)."""
    layout = _layout(path)
    if layout is None:
        return None
    end, (offset, size), fmt = layout
    byte_rate = struct.unpack("<I", fmt[8:12])[0]
    if byte_rate == 0 or size in (0, RIFF_LIMIT) or offset + size <= end:
        return None
    return size / byte_rate, max(0, end - offset) / byte_rate


# Room kept free (a JUNK chunk) before the samples of a rendered WAV: the bext and INFO chunks
# go there when it is first published, so the hour of audio is not copied to publish it.
METADATA_ROOM = 16384


RIFF_LIMIT = 0xFFFFFFFF


def wav_header(channels: int, rate: int, bits: int, data_size: int = 0) -> bytes:
    """The header of a PCM WAV file with METADATA_ROOM before its `data_size` bytes."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", WAVE_FORMAT_PCM, channels, rate, rate * block, block, bits)
    chunks = riff_chunk(b"fmt ", fmt) + riff_chunk(b"JUNK", bytes(METADATA_ROOM))
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
