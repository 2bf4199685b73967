#!/usr/bin/env bash
# Build the one-folder bundle (dist/backupdesk/) and the Debian package (dist/backupdesk_*.deb).
# Usage: packaging/build.sh [--bundle-only]
# Env: PYTHON (default python3), BACKUPDESK_PACK_VENV (default build/pack-venv; reused if present)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

PY="${PYTHON:-python3}"
VENV="${BACKUPDESK_PACK_VENV:-build/pack-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
echo "== installing backupdesk[packaging,postgres] into $VENV"
"$VENV/bin/python" -m pip install -q -e ".[packaging,postgres]"

echo "== building the bundle"
rm -rf dist/backupdesk
"$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN --distpath dist \
    --workpath build/pyinstaller packaging/backupdesk.spec
echo "bundle: dist/backupdesk ($(du -sh dist/backupdesk | cut -f1))"

[ "${1:-}" = "--bundle-only" ] && exit 0
bash packaging/deb/build-deb.sh "$ROOT/dist/backupdesk" "$ROOT/dist"
