import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from gui.panes import PANES
from gui.widgets import EmptyState


def test_navigation_builds_each_pane_once(qtbot, window):
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "History", "Backups", "Files", "Devices", "Settings"]
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


# -- what people expect of a desktop app: menus, shortcuts, About, the plan editor's buttons ---

def _answer(qtbot, button_text: str) -> list[str]:
    """Answer the next modal dialog as a person would: read it, click the button."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, answer)
    return seen


def test_menu_bar_and_pane_shortcuts(qtbot, window):
    bar = window.menuBar()
    assert [a.text() for a in bar.actions()] == ["&File", "&View", "&Plan", "&Help"]
    for i, key in enumerate(("history", "backups", "files", "devices", "settings")):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{i + 1}"),
                       Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda k=key: window.stack.currentWidget() is window.pane(k))
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    history = window.pane("history")
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: history.filters.text.hasFocus())


def test_about_says_version_catalogue_and_licence(qtbot, window):
    from PySide6.QtWidgets import QMessageBox

    from core import __version__

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    about = next(a for a in help_menu.actions() if "About" in a.text())
    about.trigger()
    box = window.findChild(QMessageBox, "about")
    qtbot.waitExposed(box)
    text = box.text()
    assert __version__ in text and window.ctx.config.catalogue_url in text
    assert "GPL-3.0-or-later" in text
    qtbot.mouseClick(box.buttons()[0], Qt.MouseButton.LeftButton)
    from gui.main_window import user_guide

    assert user_guide() is not None and "# Backup Desk" in user_guide().read_text()


def test_new_plan_by_keyboard_save_in_sight_schedule_as_written(qtbot, window, tmp_path,
                                                                 monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from tests.gui.settings.clicks import click, type_into

    src = tmp_path / "src"
    src.mkdir()
    window.resize(1000, 560)  # a small screen: the form is taller than the window
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    settings = window.pane("settings")
    ed = settings.editor
    qtbot.waitUntil(lambda: ed.name.hasFocus())
    qtbot.keyClicks(ed.name, "papers")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(src)))  # the folder chooser's answer
    add_folder = next(b for b in ed.sources.findChildren(type(ed.save_button))
                      if b.text() == "Add folder…")
    click(qtbot, add_folder)
    assert ed.sources.list.hasFocus() and ed.sources.list.currentItem().text() == str(src)
    click(qtbot, ed.archive.destinations.add_button)
    row = ed.archive.destinations.rows[-1]
    assert row.edit.hasFocus()  # focus on the newly added row
    qtbot.keyClicks(row.edit, str(tmp_path / "dest"))
    type_into(qtbot, ed.schedule.edit, "weekly on mon at 04:00")
    # Save and Cancel are on screen without scrolling.
    for b in (ed.save_button, ed.cancel_button):
        assert b.isVisible() and not b.visibleRegion().isEmpty()
    qtbot.waitUntil(lambda: ed.archive.destinations.all_ok(), timeout=10000)
    with qtbot.waitSignal(ed.saved, timeout=20000):
        click(qtbot, ed.save_button)
    assert ed.schedule.text() == "weekly on mon at 04:00"  # kept as written, not "0 4 * * 1"
    # Delete asks first; No keeps the plan.
    qtbot.waitUntil(lambda: settings.plans.current_name() == "papers", timeout=10000)
    settings.plans.list.setFocus()
    seen = _answer(qtbot, "No")
    qtbot.keyClick(settings.plans.list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert "papers" in seen[0]
    assert [p["name"] for p in settings.plans.plans] == ["papers"]


def test_screenshot_in_dark_and_light(home, catalogue, tmp_path):
    """`screenshot --theme`: the window really is dark or light (pixels, not settings)."""
    shades = {}
    for theme in ("dark", "light"):
        out = tmp_path / f"s-{theme}.png"
        r = subprocess.run([sys.executable, "-m", "core", "screenshot", "--pane", "settings",
                            "--theme", theme, "--out", str(out), "--size", "900x600"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        img = QImage(str(out))
        shades[theme] = img.pixelColor(80, 400).lightness()  # the navigation's background
    assert shades["dark"] < 80 < 200 < shades["light"]


def test_meaningful_colours_follow_the_palette(qapp):
    from PySide6.QtGui import QColor, QPalette

    from gui import theme
    from gui.panes.devices.tile import tile_colour
    from gui.style import TRIGGER_COLOURS

    old = qapp.palette()
    try:
        dark = QPalette()
        dark.setColor(QPalette.ColorRole.Window, QColor("#202326"))
        qapp.setPalette(dark)
        assert theme.is_dark()
        dark_bg, dark_fg = theme.COLOURS["chip_cli_bg"][1], theme.COLOURS["chip_cli_fg"][1]
        assert TRIGGER_COLOURS["cli"] == (dark_bg, dark_fg)
        assert QColor(theme.colour("banner_warning_bg")).lightness() < 80
        assert tile_colour("offline", False).lightness() > QColor("#202326").lightness() + 20
    finally:
        qapp.setPalette(old)
    assert not theme.is_dark() and QColor(theme.colour("banner_warning_bg")).lightness() > 200
