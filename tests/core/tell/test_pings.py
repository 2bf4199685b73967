"""Pings to a real HTTP server on 127.0.0.1, from a real `backupdesk run`."""

from __future__ import annotations

import json
from pathlib import Path

from core.tell import pings
from tests.core.tell.conftest import docs_plan, history, job_log


def _plan(cli, tmp_path: Path, url: str, *extra: str) -> None:
    docs_plan(cli, tmp_path, "--ping", url, *extra)


def test_a_run_pings_start_then_success_with_the_log_tail(cli, home, tmp_path, receiver):
    _plan(cli, tmp_path, f"{receiver.url}/ping/abc-123")
    cli("run", "docs")
    assert receiver.paths() == ["/ping/abc-123/start", "/ping/abc-123"]
    body = receiver.got[1][1].decode()
    assert "Finished: success." in body and receiver.got[0][1] == b""


def test_a_failed_run_pings_fail(cli, tmp_path, receiver):
    _plan(cli, tmp_path, f"{receiver.url}/ping/abc", "--before", "echo no mount; exit 2")
    assert cli("run", "docs", check=False).returncode == 1
    assert receiver.paths() == ["/ping/abc/start", "/ping/abc/fail"]
    assert "before hook output: no mount" in receiver.got[1][1].decode()


def test_a_ping_refused_by_the_server_is_logged_and_the_job_still_succeeds(cli, home, tmp_path,
                                                                          receiver):
    receiver.status = 404
    _plan(cli, tmp_path, f"{receiver.url}/gone")
    r = cli("run", "docs")
    (job,) = history(cli)
    assert job["status"] == "success" and r.returncode == 0
    assert receiver.paths() == ["/gone/start", "/gone"]  # a 4xx is not retried
    assert "The ping (success) was not taken: HTTP 404 (after 1 attempt)." in job_log(home,
                                                                                    job["id"])


def test_the_ping_url_is_kept_as_a_secret(cli, home, tmp_path, receiver):
    url = f"{receiver.url}/ping/secret-uuid-5f1e"
    _plan(cli, tmp_path, url)
    shown = cli("plan", "show", "docs", "--json").stdout
    assert "secret-uuid" not in shown and json.loads(shown)["options"]["ping"] == "(secret)"
    for f in (home / "data").iterdir():
        assert b"secret-uuid" not in f.read_bytes()
    secrets = json.loads((home / "config" / "secrets.json").read_text())
    assert secrets == {"plan-1:ping": url}
    cli("plan", "edit", "docs", "--ping", "")
    assert json.loads((home / "config" / "secrets.json").read_text()) == {}
    cli("run", "docs")
    assert receiver.got == []


def test_an_unreachable_ping_url_gives_up_after_its_tries(receiver):
    receiver.status = 500
    why = pings.ping(f"{receiver.url}/x", b"body", tries=2, wait=0)
    assert why == "HTTP 500 (after 2 attempts)" and receiver.paths() == ["/x", "/x"]


def test_a_ping_url_must_be_http(cli, tmp_path):
    r = docs_plan(cli, tmp_path, "--ping", "ftp://host/x", check=False)
    assert r.returncode == 1
    assert r.stderr == ("backupdesk: A ping URL must be an http or https URL, not "
                        "'ftp://(secret)'.\n")


def test_with_ping_signal_exit_code_a_run_ends_with_its_exit_status(cli, tmp_path, receiver):
    _plan(cli, tmp_path, f"{receiver.url}/ping/ec", "--ping-signal", "exit-code")
    ok = cli("run", "docs")
    cli("plan", "edit", "docs", "--before", "exit 2")
    bad = cli("run", "docs", check=False)
    assert (ok.returncode, bad.returncode) == (0, 1)
    assert receiver.paths() == ["/ping/ec/start", "/ping/ec/0", "/ping/ec/start", "/ping/ec/1"]
    cli("plan", "edit", "docs", "--ping-signal", "", "--before", "")
    cli("run", "docs")
    assert receiver.paths()[-1] == "/ping/ec"


def test_a_ping_signal_must_be_known(cli, tmp_path):
    docs_plan(cli, tmp_path)
    done = cli("plan", "edit", "docs", "--ping-signal", "status", check=False)
    assert done.returncode != 0 and "must be fail, exit-code" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3
