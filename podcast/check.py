"""`podcast check`: every validation a build makes, without rendering audio.

Besides loading (schema, files, control characters, URLs), `check` reads the cover and images,
every transcript, analyses every recording and clip (truncated, silent, too short, in points;
cached like the build's analysis, so a build after it does not analyse again), lays out each
episode's timeline to find chapters and cues past the end, and runs the GUID guard against the
published feed.
"""

from __future__ import annotations

from pathlib import Path

from podcast.audio.analyse import Segment, analyse_segment
from podcast.audio.episodes import segments_of
from podcast.audio.timeline import plan_timeline
from podcast.errors import PodcastError, Problem
from podcast.outputs.context import chapter_problems, chapter_warnings
from podcast.outputs.programme_sheet import programme_warnings
from podcast.plan.build_record import holds_preview
from podcast.plan.cache import Cache
from podcast.plan.sources import DEFAULT_OUTPUT
from podcast.publish.guard import guard_output
from podcast.show.images import load_cover
from podcast.show.loader import SHOW_FILE, load_show
from podcast.show.lock import read_lock
from podcast.show.model import Episode, Show
from podcast.show.transcripts import check_times, read_transcript, transcript_problems
from podcast.show.warnings import show_warnings, strict_problems

CLIP_FIELDS = {"intro": "audio.intro", "outro": "audio.outro", "jingle": "audio.jingle"}


def check_show(
    show_root: Path,
    out: Path | None = None,
    allow: frozenset[str] = frozenset(),
    strict: bool = False,
) -> tuple[int, list[str]]:
    """Raise PodcastError listing every problem; else return the episode count and warnings.

    `out` is the published folder the GUID guard compares with (default: feed/ in the show);
    `allow` accepts GUID-guard objections for those episodes, as `build --allow` does;
    `strict` makes every warning a problem.
    """
    show = load_show(show_root)
    out = (out if out is not None else show.root / DEFAULT_OUTPUT).absolute()
    problems: list[Problem] = transcript_problems(show)
    warnings: list[str] = []
    for path, field in [(show.cover, "cover")] + [
        (e.image, "image") for e in show.episodes if e.image is not None
    ]:
        try:
            warnings += load_cover(path, field).warnings
        except PodcastError as exc:
            problems.extend(exc.problems)
    cache = Cache.of_show(show.root)
    reported_clips: set[Path] = set()
    try:
        for episode in show.episodes:
            problems += _episode_audio_problems(show, episode, cache, reported_clips, warnings)
    finally:
        cache.save()
    lock = read_lock(show.root)
    problems += guard_output(show, out, lock, set(allow), preview_there=holds_preview(cache, out))
    warnings += [*show_warnings(show), *programme_warnings(show)]
    if strict:
        problems += strict_problems(warnings)
    if problems:
        raise PodcastError(problems)
    return len(show.episodes), warnings


def _episode_audio_problems(
    show: Show, episode: Episode, cache: Cache, reported_clips: set[Path], warnings: list[str]
) -> list[Problem]:
    """Analyse the episode's segments; then chapters and transcript cues against its length
    (chapters left out of the published ones are added to `warnings`)."""
    problems: list[Problem] = []
    segments = segments_of(show, episode)
    analyses = []
    for position, segment in enumerate(segments):
        try:
            analyses.append(analyse_segment(segment, show.config.audio, cache))
        except PodcastError as exc:
            recording = sum(s.kind == "recording" for s in segments[:position])
            problem = _segment_problem(show, episode, segment, recording, str(exc))
            if segment.kind == "recording" or segment.path not in reported_clips:
                problems.append(problem)
            reported_clips.add(segment.path)
    if problems or len(analyses) < len(segments):
        return problems
    timeline = plan_timeline(segments, analyses, show.config.audio)
    problems += chapter_problems(episode, timeline)
    if not problems:
        warnings += chapter_warnings(episode, timeline)
    for transcript in episode.transcripts:
        try:
            cues = read_transcript(transcript.path)
        except PodcastError:
            continue  # reported by transcript_problems
        problems += check_times(transcript.path, cues, timeline.joined_duration)
    return problems


def _segment_problem(
    show: Show, episode: Episode, segment: Segment, index: int, message: str
) -> Problem:
    """A failed analysis as a problem at the line that names the file (`index`: which of the
    episode's recordings, for a recording)."""
    if segment.kind != "recording":
        return Problem(
            show.root / SHOW_FILE,
            0,
            CLIP_FIELDS[segment.kind],
            message,
            "export the clip again as WAV or FLAC",
        )
    in_point = "in point" in message
    field = "start" if in_point else "file"
    return Problem(
        episode.source,
        episode.lines.line("recordings", index, field),
        f"recordings[{index}].{field}",
        message,
        "" if in_point else "export the recording again as WAV or FLAC",
    )
