"""Render resources/icons/backupdesk.svg for the platform installers.

    python packaging/render_icons.py ico  packaging/windows/backupdesk.ico
    python packaging/render_icons.py iconset build/backupdesk.iconset   (then: iconutil -c icns)
    python packaging/render_icons.py png  build/icons                    (hicolor PNG sizes)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "backupdesk.svg"


def render(size: int):  # -> QImage
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    QSvgRenderer(str(SVG)).render(p)
    p.end()
    return img


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication([])
    kind, out = sys.argv[1], Path(sys.argv[2])
    if kind == "ico":
        out.parent.mkdir(parents=True, exist_ok=True)
        if not render(256).save(str(out), "ICO"):
            sys.exit(f"cannot write {out} (needs Qt's ico image plugin)")
    elif kind == "iconset":
        out.mkdir(parents=True, exist_ok=True)
        for size in (16, 32, 128, 256, 512):
            render(size).save(str(out / f"icon_{size}x{size}.png"))
            render(size * 2).save(str(out / f"icon_{size}x{size}@2x.png"))
    elif kind == "png":
        for size in (16, 22, 24, 32, 48, 64, 128, 256):
            d = out / f"{size}x{size}" / "apps"
            d.mkdir(parents=True, exist_ok=True)
            render(size).save(str(d / "backupdesk.png"))
    else:
        sys.exit("usage: render_icons.py ico|iconset|png OUT")


if __name__ == "__main__":
    main()
