"""`podcast transcribe`: drafts written into episode folders and named in episode.md; and the
build's `auto`: drafts kept in the cache for episodes without a transcript."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from podcast.errors import PodcastError
from podcast.plan.cache import Cache, atomic_write_bytes
from podcast.show.loader import EPISODE_FILE, load_show, same_language
from podcast.show.model import Episode, Show, Transcript
from podcast.transcribe.draft import Draft, Log, edited, make_draft, render_vtt, whisper_language


@dataclass(frozen=True)
class Written:
    """What `podcast transcribe` did for one episode."""

    episode: str
    path: Path | None  # None: nothing written (see `note`)
    draft: Draft | None  # None: not transcribed (an editor's transcript in its language)
    named: bool  # episode.md got the transcript named
    note: str = ""  # why nothing was written


def _pick(show: Show, wanted: tuple[str, ...]) -> list[Episode]:
    if not wanted:
        return list(show.episodes)
    chosen = []
    for name in wanted:
        key = Path(name).name
        found = [e for e in show.episodes if key in (e.slug, e.name, str(e.meta.number))]
        if not found:
            known = ", ".join(e.slug for e in show.episodes)
            raise PodcastError(f"{name}: no such episode (the episodes: {known})")
        chosen += found
    return list(dict.fromkeys(chosen))


def name_in_front_matter(source: Path, file_name: str, language: str) -> bool:
    """Name the transcript in episode.md's front matter unless it is named; whether it added
    it. The rest of the file is left as the editor wrote it."""
    text = source.read_text(encoding="utf-8-sig")
    if re.search(rf"^\s*-?\s*file:\s*[\"']?{re.escape(file_name)}[\"']?\s*$", text, re.M):
        return False
    lines = text.split("\n")
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        raise PodcastError(f"{source}: no front matter to name {file_name} in")
    entry = [f"  - file: {file_name}", f"    language: {language}"]
    header = next((i for i in range(1, closing) if re.match(r"^transcripts:", lines[i])), None)
    if header is None:
        lines[closing:closing] = ["transcripts:", *entry]
    elif lines[header].split(":", 1)[1].strip() in ("", "[]"):
        end = header + 1
        while end < closing and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        lines[header] = "transcripts:"
        lines[end:end] = entry
    else:
        raise PodcastError(
            f"{source}: transcripts: cannot add {file_name} to this list; write it as "
            f"'- file: {file_name}' with 'language: {language}' under transcripts"
        )
    atomic_write_bytes(source, "\n".join(lines).encode())
    return True


def editors_transcript(episode: Episode, show_language: str) -> Transcript | None:
    """The transcript the episode names in its own language under another name than the
    draft's: the editors', which a draft would publish a second time."""
    language = episode.meta.language or show_language
    draft_name = f"transcript.{whisper_language(language)}.vtt"
    for transcript in episode.transcripts:
        if same_language(transcript.language, language) and transcript.path.name != draft_name:
            return transcript
    return None


def transcribe(
    root: Path,
    wanted: tuple[str, ...] = (),
    force: bool = False,
    log: Log = lambda _: None,
    today: date | None = None,
) -> list[Written]:
    """Write a draft transcript into each chosen episode's folder (all episodes by default)."""
    show = load_show(root)
    cache = Cache.of_show(show.root)
    made = today or datetime.now(UTC).date()
    done = []
    for episode in _pick(show, wanted):
        other = editors_transcript(episode, show.config.language)
        if other is not None:
            # Not even with --force: that file is the editors' own, under their name.
            note = (
                f"{episode.slug}: has the transcript {other.path.name} in {other.language}: "
                f"left alone (to make a draft instead, remove it from transcripts in "
                f"{EPISODE_FILE})"
            )
            done.append(Written(episode.slug, None, None, False, note))
            continue
        draft = make_draft(show, episode, cache, log)
        target = episode.source.parent / draft.file_name
        named = any(t.path == target.resolve() for t in episode.transcripts)
        if target.exists() and edited(target) and not force:
            note = (
                f"{episode.slug}: {draft.file_name} was changed by an editor: left as it is "
                "(--force makes the draft again)"
            )
            done.append(Written(episode.slug, None, draft, False, note))
            continue
        if not draft.lines:
            log(f"{episode.slug}: no speech found; no transcript written")
            note = f"{episode.slug}: no speech found; no transcript written"
            done.append(Written(episode.slug, None, draft, False, note))
            continue
        atomic_write_bytes(target, render_vtt(draft, made).encode())
        added = not named and name_in_front_matter(episode.source, target.name, draft.language)
        done.append(Written(episode.slug, target, draft, added))
    cache.save()
    return done


def auto_transcripts(show: Show, episodes: list[Episode], cache: Cache, log: Log) -> Show:
    """The show with a cached draft as transcript of each of `episodes` that has none (a
    build with `[transcription] auto = true`); the episode folders are not touched."""
    if not show.config.transcription.auto:
        return show
    slugs = {e.slug for e in episodes if not e.transcripts}
    changed = []
    for episode in show.episodes:
        if episode.slug in slugs:
            draft = make_draft(show, episode, cache, log)
            if draft.lines:
                # A fixed date: the file is a source of the build, which is deterministic.
                text = render_vtt(draft, date(2000, 1, 1))
                path = cache.file_path("transcripts", f"{episode.slug}.{draft.file_name}")
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    atomic_write_bytes(path, text.encode())
                episode = replace(episode, transcripts=(Transcript(path, draft.language),))
        changed.append(episode)
    return replace(show, episodes=tuple(changed))
