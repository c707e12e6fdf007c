"""Shared fixtures: copies of the demo show, a built demo, synthesised audio."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from podcast.build import BuildReport, build

from .helpers import synthesise

REPO = Path(__file__).resolve().parent.parent

# The longest test files, started first: run in parallel a file at a time (`--dist loadfile`),
# the suite ends when its last file does, and one of these started last kept the other worker
# idle for minutes.
LONGEST_FIRST = ("test_multitrack.py", "test_hardening.py", "test_publish_poller.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Puts the longest test files first (the order within each file is kept)."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


SHOW_PARTS = ("podcast.toml", "podcast.lock", "episodes", "media", "templates", "pages")


def copy_demo(target: Path) -> Path:
    """A private copy of the demo show (without its build cache or output)."""
    target.mkdir(parents=True, exist_ok=True)
    for part in SHOW_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copyfile(source, target / part)
    return target


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A fresh copy of the demo show for a test to change."""
    return copy_demo(tmp_path / "show")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One render cache for the session, so tests that build the demo render its audio once."""
    return tmp_path_factory.mktemp("cache")


def seed_cache(show: Path, cache: Path) -> None:
    """Point a demo copy's cache at the session cache (a symlink inside the show's .cache)."""
    (show / ".cache").mkdir(exist_ok=True)
    (show / ".cache" / "podcast").symlink_to(cache, target_is_directory=True)


@pytest.fixture
def cached_demo(demo: Path, shared_cache: Path) -> Path:
    """A demo copy whose audio renders come from (and go to) the session cache."""
    seed_cache(demo, shared_cache)
    return demo


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> BuildReport:
    """The demo show built once for the whole session (read-only for tests)."""
    show = copy_demo(tmp_path_factory.mktemp("built") / "show")
    seed_cache(show, shared_cache)
    return build(show)


@pytest.fixture
def synth(tmp_path: Path) -> Callable[..., Path]:
    """Make a test recording with ffmpeg's generators: synth("x.wav", "sine=f=440", 3)."""

    def make(
        name: str,
        source: str,
        seconds: float,
        *,
        rate: int = 48000,
        channels: int = 2,
        gain_db: float = 0.0,
        extra: tuple[str, ...] = (),
    ) -> Path:
        return synthesise(
            tmp_path / name,
            f"{source}:d={seconds}" if "=" in source else f"{source}=d={seconds}",
            *("-af", f"volume={gain_db}dB", "-ar", str(rate), "-ac", str(channels)),
            *extra,
        )

    return make
