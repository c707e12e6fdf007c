#!/usr/bin/env bash
# Set up everything a fresh Debian machine needs, then build the demo show or run the tests.
#   bash dev.sh demo     -> installs ffmpeg (if missing), .venv and the package; builds into feed/
#   bash dev.sh test     -> same set-up plus test tools; runs ruff, mypy and the test suite
#   bash dev.sh pythons  -> the test command on every supported Python found here (nox)
#   bash dev.sh lock     -> refresh requirements/constraints.txt (uv) from pyproject.toml
# Libraries and tools are installed at the versions pinned in requirements/constraints.txt.
# PYTHON=/path/to/python3.13 picks the interpreter; its environment is then .venv-3.13
# (VENV=folder overrides that).
set -euo pipefail
cd "$(dirname "$0")"
task="${1:-demo}"
shift || true
constraints="requirements/constraints.txt"
supported="3.11 3.12 3.13"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "podcast needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
venv="${VENV:-.venv}"
[ -n "${PYTHON:-}" ] && [ -z "${VENV:-}" ] && venv=".venv-$version"
# A venv made by another Python (say, after the machine's python3 changed) is made again.
if [ -x "$venv/bin/python" ] &&
  [ "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$version" ]; then
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
  # The publish tests talk to real servers on loopback: sshd with rsync, rclone.
  command -v rsync >/dev/null 2>&1 || missing="$missing rsync"
  command -v rclone >/dev/null 2>&1 || missing="$missing rclone"
  command -v ssh >/dev/null 2>&1 || missing="$missing openssh-client"
  [ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
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
  test)
    pip_install -e ".[test]"
    "$venv/bin/ruff" check .
    "$venv/bin/ruff" format --check .
    "$venv/bin/mypy" podcast
    "$venv/bin/python" -m pytest "$@"
    ;;
  pythons)
    pip_install -e ".[dev]"
    SUPPORTED_PYTHONS="$supported" "$venv/bin/nox" -f noxfile.py "$@"
    ;;
  lock)
    pip_install -e ".[dev]"
    "$venv/bin/uv" pip compile pyproject.toml --universal --python-version 3.11 \
      --extra test --extra bench --extra dev \
      --custom-compile-command "bash dev.sh lock" -o "$constraints" "$@"
    ;;
  *)
    echo "usage: bash dev.sh demo|test|pythons|lock [arguments for pytest, nox or uv]" >&2
    exit 2
    ;;
esac
