from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.catalogue.db import Catalogue
from core.catalogue.jobs import finish_job, start_job
from core.catalogue.models import JobStatus
from core.cli.main import main
from core.grid.agent import AgentHTTPServer, make_server, serve_in_thread, status_document
from core.plans import add_plan
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, refusing_url, rsync_body


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_grid_json_when_both_answer(farm: DaemonFarm, capsys: pytest.CaptureFixture[str],
                                    home: Path) -> None:
    m = farm.add(Behaviour(body=mysql_body(2)))
    r = farm.add(Behaviour(body=rsync_body(2)))
    code, out, err = run(capsys, "grid", "--mysql", m, "--rsync", r, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["unified_devices"]["dev0001abcdef"]["overall_status"] == "success"
    assert data["rsync_backup"]["disk_usage_summary"]["results"]["total_files"] == 29119


def test_grid_table_and_exit_1_when_a_daemon_fails(farm: DaemonFarm, home: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    r = farm.add(Behaviour(body=rsync_body(1, "error")))
    code, out, err = run(capsys, "grid", "--mysql", refusing_url(), "--rsync", r)
    assert code == 1
    assert err.startswith("backupdesk: MySQL backup daemon: Cannot connect to 127.0.0.1:")
    assert len(err.splitlines()) == 1
    header, row = out.splitlines()
    assert header.split() == ["NAME", "ID", "STATE", "MYSQL", "RSYNC", "LAST", "END", "PROBLEM"]
    assert row.split()[:5] == ["ETHOSCOPE_000", "dev0000abcdef", "Error", "-", "error"]


@pytest.mark.parametrize(("raw", "words"), [
    (b"not json", "malformed JSON"),
    (b'{"a": {"name": "tru', "malformed JSON"),
])
def test_grid_malformed_answer_is_one_line(farm: DaemonFarm, home: Path, raw: bytes, words: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "grid", "--mysql", farm.add(Behaviour("raw", raw=raw)))
    assert code == 1 and words in err and len(err.splitlines()) == 1
    assert out.strip() == "No devices."


def test_grid_oversized_and_http_errors_are_one_line(farm: DaemonFarm, home: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    big = farm.add(Behaviour("oversize", size=9 * 1024 * 1024))
    bad = farm.add(Behaviour(body={"x": 1}, status=503))
    code, _, err = run(capsys, "grid", "--mysql", big, "--rsync", bad)
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 2
    assert "sent more than 8.0 MiB; larger answers are refused." in lines[0]
    assert lines[1].endswith("answered HTTP 503 Service Unavailable.")


def test_grid_usage_errors(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, _, err = run(capsys, "grid")
    assert code == 2 and "at least one of --mysql" in err
    code, _, err = run(capsys, "grid", "--mysql", "ftp://x")
    assert code == 2 and "must start with http" in err


def test_node_add_list_remove(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    assert run(capsys, "node", "add", "lab1", "--mysql", "lab1", "--interval", "30")[0] == 0
    code, out, _ = run(capsys, "node", "list", "--json")
    assert json.loads(out) == [{"name": "lab1", "mysql_url": "http://lab1:8090/status",
                                "rsync_url": None, "agent_url": None, "token_file": None,
                                "poll_interval_s": 30, "enabled": True}]
    code, _, err = run(capsys, "node", "add", "lab1", "--rsync", "x")
    assert code == 2 and err == "backupdesk: A node named 'lab1' exists already.\n"
    assert run(capsys, "node", "remove", "lab1")[0] == 0
    code, _, err = run(capsys, "node", "remove", "lab1")
    assert code == 1 and "No node named 'lab1'" in err
    assert "No nodes." in run(capsys, "node", "list")[1]


@pytest.fixture
def agent(catalogue: Catalogue, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    plan = add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "src")],
                    destinations=[str(tmp_path / "out")])
    job = start_job(catalogue, engine="archive", kind="backup", plan_id=plan.id,
                    plan_name="docs")
    finish_job(catalogue, job, JobStatus.FAILED, error="Disk full\nmore")
    token = tmp_path / "token"
    token.write_text("tok-123\n")
    server: AgentHTTPServer = make_server(catalogue, "tok-123", "127.0.0.1", 0)
    t: threading.Thread = serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_port}", token
    server.shutdown()
    server.server_close()
    t.join(5)


def test_agent_serves_plans_in_the_rsync_format(agent: tuple[str, Path], home: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    url, token = agent
    code, out, err = run(capsys, "grid", "--agent", url, "--token-file", str(token), "--json")
    assert code == 0, err
    data = json.loads(out)
    (device,) = data["unified_devices"].values()
    assert device["name"] == "docs"
    assert device["overall_status"] == "error"
    assert device["rsync_backup"]["progress"] == {"status": "error", "message": "Disk full"}
    assert device["rsync_backup"]["metadata"]["engine"] == "archive"


def test_agent_requires_the_token_and_is_read_only(agent: tuple[str, Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   home: Path) -> None:
    import httpx

    url, _ = agent
    assert httpx.get(url + "/status").status_code == 401
    assert httpx.get(url + "/status", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.post(url + "/status", headers={"Authorization": "Bearer tok-123"}
                      ).status_code == 405
    wrong = tmp_path / "wrong"
    wrong.write_text("nope")
    code, _, err = run(capsys, "grid", "--agent", url, "--token-file", str(wrong))
    assert code == 1 and "HTTP 401 Unauthorized (check the token)" in err


def test_status_document_without_jobs(catalogue: Catalogue, tmp_path: Path) -> None:
    add_plan(catalogue, "idle", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "o")])
    doc = status_document(catalogue)
    (entry,) = doc["devices"].values()
    assert entry["progress"] == {} and entry["started"] is None and entry["count"] == 0


def test_serve_refuses_a_missing_token_file(capsys: pytest.CaptureFixture[str], home: Path,
                                            tmp_path: Path) -> None:
    code, _, err = run(capsys, "serve", "--token-file", str(tmp_path / "none"), "--port", "0")
    assert code == 2 and "Cannot read the token file" in err and "head -c 32" in err


def test_serve_warns_about_exposure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli.grid_cmd import _warn_exposure

    tok = tmp_path / "t"
    tok.write_text("x")
    tok.chmod(0o600)
    _warn_exposure("127.0.0.1", str(tok))
    assert capsys.readouterr().err == ""
    tok.chmod(0o644)
    _warn_exposure("0.0.0.0", str(tok))
    err = capsys.readouterr().err.splitlines()
    assert "clear text" in err[0] and "chmod 600" in err[1]
