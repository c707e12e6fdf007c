#!/usr/bin/env bash
# Set up everything a fresh Debian machine needs, then build the demo show or run the tests.
#   bash dev.sh demo   -> installs ffmpeg (if missing), .venv and the package; builds into feed/
#   bash dev.sh test   -> same set-up plus test tools; runs ruff, mypy and the test suite
set -euo pipefail
cd "$(dirname "$0")"
task="${1:-demo}"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "podcast needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 1
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
# The website test drives a real browser; without one it is skipped with a reason.
if [ "$task" = "test" ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium fonts-dejavu-core || echo "chromium could not be installed" >&2
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extras=""
[ "$task" = "test" ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"

case "$task" in
  demo)
    .venv/bin/podcast build .
    ;;
  test)
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy podcast
    shift || true
    .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash dev.sh demo|test [pytest arguments]" >&2
    exit 2
    ;;
esac
