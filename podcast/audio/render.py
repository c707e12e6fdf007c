"""Render an episode's renditions, measure them, and correct until each is on target.

Each segment (intro, recordings, jingles, outro) is first brought to the programme loudness on
its own, so a quiet interview and a hot one sound alike. A minute of excerpts is rendered through
every rendition's limiter and encoder to predict how much loudness they take away; then each
rendition (podcast MP3, broadcast WAV, optional AAC and Opus) renders in its own ffmpeg process,
side by side, is measured after encoding (true peak included) and, if it still misses, is
rendered again with a corrected gain or a lower limiter ceiling.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from podcast.audio import renditions
from podcast.audio.loudness import Loudness
from podcast.audio.pipeline import Pipe, ProcessGraph
from podcast.audio.probe import probe
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.tools import ffmpeg_version, file_arg
from podcast.errors import ToolError
from podcast.outputs.bext import (
    RIFF_LIMIT,
    WAV_HEADER_SIZE,
    PcmData,
    finish_wav,
    pcm_data,
    wav_header,
)
from podcast.plan.cache import Cache, key_of
from podcast.show.model import AudioSettings

if TYPE_CHECKING:
    from podcast.audio.meter import Meter

RENDER_VERSION = "8"
ANALYSIS_VERSION = "5"
LOUDNESS_TOLERANCE_LU = 0.2
ACCEPTABLE_LU = 0.5
MAX_ATTEMPTS = 4
INITIAL_LIMITER_MARGIN_DB = 0.5
FFMPEG = ("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y")
RAW_PCM = ("-c:a", "pcm_f32le", "-f", "f32le")
# The encoders (LAME above all) are the longest chain of work in a render; the processes and
# threads around them yield to them, so an encoder never waits for a core (nice values).
FILTER_NICE, DECODER_NICE, METER_NICE = 3, 5, 10
STREAM_DEMUXERS = {"adts": "aac"}  # ffmpeg reads what its adts muxer writes as "aac"
BITEXACT = ("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact")


@dataclass(frozen=True)
class Segment:
    """One part of the programme: a file, optionally cut to in/out points."""

    path: Path
    start: float | None = None
    end: float | None = None
    kind: Literal["intro", "recording", "jingle", "outro"] = "recording"


@dataclass(frozen=True)
class Piece:
    """Where a segment lands in the published audio.

    `offset` and `length` select the part of the segment (after its in point) that is used;
    `published_start` is where it starts in the published file. For recordings, `joined_start`
    is where that part starts on the editors' timeline: the recordings joined, before silence
    was trimmed, without intro or jingles. Chapters and transcripts are written on that timeline.
    """

    kind: str
    offset: float
    length: float
    published_start: float
    joined_start: float | None
    crossfade: float = 0.0


@dataclass(frozen=True)
class Timeline:
    """Maps times on the editors' timeline to times in the published audio."""

    pieces: tuple[Piece, ...]

    @property
    def duration(self) -> float:
        last = self.pieces[-1]
        return last.published_start + last.length

    @property
    def joined_duration(self) -> float:
        recordings = [p for p in self.pieces if p.joined_start is not None]
        last = recordings[-1]
        assert last.joined_start is not None
        return last.joined_start + last.length

    def map(self, seconds: float) -> float:
        """The published time of `seconds` on the editors' timeline (clamped into speech)."""
        recordings = [p for p in self.pieces if p.joined_start is not None]
        for piece in recordings:
            assert piece.joined_start is not None
            if seconds < piece.joined_start + piece.length:
                inside = max(0.0, seconds - piece.joined_start)
                return round(piece.published_start + inside, 3)
        last = recordings[-1]
        return round(last.published_start + last.length, 3)


@dataclass(frozen=True)
class Programme:
    """What a render joins: the segments, where they land, and the gain that brings each to
    the programme loudness."""

    segments: list[Segment]
    timeline: Timeline
    segment_gains: list[float]
    settings: AudioSettings


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


@dataclass
class RenditionResult:
    """A rendered file with the measurements that prove it meets its target."""

    spec: RenditionSpec
    path: Path
    loudness: Loudness
    gain_db: float
    limiter_dbfs: float | None  # None: the peaks never came near the ceiling
    duration: float
    attempts: int

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "target_lufs": self.spec.target_lufs,
            "integrated_lufs": self.loudness.integrated,
            "true_peak_dbtp": self.loudness.true_peak,
            "lra_lu": self.loudness.lra,
            "max_momentary_lufs": self.loudness.max_momentary,
            "max_short_term_lufs": self.loudness.max_short_term,
            "gain_db": round(self.gain_db, 2),
            "limiter_dbfs": None if self.limiter_dbfs is None else round(self.limiter_dbfs, 2),
            "duration": self.duration,
            "attempts": self.attempts,
        }


@dataclass
class RenderResult:
    """All renditions of an episode plus the per-segment input measurements."""

    inputs: list[dict[str, Any]]
    timeline: Timeline
    renditions: dict[str, RenditionResult] = field(default_factory=dict)


def rendition_specs(settings: AudioSettings) -> list[RenditionSpec]:
    """The renditions the show's settings ask for, from the rendition table: the MP3, the
    alternates named in `alternate_encodings`, and the broadcast WAV unless switched off."""
    specs = []
    for rendition in renditions.RENDITIONS:
        if rendition.audience == "radio":
            if not settings.broadcast:
                continue
            target, channels = settings.broadcast_lufs, 2
        else:
            if (
                rendition is not renditions.MP3
                and rendition.key not in settings.alternate_encodings
            ):
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


# The shortest segment whose loudness can be measured: one 400 ms gating block (BS.1770).
MIN_DURATION_S = 0.4

# Evens out voices of different levels within a recording (windows of 3.75 s, at most +26 dB).
SPEECH_LEVELER = "dynaudnorm=f=250:g=15:p=0.9:m=20"
_SILENCE = re.compile(r"silence_(start|end): (-?[\d.]+)")


def _format_chain(
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


def _is_cut(segment: Segment) -> bool:
    """Whether the segment uses only part of its file (in or out point)."""
    return (segment.start or 0.0) > 0 or segment.end is not None


def _levels_speech(segment: Segment, settings: AudioSettings) -> bool:
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


def analyse_segment(segment: Segment, settings: AudioSettings, cache: Cache) -> dict[str, Any]:
    """Loudness, duration and leading/trailing silence of a segment; cached by content."""
    leveled = _levels_speech(segment, settings)
    detect = (settings.silence_threshold_db, settings.silence_min_s)

    def key_for(digest: str) -> str:
        parts = (segment.start, segment.end, settings.channels, leveled, detect, ffmpeg_version())
        return key_of("segment", ANALYSIS_VERSION, digest, *parts)

    if cache.knows(segment.path):
        key = key_for(cache.digest(segment.path))
        cached = cache.get_json("analysis", key)
        if cached is not None:
            return cached
        data = _analyse(segment, settings.channels, leveled, detect)
    else:
        # A file not seen before (so most likely not analysed before either) is read for its
        # digest while it is measured.
        with ThreadPoolExecutor(max_workers=1) as reading:
            digest = reading.submit(cache.digest, segment.path)
            data = _analyse(segment, settings.channels, leveled, detect)
            key = key_for(digest.result())
    cache.put_json("analysis", key, data)
    return data


def _analyse(
    segment: Segment, layout: str, leveled: bool, detect: tuple[float, float]
) -> dict[str, Any]:
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
        chain = [*_format_chain(segment, layout), f"silencedetect=n={detect[0]}dB:d={detect[1]}"]
        meter, log = _measure_decoded(segment, [*chain, SPEECH_LEVELER], channels, None)
    elif _is_cut(segment) or info.channels != channels or info.sample_rate <= 0:
        meter, log = _measure_decoded(segment, _format_chain(segment, layout), channels, detect[0])
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
    return {
        "file": str(segment.path.name),
        "kind": segment.kind,
        "format": info.format_name,
        "codec": info.codec,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "duration": round(duration, 6),
        "head_silence": round(min(head, duration), 6),
        "tail_silence": round(min(tail, duration - head), 6),
        "integrated": loudness.integrated,
        "lra": loudness.lra,
        "sample_peak": loudness.true_peak,
    }


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


def plan_timeline(
    segments: list[Segment], inputs: list[dict[str, Any]], settings: AudioSettings
) -> Timeline:
    """Lay the segments out: silence trimmed at the programme's head and tail, intro and outro
    crossfaded into the speech."""
    recordings = [i for i, s in enumerate(segments) if s.kind == "recording"]
    pieces: list[Piece] = []
    position = joined = 0.0
    for index, (segment, facts) in enumerate(zip(segments, inputs, strict=True)):
        duration = float(facts["duration"])
        head = tail = 0.0
        if settings.trim_silence and segment.kind == "recording":
            keep = settings.keep_silence_s
            if index == recordings[0]:
                head = max(0.0, float(facts["head_silence"]) - keep)
            if index == recordings[-1]:
                tail = max(0.0, float(facts["tail_silence"]) - keep)
        length = max(0.05, duration - head - tail)
        crossfade = 0.0
        previous = segments[index - 1].kind if index else None
        if pieces and (
            (previous == "intro" and segment.kind == "recording")
            or (previous == "recording" and segment.kind == "outro")
        ):
            crossfade = min(settings.crossfade_s, 0.45 * pieces[-1].length, 0.45 * length)
        position -= crossfade
        joined_start = None
        if segment.kind == "recording":
            joined_start = joined + head
            joined += duration
        pieces.append(
            Piece(segment.kind, head, length, round(position, 6), joined_start, round(crossfade, 6))
        )
        position += length
    return Timeline(tuple(pieces))


def _db_to_linear(db: float) -> float:
    return float(10 ** (db / 20))


def _programme_graph(programme: Programme) -> tuple[list[str], list[str]]:
    """ffmpeg inputs and filters that decode, cut, level, crossfade and join the segments
    into one stream labelled [programme]."""
    segments, settings = programme.segments, programme.settings
    inputs: list[str] = []
    for segment in segments:
        inputs += ["-i", file_arg(segment.path)]
    parts = []
    streams: list[str] = []
    for index, (segment, piece, segment_gain) in enumerate(
        zip(segments, programme.timeline.pieces, programme.segment_gains, strict=True)
    ):
        chain = _format_chain(segment, settings.channels, piece.offset, piece.length)
        if _levels_speech(segment, settings):
            chain.append(SPEECH_LEVELER)
        chain.append(f"volume={segment_gain:.4f}dB")
        parts.append(f"[{index}:a]{','.join(chain)}[s{index}]")
        if piece.crossfade > 0 and streams:
            parts.append(
                f"[{streams[-1]}][s{index}]acrossfade=d={piece.crossfade:.6f}:c1=tri:c2=tri"
                f"[x{index}]"
            )
            streams[-1] = f"x{index}"
        else:
            streams.append(f"s{index}")
    joined = "".join(f"[{label}]" for label in streams)
    join = f"concat=n={len(streams)}:v=0:a=1" if len(streams) > 1 else "anull"
    parts.append(f"{joined}{join}[programme]")
    return inputs, parts


# A rendition, its gain (dB) and its limiter's ceiling (dBFS; None: no limiter needed).
Plan = tuple[RenditionSpec, float, float | None]


def _render_pass(
    programme: Programme,
    plans: list[Plan],
    workdir: Path,
    subject: str,
) -> dict[str, Loudness]:
    """Render every planned rendition into `workdir` and measure what was encoded."""
    inputs, parts = _programme_graph(programme)
    return _encode_and_measure(inputs, parts, plans, workdir, subject)


REFERENCE = ""  # the measurement of the programme itself, before any rendition's gain


def _encode_and_measure(
    inputs: list[str],
    parts: list[str],
    plans: list[Plan],
    workdir: Path,
    subject: str,
    keep_files: bool = True,
    reference_channels: int = 0,
) -> dict[str, Loudness]:
    """Make each planned rendition of the stream [programme] that `parts` build, and measure
    what was encoded; with `keep_files`, the renditions are written into `workdir`.

    One ffmpeg decodes and joins the programme and applies each rendition's gain and limiter.
    It writes WAV itself; lossy renditions go as raw samples to an encoder process each,
    whose output is both written and streamed to a decoder feeding a meter. Every meter reads
    a pipe in a thread of this process, so all of it runs side by side on all cores.
    With `reference_channels`, the programme itself is measured too (under REFERENCE).
    """
    from podcast.audio.meter import measure_stream

    branches = len(plans) + (1 if reference_channels else 0)
    labels = "".join(f"[b{n}]" for n in range(branches))
    parts = [*parts, f"[programme]asplit={branches}{labels}"]
    with contextlib.ExitStack() as stack, ProcessGraph(subject, workdir) as graph:
        outputs: list[str] = []
        wavs: list[BinaryIO] = []
        written: list[int] = []  # the pipes (and WAV files) the rendering ffmpeg writes to
        routes: list[tuple[RenditionSpec, Pipe, Pipe | None]] = []
        for number, (spec, gain, limiter) in enumerate(plans):
            chain = (
                f"[b{number}]volume={gain:.4f}dB,{_limiter(limiter)}aresample={spec.sample_rate},"
                f"aformat=sample_fmts=flt:channel_layouts={spec.layout}"
            )
            to_meter = graph.pipe()
            to_encoder = None
            if spec.lossless:
                if keep_files:
                    # ffmpeg writes the samples after a header of ours (with room for the
                    # broadcast metadata), into the file opened here.
                    wav = stack.enter_context((workdir / spec.name).open("w+b"))
                    wav.write(wav_header(spec.channels, spec.sample_rate, spec.sample_bits))
                    wav.flush()
                    wavs.append(wav)
                    parts.append(f"{chain},asplit=2[o{number}][m{number}]")
                    raw = spec.codec_args[-1].removeprefix("pcm_")
                    outputs += ["-map", f"[o{number}]", *spec.codec_args, "-f", raw]
                    outputs.append(f"pipe:{wav.fileno()}")
                    written.append(wav.fileno())
                else:
                    parts.append(f"{chain}[m{number}]")
                outputs += ["-map", f"[m{number}]", *RAW_PCM, f"pipe:{to_meter.write_end}"]
                written.append(to_meter.write_end)
            else:
                parts.append(f"{chain}[o{number}]")
                to_encoder = graph.pipe()
                outputs += ["-map", f"[o{number}]", *RAW_PCM, f"pipe:{to_encoder.write_end}"]
                written.append(to_encoder.write_end)
            routes.append((spec, to_meter, to_encoder))
        meters: dict[str, list[Any]] = {}
        if reference_channels:
            to_meter = graph.pipe()
            parts.append(f"[b{branches - 1}]aformat=sample_fmts=flt[reference]")
            outputs += ["-map", "[reference]", *RAW_PCM, f"pipe:{to_meter.write_end}"]
            written.append(to_meter.write_end)
            meters[REFERENCE] = graph.read(
                "measuring the programme",
                os.fdopen(os.dup(to_meter.read_end), "rb"),
                functools.partial(
                    measure_stream,
                    rate=BROADCAST_RATE,
                    channels=reference_channels,
                    true_peak=False,
                ),
            )
        graph.start(
            "rendering",
            [*FFMPEG, *inputs, "-filter_complex", ";".join(parts), *outputs],
            pass_fds=tuple(written),
            nice=FILTER_NICE,
        )
        for spec, to_meter, to_encoder in routes:
            if to_encoder is not None:
                _start_encoder(graph, spec, to_encoder, to_meter, keep_files)
            meters[spec.name] = graph.read(
                f"measuring {spec.name}",
                os.fdopen(os.dup(to_meter.read_end), "rb"),
                functools.partial(measure_stream, rate=spec.sample_rate, channels=spec.channels),
                nice=METER_NICE,
            )
        with _flushed_while_written(wavs):
            graph.wait()
        for written_wav in wavs:
            finish_wav(written_wav)
    return {name: box[0].result() for name, box in meters.items()}


_flush_data = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


@contextlib.contextmanager
def _flushed_while_written(files: list[BinaryIO], every: float = 1.0) -> Iterator[None]:
    """Hand what is written to `files` to the disk every second, in a thread, until the block
    ends: the disk is idle during a render, and the cache's fsync after it then has only the
    last second left to write (instead of a gigabyte of broadcast WAV)."""
    if not files:
        yield
        return
    done = threading.Event()

    def flush() -> None:
        while not done.wait(every):
            for handle in files:
                with contextlib.suppress(OSError):  # the fsync at the commit reports errors
                    _flush_data(handle.fileno())

    flusher = threading.Thread(target=flush, name="flushing WAV", daemon=True)
    flusher.start()
    try:
        yield
    finally:
        done.set()
        flusher.join()


def _start_encoder(
    graph: ProcessGraph, spec: RenditionSpec, source: Pipe, meter: Pipe, keep_file: bool
) -> None:
    """Encode raw samples from `source` (into the rendition's file, with `keep_file`), and
    decode the same packets again into `meter`'s pipe."""
    stream_muxer = spec.stream_muxer or spec.muxer
    target = ["-f", "tee", spec.tee_target()] if keep_file else ["-f", stream_muxer, "pipe:1"]
    encoder = graph.start(
        f"encoding {spec.name}",
        [
            *FFMPEG,
            *RAW_PCM,
            "-ar",
            str(spec.sample_rate),
            "-ac",
            str(spec.channels),
            "-i",
            "pipe:0",
            "-map",
            "0:a",
            *spec.codec_args,
            *BITEXACT,
            *target,
        ],
        stdin=source.read_end,
        capture_stdout=True,
    )
    assert encoder.process.stdout is not None
    graph.start(
        f"decoding {spec.name} for measuring",
        [
            *FFMPEG,
            "-f",
            STREAM_DEMUXERS.get(stream_muxer, stream_muxer),
            "-i",
            "pipe:0",
            *RAW_PCM,
            f"pipe:{meter.write_end}",
        ],
        stdin=encoder.process.stdout.fileno(),
        pass_fds=(meter.write_end,),
        nice=DECODER_NICE,
    )
    encoder.process.stdout.close()  # the decoder holds it now


def _render_renditions(
    programme: Programme,
    plans: list[Plan],
    workdir: Path,
    subject: str,
) -> dict[str, RenditionResult]:
    """Render all renditions, measure them, and render again those that missed, corrected."""
    results: dict[str, RenditionResult] = {}
    pending = list(plans)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        measured = _render_pass(programme, pending, workdir, subject)
        missed: list[Plan] = []
        for spec, gain, limiter in pending:
            loudness = measured[spec.name]
            path = workdir / spec.name
            results[spec.name] = RenditionResult(
                spec, path, loudness, gain, limiter, probe(path).duration, attempt
            )
            error = spec.target_lufs - loudness.integrated
            over = loudness.true_peak - spec.ceiling_dbtp
            if not math.isfinite(error):
                raise ToolError(f"{subject}: the rendered {spec.name} is silent")
            if abs(error) > LOUDNESS_TOLERANCE_LU or over > 0:
                if limiter is None:
                    limiter = spec.ceiling_dbtp - INITIAL_LIMITER_MARGIN_DB
                elif over > 0:
                    limiter -= over + 0.1
                missed.append((spec, gain + error, limiter))
        if not missed:
            return results
        pending = missed
    for spec, _, _ in pending:
        loudness = results[spec.name].loudness
        if abs(spec.target_lufs - loudness.integrated) > ACCEPTABLE_LU or (
            loudness.true_peak > spec.ceiling_dbtp
        ):
            raise ToolError(
                f"{subject}: {spec.name} missed its target after {MAX_ATTEMPTS} attempts "
                f"({loudness.integrated} LUFS, {loudness.true_peak} dBTP; target "
                f"{spec.target_lufs} LUFS, <= {spec.ceiling_dbtp} dBTP)"
            )
    return results


CALIBRATION_EXCERPTS = 6
CALIBRATION_EXCERPT_SECONDS = 10.0


def _limiter(limit_dbfs: float | None) -> str:
    """The limiter filter, with a comma to chain the next one (nothing when unneeded)."""
    if limit_dbfs is None:
        return ""
    limit = min(1.0, max(0.0625, _db_to_linear(limit_dbfs)))
    return f"alimiter=limit={limit:.6f}:level=false:latency=true:attack=5:release=100,"


def calibrate(
    programme: Programme,
    plans: list[Plan],
    workdir: Path,
    subject: str,
) -> dict[str, float]:
    """How much the limiter and the encoder will lower each rendition's loudness (LU, <= 0).

    Limiting takes loudness off the loudest passages; lossy encoders drop energy the ear would
    not miss but the meter counts (LAME at 128 kb/s takes about 0.5 LU off speech). Rendering
    a minute of excerpts spread over the recordings through each rendition's gain, limiter and
    encoder predicts both, so the first full render can already aim right.
    """
    segments, timeline, settings = programme.segments, programme.timeline, programme.settings
    recordings = [i for i, s in enumerate(segments) if s.kind == "recording"]
    # Plain gain into WAV changes nothing but the level: only limiters and encoders need a test.
    tested = [plan for plan in plans if plan[2] is not None or not plan[0].lossless]
    if not tested:
        return {}
    spots = [
        (index, timeline.pieces[index].offset + fraction * timeline.pieces[index].length)
        for number in range(CALIBRATION_EXCERPTS)
        for fraction in [(number + 0.5) / CALIBRATION_EXCERPTS]
        for index in [recordings[number % len(recordings)]]
    ]
    inputs: list[str] = []
    parts = []
    for number, (index, middle) in enumerate(spots):
        segment, piece = segments[index], timeline.pieces[index]
        length = min(CALIBRATION_EXCERPT_SECONDS, piece.length)
        start = min(max(piece.offset, middle - length / 2), piece.offset + piece.length - length)
        # Seeking in the demuxer (-ss before -i) skips decoding everything before the excerpt.
        inputs += [
            "-ss",
            f"{(segment.start or 0.0) + start:.6f}",
            "-t",
            f"{length:.6f}",
            "-i",
            file_arg(segment.path),
        ]
        chain = [
            f"aresample={BROADCAST_RATE}",
            f"aformat=sample_fmts=fltp:channel_layouts={settings.channels}",
        ]
        if _levels_speech(segment, settings):
            chain.append(SPEECH_LEVELER)
        chain.append(f"volume={programme.segment_gains[index]:.4f}dB")
        parts.append(f"[{number}:a]{','.join(chain)}[e{number}]")
    excerpts = "".join(f"[e{n}]" for n in range(len(spots)))
    parts.append(f"{excerpts}concat=n={len(spots)}:v=0:a=1[programme]")
    channels = 2 if settings.channels == "stereo" else 1
    measured = _encode_and_measure(
        inputs, parts, tested, workdir, subject, keep_files=False, reference_channels=channels
    )
    reference_lufs = measured[REFERENCE].integrated
    offsets = {}
    for spec, gain, _ in tested:
        offset = measured[spec.name].integrated - (reference_lufs + gain)
        if math.isfinite(offset):
            offsets[spec.name] = min(0.0, offset)
    return offsets


def render(
    segments: list[Segment],
    settings: AudioSettings,
    cache: Cache,
    subject: str,
    on_stage: Callable[[str], None] = lambda _: None,
) -> RenderResult:
    """Render (or take from the cache) every rendition of a programme made of `segments`.

    `on_stage` hears "analysing", "calibrating", "rendering" as the work goes on.
    """
    on_stage("analysing")
    inputs = [analyse_segment(s, settings, cache) for s in segments]
    if not any(s.kind == "recording" for s in segments):
        raise ToolError(f"{subject}: the episode has no recording")
    timeline = plan_timeline(segments, inputs, settings)
    specs = rendition_specs(settings)
    key = key_of(
        "render",
        RENDER_VERSION,
        ffmpeg_version(),
        settings.model_dump(),
        [
            (i["file"], cache.digest(s.path), s.start, s.end, s.kind)
            for i, s in zip(inputs, segments, strict=True)
        ],
    )
    entry = cache.entry_dir("render", key)
    manifest = cache.get_json("render", key)
    if manifest is not None and entry.is_dir():
        if _untouched(entry, manifest):
            return _from_manifest(manifest, entry, specs, inputs, timeline)
        # A published file shares its inode with the cache (see fill_metadata_room), and
        # someone changed it: render again.
        shutil.rmtree(entry, ignore_errors=True)
    _check_wav_size(specs, timeline, subject)

    programme_lufs = specs[0].target_lufs
    segment_gains = [programme_lufs - float(i["integrated"]) for i in inputs]
    workdir = cache.scratch_dir("render")
    try:
        # The programme's sample peak is at most the loudest segment's peak after its gain
        # (the crossfades' gains add up to one).
        peak = max(float(i["sample_peak"]) + g for i, g in zip(inputs, segment_gains, strict=True))
        plans = [
            _plan(spec, spec.target_lufs - programme_lufs, peak, limiter=True) for spec in specs
        ]
        on_stage("calibrating")
        programme = Programme(segments, timeline, segment_gains, settings)
        offsets = calibrate(programme, plans, workdir, subject)
        on_stage("rendering")
        corrected = [
            _plan(spec, gain - offsets.get(spec.name, 0.0), peak) for spec, gain, _ in plans
        ]
        results = _render_renditions(programme, corrected, workdir, subject)
        result = RenderResult(inputs=inputs, timeline=timeline, renditions=results)
        summary = {
            "inputs": inputs,
            "renditions": {n: r.summary() for n, r in results.items()},
            "stamps": {n: _stamp(r.path) for n, r in results.items()},
        }
        committed = cache.commit_dir("render", key, workdir)
        cache.put_json("render", key, summary)
        for rendition in results.values():
            rendition.path = committed / rendition.spec.name
        return result
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _untouched(entry: Path, manifest: dict[str, Any]) -> bool:
    """Whether every file of a cache entry is as it was rendered (same size and time)."""
    try:
        return all(_stamp(entry / name) == stamp for name, stamp in manifest["stamps"].items())
    except (OSError, KeyError):
        return False


def _check_wav_size(specs: list[RenditionSpec], timeline: Timeline, subject: str) -> None:
    """Refuse, before rendering for minutes, a WAV rendition too long for a WAV file."""
    for spec in specs:
        if spec.lossless:
            size = timeline.duration * spec.sample_rate * spec.channels * spec.sample_bits / 8
            if size + WAV_HEADER_SIZE + 1 > RIFF_LIMIT:
                raise ToolError(
                    f"{subject}: {timeline.duration / 3600:.1f} hours of {spec.sample_bits}-bit "
                    f"broadcast audio do not fit a WAV file (4 GB); set broadcast_bits = 16 "
                    "under [audio] in podcast.toml, or split the episode"
                )


# How far inter-sample peaks and lossy encoding may lift the true peak above the sample peak.
INTERSAMPLE_HEADROOM_DB = 3.0


def _plan(spec: RenditionSpec, gain: float, programme_peak: float, limiter: bool = False) -> Plan:
    """A rendition's first plan: with a limiter only where its peaks could reach the ceiling
    (or always, with `limiter`). Every render is measured, so a wrong guess costs a retry."""
    needed = limiter or programme_peak + gain + INTERSAMPLE_HEADROOM_DB > spec.ceiling_dbtp
    return spec, gain, spec.ceiling_dbtp - INITIAL_LIMITER_MARGIN_DB if needed else None


def _from_manifest(
    manifest: dict[str, Any],
    entry: Path,
    specs: list[RenditionSpec],
    inputs: list[dict[str, Any]],
    timeline: Timeline,
) -> RenderResult:
    result = RenderResult(inputs=inputs, timeline=timeline)
    for spec in specs:
        data = manifest["renditions"][spec.name]
        result.renditions[spec.name] = RenditionResult(
            spec=spec,
            path=entry / spec.name,
            loudness=Loudness(
                data["integrated_lufs"],
                data["lra_lu"],
                data["true_peak_dbtp"],
                data["max_momentary_lufs"],
                data["max_short_term_lufs"],
            ),
            gain_db=data["gain_db"],
            limiter_dbfs=data["limiter_dbfs"],
            duration=data["duration"],
            attempts=data["attempts"],
        )
    return result
