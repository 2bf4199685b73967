"""The built bundle and .deb (skipped unless packaging/ci-smoke.sh built them)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from core import __version__

ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def run(exe: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout)


def test_version(bundle: Path) -> None:
    assert run(bundle, "--version").stdout.strip() == f"backupdesk {__version__}"


def test_headless_start_migrates_and_paints(bundle: Path, tmp_path: Path) -> None:
    done = run(bundle, "--home", str(tmp_path / "h"), "gui", "--exit-after-start")
    assert done.returncode == 0, done.stderr
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    assert marks["first_paint"] <= marks["catalogue_ready"] <= marks["idle"]
    assert (tmp_path / "h" / "data" / "catalogue.sqlite3").stat().st_size > 0


def test_screenshot_from_the_bundle(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.png"
    done = run(bundle, "--home", str(tmp_path / "h"), "screenshot", "--pane", "history",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lean_bundle(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    names = {p.name for p in internal.rglob("*")}
    for unwanted in ("libQt6Quick.so.6", "libQt6Qml.so.6", "libQt6Pdf.so.6", "QtQml.abi3.so",
                     "libqgtk3.so", "libqeglfs.so", "tkinter"):
        assert unwanted not in names
    for wanted in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so", "QtSvg.abi3.so",
                   "QtNetwork.abi3.so", "script.py.mako", "tray-ok.svg", "light.json"):
        assert wanted in names


def test_deb_contents(deb: Path) -> None:
    info = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True,
                          check=True).stdout
    fields = dict(line.split(": ", 1) for line in info.splitlines() if ": " in line)
    assert fields["Package"] == "backupdesk"
    assert fields["Version"] == __version__
    assert "borgbackup" in fields["Recommends"]
    assert "libwayland-cursor0" in fields["Depends"] and "libegl1" in fields["Depends"]
    files = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                           check=True).stdout
    for path in ("./opt/backupdesk/backupdesk", "./usr/bin/backupdesk",
                 "./usr/share/applications/backupdesk.desktop",
                 "./usr/share/icons/hicolor/scalable/apps/backupdesk.svg",
                 "./opt/backupdesk/_internal/core/catalogue/migrations/script.py.mako",
                 "./opt/backupdesk/_internal/backupdesk_resources/styles/dark.json",
                 "./usr/lib/systemd/user/backupdesk.service",
                 "./etc/xdg/autostart/backupdesk-service.desktop"):
        assert f" {path}" in files or files.find(path) >= 0, path
