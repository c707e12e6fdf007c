"""End to end: the demo show built with real ffmpeg, read back by real podcast-client parsers."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import eyed3
import feedparser
import podcastparser
import pytest

from podcast.build import BuildReport, build
from podcast.errors import PodcastError
from podcast.outputs.feeds.podcasting20 import podcast_guid

from .helpers import built_file, ebur128, run_cli, tree_bytes

BASE = "https://podcast.example.org/quer-durch-die-gremien/"


def local(out: Path, url: str) -> Path:
    """The published file behind a URL under the show's base URL."""
    assert url.startswith(BASE), url
    return out / urlparse(url).path.removeprefix(urlparse(BASE).path)


@pytest.mark.smoke
def test_feed_parses_in_podcastparser_with_real_enclosures(built_demo: BuildReport) -> None:
    out = built_demo.out
    with (out / "feed.xml").open("rb") as handle:
        parsed = podcastparser.parse(BASE + "feed.xml", handle)
    assert parsed["title"] == "Quer durch die Gremien"
    assert parsed["type"] == "episodic"
    assert len(parsed["episodes"]) == 3
    for episode in parsed["episodes"]:
        (enclosure,) = episode["enclosures"]
        path = local(out, enclosure["url"])
        assert path.stat().st_size == enclosure["file_size"]
        assert enclosure["mime_type"] == "audio/mpeg"
        assert 20 <= episode["total_time"] <= 90
        assert episode["guid"].startswith("urn:uuid:")
    assert parsed["episodes"][0]["number"] == 3  # newest first


@pytest.mark.smoke
def test_feed_parses_in_feedparser_with_itunes_and_podcast_namespaces(
    built_demo: BuildReport,
) -> None:
    parsed = feedparser.parse((built_demo.out / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    feed = parsed.feed
    assert feed.language == "de-DE"
    assert feed.podcast_guid == podcast_guid(BASE + "feed.xml")
    assert {t.term for t in feed.tags} >= {"Society & Culture", "Documentary"}
    raw = (built_demo.out / "feed.xml").read_text(encoding="utf-8")
    assert "<itunes:explicit>false</itunes:explicit>" in raw
    assert "<itunes:explicit>no</itunes:explicit>" not in raw
    assert (
        '<podcast:location rel="subject" geo="geo:50.1109,8.6821" osm="R62400">Frankfurt am Main'
        in raw
    )
    for entry in parsed.entries:
        assert entry.enclosures[0].type == "audio/mpeg"
        assert int(entry.itunes_duration) > 20
        assert entry.content[0].value.startswith("<p>")
        assert len(entry.summary.encode()) <= 4000


def test_podcast_guid_matches_the_namespace_example() -> None:
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


@pytest.mark.smoke
def test_every_mp3_is_normalised_and_tagged(built_demo: BuildReport) -> None:
    mp3s = sorted((built_demo.out / "audio").glob("*.mp3"))
    assert len(mp3s) == 3
    for path in mp3s:
        integrated, peak = ebur128(path)
        assert abs(integrated + 16) <= 0.5, (path.name, integrated)
        assert peak <= -1.0, (path.name, peak)
        tag = eyed3.load(str(path)).tag  # not mutagen, which wrote it
        assert tag.version[:2] == (2, 3)
        assert tag.album == "Quer durch die Gremien"
        assert tag.frame_set[b"TCON"][0].text == "Podcast"
        assert tag.frame_set[b"TLAN"][0].text == "deu"
        assert tag.getBestDate().year == 2026  # eyeD3 reads some TDAT days as invalid
        (cover,) = tag.images
        assert cover.mime_type == "image/jpeg"
        from PIL import Image

        assert Image.open(io.BytesIO(cover.image_data)).size == (1400, 1400)
    first = eyed3.load(str(built_file(built_demo.out, "audio/01-leipzig-migrantenbeirat.mp3"))).tag
    assert first.title == "Leipzig: Der Migrantenbeirat und die anderen Beiräte"
    assert first.track_num[0] == 1


def test_broadcast_wavs_are_ebu_r128(built_demo: BuildReport) -> None:
    for path in sorted((built_demo.out / "broadcast").glob("*.wav")):
        integrated, peak = ebur128(path)
        assert abs(integrated + 23) <= 0.5 and peak <= -1.0, (path.name, integrated, peak)
    parsed = feedparser.parse((built_demo.out / "radio.xml").read_bytes())
    assert not parsed.bozo
    for entry in parsed.entries:
        enclosure = entry.enclosures[0]
        assert enclosure.type == "audio/wav"
        assert local(built_demo.out, enclosure.href).stat().st_size == int(enclosure.length)


def test_pages_carry_notes_player_chapters_and_links(built_demo: BuildReport) -> None:
    out = built_demo.out
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("Zu Gast im Jugendbeirat") < index.index("Frankfurt: Die Kommunale")
    assert 'type="application/rss+xml"' in index
    page = (out / "episodes/01-leipzig-migrantenbeirat.html").read_text(encoding="utf-8")
    assert '<html lang="de-DE">' in page
    assert re.search(r"<audio id=\"player\" controls[^>]* src=\"../audio/", page)
    assert "<strong>Migrantenbeirat</strong>" in page
    chapters = json.loads(built_file(out, "chapters/01-leipzig-migrantenbeirat.json").read_text())
    assert f'data-start="{chapters["chapters"][1]["startTime"]}"' in page and "Kapitel" in page
    assert 'rel="noopener noreferrer"' in page
    assert (
        (built_file(out, "transcripts/01-leipzig-migrantenbeirat.de.vtt"))
        .read_text()
        .startswith("WEBVTT")
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert {e["slug"] for e in manifest["episodes"]} == {
        "01-leipzig-migrantenbeirat",
        "02-frankfurt-kav",
        "03-zu-gast-im-jugendbeirat",
    }


def test_failed_build_leaves_the_published_output_untouched(cached_demo: Path) -> None:
    report = build(cached_demo)
    before = tree_bytes(report.out)
    episode = cached_demo / "episodes/02-frankfurt-kav/episode.md"
    episode.write_text(episode.read_text().replace("number: 2", "number: zwei"))
    with pytest.raises(PodcastError):
        build(cached_demo)
    episode.write_text(episode.read_text().replace("number: zwei", "number: 2"))
    recording = cached_demo / "episodes/02-frankfurt-kav/gespräch frankfurt.mp3"
    recording.write_bytes(b"")
    with pytest.raises(PodcastError, match=r"gespräch frankfurt\.mp3: the file is empty"):
        build(cached_demo)
    assert tree_bytes(report.out) == before
    assert not list(cached_demo.glob(".feed.staging-*"))


def test_chapter_past_the_end_is_reported_with_its_line(cached_demo: Path) -> None:
    episode = cached_demo / "episodes/01-leipzig-migrantenbeirat/episode.md"
    episode.write_text(episode.read_text().replace('start: "00:24"', 'start: "05:00"'))
    with pytest.raises(PodcastError, match=r"episode\.md:25: chapters\[2\]\.start: starts at 300"):
        build(cached_demo)


def test_build_refuses_to_replace_a_folder_it_did_not_make(cached_demo: Path) -> None:
    precious = cached_demo / "documents"
    precious.mkdir()
    (precious / "thesis.odt").write_text("years of work")
    with pytest.raises(PodcastError, match="no build put there"):
        build(cached_demo, precious)
    with pytest.raises(PodcastError, match="would replace the show folder"):
        build(cached_demo, cached_demo)
    assert (precious / "thesis.odt").exists()


@pytest.mark.smoke
def test_cli_check_reports_problems_without_traceback(demo: Path) -> None:
    assert run_cli("check", cwd=demo).returncode == 0
    (demo / "episodes/02-frankfurt-kav/gespräch frankfurt.mp3").write_text("kein Audio")
    toml = demo / "podcast.toml"
    toml.write_text(toml.read_text().replace("[owner]", "[owner]\nnmae = 'x'"))
    result = run_cli("check", cwd=demo)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "podcast.toml:17: owner.nmae: unknown key (did you mean `name`?)" in result.stderr


def test_cli_check_probes_recordings(demo: Path) -> None:
    (demo / "episodes/02-frankfurt-kav/gespräch frankfurt.mp3").write_text("kein Audio")
    result = run_cli("check", cwd=demo)
    assert result.returncode == 1, result.stdout
    episode = demo / "episodes/02-frankfurt-kav/episode.md"
    line = episode.read_text().splitlines().index("  - file: gespräch frankfurt.mp3") + 1
    assert f"episodes/02-frankfurt-kav/episode.md:{line}: recordings[0].file:" in result.stderr
    assert "reading the audio file failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_build_new_and_info(cached_demo: Path, tmp_path: Path) -> None:
    result = run_cli("build", "--out", str(tmp_path / "site"), "-j", "2", cwd=cached_demo)
    assert result.returncode == 0, result.stderr
    assert "podcast -16." in result.stdout and "broadcast -23." in result.stdout
    mp3 = built_file(tmp_path / "site", "audio/02-frankfurt-kav.mp3")
    info = run_cli("info", str(mp3), cwd=cached_demo)
    assert "44100 Hz, 2 channel(s), 128 kb/s" in info.stdout
    assert "LUFS integrated" in info.stdout
    created = run_cli("new", "Zu Gast im Seniorenbeirat", cwd=cached_demo)
    assert created.returncode == 0, created.stderr
    scaffold = cached_demo / "episodes/04-zu-gast-im-seniorenbeirat/episode.md"
    text = scaffold.read_text()
    assert "number: 4" in text and 'guid: "urn:uuid:' in text
    shutil.rmtree(scaffold.parent)
    missing = run_cli("info", "nothing.wav", cwd=cached_demo)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_demo_media_tool_regenerates_a_show_that_builds(tmp_path: Path) -> None:
    # pydub needs audioop, which Python 3.13 no longer ships (audioop-lts stands in there).
    from .conftest import REPO, copy_demo

    show = copy_demo(tmp_path / "show")
    for media in [show / "media/jingle.flac", *show.glob("episodes/*/*.flac")]:
        media.unlink()
    result = subprocess.run(
        [sys.executable, str(REPO / "tools/make_demo_media.py"), "--into", str(show)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "01-leipzig-migrantenbeirat:" in result.stdout
    streams = subprocess.run(
        [
            *("ffprobe", "-v", "error", "-of", "csv=p=0"),
            *("-show_entries", "stream=codec_name,sample_rate,channels"),
            str(show / "media/jingle.flac"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert streams == ["flac,48000,2"]
    assert (show / "episodes/02-frankfurt-kav/gespräch frankfurt.mp3").stat().st_size > 10_000
    assert run_cli("check", str(show)).returncode == 0
