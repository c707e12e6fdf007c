"""Render an episode's renditions in one ffmpeg pass per attempt, then measure and correct.

Each segment (intro, recordings, outro) is first brought to the programme loudness on its own, so
a quiet interview and a hot one sound alike. The joined programme is split into a podcast MP3 and a
broadcast WAV, each with its own gain and a limiter. A limiter lowers integrated loudness and MP3
encoding moves true peaks, so every rendition is measured after encoding and re-rendered with a
corrected gain or ceiling until it lands within tolerance.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache import Cache, file_digest, key_of
from ..errors import ToolError
from ..model import AudioSettings
from .loudness import Loudness, measure_file, measure_graph
from .probe import probe
from .tools import ffmpeg_version, file_arg, run

RENDER_VERSION = "2"
LOUDNESS_TOLERANCE_LU = 0.2
ACCEPTABLE_LU = 0.5
MAX_ATTEMPTS = 4
INITIAL_LIMITER_MARGIN_DB = 0.5
PODCAST_RATE = 44100
BROADCAST_RATE = 48000


@dataclass(frozen=True)
class Segment:
    """One piece of the programme: a file, optionally trimmed."""

    path: Path
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class RenditionSpec:
    """What one output should be: file name, loudness target and encoder arguments."""

    name: str
    target_lufs: float
    ceiling_dbtp: float
    sample_rate: int
    codec_args: tuple[str, ...]


@dataclass
class RenditionResult:
    """A rendered file with the measurements that prove it meets its target."""

    spec: RenditionSpec
    path: Path
    loudness: Loudness
    gain_db: float
    limiter_dbfs: float
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
            "limiter_dbfs": round(self.limiter_dbfs, 2),
            "duration": self.duration,
            "attempts": self.attempts,
        }


@dataclass
class RenderResult:
    """All renditions of an episode plus the per-segment input measurements."""

    inputs: list[dict[str, Any]]
    renditions: dict[str, RenditionResult] = field(default_factory=dict)


def rendition_specs(settings: AudioSettings) -> list[RenditionSpec]:
    """The renditions the show's settings ask for."""
    channels = "2" if settings.channels == "stereo" else "1"
    specs = [
        RenditionSpec(
            name="podcast.mp3",
            target_lufs=settings.podcast_target,
            ceiling_dbtp=settings.true_peak,
            sample_rate=PODCAST_RATE,
            codec_args=(
                "-ac",
                channels,
                "-c:a",
                "libmp3lame",
                "-b:a",
                f"{settings.mp3_bitrate}k",
                "-write_xing",
                "1",
                "-id3v2_version",
                "0",
                "-write_id3v1",
                "0",
                "-f",
                "mp3",
            ),
        )
    ]
    stereo = settings.channels == "stereo"
    if "aac" in settings.alternate_encodings:
        specs.append(
            RenditionSpec(
                name="podcast.m4a",
                target_lufs=settings.podcast_target,
                ceiling_dbtp=settings.true_peak,
                sample_rate=PODCAST_RATE,
                codec_args=(
                    "-ac",
                    channels,
                    "-c:a",
                    "aac",
                    "-b:a",
                    "96k" if stereo else "64k",
                    "-movflags",
                    "+faststart",
                    "-f",
                    "mp4",
                ),
            )
        )
    if "opus" in settings.alternate_encodings:
        specs.append(
            RenditionSpec(
                name="podcast.opus",
                target_lufs=settings.podcast_target,
                ceiling_dbtp=settings.true_peak,
                sample_rate=BROADCAST_RATE,  # Opus runs at 48 kHz
                codec_args=(
                    "-ac",
                    channels,
                    "-c:a",
                    "libopus",
                    "-b:a",
                    "64k" if stereo else "32k",
                    "-f",
                    "ogg",
                ),
            )
        )
    if settings.broadcast:
        codec = "pcm_s24le" if settings.broadcast_bits == 24 else "pcm_s16le"
        specs.append(
            RenditionSpec(
                name="broadcast.wav",
                target_lufs=settings.broadcast_lufs,
                ceiling_dbtp=settings.true_peak,
                sample_rate=BROADCAST_RATE,
                codec_args=("-ac", "2", "-c:a", codec, "-rf64", "auto", "-f", "wav"),
            )
        )
    return specs


def _segment_chain(segment: Segment, layout: str) -> str:
    """Filters that trim a segment and bring it to the common format."""
    filters = []
    if segment.start is not None or segment.end is not None:
        bounds = []
        if segment.start is not None:
            bounds.append(f"start={segment.start:.6f}")
        if segment.end is not None:
            bounds.append(f"end={segment.end:.6f}")
        filters += [f"atrim={':'.join(bounds)}", "asetpts=PTS-STARTPTS"]
    filters += [
        f"aresample={BROADCAST_RATE}",
        f"aformat=sample_fmts=fltp:channel_layouts={layout}",
    ]
    return ",".join(filters)


def analyse_segment(segment: Segment, layout: str, cache: Cache) -> dict[str, Any]:
    """Loudness and duration of a segment as it enters the programme; cached by content."""
    key = key_of(
        "segment", file_digest(segment.path), segment.start, segment.end, layout, ffmpeg_version()
    )
    cached = cache.get_json("analysis", key)
    if cached is not None:
        return cached
    info = probe(segment.path)
    loudness = measure_graph(
        ["-i", file_arg(segment.path)], _segment_chain(segment, layout), segment.path
    )
    if loudness.silent:
        raise ToolError(
            f"{segment.path}: the recording is silent (loudness below {loudness.integrated} LUFS);"
            " check the export or the in/out points"
        )
    start = segment.start or 0.0
    end = min(segment.end, info.duration) if segment.end is not None else info.duration
    if end - start <= 0:
        raise ToolError(
            f"{segment.path}: the in point {start:.2f} s lies past the end of the recording "
            f"({info.duration:.2f} s)"
        )
    data: dict[str, Any] = {
        "file": str(segment.path.name),
        "format": info.format_name,
        "codec": info.codec,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "duration": round(end - start, 6),
        **loudness.as_dict(),
    }
    cache.put_json("analysis", key, data)
    return data


def _db_to_linear(db: float) -> float:
    return float(10 ** (db / 20))


def _render_pass(
    segments: list[Segment],
    segment_gains: list[float],
    layout: str,
    outputs: list[tuple[RenditionSpec, float, float, Path]],
    subject: str,
) -> None:
    """One ffmpeg run: decode every segment once, join, split into the requested outputs."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]
    for segment in segments:
        args += ["-i", file_arg(segment.path)]
    parts = []
    for index, (segment, gain) in enumerate(zip(segments, segment_gains, strict=True)):
        parts.append(f"[{index}:a]{_segment_chain(segment, layout)},volume={gain:.4f}dB[s{index}]")
    joined = "".join(f"[s{i}]" for i in range(len(segments)))
    split = f"asplit={len(outputs)}" if len(outputs) > 1 else "anull"
    labels = "".join(f"[m{i}]" for i in range(len(outputs)))
    parts.append(f"{joined}concat=n={len(segments)}:v=0:a=1,{split}{labels}")
    for index, (spec, gain, limiter_dbfs, _) in enumerate(outputs):
        limit = min(1.0, max(0.0625, _db_to_linear(limiter_dbfs)))
        parts.append(
            f"[m{index}]volume={gain:.4f}dB,"
            f"alimiter=limit={limit:.6f}:level=false:latency=true:attack=5:release=100,"
            f"aresample={spec.sample_rate}[o{index}]"
        )
    args += ["-filter_complex", ";".join(parts)]
    for index, (spec, _, _, path) in enumerate(outputs):
        args += [
            "-map",
            f"[o{index}]",
            "-ar",
            str(spec.sample_rate),
            *spec.codec_args,
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            file_arg(path),
        ]
    run(args, subject, "rendering")


def render(
    segments: list[Segment],
    settings: AudioSettings,
    cache: Cache,
    subject: str,
) -> RenderResult:
    """Render (or take from the cache) every rendition of a programme made of `segments`."""
    layout = settings.channels
    inputs = [analyse_segment(s, layout, cache) for s in segments]
    specs = rendition_specs(settings)
    key = key_of(
        "render",
        RENDER_VERSION,
        ffmpeg_version(),
        settings.model_dump(),
        [
            (i["file"], file_digest(s.path), s.start, s.end)
            for i, s in zip(inputs, segments, strict=True)
        ],
    )
    entry = cache.entry_dir("render", key)
    manifest = cache.get_json("render", key)
    if manifest is not None and entry.is_dir():
        return _from_manifest(manifest, entry, specs, inputs)

    programme_lufs = specs[0].target_lufs
    segment_gains = [programme_lufs - float(i["integrated"]) for i in inputs]
    workdir = cache.scratch_dir("render")
    try:
        state = {
            spec.name: [
                spec.target_lufs - programme_lufs,
                spec.ceiling_dbtp - INITIAL_LIMITER_MARGIN_DB,
            ]
            for spec in specs
        }
        results: dict[str, RenditionResult] = {}
        pending = list(specs)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outputs = [(s, state[s.name][0], state[s.name][1], workdir / s.name) for s in pending]
            _render_pass(segments, segment_gains, layout, outputs, subject)
            still_pending = []
            for spec in pending:
                path = workdir / spec.name
                measured = measure_file(path)
                gain, limiter = state[spec.name]
                results[spec.name] = RenditionResult(
                    spec, path, measured, gain, limiter, probe(path).duration, attempt
                )
                error = spec.target_lufs - measured.integrated
                over = measured.true_peak - spec.ceiling_dbtp
                if abs(error) <= LOUDNESS_TOLERANCE_LU and over <= 0:
                    continue
                if not math.isfinite(error):
                    raise ToolError(f"{subject}: the rendered {spec.name} is silent")
                state[spec.name] = [gain + error, limiter - max(0.0, over + 0.1)]
                still_pending.append(spec)
            pending = still_pending
            if not pending:
                break
        for spec in pending:
            missed = results[spec.name].loudness
            if (
                missed.true_peak > spec.ceiling_dbtp
                or abs(spec.target_lufs - missed.integrated) > ACCEPTABLE_LU
            ):
                raise ToolError(
                    f"{subject}: {spec.name} missed its target after {MAX_ATTEMPTS} attempts "
                    f"({missed.integrated} LUFS, {missed.true_peak} dBTP; target "
                    f"{spec.target_lufs} LUFS, <= {spec.ceiling_dbtp} dBTP)"
                )
        result = RenderResult(inputs=inputs, renditions=results)
        summary = {"inputs": inputs, "renditions": {n: r.summary() for n, r in results.items()}}
        committed = cache.commit_dir("render", key, workdir)
        cache.put_json("render", key, summary)
        for rendition in results.values():
            rendition.path = committed / rendition.spec.name
        return result
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _from_manifest(
    manifest: dict[str, Any], entry: Path, specs: list[RenditionSpec], inputs: list[dict[str, Any]]
) -> RenderResult:
    result = RenderResult(inputs=inputs)
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
