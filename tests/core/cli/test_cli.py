import json
import os
import subprocess
import sys

import pytest

from core import __version__
from core.cli.main import main
from tests.core.helpers import add_job


def run_cli(*args, env_home=None):
    env = dict(os.environ)
    if env_home is not None:
        env["BACKUPDESK_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"backupdesk {__version__}"


def test_plan_add_list_show_remove(home, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src), "--dest",
                 str(tmp_path / "d1"), "--dest", str(tmp_path / "d2"), "--schedule", "30 2 * * *",
                 "--compression", "gzip:6", "--exclude", "*.tmp"]) == 0
    capsys.readouterr()
    assert main(["plan", "show", "docs", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["engine"] == "archive" and data["sources"] == [str(src)]
    assert [d["location"] for d in data["destinations"]] == [str(tmp_path / "d1"),
                                                               str(tmp_path / "d2")]
    assert data["excludes"] == ["*.tmp"]
    assert data["options"]["compression"] == "gzip:6"
    sched = data["schedules"][0]
    assert sched["expression"] == "30 2 * * *" and len(sched["next_runs"]) == 5
    assert all("T02:30:00" in t or "+" in t or "-" in t[10:] for t in sched["next_runs"])
    assert main(["plan", "list", "--json"]) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)] == ["docs"]
    assert main(["plan", "remove", "docs"]) == 0
    capsys.readouterr()
    assert main(["plan", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_errors_are_one_line_with_exit_codes(home, tmp_path):
    r = run_cli("plan", "show", "nope", env_home=home)
    assert r.returncode == 1
    assert r.stderr == "backupdesk: No plan named 'nope'.\n"
    r = run_cli("plan", "add", "x", "--engine", "archive", "--source", str(tmp_path / "src"),
                "--dest", str(tmp_path / "d"), "--schedule", "every tuesday", env_home=home)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "Invalid schedule 'every tuesday'" in r.stderr
    r = run_cli("plan", "add", "x", "--engine", "nosuch", env_home=home)
    assert r.returncode == 2 and "invalid choice" in r.stderr
    r = run_cli("history", "--limit", "0", env_home=home)
    assert r.returncode == 2 and r.stderr.startswith("backupdesk: ")
    r = run_cli("--catalogue", "sqlite:////proc/nope/x.db", "history")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("backupdesk: Cannot create catalogue file")


def test_history_json_filters_and_limit(catalogue, capsys):
    for i in range(5):
        add_job(catalogue, plan="a" if i % 2 else "b", status="failed" if i == 3 else "success",
                trigger="cli" if i == 4 else "manual", bytes=i)
    assert main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5 and rows[0]["bytes"] == 4
    assert main(["history", "--json", "--plan", "a", "--status", "failed"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["plan"], r["status"]) for r in rows] == [("a", "failed")]
    assert main(["history", "--json", "--trigger", "cli"]) == 0
    assert [r["bytes"] for r in json.loads(capsys.readouterr().out)] == [4]
    assert main(["history", "--limit", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["history"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["ID", "PLAN", "ENGINE"] and len(table) == 6


def test_home_option_and_env_keep_state_apart(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    src = tmp_path / "s"
    src.mkdir()
    r = run_cli("--home", str(a), "plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    assert (a / "data" / "catalogue.sqlite3").exists()
    assert (a / "logs" / "backupdesk.log").exists() or (a / "logs").is_dir()
    r = run_cli("plan", "list", "--json", env_home=b)
    assert json.loads(r.stdout) == []
    r = run_cli("plan", "list", "--json", env_home=a)
    assert [p["name"] for p in json.loads(r.stdout)] == ["p"]


def test_catalogue_url_on_postgresql(pg_catalogue_url, tmp_path, capsys):
    src = tmp_path / "s"
    src.mkdir()
    args = ["--home", str(tmp_path / "h"), "--catalogue", pg_catalogue_url]
    assert main([*args, "plan", "add", "shared", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    assert main([*args, "plan", "list", "--json"]) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)] == ["shared"]
    assert main([*args, "history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (tmp_path / "h" / "data" / "catalogue.sqlite3").exists()


def test_plan_add_refuses_a_destination_inside_a_source_and_the_reverse(home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    r = run_cli("plan", "add", "x", "--engine", "archive", "--source", str(src),
                "--dest", str(src / "backups"), env_home=home)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "is inside the source" in r.stderr
    assert not (src / "backups").exists()  # nothing set up for a refused plan
    r = run_cli("plan", "add", "x", "--engine", "archive", "--source", str(src),
                "--dest", str(tmp_path), env_home=home)
    assert r.returncode == 1 and "is inside the destination" in r.stderr
    assert run_cli("plan", "list", "--json", env_home=home).stdout.strip() == "[]"
