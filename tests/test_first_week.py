"""A first week with the tool (issue 27): the rough edges a new editor and outside readers hit,
each through the CLI (or the browser) where the issue met it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

import pytest
from PIL import Image

from podcast.build import build
from podcast.serve import make_server

from .conftest import copy_demo, seed_cache
from .helpers import edit, serving

BASE = "https://podcast.example.org/erste-woche/"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EP1 = "episodes/01-leipzig-migrantenbeirat"
EP2 = "episodes/02-frankfurt-kav"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
FLAGS = ("--author", "Redaktion", "--base-url", BASE, "--email", "red@example.org")


def cli(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`podcast ...` as a script runs it: no terminal on stdin, `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "podcast", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | env,
    )


@pytest.fixture(scope="module")
def new_show(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A show from `podcast init` run by a script, with the machine in Europe/Berlin."""
    show = tmp_path_factory.mktemp("first") / "beirat"
    made = cli("init", str(show), "--title", "Beiräte übers Jahr", *FLAGS, TZ="Europe/Berlin")
    assert made.returncode == 0, made.stderr
    return show


def test_init_without_a_terminal_names_the_flags_and_sets_the_time_zone(
    tmp_path: Path, new_show: Path
) -> None:
    bare = cli("init", str(tmp_path / "x"))
    assert bare.returncode == 1 and "Aborted" not in bare.stderr
    assert "no terminal" in bare.stderr
    for flag in ("--title", "--author", "--base-url", "--email"):
        assert flag in bare.stderr
    assert not (tmp_path / "x" / "podcast.toml").exists()
    config = tomllib.loads((new_show / "podcast.toml").read_text(encoding="utf-8"))
    assert config["timezone"] == "Europe/Berlin"
    utc = cli("init", str(tmp_path / "u"), "--title", "U", *FLAGS, TZ="UTC")
    assert utc.returncode == 0, utc.stderr
    assert "timezone" not in tomllib.loads((tmp_path / "u/podcast.toml").read_text())
    given = cli("init", str(tmp_path / "g"), "--title", "G", *FLAGS, "--timezone", "Mars/Base")
    assert given.returncode == 1 and "timezone: not a time zone" in given.stderr


def test_new_dates_in_the_zone_and_cuts_the_slug_at_a_word(new_show: Path) -> None:
    title = "Wie die Beiräte in Leipzig und Frankfurt voneinander lernen könnten, wenn sie wollten"
    made = cli("new", title, "--show-dir", str(new_show), TZ="UTC")
    assert made.returncode == 0, made.stderr
    (folder,) = (new_show / "episodes").iterdir()
    assert folder.name == "01-wie-die-beiraete-in-leipzig-und-frankfurt-voneinander-lernen"
    date = next(
        line for line in (folder / "episode.md").read_text().splitlines() if line[:5] == "date:"
    )
    assert "+01:00" in date or "+02:00" in date


@dataclass(frozen=True)
class Week:
    """The demo as the first week left it: a wide photo in episode 1's notes, an address on
    separate lines in the Impressum; built, and previewed on 1 October 2026 (episode 2 out for
    radios under embargo, episode 3 scheduled)."""

    show: Path
    out: Path
    preview: Path


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Week:
    root = tmp_path_factory.mktemp("week")
    show = copy_demo(root / "show")
    seed_cache(show, shared_cache)
    photo = Image.linear_gradient("L").resize((2000, 1200)).convert("RGB")
    photo.save(show / EP1 / "saal.jpg", quality=80)
    notes = "\n---\n![Der Sitzungssaal im Rathaus](saal.jpg)\n\n"
    edit(show / EP1 / "episode.md", "\n---\n", notes)
    impressum = show / "pages/impressum.md"
    impressum.write_text(impressum.read_text(encoding="utf-8").replace("\\\n", "\n"))
    edit(show / EP2 / "episode.md", "\ndate:", "\nradio_release: 2026-09-20T00:00:00+02:00\ndate:")
    out = build(show).out
    preview = build(
        show,
        root / "preview",
        preview_url="http://127.0.0.1:8000/",
        now=datetime(2026, 10, 1, tzinfo=UTC),
    ).out
    return Week(show, out, preview)


def test_pictures_are_published_in_sizes_and_linked_relatively(week: Week) -> None:
    page = (week.out / f"{EP1}.html").read_text(encoding="utf-8")
    (img,) = re.findall(r"<img [^>]*>", page.split('class="notes"')[1].split("</section>")[0])
    attributes = dict(re.findall(r'(\w+)="([^"]*)"', img))
    assert attributes["src"].startswith("../images/") and "://" not in img
    assert (attributes["width"], attributes["height"]) == ("1600", "960")
    assert attributes["loading"] == "lazy"
    widths = {}
    for candidate in attributes["srcset"].split(", "):
        url, width = candidate.split(" ")
        with Image.open(week.out / "episodes" / url) as published:
            assert f"{published.width}w" == width
            widths[published.width] = url
    assert set(widths) == {480, 960, 1600}
    assert "max-width: 100%" in (week.out / "style.css").read_text()
    feed = ET.parse(week.out / "feed.xml").getroot()
    notes = next(
        item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
        for item in feed.iter("item")
        if "leipzig-migrantenbeirat" in (item.findtext("link") or "")
    )
    assert 'src="https://' in notes and "srcset" not in notes  # absolute in the feed


def test_the_preview_marks_what_is_not_out_yet_with_its_date(week: Week) -> None:
    index = (week.preview / "index.html").read_text(encoding="utf-8")
    assert "Sperrfrist: nur bei den Radiopartnern, öffentlich ab 08.10.2026, 18:00" in index
    assert "Geplant: erscheint am 05.11.2026, 18:00" in index
    assert index.count('class="draft-banner"') == 2  # episode 1 is out: not marked
    page = (week.preview / f"{EP2}.html").read_text(encoding="utf-8")
    assert "Sperrfrist: nur bei den Radiopartnern" in page
    assert "draft-banner" not in (week.out / "index.html").read_text(encoding="utf-8")
    # The partners' page too (an outside tester found it listing them unmarked).
    partners = (week.preview / "programme/index.html").read_text(encoding="utf-8")
    assert "Geplant: erscheint am 05.11.2026, 18:00" in partners, partners


def test_addresses_keep_their_lines_and_hosts_are_named(week: Week) -> None:
    impressum = (week.out / "impressum.html").read_text(encoding="utf-8")
    assert "Redaktion Quer durch die Gremien<br>" in impressum
    assert "ihre<br>" not in impressum  # flowing text wrapped in the editor stays one paragraph
    page = (week.out / f"{EP1}.html").read_text(encoding="utf-8")
    people = page.split('id="persons-heading"')[1].split("</section>")[0]
    assert "Redaktion Quer durch die Gremien (Moderation)" in people
    assert "Radio Blau (Produktion)" in people
    third = (week.out / "episodes/03-zu-gast-im-jugendbeirat.html").read_text(encoding="utf-8")
    people = third.split('id="persons-heading"')[1].split("</section>")[0]
    assert people.count("Redaktion Quer durch die Gremien") == 1  # a host named once


def test_durations_are_shown_as_players_show_them(week: Week) -> None:
    from podcast.outputs.site_context import environment

    assert environment(week.show).filters["duration"](427.6) == "7:07"
    index = (week.out / "index.html").read_text(encoding="utf-8")
    for item in ET.parse(week.out / "feed.xml").getroot().iter("item"):
        enclosure = item.find("enclosure")
        assert enclosure is not None
        audio = week.out / enclosure.attrib["url"].split("/quer-durch-die-gremien/")[-1]
        probed = subprocess.run(
            [*("ffprobe", "-v", "error", "-show_entries", "format=duration"), str(audio)],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = int(float(probed.stdout.split("=")[1].split()[0]))  # cut, as players do
        assert item.findtext(f"{ITUNES}duration") == str(seconds)
        assert f"Dauer {seconds // 60}:{seconds % 60:02d}</p>" in index


@pytest.fixture
def served(week: Week) -> Iterator[str]:
    with serving(week.out) as address:
        yield address


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: install Debian's chromium package")
def test_in_a_browser_pictures_fit_and_chapter_links_land_in_their_chapter(
    week: Week, served: str
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"],
        )
        phone = browser.new_page(viewport={"width": 375, "height": 700})
        # From disk, as an editor opens it: the picture is there, and within the screen.
        phone.goto((week.out / f"{EP1}.html").as_uri())
        picture = phone.locator(".notes img")
        picture.scroll_into_view_if_needed()
        phone.wait_for_function("document.querySelector('.notes img').complete")
        assert phone.evaluate("document.querySelector('.notes img').naturalWidth") > 0
        assert phone.evaluate("document.querySelector('.notes img').currentSrc").endswith(".jpg")
        box = picture.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        page = browser.new_page()
        page.goto(f"{served}/{EP1}.html")
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
        chapter = page.get_by_role("button", name="Delegierte in den anderen Beiräten")
        start = float(chapter.get_attribute("data-start") or "nan")
        assert start != int(start)  # a chapter that starts between two seconds
        chapter.click()
        page.wait_for_function("location.hash.length > 3")
        link = page.evaluate("location.href")
        page.evaluate("document.getElementById('player').pause()")
        page.goto("about:blank")
        page.goto(link)  # the link, shared: it starts in the chapter it names
        page.wait_for_function(
            "document.querySelector('ol.chapters > li[aria-current]')"
            "?.textContent?.includes('Delegierte in den anderen')",
            timeout=10000,
        )
        assert page.evaluate("document.getElementById('player').currentTime") >= start
        browser.close()


def test_captions_are_shown_long_enough_to_read_and_never_overlap(week: Week) -> None:
    import webvtt

    files = sorted((week.out / "transcripts").glob("*.srt")) + sorted(
        (week.out / "transcripts").glob("*.vtt")
    )
    assert len(files) >= 6
    for path in files:
        read = webvtt.from_srt(path) if path.suffix == ".srt" else webvtt.read(path)
        spans = [(seconds(c.start), seconds(c.end)) for c in read]
        for (start, end), (later, _) in pairwise(spans):
            assert end <= later + 1e-9, (path.name, start, end, later)
        short = [(start, end) for start, end in spans if end - start < 0.999]
        assert short == [], path.name


def seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.replace(",", ".").split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def probe(path: Path, *entries: str) -> list[str]:
    """ffprobe's values for `entries` (e.g. stream=duration), one line each."""
    return subprocess.run(
        [*("ffprobe", "-v", "error", "-of", "default=nw=1:nk=1"), *entries, str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_alternates_state_the_audio_rate_and_end_with_their_audio(week: Week) -> None:
    feed = ET.parse(week.out / "feed.xml").getroot()
    p20 = "{https://podcastindex.org/namespace/1.0}"
    checked = 0
    for alternate in feed.iter(f"{p20}alternateEnclosure"):
        source = alternate.find(f"{p20}source")
        assert source is not None
        path = week.out / source.attrib["uri"].split("/quer-durch-die-gremien/")[-1]
        # The audio stream's own packets, over its own duration: what a reader calls its rate.
        packets = probe(path, "-select_streams", "a", "-show_entries", "packet=size")
        (duration,) = probe(path, "-select_streams", "a", "-show_entries", "stream=duration")
        audio_rate = sum(map(int, packets)) * 8 / float(duration)
        assert int(alternate.attrib["bitrate"]) == pytest.approx(audio_rate, rel=0.05), path.name
        (whole,) = probe(path, "-show_entries", "format=duration")
        assert float(whole) <= float(duration) + 0.001, path.name  # chapters end with the audio
        checked += 1
    assert checked == 6  # AAC and Opus of three episodes


def test_mp3_tags_have_no_padding_shorter_than_a_frame_header(week: Week) -> None:
    for path in sorted((week.out / "audio").glob("*.mp3")):
        data = path.read_bytes()
        assert data[:3] == b"ID3"
        size = 0
        for byte in data[6:10]:
            size = size << 7 | byte
        position, end = 10, 10 + size
        while position + 10 <= end and data[position] != 0:
            frame_size = int.from_bytes(data[position + 4 : position + 8], "big")
            if data[3] == 4:
                frame_size = 0
                for byte in data[position + 4 : position + 8]:
                    frame_size = frame_size << 7 | byte
            position += 10 + frame_size
        padding = end - position
        assert padding == 0 or padding >= 10, (path.name, padding)
        assert data[end] == 0xFF  # the audio's first frame follows the tag


class _Directory(BaseHTTPRequestHandler):
    """A directory's update notification endpoint: notes what it is told."""

    heard: list[str]

    def do_GET(self) -> None:
        self.heard.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_new_show_from_init_is_published_without_warnings_and_every_link_checked(
    tmp_path: Path,
) -> None:
    """The whole first week through the CLI: init, new, the TODOs filled in, built, published
    to a loopback web server: no warning; then files the feeds link gone at the server."""
    from .conftest import REPO

    show = tmp_path / "beirat"
    base = "https://podcast.radio-sued.de/beiraete/"
    flags = ("--author", "Redaktion Süd", "--base-url", base, "--email", "red@radio-sued.de")
    flags += ("--language", "de")
    made = cli("init", str(show), "--title", "Beiräte übers Jahr", *flags, TZ="Europe/Berlin")
    assert made.returncode == 0, made.stderr
    assert cli("new", "Erste Sitzung", "--show-dir", str(show)).returncode == 0
    (episode,) = (show / "episodes").iterdir()
    shutil.copyfile(REPO / EP1 / "interview-leipzig.flac", episode / "interview.wav")
    for source in [show / "podcast.toml", episode / "episode.md", *(show / "pages").iterdir()]:
        text = source.read_text(encoding="utf-8").replace(">-\n  TODO\n", ">-\n  Gleich.\n")
        source.write_text(text.replace("TODO: ", "").replace("TODO", "Redaktion Süd"))
    Image.new("RGB", (1400, 1400), (200, 80, 40)).save(show / "cover.jpg")  # the show's own
    www = tmp_path / "www"
    www.mkdir()
    server = make_server(www, 0)
    heard: list[str] = []
    directory = ThreadingHTTPServer(("127.0.0.1", 0), type("D", (_Directory,), {"heard": heard}))
    for running in (server, directory):
        threading.Thread(target=running.serve_forever, daemon=True).start()
    served = f"http://127.0.0.1:{server.server_address[1]}/"
    toml = show / "podcast.toml"
    notify = f"http://127.0.0.1:{directory.server_address[1]}/notify"
    toml.write_text(
        f'update_notify = ["{notify}"]\n'
        + toml.read_text(encoding="utf-8")
        + '\n[[hosts]]\nname = "Redaktion Süd"\nrole = "host"\n'
        + f'\n[publish.web]\nkind = "folder"\npath = "{www}"\nverify_url = "{served}"\n',
        encoding="utf-8",
    )
    try:
        built = cli("build", str(show))
        assert built.returncode == 0 and "warning" not in built.stderr, built.stderr
        first = cli("publish", str(show), "--to", "web")
        assert first.returncode == 0 and first.stderr == "", first.stderr
        assert "verified over HTTP" in first.stdout
        assert any("feed.xml" in path for path in heard)
        assert not any("radio.xml" in path for path in heard)  # blocked from directories
        radio = (www / "radio.xml").read_text(encoding="utf-8")
        sheet = f"programme/{episode.name}.html"
        assert sheet in radio and sheet not in (www / "feed.xml").read_text(encoding="utf-8")
        (www / sheet).unlink()  # linked by radio.xml only
        (cover,) = re.findall(r'<itunes:image href="[^"]*/(cover-[0-9a-f]+\.jpg)"', radio)[:1]
        (www / cover).unlink()
        again = cli("publish", str(show), "--to", "web", "--verify")
        assert again.returncode == 1
        assert f"{served}{sheet}: answers 404, and a feed links it" in again.stderr
        assert f"{served}{cover}: answers 404" in again.stderr
    finally:
        server.shutdown()
        directory.shutdown()


class _Plain(SimpleHTTPRequestHandler):
    """A server that knows no Range requests (Python's own)."""

    def log_message(self, *args: object) -> None:
        pass


def test_the_range_warning_names_the_audience_of_the_file(week: Week) -> None:
    from podcast.publish.verify import verify_published

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Plain, directory=str(week.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}/"
        demo_base = "https://podcast.example.org/quer-durch-die-gremien/"
        findings = verify_published(week.out, ["feed.xml", "radio.xml"], {demo_base: address})
    finally:
        server.shutdown()
    ranges = [f for f in findings if "Range requests" in f.message]
    wav = [f.message for f in ranges if f.url.endswith(".wav")]
    mp3 = [f.message for f in ranges if f.url.endswith(".mp3")]
    assert len(wav) == 3 and len(mp3) == 3
    assert all("radio partners" in m and "Apple" not in m for m in wav)
    assert all("Apple Podcasts refuses" in m for m in mp3)


def test_the_placeholder_cover_draws_every_letter_and_check_names_it(tmp_path: Path) -> None:
    from PIL import ImageFont

    from podcast.scaffold import cover_font

    def drawn(font: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(char)
        return mask.size, bytes(mask)

    names = "Beiräte übers Jahr: Straße, Łódź, Čeština, Œuvre, Ñandú, Ångström"
    default = ImageFont.load_default(size=250)
    assert isinstance(default, ImageFont.FreeTypeFont)
    box = drawn(default, "\U0010fffd")
    assert drawn(default, "ä") == box  # what drew "Beir▯te": Pillow's own font has no ä
    font, text = cover_font(250, names)
    assert text == names  # this machine has such a font (fonts-dejavu-core, as dev.sh installs)
    box = drawn(font, "\U0010fffd")
    assert [c for c in set(names) if not c.isspace() and drawn(font, c) == box] == []
    show = tmp_path / "neu"
    made = cli("init", str(show), "--title", names, *FLAGS)
    assert made.returncode == 0, made.stderr
    checked = cli("check", str(show))
    assert "cover.jpg: still the placeholder cover of `podcast init`" in checked.stderr


def test_partners_find_the_radio_feed_on_a_page_of_their_own(week: Week) -> None:
    index = (week.out / "index.html").read_text(encoding="utf-8")
    assert '<a href="programme/index.html">Für Radios</a>' in index
    partners = (week.out / "programme/index.html").read_text(encoding="utf-8")
    radio = "https://podcast.example.org/quer-durch-die-gremien/radio.xml"
    assert f'<a href="{radio}" type="application/rss+xml">' in partners
    for sheet in sorted((week.out / "programme").glob("0*.html")):
        assert f'href="../programme/{sheet.name}"' in partners


def test_info_finds_the_pauses_silencedetect_finds_in_the_demo(week: Week) -> None:
    from .helpers import built_file

    files = [
        built_file(week.out, f"audio/{name}.mp3")
        for name in ("01-leipzig-migrantenbeirat", "03-zu-gast-im-jugendbeirat")
    ]
    for path in files:  # an independent count: ffmpeg's silencedetect
        detected = subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-hide_banner", "-i", str(path)),
                *("-af", "silencedetect=n=-50dB:d=0.5", "-f", "null", "-"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert detected.stderr.count("silence_end") >= 4
    info = cli("info", *map(str, files))
    assert info.returncode == 0, info.stderr
    sound = [line for line in info.stdout.splitlines() if line.startswith("sound:")]
    assert len(sound) == 2 and all("silent pauses" in line for line in sound), sound
