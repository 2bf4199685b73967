#!/usr/bin/env bash
# Wrap a one-folder bundle into a .deb: /opt/backupdesk, /usr/bin/backupdesk, desktop entry, icon,
# the background service's systemd user unit and XDG autostart entry (the app enables the unit
# per user on its first run; dpkg removes both files with the package).
# Usage: packaging/deb/build-deb.sh BUNDLE_DIR OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUNDLE="$(cd "$1" && pwd)"
OUT="$(mkdir -p "$2" && cd "$2" && pwd)"
VERSION="$("$BUNDLE/backupdesk" --version | awk '{print $2}')"
ARCH="$(dpkg --print-architecture)"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
install -d "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/doc/backupdesk" \
    "$STAGE/usr/lib/systemd/user" "$STAGE/etc/xdg/autostart"
cp -a "$BUNDLE" "$STAGE/opt/backupdesk"
install -m 0755 "$HERE/backupdesk.sh" "$STAGE/usr/bin/backupdesk"
install -m 0644 "$ROOT/resources/backupdesk.desktop" "$STAGE/usr/share/applications/"
install -m 0644 "$ROOT/resources/icons/backupdesk.svg" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps/backupdesk.svg"
sed 's|@BACKUPDESK@|/usr/bin/backupdesk|g' "$ROOT/resources/service/backupdesk.service" \
    > "$STAGE/usr/lib/systemd/user/backupdesk.service"
sed 's|@BACKUPDESK@|/usr/bin/backupdesk|g' "$ROOT/resources/service/backupdesk-service.desktop" \
    > "$STAGE/etc/xdg/autostart/backupdesk-service.desktop"
chmod 0644 "$STAGE/usr/lib/systemd/user/backupdesk.service" \
    "$STAGE/etc/xdg/autostart/backupdesk-service.desktop"
install -m 0755 "$HERE/prerm" "$STAGE/DEBIAN/prerm"
printf 'Backup Desk %s\nLicense: GPL-3.0-or-later\n' "$VERSION" \
    > "$STAGE/usr/share/doc/backupdesk/copyright"
install -m 0755 "$HERE/postinst" "$STAGE/DEBIAN/postinst"
install -m 0755 "$HERE/postrm" "$STAGE/DEBIAN/postrm"
SIZE="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" \
    "$HERE/control.in" > "$STAGE/DEBIAN/control"
find "$STAGE" -type d -exec chmod 0755 {} +
DEB="$OUT/backupdesk_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "deb: $DEB ($(du -h "$DEB" | cut -f1))"
