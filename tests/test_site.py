"""The website: valid HTML, sanitised notes, overridable theme, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import html5lib
import pytest

from podcast.build import BuildReport, build
from podcast.outputs.notes import notes_html

from .helpers import built_file, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE_NOTES = """
Harmlos **fett**.

<script>alert("xss")</script>
<b onmouseover="alert('xss')">fett auch</b>
<a href="javascript:alert('xss')">klick</a> [auch](javascript:alert(1))
<iframe src="https://evil.example/"></iframe>
<p onclick="alert(1)" style="color:red">Absatz</p>

[extern](https://www.radioblau.de/)
"""


def pages(out: Path) -> list[Path]:
    return sorted(out.glob("*.html")) + sorted(out.glob("*/*.html"))


def test_every_page_is_well_formed_html5(built_demo: BuildReport) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    found = pages(built_demo.out)
    assert len(found) == 11  # index, three episodes, three programme sheets, partners, two pages,
    # search
    for page in found:
        document = parser.parse(page.read_text(encoding="utf-8"))
        ids = [e.get("id") for e in document.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), page
        for image in document.iter("img"):
            assert image.get("alt"), page
        for field in document.iter("input"):
            assert document.find(f".//label[@for='{field.get('id')}']") is not None, page
        assert document.find(".//main") is not None and document.find(".//header") is not None


def test_hostile_notes_never_reach_page_or_feed(cached_demo: Path) -> None:
    episode = cached_demo / "episodes/03-zu-gast-im-jugendbeirat/episode.md"
    episode.write_text(episode.read_text() + HOSTILE_NOTES)
    out = build(cached_demo).out
    for path in (out / "episodes/03-zu-gast-im-jugendbeirat.html", out / "feed.xml"):
        text = path.read_text()
        assert "<strong>fett</strong>" in text
        for bad in (
            "<script>alert",
            "onmouseover=",
            'href="javascript:',
            "<iframe",
            "onclick=",
            "evil.example",
            "style=",
        ):
            assert bad not in text, (path.name, bad)
    page = (out / "episodes/03-zu-gast-im-jugendbeirat.html").read_text()
    assert '<a href="https://www.radioblau.de/" rel="noopener noreferrer">extern</a>' in page


def test_notes_html_unit() -> None:
    html = notes_html("[a](https://x.org) <b onmouseover='x()'>b</b> <script>x()</script>")
    assert html == '<p><a href="https://x.org" rel="noopener noreferrer">a</a> <b>b</b> </p>'


def test_show_overrides_one_template_and_keeps_the_rest(cached_demo: Path) -> None:
    shutil.rmtree(cached_demo / "templates")
    (cached_demo / "templates").mkdir()
    (cached_demo / "templates/index.html").write_text(
        '{% extends "base.html" %}{% block main %}<p id="own">Eigene Startseite: '
        "{{ episodes | length }} {{ t.episodes }}</p>{% endblock %}"
    )
    out = build(cached_demo).out
    assert '<p id="own">Eigene Startseite: 3 Folgen</p>' in (out / "index.html").read_text()
    assert "Kapitel" in (out / "episodes/01-leipzig-migrantenbeirat.html").read_text()


def test_ui_strings_follow_the_show_language(cached_demo: Path) -> None:
    toml = cached_demo / "podcast.toml"
    toml.write_text(toml.read_text().replace('language = "de-DE"', 'language = "en-GB"'))
    page = (build(cached_demo).out / "episodes/01-leipzig-migrantenbeirat.html").read_text()
    assert "Chapters" in page and "Kapitel" not in page and '<html lang="en-GB">' in page


def test_site_has_no_external_resources(built_demo: BuildReport) -> None:
    for page in pages(built_demo.out):
        text = page.read_text()
        for tag in ("<script src=", '<link rel="stylesheet" href="http', "@import", "fonts."):
            assert tag not in text, (page, tag)


@pytest.fixture
def served(built_demo: BuildReport) -> Iterator[str]:
    with serving(built_demo.out) as address:
        yield address


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: install Debian's chromium package")
def test_player_chapters_and_transcript_in_a_real_browser(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
        page.goto(f"{served}/episodes/01-leipzig-migrantenbeirat.html")
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
        duration = page.evaluate("document.getElementById('player').duration")
        assert 30 < duration < 36
        chapter = page.get_by_role("button", name="Delegierte in den anderen Beiräten")
        target = float(chapter.get_attribute("data-start") or "nan")
        assert 12 < target < 14
        chapter.click()
        page.wait_for_function(
            f"Math.abs(document.getElementById('player').currentTime - {target}) < 1.5",
            timeout=10000,
        )
        # A link to share, to the millisecond: it lands in this chapter (issue 27).
        assert page.evaluate("location.hash") == f"#t=00:{target:06.3f}".rstrip("0").rstrip(".")
        page.get_by_text("Transkript anzeigen").click()
        # A screen reader announces a cue by its words, not only its time.
        cue = page.get_by_role("button", name=re.compile("Wir schicken Delegierte"))
        assert cue.count() == 1 and cue.get_attribute("data-start") == page.locator(
            "ol.cues button.seek"
        ).nth(3).get_attribute("data-start")
        target = float(cue.get_attribute("data-start") or "nan")
        assert 15 < target < 18
        cue.focus()
        page.keyboard.press("Enter")  # the cues work from the keyboard too
        page.wait_for_function(
            f"Math.abs(document.getElementById('player').currentTime - {target}) < 1.5",
            timeout=10000,
        )
        # A link to a moment (#t=MM:SS) positions the player there, and the chapter and the
        # transcript cue being heard are marked; a changed fragment moves the player.
        # (From another page: a link to the same page with a new fragment would not load it
        # again, and the player would still be playing from the click above.)
        page.goto("about:blank")
        page.goto(f"{served}/episodes/01-leipzig-migrantenbeirat.html#t=00:20")
        assert page.evaluate("document.getElementById('player').paused")
        current = "document.querySelector('ol.%s > li[aria-current]')"

        def heard(at: float, chapter: str, cue: str) -> None:
            page.wait_for_function(
                f"Math.abs(document.getElementById('player').currentTime - {at}) < 0.3"
                # Optional chaining: before the mark is set there is no element, and the
                # predicate must say "not yet" rather than throw (which ends the wait).
                f" && ({current % 'cues'})?.textContent?.includes({cue!r})"
                f" && ({current % 'chapters'})?.textContent?.includes({chapter!r})",
                timeout=10000,
            )
            assert page.locator("li[aria-current]").count() == 2

        heard(20, "Delegierte in den anderen", "Wir schicken Delegierte")
        page.evaluate("location.hash = 't=0:29.5'")
        heard(29.5, "Was sich verändert hat", "Anträge werden früher")
        for broken in ("#t=abc", "#t=1:2:3:4", "#t=-5", "#t=1e9"):
            page.evaluate(f"location.hash = {broken!r}")  # ignored, and no script error
        assert abs(page.evaluate("document.getElementById('player').currentTime") - 29.5) < 0.1
        # While playing, the mark moves on to the next chapter when it begins.
        third = page.get_by_role("button", name="Was sich verändert hat").get_attribute(
            "data-start"
        )
        page.evaluate(f"location.hash = 't={float(third or 'nan') - 1.5}'")
        # The mark follows the seek (on the player's `seeked`), a moment after the time moved.
        page.wait_for_function(
            "document.getElementById('player').currentTime < 29"
            f" && ({current % 'chapters'})?.textContent?.trim().endsWith('Beiräten')",
            timeout=10000,
        )
        page.evaluate("document.getElementById('player').play()")
        page.wait_for_function(
            f"document.getElementById('player').currentTime > {third} + 0.3"
            f" && ({current % 'chapters'})?.textContent?.trim().endsWith('verändert hat')",
            timeout=10000,
        )
        page.evaluate("document.getElementById('player').pause()")
        # The theme is applied: the page's paper colour and the column width of style.css.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
            "rgb(253, 251, 247)"
        )
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") <= (
            48 * 16 + 1  # max-width: 48rem; without the stylesheet it spans the window
        )
        shot = Path(os.environ.get("PODCAST_SCREENSHOT", tmp_path / "episode.png"))
        page.screenshot(path=str(shot), full_page=True)
        from PIL import Image

        with Image.open(shot) as image:  # what a person sees: the page's paper, and text on it
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        most = max(colours)[1]
        assert most == (253, 251, 247), most
        assert len(colours) > 50  # text and player drawn, not an empty page
        page.wait_for_load_state("networkidle")
        assert problems == []  # no console error, no missing file (favicon.ico included)
        browser.close()


def test_preview_server_answers_range_requests(served: str, built_demo: BuildReport) -> None:

    path = built_file(built_demo.out, "audio/01-leipzig-migrantenbeirat.mp3")
    mp3 = path.relative_to(built_demo.out)
    size = path.stat().st_size
    request = urllib.request.Request(f"{served}/{mp3}", headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 1000-1999/{size}"
        assert response.read() == path.read_bytes()[1000:2000]
    request = urllib.request.Request(f"{served}/{mp3}", headers={"Range": "bytes=-100"})
    with urllib.request.urlopen(request) as response:
        assert response.read() == path.read_bytes()[-100:]
    with urllib.request.urlopen(f"{served}/index.html") as response:
        assert response.headers["Accept-Ranges"] == "bytes"
        assert b"AntennaPod" in response.read()
        assert response.headers["Access-Control-Allow-Origin"] is None
    # Players on other sites fetch chapters and transcripts across origins.
    for name in ("chapters/01-leipzig-migrantenbeirat.json", "transcripts/02-frankfurt-kav.de.vtt"):
        name = str(built_file(built_demo.out, name).relative_to(built_demo.out))
        with urllib.request.urlopen(f"{served}/{name}") as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_favicon_and_durations_rounded_like_the_feed(built_demo: BuildReport) -> None:
    import xml.etree.ElementTree as ET

    out = built_demo.out
    probed = subprocess.run(
        [
            *("ffprobe", "-v", "error", "-of", "csv=p=0"),
            *("-show_entries", "stream=codec_name,width", out / "favicon.ico"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "48" in probed.stdout.split()[-1]
    index = (out / "index.html").read_text()
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
    for item in ET.parse(out / "feed.xml").getroot().iter("item"):
        seconds = int(item.findtext(f"{itunes}duration") or "0")
        assert f"Dauer {seconds // 60}:{seconds % 60:02d}</p>" in index
    for page in pages(out):
        assert '<link rel="icon" href="' in page.read_text()


def test_watch_rebuilds_when_a_source_changes(cached_demo: Path) -> None:
    from podcast.plan.sources import source_state
    from podcast.serve import watch

    out = build(cached_demo).out
    built_from = source_state(cached_demo, out)
    stop = threading.Event()
    messages: list[str] = []
    thread = threading.Thread(
        target=watch,
        args=(cached_demo, out, lambda: build(cached_demo), messages.append, stop, 0.1, built_from),
        daemon=True,
    )
    thread.start()
    episode = cached_demo / "episodes/02-frankfurt-kav/episode.md"
    episode.write_text(episode.read_text().replace("Aufgenommen in Frankfurt", "Neu: Frankfurt"))
    for _ in range(200):
        if messages:
            break
        threading.Event().wait(0.1)
    stop.set()
    thread.join()
    assert messages and messages[0].startswith("rebuilt in")
    assert "Neu: Frankfurt" in (out / "episodes/02-frankfurt-kav.html").read_text()


def test_language_versions_link_each_other_with_hreflang(cached_demo: Path) -> None:
    english = cached_demo / "episodes/04-leipzig-migrant-council"
    shutil.copytree(cached_demo / "episodes/01-leipzig-migrantenbeirat", english)
    text = (english / "episode.md").read_text()
    text = text.replace("number: 1", "number: 4").replace("4e01", "4e41")
    text = text.replace(
        "episode_type: full",
        "episode_type: full\nlanguage: en\ntranslation_of: 01-leipzig-migrantenbeirat",
    )
    (english / "episode.md").write_text(text)
    out = build(cached_demo).out
    base = "https://podcast.example.org/quer-durch-die-gremien/episodes/"
    german = (out / "episodes/01-leipzig-migrantenbeirat.html").read_text()
    page = (out / "episodes/04-leipzig-migrant-council.html").read_text()
    for html in (german, page):
        assert (
            f'<link rel="alternate" hreflang="en" href="{base}04-leipzig-migrant-council.html">'
            in html
        )
        assert (
            f'<link rel="alternate" hreflang="de-DE" href="{base}01-leipzig-migrantenbeirat.html">'
            in html
        )
    assert '<html lang="en">' in page and "Chapters" in page
    assert '<html lang="de-DE">' in german and "Kapitel" in german
    (english / "episode.md").write_text(text.replace("translation_of: 01-", "translation_of: 99-"))
    with pytest.raises(Exception, match="translation_of: no episode folder '99-leipzig"):
        build(cached_demo)


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_serve_answers_malformed_requests_and_keeps_serving(cached_demo: Path) -> None:
    with socket.socket() as probe:  # a free port for the command line
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # On every interface, as for trying the site on a phone in the same network.
    command = [sys.executable, "-m", "podcast", "serve", str(cached_demo)]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        note = server.stdout.readline()
        assert "anyone in this network" in note, note + (server.stderr.read() or "")
        line = server.stdout.readline()
        assert "serving" in line, line + (server.stderr.read() if server.stderr else "")
        announced = re.search(r"at (http://\S+/) ", line)
        assert announced and announced[1] in note
        # The address told is this machine's in its network (loopback only without one), and
        # the preview's links use it, so a phone following them stays on this server.
        with urllib.request.urlopen(announced[1] + "feed.xml", timeout=10) as answer:
            assert f'url="{announced[1]}audio/01-leipzig'.encode() in answer.read()
        cases = [
            (b"GARBAGE\r\n\r\n", b"400"),
            (b"GET / HTTP/1.x\r\n\r\n", b"400"),
            (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", b"414"),
            (b"GET /" + b"b" * 10000 + b" HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n", b"414"),
            (b"GET /" + b"c" * 10000 + b" HTTP/1.1\r\n\r\n", b"404"),
            (b"GET /%00 HTTP/1.1\r\n\r\n", b"400"),
            (b"GET /x%00.mp3 HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n", b"400"),
            (b"GET /index.html HTTP/1.1\r\nRange: bytes=0-9\r\n\r\n", b"206"),
            (b"GET /index.html HTTP/1.1\r\n\r\n", b"200"),
        ]
        for request, status in cases:
            answer = _raw_request(port, request)
            assert answer.split(b" ", 2)[1] == status, (request[:40], answer[:80])
        assert server.poll() is None
        # A preview: every URL points at the local server, and feed/ is left alone.
        feed = _raw_request(port, b"GET /feed.xml HTTP/1.1\r\n\r\n")
        assert b"podcast.example.org/quer-durch-die-gremien/audio" not in feed
        assert not (cached_demo / "feed").exists()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors, errors


def test_watch_survives_a_rebuild_that_fails_unexpectedly(cached_demo: Path) -> None:
    from podcast.plan.sources import source_state
    from podcast.serve import watch

    out = build(cached_demo).out
    stop = threading.Event()
    messages: list[str] = []
    attempts: list[int] = []

    def rebuild() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("All strings must be XML compatible")
        build(cached_demo)

    thread = threading.Thread(
        target=watch,
        args=(
            cached_demo,
            out,
            rebuild,
            messages.append,
            stop,
            0.1,
            source_state(cached_demo, out),
        ),
        daemon=True,
    )
    thread.start()
    episode = cached_demo / "episodes/02-frankfurt-kav/episode.md"
    for old, new in (("Aufgenommen in", "Erste Änderung in"), ("Erste", "Zweite")):
        before = len(messages)
        episode.write_text(episode.read_text().replace(old, new))
        for _ in range(300):
            if len(messages) > before:
                break
            threading.Event().wait(0.1)
    stop.set()
    thread.join()
    assert len(messages) == 2, messages
    assert messages[0].startswith("rebuild failed, still serving the previous build")
    assert "ValueError" in messages[0]
    assert messages[1].startswith("rebuilt in")
    assert "Zweite Änderung" in (out / "episodes/02-frankfurt-kav.html").read_text()


def test_serve_names_an_address_it_cannot_use(cached_demo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for host, reason in (
            (["--host", "127.0.0.1"], "in use"),
            (["--host", "no.such.invalid"], ""),
        ):
            result = subprocess.run(
                [sys.executable, "-m", "podcast", "serve", str(cached_demo), "--port", port, *host],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 1, result
            assert f"cannot serve on {host[1]} port {port}" in result.stderr, result.stderr
            assert reason in result.stderr and "Traceback" not in result.stderr
