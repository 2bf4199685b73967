"""The Qt binding must not lose references to None or True: a long-running app makes millions
of calls and emits (PySide6 6.12.0 aborted Python 3.11 after a few thousand)."""

import subprocess
import sys

CODE = r"""
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication([])
label = QLabel()


class Emitter(QObject):
    value = Signal(object)


e = Emitter()
e.value.connect(lambda v: None)
none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20000):
    label.setText("x")
    e.value.emit(1)
    QCoreApplication.processEvents()
print(sys.getrefcount(None) - none0, sys.getrefcount(True) - true0)
"""


def test_no_lost_references_over_many_calls_and_emits():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                       timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    d_none, d_true = (int(x) for x in r.stdout.split())
    assert abs(d_none) < 100 and abs(d_true) < 100
