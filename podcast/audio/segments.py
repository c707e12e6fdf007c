"""The programme of each episode as segments (intro, recordings with jingles between, outro),
and their analysis, episodes in parallel: what the checks after analysis and the render read.
Nothing here renders."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol, TypeVar

from podcast import stopping
from podcast.audio.analyse import Segment, SegmentAnalysis, analyse_segment
from podcast.audio.sound import SoundSettings
from podcast.errors import PodcastError
from podcast.plan.cache import Cache
from podcast.show.model import Episode, Recording, Show

T = TypeVar("T")


def sound_of(show: Show, recording: Recording) -> SoundSettings:
    """What is done to a recording's sound: its own settings, else the show's."""
    audio = show.config.audio

    def choice(own: T | None, default: T) -> T:
        return default if own is None else own

    return SoundSettings(
        level_speech=choice(recording.level_speech, audio.level_speech),
        noise_reduction_db=choice(recording.noise_reduction_db, audio.noise_reduction_db),
        hum_removal=choice(recording.hum_removal, audio.hum_removal),
        highpass_hz=choice(recording.highpass_hz, audio.highpass_hz),
    )


def in_show(show: Show, path: Path) -> str:
    """A path as messages name it: relative to the show's folder when inside it."""
    try:
        return path.relative_to(show.root).as_posix()
    except ValueError:
        return str(path)


def segments_of(show: Show, episode: Episode, cache: Cache | None = None) -> list[Segment]:
    """The programme of an episode in order: intro, recordings (with jingles between), outro.

    A multitrack recording is its premix (multitrack.py, made in `cache` on first use)."""

    def part(path: Path, **fields: Any) -> Segment:
        return Segment(path, label=in_show(show, path), **fields)

    if episode.as_is:  # published as it is (audio/as_is.py): nothing to analyse or mix
        return []

    parts = [part(show.intro, kind="intro")] if show.intro else []
    for index, recording in enumerate(episode.recordings):
        if index and show.jingle:
            parts.append(part(show.jingle, kind="jingle"))
        if recording.tracks:
            if cache is None:
                raise ValueError("a multitrack recording needs the cache for its premix")
            from podcast.audio.multitrack import premix

            field = f"recordings[{index}]"
            mixed = premix(recording, show.config.audio, cache, episode.source, field)
            names = " + ".join(t.path.name for t in recording.tracks)
            label = f"{in_show(show, recording.path.parent)}/{names}"
            tracks = tuple(asdict(t) for t in mixed.tracks)
            parts.append(Segment(mixed.path, label=label, tracks=tracks))
            continue
        parts.append(
            part(
                recording.path,
                start=recording.start,
                end=recording.end,
                sound=sound_of(show, recording),
            )
        )
    if show.outro:
        parts.append(part(show.outro, kind="outro"))
    return parts


def load_multitrack(show: Show, cache: Cache) -> None:
    """Import the multitrack code, and scipy's compiled modules when a premix is to be made,
    before any threads start: lazy imports of compiled modules from several threads can
    deadlock. (Not when every premix is cached: the import takes a second or two, and a
    build of unchanged audio or a check would wait for it.)"""
    recordings = [r for e in show.episodes for r in e.recordings if r.tracks]
    if not recordings:
        return
    from podcast.audio import multitrack

    if not all(multitrack.premixed(r, show.config.audio, cache) for r in recordings):
        multitrack.load_dsp()


class Progress(Protocol):
    """Hears how the audio of each episode goes (for a progress display)."""

    def started(self, episodes: int) -> None: ...

    def step(self, episode: str, step: str) -> None: ...


class NoProgress:
    def started(self, episodes: int) -> None:
        pass

    def step(self, episode: str, step: str) -> None:
        pass


# Per segment of an episode, in order: its analysis, or why it could not be analysed; or why
# the episode has no segments to analyse (a multitrack recording that could not be premixed).
Analyses = list[SegmentAnalysis | PodcastError] | PodcastError


def analyse_episodes(
    show: Show, cache: Cache, jobs: int | None = None, progress: Progress | None = None
) -> dict[str, Analyses]:
    """Analyse every segment of every episode of `show` (cached; episodes in parallel).

    `progress` hears "analysing" for each episode, and "failed" for one whose analysis failed.
    """
    listener = progress or NoProgress()
    listener.started(len(show.episodes))
    load_multitrack(show, cache)

    def one(episode: Episode) -> tuple[str, Analyses]:
        listener.step(episode.slug, "analysing")
        try:
            segments = segments_of(show, episode, cache)
        except PodcastError as exc:
            listener.step(episode.slug, "failed")
            return episode.slug, exc
        found: list[SegmentAnalysis | PodcastError] = []
        for segment in segments:
            try:
                found.append(analyse_segment(segment, show.config.audio, cache))
            except PodcastError as exc:
                found.append(exc)
        if any(isinstance(f, PodcastError) for f in found):
            listener.step(episode.slug, "failed")
        return episode.slug, found

    workers = max(1, jobs or os.cpu_count() or 1)
    try:
        with stopping.worker_pool(workers) as pool:
            return dict(stopping.mapped(pool, one, show.episodes))
    finally:
        cache.save()
