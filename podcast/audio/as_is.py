"""Audio published as it is: an imported episode's `media` (already mastered elsewhere).

No analysis pass, no second normalisation, no re-encoding: the file is measured once (cached
by its content) so the tags and the build report can name its loudness, and the published
timeline is the file's own. A `media.url` that stays where it is gets only the facts written
in the front matter (its length and duration), so nothing is downloaded by a build.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

from podcast.audio.loudness import Loudness, measure_file
from podcast.audio.probe import probe
from podcast.audio.render import RenderResult, RenditionResult
from podcast.audio.renditions import MP3, RenditionSpec, rendition_specs
from podcast.audio.segments import in_show
from podcast.audio.timeline import Piece, Timeline
from podcast.errors import PodcastError, Problem, ToolError
from podcast.plan.cache import Cache, key_of
from podcast.show.model import Episode, Show

AS_IS_VERSION = "1"
UNMEASURED = Loudness(math.nan, math.nan, math.nan)


def identity_timeline(duration: float) -> Timeline:
    """The timeline of a file published as it is: the editors' times are the file's."""
    return Timeline((Piece("recording", 0.0, duration, 0.0, 0.0),))


def changed_since_import(show: Show, episode: Episode, cache: Cache) -> list[str]:
    """A warning when an imported file is not the one whose checksum the import recorded."""
    media = episode.meta.media
    if media is None or media.sha256 is None or episode.media_file is None:
        return []
    if not episode.media_file.is_file() or cache.digest(episode.media_file) == media.sha256:
        return []
    return [
        f"{in_show(show, episode.source)}: media.file: {episode.media_file.name} is not the file "
        "the import downloaded (its SHA-256 differs); if it was replaced on purpose, write its "
        "new checksum in media.sha256 (or remove the line)"
    ]


def _mp3_spec(show: Show) -> RenditionSpec:
    return next(s for s in rendition_specs(show.config.audio) if s.name == MP3.file)


def as_is_result(show: Show, episode: Episode, cache: Cache) -> RenderResult:
    """The 'render' of an episode whose audio is published as it is; raise PodcastError at
    the `media` field when the file cannot be read."""
    media = episode.meta.media
    assert media is not None
    spec = _mp3_spec(show)
    if episode.media_file is None:  # media.url: the audio stays where it is
        duration = float(media.duration or 0.0)
        rendition = RenditionResult(spec, Path(os.devnull), UNMEASURED, 0.0, None, duration, 0)
        return RenderResult([], identity_timeline(duration), {MP3.file: rendition})
    path = episode.media_file
    try:
        digest = cache.digest(path)
        key = key_of("as-is", AS_IS_VERSION, digest)
        folder = cache.entry_dir("render", key)
        facts = cache.get_json("analysis", key)
        if facts is None:
            info = probe(path)
            if info.codec != "mp3":
                raise ToolError(f"{path.name}: the audio is {info.codec}, not MP3")
            loudness = measure_file(path)
            facts = {
                "duration": info.duration,
                "integrated": loudness.integrated,
                "lra": loudness.lra,
                "peak": loudness.peak,
            }
            cache.put_json("analysis", key, facts)
    except PodcastError as error:
        raise PodcastError(
            [
                Problem(
                    episode.source,
                    episode.lines.line("media", "file"),
                    "media.file",
                    str(error),
                    "download it again (`podcast import` again), or name it under `recordings` "
                    "to have it re-mastered",
                )
            ]
        ) from error
    if not (folder / MP3.file).is_file():
        # The render cache keeps a copy named by content, as it keeps renders: the outputs key
        # their tagged files by it, and pruning keeps what the last build used.
        scratch = cache.scratch_dir("render")
        shutil.copyfile(path, scratch / MP3.file)  # not a link: an edit in place would leak
        folder = cache.commit_dir("render", key, scratch)
    duration = float(facts["duration"])
    loudness = Loudness(float(facts["integrated"]), float(facts["lra"]), float(facts["peak"]))
    rendition = RenditionResult(spec, folder / MP3.file, loudness, 0.0, None, duration, 0)
    return RenderResult([], identity_timeline(duration), {MP3.file: rendition})
