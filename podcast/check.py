"""`podcast check`: validate everything a build needs, without rendering audio."""

from __future__ import annotations

from pathlib import Path

from .audio.probe import probe
from .errors import PodcastError, Problem
from .images import load_cover
from .loader import SHOW_FILE, front_matter_line, future_dates, load_show
from .transcripts import transcript_problems


def check_show(show_root: Path) -> tuple[int, list[str]]:
    """Raise PodcastError listing every problem; else return the episode count and warnings."""
    show = load_show(show_root)
    problems: list[Problem] = transcript_problems(show)
    try:
        load_cover(show.cover)
    except PodcastError as exc:
        problems.extend(exc.problems)
    clips = (
        ("audio.intro", show.intro),
        ("audio.outro", show.outro),
        ("audio.jingle", show.jingle),
    )
    for field, path in clips:
        if path is not None:
            try:
                probe(path)
            except PodcastError as exc:
                problems.append(
                    Problem(
                        show.root / SHOW_FILE,
                        0,
                        field,
                        str(exc),
                        "export the file again as WAV, FLAC or MP3",
                    )
                )
    for episode in show.episodes:
        if episode.image is not None:
            try:
                load_cover(episode.image, "image")
            except PodcastError as exc:
                problems.extend(exc.problems)
        for index, recording in enumerate(episode.recordings):
            try:
                facts = probe(recording.path)
            except PodcastError as exc:
                problems.append(
                    Problem(
                        episode.source,
                        front_matter_line(episode.source, "recordings", index, "file"),
                        f"recordings[{index}].file",
                        str(exc),
                        "export the recording again as WAV, FLAC or MP3",
                    )
                )
                continue
            if recording.start is not None and recording.start >= facts.duration:
                problems.append(
                    Problem(
                        episode.source,
                        front_matter_line(episode.source, "recordings", index, "start"),
                        f"recordings[{index}].start",
                        f"{recording.start:.1f} s is past the end of the recording "
                        f"({facts.duration:.1f} s)",
                        "choose an earlier in point",
                    )
                )
    if problems:
        raise PodcastError(problems)
    return len(show.episodes), future_dates(show)
