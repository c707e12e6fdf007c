"""Independent checks used by several test modules."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def ebur128(
    path: Path, start: float | None = None, end: float | None = None
) -> tuple[float, float]:
    """Integrated loudness and true peak measured by ffmpeg's ebur128 filter directly.

    Deliberately not podcast's own measuring code: the tests check the build with a separate
    call and parser. `start`/`end` measure a slice of the file.
    """
    window = []
    if start is not None:
        window += ["-ss", str(start)]
    if end is not None:
        window += ["-to", str(end)]
    result = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-nostats",
            *window,
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated is not None and peak is not None, summary
    return float(integrated[1]), float(peak[1])


def sample_peak_db(path: Path, start: float | None = None, end: float | None = None) -> float:
    """The highest sample of a file (dBFS, over all channels, `start`/`end` a slice of it), as
    ffmpeg's astats reads it in the file's own channels."""
    window = [*(["-ss", str(start)] if start is not None else [])]
    window += ["-to", str(end)] if end is not None else []
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", *window, "-i", str(path)]
    result = subprocess.run(
        [*command, "-af", "astats=measure_perchannel=none", "-f", "null", "-"],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    )
    found = re.findall(r"Peak level dB:\s+(-?[\d.]+|-inf)", result.stderr)
    assert found, result.stderr[-2000:]
    return float(found[-1])


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `podcast` command as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "podcast", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def synthesise(path: Path, source: str, *options: str) -> Path:
    """Write `path` from one of ffmpeg's generators (lavfi `source`), with output `options`."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *options, str(path)],
        check=True,
    )
    return path


def built_file(out: Path, name: str) -> Path:
    """The file published for `name` (`audio/x.mp3`): files the feeds name carry a version of
    their content in their name (`audio/x-0123456789ab.mp3`)."""
    stem, _, suffix = name.rpartition(".")
    found = sorted(out.glob(f"{stem}-{'[0-9a-f]' * 12}.{suffix}"))
    assert len(found) == 1, (name, found)
    return found[0]


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a text file with `new` (which must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(show: Path) -> str:
    """The text of the PodcastError that loading `show` raises (it must raise one)."""
    from podcast.errors import PodcastError
    from podcast.show.loader import load_show

    with pytest.raises(PodcastError) as caught:
        load_show(show)
    return str(caught.value)


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (`256k`) mounted at `folder` for the duration (skips without root)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def editors_chapters(show: Path, out: Path, slug: str) -> list[tuple[float, str]]:
    """An episode's chapters as the editors wrote them (front matter, or chapters.txt), moved
    onto the published timeline: the reference the chapter outputs are checked against.

    Independent of the build's own readers and of what it wrote: the sources are read with
    yaml and a regular expression, and moved by the demo's layout (an intro before one
    recording): a chapter after the first starts `intro - crossfade_s - (head silence -
    keep_silence_s)` later than written (defaults 0.5 and 0.25 s); the first starts at 0. Only
    the measured facts (the intro's duration, the recording's head silence) come from the
    build's manifest.
    """
    import json

    import yaml

    folder = show / "episodes" / slug
    chapters_file = folder / "chapters.txt"
    written: list[tuple[float, str]] = []
    if chapters_file.is_file():
        for line in chapters_file.read_text(encoding="utf-8").splitlines():
            found = re.match(r"^(\d+):(\d+(?:\.\d+)?) (.+?)(?: <\S+>)?$", line)
            if found:
                written.append((int(found[1]) * 60 + float(found[2]), found[3]))
    else:
        front = (folder / "episode.md").read_text(encoding="utf-8").split("---\n")[1]
        for entry in yaml.safe_load(front)["chapters"]:
            minutes, seconds = str(entry["start"]).split(":")
            written.append((int(minutes) * 60 + float(seconds), entry["title"]))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (episode,) = [e for e in manifest["episodes"] if e["slug"] == slug]
    intro, speech = episode["inputs"]
    shift = intro["duration"] - 0.5 - (speech["head_silence"] - 0.25)
    return [(0.0 if i == 0 else start + shift, title) for i, (start, title) in enumerate(written)]


def ffprobe_tags(path: Path) -> tuple[dict[str, str], list[tuple[float, str]]]:
    """The tags (lower-case keys; Ogg keeps its comments on the audio stream, a cover is a
    picture stream) and the chapters (start, title) of a file, as ffprobe reads them."""
    import json

    probed = json.loads(
        subprocess.run(
            [
                *("ffprobe", "-v", "error", "-of", "json", "-show_chapters"),
                *("-show_entries", "format_tags:stream_tags:stream=codec_type", str(path)),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    tags = {k.lower(): v for k, v in probed["format"].get("tags", {}).items()}
    for stream in probed["streams"]:
        if stream["codec_type"] == "audio":
            tags |= {k.lower(): v for k, v in stream.get("tags", {}).items()}
    chapters = [(float(c["start_time"]), c["tags"]["title"]) for c in probed["chapters"]]
    return tags, chapters


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """podcast's own HTTP server (Range, CORS) in front of `folder` on loopback while the block
    runs: its address, without a slash at the end."""
    import threading

    from podcast.serve import make_server

    server = make_server(folder, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
