#!/usr/bin/env bash
# One entry point for newcomers and CI.
#   ./manage.sh run    set up everything (venv, PostGIS, database, sample) and serve the app
#   ./manage.sh test   the same set-up, then the whole test suite
#   ./manage.sh setup  only the set-up
# Idempotent: a second run reuses the venv, the running cluster and the loaded sample.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=.venv

say() { printf '[manage] %s\n' "$*" >&2; }

ensure_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "python3 (>= 3.11) is required: apt-get install python3 python3-venv"; exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "Python >= 3.11 is required, found $("$PYTHON" --version)"; exit 1
  fi
  if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing python3-venv"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    else
      say "the venv module is missing: sudo apt-get install python3-venv"; exit 1
    fi
  fi
}

ensure_venv() {
  ensure_python
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  local stamp
  stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing Python dependencies"
    if ! { "$VENV/bin/python" -m pip install --upgrade pip \
           && "$VENV/bin/python" -m pip install -e '.[dev]'; } >"$VENV/pip.log" 2>&1; then
      tail -40 "$VENV/pip.log" >&2; say "pip install failed (full log: $VENV/pip.log)"; exit 1
    fi
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

cmd="${1:-run}"
shift || true
case "$cmd" in
  run)
    ensure_venv
    "$VENV/bin/gis-service" setup
    exec "$VENV/bin/gis-service" serve "$@"
    ;;
  test)
    ensure_venv
    "$VENV/bin/gis-service" setup --no-sample
    # the map tests drive Debian's headless Chromium (CJK fonts for the screenshots)
    if [ ! -x /usr/bin/chromium ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing chromium and fonts-noto-cjk (browser tests of the maps)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq chromium fonts-noto-cjk; } >/dev/null \
          || say "chromium could not be installed: the browser tests will be skipped"
      else
        say "browser tests need: sudo apt-get install chromium fonts-noto-cjk"
      fi
    fi
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  setup)
    ensure_venv
    exec "$VENV/bin/gis-service" setup "$@"
    ;;
  *)
    echo "usage: ./manage.sh run|test|setup [args]" >&2; exit 64
    ;;
esac
