"""Render an episode's renditions, measure them, and correct until each is on target.

Each segment (intro, recordings, jingles, outro) is first brought to the podcast loudness on
its own, so a quiet interview and a hot one sound alike (analyse.py). Calibration predicts how
much each rendition's limiter and encoder take off (calibrate.py); then every rendition renders
side by side in one process graph (graph.py), is measured after encoding (true peak included)
and, if it still misses, is rendered again with a corrected gain or a lower limiter ceiling.
Renders are cached by everything that goes into them.
"""

from __future__ import annotations

import itertools
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from podcast.audio.analyse import Segment, SegmentAnalysis, analyse_segment
from podcast.audio.calibrate import Calibration, calibrate
from podcast.audio.graph import (
    Mix,
    RenditionPlan,
    SoundShaping,
    encode_and_measure,
    mix_graph,
    with_reduced_sound,
)
from podcast.audio.loudness import Loudness
from podcast.audio.probe import probe
from podcast.audio.renditions import RenditionSpec, rendition_specs
from podcast.audio.sound import hum_filters
from podcast.audio.timeline import Timeline, plan_timeline
from podcast.audio.tools import ffmpeg_version
from podcast.audio.wav import RIFF_LIMIT, WAV_HEADER_SIZE
from podcast.errors import ToolError
from podcast.plan.cache import Cache, key_of
from podcast.show.schema import AudioSettings

RENDER_VERSION = "18"


LOUDNESS_TOLERANCE_LU = 0.2


ACCEPTABLE_LU = 0.5


MAX_ATTEMPTS = 4


# A true peak this little over the ceiling after the last attempt (or a loudness within
# ACCEPTABLE_LU of the target) is published with a note: no listener can hear it.
NOTE_DB = 0.1


# How far below the ceiling a corrected limiter aims the true peak (inter-sample peaks and the
# encoder lift it above the limiter's sample peaks).
TRUE_PEAK_MARGIN_DB = 0.2


# The first limiter's ceiling below the true-peak ceiling (the MP3s of the field corpus end
# 0.2 to 0.4 dB under it: at 0.5 they ended at -1.9 dBTP, their peaks cut further than needed).
INITIAL_LIMITER_MARGIN_DB = 0.2


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
        """The measurements as JSON values (None for what was not measured: audio an imported
        episode keeps at its address)."""
        found = {
            "file": self.path.name,
            "target_lufs": self.spec.target_lufs,
            "integrated_lufs": self.loudness.integrated,
            "true_peak_dbtp": self.loudness.peak,
            "lra_lu": self.loudness.lra,
            "max_momentary_lufs": self.loudness.max_momentary,
            "max_short_term_lufs": self.loudness.max_short_term,
            "gain_db": round(self.gain_db, 2),
            "limiter_dbfs": None if self.limiter_dbfs is None else round(self.limiter_dbfs, 2),
            "duration": self.duration,
            "attempts": self.attempts,
        }
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in found.items()}


@dataclass
class RenderResult:
    """All renditions of an episode plus the per-segment input measurements."""

    inputs: list[SegmentAnalysis]
    timeline: Timeline
    renditions: dict[str, RenditionResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # build warnings (a target just missed)


def _render_pass(
    mix: Mix,
    plans: list[RenditionPlan],
    workdir: Path,
    subject: str,
) -> dict[str, Loudness]:
    """Render every planned rendition into `workdir` and measure what was encoded."""
    inputs, parts = mix_graph(mix)
    return encode_and_measure(inputs, parts, plans, workdir, subject)


def _render_renditions(
    mix: Mix,
    plans: list[RenditionPlan],
    workdir: Path,
    subject: str,
    slopes: dict[str, float],
) -> tuple[dict[str, RenditionResult], list[str]]:
    """Render all renditions, measure them, and render again those that missed, corrected
    (the first time along the excerpts' loss `slopes`, see `_loss_slopes`); with the notes on
    what was published a little off target (within NOTE_DB)."""
    results: dict[str, RenditionResult] = {}
    tried: dict[str, list[Attempt]] = {}  # per rendition, in order
    pending = list(plans)
    settled: list[RenditionPlan] = []  # missed, but another attempt would render the same
    for attempt in range(1, MAX_ATTEMPTS + 1):
        measured = _render_pass(mix, pending, workdir, subject)
        missed: list[RenditionPlan] = []
        for plan in pending:
            spec, gain, limiter = plan.spec, plan.gain_db, plan.limiter_dbfs
            loudness = measured[spec.name]
            path = workdir / spec.name
            results[spec.name] = RenditionResult(
                spec, path, loudness, gain, limiter, probe(path).duration, attempt
            )
            error = spec.target_lufs - loudness.integrated
            over = loudness.peak - spec.ceiling_dbtp
            if not math.isfinite(error):
                raise ToolError(f"{subject}: the rendered {spec.name} is silent")
            tried.setdefault(spec.name, []).append(
                Attempt(gain, loudness.integrated, limiter, loudness.peak)
            )
            if abs(error) > LOUDNESS_TOLERANCE_LU or over > 0:
                corrected = _corrected(
                    plan, loudness, tried[spec.name], 1.0 + slopes.get(spec.name, 0.0)
                )
                same = abs(corrected.gain_db - gain) < 0.01 and corrected.limiter_dbfs == limiter
                (settled if same else missed).append(corrected)
        if not missed:
            break
        pending = missed
    else:
        settled += pending
    notes = []
    for spec in (plan.spec for plan in settled):
        loudness = results[spec.name].loudness
        error = abs(spec.target_lufs - loudness.integrated)
        over = loudness.peak - spec.ceiling_dbtp
        missed_by = (
            f"({loudness.integrated} LUFS, {loudness.peak} dBTP; "
            f"target {spec.target_lufs} LUFS, <= {spec.ceiling_dbtp} dBTP)"
        )
        if error > ACCEPTABLE_LU or over > NOTE_DB:
            raise ToolError(
                f"{subject}: {spec.name} missed its target after "
                f"{results[spec.name].attempts} attempts "
                f"{missed_by}: the recording's peaks leave no room for that loudness; lower "
                "podcast_lufs or true_peak under [audio] in podcast.toml"
            )
        notes.append(
            f"{subject}: {spec.name} published a little off target {missed_by}; "
            "no listener hears the difference"
        )
    return results, notes


@dataclass(frozen=True)
class Attempt:
    """One render of a rendition: what it was given and what it measured."""

    gain_db: float
    lufs: float
    limiter_dbfs: float | None
    peak_dbtp: float


def _corrected(
    plan: RenditionPlan, loudness: Loudness, tried: list[Attempt], slope: float = 1.0
) -> RenditionPlan:
    """The next plan of a rendition that missed: the gain from the attempts so far (a limiter
    gives back less than the gain put in, so the slope between the last two attempts is
    used; after the first, `slope`: the excerpts'), and a limiter ceiling lowered by the
    true peak's overshoot over it, with margin; the gain never above what held the true
    peak where lowering the limiter did not."""
    spec, gain, limiter = plan.spec, plan.gain_db, plan.limiter_dbfs
    error = spec.target_lufs - loudness.integrated
    if len(tried) >= 2:
        before, last = tried[-2], tried[-1]
        if abs(last.gain_db - before.gain_db) > 0.05:
            slope = (last.lufs - before.lufs) / (last.gain_db - before.gain_db)
            slope = min(1.0, max(0.3, slope))
    over = loudness.peak - spec.ceiling_dbtp
    if limiter is None:
        limiter = spec.ceiling_dbtp - INITIAL_LIMITER_MARGIN_DB
        if over > -INITIAL_LIMITER_MARGIN_DB:
            # The true peak stood this far above the sample peaks the limiter will hold.
            limiter -= over + INITIAL_LIMITER_MARGIN_DB
    elif over > -TRUE_PEAK_MARGIN_DB:
        limiter -= over + TRUE_PEAK_MARGIN_DB
    corrected = gain + error / slope
    bound = _peak_bound_gain(tried, spec.ceiling_dbtp)
    if bound is None:
        return RenditionPlan(spec, corrected, limiter)
    # The limiter's own work lifted the peak: back to its first ceiling, with less gain.
    return RenditionPlan(spec, min(corrected, bound), tried[0].limiter_dbfs)


def _peak_bound_gain(tried: list[Attempt], ceiling: float) -> float | None:
    """The highest gain that holds the true peak where a lower limiter ceiling, at no more
    gain, did not lower it (the limiter's own work lifts the true peak: an outside round's
    quiet guest raised over brown noise went -0.95, -0.85, -0.92, -0.73 dBTP with the limiter
    at -1.2 to -2.08 dBFS, and the build failed); None while the limiter works. The loudness
    then ends a little short, published with a note."""
    bounds = [
        last.gain_db - (last.peak_dbtp - ceiling) - TRUE_PEAK_MARGIN_DB
        for before, last in itertools.pairwise(tried)
        if before.limiter_dbfs is not None
        and last.limiter_dbfs is not None
        and last.limiter_dbfs < before.limiter_dbfs - 0.05
        and last.gain_db <= before.gain_db + 0.05  # (more gain lifts the peak by itself)
        and last.peak_dbtp > ceiling
        and before.peak_dbtp - last.peak_dbtp < (before.limiter_dbfs - last.limiter_dbfs) / 2
    ]
    return min(bounds, default=None)


def render(
    segments: list[Segment],
    settings: AudioSettings,
    cache: Cache,
    subject: str,
    on_step: Callable[[str], None] = lambda _: None,
    analysed: list[SegmentAnalysis] | None = None,
    only: str | None = None,
) -> RenderResult:
    """Render (or take from the cache) every rendition of an episode made of `segments`.

    `analysed`: the segments' analyses when they were made before (see audio/segments.py).
    `on_step` hears "analysing" (unless `analysed`), "calibrating", "rendering" as the work
    goes on. `only`: the one rendition to make (by file name), say the broadcast WAV of the
    radio partners' version (outputs/partners.py).
    """
    if analysed is None:
        on_step("analysing")
        inputs = [analyse_segment(s, settings, cache) for s in segments]
    else:
        inputs = analysed
    if not any(s.kind == "recording" for s in segments):
        raise ToolError(f"{subject}: the episode has no recording")
    timeline = plan_timeline(segments, inputs, settings)
    specs = [s for s in rendition_specs(settings) if only is None or s.name == only]
    if not specs:
        raise ToolError(f"{subject}: the show's settings make no {only}")
    key = key_of(
        "render",
        RENDER_VERSION,
        ffmpeg_version(),
        settings.model_dump(),
        *([only] if only is not None else []),
        [
            (i.file, cache.digest(s.path), s.start, s.end, s.kind, s.sound)
            for i, s in zip(inputs, segments, strict=True)
        ],
    )
    entry = cache.entry_dir("render", key)
    if entry.is_dir():
        found = cache.get_record(
            "render", key, lambda manifest: _from_manifest(manifest, entry, specs, inputs, timeline)
        )
        if found is not None and _untouched(entry, found[1]):
            return found[0]
        # A published file shares its inode with the cache (see fill_metadata_room), and
        # someone changed it, or the entry's record is damaged or missing: render again.
        shutil.rmtree(entry, ignore_errors=True)
    _check_wav_size(specs, timeline, subject)

    mix_lufs = specs[0].target_lufs  # the podcast's target: renditions differ from it by gain
    segment_gains = [mix_lufs - i.integrated for i in inputs]
    workdir = cache.scratch_dir("render")
    reduced: Path | None = None
    try:
        # The mix's sample peak is at most the loudest segment's peak after its gain and the
        # most its envelope raises anything (the crossfades' gains add up to one); a mono
        # recording's up-mix in a stereo show is 3 dB lower still.
        peak = max(
            i.sample_peak + i.peak_raise_db + g for i, g in zip(inputs, segment_gains, strict=True)
        )
        plans = [_plan(spec, spec.target_lufs - mix_lufs, peak, limiter=True) for spec in specs]
        on_step("calibrating")
        reduced = cache.scratch_dir("render")  # each recording's reduced sound, while rendering
        shaping = [
            with_reduced_sound(
                segment,
                sound_shaping(segment, analysis, cache),
                settings.channels,
                (piece.offset, piece.length),
                reduced / f"{number}.f32",
                segment.name,
            )
            for number, (segment, analysis, piece) in enumerate(
                zip(segments, inputs, timeline.pieces, strict=True)
            )
        ]
        mix = Mix(segments, timeline, segment_gains, settings, shaping)

        def aimed(
            at: list[RenditionPlan], found: Calibration, ceilings: dict[str, float]
        ) -> list[RenditionPlan]:
            """The plans with each rendition's gain corrected by what the excerpts lost at
            the plans `at` (along the loss's slope, where two gains measured one), and its
            limiter at the ceiling given."""
            return [
                _with_ceiling(_plan(plan.spec, _aim(plan, where, found, slopes), peak), ceilings)
                for plan, where in zip(plans, at, strict=True)
            ]

        slopes: dict[str, float] = {}  # per rendition: the excerpts' loss per dB of gain
        calibration = calibrate(mix, plans, workdir, subject)
        measured, corrected = plans, aimed(plans, calibration, {})
        driven = [
            plan
            for plan in corrected
            if plan.limiter_dbfs is not None
            and abs(calibration.offsets.get(plan.spec.name, 0.0)) > LOUDNESS_TOLERANCE_LU / 2
        ]
        if driven:
            # A limiter takes more off the harder it is driven, so what it takes at the
            # corrected gain is measured on the excerpts again: a second of work instead of a
            # second full render (leveled interviews have the peaks to make this matter).
            again = calibrate(mix, corrected, workdir, subject)
            slopes = _loss_slopes(plans, calibration, corrected, again)
            calibration, measured = again, corrected
            corrected = aimed(measured, calibration, {})
        ceilings = _excerpt_ceilings(measured, calibration.peaks)
        if ceilings:
            # Lowered where the excerpts' true peak came near the ceiling; what the limiter
            # then takes off is measured once more.
            lowered = [_with_ceiling(plan, ceilings) for plan in corrected]
            corrected = aimed(lowered, calibrate(mix, lowered, workdir, subject), ceilings)
        on_step("rendering")
        results, notes = _render_renditions(mix, corrected, workdir, subject, slopes)
        result = RenderResult(inputs=inputs, timeline=timeline, renditions=results, notes=notes)
        summary = {
            "notes": notes,
            "inputs": [i.as_json() for i in inputs],
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
    finally:
        if reduced is not None:
            shutil.rmtree(reduced, ignore_errors=True)


def sound_shaping(segment: Segment, analysis: SegmentAnalysis, cache: Cache) -> SoundShaping:
    """The filters and gain envelope the analysis chose for a segment's sound."""
    if segment.sound is None:
        return SoundShaping()
    report = analysis.sound_report
    filters = hum_filters(segment.sound, report.hum if report is not None else None)
    envelope = None if analysis.envelope is None else cache.file_path("envelope", analysis.envelope)
    same = analysis.same_channels
    if analysis.denoise is None or report is None:
        return SoundShaping(tuple(filters), envelope, same_channels=same)
    schedule = np.fromfile(cache.file_path("denoise", analysis.denoise), dtype=np.float32)
    steps = tuple(float(step) for step in schedule)
    return SoundShaping(tuple(filters), envelope, steps, same)


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _untouched(entry: Path, stamps: dict[str, list[int]]) -> bool:
    """Whether every file of a cache entry is as it was rendered (same size and time)."""
    try:
        return all(_stamp(entry / name) == stamp for name, stamp in stamps.items())
    except OSError:
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


# The excerpts' loss per dB of gain is taken between these (the limiter takes at least part of
# the gain put in, never all: as _corrected's slopes).
STEEPEST_LOSS = -0.7


def _loss_slopes(
    plans: list[RenditionPlan],
    first: Calibration,
    replanned: list[RenditionPlan],
    second: Calibration,
) -> dict[str, float]:
    """Per rendition, how much more the excerpts lost per dB of gain (<= 0), from two
    calibrations at different gains (`plans` measured `first`, `replanned` `second`)."""
    slopes = {}
    for before, after in zip(plans, replanned, strict=True):
        name = before.spec.name
        if name not in first.offsets or name not in second.offsets:
            continue
        moved = after.gain_db - before.gain_db
        if abs(moved) > 0.05:
            slope = (second.offsets[name] - first.offsets[name]) / moved
            slopes[name] = min(0.0, max(STEEPEST_LOSS, slope))
    return slopes


def _aim(
    plan: RenditionPlan, at: RenditionPlan, found: Calibration, slopes: dict[str, float]
) -> float:
    """The gain at which `plan`'s rendition ends at its target, from what its excerpts lost at
    `at`'s gain and how that loss grows with the gain (`slopes`): the loss at the gain g is
    taken as offset + slope * (g - at), and g + loss(g) = the plan's gain solved for g (a
    limiter driven harder takes more: aimed at the loss measured alone, an outside round's
    27-minute stereo interview rendered 0.25 LU short, and three times)."""
    name = plan.spec.name
    offset, slope = found.offsets.get(name, 0.0), slopes.get(name, 0.0)
    return (plan.gain_db - offset + slope * at.gain_db) / (1 + slope)


def _plan(
    spec: RenditionSpec, gain: float, mix_peak: float, limiter: bool = False
) -> RenditionPlan:
    """A rendition's first plan: with a limiter only where its peaks could reach the ceiling
    (or always, with `limiter`). Every render is measured, so a wrong guess costs a retry."""
    needed = limiter or mix_peak + gain + INTERSAMPLE_HEADROOM_DB > spec.ceiling_dbtp
    return RenditionPlan(
        spec, gain, spec.ceiling_dbtp - INITIAL_LIMITER_MARGIN_DB if needed else None
    )


# How near the ceiling the calibration's excerpts may bring the true peak before the first
# render's limiter is lowered, and how far under it that limiter then aims it: a whole
# programme's peaks go further over the limiter than a minute's (an outside round's hot
# 31-minute stereo WAV: excerpts at -1.22 dBTP, the render at -0.94, three renders at 0.2).
EXCERPT_PEAK_MARGIN_DB = 0.4


def _excerpt_ceilings(plans: list[RenditionPlan], peaks: dict[str, float]) -> dict[str, float]:
    """Lower limiter ceilings (dBFS, by rendition) where the calibration's excerpts brought
    the true peak within EXCERPT_PEAK_MARGIN_DB of the ceiling: lowered to that margin under
    it, and by the excerpts' overshoot over the limiter once more, for the whole
    programme's peaks go further over it than a minute's (an outside round's 28-minute
    stereo interview: excerpts 0.23 dB over the limiter, the whole 0.54 dB, so every build
    rendered twice)."""
    ceilings = {}
    for plan in plans:
        found = peaks.get(plan.spec.name)
        if plan.limiter_dbfs is None or found is None:
            continue
        over = found - plan.spec.ceiling_dbtp
        if over > -EXCERPT_PEAK_MARGIN_DB:
            overshoot = max(0.0, found - plan.limiter_dbfs)
            lowered = plan.limiter_dbfs - over - EXCERPT_PEAK_MARGIN_DB - overshoot
            ceilings[plan.spec.name] = min(plan.limiter_dbfs, lowered)
    return ceilings


def _with_ceiling(plan: RenditionPlan, ceilings: dict[str, float]) -> RenditionPlan:
    """`plan` with its limiter at the ceiling `ceilings` give its rendition, if any."""
    ceiling = ceilings.get(plan.spec.name)
    if ceiling is None:
        return plan
    return RenditionPlan(plan.spec, plan.gain_db, ceiling)


def _from_manifest(
    manifest: dict[str, Any],
    entry: Path,
    specs: list[RenditionSpec],
    inputs: list[SegmentAnalysis],
    timeline: Timeline,
) -> tuple[RenderResult, dict[str, list[int]]]:
    """The result a render entry's record describes, and the stamps of its files; KeyError,
    TypeError or ValueError when the record is damaged or from an older version."""
    notes = [str(note) for note in manifest.get("notes", [])]
    result = RenderResult(inputs=inputs, timeline=timeline, notes=notes)
    for spec in specs:
        data = manifest["renditions"][spec.name]
        limiter = data["limiter_dbfs"]
        result.renditions[spec.name] = RenditionResult(
            spec=spec,
            path=entry / spec.name,
            loudness=Loudness(
                float(data["integrated_lufs"]),
                float(data["lra_lu"]),
                float(data["true_peak_dbtp"]),
                float(data["max_momentary_lufs"]),
                float(data["max_short_term_lufs"]),
            ),
            gain_db=float(data["gain_db"]),
            limiter_dbfs=None if limiter is None else float(limiter),
            duration=float(data["duration"]),
            attempts=int(data["attempts"]),
        )
    stamps = {str(name): [int(n) for n in stamp] for name, stamp in manifest["stamps"].items()}
    return result, stamps
