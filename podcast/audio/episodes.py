"""The audio of every episode of a show: its segments in order, rendered in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from podcast.audio.analyse import Segment
from podcast.audio.render import RenderResult, render
from podcast.audio.renditions import MP3
from podcast.audio.sound import SoundSettings
from podcast.errors import PodcastError
from podcast.plan.cache import Cache
from podcast.show.model import Episode, Recording, Show

Log = Callable[[str], None]
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


def segments_of(show: Show, episode: Episode) -> list[Segment]:
    """The programme of an episode in order: intro, recordings (with jingles between), outro."""

    def part(path: Path, **fields: Any) -> Segment:
        return Segment(path, label=in_show(show, path), **fields)

    parts = [part(show.intro, kind="intro")] if show.intro else []
    for index, recording in enumerate(episode.recordings):
        if index and show.jingle:
            parts.append(part(show.jingle, kind="jingle"))
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


class Progress(Protocol):
    """Hears how the audio of each episode goes (for a progress display)."""

    def started(self, episodes: int) -> None: ...

    def step(self, episode: str, step: str) -> None: ...


class NoProgress:
    def started(self, episodes: int) -> None:
        pass

    def step(self, episode: str, step: str) -> None:
        pass


def render_audio(
    show: Show,
    cache: Cache,
    jobs: int | None = None,
    log: Log = lambda _: None,
    progress: Progress | None = None,
) -> dict[str, RenderResult]:
    """Render every episode's renditions, in parallel; raise with every failure at once.

    `progress` hears each episode's stages, ending with "done" or "failed".
    """
    listener = progress or NoProgress()
    listener.started(len(show.episodes))

    def one(episode: Episode) -> tuple[str, RenderResult | PodcastError]:
        try:
            result = render(
                segments_of(show, episode),
                show.config.audio,
                cache,
                in_show(show, episode.source),
                lambda step: listener.step(episode.slug, step),
            )
        except PodcastError as exc:
            listener.step(episode.slug, "failed")
            return episode.slug, exc
        listener.step(episode.slug, "done")
        mp3 = result.renditions[MP3.file]
        log(
            f"{episode.slug}: {mp3.loudness.integrated:.1f} LUFS, "
            f"{mp3.loudness.peak:.1f} dBTP, {mp3.duration:.1f} s"
        )
        return episode.slug, result

    workers = max(1, jobs or os.cpu_count() or 1)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = dict(pool.map(one, show.episodes))
    finally:
        cache.save()
    failures = [o for o in outcomes.values() if isinstance(o, PodcastError)]
    if failures:
        raise PodcastError("\n".join(str(f) for f in failures))
    return {slug: o for slug, o in outcomes.items() if isinstance(o, RenderResult)}
