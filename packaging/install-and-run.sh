#!/usr/bin/env bash
# Install Backup Desk for the current user (Debian 12) and launch it on its embedded defaults:
# a venv in ~/.local/share/backupdesk/venv, the command in ~/.local/bin, the menu entry and
# icon, the background service's systemd user unit and autostart entry (enabled by the app on
# its first run, after the welcome).
#   packaging/install-and-run.sh [ARGS FOR backupdesk...]
#   packaging/install-and-run.sh --uninstall     # remove all of it (your backups and plans stay)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
VENV="$DATA/backupdesk/venv"
BIN="$HOME/.local/bin"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor/scalable/apps"
step() { printf '\033[1m[%s/6]\033[0m %s\n' "$1" "$2"; }

if [ "${1:-}" = "--uninstall" ]; then
    [ -x "$VENV/bin/backupdesk" ] && "$VENV/bin/backupdesk" service uninstall || true
    rm -f "$BIN/backupdesk" "$APPS/backupdesk.desktop" "$ICONS/backupdesk.svg"
    rm -rf "$VENV"
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
    echo "Backup Desk removed. Your plans, history and settings stay in ~/.local/share/backupdesk"
    echo "and ~/.config/backupdesk; your backups where you put them."
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS=(python3-venv libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
      libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0
      libxcb-image0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core zstd
      # to build the archive writer's C loop and diff's (setup.py; without them pip skips them)
      gcc libc6-dev libssl-dev libsqlite3-dev python3-dev)
step 1 "Checking system packages"
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "      installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
fi

step 2 "Creating the Python environment in $VENV"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null

step 3 "Installing Backup Desk and its libraries (Qt is the big one, about a minute)"
"$VENV/bin/python" -m pip install --progress-bar off ".[postgres]" 2>&1 \
    | grep --line-buffered -E '^(Collecting|Building|Successfully)' | sed -u 's/^/      /' || true
[ -x "$VENV/bin/backupdesk" ] || { echo "pip did not install backupdesk; run it again without the filter:"
    echo "  $VENV/bin/python -m pip install '.[postgres]'"; exit 1; }

step 4 "Putting backupdesk on your PATH ($BIN)"
mkdir -p "$BIN"
ln -sf "$VENV/bin/backupdesk" "$BIN/backupdesk"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *)  # Debian's ~/.profile adds ~/.local/bin at login only if it existed then
        if ! grep -qs 'backupdesk: ~/.local/bin' "$HOME/.bashrc"; then
            printf '\n# backupdesk: ~/.local/bin on PATH\ncase ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH" ;; esac\n' >> "$HOME/.bashrc"
        fi
        echo "      added $BIN to PATH in ~/.bashrc (new terminals)";;
esac

step 5 "Adding Backup Desk to the applications menu"
mkdir -p "$APPS" "$ICONS"
install -m 0644 resources/icons/backupdesk.svg "$ICONS/backupdesk.svg"
sed -e "s|^Exec=backupdesk|Exec=$VENV/bin/backupdesk|" -e "s|^TryExec=backupdesk|TryExec=$VENV/bin/backupdesk|" \
    resources/backupdesk.desktop > "$APPS/backupdesk.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true

step 6 "Installing the background service (systemd user unit and autostart entry)"
"$VENV/bin/backupdesk" service install | sed 's/^/      /'

echo "Installed: $BIN/backupdesk. Starting it..."
exec "$VENV/bin/backupdesk" "$@"
