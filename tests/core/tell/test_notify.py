"""Notifications through Apprise (json:// and ntfy://) to a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.catalogue.plans import find_plan
from core.config import AppPaths
from core.jobs import lifecycle
from core.jobs.run import run_plan
from core.plans import add_plan
from core.secrets import SecretStore
from core.tell import announce, install, uninstall
from tests.core.tell.conftest import docs_plan


def _notified(catalogue, home: Path, tmp_path: Path, receiver, monkeypatch) -> AppPaths:
    """Plan "docs" notifying the receiver's json:// endpoint, made in this process."""
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    paths = AppPaths.resolve(str(home))
    host = receiver.url.removeprefix("http://")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello")
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(tmp_path / "d")],
             options={"verify_after": False, "notify": [f"json://{host}/hook"]},
             secrets=SecretStore(paths))
    return paths


def _json_messages(receiver) -> list[dict]:
    return [json.loads(b) for p, b in receiver.got if p == "/hook"]


def test_a_failed_run_notifies_each_target_once(cli, home, tmp_path, receiver):
    host = receiver.url.removeprefix("http://")
    docs_plan(cli, tmp_path, "--before", "exit 4", "--notify", f"json://{host}/hook",
          "--notify", f"ntfy://{host}/backups")
    assert cli("run", "docs", check=False).returncode == 1
    (msg,) = _json_messages(receiver)
    assert msg["title"] == "docs: backup failed"
    assert "The before hook exited with code 4." in msg["message"]
    ntfy = [(p, b) for p, b in receiver.got if p != "/hook"]
    assert len(ntfy) == 1 and b"backup failed" in ntfy[0][1] + ntfy[0][0].encode()
    shown = cli("plan", "show", "docs", "--json").stdout
    assert json.loads(shown)["options"]["notify"] == ["json://(secret)", "ntfy://(secret)"]
    assert host not in shown


def test_success_is_told_only_when_asked(cli, tmp_path, receiver):
    host = receiver.url.removeprefix("http://")
    docs_plan(cli, tmp_path, "--notify", f"json://{host}/hook")
    cli("run", "docs")
    assert receiver.got == []  # not by default
    cli("plan", "edit", "docs", "--notify-on", "failure,success")
    cli("run", "docs")
    (msg,) = _json_messages(receiver)
    assert msg["title"] == "docs: backup succeeded"


def test_an_unknown_event_is_one_clear_line(cli, tmp_path):
    r = docs_plan(cli, tmp_path, "--notify-on", "failure,sunrise", check=False)
    assert r.returncode == 1
    assert r.stderr.startswith("backupdesk: Unknown notification event sunrise: use one or more of")


def test_an_anomaly_warning_on_a_finished_backup_is_told(catalogue, home, tmp_path, receiver,
                                                         monkeypatch):
    paths = _notified(catalogue, home, tmp_path, receiver, monkeypatch)

    def warn(j: lifecycle.Job) -> None:  # what the watchdog's anomaly check adds (h18-watch)
        j.end.details["warnings"] = [{"kind": "anomaly", "check": "size",
                                      "text": "412 MiB, usual 3.1-3.4 GiB"}]

    install(paths)
    lifecycle.add_finisher(warn)
    try:
        assert run_plan(catalogue, paths, "docs").status == "success"
    finally:
        lifecycle.remove_finisher(warn)
        uninstall()
    (msg,) = _json_messages(receiver)
    assert msg["title"] == "docs: backup looks unusual"
    assert "size: 412 MiB, usual 3.1-3.4 GiB" in msg["message"]


ANNOUNCE = """
import sys
from core.catalogue import open_catalogue
from core.config import AppConfig
from core.tell import announce
cfg = AppConfig.resolve(sys.argv[1])
cat = open_catalogue(cfg.catalogue_url)
print(announce(cat, "docs", "late", "docs is late", "no backup since Monday", "late-1-2026-12-01",
               paths=cfg.paths))
"""


def test_announce_sends_once_per_key_across_processes(catalogue, home, tmp_path, receiver,
                                                      monkeypatch):
    paths = _notified(catalogue, home, tmp_path, receiver, monkeypatch)
    plan = find_plan(catalogue, "docs")
    assert announce(catalogue, plan, "late", "docs is late", "no backup since Monday",
                    "late-1-2026-12-01", paths=paths) is True
    other = subprocess.run([sys.executable, "-c", ANNOUNCE, str(home)], capture_output=True,
                           text=True, timeout=60)
    assert other.stdout.strip() == "False", other.stderr  # another process, the same episode
    assert announce(catalogue, plan, "late", "docs is late", "poll again",
                    "late-1-2026-12-01", paths=paths) is False
    assert announce(catalogue, plan, "hung", "docs is hung", "no progress for 30 min",
                    "hung-job-9", paths=paths) is True
    assert announce(catalogue, plan, "success", "docs done", "",  # not among the default events
                    "job-9-success", paths=paths) is False
    assert [m["title"] for m in _json_messages(receiver)] == ["docs is late", "docs is hung"]
