"""The audio of every episode of a show rendered, episodes in parallel (their segments and
analysis: segments.py)."""

from __future__ import annotations

import os
from collections.abc import Callable

from podcast import stopping
from podcast.audio.analyse import SegmentAnalysis
from podcast.audio.render import RenderResult, render
from podcast.audio.renditions import MP3
from podcast.audio.segments import NoProgress, Progress, in_show, load_multitrack, segments_of
from podcast.errors import PodcastError
from podcast.plan.cache import Cache
from podcast.show.model import Episode, Show

Log = Callable[[str], None]


def render_audio(
    show: Show,
    cache: Cache,
    jobs: int | None = None,
    log: Log = lambda _: None,
    progress: Progress | None = None,
    analysed: dict[str, list[SegmentAnalysis]] | None = None,
) -> dict[str, RenderResult]:
    """Render every episode's renditions, in parallel; raise with every failure at once.

    `analysed`: each episode's segments as analyse_episodes found them (else analysed here).
    `progress` hears each episode's stages, ending with "done" or "failed".
    """
    known = analysed or {}
    listener = progress or NoProgress()
    listener.started(len(show.episodes))
    load_multitrack(show, cache)

    def one(episode: Episode) -> tuple[str, RenderResult | PodcastError]:
        try:
            result = render(
                segments_of(show, episode, cache),
                show.config.audio,
                cache,
                in_show(show, episode.source),
                lambda step: listener.step(episode.slug, step),
                known.get(episode.slug),
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
        with stopping.worker_pool(workers) as pool:
            outcomes = dict(stopping.mapped(pool, one, show.episodes))
    finally:
        cache.save()
    failures = [o for o in outcomes.values() if isinstance(o, PodcastError)]
    if failures:
        raise PodcastError("\n".join(str(f) for f in failures))
    return {slug: o for slug, o in outcomes.items() if isinstance(o, RenderResult)}
