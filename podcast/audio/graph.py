"""The ffmpeg process graph of a render: one ffmpeg decodes, cuts, levels, crossfades and joins
the segments into the mix, applies each rendition's gain and limiter and writes WAV itself;
lossy renditions go to an encoder process each, whose output is written and also decoded again
for a meter. Every meter reads a pipe in a thread of this process, so all of it runs side by
side on all cores."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from podcast.audio.analyse import Segment, fold_channels, format_chain, spread_channels
from podcast.audio.loudness import Loudness
from podcast.audio.pipeline import Pipe, ProcessGraph
from podcast.audio.renditions import BROADCAST_RATE, RenditionSpec
from podcast.audio.sound import ENVELOPE_FORMAT
from podcast.audio.spectral import reduced_input, reduction_for, write_reduced
from podcast.audio.timeline import Timeline
from podcast.audio.tools import FFMPEG, file_arg, upsampler
from podcast.audio.wav import finish_wav, wav_header
from podcast.show.schema import AudioSettings

RAW_PCM = ("-c:a", "pcm_f32le", "-f", "f32le")


# The encoders (LAME above all) are the longest chain of work in a render; the processes and
# threads around them yield to them, so an encoder never waits for a core (nice values).
FILTER_NICE, DECODER_NICE, METER_NICE = 3, 5, 10


STREAM_DEMUXERS = {"adts": "aac"}  # ffmpeg reads what its adts muxer writes as "aac"


# ffmpeg splits some filters (the biquads of the hum and rumble filters) over threads per
# channel; for audio frames that costs more in hand-overs than it gains (4 biquads: 4.5 s instead
# of 1.7 s for 10 minutes), and the encoders need the other core anyway.
ONE_FILTER_THREAD = ("-filter_complex_threads", "1")


BITEXACT = ("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact")


@dataclass(frozen=True)
class SoundShaping:
    """What is done to one recording's sound in the render: filters (rumble, hum), the
    spectral noise reduction under raised speech (sound.ShapedSound's schedule; empty: none)
    and the file of the gain envelope (leveler and noise reduction in pauses) it is
    multiplied with. The reduction is made before the render (`with_reduced_sound`): the
    render then reads `reduced`, which holds `window` (start and length, s after the in
    point) of the recording with its filters and reduction done."""

    filters: tuple[str, ...] = ()
    envelope: Path | None = None
    denoise: tuple[float, ...] = ()
    same_channels: bool = False  # one sound on both channels: processed once (fold_channels)
    reduced: Path | None = None
    window: tuple[float, float] = (0.0, 0.0)

    @property
    def reduces(self) -> bool:
        """Whether the schedule takes any noise off."""
        return any(step > 0 for step in self.denoise)


def with_reduced_sound(
    segment: Segment,
    shaping: SoundShaping,
    layout: str,
    window: tuple[float, float],
    target: Path,
    subject: str,
) -> SoundShaping:
    """`shaping` with `window` (start and length, s after the in point) of the segment cut,
    filtered and its noise reduced into the file `target` (spectral.write_reduced), where its
    schedule reduces any: the render's excerpts and passes all read it."""
    if not shaping.reduces:
        return shaping
    reduction = reduction_for(np.asarray(shaping.denoise, dtype=np.float32), *window)
    chain = [
        *format_chain(segment, layout, *window),
        *fold_channels(layout, shaping.same_channels),
        *shaping.filters,
    ]
    channels = 1 if layout == "mono" or shaping.same_channels else 2
    write_reduced(segment.path, chain, channels, reduction, target, subject)
    return replace(shaping, reduced=target, window=window)


def shaped_source(
    segment: Segment, shaping: SoundShaping, layout: str, start: float, length: float
) -> tuple[list[str], list[str]] | None:
    """ffmpeg input arguments and the format chain for `length` s from `start` (s after the
    in point) of a segment whose sound was reduced before (`with_reduced_sound`); None for
    any other."""
    if shaping.reduced is None:
        return None
    folded = layout == "mono" or shaping.same_channels
    channels = 1 if folded else 2
    return (
        reduced_input(shaping.reduced, channels, start - shaping.window[0], length),
        [
            f"aformat=sample_fmts=fltp:channel_layouts={'mono' if folded else 'stereo'}",
            *spread_channels(layout, shaping.same_channels),
            f"aformat=sample_fmts=fltp:channel_layouts={layout}",
        ],
    )


@dataclass(frozen=True)
class Mix:
    """What a render joins into one stream: the segments, where they land, the gain that
    brings each to the podcast's loudness target, and what is done to each one's sound."""

    segments: list[Segment]
    timeline: Timeline
    segment_gains: list[float]
    settings: AudioSettings
    shaping: list[SoundShaping]


def shaped_chain(
    index: int,
    chain: list[str],
    shaping: SoundShaping,
    envelope_input: int | None,
    gain: float,
) -> list[str]:
    """Filter graph parts that take input `index` through `chain`, the shaping's filters and
    its envelope (ffmpeg input `envelope_input`, raw ENVELOPE_FORMAT) and the gain (dB),
    into the stream [s<index>]. A reduced sound (`shaped_source`'s chain) has its filters and
    noise reduction in already."""
    layout = [f for f in chain if f.startswith("aformat=")][-1].split("channel_layouts=")[1]
    assert shaping.reduced is not None or not shaping.reduces, "reduce the sound first"
    if shaping.reduced is None:
        chain = [
            *chain,
            *fold_channels(layout, shaping.same_channels),
            *shaping.filters,
            *spread_channels(layout, shaping.same_channels),
        ]
    if envelope_input is None:
        return [f"[{index}:a:0]{','.join([*chain, f'volume={gain:.4f}dB'])}[s{index}]"]
    # The same gain on both channels: an up-mix would take 3 dB off (mono to stereo).
    spread = ",pan=stereo|c0=c0|c1=c0" if layout == "stereo" else ""
    return [
        f"[{index}:a:0]{','.join(chain)}[c{index}]",
        f"[{envelope_input}:a]aresample={BROADCAST_RATE}{upsampler()},"
        f"aformat=sample_fmts=fltp{spread}"
        f"[g{index}]",
        f"[c{index}][g{index}]amultiply,volume={gain:.4f}dB[s{index}]",
    ]


def envelope_input(path: Path, start: float, length: float) -> list[str]:
    """ffmpeg input arguments for `length` seconds of an envelope file from `start`."""
    return ["-ss", f"{start:.6f}", "-t", f"{length:.6f}", *ENVELOPE_FORMAT, "-i", file_arg(path)]


@dataclass(frozen=True)
class RenditionPlan:
    """How one render pass makes a rendition from the mix: the gain (dB) and the limiter's
    ceiling (dBFS; None: no limiter needed)."""

    spec: RenditionSpec
    gain_db: float
    limiter_dbfs: float | None


def db_to_linear(db: float) -> float:
    return float(10 ** (db / 20))


# The limiter catches peaks only: it looks ahead LIMITER_ATTACK_MS and lets go within
# LIMITER_RELEASE_MS, so a loud word's 20 ms frames keep their level around its peaks (with a
# 100 ms release, a hot recorder's loudest words lost 3.5 dB over whole syllables and phrases
# swung 2.2 dB; benchmarks/sound.py).
LIMITER_ATTACK_MS = 2
LIMITER_RELEASE_MS = 30


def limiter_filter(limit_dbfs: float | None) -> str:
    """The limiter filter, with a comma to chain the next one (nothing when unneeded)."""
    if limit_dbfs is None:
        return ""
    limit = min(1.0, max(0.0625, db_to_linear(limit_dbfs)))
    return (
        f"alimiter=limit={limit:.6f}:level=false:latency=true:"
        f"attack={LIMITER_ATTACK_MS}:release={LIMITER_RELEASE_MS},"
    )


EDGE_FADE_S = 0.01


def mix_graph(mix: Mix) -> tuple[list[str], list[str]]:
    """ffmpeg inputs and filters that decode, cut, level, crossfade and join the segments
    into one stream labelled [mix]."""
    segments, settings = mix.segments, mix.settings
    inputs: list[str] = []
    sources = []
    for segment, piece, shaping in zip(segments, mix.timeline.pieces, mix.shaping, strict=True):
        source = shaped_source(segment, shaping, settings.channels, piece.offset, piece.length)
        inputs += ["-i", file_arg(segment.path)] if source is None else source[0]
        sources.append(source)
    parts = []
    streams: list[str] = []
    extra = len(segments)  # envelopes are the inputs after the segments
    for index, (segment, piece, segment_gain, shaping, source) in enumerate(
        zip(segments, mix.timeline.pieces, mix.segment_gains, mix.shaping, sources, strict=True)
    ):
        chain = (
            format_chain(segment, settings.channels, piece.offset, piece.length)
            if source is None
            else source[1]
        )
        envelope = None
        if shaping.envelope is not None:
            inputs += envelope_input(shaping.envelope, piece.offset, piece.length)
            envelope, extra = extra, extra + 1
        parts += shaped_chain(index, chain, shaping, envelope, segment_gain)
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
    # The programme fades in and out over EDGE_FADE_S: a recorder's click on its first
    # sample, raised with the room, reached the MP3 encoder's first frame, whose overshoot no
    # limiter setting lowered (an outside round's build failed at -0.84 dBTP).
    end = max(0.0, mix.timeline.duration - EDGE_FADE_S)
    fades = f"afade=t=in:d={EDGE_FADE_S},afade=t=out:st={end:.6f}:d={EDGE_FADE_S}"
    parts.append(f"{joined}{join},{fades}[mix]")
    return inputs, parts


REFERENCE = ""  # the measurement of the mix itself, before any rendition's gain


def encode_and_measure(
    inputs: list[str],
    parts: list[str],
    plans: list[RenditionPlan],
    workdir: Path,
    subject: str,
    keep_files: bool = True,
    reference_channels: int = 0,
) -> dict[str, Loudness]:
    """Make each planned rendition of the stream [mix] that `parts` build, and measure
    what was encoded; with `keep_files`, the renditions are written into `workdir`.

    One ffmpeg decodes and joins the mix and applies each rendition's gain and limiter.
    It writes WAV itself; lossy renditions go as raw samples to an encoder process each,
    whose output is both written and streamed to a decoder feeding a meter. Every meter reads
    a pipe in a thread of this process, so all of it runs side by side on all cores.
    With `reference_channels`, the mix itself is measured too (under REFERENCE).
    """
    from podcast.audio.meter import measure_stream

    branches = len(plans) + (1 if reference_channels else 0)
    labels = "".join(f"[b{n}]" for n in range(branches))
    parts = [*parts, f"[mix]asplit={branches}{labels}"]
    with contextlib.ExitStack() as stack, ProcessGraph(subject, workdir) as graph:
        outputs: list[str] = []
        wavs: list[BinaryIO] = []
        written: list[int] = []  # the pipes (and WAV files) the rendering ffmpeg writes to
        routes: list[tuple[RenditionSpec, Pipe, Pipe | None]] = []
        for number, plan in enumerate(plans):
            spec, gain, limiter = plan.spec, plan.gain_db, plan.limiter_dbfs
            chain = (
                f"[b{number}]volume={gain:.4f}dB,{limiter_filter(limiter)}aresample={spec.sample_rate},"
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
                "measuring the mix",
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
            [*FFMPEG, *inputs, *ONE_FILTER_THREAD, "-filter_complex", ";".join(parts), *outputs],
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
