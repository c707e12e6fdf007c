"""`podcast import`: real feed samples (tests/data/feeds, sources in SOURCES.md) served by a
local HTTP server on loopback with synthesised media (redirects, a 404, a slow answer, a
download broken off and resumed with Range), imported, built, and the new feed compared item
by item with the imported one by podcastparser."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from mutagen.id3 import ID3
from PIL import Image

from podcast.build import build
from podcast.check import check_show
from podcast.errors import PodcastError
from podcast.importer.feed import plain
from podcast.importer.run import ImportOptions, ImportReport, import_feed
from podcast.publish.output_folder import MANIFEST
from podcast.show.loader import load_show
from tests.helpers import built_file, run_cli

DATA = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2027, 1, 1, tzinfo=UTC)
BASE_URL = "https://new.example.org/show/"
MEDIA_SECONDS = 3.0
CHAPTERS_JSON = {
    "version": "1.2.0",
    "chapters": [{"startTime": 0, "title": "Anfang"}, {"startTime": 1.5, "title": "Brücke"}],
}
SRT = "1\n00:00:00,000 --> 00:00:01,500\nHallo.\n\n2\n00:00:01,500 --> 00:00:02,800\nTschüss.\n"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello.\n"
# Locked samples and the owner address they name.
OWNERS = {"castopod": "redaktion@example.org", "buzzsprout": "sam@nightshift.example.net"}


@dataclass
class Site:
    """What the loopback server serves and has seen."""

    mp3: bytes
    m4a: bytes
    cover: bytes
    feeds: dict[str, str] = field(default_factory=dict)  # extra feeds by name
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header)
    base: str = ""

    def feed_url(self, name: str) -> str:
        return f"{self.base}feeds/{name}.xml"


def _served_sample(site: Site, name: str) -> str:
    """A sample as served here: its media, cover, chapters and transcripts on loopback."""
    text = (DATA / f"{name}.xml").read_text(encoding="utf-8")
    served: dict[str, str] = {}  # each original address, its own address here

    def enclosure(match: re.Match[str]) -> str:
        suffix = ".m4a" if match.group(2).lower().endswith(".m4a") else ".mp3"
        url = served.setdefault(
            match.group(2), f"{site.base}media/{name}-{len(served) + 1}{suffix}"
        )
        return f'{match.group(1)}{url}"'

    text = re.sub(r'(<enclosure\b[^>]*?\burl=")([^"]+)"', enclosure, text, flags=re.S)
    # Pictures keep their names (an episode's own picture stays apart from the show's cover).
    text = re.sub(r'(<itunes:image href=")[^"]*?([^/"]+)"', rf'\1{site.base}images/\2"', text)
    text = re.sub(r"(<image>\s*<url>)[^<]+", rf"\1{site.base}cover.jpg", text)
    text = re.sub(r"(<url>)[^<]+(</url>)", rf"\1{site.base}cover.jpg\2", text)
    text = re.sub(
        r'https?://[^"<\s]+?(chapters\.json|\.srt|\.vtt|/transcript)"', rf'{site.base}x\1"', text
    )
    # The synthesised media play MEDIA_SECONDS: the feed says so (the samples' hour-long
    # durations would not match any file here).
    return re.sub(r"<itunes:duration>[^<]*<", "<itunes:duration>00:00:03<", text)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    flaky_seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, body: bytes, kind: str, status: int = 200, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _media(self, body: bytes, kind: str) -> None:
            found = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
            if found:
                start = int(found.group(1))
                self._send(
                    body[start:],
                    kind,
                    206,
                    Content_Range=f"bytes {start}-{len(body) - 1}/{len(body)}",
                )
            else:
                self._send(body, kind, Accept_Ranges="bytes")

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            # The client may give up first (the slow answer's timeout).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer()

        def _answer(self) -> None:
            path = self.path
            site.requests.append((path, self.headers.get("Range") or ""))
            if path.startswith("/feeds/"):
                name = path.removeprefix("/feeds/").removesuffix(".xml")
                text = site.feeds.get(name)
                if text is None and (DATA / f"{name}.xml").exists():
                    text = _served_sample(site, name)
                if text is None:
                    self._send(b"not here", "text/plain", 404)
                else:
                    self._send(text.encode(), "application/rss+xml")
            elif path.startswith("/moved/"):
                self.send_response(301)
                self.send_header("Location", site.base + path.removeprefix("/moved/"))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path.startswith("/missing/"):
                self._send(b"gone", "text/plain", 404)
            elif path.startswith("/slow/"):
                time.sleep(2.5)
                self._media(site.mp3, "audio/mpeg")
            elif path.startswith("/flaky/"):
                if path not in flaky_seen and not self.headers.get("Range"):
                    flaky_seen.add(path)  # the first answer breaks off half way
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/mpeg")
                    self.send_header("Content-Length", str(len(site.mp3)))
                    self.end_headers()
                    self.wfile.write(site.mp3[: len(site.mp3) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._media(site.mp3, "audio/mpeg")
            elif path.startswith("/media/"):
                m4a = path.endswith(".m4a")
                self._media(site.m4a if m4a else site.mp3, "audio/mp4" if m4a else "audio/mpeg")
            elif path == "/cover.jpg" or path.startswith("/images/"):
                self._send(site.cover, "image/jpeg")
            elif path.endswith("chapters.json"):
                self._send(json.dumps(CHAPTERS_JSON).encode(), "application/json+chapters")
            elif path.endswith(".srt"):
                self._send(SRT.encode(), "application/x-subrip")
            elif path.endswith(".vtt"):
                self._send(VTT.encode(), "text/vtt")
            elif path.endswith("/transcript"):
                self._send(b"<p>Hello.</p>", "text/html")
            else:
                self._send(b"?", "text/plain", 404)

    return Handler


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("media")
    meta = folder / "chapters.txt"
    meta.write_text(
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Eins\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Zwei\n"
    )
    tone = ("-f", "lavfi", "-i", f"sine=frequency=330:duration={MEDIA_SECONDS}")
    _ffmpeg(
        *tone,
        "-i",
        str(meta),
        "-map_metadata",
        "1",
        "-ac",
        "2",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "96k",
        "-id3v2_version",
        "3",
        str(folder / "a.mp3"),
    )
    _ffmpeg(*tone, "-c:a", "aac", "-b:a", "64k", str(folder / "a.m4a"))
    cover = io.BytesIO()
    Image.new("RGB", (1400, 1400), (200, 90, 40)).save(cover, "JPEG", quality=80)
    found = Site((folder / "a.mp3").read_bytes(), (folder / "a.m4a").read_bytes(), cover.getvalue())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def _import(site: Site, name: str, folder: Path, **options: Any) -> ImportReport:
    # The owner's address confirms a locked feed, and is the owner where a feed names none.
    owner = OWNERS.get(name, "owner@example.org")
    settings = {"base_url": BASE_URL, "owner_email": owner, "timeout": 5.0}
    return import_feed(site.feed_url(name), folder, ImportOptions(**{**settings, **options}))


def _episodes(xml: bytes, url: str) -> dict[str, dict[str, Any]]:
    """podcastparser's episodes by GUID as written: it reads a GUID that is a permalink (the
    default) relative to the feed's address, which moved (Apple's sample has such GUIDs)."""
    parsed = podcastparser.parse(url, io.BytesIO(xml))
    folder = url.rsplit("/", 1)[0] + "/"
    return {e["guid"].removeprefix(folder): e for e in parsed["episodes"]}


def _compare(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], urls: bool) -> None:
    """The new feed's items are the imported ones: same GUIDs, titles, dates, durations and,
    where the media stayed in place, enclosure URLs."""
    assert set(new) == set(old)
    for guid, before in old.items():
        after = new[guid]
        assert after["title"] == plain(before["title"]), guid  # HTML in a title is removed
        assert after["published"] == before["published"], guid
        if before["total_time"]:  # else the feed gave none: measured on the file
            assert abs(after["total_time"] - before["total_time"]) <= 1, guid
        if urls:
            assert after["enclosures"][0]["url"] == before["enclosures"][0]["url"], guid


SAMPLES = ["podlove", "castopod", "powerpress", "anchor", "libsyn", "buzzsprout", "apple", "rss20"]


@pytest.mark.parametrize("name", SAMPLES)
def test_kept_media_urls_give_the_same_feed(site: Site, name: str, tmp_path: Path) -> None:
    """Every sample imported with --keep-media-urls and built: podcastparser reads the same
    GUIDs, titles, dates, durations and enclosure URLs; the show passes `podcast check`."""
    show = tmp_path / "show"
    report = _import(site, name, show, keep_media_urls=True)
    assert report.imported
    build(show, now=NOW)
    served = _served_sample(site, name).encode()
    old = _episodes(served, site.feed_url(name))
    # Items skipped for a reason of their own are not in the new feed (a repeated GUID is).
    gone = {s.item for s in report.skipped if not s.reason.startswith("its GUID")}
    old = {g: e for g, e in old.items() if e["title"] not in gone}
    new = _episodes((show / "feed" / "feed.xml").read_bytes(), BASE_URL + "feed.xml")
    _compare(old, new, urls=True)
    assert check_show(show)[0] == len(report.imported)
    assert "NaN" not in (show / "feed" / MANIFEST).read_text()  # nothing measured: null


def test_broken_samples_are_reported(site: Site, tmp_path: Path) -> None:
    """The real samples' flaws: Anchor's repeated item, Apple's item without a GUID (its
    enclosure URL becomes its GUID, as apps do), RSS 2.0 items without audio or title,
    a Libsyn category Apple retired, PowerPress's placeholder length, Castopod's relative
    chapters address and HTML in a title."""
    anchor = _import(site, "anchor", tmp_path / "anchor", keep_media_urls=True)
    assert [s.reason for s in anchor.skipped] == [
        "its GUID '0caee028-2b59-445b-a6a9-02afb998409d' was already used by another item"
    ]
    apple = _import(site, "apple", tmp_path / "apple", keep_media_urls=True)
    assert any("the enclosure URL is its GUID" in n for n in apple.notes)
    pictures = sorted(p.parent.name for p in (tmp_path / "apple").glob("episodes/*/image.jpg"))
    assert len(pictures) == 2  # Apple's sample gives two episodes pictures of their own
    rss = _import(site, "rss20", tmp_path / "rss20", keep_media_urls=True)
    assert {s.reason for s in rss.skipped} == {"no title"}
    assert any("2 enclosures: the first is imported" in n for n in rss.notes)
    libsyn = _import(site, "libsyn", tmp_path / "libsyn", keep_media_urls=True)
    assert any("no Apple category" in n for n in libsyn.notes)
    power = _import(site, "powerpress", tmp_path / "powerpress", keep_media_urls=True)
    assert any("gave the length 1" in n for n in power.notes)
    front = (next((tmp_path / "powerpress").glob("episodes/*/episode.md"))).read_text()
    assert f"length: {len(site.mp3)}" in front
    assert "onerror" not in front and "## In this episode" in front  # sanitised, Markdown
    castopod = _import(site, "castopod", tmp_path / "castopod", keep_media_urls=True)
    assert any("relative address" in n for n in castopod.notes)
    text = next((tmp_path / "castopod").glob("episodes/*/episode.md")).read_text()
    assert "title: Die Brücke am Fluss" in text and "<script" not in text
    assert "alert(1)" not in text


@pytest.fixture(scope="module")
def downloaded(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Castopod's sample imported with its media downloaded, then built."""
    show = tmp_path_factory.mktemp("downloaded") / "show"
    report = _import(site, "castopod", show)
    assert report.imported and not report.skipped
    build(show, now=NOW)
    return show


def _audio_md5(path: Path) -> str:
    result = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a",
            "-c",
            "copy",
            "-f",
            "md5",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_downloaded_audio_is_published_as_it_is(site: Site, downloaded: Path) -> None:
    """Downloaded MP3s are published as they are: the same MPEG frames (no second mastering,
    no re-encode), the show's tags added, a checksum recorded; chapters and transcripts come
    along, and the feed keeps GUIDs, titles, dates and durations."""
    show = downloaded
    episode = next(show.glob("episodes/*/episode.md"))
    front = episode.read_text()
    assert re.search(r"sha256: [0-9a-f]{64}", front)
    assert "chapters: chapters.json" in front and "transcript.de.srt" in front
    published = built_file(show / "feed", f"audio/{episode.parent.name}.mp3")
    assert _audio_md5(published) == _audio_md5(episode.parent / "audio.mp3")
    tags = ID3(published)
    assert str(tags["TIT2"]) == "Die Brücke am Fluss"
    old = _episodes(_served_sample(site, "castopod").encode(), site.feed_url("castopod"))
    new = _episodes((show / "feed" / "feed.xml").read_bytes(), BASE_URL + "feed.xml")
    _compare(old, new, urls=False)
    xml = (show / "feed" / "feed.xml").read_text()
    assert "<podcast:guid>917393e3-d8f1-5ca5-9a3e-6f5a1b3b8a6d</podcast:guid>" in xml
    assert 'osm="R62649"' in xml and "Ben Gast" in xml and "<psc:chapter " in xml
    count, warnings = check_show(show)
    assert count == 1 and not [w for w in warnings if "audio.mp3" in w], warnings
    audio = episode.parent / "audio.mp3"
    original = audio.read_bytes()
    try:
        audio.write_bytes(original + b"\0")
        warnings = check_show(show)[1]
        assert any("not the file the import downloaded" in w for w in warnings), warnings
    finally:
        audio.write_bytes(original)


@pytest.mark.parametrize("name", [n for n in SAMPLES if n != "castopod"])
def test_downloaded_media_give_the_same_feed(site: Site, name: str, tmp_path: Path) -> None:
    """Every other sample with its media downloaded (the M4A ones mastered into MP3), built:
    the same GUIDs, titles, dates and durations; the imported show passes `podcast check`."""
    show = tmp_path / "show"
    progress: list[tuple[str, int, int | None]] = []
    report = _import(site, name, show, progress=lambda *seen: progress.append(seen))
    build(show, now=NOW)
    gone = {s.item for s in report.skipped if not s.reason.startswith("its GUID")}
    old = _episodes(_served_sample(site, name).encode(), site.feed_url(name))
    old = {g: e for g, e in old.items() if e["title"] not in gone}
    new = _episodes((show / "feed" / "feed.xml").read_bytes(), BASE_URL + "feed.xml")
    _compare(old, new, urls=False)
    assert check_show(show)[0] == len(report.imported)
    assert progress and all(done == total for _, done, total in progress[-1:])


def test_a_saved_feed_file_is_imported(site: Site, tmp_path: Path) -> None:
    """FEED may be a file: a feed saved from a browser imports like its address."""
    saved = tmp_path / "saved.xml"
    saved.write_text(_served_sample(site, "podlove"), encoding="utf-8")
    report = import_feed(str(saved), tmp_path / "show", ImportOptions(base_url=BASE_URL))
    assert len(report.imported) == 1 and not report.skipped
    front = next((tmp_path / "show").glob("episodes/*/episode.md")).read_text()
    assert "guid: podlove-2024-05-31t14:16:37+00:00-21f83868c0a8789" in front


def test_remaster_option_masters_again(site: Site, tmp_path: Path) -> None:
    """--remaster names the download under `recordings`: the build masters it as any
    recording; the ID3 chapters of the file are imported when the feed has none."""
    show = tmp_path / "show"
    _import(site, "powerpress", show, remaster=True)
    front = next(show.glob("episodes/*/episode.md")).read_text()
    assert "recordings:" in front and "media:" not in front
    assert "title: Eins" in front and "title: Zwei" in front  # the file's ID3 chapters


def test_moving_the_show(site: Site, downloaded: Path) -> None:
    """`moved_to` writes itunes:new-feed-url; a new base_url is the move it is, not audio
    that moved away from its episodes (the GUID guard lets it pass)."""
    config = downloaded / "podcast.toml"
    original = config.read_text()
    try:
        config.write_text('moved_to = "https://elsewhere.example.net/feed.xml"\n' + original)
        build(downloaded, now=NOW)
        xml = (downloaded / "feed" / "feed.xml").read_text()
        assert "<itunes:new-feed-url>https://elsewhere.example.net/feed.xml<" in xml
        config.write_text(original.replace(BASE_URL, "https://moved.example.org/"))
        moved = build(downloaded, now=NOW)
        assert any("HTTP 301 redirect" in w for w in moved.warnings), moved.warnings
        assert "https://moved.example.org/audio/" in (downloaded / "feed" / "feed.xml").read_text()
    finally:
        config.write_text(original)


def test_locked_feed_needs_its_owner(site: Site, tmp_path: Path) -> None:
    """podcast:locked yes: imported only with the owner's address from the feed."""
    for email in (None, "someone@example.org"):
        with pytest.raises(PodcastError, match="podcast:locked"):
            _import(site, "castopod", tmp_path / "x", owner_email=email, keep_media_urls=True)
    assert not (tmp_path / "x" / "podcast.toml").exists()


def test_rerun_imports_new_items_only(site: Site, tmp_path: Path) -> None:
    """A second run imports the new item and reports, without overwriting, what changed."""
    show = tmp_path / "show"
    sample = _served_sample(site, "buzzsprout")
    site.feeds["mirror"] = sample
    first = import_feed(
        site.feed_url("mirror"),
        show,
        ImportOptions(base_url=BASE_URL, owner_email=OWNERS["buzzsprout"], keep_media_urls=True),
    )
    assert len(first.imported) == 2
    newer = sample.replace("<title>Trailer</title>", "<title>The trailer</title>").replace(
        "<item>",
        "<item><title>Third</title><guid>Buzzsprout-3333333</guid>"
        "<pubDate>Fri, 11 Sep 2026 20:00:00 -0400</pubDate><itunes:duration>3</itunes:duration>"
        f'<enclosure url="{site.base}media/new.mp3" length="4000" type="audio/mpeg"/></item><item>',
        1,
    )
    site.feeds["mirror"] = newer
    second = import_feed(
        site.feed_url("mirror"),
        show,
        ImportOptions(owner_email=OWNERS["buzzsprout"], keep_media_urls=True),
    )
    assert [s.split("-", 1)[1] for s in second.imported] == ["third"]
    assert second.unchanged == 1
    assert len(second.changed) == 1 and "'The trailer'" in second.changed[0]
    site.feeds["mirror"] = newer.replace("Night Shift Stories</title>", "Day Shift</title>", 1)
    third = import_feed(
        site.feed_url("mirror"),
        show,
        ImportOptions(owner_email=OWNERS["buzzsprout"], keep_media_urls=True),
    )
    assert not third.imported and "podcast.toml: title is now 'Day Shift'" in third.changed[0]
    trailer = next(p for p in show.glob("episodes/*/episode.md") if "trailer" in p.parent.name)
    assert "title: Trailer" in trailer.read_text()  # not overwritten


def test_downloads_follow_redirects_resume_and_report_failures(site: Site, tmp_path: Path) -> None:
    """Media behind a redirect arrive; a download broken off half way is resumed with a Range
    request; a 404 and a server too slow are skipped with their reasons; the rest imports."""
    items = [
        ("moved", f"{site.base}moved/media/a.mp3"),
        ("flaky", f"{site.base}flaky/b.mp3"),
        ("missing", f"{site.base}missing/c.mp3"),
        ("slow", f"{site.base}slow/d.mp3"),
    ]
    site.feeds["troubled"] = (
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        "<title>Troubled</title><language>en</language><itunes:owner><itunes:email>o@example.org"
        f'</itunes:email></itunes:owner><itunes:image href="{site.base}cover.jpg"/>'
        + "".join(
            f"<item><title>{title}</title><guid>{title}</guid><pubDate>Mon, 0{n} Jun 2026 "
            f'10:00:00 GMT</pubDate><enclosure url="{url}" length="5" type="audio/mpeg"/></item>'
            for n, (title, url) in enumerate(items, start=1)
        )
        + "</channel></rss>"
    )
    site.requests.clear()
    report = import_feed(
        site.feed_url("troubled"), tmp_path / "show", ImportOptions(base_url=BASE_URL, timeout=1.0)
    )
    assert sorted(s.split("-", 1)[1] for s in report.imported) == ["flaky", "moved"]
    reasons = {s.item: s.reason for s in report.skipped}
    assert "HTTP 404" in reasons["missing"] and "no answer in time" in reasons["slow"]
    assert ("/flaky/b.mp3", f"bytes={len(site.mp3) // 2}-") in site.requests
    assert any("resumed" in n for n in report.notes)
    for _, size, _ in report.downloaded:
        assert size == len(site.mp3)


def test_unreadable_feeds_are_named(site: Site, tmp_path: Path) -> None:
    """A document that is no feed, and XML that is not well-formed, are refused with what to
    do; through the command line, the exit status is 1 and no traceback is shown."""
    site.feeds["html"] = "<html><body>Hello</body></html>"
    site.feeds["broken"] = "<rss><channel><title>x</channel>"
    with pytest.raises(PodcastError, match=r"not an RSS 2\.0 podcast feed"):
        import_feed(site.feed_url("html"), tmp_path / "a", ImportOptions(base_url=BASE_URL))
    result = run_cli("import", site.feed_url("broken"), str(tmp_path / "b"), "--base-url", BASE_URL)
    assert result.returncode == 1
    assert "not well-formed" in result.stderr and "Traceback" not in result.stderr


def test_media_is_checked_by_the_loader(site: Site, tmp_path: Path) -> None:
    """`media` is validated where it is written, like every field: one audio source, a kept
    URL with its length and duration, a file that is an MP3."""
    show = tmp_path / "show"
    _import(site, "powerpress", show, keep_media_urls=True)
    episode = next(show.glob("episodes/*/episode.md"))
    written = episode.read_text()
    media = re.search(r"^media:\n(?:  .*\n)+", written, re.M)
    assert media is not None
    cases = {
        "": "give the episode's audio either as `recordings`",
        re.sub(r"  length: \d+\n", "", media.group()): "with `url`, give `length`",
        "media:\n  file: audio.m4a\n": "`file` must be an MP3",
        media.group() + "recordings:\n- file: x.wav\n": "not both and not neither",
    }
    for replacement, message in cases.items():
        episode.write_text(written.replace(media.group(), replacement))
        with pytest.raises(PodcastError) as failed:
            load_show(show)
        assert f"{episode.name}:" in str(failed.value) and message in str(failed.value)


def _feed(site: Site, items: str, channel: str = "") -> str:
    """A small feed with the given items (and channel tags) and the loopback cover."""
    return (
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        "<title>Small</title><language>en</language><itunes:owner><itunes:email>o@example.org"
        f'</itunes:email></itunes:owner><itunes:image href="{site.base}cover.jpg"/>'
        f"{channel}{items}</channel></rss>"
    )


def _item(title: str, url: str, day: int = 1, extra: str = "", year: int = 2026) -> str:
    return (
        f"<item><title>{title}</title><guid>{title[:40]}-{day}</guid><pubDate>Mon, {day:02d} Jun "
        f"{year} 10:00:00 GMT</pubDate><itunes:duration>3</itunes:duration>"
        f'<enclosure url="{url}" length="{4000}" type="audio/mpeg"/>{extra}</item>'
    )


def test_only_web_addresses_are_fetched(site: Site, tmp_path: Path) -> None:
    """An enclosure (or chapters, transcript, picture) that is file:// or resolves to no
    http(s) address is never read from the disk: the item is skipped with the reason, with
    or without --keep-media-urls; a saved feed file resolves relative enclosures only against
    the http(s) address it names for itself (atom:link rel=self)."""
    secret = tmp_path / "secret.mp3"
    secret.write_bytes(site.mp3)
    local = secret.as_uri()
    site.feeds["local"] = _feed(
        site,
        _item("Secret", local, 1)
        + _item(
            "Fine",
            f"{site.base}media/fine.mp3",
            2,
            f'<podcast:chapters url="{tmp_path.as_uri()}/c.json" type="application/json"/>'
            f'<itunes:image href="{local}"/>',
        ),
    )
    for keep in (False, True):
        show = tmp_path / f"show-{keep}"
        report = import_feed(
            site.feed_url("local"), show, ImportOptions(base_url=BASE_URL, keep_media_urls=keep)
        )
        assert [s.item for s in report.skipped] == ["Secret"]
        assert "not an http(s) address" in report.skipped[0].reason
        assert [s.split("-", 1)[1] for s in report.imported] == ["fine"]
        assert any("chapters: " in n and "left out" in n for n in report.notes), report.notes
        assert len(list(show.glob("episodes/*"))) == 1
        assert "file://" not in "".join(p.read_text() for p in show.rglob("episode.md"))
    saved = tmp_path / "saved" / "feed.xml"
    (saved.parent / "media").mkdir(parents=True)
    (saved.parent / "media" / "rel.mp3").write_bytes(site.mp3)
    items = _item("Relative", "media/rel.mp3", 3)
    saved.write_text(_feed(site, items))
    report = import_feed(str(saved), tmp_path / "a", ImportOptions(base_url=BASE_URL))
    assert not report.imported and "cannot be resolved" in report.skipped[0].reason
    own = f'<atom:link rel="self" href="{site.base}feeds/self.xml"/>'
    saved.write_text(_feed(site, items.replace("media/rel", "../media/rel"), own))
    report = import_feed(str(saved), tmp_path / "b", ImportOptions(base_url=BASE_URL))
    assert len(report.imported) == 1, report.skipped
    assert ("/media/rel.mp3", "") in site.requests


def test_relative_links_in_notes_are_made_absolute(site: Site, tmp_path: Path) -> None:
    """Links and pictures in the notes are read against the item's link (else the feed's
    address); a picture stays as a link to its absolute address, not dropped silently."""
    notes = (
        '<content:encoded><![CDATA[<p><a href="/about/">About</a> <a href="notes/1.html">'
        'Notes</a> <img src="pics/a.jpg" alt="Map"></p>]]></content:encoded>'
    )
    link = "<link>https://old.example.org/ep/1/</link>"
    site.feeds["links"] = _feed(
        site,
        _item("Linked", f"{site.base}media/l.mp3", 1, link + notes)
        + _item("Unlinked", f"{site.base}media/u.mp3", 2, notes),
    )
    show = tmp_path / "show"
    import_feed(
        site.feed_url("links"), show, ImportOptions(base_url=BASE_URL, keep_media_urls=True)
    )
    linked = next(show.glob("episodes/*-linked/episode.md")).read_text()
    assert "[About](https://old.example.org/about/)" in linked
    assert "[Notes](https://old.example.org/ep/1/notes/1.html)" in linked
    assert "[Map](https://old.example.org/ep/1/pics/a.jpg)" in linked
    unlinked = next(show.glob("episodes/*-unlinked/episode.md")).read_text()
    assert f"[Map]({site.base}feeds/pics/a.jpg)" in unlinked  # the feed's own address


def test_a_broken_item_does_not_stop_the_import(site: Site, tmp_path: Path) -> None:
    """A title over 255 characters is cut at a word (noted); a pubDate in 1800 skips its item
    with the reason; the rest imports and the show loads."""
    long_title = " ".join(["Wort"] * 80)  # 399 characters
    site.feeds["odd"] = _feed(
        site,
        _item(long_title, f"{site.base}media/long.mp3", 1)
        + _item("Old", f"{site.base}media/old.mp3", 2, year=1800)
        + _item("Plain", f"{site.base}media/plain.mp3", 3),
    )
    show = tmp_path / "show"
    report = import_feed(
        site.feed_url("odd"), show, ImportOptions(base_url=BASE_URL, keep_media_urls=True)
    )
    assert len(report.imported) == 2
    assert [(s.item, "1800" in s.reason) for s in report.skipped] == [("Old", True)]
    assert any("cut at a word" in n for n in report.notes)
    titles = [e.meta.title for e in load_show(show).episodes]
    assert any(t.endswith("Wort…") and len(t) <= 255 for t in titles), titles


def test_the_command_line_says_what_happened(site: Site, tmp_path: Path) -> None:
    """The last line suggests a build command that exists; when the show does not load, the
    notes and skips are printed before the error."""
    site.feeds["cli"] = _feed(
        site,
        _item("Good &lt;b&gt;one&lt;/b&gt;", f"{site.base}media/g.mp3", 1)
        + _item("Missing", f"{site.base}missing/m.mp3", 2).replace('length="4000"', 'length="0"'),
    )
    args = ("import", site.feed_url("cli"), "--base-url", BASE_URL, "--keep-media-urls")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "podcast.toml").write_text('title = "Small"\nlanguage = 5\n')
    result = run_cli(*args, str(broken))
    assert result.returncode == 1 and "does not load yet" in result.stderr
    output = result.stdout + result.stderr
    assert "HTML in the title was removed" in output and "skipped 'Missing'" in output
    show = tmp_path / "show"
    result = run_cli(*args, str(show))
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert f"`podcast build {show}`" in last and "--show-dir" not in result.stdout


def test_numbers_are_consecutive(site: Site, tmp_path: Path) -> None:
    """An item skipped on the way (its audio is gone) takes no number; a second run continues
    after the highest number in the show."""
    missing = _item("Gone", f"{site.base}missing/g.mp3", 2).replace('length="4000"', 'length="0"')
    items = _item("One", f"{site.base}media/1.mp3", 1) + missing
    items += _item("Two", f"{site.base}media/2.mp3", 3)
    site.feeds["numbers"] = _feed(site, items)
    show = tmp_path / "show"
    options = ImportOptions(base_url=BASE_URL, keep_media_urls=True, timeout=5.0)
    first = import_feed(site.feed_url("numbers"), show, options)
    assert first.imported == ["001-one", "002-two"] and len(first.skipped) == 1
    site.feeds["numbers"] = _feed(site, items + _item("Three", f"{site.base}media/3.mp3", 4))
    second = import_feed(site.feed_url("numbers"), show, options)
    assert second.imported == ["003-three"]


def test_as_is_episodes_have_no_broadcast_files_noted(site: Site, tmp_path: Path) -> None:
    """An MP3 published as it is gets no broadcast WAV or programme sheet: the import and the
    build say so, and how to get them (--remaster)."""
    site.feeds["asis"] = _feed(site, _item("As is", f"{site.base}media/asis.mp3", 1))
    show = tmp_path / "show"
    report = import_feed(site.feed_url("asis"), show, ImportOptions(base_url=BASE_URL))
    assert any("no broadcast WAV" in n and "--remaster" in n for n in report.notes)
    for _ in range(2):  # the second build is up to date: it says so again
        built = build(show, now=NOW)
        assert any("no broadcast WAV" in n and "--remaster" in n for n in built.notes)
    assert built.up_to_date
