#!/usr/bin/env bash
# Install everything the test suite needs (Debian packages, a virtualenv with the project and its
# test extras), then run lint, type checks and the whole suite. Usage: tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

mapfile -t PKGS < <(grep -v '^\s*#' tests/debian-packages.txt | grep -v '^\s*$')
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
VENV="${BACKUPDESK_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
echo "== installing backupdesk[test]"
"$VENV/bin/python" -m pip install -q -e ".[test]"

export QT_QPA_PLATFORM=offscreen
# The install above builds the archive writer's C loop in place (setup.py); a test fails if it
# did not, instead of the suite passing on the pure-Python fallback.
export BACKUPDESK_REQUIRE_FASTPACK=1
echo "== ruff"
"$VENV/bin/ruff" check core gui tests
echo "== mypy"
"$VENV/bin/mypy"
echo "== import contracts (.importlinter)"
"$VENV/bin/lint-imports" --no-cache
echo "== pytest"
exec "$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-auto}" -q "$@"
