"""The test command (`bash dev.sh test`) on every supported Python found on this machine.

Run it with `bash dev.sh pythons` (arguments go to nox, e.g. `-s "tests(python='3.13')"`).
Each version gets its own environment, `.venv-3.X`, installed from the pinned constraints; a
version that is not installed here is skipped, not failed.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

SUPPORTED = os.environ.get("SUPPORTED_PYTHONS", "3.11 3.12 3.13").split()
nox.options.error_on_missing_interpreters = False


def find_interpreter(version: str) -> str | None:
    """A working `python3.X`: on PATH, or under pyenv (whose shims refuse versions that are
    installed but not selected)."""
    candidates = [shutil.which(f"python{version}") or ""]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@nox.session(python=False)
@nox.parametrize("python", SUPPORTED)
def tests(session: nox.Session, python: str) -> None:
    """ruff, mypy and the whole suite, exactly as CI runs them, on one Python version."""
    interpreter = find_interpreter(python)
    if interpreter is None:
        session.skip(f"Python {python} is not installed on this machine")
    session.run(
        "bash",
        "dev.sh",
        "test",
        *session.posargs,
        env={"PYTHON": interpreter, "VENV": f".venv-{python}"},
        external=True,
    )
