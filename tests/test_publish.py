"""`podcast publish` against real servers on loopback: OpenSSH's sshd with rsync, rclone serving
WebDAV, plain HTTP servers for the verification and a WebSub hub. Nothing leaves the machine."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import podcastparser
import pytest
from PIL import Image

from podcast.build import build
from podcast.errors import PodcastError
from podcast.publish.remote import publish_build, publish_status
from podcast.publish.verify import sample_ranges, verify_published
from podcast.serve import make_server

from .helpers import run_cli, tree_bytes

BASE_URL = "https://podcast.example.org/quer-durch-die-gremien/"
EPISODE = "02-frankfurt-kav"
SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
needs_rsync = pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add_targets(show: Path, text: str) -> None:
    with (show / "podcast.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n" + text)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {log.read_text(errors='replace')}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("server did not start")


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real sshd on a loopback port with throwaway keys; yields an ssh config for it."""
    if SSHD is None or shutil.which("ssh") is None or shutil.which("rsync") is None:
        pytest.skip("OpenSSH server and client and rsync are needed (dev.sh test installs them)")
    if os.geteuid() != 0:
        pytest.skip("sshd with a throwaway config runs as root here")
    folder = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True
        )
    shutil.copyfile(folder / "client_key.pub", folder / "authorized_keys")
    port = free_port()
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_key\n"
        f"AuthorizedKeysFile {folder}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        f"PidFile {folder}/sshd.pid\n"
    )
    (folder / "ssh_config").write_text(
        f"Host podcast-test-server\n  HostName 127.0.0.1\n  Port {port}\n  User root\n"
        f"  IdentityFile {folder}/client_key\n  IdentitiesOnly yes\n"
        f"  StrictHostKeyChecking accept-new\n  UserKnownHostsFile {folder}/known_hosts\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    log = folder / "sshd.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(folder / "sshd_config")], stdout=output, stderr=output
        )
    try:
        wait_for_port(port, server, log)
        yield folder / "ssh_config"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def webdav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """`rclone serve webdav` on loopback, known to rclone as the remote `testdav:` through
    environment variables (how credentials stay out of podcast.toml)."""
    if shutil.which("rclone") is None:
        pytest.skip("rclone is not installed (dev.sh test installs it)")
    root = tmp_path / "webdav-root"
    root.mkdir()
    port = free_port()
    log = tmp_path / "rclone.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            # --dir-cache-time 0s: files changed behind its back are served as they are now.
            [
                *("rclone", "serve", "webdav", str(root), "--addr", f"127.0.0.1:{port}"),
                *("--dir-cache-time", "0s"),
            ],
            stdout=output,
            stderr=output,
        )
    monkeypatch.setenv("RCLONE_CONFIG_TESTDAV_TYPE", "webdav")
    monkeypatch.setenv("RCLONE_CONFIG_TESTDAV_URL", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("RCLONE_CONFIG", str(tmp_path / "no-rclone.conf"))
    try:
        wait_for_port(port, server, log)
        yield root, f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(10)


def serve_folder(folder: Path, ranges: bool = True) -> tuple[ThreadingHTTPServer, str]:
    """An HTTP server in front of a target folder: podcast's own (Range, CORS) or the plain
    standard library one, which answers Range requests with the whole file."""
    folder.mkdir(parents=True, exist_ok=True)
    if ranges:
        server: ThreadingHTTPServer = make_server(folder, 0)
    else:
        handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None  # type: ignore[method-assign]
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def one(folder: Path, pattern: str) -> str:
    """The one file under `folder` matching `pattern` (published names carry a version)."""
    found = [str(p.relative_to(folder)) for p in folder.glob(pattern)]
    assert len(found) == 1, (pattern, found)
    return found[0]


def feed_references(folder: Path) -> list[str]:
    """Every file the served feed points at (enclosures, alternates, chapters, transcripts),
    relative to the site, read with ElementTree from what is on the server."""
    root = ET.fromstring((folder / "feed.xml").read_bytes())
    found = [e.get("url", "") for e in root.iter("enclosure")]
    for element in root.iter():
        for attribute in ("url", "uri"):
            value = element.get(attribute, "")
            if value.startswith(BASE_URL):
                found.append(value)
    return sorted({url.removeprefix(BASE_URL) for url in found if url.startswith(BASE_URL)})


@needs_rsync
def test_ssh_publish_sends_media_then_pages_then_feeds_and_nothing_twice(
    cached_demo: Path, ssh_server: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "ssh"\nhost = "podcast-test-server"\nssh_config = "{ssh_server}"\n'
        f'path = "{www}"\nverify = false\n',
    )
    out = build(cached_demo).out
    dry = publish_build(cached_demo, dry_run=True)
    assert not www.exists() and len(dry.sent) == len(tree_bytes(out))
    report = publish_build(cached_demo)
    assert tree_bytes(www) == tree_bytes(out)
    assert sorted(report.sent) == sorted(tree_bytes(out))
    # When each file appeared on the server: its change time there (rsync keeps mtimes).
    appeared = {name: (www / name).stat().st_ctime_ns for name in tree_bytes(www)}
    last = ("radio.xml", "feed.xml", "manifest.json")
    pages = [n for n in appeared if n.endswith(".html")]
    media = [n for n in appeared if n not in pages and n not in last]
    assert max(appeared[n] for n in media) < min(appeared[n] for n in pages)
    assert max(appeared[n] for n in pages) < appeared["radio.xml"]
    assert appeared["radio.xml"] < appeared["feed.xml"] < appeared["manifest.json"]
    again = publish_build(cached_demo)
    assert again.sent == []
    assert {name: (www / name).stat().st_ctime_ns for name in appeared} == appeared
    assert publish_status(cached_demo).to_send == []


def test_removed_episode_pages_go_at_once_its_audio_after_the_grace_period(
    cached_demo: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    add_targets(cached_demo, f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify = false\n')
    build(cached_demo)
    publish_build(cached_demo)
    mp3, wav = one(www, f"audio/{EPISODE}-*.mp3"), one(www, f"broadcast/{EPISODE}-*.wav")
    shutil.rmtree(cached_demo / "episodes" / EPISODE)
    build(cached_demo, allow=frozenset({EPISODE}))
    assert publish_status(cached_demo).to_delete  # the log knows before the upload
    now = datetime.now(UTC)
    report = publish_build(cached_demo, now=now)
    assert not (www / f"episodes/{EPISODE}.html").exists()
    assert f"episodes/{EPISODE}.html" in report.deleted
    for kept in (mp3, wav):
        assert (www / kept).is_file() and kept in report.kept
    assert all(f"audio/{EPISODE}" not in name for name in feed_references(www))
    early = publish_build(cached_demo, now=now + timedelta(days=29))
    assert (www / mp3).is_file() and early.unchanged and not early.deleted
    late = publish_build(cached_demo, now=now + timedelta(days=31))
    assert not (www / mp3).exists()
    assert mp3 in late.deleted and not late.kept


@needs_rsync
def test_files_the_build_never_made_survive_and_upload_leftovers_go(
    cached_demo: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    (www / ".well-known").mkdir(parents=True)  # a web server's own: the folder is "empty"
    add_targets(cached_demo, f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify = false\n')
    out = build(cached_demo).out
    publish_build(cached_demo)
    foreign = {
        ".htaccess": b"AddType audio/mpeg .mp3",
        "stats/index.html": b"visits",
        "audio/archive-2019.mp3": b"an old show",
        "audio/.config.backup": b"someone's",
        ".feed.xml.backup": b"an editor's copy",  # named like rsync's temporary files
        f"audio/.{EPISODE}.mp3.old-v1": b"someone's",
    }
    for name, data in foreign.items():
        (www / name).parent.mkdir(parents=True, exist_ok=True)
        (www / name).write_bytes(data)
    leftover = www / ".podcast-upload/index.html.Ab3xYz"  # what a killed rsync leaves
    leftover.write_bytes(b"half an upload")
    (cached_demo / "episodes" / EPISODE / "episode.md").write_text(
        (cached_demo / "episodes" / EPISODE / "episode.md").read_text() + "\nMehr.\n"
    )
    out = build(cached_demo).out
    report = publish_build(cached_demo)
    assert f"episodes/{EPISODE}.html" in report.sent and "feed.xml" in report.sent
    assert "episodes/01-leipzig-migrantenbeirat.html" not in report.sent
    assert not leftover.exists()
    # The episode's earlier audio stays a while under its own names (apps download late).
    assert report.kept and all(name.startswith(f"audio/{EPISODE}-") for name in report.kept)
    on_target = tree_bytes(www)
    assert on_target == {**tree_bytes(out), **foreign, **{k: on_target[k] for k in report.kept}}
    # A folder of someone else's is refused before anything is sent.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "index.html").write_text("their site")
    add_targets(cached_demo, f'[publish.theirs]\nkind = "folder"\npath = "{theirs}"\n')
    with pytest.raises(PodcastError, match=r"holds files that no publish .* \(index\.html\)"):
        publish_build(cached_demo, target_name="theirs")
    assert [p.name for p in theirs.iterdir()] == ["index.html"]


def test_rclone_remote_gets_the_build_and_verification_reads_it_over_http(
    cached_demo: Path, webdav: tuple[Path, str]
) -> None:
    root, url = webdav
    add_targets(
        cached_demo,
        f'[publish.storage]\nkind = "rclone"\nremote = "testdav:show"\nverify_url = "{url}show/"\n',
    )
    out = build(cached_demo).out
    result = run_cli("publish", str(cached_demo), "--to", "storage")
    assert result.returncode == 0, result.stderr
    assert "verified over HTTP" in result.stdout
    # rclone's WebDAV server sends no CORS header: a warning, once, not a failure.
    assert result.stderr.count("no CORS header") == 1
    assert tree_bytes(root / "show") == tree_bytes(out)
    again = run_cli("publish", str(cached_demo), "--to", "storage", "-q")
    assert again.returncode == 0 and again.stdout == ""
    assert publish_build(cached_demo, verify=False).sent == []
    # A file damaged on the server (say, an upload cut short by another tool) ...
    mp3 = one(root / "show", f"audio/{EPISODE}-*.mp3")
    damaged = root / "show" / mp3
    damaged.write_bytes(damaged.read_bytes()[:1000])
    findings = verify_published(out, ["feed.xml"], {BASE_URL: f"{url}show/"})
    assert [f.url for f in findings if "the feed says" in f.message] == [f"{url}show/{mp3}"]
    # ... or at the same size, and a transcript replaced by junk: found by their content.
    data = bytearray((out / mp3).read_bytes())
    first, last = sample_ranges(len(data))[1]  # media are compared by sampled ranges
    data[first : first + 4] = b"junk"
    damaged.write_bytes(bytes(data))
    vtt = one(root / "show", f"transcripts/{EPISODE}.de-*.vtt")
    (root / "show" / vtt).write_bytes(b"x" * (out / vtt).stat().st_size)
    findings = verify_published(out, ["feed.xml"], {BASE_URL: f"{url}show/"})
    assert sorted((f.url, f.message) for f in findings if f.severity == "problem") == [
        (f"{url}show/{mp3}", f"the content at bytes {first}-{last} differs from the file built"),
        (f"{url}show/{vtt}", "the content differs from the file built"),
    ]
    result = run_cli("publish", str(cached_demo), "--to", "storage", "--verify")
    assert result.returncode == 1 and "publish again with --resend" in result.stderr
    assert run_cli("publish", str(cached_demo), "--to", "storage", "--resend").returncode == 0
    assert tree_bytes(root / "show") == tree_bytes(out)


def test_verification_names_a_server_without_range_requests_and_a_stale_feed(
    built_demo: object, tmp_path: Path
) -> None:
    out = built_demo.out  # type: ignore[attr-defined]
    site = tmp_path / "site"
    shutil.copytree(out, site)
    good, good_url = serve_folder(site)
    plain, plain_url = serve_folder(site, ranges=False)
    try:
        assert verify_published(out, ["feed.xml", "radio.xml"], {BASE_URL: good_url}) == []
        findings = verify_published(out, ["feed.xml"], {BASE_URL: plain_url})
        no_range = [f for f in findings if "does not support Range" in f.message]
        assert no_range and all(f.severity == "problem" for f in no_range)
        assert any("CORS" in f.message and f.severity == "warning" for f in findings)
        (site / "feed.xml").write_bytes((out / "feed.xml").read_bytes().replace(b"Folge", b"F"))
        stale = verify_published(out, ["feed.xml"], {BASE_URL: good_url})
        assert [f.message for f in stale] == ["the feed served is not the one built"]
    finally:
        good.shutdown()
        plain.shutdown()


class _Recorder(BaseHTTPRequestHandler):
    heard: list[tuple[str, str, str]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.heard.append((self.command, self.path, body))
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_websub_hub_is_named_in_the_feed_and_pinged_after_a_publish(
    cached_demo: Path, tmp_path: Path
) -> None:
    heard: list[tuple[str, str, str]] = []
    handler = type("Hub", (_Recorder,), {"heard": heard})
    hub = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{hub.server_address[1]}"
    (tmp_path / "www").mkdir()
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "folder"\npath = "{tmp_path / "www"}"\nverify = false\n',
    )
    toml = cached_demo / "podcast.toml"
    toml.write_text(
        f'websub_hub = "{address}/hub"\nupdate_notify = ["{address}/notify"]\n' + toml.read_text()
    )
    try:
        out = build(cached_demo).out
        parsed = feedparser.parse((out / "feed.xml").read_bytes())
        assert {"rel": "hub", "href": f"{address}/hub"} in [
            {"rel": link.get("rel"), "href": link.get("href")} for link in parsed.feed.links
        ]
        dry = publish_build(cached_demo, dry_run=True)
        assert heard == [] and dry.dry_run
        report = publish_build(cached_demo)
        assert report.announce_failures == []
    finally:
        hub.shutdown()
    pings = [
        (path, urllib.parse.parse_qs(body)) for method, path, body in heard if method == "POST"
    ]
    assert (
        "/hub",
        {"hub.mode": ["publish"], "hub.url": [BASE_URL + "feed.xml"]},
    ) in pings
    notified = [path for method, path, _ in heard if method == "GET"]
    assert f"/notify?url={urllib.parse.quote(BASE_URL + 'feed.xml', safe='')}" in notified


def test_publish_refuses_what_is_not_a_finished_build(cached_demo: Path, tmp_path: Path) -> None:
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "folder"\npath = "{tmp_path / "www"}"\nverify = false\n',
    )
    with pytest.raises(PodcastError, match=r"no finished build here; run `podcast build` first"):
        publish_build(cached_demo)
    out = build(cached_demo).out
    (out / "index.html").write_text("edited by hand")
    with pytest.raises(PodcastError, match=r"index\.html: changed or missing since the build"):
        publish_build(cached_demo)
    assert not (tmp_path / "www").exists()
    result = run_cli("publish", str(cached_demo), "--to", "elsewhere")
    assert result.returncode == 1
    assert "--to 'elsewhere' names no [publish.elsewhere] and no [partners.elsewhere]" in (
        result.stderr
    )
    assert "web (publish target)" in result.stderr and "(radio partner)" in result.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ('kind = "ssh"\npath = "/var/www"', "a target of kind 'ssh' needs `host`"),
        ('kind = "rclone"\nremote = "bucket"', "`remote` must name an rclone remote"),
        ('kind = "ssh"\nhost = "-oProxyCommand=x"\npath = "/w"', "must not start with '-'"),
        ('kind = "ftp"\npath = "/w"', "publish.web.kind"),
    ],
)
def test_a_wrong_target_is_named_with_its_line(demo: Path, target: str, message: str) -> None:
    add_targets(demo, f"[publish.web]\n{target}\n")
    result = run_cli("check", str(demo))
    assert result.returncode == 1 and message in result.stderr
    assert "podcast.toml:" in result.stderr and "Traceback" not in result.stderr
    lines = json.dumps(result.stderr)
    assert "internal error" not in lines


def test_audio_on_its_own_host_behind_an_analytics_prefix(
    cached_demo: Path, tmp_path: Path
) -> None:
    www, media = tmp_path / "www", tmp_path / "media"
    site_server, site_url = serve_folder(www)
    media_server, media_url = serve_folder(media)
    toml = cached_demo / "podcast.toml"
    build(cached_demo)
    # A new media host is a move the GUID guard reports ...
    toml.write_text('media_base_url = "https://media.example.net/quer/"\n' + toml.read_text())
    with pytest.raises(PodcastError, match="would move its audio"):
        build(cached_demo)
    # ... allowed here for a show not yet public (every episode named).
    names = frozenset(p.name for p in (cached_demo / "episodes").iterdir())
    assert b"https://op3.dev" not in (build(cached_demo, allow=names).out / "feed.xml").read_bytes()
    toml.write_text('enclosure_prefix = "https://op3.dev/e/"\n' + toml.read_text())
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify_url = "{site_url}"\n'
        'media_target = "cdn"\n'
        f'[publish.cdn]\nkind = "folder"\npath = "{media}"\nverify_url = "{media_url}"\n',
    )
    try:
        out = build(cached_demo).out  # the same audio behind a prefix: no move for the guard
        parsed = podcastparser.parse(BASE_URL + "feed.xml", (out / "feed.xml").open("rb"))
        enclosures = [e["enclosures"][0]["url"] for e in parsed["episodes"]]
        mp3 = one(out, f"audio/{EPISODE}-*.mp3")
        assert f"https://op3.dev/e/media.example.net/quer/{mp3}" in enclosures
        page = (out / f"episodes/{EPISODE}.html").read_text()
        assert f'src="https://media.example.net/quer/{mp3}"' in page
        report = publish_build(cached_demo, target_name="web")
        assert report.findings == [] and report.verified
    finally:
        site_server.shutdown()
        media_server.shutdown()
    assert sorted({name.split("/")[0] for name in tree_bytes(media)}) == ["audio", "broadcast"]
    assert not (www / "audio").exists() and (www / "feed.xml").is_file()
    # Taking the prefix away again leads to the same files: no move either.
    toml.write_text(toml.read_text().replace('enclosure_prefix = "https://op3.dev/e/"\n', ""))
    assert b"https://op3.dev" not in (build(cached_demo).out / "feed.xml").read_bytes()


def test_missing_tools_and_unreachable_servers_are_named(cached_demo: Path, tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    (tmp_path / "www").mkdir()
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "ssh"\nhost = "127.0.0.1"\nport = {closed}\npath = "/srv/w"\n'
        f'[publish.local]\nkind = "folder"\npath = "{tmp_path / "www"}"\n',
    )
    build(cached_demo)
    if shutil.which("rsync") and shutil.which("ssh"):
        result = run_cli("publish", str(cached_demo), "--to", "web")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "web (127.0.0.1:/srv/w/): rsync failed:" in result.stderr
        assert "Connection refused" in result.stderr
    bare = tmp_path / "bin"  # a PATH without rsync
    bare.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "podcast", "publish", str(cached_demo), "--to", "local"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(bare)},
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "rsync is not installed; install rsync (Debian: apt-get install rsync" in result.stderr


def test_a_preview_a_tampered_build_or_one_for_another_address_is_never_published(
    cached_demo: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    add_targets(cached_demo, f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify = false\n')
    # `podcast serve --out feed`: a preview with every URL on the local server.
    build(cached_demo, preview_url="http://127.0.0.1:8765/")
    result = run_cli("publish", str(cached_demo))
    assert result.returncode == 1 and "holds a preview (made by `podcast serve`" in result.stderr
    out = build(cached_demo).out
    # A script injected after the build, at the same size and with the old modification time.
    index = out / "index.html"
    original, stamp = index.read_bytes(), index.stat()
    tampered = original.replace(b"</body>", b"<script>x</script>", 1)[: len(original)]
    index.write_bytes(tampered)
    os.utime(index, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    with pytest.raises(PodcastError, match=r"index\.html: changed or missing since the build"):
        publish_build(cached_demo)
    index.write_bytes(original)  # the same bytes again: the build's file after all
    toml = cached_demo / "podcast.toml"
    toml.write_text(toml.read_text().replace("podcast.example.org", "podcast.example.net"))
    with pytest.raises(PodcastError, match=r"made for https://podcast\.example\.org/.* again"):
        publish_build(cached_demo)
    assert list(www.iterdir()) == []


def test_targets_that_overlap_the_show_or_hold_others_files_are_refused(
    cached_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("a home folder holds hidden files only")
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "link").symlink_to(cached_demo / "episodes")
    build(cached_demo)
    before = tree_bytes(cached_demo)
    cases = {
        'kind = "folder"\npath = "~"': "holds files that no publish",
        'kind = "folder"\npath = "/"': "overlaps the show folder",
        'kind = "folder"\npath = "."': "overlaps the show folder",
        'kind = "folder"\npath = "feed"': "overlaps the show folder",
        'kind = "folder"\npath = ".."': "overlaps the show folder",
        f'kind = "folder"\npath = "{tmp_path / "link"}"': "overlaps the show folder",
        f'kind = "rclone"\nremote = ":local:{cached_demo / "media"}"': "overlaps the show",
        f'kind = "folder"\npath = "{tmp_path / "typo" / "www"}"': "does not exist; create it",
    }
    toml = cached_demo / "podcast.toml"
    plain = toml.read_text()
    for target, message in cases.items():
        toml.write_text(plain + f"\n[publish.web]\n{target}\nverify = false\n")
        with pytest.raises(PodcastError, match=message):
            publish_build(cached_demo)
    toml.write_text(plain)
    assert tree_bytes(cached_demo) == before
    assert [p.name for p in home.iterdir()] == [".bashrc"]


@needs_rsync
def test_a_folder_the_build_no_longer_has_is_deleted_at_the_target(
    cached_demo: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    add_targets(cached_demo, f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify = false\n')
    folder = cached_demo / "episodes" / EPISODE
    Image.new("RGB", (400, 300), (20, 90, 160)).save(folder / "rathaus.png")
    notes = folder / "episode.md"
    plain = notes.read_text()
    notes.write_text(plain + "\n![Das Rathaus](rathaus.png)\n")
    build(cached_demo)
    publish_build(cached_demo)
    (picture,) = [p.name for p in (www / "images").iterdir()]
    notes.write_text(plain)  # the last picture goes: the build has no images/ folder
    assert not (build(cached_demo).out / "images").exists()
    now = datetime.now(UTC)
    report = publish_build(cached_demo, now=now)  # no "file has vanished" from rsync
    assert f"images/{picture}" in report.kept  # feeds apps still hold show it a while
    late = publish_build(cached_demo, now=now + timedelta(days=31))
    assert f"images/{picture}" in late.deleted and not (www / "images" / picture).exists()


def test_clean_removes_only_the_caches_own_entries(cached_demo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "documents"
    (elsewhere / "photos").mkdir(parents=True)
    (elsewhere / "letter.txt").write_text("keep me")
    (elsewhere / "render").mkdir()
    (elsewhere / "render" / "old").write_text("a render")
    cache = cached_demo / ".cache" / "podcast"
    cache.unlink()  # the shared test cache stays out of this
    cache.symlink_to(elsewhere, target_is_directory=True)
    result = run_cli("clean", str(cached_demo))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == [".build.lock", "letter.txt", "photos"]
    bare = tmp_path / "not-a-show"
    bare.mkdir()
    result = run_cli("clean", cwd=bare)
    assert result.returncode == 1 and "no podcast.toml here" in result.stderr
    assert list(bare.iterdir()) == []


def test_ssh_host_key_problems_are_named_with_the_fix_and_connections_are_private(
    cached_demo: Path, ssh_server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "ssh"\nhost = "podcast-test-server"\nssh_config = "{ssh_server}"\n'
        f'path = "{www}"\nverify = false\n',
    )
    build(cached_demo)
    # A temporary folder too deep for ssh's socket path (over 107 bytes) is not used for it.
    deep = tmp_path / ("deep-" * 8)
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    assert run_cli("publish", str(cached_demo)).returncode == 0
    assert list(deep.iterdir()) == []
    # The publishes get a temporary folder of their own (other tests run beside this one).
    temporary = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(temporary))
    # Right after, with a server key that is not the known one: no connection of the last
    # publish lets it through.
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    text = ssh_server.read_text()
    port = re.search(r"Port (\d+)", text)
    assert port is not None
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port[1]} {(wrong.with_suffix('.pub')).read_text()}")
    strict = tmp_path / "ssh_config"
    strict.write_text(
        re.sub(r"UserKnownHostsFile .*", f"UserKnownHostsFile {known}", text).replace(
            "StrictHostKeyChecking accept-new", "StrictHostKeyChecking yes"
        )
    )
    toml = cached_demo / "podcast.toml"
    toml.write_text(toml.read_text().replace(str(ssh_server), str(strict)))
    result = run_cli("publish", str(cached_demo), "--resend")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Host key verification failed" in result.stderr
    assert "connect once with ssh" in result.stderr
    # No socket, file list or folder of a publish is left in the shared temporary folder.
    assert list(temporary.iterdir()) == []
    temporary.rmdir()


def test_an_unreachable_rclone_remote_fails_soon_with_the_fix(
    cached_demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RCLONE_CONFIG_DOWN_TYPE", "webdav")
    monkeypatch.setenv("RCLONE_CONFIG_DOWN_URL", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("RCLONE_CONFIG", str(tmp_path / "no-rclone.conf"))
    add_targets(cached_demo, '[publish.down]\nkind = "rclone"\nremote = "down:show"\n')
    build(cached_demo)
    result = subprocess.run(
        [sys.executable, "-m", "podcast", "publish", str(cached_demo)],
        capture_output=True,
        text=True,
        timeout=180,  # rclone's own retries are bounded
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the rclone remote down:show" in result.stderr
    assert "connection refused" in result.stderr.lower() and "check the remote" in result.stderr


@needs_rsync
def test_an_interrupted_publish_says_so_and_leaves_the_feeds_whole(
    cached_demo: Path, tmp_path: Path
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    add_targets(
        cached_demo,
        f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify = false\n'
        "bandwidth_limit_kib = 800\n",
    )
    out = build(cached_demo).out
    process = subprocess.Popen(
        [sys.executable, "-m", "podcast", "publish", str(cached_demo), "-v"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # (Ctrl-C as a terminal sends it: a suite started in the background, `pytest &`,
        # hands its children SIGINT ignored, and this publish ran to its end, exit 0)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    assert first.startswith("media:"), first
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stderr = process.stderr.read()
    code = process.wait(30)
    assert code == 1 and "Traceback" not in stderr, (code, first, process.stdout.read(), stderr)
    assert "publish interrupted; the target's feeds name only complete files" in stderr
    assert not (www / "feed.xml").exists()
    # The rest at full speed (the limit only made sure the interrupt came mid-transfer).
    toml = cached_demo / "podcast.toml"
    toml.write_text(toml.read_text().replace("bandwidth_limit_kib = 800\n", ""))
    assert run_cli("publish", str(cached_demo)).returncode == 0
    assert tree_bytes(www) == tree_bytes(out)
