"""HTTP for the import: the feed, and media downloaded resumably with their checksums.

Every request has a timeout and names its address when it fails. A download is written to
`<file>.part` first and continued with a Range request where it broke off (after a dropped
connection, or in a later run), so an hour of audio is never fetched twice; the file takes
its name only once complete, with its SHA-256 computed on the way.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podcast import __version__
from podcast.errors import PodcastError

USER_AGENT = f"podcast-import/{__version__}"
FEED_LIMIT = 64 << 20  # a feed larger than this is no feed
CHUNK = 1 << 16
ATTEMPTS = 4

# (file name, bytes so far, total bytes or None)
ProgressCallback = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str
    resumed: bool  # continued from an earlier partial download


def _request(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> urllib.request.Request:
    # urllib also opens file:// and ftp://: an address from a feed must not read the disk.
    if not re.match(r"^https?://", url, re.I):
        raise PodcastError(f"{url}: not an http(s) address; nothing is read from it")
    return urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, **(headers or {})}, method=method
    )


def _failure(url: str, error: BaseException) -> PodcastError:
    if isinstance(error, urllib.error.HTTPError):
        return PodcastError(f"{url}: the server answered HTTP {error.code} {error.reason}")
    if isinstance(error, (TimeoutError, socket.timeout)):
        return PodcastError(f"{url}: no answer in time (the server is slow or unreachable)")
    reason = getattr(error, "reason", error)
    return PodcastError(f"{url}: cannot be fetched ({reason})")


def read_source(source: str, timeout: float) -> tuple[bytes, str]:
    """The bytes of a feed given as a web address or a local file, and the address relative
    links in it are read against."""
    if re.match(r"^https?://", source, re.I):
        try:
            with urllib.request.urlopen(_request(source), timeout=timeout) as answer:
                data: bytes = answer.read(FEED_LIMIT + 1)
                final: str = answer.geturl()
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise _failure(source, error) from None
        if len(data) > FEED_LIMIT:
            raise PodcastError(f"{source}: larger than {FEED_LIMIT >> 20} MB; not a feed")
        return data, final
    path = Path(source)
    if not path.is_file():
        raise PodcastError(f"{source}: no such file, and not an http(s):// address")
    return path.read_bytes(), path.resolve().as_uri()


def content_length(url: str, timeout: float) -> int | None:
    """The size a server gives for `url` (HEAD), if it gives one."""
    try:
        with urllib.request.urlopen(_request(url, method="HEAD"), timeout=timeout) as answer:
            value = answer.headers.get("Content-Length")
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return None
    return int(value) if value and value.isdigit() else None


def fetch_bytes(url: str, timeout: float, limit: int = 16 << 20) -> bytes:
    """A small file (chapters, a transcript, a cover) in full; PodcastError naming `url`."""
    try:
        with urllib.request.urlopen(_request(url), timeout=timeout) as answer:
            data: bytes = answer.read(limit + 1)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise _failure(url, error) from None
    if len(data) > limit:
        raise PodcastError(f"{url}: larger than {limit >> 20} MB")
    return data


def download(
    url: str,
    target: Path,
    timeout: float,
    progress: ProgressCallback | None = None,
) -> Downloaded:
    """Download `url` to `target`, continuing a `.part` file left by an earlier attempt;
    PodcastError naming the address when it cannot be completed."""
    part = target.with_name(target.name + ".part")
    resumed = part.exists() and part.stat().st_size > 0
    last_error: BaseException | None = None
    for _ in range(ATTEMPTS):
        try:
            if _transfer(url, part, timeout, progress, target.name):
                break
        except urllib.error.HTTPError as error:
            if error.code == 416 and part.exists():  # asked for more than there is: restart
                part.unlink()
                last_error = error
                continue
            raise _failure(url, error) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            last_error = error  # a dropped connection: continue where it stopped
            resumed = resumed or (part.exists() and part.stat().st_size > 0)
    else:
        raise _failure(url, last_error or OSError("incomplete")) from None
    digest = hashlib.sha256()
    with part.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    os.replace(part, target)
    return Downloaded(target, target.stat().st_size, digest.hexdigest(), resumed)


def _transfer(
    url: str, part: Path, timeout: float, progress: ProgressCallback | None, name: str
) -> bool:
    """One attempt; True when the file is complete."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with urllib.request.urlopen(_request(url, headers), timeout=timeout) as answer:
        if have and answer.status != 206:
            have = 0  # the server sends the whole file again
        total_text = answer.headers.get("Content-Length")
        remaining = int(total_text) if total_text and total_text.isdigit() else None
        total = None if remaining is None else have + remaining
        received = 0
        with part.open("ab" if have else "wb") as handle:
            while chunk := answer.read(CHUNK):
                handle.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(name, have + received, total)
        if remaining is not None and received < remaining:
            raise http.client.IncompleteRead(b"", remaining - received)
    return True
