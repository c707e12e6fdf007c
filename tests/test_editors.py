"""The editors' day through the command line: a new show, new episodes, warnings and --strict."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from PIL import Image

from .conftest import REPO
from .helpers import run_cli

EP1 = "episodes/01-leipzig-migrantenbeirat"


def init(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "init",
        str(folder),
        *("--title", 'Unser "Stadtrat"', "--author", "Redaktion Süd", "--language", "de-DE"),
        *("--base-url", "https://podcast.radio-sued.de/stadtrat", "--email", "red@radio-sued.de"),
        *extra,
    )


def test_a_new_show_from_init_to_a_first_build(tmp_path: Path) -> None:
    show = tmp_path / "stadtrat"
    result = init(show)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((show / "podcast.toml").read_text())
    assert config["title"] == 'Unser "Stadtrat"'
    assert config["base_url"] == "https://podcast.radio-sued.de/stadtrat/"
    assert config["owner"] == {"name": "Redaktion Süd", "email": "red@radio-sued.de"}
    with Image.open(show / "cover.jpg") as cover:
        assert cover.size == (3000, 3000) and cover.format == "JPEG"
    assert "feed/" in (show / ".gitignore").read_text()
    # Asked again, or into a folder with files, it refuses and changes nothing.
    again = init(show)
    assert again.returncode == 1 and "a show is here already" in again.stderr
    # From inside the episodes folder, as an editor would.
    inside = show / "episodes"
    made = subprocess.run(
        [sys.executable, "-m", "podcast", "new", "Erste Sitzung: Haushalt"],
        cwd=inside,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    source = show / "episodes/01-erste-sitzung-haushalt/episode.md"
    assert source.is_file() and not (inside / "episodes").exists()
    front = yaml.safe_load(source.read_text().split("---")[1])
    assert front["number"] == 1 and front["guid"].startswith("urn:uuid:")
    assert {"summary", "announcement", "back_announcement", "recordings"} <= set(front)
    shutil.copyfile(REPO / EP1 / "interview-leipzig.flac", source.parent / "interview.wav")
    check = run_cli("check", cwd=source.parent)  # the show is found from the episode folder
    assert check.returncode == 0, check.stderr
    assert "summary: still says TODO" in check.stderr
    assert "announcement: still says TODO" in check.stderr
    strict = run_cli("build", "--strict", cwd=source.parent)
    assert strict.returncode == 1 and "--strict makes warnings errors" in strict.stderr
    assert not (show / "feed").exists()
    text = source.read_text().replace("TODO: ein, zwei Sätze für Podcast-Apps.", "Der Haushalt.")
    text = text.replace("TODO: Shownotes", "Shownotes").replace(">-\n  TODO\n", ">-\n  Gleich.\n")
    source.write_text(text)
    toml = show / "podcast.toml"
    toml.write_text(
        toml.read_text().replace("TODO: what the show is about", "Der Stadtrat")
        + '\n[[hosts]]\nname = "Redaktion Süd"\nrole = "host"\n'
    )
    built = run_cli("build", "--strict", cwd=show)
    assert built.returncode == 0, built.stderr
    assert (show / "feed/feed.xml").is_file()


def test_init_checks_the_answers_before_writing(tmp_path: Path) -> None:
    show = tmp_path / "neu"
    result = run_cli(
        "init",
        str(show),
        *("--title", "X", "--author", "Y", "--language", "Deutsch"),
        *("--base-url", "http://insecure.example", "--email", "a@b.de"),
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "podcast.toml:" in result.stderr and "language" in result.stderr
    assert "base_url: must be an https:// URL" in result.stderr
    assert not show.exists() or list(show.iterdir()) == []
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    refused = init(busy)
    assert refused.returncode == 1 and "not empty (notes.txt" in refused.stderr


def test_new_dates_the_episode_in_the_show_time_zone(demo: Path) -> None:
    toml = demo / "podcast.toml"
    toml.write_text('timezone = "America/Sao_Paulo"\n' + toml.read_text())
    result = run_cli("new", "Ein Gast aus Brasilien", "--show-dir", str(demo / "episodes"))
    assert result.returncode == 0, result.stderr
    source = demo / "episodes/04-ein-gast-aus-brasilien/episode.md"
    date_line = next(line for line in source.read_text().splitlines() if line.startswith("date:"))
    assert "-03:00" in date_line and "America/Sao_Paulo" in date_line
    toml.write_text(toml.read_text().replace("America/Sao_Paulo", "Mars/Olympus"))
    bad = run_cli("check", str(demo))
    assert bad.returncode == 1 and "podcast.toml:1: timezone: not a time zone" in bad.stderr


def test_unfinished_content_is_named_and_strict_refuses_it(cached_demo: Path) -> None:
    folder = cached_demo / EP1
    shutil.copyfile(folder / "interview-leipzig.flac", folder / "take-2.flac")
    result = run_cli("check", str(cached_demo))
    assert result.returncode == 0
    assert f"{EP1}/take-2.flac: in the episode folder but not in episode.md" in result.stderr
    assert "base_url: https://podcast.example.org/quer-durch-die-gremien/ is an example" in (
        result.stderr
    )
    strict = run_cli("check", str(cached_demo), "--strict")
    assert strict.returncode == 1 and "take-2.flac" in strict.stderr
    built = run_cli("build", str(cached_demo))
    assert built.returncode == 0 and "take-2.flac" in built.stderr
    # Up to date, the record of the last build still knows its warnings.
    again = run_cli("build", str(cached_demo), "--strict")
    assert again.returncode == 1 and "take-2.flac" in again.stderr
