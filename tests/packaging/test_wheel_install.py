"""The built wheel, installed into a fresh venv outside the checkout, carries resources/: its
icons, tray icons and palettes are found through importlib.resources, every pane renders in
light and in dark without a fallback icon, and `service install` writes units for it.

To keep CI time small the fresh venv borrows the test venv's third-party packages through a
.pth line (no Qt download); Backup Desk itself comes only from the wheel: a .pth line adds a
folder to sys.path but runs none of the .pth files in it, so the test venv's editable install
of the checkout is not seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r'''
import json, os, sys
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import core, gui.icons, gui.resources
from core.config import AppConfig
from core.cli.screenshot_cmd import PANES
from gui.screenshot import render_pane
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

fallbacks = []
drawn = gui.icons.drawn_state_icon
gui.icons.drawn_state_icon = lambda *a, **k: (fallbacks.append(a), drawn(*a, **k))[1]
home, out = Path(sys.argv[1]), Path(sys.argv[2])
cfg = AppConfig.resolve(str(home))
result = {"core": core.__file__, "resources": str(gui.resources.resource_dir()),
          "themes": {}}
for theme in ("light", "dark"):
    os.environ["BACKUPDESK_THEME"] = theme
    shades = {}
    for pane in PANES:
        png = out / f"{pane}-{theme}.png"
        render_pane(cfg, pane, png, (1000, 680))
        img = QImage(str(png))
        shades[pane] = img.pixelColor(img.width() - 5, img.height() // 2).lightness()
    app = QApplication.instance()
    gui.icons.app_icon.cache_clear()
    gui.icons.state_icon.cache_clear()
    icons = [gui.icons.app_icon()] + [gui.icons.state_icon(s) for s in gui.icons.STATES]
    result["themes"][theme] = {"window": app.palette().window().color().lightness(),
                               "panes": shades, "icons": sum(not i.isNull() for i in icons)}
result["fallbacks"] = len(fallbacks)
print(json.dumps(result))
'''


def _copy_checkout(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file() and not name.startswith(("tests/", "docs/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src, wheels, venv = tmp / "src", tmp / "wheels", tmp / "venv"
    _copy_checkout(src)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(src)], check=True,
                   cwd=tmp, timeout=600)
    [wheel] = wheels.glob("backupdesk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for packaged in ("backupdesk_resources/styles/dark.json",
                     "backupdesk_resources/icons/tray-error.svg",
                     "backupdesk_resources/service/backupdesk.service"):
        assert packaged in names
    for c_part in ("core/engines/archive/_fastpack", "core/findex/_fastdiff"):
        assert any(n.startswith(c_part) and n.endswith(".so") for n in names), c_part
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # the wheel first: pip must not see (and uninstall) the test venv's editable install
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"),
                    "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   cwd=tmp, timeout=300)
    site = Path(subprocess.run([str(venv / "bin/python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "borrowed-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_every_pane_renders_light_and_dark_from_the_installed_wheel(
        installed: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    shots = tmp_path / "shots"
    shots.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BACKUPDESK_HOME")}
    r = subprocess.run([str(installed / "bin/python"), str(probe), str(tmp_path / "home"),
                        str(shots)], capture_output=True, text=True, cwd=tmp_path, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["core"].startswith(str(installed)), got["core"]
    assert got["resources"].startswith(str(installed)), got["resources"]
    assert got["fallbacks"] == 0
    light, dark = got["themes"]["light"], got["themes"]["dark"]
    assert light["icons"] == dark["icons"] == 6
    assert light["window"] > 180 and dark["window"] < 80
    assert all(v > 180 for v in light["panes"].values()), light["panes"]
    assert all(v < 80 for v in dark["panes"].values()), dark["panes"]
    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"{pane}-{theme}.png" for pane in light["panes"] for theme in ("light", "dark"))


def test_the_installed_command_installs_its_service_units(installed: Path,
                                                          tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "BACKUPDESK_HOME": str(tmp_path / "home")}
    env.pop("PYTHONPATH", None)
    exe = installed / "bin/backupdesk"
    r = subprocess.run([str(exe), "service", "install"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    unit = (tmp_path / "config/systemd/user/backupdesk.service").read_text()
    assert f"ExecStart={exe} service run" in unit
    auto = (tmp_path / "config/autostart/backupdesk-service.desktop").read_text()
    assert f"Exec={exe} service run --autostart" in auto
    r = subprocess.run([str(exe), "service", "uninstall"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "config/systemd/user/backupdesk.service").exists()
    assert list((tmp_path / "config/autostart").iterdir()) == []
