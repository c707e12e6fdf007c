"""The orchestrator: load, render audio (in parallel), tag, render pages and feeds, publish."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from podcast import __version__
from podcast.audio import renditions
from podcast.audio.analyse import ANALYSIS_VERSION, Segment
from podcast.audio.render import RENDER_VERSION, RenderResult, RenditionResult, render
from podcast.audio.renditions import BROADCAST_RATE, BROADCAST_WAV, MP3
from podcast.audio.timeline import Timeline
from podcast.audio.tools import ffmpeg_version
from podcast.errors import PodcastError, Problem
from podcast.outputs import urls
from podcast.outputs.alternate_tags import tag_alternate
from podcast.outputs.bext import BroadcastInfo, fill_metadata_room, write_broadcast_wav
from podcast.outputs.chapters import TimedChapter, chapters_json, id3_frames, timed
from podcast.outputs.feeds.rss import PODCAST_FEED, RADIO_FEED, podcast_feed, radio_feed
from podcast.outputs.feeds.validate import FeedValidation, parser_versions
from podcast.outputs.id3 import TAGGING_VERSION, EpisodeTags, write_id3
from podcast.outputs.notes import notes_html, plain_text, renderer_version, truncate_bytes
from podcast.outputs.programme_sheet import programme_sheet, programme_warnings
from podcast.outputs.published import AlternateAudio, PublishedTranscript, Rendered
from podcast.outputs.site import render_site, theme_dirs, ui_strings
from podcast.plan.cache import Cache, Memo, key_of
from podcast.plan.sources import DEFAULT_OUTPUT, source_state
from podcast.publish.atomic import (
    Stage,
    exclusive,
    hard_link,
    publish,
    remove_staging_leftovers,
    staging_dir,
)
from podcast.publish.guard import guard_output
from podcast.show.images import Cover, load_cover
from podcast.show.loader import SHOW_FILE, load_show, show_warnings
from podcast.show.lock import LOCK_FILE, Lock, read_lock, write_lock
from podcast.show.model import ChapterMark, Episode, Show
from podcast.show.transcripts import (
    Cue,
    check_times,
    plain,
    read_transcript,
    to_json,
    to_srt,
    to_vtt,
    transcript_problems,
)

MANIFEST = "manifest.json"
GENERATOR = "podcast"  # the manifest's mark that a build of ours wrote the folder
KEPT_FROM_PREVIOUS = ("README.md",)

Log = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build published, with the measurements shown to the user."""

    out: Path
    episodes: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    placed: dict[str, list[Any]] = field(default_factory=dict)  # media by content key


def segments_of(show: Show, episode: Episode) -> list[Segment]:
    """The programme of an episode in order: intro, recordings (with jingles between), outro."""
    parts = [Segment(show.intro, kind="intro")] if show.intro else []
    for index, recording in enumerate(episode.recordings):
        if index and show.jingle:
            parts.append(Segment(show.jingle, kind="jingle"))
        parts.append(Segment(recording.path, recording.start, recording.end))
    if show.outro:
        parts.append(Segment(show.outro, kind="outro"))
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
        if entries and not entries <= set(KEPT_FROM_PREVIOUS) and not _made_by_a_build(target):
            raise PodcastError(
                f"{out}: the folder has files that no build put there; a build replaces the "
                "whole folder, so choose an empty or new folder with --out"
            )


def _made_by_a_build(folder: Path) -> bool:
    """Whether `folder` holds a manifest that a build wrote (web roots and web apps often have
    a manifest.json of their own: that one must not make the folder ours)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    # Builds before the marker wrote exactly these two keys.
    return manifest.get("generator") == GENERATOR or set(manifest) == {"show", "episodes"}


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


def published_chapters(episode: Episode, timeline: Timeline) -> tuple[ChapterMark, ...]:
    """Chapters moved onto the published timeline; the first starts at 0 (it covers the intro)."""
    return tuple(
        replace(chapter, start=0.0 if index == 0 else timeline.map(chapter.start))
        for index, chapter in enumerate(episode.chapters)
    )


def published_cues(cues: list[Cue], timeline: Timeline) -> list[Cue]:
    """Transcript cues moved onto the published timeline (cues in trimmed silence drop out)."""
    moved = [replace(c, start=timeline.map(c.start), end=timeline.map(c.end)) for c in cues]
    return [cue for cue in moved if cue.end > cue.start]


def _publish_transcripts(
    episode: Episode, timeline: Timeline, stage: Stage
) -> tuple[list[PublishedTranscript], list[Cue], list[Problem]]:
    published: list[PublishedTranscript] = []
    first_cues: list[Cue] = []
    problems: list[Problem] = []
    for transcript in episode.transcripts:
        written = read_transcript(transcript.path)
        problems += check_times(transcript.path, written, timeline.joined_duration)
        cues = published_cues(written, timeline)
        first_cues = first_cues or cues
        files = {}
        for suffix, text in (
            (".vtt", to_vtt(cues)),
            (".srt", to_srt(cues)),
            (".json", to_json(cues)),
        ):
            relative = urls.episode_transcript(episode, transcript.language, suffix)
            stage.write(relative, text)
            files[suffix] = relative
        published.append(PublishedTranscript(transcript.language, files))
    return published, first_cues, problems


def _publish_chapters(
    show: Show, episode: Episode, chapters: list[TimedChapter], stage: Stage
) -> str | None:
    if not chapters:
        return None
    image_urls: list[str | None] = []
    for index, chapter in enumerate(chapters):
        image_urls.append(None)
        if chapter.image is not None:
            relative = urls.chapter_image(episode, index, chapter.image.suffix)
            stage.write(relative, chapter.image.read_bytes())
            image_urls[-1] = urls.absolute(show, relative)
    relative = urls.episode_chapters(episode)
    stage.write(relative, chapters_json(chapters, image_urls))
    return relative


def _broadcast_info(show: Show, episode: Episode, result: RenditionResult) -> BroadcastInfo:
    config, meta, loudness = show.config, episode.meta, result.loudness
    settings = config.audio
    bits = settings.broadcast_bits
    history = (
        f"A=PCM,F={BROADCAST_RATE},W={bits},M=stereo,T=podcast {__version__}; "
        f"EBU R128 {result.spec.target_lufs:g} LUFS"
    )
    return BroadcastInfo(
        description=f"{config.title}: {meta.title}"[:256],
        originator=config.author[:32],
        originator_reference=f"{meta.number:04d}-{episode.slug}"[:32],
        origination_date=meta.date.strftime("%Y-%m-%d"),
        origination_time=meta.date.strftime("%H:%M:%S"),
        coding_history=history,
        loudness_value=loudness.integrated,
        loudness_range=loudness.lra,
        max_true_peak=loudness.peak,
        max_momentary=loudness.max_momentary,
        max_short_term=loudness.max_short_term,
        title=meta.title,
        artist=config.author,
        comment=meta.summary,
        created=meta.date.strftime("%Y-%m-%d"),
        copyright=config.copyright,
    )


def _publish_alternates(
    episode: Episode,
    result: RenderResult,
    stage: Stage,
    tags: EpisodeTags,
    chapters: list[TimedChapter],
    tags_key: str,
) -> list[AlternateAudio]:
    """The AAC and Opus renditions, tagged like the MP3 (keyed by their render and tags)."""
    published = []
    for row in renditions.alternates():
        rendition = result.renditions.get(row.file)
        if rendition is None:
            continue
        relative = urls.episode_audio(episode, row.suffix)
        key = key_of("alternate", TAGGING_VERSION, rendition.path.parent.name, row.file, tags_key)

        def tagged(target: Path, source: Path = rendition.path, style: str = row.tags) -> None:
            tag_alternate(source, target, style, tags, chapters)

        size = stage.produce(relative, key, tagged).stat().st_size
        bitrate = round(size * 8 / rendition.duration) if rendition.duration else 0
        published.append(AlternateAudio(relative, row.mime, size, bitrate, row.title))
    return published


def _publish_episode(
    show: Show,
    episode: Episode,
    result: RenderResult,
    show_cover: Cover,
    stage: Stage,
    notes_memo: Memo,
    strings: dict[str, Any],
) -> tuple[Rendered, list[Problem]]:
    """Every file of one episode; `strings` are the UI strings of its language (tag labels)."""
    mp3 = result.renditions[MP3.file]
    cover = load_cover(episode.image, "image") if episode.image else show_cover
    if episode.image:
        stage.write(cover.file_name, cover.data)
    chapters = timed(published_chapters(episode, result.timeline), mp3.duration)
    transcripts, cues, problems = _publish_transcripts(episode, result.timeline, stage)
    chapters_file = _publish_chapters(show, episode, chapters, stage)
    notes = notes_memo.get(episode.notes_markdown, notes_html)

    tags = EpisodeTags(
        title=episode.meta.title,
        artist=show.config.author,
        show=show.config.title,
        number=episode.meta.number,
        season=episode.meta.season,
        date=episode.meta.date.strftime("%Y-%m-%d"),
        language=show.config.language,
        summary=episode.meta.summary,
        description=truncate_bytes(plain_text(notes)),
        copyright=show.config.copyright,
        page_url=urls.absolute(show, urls.episode_page(episode)),
        feed_url=urls.absolute(show, PODCAST_FEED),
        guid=episode.guid,
        cover_jpeg=cover.embedded_jpeg,
        loudness_lufs=mp3.loudness.integrated,
        true_peak_dbtp=mp3.loudness.peak,
        transcript=plain(cues) if cues else None,
        transcript_label=str(strings["transcript"]),
        chapter_frames=id3_frames(chapters, str(strings["chapters"])),
    )
    version = show.config.id3_version

    def tagged(path: Path) -> None:
        shutil.copyfile(mp3.path, path)
        write_id3(path, tags, version)

    # Media are keyed by what went into them: an unchanged episode's files are linked from
    # the published folder instead of being copied and tagged again.
    fingerprint = repr(replace(tags, cover_jpeg=sha256(tags.cover_jpeg).digest()))
    tags_key = sha256(fingerprint.encode()).hexdigest()
    tag_key = key_of("id3", TAGGING_VERSION, mp3.path.parent.name, version, tags_key)
    mp3_path = stage.produce(urls.episode_mp3(episode), tag_key, tagged)
    alternates = _publish_alternates(episode, result, stage, tags, chapters, tags_key)

    broadcast = result.renditions.get(BROADCAST_WAV.file)
    broadcast_bytes = None
    if broadcast is not None:
        info = _broadcast_info(show, episode, broadcast)
        source = broadcast.path

        def with_metadata(path: Path) -> None:
            # A render published for the first time takes its metadata in place and is
            # linked (an hour of broadcast audio is a gigabyte: not copied, not written twice);
            # one already shown elsewhere is copied, so what was published never changes.
            if source.stat().st_nlink == 1 and hard_link(source, path):
                if fill_metadata_room(path, info):
                    return
                path.unlink()
            write_broadcast_wav(source, path, info)

        bwf_key = key_of("bwf", source.parent.name, repr(info))
        wav_path = stage.produce(urls.episode_broadcast(episode), bwf_key, with_metadata)
        broadcast_bytes = wav_path.stat().st_size
    sheet = None
    if broadcast is not None:
        sheet = programme_sheet(show, episode, broadcast.duration, chapters, broadcast.summary())
        stage.write(
            urls.episode_programme(episode, ".json"),
            json.dumps(sheet, indent=1, ensure_ascii=False) + "\n",
        )
    rendered = Rendered(
        episode=episode,
        notes_html=notes,
        mp3_bytes=mp3_path.stat().st_size,
        mp3_duration=mp3.duration,
        broadcast_bytes=broadcast_bytes,
        broadcast_duration=broadcast.duration if broadcast is not None else None,
        loudness={
            "inputs": [i.as_json() for i in result.inputs],
            "renditions": {name: r.summary() for name, r in result.renditions.items()},
        },
        chapters=chapters,
        chapters_json=chapters_file,
        transcripts=transcripts,
        transcript_cues=cues,
        programme=sheet,
        cover=cover,
        alternates=alternates,
    )
    return rendered, problems


class Progress(Protocol):
    """Hears how the audio of each episode goes (for a progress display)."""

    def started(self, episodes: int) -> None: ...

    def stage(self, episode: str, stage: str) -> None: ...


class NoProgress:
    def started(self, episodes: int) -> None:
        pass

    def stage(self, episode: str, stage: str) -> None:
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
                str(episode.source),
                lambda stage: listener.stage(episode.slug, stage),
            )
        except PodcastError as exc:
            listener.stage(episode.slug, "failed")
            return episode.slug, exc
        listener.stage(episode.slug, "done")
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


def build(
    show_root: Path,
    out: Path | None = None,
    jobs: int | None = None,
    log: Log = lambda _: None,
    allow: frozenset[str] = frozenset(),
    progress: Progress | None = None,
    preview_url: str | None = None,
) -> BuildReport:
    """Build the show at `show_root` into `out` (default: `feed/` in the show folder).

    Everything is written to a staging folder first; `out` changes only if all stages succeed,
    both feeds pass the validation gate and the GUID guard finds nothing that `allow` (episode
    names or GUIDs) does not cover. `progress` follows the audio of each episode.

    `preview_url` makes a preview (as `podcast serve` does): every URL starts with it instead of
    the show's base URL, and since nothing is published, neither the GUID guard runs nor is
    podcast.lock written.
    """
    root = show_root.resolve()
    if not (root / SHOW_FILE).is_file():
        load_show(root)  # reports the missing podcast.toml the usual way
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    cache = Cache.of_show(root)
    busy = f"{root}: another build of this show is running; wait for it to finish"
    with exclusive(cache.root / ".build.lock", busy):
        # Sources are looked at once, before the build: a file edited while it runs is seen
        # as changed by the next build.
        states = _source_states(root, out)
        unchanged = _up_to_date(cache, out, _fingerprint(states, allow, preview_url))
        if unchanged is not None:
            return unchanged
        show = load_show(root)
        _check_output_folder(show, out)
        if preview_url is not None:
            show = replace(show, config=show.config.model_copy(update={"base_url": preview_url}))
        # Under the lock, any staging folder or half-built cache entry is a killed build's.
        remove_staging_leftovers(out)
        cache.remove_leftovers()
        record_key = key_of(str(out))
        previous = (cache.get_json("builds", record_key) or {}).get("placed", {})
        try:
            report = _build_locked(
                show, out, cache, jobs, log, allow, previous, progress, preview_url is not None
            )
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            # The file named by the error may be the source of a copy (a cache file): name
            # the folders whose disk filled up instead.
            raise PodcastError(
                f"{out}: the disk is full (no space left to write the new build beside this "
                f"folder, or the cache in {cache.root}); the published folder was not changed. "
                "Free some space and build again."
            ) from exc
        # The build may have written podcast.lock.
        lock_file = root / LOCK_FILE
        if lock_file.exists():
            info = lock_file.stat()
            states[str(lock_file)] = (info.st_size, info.st_mtime_ns)
        files = {name: (out / name).stat().st_size for name in report.files}
        record = {
            "fingerprint": _fingerprint(states, allow, preview_url),
            "files": files,
            "episodes": report.episodes,
            "warnings": report.warnings,
            "placed": report.placed,
        }
        cache.put_json("builds", record_key, record)
        return report


def _source_states(root: Path, out: Path) -> dict[str, tuple[int, int]]:
    """Sizes and times of every file of the show and of a theme outside it."""
    theme_outside = [d for d in theme_dirs(root) if not d.is_relative_to(root)]
    states: dict[str, tuple[int, int]] = {}
    for folder in [root, *theme_outside]:
        states.update(source_state(folder, out))
    return states


def _fingerprint(
    states: dict[str, tuple[int, int]], allow: frozenset[str], preview_url: str | None
) -> str:
    """Everything a build depends on, by file sizes and times (no file is read)."""
    digest = sha256()
    versions: list[object] = [__version__, RENDER_VERSION, ANALYSIS_VERSION, TAGGING_VERSION]
    versions += [ffmpeg_version(), sorted(allow), preview_url]
    digest.update(json.dumps(versions).encode())
    for path, (size, mtime) in sorted(states.items()):
        digest.update(f"{path}|{size}|{mtime}\n".encode())
    return digest.hexdigest()


def _up_to_date(cache: Cache, out: Path, fingerprint: str) -> BuildReport | None:
    """The last build's report if no source changed since and its output is intact."""
    record = cache.get_json("builds", key_of(str(out)))
    if record is None or record.get("fingerprint") != fingerprint:
        return None
    for name, size in record["files"].items():
        try:
            if (out / name).stat().st_size != size:
                return None
        except OSError:
            return None
    return BuildReport(
        out=out,
        episodes=record["episodes"],
        files=sorted(record["files"]),
        warnings=record["warnings"],
        up_to_date=True,
    )


def _build_locked(
    show: Show,
    out: Path,
    cache: Cache,
    jobs: int | None,
    log: Log,
    allow: frozenset[str],
    previous: dict[str, list[Any]],
    progress: Progress | None,
    preview: bool = False,
) -> BuildReport:
    cover = load_cover(show.cover)
    unreadable = transcript_problems(show)
    if unreadable:
        raise PodcastError(unreadable)
    results = render_audio(show, cache, jobs, log, progress)
    problems = [
        problem
        for episode in show.episodes
        for problem in chapter_problems(episode, results[episode.slug].timeline)
    ]
    if problems:
        raise PodcastError(problems)
    report = BuildReport(
        out=out, warnings=[*cover.warnings, *show_warnings(show), *programme_warnings(show)]
    )
    with staging_dir(out) as folder:
        stage = Stage(folder, out, previous)
        for name in KEPT_FROM_PREVIOUS:
            if (out / name).is_file():
                stage.write(name, (out / name).read_bytes())
        stage.write(cover.file_name, cover.data)
        rendered = []
        notes_memo = Memo(cache, "notes", f"{__version__}|{renderer_version()}")
        strings: dict[str, dict[str, Any]] = {}
        for episode in show.episodes:
            language = episode.meta.language or show.config.language
            if language not in strings:
                strings[language] = ui_strings(show.root, language)
            item, late = _publish_episode(
                show, episode, results[episode.slug], cover, stage, notes_memo, strings[language]
            )
            rendered.append(item)
            problems += late
        if problems:
            raise PodcastError(problems)
        feeds = {PODCAST_FEED: podcast_feed(show, rendered, cover)}
        if show.config.audio.broadcast:
            feeds[RADIO_FEED] = radio_feed(show, rendered, cover)
        for name, xml in feeds.items():
            stage.write(name, xml)
        # Validation (client parsers) runs while the pages render.
        # Items the client parsers accepted before are not parsed again.
        validated_key = key_of(str(out), __version__, parser_versions())
        known = cache.get_json("validated", validated_key) or {}
        accepted = {name: set(known.get(name, [])) for name in feeds}
        with FeedValidation(feeds, folder, show.config.base_url, accepted) as validation:
            render_site(show, rendered, cover, stage)
            problems += validation.problems()
        lock = read_lock(show.root)
        if not preview:
            problems += guard_output(show, out, lock, set(allow))
        if problems:
            raise PodcastError(problems)
        report.episodes = [
            {
                "slug": r.episode.slug,
                "name": r.episode.name,
                "guid": r.episode.guid,
                "title": r.episode.meta.title,
                **r.loudness,
            }
            for r in rendered
        ]
        manifest = {
            "generator": GENERATOR,
            "show": show.config.title,
            "episodes": report.episodes,
        }
        stage.write(
            MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        )
        report.placed = stage.placed
        report.files = sorted(stage.written)
        publish(folder, out)
    cache.put_json("validated", validated_key, validation.accepted)
    notes_memo.save()
    if preview:
        return report
    write_lock(
        show.root,
        Lock(
            assigned={
                **lock.assigned,
                **{e.slug: e.guid for e in show.episodes if not e.meta.guid},
            },
            published={e.guid: e.name for e in show.episodes},
        ),
    )
    return report
