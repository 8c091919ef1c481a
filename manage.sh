#!/usr/bin/env bash
# One entry point for newcomers and CI.
#   ./manage.sh run    set up everything (venv, PostGIS, database, sample) and serve the app
#   ./manage.sh test   the same set-up, then the whole test suite
#   ./manage.sh setup  only the set-up
#   ./manage.sh lock   re-pin constraints.txt (newest versions within pyproject.toml's ranges)
#   ./manage.sh audit  pip-audit of the pinned versions (needs the network)
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
  stamp="$VENV/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing Python dependencies (versions pinned by constraints.txt)"
    if ! { "$VENV/bin/python" -m pip install --upgrade pip \
           && "$VENV/bin/python" -m pip install -c constraints.txt -e '.[dev]'; } \
         >"$VENV/pip.log" 2>&1; then
      tail -40 "$VENV/pip.log" >&2; say "pip install failed (full log: $VENV/pip.log)"; exit 1
    fi
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

# Started as root, the server runs as the dedicated system user gis-service (the database
# cluster already runs as postgres): a flaw in the web service then cannot touch the
# machine. It only reads the checkout; it needs no write access anywhere.
SERVICE_USER="${GIS_SERVICE_USER:-gis-service}"
serve_unprivileged() {
  if [ "$(id -u)" != 0 ]; then
    exec "$VENV/bin/gis-service" serve "$@"
  fi
  if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    say "creating the system user $SERVICE_USER for the server"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$SERVICE_USER"
  fi
  if runuser -u "$SERVICE_USER" -- test -r pyproject.toml -a -x "$VENV/bin/python"; then
    say "serving as the unprivileged user $SERVICE_USER"
    exec runuser -u "$SERVICE_USER" -- "$VENV/bin/gis-service" serve "$@"
  fi
  say "WARNING: $SERVICE_USER cannot read $(pwd) or run $(readlink -f "$VENV/bin/python")"
  say "(a private parent folder such as /root): the server runs as ROOT. Move the checkout,"
  say "or build the venv from a system Python (PYTHON=/usr/bin/python3), to avoid this."
  exec "$VENV/bin/gis-service" serve "$@"
}

cmd="${1:-run}"
shift || true
case "$cmd" in
  run)
    ensure_venv
    "$VENV/bin/gis-service" setup
    serve_unprivileged "$@"
    ;;
  test)
    ensure_venv
    "$VENV/bin/gis-service" setup --no-sample
    # the map tests drive Debian's headless Chromium (CJK fonts for the screenshots); the
    # printed map's PDF is read back with poppler's pdftotext
    if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing chromium, fonts-noto-cjk and poppler-utils (browser and print tests)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq chromium fonts-noto-cjk poppler-utils; } >/dev/null \
          || say "chromium could not be installed: the browser tests will be skipped"
      else
        say "browser and print tests need: sudo apt-get install chromium fonts-noto-cjk poppler-utils"
      fi
    fi
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  setup)
    ensure_venv
    exec "$VENV/bin/gis-service" setup "$@"
    ;;
  lock)
    # newest versions pyproject.toml's ranges allow, resolved in a scratch venv, pinned
    ensure_python
    rm -rf .venv-lock && "$PYTHON" -m venv .venv-lock
    .venv-lock/bin/python -m pip install -q --upgrade pip
    .venv-lock/bin/python -m pip install -q -e '.[dev]'
    { sed -n '1,/^[^#]/{/^#/p}' constraints.txt
      .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^gis-service'; } \
      > constraints.txt.new
    mv constraints.txt.new constraints.txt && rm -rf .venv-lock
    say "constraints.txt updated: review the diff, run ./manage.sh test, commit"
    ;;
  audit)
    # known vulnerabilities of the pinned versions (needs the network: PyPI's advisories)
    ensure_venv
    "$VENV/bin/python" -m pip install -q pip-audit
    exec "$VENV/bin/pip-audit" --strict -r constraints.txt "$@"
    ;;
  *)
    echo "usage: ./manage.sh run|test|setup|lock|audit [args]" >&2; exit 64
    ;;
esac
