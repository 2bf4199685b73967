"""Run now through the shared RunController: cancel, and a plan locked by another process."""

from __future__ import annotations

from core.catalogue.jobs import plan_lock_key, start_job
from core.plans import get_plan
from gui.panes.backups.run_bar import RunBar
from gui.run_controller import run_controller


def test_cancel_leaves_a_cancelled_job(qtbot, app_ctx, backups):
    bar = RunBar(app_ctx)
    qtbot.addWidget(bar)
    runs = run_controller(app_ctx)
    # Enough data that the run is still going when Cancel is pressed.
    big = backups["src"] / "big"
    big.mkdir()
    for i in range(300):
        (big / f"f{i}.bin").write_bytes(bytes([i % 256]) * 20_000)
    with qtbot.waitSignal(runs.finished, timeout=30000) as blocker, \
            qtbot.waitSignal(app_ctx.jobs_changed, timeout=30000):  # History refreshes
        assert runs.start("docs")
        bar.rows["docs"].cancel_button.click()
        assert "cancelling" in bar.rows["docs"].label.text()
    assert blocker.args[1].status == "cancelled"
    assert "cancelled" in bar.outcome.text() and bar.rows == {}


def test_a_plan_running_elsewhere_is_refused(qtbot, app_ctx, backups):
    cat = app_ctx.catalogue
    plan = get_plan(cat, "docs")
    start_job(cat, engine="archive", kind="backup", plan_id=plan.id, plan_name="docs",
              lock_key=plan_lock_key(plan.id))  # as another process would hold it
    bar = RunBar(app_ctx)
    qtbot.addWidget(bar)
    runs = run_controller(app_ctx)
    with qtbot.waitSignal(runs.failed, timeout=30000) as blocker:
        runs.start("docs")
    assert "already running" in blocker.args[1]
    assert "already running" in bar.outcome.text() and bar.rows == {}
    assert runs.running() == []
