"""Issue 16, the History pane in the real main window as jobs arrive from a terminal."""

from __future__ import annotations

from tests.gui.backups.person import open_pane, shot
from tests.gui.history.conftest import cli


def test_count_and_empty_state_follow_live_jobs(qtbot, watched_window, home, docs_plan,
                                                tmp_path):
    """Defect 4: "0 jobs" beside rows and "No jobs yet" stayed until a filter changed."""
    pane = open_pane(qtbot, watched_window, "History")
    qtbot.waitUntil(lambda: pane.count_label.text() == "0 jobs", timeout=10000)
    assert pane.empty.isVisible() and "No jobs yet" in pane.empty.text()
    for n in (1, 2):
        done = cli(home, "run", "docs")
        assert done.returncode == 0, done.stderr
        qtbot.waitUntil(lambda n=n: pane.model.rowCount() == n, timeout=20000)
        want = "1 job" if n == 1 else "2 jobs"
        qtbot.waitUntil(lambda want=want: pane.count_label.text() == want, timeout=10000)
        assert not pane.empty.isVisible()
    shot(watched_window, tmp_path / "history.png")


def test_banner_names_a_damaged_copy_of_the_latest_backup(qtbot, watched_window, home,
                                                          tmp_path):
    """Defect 5: the banner stayed green while a copy of the latest backup was corrupt."""
    from tests.gui.backups.person import colour_at

    src = tmp_path / "Documents"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n" * 1000)
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    assert cli(home, "plan", "add", "docs", "--engine", "archive", "--source", str(src),
               "--dest", str(d1), "--dest", str(d2)).returncode == 0
    assert cli(home, "run", "docs").returncode == 0
    pane = open_pane(qtbot, watched_window, "History")
    qtbot.waitUntil(lambda: pane.banner.property("level") == "ok", timeout=10000)
    for f in d2.rglob("*.zst"):  # one byte flipped: same size, wrong SHA-256
        data = bytearray(f.read_bytes())
        data[len(data) // 2] ^= 0xFF
        f.write_bytes(bytes(data))
    assert cli(home, "verify", "--all").returncode != 0
    qtbot.waitUntil(lambda: pane.banner.property("level") == "warning", timeout=20000)
    text = pane.banner.text()
    assert "docs" in text and str(d2) in text and "corrupt" in text, text
    image = shot(watched_window, tmp_path / "history-warning.png")
    assert colour_at(watched_window, image, pane.banner).name() == "#fff7e0"  # yellow chip
    for f in d1.rglob("*.zst"):
        f.unlink()
    assert cli(home, "verify", "--all").returncode != 0
    qtbot.waitUntil(lambda: pane.banner.property("level") == "error", timeout=20000)
    assert "missing at " + str(d1) in pane.banner.text(), pane.banner.text()
    image = shot(watched_window, tmp_path / "history-error.png")
    assert colour_at(watched_window, image, pane.banner).name() == "#fde8e8"  # red chip


WRITER = """
import sys, time
from core.catalogue import open_catalogue
from core.catalogue.jobs import finish_job, heartbeat, start_job
from core.config import AppConfig
cat = open_catalogue(AppConfig.resolve(sys.argv[1]).catalogue_url)
jid = start_job(cat, engine="archive", kind="backup", trigger="cli", plan_name="big")
for i in range(1, 400):
    heartbeat(cat, jid, phase="archiving", bytes=i * 3 * 2**20, files=i)
    if open(sys.argv[2]).read() == "stop":
        break
    time.sleep(0.05)
finish_job(cat, jid, "success", bytes=i * 3 * 2**20, files=i)
"""


def test_a_terminal_run_shows_its_progress_in_the_window(qtbot, watched_window, home,
                                                         tmp_path):
    """Defect 9: a `backupdesk run` from a terminal showed only "running" in the window.
    A real backup here ends within a second, before a heartbeat; so another process writes
    the heartbeats as the runner does (core.catalogue.jobs), for as long as the test needs."""
    import subprocess
    import sys

    pane = open_pane(qtbot, watched_window, "Backups")
    flag = tmp_path / "flag"
    flag.write_text("")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(home), str(flag)])
    try:
        qtbot.waitUntil(lambda: any("MiB" in r.label.text()
                                    for r in pane.run_bar.others.values()), timeout=30000)
        row = next(iter(pane.run_bar.others.values()))
        text = row.label.text()
        assert "big" in text and "Archiving" in text and " file" in text, text
        assert "elapsed" in text and "from cli" in text, text
        assert not row.cancel_button.isVisible()
        shot(watched_window, tmp_path / "backups-running.png")
    finally:
        flag.write_text("stop")
        assert proc.wait(timeout=60) == 0
    qtbot.waitUntil(lambda: not pane.run_bar.others, timeout=20000)
