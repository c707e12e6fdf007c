"""One validation pass for `check` and `build` (podcast/checks.py): a build finds what `check`
finds, in the same words, before it renders anything; transcripts are parsed once; which field
a failed analysis blames follows from what failed, not from the words of its message."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import webvtt
from PIL import Image

import podcast.audio.episodes
from podcast.build import build
from podcast.check import check_show
from podcast.errors import PodcastError, Problem

from .helpers import run_cli, synthesise

EP1 = "episodes/01-leipzig-migrantenbeirat"
EP2 = "episodes/02-frankfurt-kav"
EP3 = "episodes/03-zu-gast-im-jugendbeirat"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def small_png(path: Path) -> Path:
    """A 100x100 PNG: a readable image, far below Apple's 1400 px."""
    Image.new("RGB", (100, 100), (200, 30, 30)).save(path, "PNG")
    return path


class Recorder:
    """A progress listener that keeps every step it hears."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []

    def started(self, episodes: int) -> None:
        pass

    def step(self, episode: str, step: str) -> None:
        self.steps.append((episode, step))


def test_a_bad_episode_cover_fails_the_build_before_anything_is_rendered(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_png(demo / EP1 / "klein.png")
    edit(demo / EP1 / "episode.md", "\ntranscripts:", "\nimage: klein.png\ntranscripts:")
    rendered: list[str] = []

    def no_render(*args: Any, **kwargs: Any) -> Any:
        rendered.append(str(args[3]))
        raise AssertionError("an episode was rendered")

    monkeypatch.setattr(podcast.audio.episodes, "render", no_render)
    progress = Recorder()
    with pytest.raises(PodcastError) as failed:
        build(demo, progress=progress)  # a fresh cache
    assert [(p.file.name, p.field) for p in failed.value.problems] == [("klein.png", "image")]
    assert "100 px wide, Apple wants at least 1400" in str(failed.value)
    assert rendered == []
    assert not any(step in ("calibrating", "rendering") for _, step in progress.steps)
    renders = demo / ".cache/podcast/render"
    assert not renders.exists() or not any(renders.iterdir())
    assert not (demo / "feed").exists()


def test_check_and_build_report_the_same_problems(cached_demo: Path) -> None:
    demo = cached_demo
    # Found before rendering: a picture too small, a transcript that cannot be read.
    small_png(demo / EP1 / "klein.png")
    edit(demo / EP1 / "episode.md", "\ntranscripts:", "\nimage: klein.png\ntranscripts:")
    edit(demo / EP2 / "transcript.de.vtt", "00:00:00.", "00:0x:00.")
    # Found by the analysis: an in point past the end of the recording.
    edit(
        demo / EP2 / "episode.md",
        "  - file: gespräch frankfurt.mp3",
        "  - file: gespräch frankfurt.mp3\n    start: 9999",
    )
    # Found on the timeline: a chapter and a transcript cue after the end of the recordings.
    with (demo / EP3 / "chapters.txt").open("a", encoding="utf-8") as chapters:
        chapters.write("59:00 Zu spät\n")
    with (demo / EP3 / "transcript.de.vtt").open("a", encoding="utf-8") as transcript:
        transcript.write("\n99\n00:59:00.000 --> 00:59:05.000\nNach dem Ende.\n")

    with pytest.raises(PodcastError) as checked:
        check_show(demo)
    with pytest.raises(PodcastError) as built:
        build(demo)
    assert built.value.problems == checked.value.problems
    where = [(p.file.name, p.field) for p in checked.value.problems]
    assert where == [
        ("klein.png", "image"),
        ("transcript.de.vtt", "transcript"),
        ("episode.md", "recordings[0].start"),
        ("chapters.txt", "chapters[3].start"),
        ("transcript.de.vtt", "transcript"),
    ]
    assert str(built.value) == str(checked.value)
    assert not (demo / "feed").exists()


def test_transcripts_are_parsed_once_per_build_and_per_check(
    cached_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: Counter[str] = Counter()
    read = webvtt.read

    def counting_read(file: str, *args: Any, **kwargs: Any) -> Any:
        parsed[Path(file).parent.name] += 1
        return read(file, *args, **kwargs)

    monkeypatch.setattr(webvtt, "read", counting_read)
    build(cached_demo)
    assert parsed == {Path(episode).name: 1 for episode in (EP1, EP2, EP3)}
    parsed.clear()
    check_show(cached_demo)
    assert parsed == {Path(episode).name: 1 for episode in (EP1, EP2, EP3)}


def test_the_field_blamed_follows_what_failed_not_the_words_of_the_message(demo: Path) -> None:
    # A silent recording whose name holds the words "in point": the file is to blame.
    synthesise(demo / EP1 / "in point.wav", "anullsrc=r=48000:cl=stereo:d=3")
    edit(demo / EP1 / "episode.md", "  - file: interview-leipzig.flac", "  - file: in point.wav")
    with pytest.raises(PodcastError) as failed:
        check_show(demo)
    (problem,) = failed.value.problems
    assert isinstance(problem, Problem)
    assert problem.field == "recordings[0].file"
    assert "silent" in problem.message
    assert problem.fix == "export the recording again as WAV or FLAC"


def test_check_does_not_load_the_render_or_output_code() -> None:
    code = (
        "import sys, podcast.check\n"
        "print(sorted(m for m in sys.modules\n"
        "    if m.startswith(('podcast.audio.render', 'podcast.outputs.context'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"


def test_an_out_point_past_the_end_is_pointed_out_by_check_and_build(demo: Path) -> None:
    edit(
        demo / EP1 / "episode.md",
        "  - file: interview-leipzig.flac",
        "  - file: interview-leipzig.flac\n    end: 9999",
    )
    _, warnings = check_show(demo)
    said = "recordings[0].end: the out point 9999.00 s lies past the end of interview-leipzig.flac"
    assert [w for w in warnings if said in w], warnings
    with pytest.raises(PodcastError) as checked:
        check_show(demo, strict=True)
    with pytest.raises(PodcastError) as built:
        build(demo, strict=True)  # refused before rendering: the analysis finds it
    assert built.value.problems == checked.value.problems
    assert said in str(built.value)
    assert not (demo / ".cache/podcast/render").exists()


def test_check_and_build_on_the_command_line_name_a_bad_episode_cover_alike(demo: Path) -> None:
    small_png(demo / EP1 / "klein.png")
    edit(demo / EP1 / "episode.md", "\ntranscripts:", "\nimage: klein.png\ntranscripts:")
    checked, built = run_cli("check", cwd=demo), run_cli("build", cwd=demo)
    assert checked.returncode == built.returncode == 1
    said = "klein.png: image: the image is 100 px wide, Apple wants at least 1400"
    assert [line for line in checked.stderr.splitlines() if said in line]
    assert checked.stderr == built.stderr
    assert "Traceback" not in built.stderr
    renders = demo / ".cache/podcast/render"
    assert not renders.exists() or not any(renders.iterdir())  # found before rendering
