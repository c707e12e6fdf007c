"""External programs (ffmpeg, ffprobe, rsync, rclone) run with argument lists, never a shell,
with timeouts; a failure becomes an error that names the input and the program's last words."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from podcast.errors import ToolError

# Longer than any single ffmpeg or ffprobe call on hours of audio takes; a hung one fails.
TIMEOUT_S = 3600.0
DEFAULT_HINT = "install it, e.g. `apt-get install ffmpeg`"


def require(program: str, hint: str = DEFAULT_HINT) -> str:
    """Absolute path of an external program, or a clear error telling how to install it."""
    found = shutil.which(program)
    if found is None:
        raise ToolError(f"{program} is not installed; {hint}")
    return found


def run(
    args: list[str],
    subject: Path | str,
    what: str,
    stdin: str | None = None,
    timeout: float = TIMEOUT_S,
    hint: str = DEFAULT_HINT,
) -> subprocess.CompletedProcess[str]:
    """Run a program (`stdin`: text to feed it); on failure or after `timeout` seconds raise
    ToolError naming `subject` and the program's last words (`hint`: how to install it)."""
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
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{subject}: {what} did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise ToolError(f"{subject}: cannot run {args[0]}: {exc}") from exc
    if result.returncode != 0:
        last = [line for line in result.stderr.strip().splitlines() if line.strip()][-3:]
        detail = " / ".join(last) if last else f"exit code {result.returncode}"
        raise ToolError(f"{subject}: {what} failed: {detail}")
    return result
