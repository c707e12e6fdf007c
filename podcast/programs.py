"""External programs (ffmpeg, ffprobe, rsync, rclone) run with argument lists, never a shell,
with timeouts; a failure becomes an error that names the input and the program's last words."""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from podcast.errors import ToolError, display_path

# Longer than any single ffmpeg or ffprobe call on hours of audio takes; a hung one fails.
TIMEOUT_S = 3600.0
DEFAULT_HINT = "install it, e.g. `apt-get install ffmpeg`"


def require(program: str, hint: str = DEFAULT_HINT) -> str:
    """Absolute path of an external program, or a clear error telling how to install it."""
    found = shutil.which(program)
    if found is None:
        raise ToolError(f"{program} is not installed; {hint}")
    return found


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that has the kernel kill the child when this process dies (Linux's
    parent death signal): a transfer must never outlive the publish that started it."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    prctl = ctypes.CDLL(name, use_errno=True).prctl

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return hook


def run(
    args: list[str],
    subject: Path | str,
    what: str,
    stdin: str | None = None,
    timeout: float = TIMEOUT_S,
    hint: str = DEFAULT_HINT,
    tied: Sequence[int] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a program (`stdin`: text to feed it); on failure or after `timeout` seconds raise
    ToolError naming `subject` and the program's last words (`hint`: how to install it).

    `tied`: the program dies with this process and holds these file descriptors (a lock
    held through them stays held while it lives)."""
    program = require(args[0], hint)
    try:
        result = subprocess.run(
            [program, *args[1:]],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
            timeout=timeout,
            preexec_fn=_die_with_parent() if tied is not None else None,
            pass_fds=tuple(tied or ()),
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{subject}: {what} did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise ToolError(f"{subject}: cannot run {args[0]}: {exc}") from exc
    if result.returncode != 0:
        detail = last_words(result.stderr, result.returncode, args)
        raise ToolError(f"{subject}: {what} failed: {detail}")
    return result


def last_words(stderr: str, code: int, args: Sequence[str]) -> str:
    """A failed program's last three lines of errors for a message, with the files it was
    given as `file:/absolute/path` named as the user would (relative to the working folder)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
    text = " / ".join(lines) if lines else f"exit code {code}"
    for arg in args:
        if arg.startswith("file:/"):
            text = text.replace(arg, display_path(Path(arg.removeprefix("file:"))))
    return text
