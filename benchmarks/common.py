"""What the benchmark scripts share."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def synthesise(path: Path, source: str, *options: str) -> Path:
    """Write `path` from one of ffmpeg's generators (lavfi `source`), with output `options`."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *options, str(path)],
        check=True,
    )
    return path


def show_toml(title: str, description: str, base_url: str, extra: str = "") -> str:
    """A minimal, valid podcast.toml for a synthetic show (`extra`: more TOML at the end)."""
    return f"""title = "{title}"
description = "{description}"
author = "Benchmark"
language = "de"
base_url = "{base_url}"
cover = "cover.jpg"
copyright = "none"
[owner]
name = "Benchmark"
email = "bench@example.org"
[category]
name = "Technology"
{extra}"""


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall-clock seconds and peak RSS (MB) of `command` and every process it started."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{command[0]} failed:\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def timed_alone(command: list[str]) -> tuple[float, float]:
    """As `timed`, with the peak RSS measured by GNU time around `command`: a benchmark that
    holds much memory itself would otherwise lend its size to the child (fork before exec)."""
    elapsed, rss, _ = timed_with_cpu(command)
    return elapsed, rss


def timed_with_cpu(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MB, CPU seconds of the command and its children) by GNU time;
    CPU time tells more than wall time on a machine other work shares."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        elapsed, rss = timed(command)
        return elapsed, rss, float("nan")
    started = time.perf_counter()
    done = subprocess.run(
        [str(gnu_time), "-f", "%M %U %S", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    rss, user, system = done.stderr.decode().strip().splitlines()[-1].split()
    return elapsed, int(rss) / 1024, float(user) + float(system)


def one_episode_show(
    folder: Path, config: str, episode: str, recording: Path, slug: str, name: str
) -> Path:
    """`folder`/show: podcast.toml (`config`), a cover, and one episode `slug` whose
    episode.md (`episode`) names the recording, linked in as `name`."""
    from PIL import Image

    show = folder / "show"
    (show / "episodes" / slug).mkdir(parents=True)
    (show / "podcast.toml").write_text(config)
    (show / "episodes" / slug / "episode.md").write_text(episode)
    os.link(recording, show / "episodes" / slug / name)
    Image.new("RGB", (1400, 1400), (20, 60, 90)).save(show / "cover.jpg", "JPEG")
    return show
