"""`backupdesk import DEST`: backups (full, incrementals, a database dump, an encrypted plan) to a
local folder, the whole home deleted, the catalogue rebuilt from the folder, and every backup
restored byte for byte; importing again adds nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from tests.core.archive.conftest import snapshot
from tests.core.archive.test_cli import jrun


def test_import_rebuilds_a_lost_home(home: Path, tree: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "dest"
    lite = tmp_path / "app.db"
    with sqlite3.connect(lite) as c:
        c.execute("CREATE TABLE s (v)")
        c.execute("INSERT INTO s VALUES ('v1')")
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(tree),
                 "--dest", str(dest), "--database", f"sqlite://{lite}",
                 "--compression", "gzip:5"]) == 0
    secret_src = tmp_path / "vault-data" / "secret"
    secret_src.mkdir(parents=True)
    (secret_src / "plans.txt").write_text("the secret plans\n")
    assert main(["plan", "add", "vault", "--engine", "archive", "--source", str(secret_src),
                 "--dest", str(dest), "--encrypt"]) == 0
    # What each backup must restore, by backup name.
    expected: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]] | None]] = {}

    def run(plan: str, *extra: str) -> None:
        code, job = jrun(capsys, "run", plan, "--json", *extra)
        assert code == 0, job
        _, items = jrun(capsys, "backups", "--json")
        b = next(x for x in items if x["id"] == job["backup_id"])
        root = tree if plan == "docs" else secret_src
        rows = sqlite3.connect(lite).execute("SELECT v FROM s").fetchall() \
            if plan == "docs" else None
        expected[b["name"]] = (snapshot(root.parent), rows)

    run("docs")
    (tree / "second.txt").write_text("second\n")
    with sqlite3.connect(lite) as c:
        c.execute("INSERT INTO s VALUES ('v2')")
    run("docs")
    (tree / "docs" / "private").unlink()
    run("docs")
    run("vault")
    (secret_src / "plans.txt").write_text("the secret plans, changed\n")
    run("vault")
    _, before = jrun(capsys, "backups", "--json")
    assert [b["type"] for b in before] == ["full", "incremental", "incremental", "full",
                                           "incremental"]
    _, key = jrun(capsys, "key", "export", "vault")
    key_file = tmp_path / "vault-key.txt"
    key_file.write_text(key)

    # Importing into the home that made them adds nothing.
    code, rep = jrun(capsys, "import", str(dest), "--json")
    assert code == 0 and rep["added"] == [] and rep["known"] == 5

    shutil.rmtree(home)  # the laptop is lost
    # Without the key, the encrypted plan's backups are named and skipped (exit 3).
    code, rep = jrun(capsys, "import", str(dest), "--json")
    assert code == 3 and len(rep["added"]) == 3 and rep["plans_created"] == ["docs"]
    assert len(rep["problems"]) == 2 and all("vault" in p and "--key-file" in p
                                             for p in rep["problems"])
    code, rep = jrun(capsys, "import", str(dest), "--key-file", str(key_file), "--json")
    assert code == 0 and len(rep["added"]) == 2 and rep["known"] == 3
    assert rep["plans_created"] == ["vault"]
    code, rep = jrun(capsys, "import", str(dest), "--json")
    assert code == 0 and rep["added"] == [] and rep["known"] == 5  # twice adds nothing

    _, after = jrun(capsys, "backups", "--json")
    assert len(after) == 5
    by_name = {b["name"]: b for b in after}
    assert set(by_name) == set(expected)
    for b in before:  # chains, types and stored digests as they were
        a = by_name[b["name"]]
        assert (a["plan"], a["type"], a["sha256"]) == (b["plan"], b["type"], b["sha256"])
        parent = next((x["name"] for x in before if x["id"] == b["parent_id"]), None)
        assert next((x["name"] for x in after if x["id"] == a["parent_id"]), None) == parent
    plan = {p["name"]: p for p in jrun(capsys, "plan", "list", "--json")[1]}
    assert plan["docs"]["options"]["compression"] == "gzip:5"
    assert plan["vault"]["options"]["encrypt"].startswith("age1")
    code, rep = jrun(capsys, "verify", "--all", "--json")
    assert code == 0 and rep["ok"] is True
    for name, (want, rows) in expected.items():
        out = tmp_path / "restored" / name
        assert main(["restore", str(by_name[name]["id"]), "--to", str(out)]) == 0
        got = snapshot(out, skip=("databases",))
        assert got == want
        if rows is not None:
            (dump,) = (out / "databases").iterdir()
            assert sqlite3.connect(dump).execute("SELECT v FROM s").fetchall() == rows
    # A new incremental builds on the imported chain.
    (tree / "third.txt").write_text("third\n")
    code, job = jrun(capsys, "run", "docs", "--json")
    assert code == 0 and job["type"] == "incremental"


def test_import_refuses_what_is_no_destination(home: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "not a Backup Desk destination" in err and "\n" not in err
    assert main(["import", str(tmp_path / "nope")]) == 1


def test_a_borg_plan_of_the_same_name_gets_nothing(home: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    dest = tmp_path / "dest"
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(dest)]) == 0
    assert main(["run", "docs"]) == 0
    monkeypatch.setenv("BACKUPDESK_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", "pw")
    assert main(["plan", "add", "docs", "--engine", "borg", "--source", str(src),
                 "--repo", str(tmp_path / "repo"), "--init"]) == 0
    code, rep = jrun(capsys, "import", str(dest), "--json")
    assert code == 3 and rep["added"] == [] and "borg plan" in rep["problems"][0]
    assert jrun(capsys, "backups", "--json")[1] == []
