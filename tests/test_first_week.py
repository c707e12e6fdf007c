"""A first week with the tool (issue 27): the rough edges a new editor and outside readers hit,
each through the CLI (or the browser) where the issue met it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

BASE = "https://podcast.example.org/erste-woche/"
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
