"""After a publish, look at the show the way apps will: over HTTP, from its public address.

The feed that is served must be the one built; every enclosure must answer 200 with the
length and type the feed promises and honour Range requests (players seek with them, Apple
requires them); chapters and transcripts need a CORS header for web players on other sites;
every other link of the feeds to a file of the build (covers, pictures, pages, programme
sheets) must answer 200 with the file built, and the site's address must answer.
Content is compared too: feeds, chapters and transcripts whole, media by sampled ranges (the
start, two inner stretches and the end), so a file damaged at the same size is found.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Literal

from podcast.outputs.feeds.namespaces import PODCAST_NS
from podcast.outputs.urls import RADIO_FEED

HTTP_TIMEOUT_S = 30.0
READ_LIMIT = 1 << 20  # of a response body
SAMPLE_BYTES = 16 * 1024  # per sampled range of a media file
SAMPLES = 4
CHECKS_AT_ONCE = 8
CORS_PROBE_ORIGIN = "https://player.example.org"
USER_AGENT = "podcast-publish-verify"
# Names servers use for the same formats; apps take any of them.
SAME_TYPE = [
    {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"},
    {"audio/opus", "audio/ogg"},
    {"audio/mpeg", "audio/mp3"},
    {"audio/mp4", "audio/x-m4a", "audio/m4a"},
    {"audio/flac", "audio/x-flac"},
]


def same_type(served: str, promised: str) -> bool:
    """Whether a served Content-Type names the format the feed promises."""
    served, promised = served.lower(), promised.lower()
    return served == promised or any({served, promised} <= names for names in SAME_TYPE)


@dataclass(frozen=True)
class Finding:
    """One thing the server does wrong: where, what, how to fix it, and how bad it is."""

    url: str
    message: str
    fix: str
    severity: Literal["problem", "warning"] = "problem"

    def __str__(self) -> str:
        return f"{self.url}: {self.message} ({self.fix})"


@dataclass(frozen=True)
class _Linked:
    url: str
    length: int | None  # enclosures: the promised size; None for everything else
    mime: str
    cors: bool = True  # chapters and transcripts: web players on other sites load them
    radio: bool = False  # named by the radio partners' feed (and not by the listeners')


def _request(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes]:
    """Status, headers and body (at most 1 MB is read) of one request; HTTP errors included."""
    request = urllib.request.Request(
        url, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, response.headers, response.read(READ_LIMIT)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def _linked_files(xml: bytes, radio: bool = False) -> Iterator[_Linked]:
    """The files a feed's items name (`radio`: the partners' feed)."""
    root = ET.fromstring(xml)
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        if enclosure is not None:
            length = enclosure.get("length", "")
            yield _Linked(
                enclosure.get("url", ""),
                int(length) if length.isdigit() else None,
                enclosure.get("type", ""),
                radio=radio,
            )
        for alternate in item.iter(f"{{{PODCAST_NS}}}alternateEnclosure"):
            length = alternate.get("length", "")
            for source in alternate.iter(f"{{{PODCAST_NS}}}source"):
                yield _Linked(
                    source.get("uri", ""),
                    int(length) if length.isdigit() else None,
                    alternate.get("type", ""),
                )
        for tag in ("chapters", "transcript"):
            for element in item.iter(f"{{{PODCAST_NS}}}{tag}"):
                yield _Linked(element.get("url", ""), None, element.get("type", ""))


def _own_links(xml: bytes, prefixes: list[str]) -> Iterator[_Linked]:
    """Every other address in a feed (an attribute or an element's text) under one of the
    show's own `prefixes`: the site, covers, pictures, pages, programme sheets."""
    for element in ET.fromstring(xml).iter():
        for value in [element.text or "", *element.attrib.values()]:
            value = value.strip()
            if any(value.startswith(prefix) for prefix in prefixes):
                yield _Linked(value, None, "", cors=False)


def sample_ranges(size: int) -> list[tuple[int, int]]:
    """The byte ranges (first, last) of a media file that verification compares."""
    if size <= 0:
        return []
    starts = {
        min(size - 1, max(0, (size - SAMPLE_BYTES) * k // (SAMPLES - 1))) for k in range(SAMPLES)
    }
    return [(start, min(size, start + SAMPLE_BYTES) - 1) for start in sorted(starts)]


def _differs(url: str, what: str) -> Finding:
    return Finding(
        url,
        f"{what} differs from the file built",
        "the file was damaged or replaced at the server: publish again with --resend",
    )


def _check_enclosure(linked: _Linked, url: str, local: Path | None) -> list[Finding]:
    try:
        status, headers, _ = _request(url, "HEAD")
        if status != 200:
            return [Finding(url, f"answers {status}", "upload the file again: publish once more")]
        findings = []
        length = headers.get("Content-Length")
        if linked.length is not None and length != str(linked.length):
            findings.append(
                Finding(
                    url,
                    f"is {length or 'of unknown length'} bytes, the feed says {linked.length}",
                    "publish again; if it stays, the server or a CDN changes the file",
                )
            )
        served_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not same_type(served_type, linked.mime):
            findings.append(
                Finding(
                    url,
                    f"is served as {served_type or 'no type'}, the feed says {linked.mime}",
                    f"map the file's suffix to {linked.mime} in the server's MIME types",
                )
            )
        ranges = sample_ranges(linked.length or 0) or [(0, 1)]
        first, last = ranges[0]
        status, headers, body = _request(url, headers={"Range": f"bytes={first}-{last}"})
        content_range = headers.get("Content-Range") or ""
        if status == 206 and content_range.startswith(f"bytes {first}-{last}/"):
            if local is not None and not findings:
                findings += _compare_ranges(url, local, ranges, body)
        else:
            # Whom it hurts: the file's audience (a broadcast WAV is no concern of Apple's).
            harm = (
                "radio partners' players and downloaders cannot seek or resume"
                if linked.radio
                else "players cannot seek, and Apple Podcasts refuses such episodes"
            )
            findings.append(
                Finding(
                    url,
                    f"the server does not support Range requests (answered {status}): {harm}",
                    "enable byte ranges on the web server (most do by default; check a proxy "
                    "or PHP script in front of the files)",
                )
            )
        return findings
    except (urllib.error.URLError, OSError, ValueError) as error:
        return [Finding(url, f"cannot be reached: {error}", "check the address and the server")]


def _compare_ranges(
    url: str, local: Path, ranges: list[tuple[int, int]], first_body: bytes
) -> list[Finding]:
    """Compare the sampled ranges of a served media file with the built one."""
    with local.open("rb") as built:
        for index, (first, last) in enumerate(ranges):
            if index == 0:
                served = first_body
            else:
                status, _, served = _request(url, headers={"Range": f"bytes={first}-{last}"})
                if status != 206:
                    return [Finding(url, f"answers {status} to a Range request", "publish again")]
            built.seek(first)
            if served != built.read(last - first + 1):
                return [_differs(url, f"the content at bytes {first}-{last}")]
    return []


def _check_cors(url: str, local: Path | None) -> list[Finding]:
    try:
        status, headers, body = _request(url, headers={"Origin": CORS_PROBE_ORIGIN})
    except (urllib.error.URLError, OSError, ValueError) as error:
        return [Finding(url, f"cannot be reached: {error}", "check the address and the server")]
    if status != 200:
        return [Finding(url, f"answers {status}", "upload the file again: publish once more")]
    if local is not None and body != local.read_bytes()[:READ_LIMIT]:
        return [_differs(url, "the content")]
    if headers.get("Access-Control-Allow-Origin") not in ("*", CORS_PROBE_ORIGIN):
        return [
            Finding(
                url,
                "has no CORS header: web players on other sites cannot load it",
                "send `Access-Control-Allow-Origin: *` for .json, .vtt and .srt files",
                "warning",
            )
        ]
    return []


def _check_file(url: str, local: Path | None) -> list[Finding]:
    """A page or picture the feeds link: there, and the file built (`local`; None: the site's
    address, whose answer is the server's business as long as it is one)."""
    try:
        status, _, body = _request(url)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return [Finding(url, f"cannot be reached: {error}", "check the address and the server")]
    if status != 200:
        return [
            Finding(
                url,
                f"answers {status}, and a feed links it",
                "upload the file again: publish once more with --resend",
            )
        ]
    if local is not None and body != local.read_bytes()[:READ_LIMIT]:
        return [_differs(url, "the content")]
    return []


def verify_published(out: Path, feeds: list[str], addresses: dict[str, str]) -> list[Finding]:
    """Every finding about the files of `out` as served. `addresses` maps each address prefix
    the feeds use (the first: the base URL, where the feeds are) to where it is checked: the
    same address, the server behind a CDN, or the plain media address behind an analytics
    redirect (whose counting is not the business of a check)."""
    verify_url = next(iter(addresses.values()))
    by_length = sorted(addresses.items(), key=lambda pair: -len(pair[0]))

    def served(url: str) -> str:
        for prefix, where in by_length:
            if url.startswith(prefix):
                return where + url.removeprefix(prefix)
        return url

    def built_file(url: str) -> Path | None:
        for prefix, _ in by_length:
            if url.startswith(prefix):
                path = out / urllib.parse.unquote(url.removeprefix(prefix))
                return path if path.is_file() else None
        return None

    findings: list[Finding] = []
    linked: dict[str, _Linked] = {}
    for name in feeds:
        built = (out / name).read_bytes()
        url = verify_url + name
        try:
            status, _, body = _request(url)
        except (urllib.error.URLError, OSError, ValueError) as error:
            findings.append(Finding(url, f"cannot be reached: {error}", "check the address"))
            continue
        if status != 200:
            findings.append(Finding(url, f"answers {status}", "publish again"))
        elif body != built:
            findings.append(
                Finding(
                    url,
                    "the feed served is not the one built",
                    "a cache or CDN in front of the server may still hold an older copy: purge "
                    "it or wait until it expires; without one, the file was changed at the "
                    "server: publish again with --resend",
                )
            )
        for item in _linked_files(built, radio=name == RADIO_FEED):
            linked.setdefault(item.url, item)  # feed.xml first: a file both name is listeners
        feed_urls = {verify_url + other for other in feeds}
        for item in _own_links(built, list(addresses)):
            # The feeds themselves are checked above; a link to the show's address that the
            # build did not make (a funding page) is the editor's, not the publish's.
            if served(item.url) not in feed_urls and (
                built_file(item.url) is not None or item.url in addresses
            ):
                linked.setdefault(item.url, item)
    with ThreadPoolExecutor(max_workers=CHECKS_AT_ONCE) as pool:
        results = pool.map(
            lambda item: (
                _check_enclosure(item, served(item.url), built_file(item.url))
                if item.length is not None
                else _check_cors(served(item.url), built_file(item.url))
                if item.cors
                else _check_file(served(item.url), built_file(item.url))
            ),
            linked.values(),
        )
        for found in results:
            findings += found
    return findings
