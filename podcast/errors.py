"""Editor-facing problems: every message names the file, the line, the field and the fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


def display_path(path: Path) -> str:
    """A path as the user most likely typed it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, FileNotFoundError):  # outside it, or the working folder was deleted
        return str(path)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the editors' input."""

    file: Path
    line: int
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        name = display_path(self.file)
        where = f"{name}:{self.line}" if self.line else name
        field = f" {self.field}:" if self.field else ""
        if "\n" in self.fix:  # an example to copy: on lines of its own, indented
            advice, _, example = self.fix.partition("\n")
            indented = "\n".join("    " + line for line in example.splitlines())
            return f"{where}:{field} {self.message}; {advice}\n{indented}"
        fix = f" ({self.fix})" if self.fix else ""
        return f"{where}:{field} {self.message}{fix}"


class PodcastError(Exception):
    """An error the user can act on; the CLI prints it without a traceback."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: tuple[Problem, ...] = ()
            text = problems
        else:
            self.problems = tuple(problems)
            text = "\n".join(str(p) for p in self.problems)
        super().__init__(text)


# What is wrong with an audio input, for code that must tell the cases apart (which field to
# blame, which fix to name) without reading the message.
AudioFault = Literal["unreadable", "in_point", "too_short", "silent", "truncated"]


class ToolError(PodcastError):
    """An external program (ffmpeg, ffprobe) failed on a named input; `fault` says how."""

    def __init__(self, problems: Iterable[Problem] | str, fault: AudioFault = "unreadable") -> None:
        super().__init__(problems)
        self.fault: AudioFault = fault
