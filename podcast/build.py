"""The orchestrator: load, render audio (in parallel), tag, render pages and feeds, publish."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import urls
from .audio.render import RenderResult, Segment, render
from .cache import Cache
from .errors import PodcastError, Problem
from .feeds.rss import PODCAST_FEED, RADIO_FEED, podcast_feed, radio_feed
from .images import Cover, load_cover
from .loader import front_matter_line, load_show, write_lock
from .model import Episode, Rendered, Show
from .notes import notes_html
from .publish import publish, staging_dir
from .site import render_site
from .tagging import EpisodeTags, write_id3

MANIFEST = "manifest.json"
KEPT_FROM_PREVIOUS = ("README.md",)

Log = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build published, with the measurements shown to the user."""

    out: Path
    episodes: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def cache_for(show: Show) -> Cache:
    return Cache(show.root / ".cache" / "podcast")


def segments_of(show: Show, episode: Episode) -> list[Segment]:
    """The programme of an episode in order: intro, recordings, outro."""
    parts = [Segment(show.intro)] if show.intro else []
    parts += [Segment(r.path, r.start, r.end) for r in episode.recordings]
    if show.outro:
        parts.append(Segment(show.outro))
    return parts


def _check_output_folder(show: Show, out: Path) -> None:
    root = show.root.resolve()
    target = out.resolve()
    if target == root or root.is_relative_to(target):
        raise PodcastError(
            f"{out}: the output folder would replace the show folder; "
            "choose another folder with --out"
        )
    if target.is_dir():
        entries = {p.name for p in target.iterdir()}
        if entries and MANIFEST not in entries and not entries <= set(KEPT_FROM_PREVIOUS):
            raise PodcastError(
                f"{out}: the folder has files that no build put there; a build replaces the "
                "whole folder, so choose an empty or new folder with --out"
            )


def _check_chapters(episode: Episode, duration: float) -> list[Problem]:
    problems = []
    for index, chapter in enumerate(episode.meta.chapters):
        if chapter.start >= duration:
            problems.append(
                Problem(
                    episode.source,
                    front_matter_line(episode.source, "chapters", index, "start"),
                    f"chapters[{index}].start",
                    f"starts at {chapter.start:.1f} s, after the end of the episode "
                    f"({duration:.1f} s)",
                    "move it inside the episode or remove it",
                )
            )
    return problems


def _tags(show: Show, episode: Episode, cover: Cover, result: RenderResult) -> EpisodeTags:
    mp3 = result.renditions["podcast.mp3"]
    return EpisodeTags(
        title=episode.meta.title,
        artist=show.config.author,
        show=show.config.title,
        number=episode.meta.number,
        season=episode.meta.season,
        date=episode.meta.date.strftime("%Y-%m-%d"),
        language=show.config.language,
        summary=episode.meta.summary,
        copyright=show.config.copyright,
        page_url=urls.absolute(show, urls.episode_page(episode)),
        cover_jpeg=cover.embedded_jpeg,
        loudness_lufs=mp3.loudness.integrated,
        true_peak_dbtp=mp3.loudness.true_peak,
    )


def _publish_episode(
    show: Show, episode: Episode, result: RenderResult, cover: Cover, stage: Path
) -> Rendered:
    mp3 = result.renditions["podcast.mp3"]
    mp3_path = stage / urls.episode_mp3(episode)
    mp3_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mp3.path, mp3_path)
    write_id3(mp3_path, _tags(show, episode, cover, result))
    broadcast = result.renditions.get("broadcast.wav")
    if broadcast is not None:
        wav_path = stage / urls.episode_broadcast(episode)
        wav_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(broadcast.path, wav_path)
    for transcript in episode.transcripts:
        target = stage / urls.episode_transcript(
            episode, transcript.language, transcript.path.suffix.lower()
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(transcript.path, target)
    return Rendered(
        episode=episode,
        notes_html=notes_html(episode.notes_markdown),
        mp3_bytes=mp3_path.stat().st_size,
        mp3_duration=mp3.duration,
        broadcast_bytes=(stage / urls.episode_broadcast(episode)).stat().st_size
        if broadcast is not None
        else None,
        broadcast_duration=broadcast.duration if broadcast is not None else None,
        loudness={
            "inputs": result.inputs,
            "renditions": {name: r.summary() for name, r in result.renditions.items()},
        },
    )


def render_audio(
    show: Show, jobs: int | None = None, log: Log = lambda _: None
) -> dict[str, RenderResult]:
    """Render every episode's renditions, in parallel; raise with every failure at once."""
    cache = cache_for(show)

    def one(episode: Episode) -> tuple[str, RenderResult | PodcastError]:
        try:
            result = render(
                segments_of(show, episode), show.config.audio, cache, str(episode.source)
            )
        except PodcastError as exc:
            return episode.slug, exc
        mp3 = result.renditions["podcast.mp3"]
        log(
            f"{episode.slug}: {mp3.loudness.integrated:.1f} LUFS, "
            f"{mp3.loudness.true_peak:.1f} dBTP, {mp3.duration:.1f} s"
        )
        return episode.slug, result

    workers = max(1, jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = dict(pool.map(one, show.episodes))
    failures = [o for o in outcomes.values() if isinstance(o, PodcastError)]
    if failures:
        raise PodcastError("\n".join(str(f) for f in failures))
    return {slug: o for slug, o in outcomes.items() if isinstance(o, RenderResult)}


def build(
    show_root: Path, out: Path | None = None, jobs: int | None = None, log: Log = lambda _: None
) -> BuildReport:
    """Build the show at `show_root` into `out` (default: `feed/` in the show folder).

    Everything is written to a staging folder first; `out` changes only if all stages succeed.
    """
    show = load_show(show_root)
    out = (out if out is not None else show.root / "feed").absolute()
    _check_output_folder(show, out)
    cover = load_cover(show.cover)
    results = render_audio(show, jobs, log)
    problems = [
        problem
        for episode in show.episodes
        for problem in _check_chapters(
            episode, results[episode.slug].renditions["podcast.mp3"].duration
        )
    ]
    if problems:
        raise PodcastError(problems)
    report = BuildReport(out=out)
    with staging_dir(out) as stage:
        for name in KEPT_FROM_PREVIOUS:
            if (out / name).is_file():
                shutil.copyfile(out / name, stage / name)
        (stage / cover.file_name).write_bytes(cover.data)
        rendered = [
            _publish_episode(show, episode, results[episode.slug], cover, stage)
            for episode in show.episodes
        ]
        render_site(show, rendered, cover, stage)
        (stage / PODCAST_FEED).write_bytes(podcast_feed(show, rendered, cover))
        if show.config.audio.broadcast:
            (stage / RADIO_FEED).write_bytes(radio_feed(show, rendered, cover))
        report.episodes = [
            {
                "slug": r.episode.slug,
                "guid": r.episode.guid,
                "title": r.episode.meta.title,
                **r.loudness,
            }
            for r in rendered
        ]
        manifest = {"show": show.config.title, "episodes": report.episodes}
        (stage / MANIFEST).write_text(
            json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        report.files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
        publish(stage, out)
    write_lock(show.root, show)
    return report
