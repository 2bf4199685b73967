import subprocess
import sys

from PySide6.QtGui import QImage

from gui.panes import PANES
from gui.widgets import EmptyState


def test_navigation_builds_each_pane_once(qtbot, window):
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "History", "Backups", "Devices", "Settings"]
    for spec in PANES:
        pane = window.show_pane(spec.key)
        assert window.stack.currentWidget() is pane
        assert window.show_pane(spec.key) is pane
    backups = window.pane("backups")
    assert backups.findChildren(EmptyState)  # honest empty state until the engines land


def test_screenshot_command_writes_the_requested_size(home, catalogue, tmp_path):
    out = tmp_path / "h.png"
    r = subprocess.run([sys.executable, "-m", "core", "screenshot", "--pane", "history",
                        "--out", str(out), "--size", "900x600"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    img = QImage(str(out))
    assert (img.width(), img.height()) == (900, 600)
    # not a blank image: the window drew several colours
    colours = {img.pixel(x, y) for x in range(0, 900, 37) for y in range(0, 600, 23)}
    assert len(colours) > 5


def test_screenshot_rejects_bad_size(home):
    r = subprocess.run([sys.executable, "-m", "core", "screenshot", "--pane", "history",
                        "--out", "/tmp/x.png", "--size", "big"], capture_output=True, text=True)
    assert r.returncode == 2 and "--size must look like 1280x800" in r.stderr
