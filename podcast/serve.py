"""`podcast serve`: build, serve the output folder (on 127.0.0.1 unless asked), rebuild when
sources change.

Audio players seek with HTTP Range requests, which Python's SimpleHTTPRequestHandler ignores;
this handler answers single byte ranges with 206 Partial Content.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from podcast.audio.renditions import mime_types
from podcast.errors import PodcastError
from podcast.plan.sources import source_state

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CROSS_ORIGIN_SUFFIXES = (".json", ".vtt", ".srt")


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """Static files with `Range: bytes=a-b` support; quiet unless asked."""

    extensions_map = {  # noqa: RUF012 - overrides the base class attribute
        **SimpleHTTPRequestHandler.extensions_map,
        ".vtt": "text/vtt",
        ".srt": "application/x-subrip",
        ".xml": "application/rss+xml",
        ".json": "application/json",
    }

    _remaining: int | None = None
    # Errors in a request line are answered with a status line (the base class would answer
    # them the HTTP/0.9 way, a bare body without status).
    default_request_version = "HTTP/1.0"

    def __init__(self, *args: Any, log: Callable[[str], None], **kwargs: Any) -> None:
        self._log = log
        super().__init__(*args, **kwargs)

    def guess_type(self, path: Any) -> str:
        """Every rendition's type from the rendition table, the rest as the base class."""
        found = mime_types().get(Path(str(path)).suffix.lower())
        return found if found is not None else str(super().guess_type(path))

    def log_message(self, format: str, *args: Any) -> None:
        self._log(format % args)

    def send_head(self) -> Any:
        """The response head (and the file to send) for GET and HEAD, never an exception: a
        path no file system could hold gets 400 or 414, not a traceback."""
        try:
            return self._send_head()
        except ValueError:  # a NUL byte in the path
            self.send_error(HTTPStatus.BAD_REQUEST, "malformed path")
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def _send_head(self) -> Any:
        header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if header is None or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        found = _RANGE.match(header.strip())
        if found is None or (not found[1] and not found[2]):
            self.send_error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            return None
        if found[1]:
            start = int(found[1])
            end = min(int(found[2]), size - 1) if found[2] else size - 1
        else:  # suffix range: the last N bytes
            start, end = max(0, size - int(found[2])), size - 1
        if start >= size or start > end:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._remaining = end - start + 1
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining = self._remaining
        if remaining is None:
            super().copyfile(source, outputfile)
            return
        while remaining > 0:
            block = source.read(min(remaining, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            remaining -= len(block)
        self._remaining = None

    def end_headers(self) -> None:
        # An error answered before the request's headers were read (a malformed or overlong
        # request line) has no `headers` yet.
        headers = getattr(self, "headers", None)
        if headers is None or "Range" not in headers:
            self.send_header("Accept-Ranges", "bytes")
        # Browser players on other sites load chapters and transcripts too (cross-origin).
        if getattr(self, "path", "").split("?")[0].endswith(CROSS_ORIGIN_SUFFIXES):
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that reports a failed request in one line of the log, not a
    traceback on the terminal, and goes on serving."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, log: Callable[[str], None]) -> None:
        self._log = log
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        self._log(f"{client_address[0]}: request failed: {type(error).__name__}: {error}")


class QuietServer6(QuietServer):
    """The same on an IPv6 address (`::` is every interface)."""

    address_family = socket.AF_INET6


def make_server(
    out: Path, port: int, log: Callable[[str], None] = lambda _: None, host: str = "127.0.0.1"
) -> QuietServer:
    """A server for the folder `out` on `host`:`port` (0 picks a free port).

    `host` is an address or name to listen on: 0.0.0.0 (or ::) is every network interface,
    for trying the site on a phone in the same network.
    """
    handler = partial(RangeRequestHandler, directory=str(out), log=log)
    server_class = QuietServer
    if ":" in host:  # an IPv6 address
        server_class = QuietServer6
    try:
        return server_class((host, port), handler, log)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PodcastError(
            f"cannot serve on {host} port {port}: {reason} "
            "(choose another --port, or a --host this machine has, e.g. 127.0.0.1 or 0.0.0.0)"
        ) from None


def preview_url(server: QuietServer) -> str:
    """The address others use to reach `server`: for a server on every interface, this
    machine's address in the local network (the one its default route leaves from)."""
    host, port = server.server_address[:2]
    address = str(host)
    if ipaddress.ip_address(address).is_unspecified:
        address = _local_network_address(server.address_family)
    if ":" in address:
        address = f"[{address}]"
    return f"http://{address}:{port}/"


def _local_network_address(family: int) -> str:
    # Connecting a UDP socket sends nothing; it only asks the routing table which local
    # address would be used. Without a route, loopback is the honest answer.
    probe_target = "2001:db8::1" if family == socket.AF_INET6 else "192.0.2.1"  # documentation
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((probe_target, 9))
            return str(probe.getsockname()[0])
    except OSError:
        return "::1" if family == socket.AF_INET6 else "127.0.0.1"


def watch(
    show_root: Path,
    out: Path,
    rebuild: Callable[[], None],
    report: Callable[[str], None],
    stop: threading.Event,
    interval: float = 1.0,
    since: dict[str, tuple[int, int]] | None = None,
) -> None:
    """Poll the sources; rebuild when anything changed. A failed rebuild keeps the old site.

    `since` is the source state the current site was built from (default: the state now).
    """
    state = since if since is not None else source_state(show_root, out)
    while not stop.wait(interval):
        now = source_state(show_root, out)
        if now == state:
            continue
        # An editor saving a file truncates it, then writes it: rebuild only once the
        # sources stay the same for one interval, never from a file caught half written.
        while not stop.wait(interval):
            settled = source_state(show_root, out)
            if settled == now:
                break
            now = settled
        if stop.is_set():
            return
        state = now
        started = time.monotonic()
        try:
            rebuild()
        except PodcastError as exc:
            report(f"rebuild failed, still serving the previous build:\n{exc}")
            continue
        except Exception as exc:  # the watcher must outlive any failure of one rebuild
            report(
                f"rebuild failed, still serving the previous build: internal error: "
                f"{type(exc).__name__}: {exc} (a bug in podcast: please report it)"
            )
            continue
        report(f"rebuilt in {time.monotonic() - started:.1f} s")
