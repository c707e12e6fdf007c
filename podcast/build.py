"""The orchestrator: load the show, see what is stale, render the audio (in parallel), write
every episode's outputs, the pages and the feeds into a staging folder, validate, guard the
GUIDs, and publish the folder in one swap."""

from __future__ import annotations

import errno
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podcast import __version__, stopping
from podcast.audio.episodes import Log, render_audio
from podcast.audio.segments import Progress
from podcast.checks import check_audio, check_sources
from podcast.errors import PodcastError
from podcast.outputs import urls
from podcast.outputs.context import episode_context
from podcast.outputs.episode import episode_summary, publish_episode
from podcast.outputs.feeds.validate import FeedValidation, parser_versions
from podcast.outputs.notes import notes_html, renderer_version
from podcast.outputs.partners import (
    loudness_warning,
    make_partner_files,
    partner_cut,
    put_partner_record,
    slot_warning,
    words_key,
)
from podcast.outputs.site import render_site, ui_strings, write_feeds
from podcast.outputs.writer import OutputWriter
from podcast.plan.build_record import (
    holds_preview,
    last_build,
    last_build_if_unchanged,
    prune_renders,
    record_files,
    refresh_stamps,
    save_build,
)
from podcast.plan.cache import Cache, Memo, key_of
from podcast.plan.fingerprint import fingerprint, source_states
from podcast.plan.sources import DEFAULT_OUTPUT
from podcast.publish.atomic import publish, remove_staging_leftovers, show_lock, staging_dir
from podcast.publish.guard import base_move_warnings, guard_output
from podcast.publish.output_folder import (
    GENERATOR,
    KEPT_FROM_PREVIOUS,
    MANIFEST,
    check_output_folder,
)
from podcast.show.loader import SHOW_FILE, load_show
from podcast.show.lock import LOCK_FILE, Lock, read_lock, write_lock
from podcast.show.model import Show
from podcast.show.release import Release, preview_mark, release
from podcast.show.warnings import as_is_notes, strict_problems


@dataclass
class BuildReport:
    """What a build published, with the measurements shown to the user."""

    out: Path
    episodes: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts to know, not to fix (never strict)
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    held_back: int = 0  # drafts and episodes not yet due
    radio_only: int = 0  # out for radio partners only, under embargo
    next_release: str | None = None  # when a build would publish more (ISO 8601)
    renders: list[str] = field(default_factory=list)  # the render cache entries it used
    placed: dict[str, list[Any]] = field(default_factory=dict)  # media by content key


def build(
    show_root: Path,
    out: Path | None = None,
    jobs: int | None = None,
    log: Log = lambda _: None,
    allow: frozenset[str] = frozenset(),
    progress: Progress | None = None,
    preview_url: str | None = None,
    strict: bool = False,
    now: datetime | None = None,
) -> BuildReport:
    """Build the show at `show_root` into `out` (default: `feed/` in the show folder).

    Everything is written to a staging folder first; `out` changes only if all stages succeed,
    both feeds pass the validation gate and the GUID guard finds nothing that `allow` (episode
    names or GUIDs) does not cover. `progress` follows the audio of each episode.

    `preview_url` makes a preview (as `podcast serve` does): every URL starts with it instead of
    the show's base URL, and since nothing is published, neither the GUID guard runs nor is
    podcast.lock written. `strict` refuses to publish while there are warnings.

    Drafts and episodes dated after `now` (default: the present) are held back; radio partners
    get an episode from its `radio_release` on (see show/release.py). A preview shows all.
    """
    stopping.begin()
    moment = now or datetime.now(UTC)
    root = show_root.resolve()
    if not (root / SHOW_FILE).is_file():
        load_show(root)  # reports the missing podcast.toml the usual way
    out = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    cache = Cache.of_show(root)
    with show_lock(cache.root, root):
        # Sources are looked at once, before the build: a file edited while it runs is seen
        # as changed by the next build.
        states = source_states(root, out)
        unchanged = last_build_if_unchanged(cache, out, fingerprint(states, allow, preview_url))
        due = (unchanged or {}).get("next_release")
        if due is not None and datetime.fromisoformat(due) <= moment:
            unchanged = None  # an episode held back is due now
        if unchanged is not None:
            if strict and unchanged["warnings"]:
                raise PodcastError(strict_problems(unchanged["warnings"]))
            return BuildReport(
                out=out,
                episodes=unchanged["episodes"],
                files=sorted(unchanged["files"]),
                warnings=unchanged["warnings"],
                notes=unchanged.get("notes", []),
                up_to_date=True,
                held_back=unchanged.get("held_back", 0),
                radio_only=unchanged.get("radio_only", 0),
                next_release=due,
            )
        show = load_show(root)
        check_output_folder(show, out)
        if preview_url is not None:
            # Everything from the local server: no other media host, no analytics redirect.
            preview = {"base_url": preview_url, "media_base_url": None, "enclosure_prefix": None}
            show = replace(show, config=show.config.model_copy(update=preview))
        # Under the lock, any staging folder or half-built cache entry is a killed build's.
        remove_staging_leftovers(out)
        cache.remove_leftovers()
        previous = (last_build(cache, out) or {}).get("placed", {})
        due_now = release(show, moment, preview=preview_url is not None)
        if show.config.transcription.auto:
            from podcast.transcribe.command import auto_transcripts

            show = auto_transcripts(show, list(due_now.rendered), cache, log)
            due_now = release(show, moment, preview=preview_url is not None)
        try:
            report = _build_locked(
                show,
                due_now,
                out,
                cache,
                jobs,
                log,
                allow,
                previous,
                progress,
                preview_url is not None,
                strict,
                moment,
            )
        except Exception as exc:
            if not disk_full(exc):
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
        earlier = (last_build(cache, out) or {}).get("files", {})
        record = {
            "fingerprint": fingerprint(states, allow, preview_url),
            # What publish checks: a preview is never published, nor a build for another address.
            "base_url": show.config.base_url,
            "preview": preview_url is not None,
            "files": record_files(out, report.files, earlier),
            "episodes": report.episodes,
            "warnings": report.warnings,
            "notes": report.notes,
            "placed": report.placed,
            "held_back": report.held_back,
            "radio_only": report.radio_only,
            "next_release": report.next_release,
            "renders": report.renders,
        }
        save_build(cache, out, record)
        freed = prune_renders(cache)
        if freed:  # a render linked into `out` may be gone: its stamp changed, not its content
            refresh_stamps(out, record)
            save_build(cache, out, record)
            log(f"cache: {freed / 1e6:.0f} MB of renders no build uses any more removed")
        return report


def disk_full(error: BaseException | None) -> bool:
    """Whether `error` is a full disk (or quota), or wraps one: libraries wrap the OSError
    in errors of their own (mutagen: OggOpusHeaderError([Errno 28] ...))."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        wrapped = next((a for a in error.args if isinstance(a, BaseException)), None)
        error = wrapped or error.__cause__ or error.__context__
    return False


def _build_locked(
    show: Show,
    due: Release,
    out: Path,
    cache: Cache,
    jobs: int | None,
    log: Log,
    allow: frozenset[str],
    previous: dict[str, list[Any]],
    progress: Progress | None,
    preview: bool = False,
    strict: bool = False,
    now: datetime | None = None,
) -> BuildReport:
    # The checks `podcast check` makes (checks.py), before minutes of rendering.
    sources = check_sources(show, due)
    to_render = replace(show, episodes=due.rendered)
    audio = check_audio(to_render, sources, cache, jobs, progress)
    report = BuildReport(out=out, warnings=[*sources.warnings, *audio.warnings])
    report.notes += as_is_notes(show)
    problems = [*sources.problems, *audio.problems]
    if strict:
        problems += strict_problems(report.warnings)
    if problems:
        raise PodcastError(problems)
    cover = sources.show_cover
    report.held_back, report.radio_only = len(due.held_back), len(due.radio_only)
    report.next_release = due.next_release.isoformat() if due.next_release else None
    if preview and now is not None:  # its marks change then: the preview is built again
        upcoming = release(show, now).next_release
        report.next_release = upcoming.isoformat() if upcoming else None
    mastered = replace(to_render, episodes=tuple(e for e in due.rendered if not e.as_is))
    results = render_audio(mastered, cache, jobs, log, progress, audio.analyses)
    results.update(audio.as_is)  # published as it is (audio/as_is.py)
    report.renders = sorted(
        {
            r.path.parent.name
            for result in results.values()
            for r in result.renditions.values()
            if r.path.is_relative_to(cache.root)  # not audio kept at its address
        }
    )
    # What the render published a little off target (audio/render.py), known only now.
    off_target = [note for episode in due.rendered for note in results[episode.slug].notes]
    report.warnings += off_target
    if strict and off_target:
        raise PodcastError(strict_problems(off_target))
    with staging_dir(out) as folder:
        writer = OutputWriter(folder, out, previous)
        for name in KEPT_FROM_PREVIOUS:
            # Not a link: it would publish whatever file it points to.
            if (out / name).is_file() and not (out / name).is_symlink():
                writer.write(name, (out / name).read_bytes())
        writer.write(cover.file_name, cover.data)
        rendered = []
        summaries: list[dict[str, Any]] = []  # every episode's measurements, for the report
        deliveries: dict[str, list[dict[str, Any]]] = {}  # partner -> its files
        used: set[str] = set()  # the cache entries of the partners' files that it read
        after_render: list[str] = []  # slot and loudness warnings (`strict`: all refuse)
        notes_memo = Memo(cache, "notes", f"{__version__}|{renderer_version()}")
        strings: dict[str, dict[str, Any]] = {}
        for episode in due.rendered:
            language = episode.meta.language or show.config.language
            if language not in strings:
                strings[language] = ui_strings(show.root, language)
            notes = notes_memo.get(episode.notes_markdown, notes_html)
            context = episode_context(
                show,
                episode,
                results[episode.slug],
                sources.cover_of(episode),
                notes,
                strings[language],
                sources.transcripts_of(episode),
                radio_only=episode in due.radio_only,
            )
            partners = show.config.partners
            cuts = tuple(
                cut
                for name, partner in partners.items()
                if (cut := partner_cut(context, name, partner, cache)) is not None
            )
            context = replace(context, partner_cuts=cuts)
            if context.radio_only:
                # Under embargo nothing of it is published (no feed item, file or page names
                # it): it reaches the partners only through their drop boxes.
                summaries.append(episode_summary(context, radio_only=True))
            else:
                published = publish_episode(context, writer)
                if preview and now is not None:  # what is not out yet, marked with its date
                    published = replace(published, preview_mark=preview_mark(episode, now))
                rendered.append(published)
                summaries.append(episode_summary(context))
            for cut in cuts:
                # The renders without intro and outro are the build's too (kept from pruning).
                report.renders = sorted({*report.renders, cut.source.parent.name})
                used.add(words_key(cut))
                warning = slot_warning(context, cut)
                if warning is not None:
                    report.warnings.append(warning)
                    after_render.append(warning)
                made = make_partner_files(context, cut, partners[cut.partner], cache)
                quiet = loudness_warning(context, cut.partner, partners[cut.partner], made[0])
                if quiet is not None:
                    report.warnings.append(quiet)
                    after_render.append(quiet)
                deliveries.setdefault(cut.partner, []).extend(made)
        if strict and after_render:  # known only now, as a render a little off target
            raise PodcastError(strict_problems(after_render))
        feeds = write_feeds(show, rendered, cover, writer)  # FEED_OUTPUTS
        # Validation (client parsers) runs while the pages render.
        # Items the client parsers accepted before are not parsed again.
        validated_key = key_of(str(out), __version__, parser_versions())
        known = cache.get_record("validated", validated_key, _accepted_items) or {}
        accepted = {name: known.get(name, set()) for name in feeds}
        kept = frozenset(e.kept_media_url for e in due.rendered if e.kept_media_url)
        with FeedValidation(feeds, folder, urls.url_roots(show), accepted, kept) as validation:
            render_site(show, rendered, cover, writer)  # SITE_OUTPUTS
            problems += validation.problems()
        lock = read_lock(show.root)
        if not preview:
            waiting = frozenset(e.guid for e in (*due.held_back, *due.radio_only))
            public_show = replace(show, episodes=due.public)
            problems += guard_output(
                public_show, out, lock, set(allow), waiting, holds_preview(cache, out)
            )
            moving = base_move_warnings(show, out, holds_preview(cache, out))
            report.warnings += moving
            if strict:
                problems += strict_problems(moving)
        if problems:
            raise PodcastError(problems)
        report.episodes = summaries
        # Public: episodes under embargo are named only in the partners' files (delivered
        # into their drop boxes); the build record in the cache keeps them all.
        manifest = {
            "generator": GENERATOR,
            "show": show.config.title,
            "episodes": [e for e in report.episodes if not e.get("radio_only")],
        }
        writer.write(
            MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        )
        report.placed = writer.placed
        report.files = sorted(writer.written)
        publish(folder, out)
    # What each partner is due from this build (publish/deliver.py sends it), tied to the
    # build by its manifest's digest.
    every = {name: deliveries.get(name, []) for name in show.config.partners}
    put_partner_record(cache, out, every, used)
    cache.put_json("validated", validated_key, validation.accepted)
    notes_memo.save()
    if preview:
        return report
    names = {e.guid: e.name for e in due.public}
    write_lock(
        show.root,
        Lock(
            assigned={
                **lock.assigned,
                **{e.slug: e.guid for e in show.episodes if not e.meta.guid},
            },
            published=names,
            retired={
                guid: name
                for guid, name in {**lock.retired, **lock.published}.items()
                if guid not in names
            },
        ),
    )
    return report


def _accepted_items(record: dict[str, Any]) -> dict[str, set[str]]:
    """The remembered digests of items the client parsers accepted, per feed."""
    if not all(isinstance(items, list) for items in record.values()):
        raise TypeError("not a list of item digests")
    return {str(name): {str(digest) for digest in items} for name, items in record.items()}
