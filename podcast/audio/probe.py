"""Facts about an audio file from ffprobe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from podcast.audio.tools import file_arg, run
from podcast.audio.wav import cut_off
from podcast.errors import ToolError, display_path


@dataclass(frozen=True)
class AudioInfo:
    """What ffprobe says about a file's first audio stream."""

    path: Path
    format_name: str
    codec: str
    sample_rate: int
    channels: int
    duration: float
    bit_rate: int | None
    sample_format: str = ""  # what the decoder produces: "s16", "s32", "fltp", ...
    # Tags of the container and the audio stream as ffmpeg names them (ID3, MP4 atoms, Vorbis
    # comments, bext and INFO chunks alike), and the chapters (start in seconds, title).
    tags: tuple[tuple[str, str], ...] = ()
    chapters: tuple[tuple[float, str], ...] = ()


def probe(path: Path) -> AudioInfo:
    """Probe `path`; raise ToolError naming it when ffprobe cannot read audio from it."""
    if path.stat().st_size == 0:
        raise ToolError(
            f"{display_path(path)}: the file is empty (0 bytes); export the recording again"
        )
    shown = display_path(path)
    try:
        result = run(
            [
                "ffprobe",
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                "-show_chapters",
                "-select_streams",
                "a:0",
                file_arg(path),
            ],
            shown,
            "reading the audio file",
        )
    except ToolError as exc:
        # ffprobe names the file again at the start of its own words
        raise ToolError(str(exc).replace(f"failed: {shown}: ", "failed: ")) from exc
    data = json.loads(result.stdout or "{}")
    streams = data.get("streams") or []
    if not streams:
        raise ToolError(f"{display_path(path)}: no audio stream found; is this an audio file?")
    stream, fmt = streams[0], data.get("format", {})
    duration = float(stream.get("duration") or fmt.get("duration") or 0.0)
    lengths = cut_off(path)
    if lengths is not None:
        # A WAV cut off while written: what it holds (ffprobe takes a float WAV's `fact`
        # chunk at its word, the length promised: an outside round's cut-off track failed the
        # build as damaged, where the warning says what is there is used)
        duration = min(duration, lengths[1]) if duration > 0 else lengths[1]
    if duration <= 0:
        raise ToolError(
            f"{display_path(path)}: the audio has no duration; the file may be truncated"
        )
    bit_rate = stream.get("bit_rate") or fmt.get("bit_rate")
    return AudioInfo(
        path=path,
        format_name=str(fmt.get("format_name", "")),
        codec=str(stream.get("codec_name", "")),
        sample_rate=int(stream.get("sample_rate", 0)),
        channels=int(stream.get("channels", 0)),
        duration=duration,
        bit_rate=int(bit_rate) if bit_rate else None,
        sample_format=str(stream.get("sample_fmt", "")),
        tags=tuple(
            sorted({**fmt.get("tags", {}), **stream.get("tags", {})}.items(), key=lambda t: t[0])
        ),
        chapters=tuple(
            (float(c.get("start_time", 0)), str(c.get("tags", {}).get("title", "")))
            for c in data.get("chapters") or []
        ),
    )
