"""What `check` and `build` point out about a loaded show without refusing it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from podcast.audio.wav import cut_off
from podcast.errors import Problem, display_path
from podcast.show.loader import EPISODE_FILE, SHOW_FILE
from podcast.show.model import Show, editorial_team

# Text `podcast init` and `podcast new` leave for the editors to replace.
PLACEHOLDER = "TODO"


def show_warnings(show: Show) -> list[str]:
    """What `check` and `build` point out without refusing the show (`--strict` refuses)."""
    return [
        *hidden_episode_folders(show.root),
        *placeholders(show),
        *example_address(show),
        *unreferenced_files(show),
        *cut_off_recordings(show),
        *legal_pages(show),
        *programme_warnings(show),
        *music_warnings(show),
    ]


def legal_pages(show: Show) -> list[str]:
    """A German site must name who is responsible (Impressum, § 5 DDG) and say what it does
    with visitors' data (Datenschutzerklärung, GDPR Art. 13)."""
    if not show.config.language.lower().startswith("de"):
        return []
    names = {page.name.lower() for page in show.pages}
    missing = [name for name in ("impressum", "datenschutz") if name not in names]
    return [
        f"{display_path(show.root / 'pages')}: no {name}.md; a German website needs one "
        "(Impressum: § 5 DDG; Datenschutz: GDPR Art. 13)"
        for name in missing
    ]


def strict_problems(warnings: list[str]) -> list[Problem]:
    """Warnings as problems, for `--strict` (a CI job that must not publish anything
    unfinished)."""
    problems = []
    for warning in warnings:  # each says "file: what"
        file, _, message = warning.partition(": ")
        problems.append(Problem(Path(file), 0, "", message, "--strict makes warnings errors"))
    return problems


def placeholders(show: Show) -> list[str]:
    """Text `podcast init` and `podcast new` left for the editors to write."""
    found = []
    if PLACEHOLDER in show.config.description:
        found.append(f"{display_path(show.root / SHOW_FILE)}: description: still {PLACEHOLDER}")
    for episode in show.episodes:
        meta = episode.meta
        fields = {
            "title": meta.title,
            "summary": meta.summary,
            "announcement": meta.announcement or "",
            "back_announcement": meta.back_announcement or "",
            "notes": episode.notes_markdown,
        }
        for name, text in fields.items():
            if PLACEHOLDER in text:
                found.append(
                    f"{display_path(episode.source)}: {name}: still says {PLACEHOLDER}; write it "
                    "(or delete the field)"
                )
    found += [
        f"{display_path(page.source)}: still says {PLACEHOLDER}; write it"
        for page in show.pages
        if PLACEHOLDER in page.markdown
    ]
    return found


def example_address(show: Show) -> list[str]:
    """A base URL on an example domain: nothing will be found there."""
    host = (urlsplit(show.config.base_url).hostname or "").lower()
    if host.split(".")[-2:] in (["example", "org"], ["example", "com"], ["example", "net"]):
        return [
            f"{display_path(show.root / SHOW_FILE)}: base_url: {show.config.base_url} is an "
            "example address; set the address where the show will be served"
        ]
    return []


# What an editor drops into an episode folder to be published.
MEDIA_SUFFIXES = {
    ".wav",
    ".flac",
    ".mp3",
    ".m4a",
    ".aac",
    ".ogg",
    ".opus",
    ".aif",
    ".aiff",
    ".vtt",
    ".srt",
}


def unreferenced_files(show: Show) -> list[str]:
    """Recordings and transcripts in an episode folder that episode.md does not name (a take
    forgotten in the list, or a transcript never linked)."""
    found = []
    for episode in show.episodes:
        used = {r.path.resolve() for r in episode.recordings}
        used |= {t.path.resolve() for r in episode.recordings for t in r.tracks}
        used |= {t.path.resolve() for t in episode.transcripts}
        if episode.media_file is not None:
            used.add(episode.media_file.resolve())
        for path in sorted(episode.source.parent.iterdir()):
            if path.suffix.lower() in MEDIA_SUFFIXES and path.resolve() not in used:
                found.append(
                    f"{display_path(path)}: in the episode folder but not in "
                    f"{EPISODE_FILE}; add it under recordings or transcripts, or move it away"
                )
    return found


def cut_off_recordings(show: Show) -> list[str]:
    """WAV recordings and tracks that end before their header says (a recorder that stopped
    while writing, a copy that did not finish): what the file holds is used, the rest is
    missing from the episode (a track's voice falls silent there)."""
    found = []
    for episode in show.episodes:
        files = []  # (path, line, field) of each recording's file, or of each of its tracks
        for index, recording in enumerate(episode.recordings):
            for number, track in enumerate(recording.tracks):
                files.append((track.path, track.line, f"recordings[{index}].tracks[{number}].file"))
            if not recording.tracks:
                line = episode.lines.line("recordings", index, "file")
                files.append((recording.path, line, f"recordings[{index}].file"))
        for path, line, field in files:
            lengths = cut_off(path)
            if lengths is None:
                continue
            promised, held = lengths
            found.append(
                f"{display_path(episode.source)}:{line}: {field}: {path.name} ends after "
                f"{held:.1f} s, but its header promises {promised:.1f} s (the recorder stopped "
                "while writing, or the copy did not finish); the episode uses what is there "
                "(copy the file again from the recorder's card if it holds more)"
            )
    return found


def hidden_episode_folders(root: Path) -> list[str]:
    """Warnings for hidden folders under episodes/ that hold an episode.md: never published."""
    hidden = sorted(source.parent for source in (root / "episodes").glob(f".*/{EPISODE_FILE}"))
    return [
        f"{display_path(folder)}: not published, its name starts with a dot (hidden); "
        f"rename it to {folder.name.lstrip('.') or 'a visible name'} to publish it"
        for folder in hidden
    ]


def as_is_notes(show: Show) -> list[str]:
    """A note for a broadcast show whose episodes are published as they are (imported): they
    get no broadcast WAV and no programme sheet (radio.xml leaves them out)."""
    if not show.config.audio.broadcast:
        return []
    as_is = [episode.slug for episode in show.episodes if episode.as_is]
    if not as_is:
        return []
    return [
        f"{len(as_is)} episode(s) published as they are (imported: {', '.join(as_is)}) get no "
        "broadcast WAV and no programme sheet for radio partners; to make them, import with "
        "--remaster (or name the file under `recordings` instead of `media` in episode.md)"
    ]


def programme_warnings(show: Show) -> list[str]:
    """What a presenter would miss on an episode's programme sheet."""
    if not show.config.audio.broadcast:
        return []
    warnings = []
    for episode in show.episodes:
        if episode.as_is:  # published as it is: no broadcast file, no programme sheet
            continue
        missing = [
            field
            for field, value in (
                ("announcement", episode.meta.announcement),
                ("back_announcement", episode.meta.back_announcement),
            )
            if not value
        ]
        if not editorial_team(show, episode):
            missing.append("host (persons with role host, or hosts in podcast.toml)")
        if missing:
            warnings.append(
                f"{display_path(episode.source)}: the programme sheet for radio partners has no "
                f"{', no '.join(missing)}"
            )
    return warnings


MUSIC_REPORT_FIELDS = "title, composer, performer, label and licence"


def music_warnings(show: Show) -> list[str]:
    """Music a radio partner must report (GEMA, GVL ...) without what the report asks for;
    only for a show with partners."""
    if not show.config.partners:
        return []
    audio, warnings = show.config.audio, []
    show_file = display_path(show.root / SHOW_FILE)
    for use, file, credit in (
        ("intro", audio.intro, audio.intro_music),
        ("outro", audio.outro, audio.outro_music),
        ("jingle", audio.jingle, audio.jingle_music),
    ):
        if file is None:
            continue
        if credit is None:
            warnings.append(
                f"{show_file}: audio.{use}_music: the {use} ({file}) has no music credits; "
                f"radio partners report every piece they air ({MUSIC_REPORT_FIELDS})"
            )
        elif credit.missing():
            warnings.append(
                f"{show_file}: audio.{use}_music: no {', no '.join(credit.missing())} for "
                f"'{credit.title}' (radio partners' music reports need them)"
            )
    for episode in show.episodes:
        for index, bed in enumerate(episode.meta.music):
            if bed.missing():
                warnings.append(
                    f"{display_path(episode.source)}: music[{index}]: no "
                    f"{', no '.join(bed.missing())} for '{bed.title}' (radio partners' music "
                    "reports need them)"
                )
    return warnings
