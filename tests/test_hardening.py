"""Hostile inputs, killed builds, determinism: the published output is never damaged."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from podcast.build import build
from podcast.check import check_show
from podcast.cli import shown
from podcast.errors import PodcastError

from .conftest import copy_demo, seed_cache
from .helpers import built_file, edit, run_cli, small_disk, synthesise, tree_bytes

EP1 = "episodes/01-leipzig-migrantenbeirat"
EP2 = "episodes/02-frankfurt-kav"
EP3 = "episodes/03-zu-gast-im-jugendbeirat"


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def big_cover(show: Path) -> None:
    # A 20,000 x 20,000 PNG: a few hundred kB on disk, 1.2 GB once decoded.
    Image.new("1", (20000, 20000)).save(show / "media/cover.jpg", "PNG")


def webp_cover(show: Path) -> None:
    Image.new("RGB", (1400, 1400)).save(show / "media/cover.jpg", "WEBP")


def outside_symlink(show: Path) -> None:
    target = show.parent / "outside.flac"
    target.write_bytes((show / EP1 / "interview-leipzig.flac").read_bytes())
    (show / EP1 / "interview-leipzig.flac").unlink()
    (show / EP1 / "interview-leipzig.flac").symlink_to(target)


HOSTILE: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "zero-byte-recording",
        lambda s: write(s / EP1 / "interview-leipzig.flac", b""),
        "interview-leipzig.flac: the file is empty",
    ),
    (
        "truncated-mp3",
        lambda s: write(
            s / EP2 / "gespräch frankfurt.mp3",
            (s / EP2 / "gespräch frankfurt.mp3").read_bytes()[:60000],
        ),
        "the file is truncated or damaged",
    ),
    (
        "text-named-wav",
        lambda s: (
            write(s / EP1 / "x.wav", b"RIFF? nein, Text"),
            edit(s / EP1 / "episode.md", "interview-leipzig.flac", "x.wav"),
        ),
        "x.wav: reading the audio file failed",
    ),
    (
        "pure-silence",
        lambda s: synthesise(
            s / EP1 / "interview-leipzig.flac", "anullsrc=r=48000:cl=stereo", "-t", "5"
        ),
        "the recording is silent",
    ),
    ("decompression-bomb-cover", big_cover, "cover: the image is far too large"),
    ("webp-named-jpg", webp_cover, "cover: the image is WEBP"),
    (
        "front-matter-not-a-mapping",
        lambda s: write(s / EP1 / "episode.md", b"---\n- a\n---\n"),
        "front matter is not a mapping",
    ),
    (
        "unknown-key",
        lambda s: edit(s / EP1 / "episode.md", "summary:", "sumary: x\nsummary:"),
        "sumary: unknown key (did you mean `summary`?)",
    ),
    (
        "date-without-zone",
        lambda s: edit(s / EP1 / "episode.md", "T18:00:00+02:00", " 18:00"),
        "date: Input should have timezone info",
    ),
    (
        "duplicate-number",
        lambda s: edit(s / EP2 / "episode.md", "number: 2", "number: 1"),
        "episode number 1 is also used by",
    ),
    ("duplicate-guid", lambda s: edit(s / EP2 / "episode.md", "4e02", "4e01"), "is also used by"),
    (
        "parent-path",
        lambda s: edit(
            s / EP1 / "episode.md", "file: interview-leipzig.flac", "file: ../../../etc/passwd"
        ),
        "points outside the show folder",
    ),
    (
        "absolute-path",
        lambda s: edit(s / EP1 / "episode.md", "file: interview-leipzig.flac", "file: /etc/passwd"),
        "points outside the show folder",
    ),
    ("symlink-outside", outside_symlink, "is a link to a file outside the show folder"),
    (
        "title-10000-chars",
        lambda s: edit(
            s / EP1 / "episode.md", 'title: "Leipzig:', 'title: "' + "x" * 10000 + " Leipzig:"
        ),
        "title: String should have at most 255 characters",
    ),
    (
        "invalid-utf8",
        lambda s: write(
            s / EP1 / "episode.md", (s / EP1 / "episode.md").read_bytes() + b"\xff\xfe"
        ),
        "not valid UTF-8",
    ),
    (
        "chapter-past-the-end",
        lambda s: edit(s / EP1 / "episode.md", 'start: "00:24"', 'start: "09:00"'),
        "after the end of the recordings",
    ),
    (
        "missing-transcript",
        lambda s: (s / EP1 / "transcript.de.vtt").unlink(),
        "file 'transcript.de.vtt' not found",
    ),
    (
        "http-base-url",
        lambda s: edit(s / "podcast.toml", 'base_url = "https:', 'base_url = "http:'),
        "base_url: must be an https:// URL",
    ),
    # Unsafe URLs are refused where the editors write them, in every URL field.
    (
        "javascript-chapter-url",
        lambda s: edit(
            s / EP1 / "episode.md",
            "    title: Was sich verändert hat",
            '    title: Was sich verändert hat\n    url: "javascript:alert(1)"',
        ),
        "episode.md:27: chapters[2].url: must be a web address starting with https://",
    ),
    (
        "javascript-chapter-url-in-chapters-file",
        lambda s: edit(s / EP3 / "chapters.txt", "<https://www.radioblau.de/>", "<javascript:x>"),
        "chapters.txt:5: chapters[2].url: must be a web address",
    ),
    (
        "data-person-href",
        lambda s: edit(
            s / EP1 / "episode.md",
            "    role: guest",
            '    role: guest\n    href: "data:text/html,<script>alert(1)</script>"',
        ),
        "persons[0].href: must be a web address",
    ),
    (
        "javascript-person-img",
        lambda s: edit(s / EP1 / "episode.md", "    role: host", "    role: host\n    img: x.png"),
        "persons[1].img: must be a web address",
    ),
    (
        "javascript-funding-url",
        lambda s: edit(
            s / "podcast.toml",
            'url = "https://podcast.example.org/quer-durch-die-gremien/unterstuetzen/"',
            'url = "javascript:alert(document.cookie)"',
        ),
        "podcast.toml:25: funding.url: must be a web address",
    ),
    (
        "javascript-subscribe-link",
        lambda s: edit(s / "podcast.toml", 'antennapod = "https:', 'antennapod = "javascript:'),
        "subscribe.antennapod: must be a web address",
    ),
    (
        "javascript-host-href",
        lambda s: edit(
            s / "podcast.toml", 'href = "https://www.radioblau.de/"', 'href = "vbscript:x"'
        ),
        "hosts[1].href: must be a web address",
    ),
    (
        "javascript-license-url",
        lambda s: edit(s / "podcast.toml", 'license_url = "https:', 'license_url = " javascript:'),
        "license_url: must be a web address",
    ),
    # Control characters cannot reach XML: refused where they were written.
    (
        "control-character-in-title",
        lambda s: edit(s / EP1 / "episode.md", 'title: "Leipzig:', 'title: "Leipzig \\x01 Ende:'),
        "episode.md:2: title: contains the control character U+0001",
    ),
    (
        "nul-in-summary",
        lambda s: edit(s / EP1 / "episode.md", "summary: >-", 'summary: "a\\0b"\nx_summary: >-'),
        "summary: contains the control character U+0000",
    ),
    (
        "raw-control-bytes-in-notes",
        lambda s: edit(
            s / EP1 / "episode.md", "Migrationsgeschichte betreffen. In", "Migr\x07\x1b In"
        ),
        "episode.md:38: notes: contains the control character U+0007",
    ),
    (
        "control-character-in-toml",
        lambda s: edit(s / "podcast.toml", 'author = "Redaktion', 'author = "\\u0008Redaktion'),
        "podcast.toml:6: author: contains the control character U+0008",
    ),
    (
        "control-character-in-transcript",
        lambda s: edit(s / EP1 / "transcript.de.vtt", "Willkommen", "Will\x0ckommen"),
        "transcript.de.vtt:5: transcript: contains the control character U+000C",
    ),
    (
        "control-character-in-chapters-file",
        lambda s: edit(s / EP3 / "chapters.txt", "Was beide", "Was\x1fbeide"),
        "chapters.txt:4: chapters[1].title: contains the control character U+001F",
    ),
    # Silently accepted before.
    (
        "chapter-image-that-is-text",
        lambda s: (
            write(s / EP1 / "kapitel.jpg", b"kein Bild, nur Text"),
            edit(
                s / EP1 / "episode.md",
                "    title: Was sich verändert hat",
                "    title: Was sich verändert hat\n    img: kapitel.jpg",
            ),
        ),
        "episode.md:25: chapters[2].img: not an image",
    ),
    (
        "duplicate-yaml-key",
        lambda s: edit(s / EP1 / "episode.md", "number: 1\n", "number: 1\ntitle: Zweiter Titel\n"),
        "episode.md:4: title: given twice",
    ),
    # `check` finds what only the build found before.
    (
        "too-short-clip",
        lambda s: synthesise(s / "media/jingle.flac", "sine=f=440:d=0.3", "-ac", "2"),
        "jingle.flac: only 0.30 s of audio",
    ),
    (
        "in-point-past-the-end",
        lambda s: edit(
            s / EP1 / "episode.md",
            "  - file: interview-leipzig.flac",
            "  - file: interview-leipzig.flac\n    start: 600",
        ),
        "lies past the end of the recording",
    ),
    (
        "digital-silence-in-wav",
        lambda s: (
            synthesise(s / EP1 / "stille.wav", "anullsrc=r=48000:cl=stereo", "-t", "3"),
            edit(s / EP1 / "episode.md", "file: interview-leipzig.flac", "file: stille.wav"),
        ),
        "stille.wav: the recording is silent",
    ),
    (
        "cue-past-the-end",
        lambda s: edit(
            s / EP1 / "transcript.de.vtt",
            "00:00:05.620 --> 00:00:11.620",
            "00:00:05.620 --> 00:09:11.620",
        ),
        "after the end of the recordings",
    ),
    (
        "edited-guid",
        lambda s: edit(s / EP2 / "episode.md", "4e02", "4eff"),
        "would change its GUID",
    ),
    (
        "empty-episode-folder",
        lambda s: (s / "episodes/05-entwurf").mkdir(),
        "05-entwurf: episode folder without episode.md",
    ),
]


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    """The demo show with its output built once, for the hostile cases to copy."""
    show = copy_demo(tmp_path_factory.mktemp("published") / "show")
    seed_cache(show, shared_cache)
    build(show)
    return show


# A few cases run as the commands (exit code, no traceback); the rest in-process, where the
# same PodcastError is raised (any other exception fails the test): faster, as thorough.
THROUGH_THE_CLI = {"zero-byte-recording", "control-character-in-title", "edited-guid"}


@pytest.mark.parametrize(("name", "damage", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_refused_and_published_output_kept(
    published_demo: Path, tmp_path: Path, name: str, damage: Callable[[Path], None], message: str
) -> None:
    show = tmp_path / "show"
    shutil.copytree(published_demo, show, symlinks=True)  # the cache stays shared
    out = show / "feed"
    published = tree_bytes(out)
    damage(show)
    if name not in THROUGH_THE_CLI:
        # `check` runs every validation that needs no rendering, so it finds each one too.
        for run in (check_show, build):
            with pytest.raises(PodcastError) as caught:
                run(show)
            assert message in shown(str(caught.value)), (run, str(caught.value))
        assert tree_bytes(out) == published
        return
    # Through the command, as two editors might run both at once: exit 1, no traceback.
    commands = {
        command: subprocess.Popen(
            [sys.executable, "-m", "podcast", command, str(show)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in ("check", "build")
    }
    for command, process in commands.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 1, (command, stdout)
        assert "Traceback" not in stderr and "internal error" not in stderr
        assert message in stderr, (command, stderr)
    assert tree_bytes(out) == published


def test_killed_builds_leave_old_or_new_output_never_a_mix(cached_demo: Path) -> None:
    old = tree_bytes(build(cached_demo).out)
    episode = cached_demo / EP2 / "episode.md"
    edit(episode, "Aufgenommen in Frankfurt am Main.", "Neu aufgenommen in Frankfurt am Main.")
    new = tree_bytes(build(cached_demo).out)
    assert new != old
    states = {"old": old, "new": new}
    texts = {
        "old": "Aufgenommen in Frankfurt am Main.",
        "new": "Neu aufgenommen in Frankfurt am Main.",
    }
    command = [sys.executable, "-m", "podcast", "-q", "build", str(cached_demo)]
    # How long a build takes here (the machine may be busy): the kills are spread over it.
    edit(episode, texts["new"], texts["old"])
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.monotonic() - started
    generator = random.Random(7)
    current = "old"
    seen = set()
    # Random moments over the build, the first surely early and the last surely late (a busy
    # machine makes some builds slower than the one measured).
    moments = [0.1, *(generator.uniform(0.1, 2.0) for _ in range(10)), 4.0]
    for moment in moments:
        target = "old" if current == "new" else "new"
        edit(episode, texts[current], texts[target])
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment * duration)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        now = tree_bytes(cached_demo / "feed")
        match = [name for name, tree in states.items() if tree == now]
        assert match, "the published folder is a mix of two builds"
        seen.add((match[0], target))
        current = target if match[0] == target else current
        if match[0] != target:
            edit(episode, texts[target], texts[current])
    # The kills hit both sides of the swap: some builds were killed before it (the old
    # output stayed), some after (the new one was complete).
    assert {outcome == target for outcome, target in seen} == {True, False}, seen
    assert tree_bytes(build(cached_demo).out) == states[current]
    assert not list(cached_demo.glob(".feed.staging-*"))
    assert not list((cached_demo / ".cache/podcast").glob("*/.building-*"))


class ProgressRecorder:
    """Records what a build's progress hears: how many episodes, and each one's stages."""

    def __init__(self) -> None:
        self.total = 0
        self.events: list[tuple[str, str]] = []

    def started(self, episodes: int) -> None:
        self.total = episodes

    def step(self, episode: str, step: str) -> None:
        self.events.append((episode, step))


def test_clean_builds_are_byte_identical_and_progress_hears_every_stage(
    demo: Path, tmp_path: Path
) -> None:
    again = copy_demo(tmp_path / "again")
    for show in (demo, again):  # two of the three episodes: an MP3 input, chapters, a jingle
        shutil.rmtree(show / EP1)
        (show / "podcast.lock").unlink()
    recorder = ProgressRecorder()
    first = build(demo, progress=recorder).out  # a cold cache: every stage happens
    second = build(again).out
    one, two = tree_bytes(first), tree_bytes(second)
    assert sorted(one) == sorted(two)
    differing = [name for name in one if one[name] != two[name]]
    assert differing == []
    assert recorder.total == 2
    for slug in ("02-frankfurt-kav", "03-zu-gast-im-jugendbeirat"):
        stages = [stage for episode, stage in recorder.events if episode == slug]
        assert stages == ["analysing", "calibrating", "rendering", "done"]


def test_unchanged_show_is_not_rebuilt(cached_demo: Path) -> None:
    first = build(cached_demo)
    assert not first.up_to_date
    again = build(cached_demo)
    assert again.up_to_date and again.episodes == first.episodes
    (cached_demo / "feed/index.html").unlink()  # damaged output: rebuilt
    assert not build(cached_demo).up_to_date
    assert (cached_demo / "feed/index.html").exists()
    assert build(cached_demo).up_to_date
    edit(cached_demo / EP2 / "episode.md", "Aufgenommen in", "Gesprochen in")
    assert not build(cached_demo).up_to_date
    assert "Gesprochen in" in (cached_demo / "feed/episodes/02-frankfurt-kav.html").read_text()


def test_published_media_is_reused_and_edits_in_place_are_undone(cached_demo: Path) -> None:
    from mutagen.id3 import ID3
    from wavinfo import WavInfoReader

    # A cache of its own (a copy of the session's), whose renders nothing has published yet.
    cache = cached_demo / ".cache/podcast"
    shared = cache.resolve()
    cache.unlink()
    shutil.copytree(shared, cache)
    out = build(cached_demo).out
    mp3 = built_file(out, "audio/02-frankfurt-kav.mp3")
    wav = built_file(out, "broadcast/02-frankfurt-kav.wav")
    inode = mp3.stat().st_ino
    notes = cached_demo / EP1 / "episode.md"  # another episode's notes change
    edit(notes, "Aufgenommen in Leipzig", "Gesprochen in Leipzig")
    build(cached_demo)
    assert mp3.stat().st_ino == inode  # untouched media is linked over, not copied again
    assert mp3.stat().st_nlink == 1  # and the tagged MP3 is not a link into the cache
    # The broadcast WAV shares the cached render's inode (not copied to be published), ...
    assert wav.stat().st_nlink == 2
    mp3.write_bytes(b"edited in place by someone")
    with wav.open("r+b") as handle:  # ... so an edit in place reaches the cache:
        handle.seek(-4, os.SEEK_END)
        handle.write(b"\x7f\x7f\x7f\x7f")
    edit(notes, "Gesprochen in Leipzig", "Aufgenommen in Leipzig")
    build(cached_demo)
    assert ID3(mp3)["TRCK"].text == ["2"] and mp3.stat().st_size > 100_000
    # the cache noticed and rendered again: the published file is right again
    assert wav.read_bytes()[-4:] != b"\x7f\x7f\x7f\x7f"
    assert WavInfoReader(str(wav)).bext.version == 2


def test_new_broadcast_metadata_never_changes_the_published_wav(cached_demo: Path) -> None:
    from wavinfo import WavInfoReader

    wav = built_file(build(cached_demo).out, "broadcast/02-frankfurt-kav.wav")
    kept = cached_demo.parent / "published-before.wav"
    os.link(wav, kept)  # what a reader of the published folder still holds
    before = kept.read_bytes()
    edit(cached_demo / EP2 / "episode.md", 'title: "', 'title: "Neu: ')
    now = built_file(build(cached_demo).out, "broadcast/02-frankfurt-kav.wav")
    assert kept.read_bytes() == before and now.name != wav.name  # a new version, a new name
    assert WavInfoReader(str(now)).info.title.startswith("Neu: ")
    assert now.stat().st_ino != kept.stat().st_ino


def test_the_cli_stays_quiet_without_a_terminal(cached_demo: Path) -> None:
    edit(cached_demo / EP2 / "episode.md", "Aufgenommen in", "Gesprochen in")
    result = run_cli("build", str(cached_demo))
    assert result.returncode == 0  # the demo's example address is the only thing said
    assert [line for line in result.stderr.splitlines() if "example address" not in line] == []
    assert "\x1b[" not in result.stdout  # no live display when output is not a terminal


def test_out_folder_with_a_foreign_manifest_is_refused(cached_demo: Path, tmp_path: Path) -> None:
    # Web roots and web apps often hold a manifest.json of their own.
    www = tmp_path / "www"
    www.mkdir()
    (www / "manifest.json").write_text('{"name": "pwa"}')
    (www / "important.txt").write_text("x")
    before = tree_bytes(www)
    result = run_cli("build", str(cached_demo), "--out", str(www))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the folder has files that no build put there" in result.stderr
    assert tree_bytes(www) == before
    # A folder a build made is replaced by the next build, as before.
    site = tmp_path / "site"
    assert run_cli("build", str(cached_demo), "--out", str(site)).returncode == 0
    (cached_demo / EP2 / "episode.md").write_text(
        (cached_demo / EP2 / "episode.md").read_text().replace("Aufgenommen in", "Gesprochen in")
    )
    assert run_cli("build", str(cached_demo), "--out", str(site)).returncode == 0
    assert "Gesprochen in" in (site / "episodes/02-frankfurt-kav.html").read_text()


def test_plain_text_reaches_feed_descriptions_as_text_never_as_markup(cached_demo: Path) -> None:
    import xml.etree.ElementTree as ET

    import feedparser

    hostile = "<img src=x onerror=alert(1)> <script>alert(2)</script> Tom & Jerry"
    episode = cached_demo / EP1 / "episode.md"
    text = episode.read_text()
    summary = text[text.index("summary: >-") : text.index("guid:")]
    episode.write_text(text.replace(summary, f"summary: {json.dumps(hostile)}\n"))
    edit(episode, "title: Was sich verändert hat", 'title: "<b>Was</b> sich verändert hat"')
    out = build(cached_demo).out
    for feed in ("feed.xml", "radio.xml"):
        root = ET.parse(out / feed).getroot()
        item = next(i for i in root.iter("item") if "Leipzig" in (i.findtext("title") or ""))
        description = item.findtext("description") or ""
        # Readers take the description as HTML: the markup arrives as escaped characters.
        assert "<img" not in description and "<script" not in description, description
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in description
        assert "&lt;b&gt;Was&lt;/b&gt; sich verändert hat" in description
        assert "Tom &amp; Jerry" in description
        parsed = feedparser.parse((out / feed).read_bytes())
        shown = next(e for e in parsed.entries if "Leipzig" in e.title).summary
        assert "<script" not in shown and "&lt;script&gt;alert(2)" in shown  # text to read
    page = (out / "episodes/01-leipzig-migrantenbeirat.html").read_text()
    assert "<script>alert(2)" not in page and "&lt;b&gt;Was&lt;/b&gt;" in page


def test_episode_folder_names_become_safe_url_names(cached_demo: Path) -> None:
    import feedparser

    for number, folder in ((4, "04 Gespräch über Ärger"), (5, "05-a#b?c%41&d<e>")):
        target = cached_demo / "episodes" / folder
        shutil.copytree(cached_demo / EP1, target)
        edit(target / "episode.md", "number: 1", f"number: {number}")
        edit(target / "episode.md", "4e01", f"4e{number:02d}")
    out = build(cached_demo).out
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not parsed.bozo
    enclosures = {e.enclosures[0].href for e in parsed.entries}
    base = "https://podcast.example.org/quer-durch-die-gremien/audio/"
    unversioned = {re.sub(r"-[0-9a-f]{12}\.mp3$", ".mp3", url) for url in enclosures}
    assert f"{base}04-gespraech-ueber-aerger.mp3" in unversioned
    assert f"{base}05-a-b-c-41-d-e.mp3" in unversioned
    assert (out / "episodes/04-gespraech-ueber-aerger.html").exists()
    index = (out / "index.html").read_text()
    assert 'href="episodes/05-a-b-c-41-d-e.html"' in index
    lock = (cached_demo / "podcast.lock").read_text()
    assert '= "04-gespraech-ueber-aerger"' in lock and '= "05-a-b-c-41-d-e"' in lock
    # The name is kept once published, even if the folder is renamed.
    (cached_demo / "episodes/04 Gespräch über Ärger").rename(cached_demo / "episodes/04 Ärger")
    out = build(cached_demo).out
    assert built_file(out, "audio/04-gespraech-ueber-aerger.mp3").exists()


def test_hidden_episode_folders_are_left_out_by_loader_and_change_check_alike(
    cached_demo: Path,
) -> None:
    build(cached_demo)
    hidden = cached_demo / "episodes/..04-punkte"
    shutil.copytree(cached_demo / EP1, hidden)
    edit(hidden / "episode.md", "number: 1", "number: 4")
    edit(hidden / "episode.md", "4e01", "4e04")
    check = run_cli("check", str(cached_demo))
    assert check.returncode == 0, check.stderr
    assert "..04-punkte: not published, its name starts with a dot" in check.stderr
    assert "rename it to 04-punkte" in check.stderr
    result = run_cli("build", str(cached_demo))
    assert result.returncode == 0 and "up to date" in result.stdout  # as the loader sees it
    hidden.rename(cached_demo / "episodes/04-punkte")
    result = run_cli("build", str(cached_demo))
    assert result.returncode == 0 and "up to date" not in result.stdout, result.stdout
    assert (cached_demo / "feed/episodes/04-punkte.html").exists()


def test_a_full_disk_is_reported_with_the_output_folder(cached_demo: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        build(cached_demo)  # renders into the cache, which is not on the small disk
        result = run_cli("build", str(cached_demo), "--out", str(disk / "feed"))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"{disk / 'feed'}: the disk is full" in result.stderr, result.stderr
        assert not (disk / "feed").exists()
        assert list(disk.iterdir()) == []  # the staging folder is gone too


def test_rgba_cover_is_published_on_white_not_black(cached_demo: Path) -> None:
    cover = Image.new("RGBA", (1400, 1400), (0, 0, 0, 0))
    cover.paste((200, 30, 30, 255), (400, 400, 1000, 1000))
    cover.save(cached_demo / "media/cover.png")
    edit(cached_demo / "podcast.toml", 'cover = "media/cover.jpg"', 'cover = "media/cover.png"')
    report = build(cached_demo)
    assert any("transparent areas on white" in w for w in report.warnings)
    published = next(report.out.glob("cover-*.jpg"))
    with Image.open(published) as image:
        assert image.mode == "RGB"
        corner = image.getpixel((10, 10))
        middle = image.getpixel((700, 700))
    assert all(channel > 245 for channel in corner), corner
    assert middle[0] > 180 and middle[1] < 60, middle


def test_files_as_windows_editors_and_whisper_write_them_are_accepted(
    cached_demo: Path,
) -> None:
    # A UTF-8 byte-order mark at the start, and a transcript ending in blank lines.
    for name in ("podcast.toml", f"{EP1}/episode.md", f"{EP3}/chapters.txt"):
        path = cached_demo / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    transcript = cached_demo / EP1 / "transcript.de.vtt"
    transcript.write_bytes(transcript.read_bytes() + b"\n\n\n")
    check = run_cli("check", str(cached_demo))
    assert check.returncode == 0, check.stderr
    (cached_demo / "podcast.lock").unlink()  # written anew by the build
    previous = os.umask(0o022)
    try:
        result = run_cli("build", str(cached_demo))
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    # podcast.lock is for every editor of a shared show folder: not private to one user.
    assert (cached_demo / "podcast.lock").stat().st_mode & 0o777 == 0o644
    chapters = json.loads(
        built_file(cached_demo / "feed", "chapters/03-zu-gast-im-jugendbeirat.json").read_text()
    )
    assert chapters["chapters"][0]["title"] == "Ankunft in der Sitzung des Jugendbeirats"
