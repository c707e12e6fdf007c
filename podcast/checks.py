"""The checks `podcast check` and `podcast build` share, so both find the same problems in the
same words, and a build finds them before it renders anything. The loader (show/) has checked
every value on its own; these are the checks that need a file read in full or the audio
analysed. Two passes:

- before rendering, `check_sources`: everything that needs no audio. The show's cover and
  each episode's picture are loaded and checked in full, each transcript is parsed (once: the
  outputs take the `Sources` as they are), and the warnings are collected (among them a
  partner without `delivery` that gets an episode under embargo only at its public date). A
  partner's slot is checked by the build alone: its version's length is known once rendered.
- after analysis, `check_audio`: each episode's segments analysed (cached; nothing rendered),
  a failure named at the field that names the file (in points past the end at the in point),
  out points past the end (warnings: the recording is used to its end), what the interview
  sound could not do as planned (warnings: speech and pauses not told apart), then on each
  episode's timeline: chapters and transcript cues past the end of the recordings, and
  chapters left out of the published ones (warnings).

The GUID guard runs on its own (publish/guard.py): a build runs it on what it is about to
publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.audio.analyse import Segment, SegmentAnalysis
from podcast.audio.segments import Progress, analyse_episodes, in_show, segments_of
from podcast.audio.timeline import Timeline, place_chapters, plan_timeline
from podcast.errors import AudioFault, PodcastError, Problem, ToolError, display_path
from podcast.plan.cache import Cache
from podcast.show.images import Cover, load_cover
from podcast.show.loader import SHOW_FILE
from podcast.show.model import Episode, Show, Transcript
from podcast.show.release import Release, release
from podcast.show.transcripts import Cue, check_times, read_transcript
from podcast.show.warnings import show_warnings

if TYPE_CHECKING:
    from podcast.audio.render import RenderResult

CLIP_FIELDS = {"intro": "audio.intro", "outro": "audio.outro", "jingle": "audio.jingle"}


@dataclass
class Sources:
    """What the pass before rendering read and found: the covers and transcripts as the
    outputs use them, the problems and the warnings."""

    cover: Cover | None  # the show's cover; None when it has a problem
    pictures: dict[Path, Cover] = field(default_factory=dict)  # episodes' own covers, by file
    cues: dict[Path, list[Cue]] = field(default_factory=dict)  # transcripts as written, by file
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def show_cover(self) -> Cover:
        """The show's cover (once there are no problems)."""
        if self.cover is None:
            raise ValueError("the show's cover has a problem")
        return self.cover

    def cover_of(self, episode: Episode) -> Cover:
        """The episode's own cover, else the show's (once there are no problems)."""
        return self.pictures[episode.image] if episode.image else self.show_cover

    def transcripts_of(self, episode: Episode) -> list[tuple[Transcript, list[Cue]]]:
        """The episode's transcripts with their cues as written."""
        return [(t, self.cues[t.path]) for t in episode.transcripts]


def check_sources(show: Show, due: Release | None = None) -> Sources:
    """The pass before rendering: covers and pictures, transcripts, warnings (`due`: the
    episodes as a build at a moment sorts them; default: now)."""
    problems: list[Problem] = []
    sources = Sources(cover=_cover(show.cover, "cover", problems), problems=problems)
    for episode in show.episodes:
        if episode.image is not None and episode.image not in sources.pictures:
            picture = _cover(episode.image, "image", problems)
            if picture is not None:
                sources.pictures[episode.image] = picture
        for transcript in episode.transcripts:
            if transcript.path in sources.cues:
                continue
            try:
                sources.cues[transcript.path] = read_transcript(transcript.path)
            except PodcastError as exc:
                problems.extend(exc.problems)
    covers = [c for c in [sources.cover, *sources.pictures.values()] if c is not None]
    sources.warnings = [*(w for c in covers for w in c.warnings), *show_warnings(show)]
    due = due if due is not None else release(show, datetime.now(UTC))
    early = [
        episode
        for episode in (*due.radio_only, *due.held_back)
        if episode.meta.status != "draft"
        and episode.meta.radio_release is not None
        and episode.meta.radio_release < episode.meta.date
    ]
    sources.warnings += undelivered_warnings(show, early)
    return sources


def undelivered_warnings(show: Show, early: list[Episode]) -> list[str]:
    """For each partner without a `delivery`, a warning naming the episodes released to
    radio before their public date (`early`) that it gets only at that date: under embargo
    they are published nowhere, so a partner that only pulls `radio.xml` sees them then."""
    if not early:
        return []
    names = ", ".join(f"'{episode.name}'" for episode in early)
    return [
        f"podcast.toml: partners.{name}: no `delivery`, so it gets {names} only at the public "
        "date (under embargo an episode is in no feed, only in the drop boxes; add "
        f"[partners.{name}.delivery] to deliver it from its radio release on)"
        for name, partner in show.config.partners.items()
        if partner.delivery is None
    ]


def _cover(path: Path, name: str, problems: list[Problem]) -> Cover | None:
    try:
        return load_cover(path, name)
    except PodcastError as exc:
        problems.extend(exc.problems)
        return None


@dataclass
class AudioChecks:
    """What the pass after analysis found: per episode whose segments all could be analysed,
    the analyses (for the render) and the timeline; the problems and warnings."""

    analyses: dict[str, list[SegmentAnalysis]] = field(default_factory=dict)
    as_is: dict[str, RenderResult] = field(default_factory=dict)  # audio published as it is
    timelines: dict[str, Timeline] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_audio(
    show: Show,
    sources: Sources,
    cache: Cache,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> AudioChecks:
    """The pass after analysis, for every episode of `show` (a build passes the episodes it
    renders); `sources` gives the transcripts' cues."""
    found = analyse_episodes(show, cache, jobs, progress)
    checks = AudioChecks()
    reported_clips: set[Path] = set()  # a broken intro is named once, not per episode
    for episode in show.episodes:
        if episode.as_is:
            # Only for imported audio: `podcast check` loads no render code otherwise.
            from podcast.audio.as_is import as_is_result, changed_since_import

            try:
                as_is = as_is_result(show, episode, cache)
            except PodcastError as exc:
                checks.problems += exc.problems
                continue
            checks.as_is[episode.slug] = as_is
            checks.warnings += changed_since_import(show, episode, cache)
            checks.timelines[episode.slug] = as_is.timeline
            checks.problems += _timed_problems(episode, sources, as_is.timeline, checks)
            continue
        episode_found = found[episode.slug]
        if isinstance(episode_found, PodcastError):  # a multitrack recording not premixed
            checks.problems += episode_found.problems or [
                Problem(episode.source, 0, "recordings", str(episode_found), "")
            ]
            continue
        segments = segments_of(show, episode, cache)
        analyses: list[SegmentAnalysis] = []
        for position, (segment, result) in enumerate(zip(segments, episode_found, strict=True)):
            if isinstance(result, SegmentAnalysis):
                analyses.append(result)
                continue
            if segment.kind == "recording" or segment.path not in reported_clips:
                recording = sum(s.kind == "recording" for s in segments[:position])
                checks.problems.append(_segment_problem(show, episode, segment, recording, result))
            reported_clips.add(segment.path)
        if len(analyses) < len(segments):
            continue
        checks.warnings += out_point_warnings(episode, segments, analyses)
        checks.warnings += sound_warnings(show, episode, segments, analyses)
        timeline = plan_timeline(segments, analyses, show.config.audio)
        checks.analyses[episode.slug], checks.timelines[episode.slug] = analyses, timeline
        checks.problems += _timed_problems(episode, sources, timeline, checks)
    return checks


def _timed_problems(
    episode: Episode, sources: Sources, timeline: Timeline, checks: AudioChecks
) -> list[Problem]:
    """Chapters and transcript cues past the end of the episode's timeline (problems), and
    chapters left out of the published ones (warnings, added to `checks`)."""
    late = chapter_problems(episode, timeline)
    if not late:
        checks.warnings += place_chapters(episode, timeline)[1]
    for transcript in episode.transcripts:
        cues = sources.cues.get(transcript.path)
        if cues is not None:  # else not readable: a problem of check_sources
            late += check_times(transcript.path, cues, timeline.joined_duration)
    return late


# How far an out point may lie past the end before it is pointed out (rounded times).
OUT_POINT_SLACK_S = 0.5


def out_point_warnings(
    episode: Episode, segments: list[Segment], analyses: list[SegmentAnalysis]
) -> list[str]:
    """Out points after the end of their recording: the recording is used to its end, which
    may not be what the editors meant (a longer take, another file)."""
    warnings = []
    recordings = [(s, a) for s, a in zip(segments, analyses, strict=True) if s.kind == "recording"]
    for index, (segment, analysis) in enumerate(recordings):
        if segment.end is None:
            continue
        start = segment.start or 0.0
        if segment.end - start > analysis.duration + OUT_POINT_SLACK_S:
            warnings.append(
                f"{display_path(episode.source)}: recordings[{index}].end: the out point "
                f"{segment.end:.2f} s lies past the end of {segment.path.name} "
                f"({start + analysis.duration:.2f} s); it is used to its end (move the out "
                "point or remove it)"
            )
    return warnings


def sound_warnings(
    show: Show, episode: Episode, segments: list[Segment], analyses: list[SegmentAnalysis]
) -> list[str]:
    """What the analysis could not do as planned (audio/sound.py: speech and pauses not told
    apart, so the pauses keep their noise; audio/multitrack.py: a track aligned by its start
    only), naming the episode and the recording relative to the show."""
    subject = in_show(show, episode.source)
    warnings = [
        f"{subject}: {segment.name}: {report.note}"
        for segment, analysis in zip(segments, analyses, strict=True)
        for report in [analysis.sound_report]
        if report is not None and report.note
    ]
    if any(segment.tracks for segment in segments):
        from podcast.audio.multitrack import TrackReport

        warnings += [
            f"{subject}: {note}"
            for segment in segments
            for track in segment.tracks or ()
            for note in [TrackReport(**track).warning()]
            if note
        ]
    return warnings


def chapter_problems(episode: Episode, timeline: Timeline) -> list[Problem]:
    """Chapters are written on the recordings' timeline; each must start inside it."""
    duration = timeline.joined_duration
    return [
        Problem(
            chapter.source or episode.source,
            chapter.line,
            f"chapters[{index}].start",
            f"starts at {chapter.start:.1f} s, after the end of the recordings ({duration:.1f} s)",
            "move it inside the episode or remove it",
        )
        for index, chapter in enumerate(episode.chapters)
        if chapter.start >= duration
    ]


def _segment_problem(
    show: Show, episode: Episode, segment: Segment, index: int, error: PodcastError
) -> Problem:
    """A failed analysis as a problem at the line that names the file (`index`: which of the
    episode's recordings, for a recording)."""
    fault: AudioFault = error.fault if isinstance(error, ToolError) else "unreadable"
    if segment.kind != "recording":
        return Problem(
            show.root / SHOW_FILE,
            0,
            CLIP_FIELDS[segment.kind],
            str(error),
            "export the clip again as WAV or FLAC",
        )
    field = "start" if fault == "in_point" else "file"
    return Problem(
        episode.source,
        episode.lines.line("recordings", index, field),
        f"recordings[{index}].{field}",
        str(error),
        "" if fault == "in_point" else "export the recording again as WAV or FLAC",
    )
