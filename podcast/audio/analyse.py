"""Analysis of each segment before a render: duration, loudness, sample peak and the silence at
its head and tail, and for recordings the interview sound (speech, pauses, hum: sound.py) with
the gain envelope it makes; measured once per file content and cached."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
from pydantic import TypeAdapter

from podcast.audio.hum import hum_filters
from podcast.audio.pipeline import ProcessGraph
from podcast.audio.probe import probe
from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.sound import (
    SoundObserver,
    SoundReport,
    SoundSettings,
    loss_excerpts,
    shape_sound,
)
from podcast.audio.spectral import Reduction, reduce_noise, reduction_for
from podcast.audio.speech import STEP_S, Samples
from podcast.audio.tools import FFMPEG, ffmpeg_version, file_arg
from podcast.audio.wav import PcmData, pcm_data
from podcast.errors import ToolError
from podcast.plan.cache import Cache, key_of
from podcast.show.schema import AudioSettings

if TYPE_CHECKING:
    from podcast.audio.meter import Meter

ANALYSIS_VERSION = "30"


@dataclass(frozen=True)
class Segment:
    """One part of an episode's audio: a file, optionally cut to in/out points."""

    path: Path
    start: float | None = None
    end: float | None = None
    kind: Literal["intro", "recording", "jingle", "outro"] = "recording"
    # What is done to the sound of a recording (None: nothing; intros, jingles and music).
    sound: SoundSettings | None = None
    # How messages name the file: relative to the show (empty: the path as given).
    label: str = ""
    # A multitrack recording's premix: the files it was made of and what was done to each
    # (multitrack.TrackReport as JSON), for the build's report.
    tracks: tuple[dict[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.label or str(self.path)


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
    integrated: float  # after the sound processing (the leveler and noise reduction)
    lra: float
    sample_peak: float  # the file's own (a mono file in a stereo show: before the up-mix)
    sound: dict[str, Any] | None = None  # SoundReport.as_json() of a recording
    envelope: str | None = None  # the gain envelope's file name in the cache ("envelope")
    denoise: str | None = None  # the denoise schedule's file name in the cache ("denoise")
    peak_raise_db: float = 0.0  # how far the envelope may lift the sample peak
    tracks: list[dict[str, Any]] | None = None  # a premix's tracks (Segment.tracks)
    # Its channels are one sound (mono, or two identical channels): processed as one channel.
    same_channels: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmentAnalysis:
        """The analysis `as_json` wrote; ValueError when the data does not fit (a damaged or
        older cache entry)."""
        analysis = _analysis_adapter().validate_python(data)
        analysis.sound_report  # noqa: B018 -- its fields are checked too
        return analysis

    @property
    def sound_report(self) -> SoundReport | None:
        return None if self.sound is None else SoundReport.from_json(self.sound)


@functools.cache
def _analysis_adapter() -> TypeAdapter[SegmentAnalysis]:
    """Pydantic's checker of SegmentAnalysis (made on first use: it takes a moment)."""
    return TypeAdapter(SegmentAnalysis)


# What ffmpeg's up-mix of one channel to two takes off each (the loudness stays: BS.1770 sums
# the channels' power), and so off a mono recording's sample peak as measured in a stereo show.
UP_MIX_DB = 10 * math.log10(2)

# The shortest segment whose loudness can be measured: one 400 ms gating block (BS.1770).
MIN_DURATION_S = 0.4


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


def fold_channels(layout: str, same_channels: bool) -> list[str]:
    """Where a recording's channels are one sound (mono, or two identical channels), a filter
    that keeps one of them after `format_chain`: the noise reduction and hum filters then run
    once instead of once per channel (the largest cost of a render after the MP3 encoder)."""
    return ["pan=mono|c0=c0"] if layout == "stereo" and same_channels else []


def spread_channels(layout: str, same_channels: bool) -> list[str]:
    """The filter that gives the folded channel back to both channels (`fold_channels`)."""
    return ["pan=stereo|c0=c0|c1=c0"] if layout == "stereo" and same_channels else []


def is_cut(segment: Segment) -> bool:
    """Whether the segment uses only part of its file (in or out point)."""
    return (segment.start or 0.0) > 0 or segment.end is not None


def analyse_segment(segment: Segment, settings: AudioSettings, cache: Cache) -> SegmentAnalysis:
    """Loudness, duration and leading/trailing silence of a segment, and the sound of a
    recording (with its gain envelope, kept in the cache); cached by content."""
    analysis = _analyse_cached(segment, settings, cache)
    if not segment.tracks:
        return analysis
    names = " + ".join(str(t["file"]) for t in segment.tracks)
    return replace(analysis, file=names, tracks=list(segment.tracks))


def _analyse_cached(segment: Segment, settings: AudioSettings, cache: Cache) -> SegmentAnalysis:
    detect = (settings.silence_threshold_db, settings.silence_min_s)
    sound = None if segment.sound is None else asdict(segment.sound)

    def key_for(digest: str) -> str:
        parts = (segment.start, segment.end, settings.channels, sound, detect, ffmpeg_version())
        return key_of("segment", ANALYSIS_VERSION, digest, *parts)

    if cache.knows(segment.path):
        key = key_for(cache.digest(segment.path))
        cached = cache.get_record("analysis", key, SegmentAnalysis.from_json)
        if cached is not None and all(
            name is None or cache.file_path(kind, name).is_file()
            for kind, name in (("envelope", cached.envelope), ("denoise", cached.denoise))
        ):
            return cached
        data, envelope, denoise = _analyse(segment, settings.channels, detect)
    else:
        # A file not seen before (so most likely not analysed before either) is read for its
        # digest while it is measured.
        with ThreadPoolExecutor(max_workers=1) as reading:
            digest = reading.submit(cache.digest, segment.path)
            data, envelope, denoise = _analyse(segment, settings.channels, detect)
            key = key_for(digest.result())
    if envelope is not None:
        name = f"{key}.f32"
        cache.put_file("envelope", name, envelope)
        data = replace(data, envelope=name)
    if denoise is not None:
        name = f"{key}.f32"
        cache.put_file("denoise", name, denoise)
        data = replace(data, denoise=name)
    cache.put_json("analysis", key, data.as_json())
    return data


def _analyse(
    segment: Segment, layout: str, detect: tuple[float, float]
) -> tuple[SegmentAnalysis, bytes | None, bytes | None]:
    """Measure a segment (see analyse_segment), with the bytes of its gain envelope and of
    its denoise schedule for a recording whose sound is processed; `detect` is the silence
    threshold (dB) and the shortest pause that counts (s)."""
    info = probe(segment.path)
    start = segment.start or 0.0
    end = min(segment.end, info.duration) if segment.end is not None else info.duration
    if end - start <= 0:
        raise ToolError(
            f"{segment.name}: the in point {start:.2f} s lies past the end of the recording "
            f"({info.duration:.2f} s); choose an earlier in point",
            fault="in_point",
        )
    duration = end - start
    if duration < MIN_DURATION_S:
        raise ToolError(
            f"{segment.name}: only {duration:.2f} s of audio; loudness cannot be measured on less "
            f"than {MIN_DURATION_S} s (EBU R128 measures 400 ms blocks): use a longer clip",
            fault="too_short",
        )
    channels = 2 if layout == "stereo" else 1
    observer = None
    # Sound shaping works in 100 ms steps: a rate without whole steps is resampled first.
    uneven = segment.sound is not None and info.sample_rate % 10 != 0
    if is_cut(segment) or info.channels != channels or info.sample_rate <= 0 or uneven:
        if segment.sound is not None:
            observer = SoundObserver(BROADCAST_RATE)
        meter = _measure_decoded(
            segment, format_chain(segment, layout), channels, detect[0], observe=observer
        )
    else:
        # Measured as recorded, at the recording's own rate: plain WAV straight from the
        # file, anything else as ffmpeg decodes it, without converting.
        if segment.sound is not None:
            observer = SoundObserver(info.sample_rate)
        pcm = pcm_data(segment.path)
        if pcm is not None and pcm.channels == channels:
            meter = _measure_pcm(segment, pcm, detect[0], observe=observer)
        else:
            meter = _measure_decoded(
                segment,
                None,
                channels,
                detect[0],
                info.sample_rate,
                info.sample_format,
                observe=observer,
            )
    loudness = meter.result()
    if loudness.silent:
        raise ToolError(
            f"{segment.name}: the recording is silent (loudness below {loudness.integrated} LUFS);"
            " check the export or the in/out points",
            fault="silent",
        )
    decoded = meter.frames / meter.rate
    if decoded < duration - max(1.0, 0.02 * duration):
        raise ToolError(
            f"{segment.name}: the file is truncated or damaged: its header promises "
            f"{duration:.1f} s but only {decoded:.1f} s can be decoded; export it again",
            fault="truncated",
        )
    if meter.first_loud is None or meter.last_loud is None:
        head, tail = duration, 0.0
    else:
        # Like silencedetect: only pauses of at least silence_min_s count.
        head = meter.first_loud / meter.rate
        tail = max(0.0, duration - (meter.last_loud + 1) / meter.rate)
        head, tail = (head if head >= detect[1] else 0.0), (tail if tail >= detect[1] else 0.0)
    integrated, raise_db = loudness.integrated, 0.0
    report, envelope, denoise = None, None, None
    same_channels = info.channels == 1 or (observer is not None and observer.same_channels)
    if segment.sound is not None and observer is not None:
        energies, peaks, hum = meter.step_energies(), observer.step_peaks(), observer.hum()
        if hum is not None and segment.sound.hum_removal:
            energies = observer.without_hum(energies, hum)
        pitches = observer.step_pitches()
        shaped = shape_sound(energies, peaks, segment.sound, hum, pitches=pitches)
        if shaped.denoise.size:
            # What the noise reduction leaves of each voice is measured, not guessed: on
            # excerpts played through the hum filters and the reduction as the render will.
            excerpts = loss_excerpts(energies, shaped.denoise, shaped.report.noise_dbfs)
            chain = [*fold_channels(layout, same_channels), *hum_filters(segment.sound, hum)]
            schedule = np.concatenate([shaped.denoise[a:b] for a, b in excerpts])
            reduction = reduction_for(schedule.astype(np.float32), 0.0, schedule.size * STEP_S)
            folded = 1 if layout == "mono" or same_channels else 2
            measured = _measure_excerpts(
                segment, layout, excerpts, chain, (folded, channels), reduction
            )
            denoised = np.full(energies.size, np.nan)
            at = 0
            for a, b in excerpts:
                got = measured[at : at + b - a]
                denoised[a : a + got.size] = got
                at += b - a
            shaped = shape_sound(energies, peaks, segment.sound, hum, denoised, pitches)
        report = shaped.report.as_json()
        if segment.sound.needs_envelope and bool((shaped.envelope != 1.0).any()):
            integrated = shaped.report.processed_lufs
            raise_db = shaped.report.peak_raise_db
            envelope = shaped.envelope.tobytes()
        if shaped.denoise.size:
            denoise = shaped.denoise.tobytes()
    analysis = SegmentAnalysis(
        file=str(segment.path.name),
        kind=segment.kind,
        format=info.format_name,
        codec=info.codec,
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration=round(duration, 6),
        head_silence=round(min(head, duration), 6),
        tail_silence=round(min(tail, duration - head), 6),
        integrated=integrated,
        lra=loudness.lra,
        sample_peak=loudness.peak + (UP_MIX_DB if info.channels == 1 and channels == 2 else 0.0),
        sound=report,
        peak_raise_db=raise_db,
        same_channels=same_channels,
    )
    return analysis, envelope, denoise


def sound_of_file(path: Path) -> SoundReport | None:
    """What the sound analysis finds in any audio file (for `podcast info`): noise floor,
    speaker gap and hum, with what the default processing would make of them."""
    info = probe(path)
    layout = "stereo" if info.channels >= 2 else "mono"
    segment = Segment(path, sound=SoundSettings())
    analysis, _, _ = _analyse(segment, layout, (-50.0, 0.5))
    return analysis.sound_report


# Decoded sample formats handed to the meter as they are: ffmpeg's encoder, the raw muxer and
# the meter's name for them. Any other format is converted to 32-bit floats.
PCM_HANDOVER = {
    "s16": ("pcm_s16le", "s16le", "s16"),
    "s16p": ("pcm_s16le", "s16le", "s16"),
    "s32": ("pcm_s32le", "s32le", "s32"),
    "s32p": ("pcm_s32le", "s32le", "s32"),
}


FLOAT_HANDOVER = ("pcm_f32le", "f32le", "f32")
_Read = TypeVar("_Read")


def _measure_decoded(
    segment: Segment,
    chain: list[str] | None,
    channels: int,
    silence_db: float | None,
    rate: int = BROADCAST_RATE,
    sample_format: str = "flt",
    observe: SoundObserver | None = None,
) -> Meter:
    """Decode a segment, through the filters of `chain` (which must deliver `rate`), or as it
    is with `chain` None, and meter it beside ffmpeg (sample peak only; with `silence_db`, also
    where sound above that level starts and ends); `observe` sees the samples too."""
    from podcast.audio.meter import measure_stream

    codec, muxer, meter_format = PCM_HANDOVER.get(sample_format, FLOAT_HANDOVER)
    if chain is None:
        selection = ["-map", "0:a:0"]
    else:
        filters = ",".join([*chain, "aformat=sample_fmts=flt"])
        selection = ["-filter_complex", f"[0:a:0]{filters}[out]", "-map", "[out]"]
    return _metered(
        segment,
        "decoding",
        ["-v", "info", "-i", file_arg(segment.path), *selection, "-c:a", codec, "-f", muxer],
        functools.partial(
            measure_stream,
            rate=rate,
            channels=channels,
            true_peak=False,
            silence_db=silence_db,
            sample_format=meter_format,
            observe=None if observe is None else observe.feed,
        ),
    )


def _metered(
    segment: Segment, what: str, args: list[str], meter: Callable[[IO[bytes]], _Read]
) -> _Read:
    """Run ffmpeg with `args` (all but its output, which goes to a pipe) for `segment`, and
    `meter` (or read) what it writes, beside it."""
    with ProcessGraph(segment.name, segment.path.parent) as graph:
        decoder = graph.start(what, [*FFMPEG, *args, "pipe:1"], capture_stdout=True)
        assert decoder.process.stdout is not None
        box = graph.read("loudness measurement", decoder.process.stdout, meter)
        graph.wait()
        measured: _Read = box[0]
        return measured


def _measure_excerpts(
    segment: Segment,
    layout: str,
    excerpts: list[tuple[int, int]],
    chain: list[str],
    channels: tuple[int, int],
    reduction: Reduction,
) -> Samples:
    """The 100 ms step energies of the `excerpts` (step ranges) of a segment, played one after
    the other (each exactly its length) through the filters of `chain` (which deliver
    `channels[0]`) and the noise `reduction` (as the render will), spread to `channels[1]`."""
    from podcast.audio.meter import measure_stream

    inputs: list[str] = []
    parts = []
    for number, (first, end) in enumerate(excerpts):
        samples = (end - first) * round(STEP_S * BROADCAST_RATE)
        # Seeking in the demuxer (-ss before -i) skips decoding what lies before the excerpt.
        inputs += [
            "-ss",
            f"{(segment.start or 0.0) + first * STEP_S:.6f}",
            "-t",
            f"{(end - first) * STEP_S + 0.1:.6f}",
            "-i",
            file_arg(segment.path),
        ]
        parts.append(
            f"[{number}:a:0]aresample={BROADCAST_RATE},"
            f"aformat=sample_fmts=fltp:channel_layouts={layout},"
            f"apad=whole_len={samples},atrim=end_sample={samples}[e{number}]"
        )
    joined = "".join(f"[e{n}]" for n in range(len(excerpts)))
    filters = ",".join([*chain, "aformat=sample_fmts=flt"])
    parts.append(f"{joined}concat=n={len(excerpts)}:v=0:a=1,{filters}[out]")
    decoded = _metered(
        segment,
        "measuring the noise reduction",
        [
            *inputs,
            *("-filter_complex", ";".join(parts), "-map", "[out]"),
            *("-c:a", "pcm_f32le", "-f", "f32le"),
        ],
        lambda stream: np.frombuffer(stream.read(), dtype="<f4"),
    )
    reduced = reduce_noise(decoded.reshape(-1, channels[0]), reduction)
    if channels[1] > channels[0]:
        reduced = np.repeat(reduced, channels[1] // channels[0], axis=1)
    meter = measure_stream(
        io.BytesIO(np.ascontiguousarray(reduced, dtype="<f4").tobytes()),
        rate=BROADCAST_RATE,
        channels=channels[1],
        true_peak=False,
        silence_db=None,
        sample_format=FLOAT_HANDOVER[2],
    )
    return meter.step_energies()


def _measure_pcm(
    segment: Segment, pcm: PcmData, silence_db: float, observe: SoundObserver | None = None
) -> Meter:
    """Meter the samples of a plain WAV file, read straight from it."""
    from podcast.audio.meter import measure_stream

    try:
        with segment.path.open("rb", buffering=0) as handle:
            handle.seek(pcm.offset)
            return measure_stream(
                handle,
                pcm.rate,
                pcm.channels,
                true_peak=False,
                silence_db=silence_db,
                sample_format=pcm.sample_format,
                limit=pcm.size,
                observe=None if observe is None else observe.feed,
            )
    except OSError as error:
        raise ToolError(f"{segment.name}: cannot read the recording: {error.strerror}") from error
