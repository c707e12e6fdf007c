"""Analysis of each segment before a render: duration, loudness, sample peak and the silence at
its head and tail, measured once per file content and cached."""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from podcast.audio.pipeline import ProcessGraph
from podcast.audio.probe import probe
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.tools import FFMPEG, ffmpeg_version, file_arg
from podcast.audio.wav import PcmData, pcm_data
from podcast.errors import ToolError
from podcast.plan.cache import Cache, key_of
from podcast.show.schema import AudioSettings

if TYPE_CHECKING:
    from podcast.audio.meter import Meter

ANALYSIS_VERSION = "5"


@dataclass(frozen=True)
class Segment:
    """One part of an episode's audio: a file, optionally cut to in/out points."""

    path: Path
    start: float | None = None
    end: float | None = None
    kind: Literal["intro", "recording", "jingle", "outro"] = "recording"


@dataclass(frozen=True)
class SegmentAnalysis:
    """What the analysis found in one segment (times in seconds, levels in LUFS and dBFS).

    Stored in the cache and in the build's manifest as a JSON object with these keys.
    """

    file: str
    kind: str
    format: str
    codec: str
    sample_rate: int
    channels: int
    duration: float  # of the part between the in and out points
    head_silence: float
    tail_silence: float
    integrated: float
    lra: float
    sample_peak: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# The shortest segment whose loudness can be measured: one 400 ms gating block (BS.1770).
MIN_DURATION_S = 0.4


# Evens out voices of different levels within a recording (windows of 3.75 s, at most +26 dB).
SPEECH_LEVELER = "dynaudnorm=f=250:g=15:p=0.9:m=20"
_SILENCE = re.compile(r"silence_(start|end): (-?[\d.]+)")


def format_chain(
    segment: Segment, layout: str, offset: float = 0.0, length: float | None = None
) -> list[str]:
    """Filters that cut a segment and bring it to the common rate and channel layout."""
    start = (segment.start or 0.0) + offset
    bounds = []
    if start > 0:
        bounds.append(f"start={start:.6f}")
    if length is not None:
        bounds.append(f"duration={length:.6f}")
    elif segment.end is not None:
        bounds.append(f"end={segment.end:.6f}")
    filters = [f"atrim={':'.join(bounds)}", "asetpts=PTS-STARTPTS"] if bounds else []
    return [
        *filters,
        f"aresample={BROADCAST_RATE}",
        f"aformat=sample_fmts=fltp:channel_layouts={layout}",
    ]


def is_cut(segment: Segment) -> bool:
    """Whether the segment uses only part of its file (in or out point)."""
    return (segment.start or 0.0) > 0 or segment.end is not None


def levels_speech(segment: Segment, settings: AudioSettings) -> bool:
    return settings.level_speech and segment.kind == "recording"


def _silences(log: str, duration: float) -> list[tuple[float, float]]:
    """(start, end) of each silence silencedetect reported; an open one runs to the end."""
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for kind, value in _SILENCE.findall(log):
        if kind == "start":
            start = max(0.0, float(value))
        elif start is not None:
            spans.append((start, min(duration, float(value))))
            start = None
    if start is not None:
        spans.append((start, duration))
    return spans


def analyse_segment(segment: Segment, settings: AudioSettings, cache: Cache) -> SegmentAnalysis:
    """Loudness, duration and leading/trailing silence of a segment; cached by content."""
    leveled = levels_speech(segment, settings)
    detect = (settings.silence_threshold_db, settings.silence_min_s)

    def key_for(digest: str) -> str:
        parts = (segment.start, segment.end, settings.channels, leveled, detect, ffmpeg_version())
        return key_of("segment", ANALYSIS_VERSION, digest, *parts)

    if cache.knows(segment.path):
        key = key_for(cache.digest(segment.path))
        cached = cache.get_json("analysis", key)
        if cached is not None:
            return SegmentAnalysis(**cached)
        data = _analyse(segment, settings.channels, leveled, detect)
    else:
        # A file not seen before (so most likely not analysed before either) is read for its
        # digest while it is measured.
        with ThreadPoolExecutor(max_workers=1) as reading:
            digest = reading.submit(cache.digest, segment.path)
            data = _analyse(segment, settings.channels, leveled, detect)
            key = key_for(digest.result())
    cache.put_json("analysis", key, data.as_json())
    return data


def _analyse(
    segment: Segment, layout: str, leveled: bool, detect: tuple[float, float]
) -> SegmentAnalysis:
    """Measure a segment (see analyse_segment); `detect` is the silence threshold (dB) and
    the shortest pause that counts (s)."""
    info = probe(segment.path)
    start = segment.start or 0.0
    end = min(segment.end, info.duration) if segment.end is not None else info.duration
    if end - start <= 0:
        raise ToolError(
            f"{segment.path}: the in point {start:.2f} s lies past the end of the recording "
            f"({info.duration:.2f} s); choose an earlier in point"
        )
    duration = end - start
    if duration < MIN_DURATION_S:
        raise ToolError(
            f"{segment.path}: only {duration:.2f} s of audio; loudness cannot be measured on less "
            f"than {MIN_DURATION_S} s (EBU R128 measures 400 ms blocks): use a longer clip"
        )
    channels = 2 if layout == "stereo" else 1
    if leveled:
        # The leveler lifts the noise floor of pauses: look for silence before it.
        chain = [*format_chain(segment, layout), f"silencedetect=n={detect[0]}dB:d={detect[1]}"]
        meter, log = _measure_decoded(segment, [*chain, SPEECH_LEVELER], channels, None)
    elif is_cut(segment) or info.channels != channels or info.sample_rate <= 0:
        meter, log = _measure_decoded(segment, format_chain(segment, layout), channels, detect[0])
    else:
        # Measured as recorded, at the recording's own rate: plain WAV straight from the
        # file, anything else as ffmpeg decodes it, without converting.
        pcm = pcm_data(segment.path)
        if pcm is not None and pcm.channels == channels:
            meter, log = _measure_pcm(segment.path, pcm, detect[0]), ""
        else:
            meter, log = _measure_decoded(
                segment, None, channels, detect[0], info.sample_rate, info.sample_format
            )
    loudness = meter.result()
    if loudness.silent:
        raise ToolError(
            f"{segment.path}: the recording is silent (loudness below {loudness.integrated} LUFS);"
            " check the export or the in/out points"
        )
    decoded = meter.frames / meter.rate
    if decoded < duration - max(1.0, 0.02 * duration):
        raise ToolError(
            f"{segment.path}: the file is truncated or damaged: its header promises "
            f"{duration:.1f} s but only {decoded:.1f} s can be decoded; export it again"
        )
    if leveled:
        silences = _silences(log, duration)
        head = silences[0][1] if silences and silences[0][0] <= 0.01 else 0.0
        tail = duration - silences[-1][0] if silences and silences[-1][1] >= duration - 0.05 else 0
    elif meter.first_loud is None or meter.last_loud is None:
        head, tail = duration, 0.0
    else:
        # Like silencedetect: only pauses of at least silence_min_s count.
        head = meter.first_loud / meter.rate
        tail = max(0.0, duration - (meter.last_loud + 1) / meter.rate)
        head, tail = (head if head >= detect[1] else 0.0), (tail if tail >= detect[1] else 0.0)
    return SegmentAnalysis(
        file=str(segment.path.name),
        kind=segment.kind,
        format=info.format_name,
        codec=info.codec,
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=round(duration, 6),
        head_silence=round(min(head, duration), 6),
        tail_silence=round(min(tail, duration - head), 6),
        integrated=loudness.integrated,
        lra=loudness.lra,
        sample_peak=loudness.peak,
    )


# Decoded sample formats handed to the meter as they are: ffmpeg's encoder, the raw muxer and
# the meter's name for them. Any other format is converted to 32-bit floats.
PCM_HANDOVER = {
    "s16": ("pcm_s16le", "s16le", "s16"),
    "s16p": ("pcm_s16le", "s16le", "s16"),
    "s32": ("pcm_s32le", "s32le", "s32"),
    "s32p": ("pcm_s32le", "s32le", "s32"),
}


FLOAT_HANDOVER = ("pcm_f32le", "f32le", "f32")


def _measure_decoded(
    segment: Segment,
    chain: list[str] | None,
    channels: int,
    silence_db: float | None,
    rate: int = BROADCAST_RATE,
    sample_format: str = "flt",
) -> tuple[Meter, str]:
    """Decode a segment, through the filters of `chain` (which must deliver `rate`), or as it
    is with `chain` None, and meter it beside ffmpeg (sample peak only; with `silence_db`, also
    where sound above that level starts and ends).

    Returns the meter and ffmpeg's log (where filters in the chain may report).
    """
    from podcast.audio.meter import measure_stream

    codec, muxer, meter_format = PCM_HANDOVER.get(sample_format, FLOAT_HANDOVER)
    if chain is None:
        selection = ["-map", "0:a:0"]
    else:
        filters = ",".join([*chain, "aformat=sample_fmts=flt"])
        selection = ["-filter_complex", f"[0:a]{filters}[out]", "-map", "[out]"]
    with ProcessGraph(segment.path, segment.path.parent) as graph:
        decoder = graph.start(
            "decoding",
            [
                *FFMPEG,
                "-v",
                "info",
                "-i",
                file_arg(segment.path),
                *selection,
                "-c:a",
                codec,
                "-f",
                muxer,
                "pipe:1",
            ],
            capture_stdout=True,
        )
        assert decoder.process.stdout is not None
        box = graph.read(
            "loudness measurement",
            decoder.process.stdout,
            functools.partial(
                measure_stream,
                rate=rate,
                channels=channels,
                true_peak=False,
                silence_db=silence_db,
                sample_format=meter_format,
            ),
        )
        graph.wait()
        meter: Meter = box[0]
        return meter, graph.logs()[0]


def _measure_pcm(path: Path, pcm: PcmData, silence_db: float) -> Meter:
    """Meter the samples of a plain WAV file, read straight from it."""
    from podcast.audio.meter import measure_stream

    try:
        with path.open("rb", buffering=0) as handle:
            handle.seek(pcm.offset)
            return measure_stream(
                handle,
                pcm.rate,
                pcm.channels,
                true_peak=False,
                silence_db=silence_db,
                sample_format=pcm.sample_format,
                limit=pcm.size,
            )
    except OSError as error:
        raise ToolError(f"{path}: cannot read the recording: {error.strerror}") from error
