"""`podcast.lock`: what must never change once published, committed with the show.

- `[assigned]`: GUIDs the build generated for episodes without `guid` in their front matter,
  by episode folder name.
- `[published]`: for every published GUID, the name used in all of the episode's URLs (its
  folder name at first publication), so renaming a folder or a title moves nothing.
- `[retired]`: the same for episodes no longer published (removed, or held back again), so an
  episode that comes back gets its old URLs back.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from podcast.errors import PodcastError, Problem
from podcast.plan.cache import atomic_write_bytes

LOCK_FILE = "podcast.lock"


@dataclass(frozen=True)
class Lock:
    assigned: dict[str, str] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)


def read_lock(root: Path) -> Lock:
    """The show's lock file, or an empty lock when there is none yet."""
    path = root / LOCK_FILE
    if not path.exists():
        return Lock()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assigned = {str(k): str(v) for k, v in data.get("assigned", {}).items()}
        published = {str(k): str(v) for k, v in data.get("published", {}).items()}
        retired = {str(k): str(v) for k, v in data.get("retired", {}).items()}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise PodcastError(
            [
                Problem(
                    path,
                    0,
                    "",
                    f"cannot read the lock file ({exc})",
                    "restore it from version control",
                )
            ]
        ) from exc
    return Lock(assigned, published, retired)


def _table(name: str, entries: dict[str, str]) -> list[str]:
    # json.dumps gives TOML-compatible basic strings for keys and values.
    return [
        f"[{name}]",
        *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in sorted(entries.items())),
    ]


def write_lock(root: Path, lock: Lock) -> None:
    """Write the lock file (only when it changed, so a no-op build touches nothing)."""
    if lock == read_lock(root) and (root / LOCK_FILE).exists():
        return
    lines = [
        "# Written by `podcast build`. Commit this file: published GUIDs and URLs never change.",
        "",
        *_table("assigned", lock.assigned),
        "",
        *_table("published", lock.published),
        *(["", *_table("retired", lock.retired)] if lock.retired else []),
    ]
    atomic_write_bytes(root / LOCK_FILE, ("\n".join(lines) + "\n").encode())
