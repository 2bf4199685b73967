#!/usr/bin/env bash
# Install Backup Desk for the current user (Debian 12) and launch it on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS=(python3-venv libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
      libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0
      libxcb-image0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core zstd
      # to build the archive writer's C loop (setup.py; without them pip skips it)
      gcc libc6-dev libssl-dev python3-dev)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi
VENV="${XDG_DATA_HOME:-$HOME/.local/share}/backupdesk/venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q ".[postgres]"
echo "Installed: $VENV/bin/backupdesk"
exec "$VENV/bin/backupdesk" "$@"
