"""`/metrics` of `backupdesk serve`, scraped over HTTP and read with prometheus_client's own
text parser (and, where the Debian package is installed, by a real Prometheus)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.catalogue.db import Catalogue
from core.grid.agent import make_server, serve_in_thread
from core.plans import add_plan
from tests.core.helpers import add_job

TOKEN = "tok-metrics"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


@pytest.fixture
def served(catalogue: Catalogue, tmp_path: Path) -> Iterator[str]:
    server = make_server(catalogue, TOKEN, "127.0.0.1", 0)
    t = serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    t.join(5)


def test_metrics_per_plan_from_the_catalogue(catalogue, served, tmp_path):
    docs = add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "s")],
                    destinations=[str(tmp_path / "d")])
    add_plan(catalogue, "never", "archive", sources=[str(tmp_path / "s2")],
             destinations=[str(tmp_path / "d2")])
    t0 = datetime(2026, 11, 30, 2, 0)
    add_job(catalogue, plan="docs", plan_id=docs.id, status="success", started=t0,
            duration_ms=90_000, bytes=5000, files=12)
    add_job(catalogue, plan="docs", plan_id=docs.id, status="failed",
            started=t0 + timedelta(days=1), duration_ms=4_000, bytes=10, files=1)
    add_job(catalogue, plan="docs", plan_id=docs.id, kind="verify", status="failed",
            started=t0 + timedelta(days=2))  # not a backup: not its last run
    r = httpx.get(served + "/metrics", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    got = samples(r.text)
    p = (("plan", "docs"),)
    epoch = (t0 + timedelta(seconds=90)).replace(tzinfo=None) - datetime(1970, 1, 1)
    assert got[("backupdesk_plan_last_success_timestamp_seconds", p)] == epoch.total_seconds()
    assert got[("backupdesk_plan_last_run_duration_seconds", p)] == 4.0
    assert got[("backupdesk_plan_last_run_bytes", p)] == 10
    assert got[("backupdesk_plan_last_run_files", p)] == 1
    status = (("plan", "docs"), ("status", "failed"))
    assert got[("backupdesk_plan_last_run_status", status)] == 1
    assert [k for k in got if k[0] == "backupdesk_plan_last_run_status"] == [
        ("backupdesk_plan_last_run_status", status)]  # one series per plan that ran
    assert got[("backupdesk_plan_running", p)] == 0
    assert got[("backupdesk_plan_running", (("plan", "never"),))] == 0
    assert ("backupdesk_plan_last_success_timestamp_seconds", (("plan", "never"),)) not in got
    assert all(name.startswith("backupdesk_") for name, _ in got)
    # The next scrape reads the catalogue again (an unchanged one gives the same text).
    assert httpx.get(served + "/metrics", headers=AUTH).text == r.text
    running = add_job(catalogue, plan="docs", plan_id=docs.id, status="running")
    add_job(catalogue, plan="never", plan_id=2, status="partial", bytes=3, files=3)
    again = samples(httpx.get(served + "/metrics", headers=AUTH).text)
    assert again[("backupdesk_plan_running", p)] == 1 and running
    partial = (("plan", "never"), ("status", "partial"))
    assert again[("backupdesk_plan_last_run_status", partial)] == 1


def test_metrics_need_the_token(served):
    assert httpx.get(served + "/metrics").status_code == 401
    bad = httpx.get(served + "/metrics", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def _serve(home: Path, token_file: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "core", "serve", "--token-file",
                             str(token_file), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "BACKUPDESK_HOME": str(home)})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "Serving" in line, proc.stderr.read() if proc.stderr else line
    return proc, line.split("http://", 1)[1].split("/", 1)[0]


def test_serve_reports_each_grid_device_with_its_overall_status(catalogue, home, tmp_path):
    docs = add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "s")],
                    destinations=[str(tmp_path / "d")])
    add_job(catalogue, plan="docs", plan_id=docs.id, status="failed", error="Disk full")
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    proc, address = _serve(home, token)
    try:
        # The serving machine is a node of its own grid: its agent shows its plan as a device.
        subprocess.run([sys.executable, "-m", "core", "node", "add", "self", "--agent",
                        f"http://{address}", "--token-file", str(token), "--interval", "5"],
                       check=True, capture_output=True, env={**os.environ,
                                                             "BACKUPDESK_HOME": str(home)})
        key = ("backupdesk_device_status", (("backupdesk_device_status", "error"),
                                            ("device", "plan1"), ("name", "docs"),
                                            ("node", "self")))
        deadline = time.monotonic() + 30
        got: dict = {}
        while key not in got and time.monotonic() < deadline:
            got = samples(httpx.get(f"http://{address}/metrics", headers=AUTH).text)
            time.sleep(0.2)
        assert got.get(key) == 1
        ok = (key[0], (("backupdesk_device_status", "success"), *key[1][1:]))
        assert got[ok] == 0
    finally:
        proc.terminate()
        proc.wait(10)


PROM_CONFIG = """
global: {{scrape_interval: 1s}}
scrape_configs:
  - job_name: backupdesk
    authorization: {{credentials_file: {token}}}
    static_configs: [{{targets: ["{address}"]}}]
"""


@pytest.mark.skipif(shutil.which("prometheus") is None,
                    reason="the Debian prometheus package is not installed")
def test_a_real_prometheus_scrapes_it(catalogue, home, tmp_path):
    docs = add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "s")],
                    destinations=[str(tmp_path / "d")])
    add_job(catalogue, plan="docs", plan_id=docs.id, status="success", bytes=777)
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    proc, address = _serve(home, token)
    config = tmp_path / "prometheus.yml"
    config.write_text(PROM_CONFIG.format(token=token, address=address))
    with tempfile.TemporaryDirectory() as data:
        port = _free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={config}",
                                 f"--storage.tsdb.path={data}",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            result: list = []
            while not result and time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={
                        "query": 'backupdesk_plan_last_run_bytes{plan="docs"}'})
                except httpx.TransportError:  # not listening yet
                    continue
                result = r.json()["data"]["result"] if r.status_code == 200 else []
            assert result and result[0]["value"][1] == "777"
        finally:
            prom.terminate()
            prom.wait(20)
            proc.terminate()
            proc.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_metrics_carry_each_plans_watchdog_state(catalogue, served, tmp_path):
    stale = add_plan(catalogue, "stale", "archive", sources=[str(tmp_path / "s")],
                     destinations=[str(tmp_path / "d")], options={"expect": "daily"})
    fresh = add_plan(catalogue, "fresh", "archive", sources=[str(tmp_path / "s2")],
                     destinations=[str(tmp_path / "d2")], options={"expect": "daily"})
    now = datetime.utcnow()
    with catalogue.db.connect() as c:  # both plans made a week ago
        c.execute("UPDATE plans SET created_at = ?", [now - timedelta(days=7)])
    add_job(catalogue, plan="stale", plan_id=stale.id, status="success",
            started=now - timedelta(days=5), duration_ms=1000)
    add_job(catalogue, plan="fresh", plan_id=fresh.id, status="success",
            started=now - timedelta(minutes=5), duration_ms=1000)
    got = samples(httpx.get(served + "/metrics", headers=AUTH).text)
    states = {dict(labels)["plan"]: dict(labels)["state"]
              for name, labels in got if name == "backupdesk_plan_watch_state"}
    assert states == {"stale": "missing", "fresh": "ok"}


def _watch_states(served: str) -> dict[str, str]:
    got = samples(httpx.get(served + "/metrics", headers=AUTH).text)
    return {dict(labels)["plan"]: dict(labels)["state"]
            for name, labels in got if name == "backupdesk_plan_watch_state"}


def test_a_new_jobs_outcome_is_in_the_next_scrape(catalogue, served, tmp_path):
    plan = add_plan(catalogue, "hourly", "archive", sources=[str(tmp_path / "s")],
                    destinations=[str(tmp_path / "d")], options={"expect": "hourly"})
    now = datetime.utcnow()
    with catalogue.db.connect() as c:
        c.execute("UPDATE plans SET created_at = ?", [now - timedelta(hours=5)])
    assert _watch_states(served) == {"hourly": "missing"}
    assert _watch_states(served) == {"hourly": "missing"}  # from the cached state
    add_job(catalogue, plan="hourly", plan_id=plan.id, status="success",
            started=now - timedelta(minutes=2), duration_ms=1000)
    assert _watch_states(served) == {"hourly": "ok"}  # not a minute later: the next scrape


def test_the_watch_state_is_evaluated_again_only_on_a_change_or_a_tick(catalogue, tmp_path,
                                                                      monkeypatch):
    from core.tell import metrics

    calls = []
    real = metrics.evaluate
    monkeypatch.setattr(metrics, "evaluate", lambda *a: calls.append(1) or real(*a))
    clock = [0.0]
    cache = metrics.WatchStates(catalogue, tick=60, clock=lambda: clock[0])
    plan = add_plan(catalogue, "p", "archive", sources=[str(tmp_path / "s")],
                    destinations=[str(tmp_path / "d")])
    cache.states()
    cache.states()
    assert len(calls) == 1
    add_job(catalogue, plan="p", plan_id=plan.id, status="failed", started=datetime.utcnow())
    cache.states()
    assert len(calls) == 2
    clock[0] = 59.0
    cache.states()
    assert len(calls) == 2
    clock[0] = 61.0
    cache.states()
    assert len(calls) == 3
