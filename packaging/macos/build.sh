#!/usr/bin/env bash
# macOS: "Backup Desk.app" with PyInstaller (the spec's BUNDLE step), then a drag-to-install .dmg.
# Needs Xcode command line tools (iconutil, hdiutil) and Python 3.11. Sign and notarise with
# your Developer ID afterwards (codesign --deep --options runtime; xcrun notarytool submit).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=build/pack-venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[packaging]"
"$VENV/bin/python" packaging/render_icons.py iconset build/backupdesk.iconset
iconutil -c icns -o packaging/macos/backupdesk.icns build/backupdesk.iconset
"$VENV/bin/python" -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller \
    packaging/backupdesk.spec
"dist/Backup Desk.app/Contents/MacOS/backupdesk" --version
VERSION="$("$VENV/bin/python" -c 'import core; print(core.__version__)')"
STAGE="$(mktemp -d)"
cp -R "dist/Backup Desk.app" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Backup Desk" -srcfolder "$STAGE" -ov -format UDZO \
    "dist/backupdesk-$VERSION.dmg"
rm -rf "$STAGE"
echo "dmg: dist/backupdesk-$VERSION.dmg"
