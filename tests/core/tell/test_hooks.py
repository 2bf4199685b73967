"""Hooks run as real shell commands around a real `backupdesk run`."""

from __future__ import annotations

import json

from core.tell import hooks
from tests.core.tell.conftest import docs_plan, history, job_log

TOLD = {"BACKUPDESK_BACKUP_ID", "BACKUPDESK_ERROR", "BACKUPDESK_JOB_ID", "BACKUPDESK_JOB_KIND",
        "BACKUPDESK_PLAN", "BACKUPDESK_STATUS"}


def test_a_before_hook_that_exits_3_stops_the_run_as_failed(cli, home, tmp_path):
    docs_plan(cli, tmp_path, "--before", "echo checking the mount; exit 3")
    r = cli("run", "docs", check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == "backupdesk: The before hook exited with code 3."
    (job,) = history(cli)
    assert job["status"] == "failed" and job["error"] == "The before hook exited with code 3."
    text = job_log(home, job["id"])
    assert "before hook output: checking the mount" in text
    assert json.loads(cli("backups", "--json").stdout) == []  # nothing was backed up
    assert not list((tmp_path / "d0").glob("*/*"))  # no artifact under any name


def test_after_hook_gets_the_job_in_its_environment_once_per_job(cli, home, tmp_path):
    out = tmp_path / "env.txt"
    docs_plan(cli, tmp_path, "--after",
          f"env | grep ^BACKUPDESK_ | sort >> {out}; echo --- >> {out}",
          "--on-failure", f"echo failed >> {tmp_path / 'failed.txt'}", dests=2)
    cli("run", "docs")
    (job,) = history(cli)
    (backup,) = json.loads(cli("backups", "--json").stdout)
    lines = out.read_text().splitlines()
    env = {k: v for k, _, v in (ln.partition("=") for ln in lines) if k in TOLD}
    assert out.read_text().count("---") == 1  # once per job, not per destination
    assert env == {"BACKUPDESK_BACKUP_ID": str(backup["id"]), "BACKUPDESK_ERROR": "",
                   "BACKUPDESK_JOB_ID": str(job["id"]), "BACKUPDESK_JOB_KIND": "backup",
                   "BACKUPDESK_PLAN": "docs", "BACKUPDESK_STATUS": "success"}
    assert not (tmp_path / "failed.txt").exists()
    assert "The after hook exited with code 0." in job_log(home, job["id"])


def test_on_failure_hook_runs_when_the_job_failed(cli, home, tmp_path):
    marker = tmp_path / "failed.txt"
    docs_plan(cli, tmp_path, "--before", "exit 1",
          "--on-failure", f'echo "$BACKUPDESK_STATUS $BACKUPDESK_ERROR" > {marker}')
    assert cli("run", "docs", check=False).returncode == 1
    assert marker.read_text().strip() == "failed The before hook exited with code 1."


def test_a_before_hook_past_its_timeout_is_killed_and_stops_the_job(cli, home, tmp_path):
    docs_plan(cli, tmp_path, "--before", "echo waiting; sleep 60", "--hook-timeout", "1s")
    r = cli("run", "docs", check=False)
    assert r.returncode == 1 and "ran longer than 1 s and was stopped" in r.stderr
    (job,) = history(cli)
    assert job["status"] == "failed"
    assert "before hook output: waiting" in job_log(home, job["id"])


def test_plan_edit_sets_and_removes_hooks(cli, tmp_path):
    docs_plan(cli, tmp_path, "--before", "true")
    cli("plan", "edit", "docs", "--before", "", "--after", "echo done", "--hook-timeout", "2m")
    opts = json.loads(cli("plan", "show", "docs", "--json").stdout)["options"]
    assert "before" not in opts and opts["after"] == "echo done" and opts["hook_timeout"] == 120


def test_a_bad_hook_timeout_is_one_clear_line(cli, tmp_path):
    r = docs_plan(cli, tmp_path, "--hook-timeout", "soon", check=False)
    assert r.returncode == 1
    assert r.stderr == "backupdesk: Invalid duration 'soon': use e.g. 90s, 10m or 2h.\n"
    assert json.loads(cli("plan", "list", "--json").stdout) == []


def test_hook_output_is_bounded_to_its_end():
    r = hooks.run("head -c 100000 /dev/zero | tr '\\0' 'x' | fold -w 100; echo last line",
                  {}, 30)
    assert r.ok and r.output.endswith("last line")
    assert len(r.output) <= hooks.OUTPUT_KEEP + 100 and "earlier bytes left out" in r.output


def test_saving_a_plan_without_its_hooks_keeps_them(catalogue, home, tmp_path, monkeypatch):
    """The plan editor knows no hooks: a save from it must not drop them, nor the ping."""
    from core.config import AppPaths
    from core.plans import add_plan, get_plan, update_plan
    from core.secrets import SecretStore

    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    store = SecretStore(AppPaths.resolve(str(home)))
    add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "s")],
             destinations=[str(tmp_path / "d")],
             options={"before": "mount /mnt/usb", "ping": "http://127.0.0.1:9/p"}, secrets=store)
    update_plan(catalogue, "docs", sources=[str(tmp_path / "s")],
                destinations=[str(tmp_path / "d")], options={"compression": "gzip:6"},
                secrets=store)
    opts = get_plan(catalogue, "docs").options
    assert opts["before"] == "mount /mnt/usb" and opts["ping"] == "(secret)"
    assert opts["compression"] == "gzip:6"
    assert store.get("plan-1:ping") == "http://127.0.0.1:9/p"


def test_cancelling_a_job_stops_its_running_before_hook(catalogue, home, tmp_path, monkeypatch):
    """A real hook subprocess, and a child it started: the job's cancel kills their process
    group, the job ends cancelled, nothing is left running."""
    import threading
    import time
    from pathlib import Path

    import pytest

    from core import tell
    from core.catalogue.history import job_rows
    from core.config import AppPaths
    from core.errors import CancelledError
    from core.jobs.lifecycle import job
    from core.plans import add_plan, get_plan
    from core.progress import CancelToken

    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    pidfile = tmp_path / "child.pid"
    add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "s")],
             destinations=[str(tmp_path / "d")],
             options={"before": f"sleep 300 & echo $! > {pidfile}; wait",
                      "hook_timeout": "20s"})
    plan = get_plan(catalogue, "docs")
    tell.install(AppPaths.resolve(str(home)))
    cancel = CancelToken()
    body_ran = []

    def cancel_when_the_hook_runs() -> None:
        for _ in range(200):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        cancel.cancel()

    threading.Thread(target=cancel_when_the_hook_runs, daemon=True).start()
    try:
        with pytest.raises(CancelledError), job(catalogue, kind="backup", engine="archive",
                                                plan=plan, cancel=cancel) as j:
            body_ran.append(j.id)
    finally:
        tell.uninstall()
    assert body_ran == []
    (row,) = job_rows(catalogue, [1])
    assert row.status == "cancelled"  # not failed by the hook's 20 s timeout
    child = int(pidfile.read_text())
    stat = Path(f"/proc/{child}/stat")
    for _ in range(50):  # the child is reaped by init once killed
        if not stat.exists() or stat.read_text().split()[2] == "Z":
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the hook's child {child} is still running")


def test_the_hook_timeout_default_is_one_figure_in_two_spellings():
    from core.tell.options import seconds
    from core.tell.stored import HOOK_TIMEOUT, HOOK_TIMEOUT_S
    assert seconds(HOOK_TIMEOUT) == HOOK_TIMEOUT_S
