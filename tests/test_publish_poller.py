"""What a listener polling the feed sees while a show is published, changed and republished,
with `podcast publish` killed at random moments: on a local folder, over ssh (rsync to a real
sshd) and to rclone's WebDAV server, each target served by a Range-capable HTTP server.

The poller fetches both feeds and every file they name, and checks each against what the
builds made under that name: a feed must never name a missing, partial or different file.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from podcast.build import build

from .conftest import copy_demo, seed_cache
from .helpers import edit, tree_bytes
from .test_publish import BASE_URL, add_targets, serve_folder, ssh_server, webdav

__all__ = ["ssh_server", "webdav"]  # fixtures used here
EP1, EP2 = "01-leipzig-migrantenbeirat", "02-frankfurt-kav"
PODCAST = "https://podcastindex.org/namespace/1.0"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> list[Path]:
    """Five builds of the demo, each in its own folder: first, an episode added, every audio
    file changed (a new author in every tag), an episode removed, a folder renamed."""
    show = copy_demo(tmp_path_factory.mktemp("poller") / "show")
    seed_cache(show, shared_cache)
    states: list[Path] = []

    def built(allow: frozenset[str] = frozenset()) -> None:
        out = show / f"build-{len(states)}"
        build(show, out=out, allow=allow)
        states.append(out)

    toml = show / "podcast.toml"
    built()
    added = show / "episodes/04-noch-einmal-leipzig"
    shutil.copytree(show / "episodes" / EP1, added)
    edit(added / "episode.md", "number: 1", "number: 4")
    edit(added / "episode.md", "4e01", "4e04")
    built()
    edit(toml, 'author = "Redaktion Quer durch die Gremien"', 'author = "Redaktion QdG"')
    built()
    shutil.rmtree(show / "episodes" / EP2)
    built(frozenset({EP2}))
    (show / "episodes" / EP1).rename(show / "episodes/01-leipzig")
    built()
    return states


def named_files(feed: bytes) -> dict[str, int | None]:
    """Every file a feed names, relative to the site, with the length it promises."""
    root = ET.fromstring(feed)
    named: dict[str, int | None] = {}
    for item in root.iter("item"):
        for enclosure in item.iter("enclosure"):
            named[enclosure.get("url", "")] = int(enclosure.get("length", "-1"))
        for tag, attribute in (("chapters", "url"), ("transcript", "url"), ("source", "uri")):
            for element in item.iter(f"{{{PODCAST}}}{tag}"):
                named.setdefault(element.get(attribute, ""), None)
    for image in root.iter(f"{{{ITUNES}}}image"):
        named.setdefault(image.get("href", ""), None)
    return {url.removeprefix(BASE_URL): length for url, length in named.items()}


class Poller(threading.Thread):
    """Fetches both feeds and every file they name, over and over, like an app would."""

    def __init__(self, site: str, made: dict[str, bytes]) -> None:
        super().__init__(daemon=True)
        self.site, self.made = site, made
        self.polls = 0
        self.problems: list[str] = []
        self.stop = threading.Event()

    def fetch(self, name: str) -> bytes | None:
        try:
            with urllib.request.urlopen(self.site + name, timeout=10) as response:
                return bytes(response.read())
        except urllib.error.HTTPError:
            return None

    def run(self) -> None:
        while not self.stop.is_set():
            for feed in ("feed.xml", "radio.xml"):
                xml = self.fetch(feed)
                if xml is None:
                    continue  # not published yet
                self.polls += 1
                for name, length in named_files(xml).items():
                    data = self.fetch(name)
                    if data is None:
                        self.problems.append(f"{feed} names {name}: missing")
                    elif data != self.made.get(name):
                        self.problems.append(f"{feed} names {name}: other bytes ({len(data)})")
                    elif length is not None and length != len(data):
                        self.problems.append(f"{feed} says {length} bytes for {name}")


def transfers_of(target: str) -> list[str]:
    """Command lines of rsync or rclone processes still working on `target`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if target in command and re.search(r"\b(rsync|rclone)\b", command.split(" ")[0]):
            found.append(command)
    return found


@pytest.mark.parametrize("kind", ["folder", "ssh", "rclone"])
def test_a_polling_listener_never_sees_a_feed_naming_a_missing_or_other_file(
    kind: str, builds: list[Path], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    show = builds[0].parent
    www = tmp_path / "www"
    www.mkdir()
    slow = "bandwidth_limit_kib = 16000\nverify = false\n"  # kills land mid-transfer
    if kind == "folder":
        target, where = f'kind = "folder"\npath = "{www}"\n', str(www)
    elif kind == "ssh":
        config = request.getfixturevalue("ssh_server")
        target = f'kind = "ssh"\nhost = "podcast-test-server"\nssh_config = "{config}"\n'
        target, where = target + f'path = "{www}"\n', str(www)
    else:
        root, _ = request.getfixturevalue("webdav")
        www = root / "show"
        target, where = 'kind = "rclone"\nremote = "testdav:show"\n', "testdav:show"
    toml = show / "podcast.toml"
    original = toml.read_text()
    add_targets(show, f"[publish.web]\n{target}{slow}")
    made: dict[str, bytes] = {}
    for out in builds:
        for name, data in tree_bytes(out).items():
            if re.search(r"-[0-9a-f]{12}\.\w+$", name):  # a file under a versioned name
                assert made.setdefault(name, data) == data, f"{name} changed under its name"
    server, site = serve_folder(www)
    poller = Poller(site, made)
    poller.start()
    chances = random.Random(f"{kind}-24")
    landed: list[str] = []
    try:
        for out in builds:
            command = [sys.executable, "-m", "podcast", "publish", str(show), "--out", str(out)]
            for _ in range(2):  # killed twice, at a random moment of the upload, or of a phase
                process = subprocess.Popen(
                    [*command, "-v"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
                assert process.stdout is not None
                wanted = chances.choice(["media", "pages", "feeds: 1 files (feed.xml)", "any"])
                phase = "started"
                for line in process.stdout:
                    phase = line.split(":")[0] if ":" in line else phase
                    if wanted in line or wanted == "any":
                        time.sleep(chances.uniform(0, 0.6 if wanted == "media" else 0.05))
                        break
                os.kill(process.pid, signal.SIGKILL)  # podcast alone: its children must follow
                process.wait()
                landed.append(phase)
                time.sleep(0.3)
                assert transfers_of(where) == [], "a transfer outlived the publish"
            finished = subprocess.run(command, capture_output=True, text=True, check=False)
            assert finished.returncode == 0, finished.stderr
            published = tree_bytes(www)
            for name, data in tree_bytes(out).items():
                assert published.get(name) == data, name
    finally:
        poller.stop.set()
        poller.join(30)
        server.shutdown()
        toml.write_text(original)
    assert poller.problems == []
    assert poller.polls > 20
    # The kills hit the moments that matter: during the media upload and around the feeds.
    assert "media" in landed and "feeds" in landed, landed
