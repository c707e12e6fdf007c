"""What `check` and `build` point out about a loaded show without refusing it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from podcast.errors import display_path
from podcast.show.loader import EPISODE_FILE
from podcast.show.model import Show


def show_warnings(show: Show) -> list[str]:
    """What `check` and `build` point out without refusing the show."""
    return [*future_dates(show), *hidden_episode_folders(show.root)]


def future_dates(show: Show, now: datetime | None = None) -> list[str]:
    """Warnings for episodes dated in the future (apps may hide or misorder them until then)."""
    moment = now or datetime.now(UTC)
    return [
        f"{display_path(e.source)}: date {e.meta.date.isoformat()} is in the future; podcast apps "
        "may hide the episode until then"
        for e in show.episodes
        if e.meta.date > moment
    ]


def hidden_episode_folders(root: Path) -> list[str]:
    """Warnings for hidden folders under episodes/ that hold an episode.md: never published."""
    hidden = sorted(source.parent for source in (root / "episodes").glob(f".*/{EPISODE_FILE}"))
    return [
        f"{display_path(folder)}: not published, its name starts with a dot (hidden); "
        f"rename it to {folder.name.lstrip('.') or 'a visible name'} to publish it"
        for folder in hidden
    ]
