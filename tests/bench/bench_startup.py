"""Start to first painted main window, and idle memory, against a bare PySide6 QMainWindow.

    python -m tests.bench.bench_startup [--runs 15]

Both are measured the same way in the same run: wall time from spawning the process to the
window's first paint event (offscreen), median of N alternating runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = r"""
import sys, time, json
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication(sys.argv[:1])
class W(QMainWindow):
    done = False
    def paintEvent(self, e):
        super().paintEvent(e)
        if not self.done:
            self.done = True
            t = time.time()
            def report():
                status = open('/proc/self/status').read().splitlines()
                rss = [int(l.split()[1]) for l in status if l.startswith('VmRSS')][0]
                print(json.dumps({"first_paint": t, "rss_kib": rss}), flush=True)
                app.quit()
            QTimer.singleShot(1000, report)
w = W(); w.resize(1280, 800); w.setWindowTitle("bare"); w.show()
app.exec()
"""


def spawn(args: list[str], env: dict[str, str]) -> dict[str, float]:
    t0 = time.time()
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                         check=True, timeout=60).stdout
    marks = json.loads(out.strip().splitlines()[-1])
    out = {"paint_ms": (marks["first_paint"] - t0) * 1000, "rss_mib": marks["rss_kib"] / 1024}
    if "history_loaded" in marks:
        out["rows_ms"] = (marks["history_loaded"] - t0) * 1000
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--home", help="use this home (e.g. one with a million jobs)")
    a = p.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    home = a.home or tempfile.mkdtemp(prefix="bd-bench-home-")
    ours_args = ["-m", "core", "--home", home, "gui", "--exit-after-start"]
    spawn(ours_args, env)  # warm caches, create the catalogue
    spawn(["-c", BARE], env)
    bare, ours = [], []
    for _ in range(a.runs):
        bare.append(spawn(["-c", BARE], env))
        ours.append(spawn(ours_args, env))

    def med(rows: list[dict[str, float]], k: str) -> float:
        return statistics.median(r[k] for r in rows)

    b_ms, o_ms = med(bare, "paint_ms"), med(ours, "paint_ms")
    b_rss, o_rss = med(bare, "rss_mib"), med(ours, "rss_mib")
    print(f"first paint, median of {a.runs}: bare QMainWindow {b_ms:.0f} ms, "
          f"Backup Desk {o_ms:.0f} ms (ratio {o_ms / b_ms:.2f}; target <= 150 ms)")
    if all("rows_ms" in r for r in ours):
        print(f"history rows on screen after start, median: {med(ours, 'rows_ms'):.0f} ms "
              "(the catalogue opens after the first paint)")
    print(f"idle RSS: bare {b_rss:.0f} MiB, Backup Desk {o_rss:.0f} MiB (target <= 90 MiB)")


if __name__ == "__main__":
    main()
