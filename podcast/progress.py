"""The live progress display of `podcast build` on a terminal (rich)."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class TerminalProgress:
    """An overall bar of episodes plus the stage of each episode in work."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("audio"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("", total=None)
        self._active: dict[str, str] = {}
        self._lock = threading.Lock()

    def started(self, episodes: int) -> None:
        self._progress.update(self._task, total=episodes)

    def step(self, episode: str, step: str) -> None:
        with self._lock:
            if step in ("done", "failed"):
                self._active.pop(episode, None)
                self._progress.advance(self._task)
            else:
                self._active[episode] = step
            shown = " · ".join(f"{name}: {what}" for name, what in list(self._active.items())[:3])
            self._progress.update(self._task, description=shown)

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()
