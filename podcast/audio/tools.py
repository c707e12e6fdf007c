"""Run ffmpeg/ffprobe with argument lists and turn failures into errors naming the input."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from podcast.errors import ToolError


def require(program: str) -> str:
    """Absolute path of an external program, or a clear error telling how to install it."""
    found = shutil.which(program)
    if found is None:
        raise ToolError(f"{program} not found on PATH (install it, e.g. `apt-get install ffmpeg`)")
    return found


# Longer than any single ffmpeg or ffprobe call on hours of audio takes; a hung one fails.
TIMEOUT_S = 3600.0
# ffmpeg as every render and analysis starts it: no terminal input, only errors on stderr.
FFMPEG = ("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y")


def run(
    args: list[str],
    subject: Path | str,
    what: str,
    stdin: str | None = None,
    timeout: float = TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run a program (`stdin`: text to feed it); on failure or after `timeout` seconds raise
    ToolError naming `subject` and the program's last words."""
    program = require(args[0])
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
        raise _failure(result.returncode, result.stderr, subject, what)
    return result


def _failure(result_code: int, stderr: str, subject: Path | str, what: str) -> ToolError:
    last = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
    detail = " / ".join(last) if last else f"exit code {result_code}"
    return ToolError(f"{subject}: {what} failed: {detail}")


def file_arg(path: Path) -> str:
    """An input/output name ffmpeg can never mistake for an option or a protocol."""
    return "file:" + str(path.absolute())


@functools.cache
def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version`, part of every audio cache key."""
    result = run(["ffmpeg", "-hide_banner", "-version"], "ffmpeg", "version check")
    return result.stdout.splitlines()[0] if result.stdout else "unknown"
