"""`podcast check`: every validation a build makes, without rendering audio.

Besides loading (schema, files, control characters, URLs), `check` runs both passes of
checks.py, as a build does before it renders: covers, pictures and transcripts read in full;
every recording and clip analysed (truncated, silent, too short, in points; cached like the
build's analysis, so a build after it does not analyse again) and each episode's timeline laid
out to find chapters and cues past the end. Then the GUID guard against the published feed.
"""

from __future__ import annotations

from pathlib import Path

from podcast import stopping
from podcast.checks import check_audio, check_sources
from podcast.errors import PodcastError
from podcast.plan.build_record import holds_preview
from podcast.plan.cache import Cache
from podcast.plan.sources import DEFAULT_OUTPUT
from podcast.publish.guard import base_move_warnings, guard_output
from podcast.show.loader import load_show
from podcast.show.lock import read_lock
from podcast.show.warnings import strict_problems


def check_show(
    show_root: Path,
    out: Path | None = None,
    allow: frozenset[str] = frozenset(),
    strict: bool = False,
) -> tuple[int, list[str]]:
    """Raise PodcastError listing every problem; else return the episode count and warnings.

    `out` is the published folder the GUID guard compares with (default: feed/ in the show);
    `allow` accepts GUID-guard objections for those episodes, as `build --allow` does;
    `strict` makes every warning a problem.
    """
    stopping.begin()
    show = load_show(show_root)
    out = (out if out is not None else show.root / DEFAULT_OUTPUT).absolute()
    sources = check_sources(show)
    cache = Cache.of_show(show.root)
    audio = check_audio(show, sources, cache)
    problems = [*sources.problems, *audio.problems]
    warnings = [*sources.warnings, *audio.warnings]
    lock = read_lock(show.root)
    preview_there = holds_preview(cache, out)
    problems += guard_output(show, out, lock, set(allow), preview_there=preview_there)
    warnings += base_move_warnings(show, out, preview_there)
    if strict:
        problems += strict_problems(warnings)
    if problems:
        raise PodcastError(problems)
    return len(show.episodes), warnings
