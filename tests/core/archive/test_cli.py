"""The CLI: run, backups, verify, restore, copy-out, delete; exit codes in a subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from core.destinations import MARKER
from tests.core.archive.conftest import snapshot
from tests.core.helpers import orm_session

REPO = Path(__file__).resolve().parents[3]


def cli(*args: str, home: Path, prefix: tuple[str, ...] = (),
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKUPDESK_HOME": str(home), "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "core.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def jrun(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith(("{", "[")) else out


def add(name: str, src: Path, *dests: Path, extra: tuple[str, ...] = ()) -> None:
    args = ["plan", "add", name, "--engine", "archive", "--source", str(src)]
    for d in dests:
        args += ["--dest", str(d)]
    assert main([*args, *extra]) == 0


def test_run_json_and_backups_listing(home: Path, tree: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    add("docs", tree, tmp_path / "d1", tmp_path / "d2")
    code, job = jrun(capsys, "run", "docs", "--json")
    assert code == 0
    assert job["status"] == "success" and job["type"] == "full" and job["backup_id"]
    assert {"id", "plan", "engine", "started_at", "finished_at", "duration_ms", "bytes",
            "files", "error"} <= set(job)
    (tree / "more.txt").write_text("more")
    code, job2 = jrun(capsys, "run", "docs", "--incremental", "--json")
    assert code == 0 and job2["type"] == "incremental"
    code, items = jrun(capsys, "backups", "--plan", "docs", "--json")
    assert code == 0 and [b["type"] for b in items] == ["full", "incremental"]
    first, second = items
    assert second["parent_id"] == first["id"]
    for b in items:
        assert {"id", "plan", "engine", "type", "parent_id", "created_at", "size", "sha256",
                "locations"} <= set(b)
        assert [(loc["destination"], loc["state"]) for loc in b["locations"]] == [
            (str(tmp_path / "d1"), "ok"), (str(tmp_path / "d2"), "ok")]
        assert all(Path(loc["path"]).is_dir() for loc in b["locations"])
    code, items = jrun(capsys, "backups", "--type", "incremental", "--json")
    assert [b["id"] for b in items] == [second["id"]]
    code, text = jrun(capsys, "backups")
    assert "  incremental" in text  # shown under its full


def test_verify_states_and_exit_codes(home: Path, tree: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    add("docs", tree, tmp_path / "d1", tmp_path / "d2", extra=("--no-verify",))
    assert main(["run", "docs"]) == 0
    capsys.readouterr()
    code, rep = jrun(capsys, "verify", "--all", "--json")
    assert code == 0 and rep["ok"] is True
    _, (b,) = jrun(capsys, "backups", "--json")
    p1, p2 = (Path(loc["path"]) for loc in b["locations"])
    arc = p1 / "files.tar.zst"
    data = bytearray(arc.read_bytes())
    data[len(data) // 2] ^= 0x01
    arc.write_bytes(bytes(data))
    (p2 / "manifest.json").unlink()
    code, rep = jrun(capsys, "verify", str(b["id"]), "--json")
    assert code == 1 and rep["ok"] is False
    states = {loc["destination"]: loc["state"] for loc in rep["locations"]}
    assert states == {str(tmp_path / "d1"): "corrupt", str(tmp_path / "d2"): "missing"}
    with open(p1 / "manifest.json", "ab") as f:
        f.write(b" ")
    main(["verify", "--all"])
    _, (b,) = jrun(capsys, "backups", "--json")
    assert [loc["state"] for loc in b["locations"]] == ["corrupt", "missing"]
    assert b["locations"][0]["verify_result"]["artifacts"] == {
        "files.tar.zst": "corrupt", "manifest.json": "size_mismatch"}
    assert b["status"] == "damaged"
    assert main(["verify"]) == 2  # neither ids nor --all


def test_restore_copy_out_and_refusals(home: Path, tree: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    add("docs", tree, tmp_path / "d1")
    main(["run", "docs"])
    snap = snapshot(tree)
    (tree / "run me.sh").unlink()
    main(["run", "docs"])
    capsys.readouterr()
    _, (full, inc) = jrun(capsys, "backups", "--json")
    target = tmp_path / "restored"
    assert main(["restore", str(full["id"]), "--to", str(target)]) == 0
    assert snapshot(target / tree.name) == snap
    assert main(["restore", str(inc["id"]), "--to", str(target)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["restore", str(inc["id"]), "--to", str(target), "--overwrite"]) == 0
    one = tmp_path / "one"
    assert main(["restore", str(inc["id"]), "--to", str(one), "--path",
                 f"{tree.name}/docs/naïve café.txt"]) == 0
    got = [str(p.relative_to(one)) for p in one.rglob("*") if p.is_file()]
    assert got == [f"{tree.name}/docs/naïve café.txt"]
    assert main(["copy-out", str(inc["id"]), "--to", str(tmp_path / "out"), "--chain"]) == 0
    copied = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*")
                    if p.is_file())
    assert copied == sorted(f"{b['name']}/{n}" for b in (full, inc)
                            for n in ("files.tar.zst", "manifest.json"))


def test_delete_chain_and_files(home: Path, tree: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    d1 = tmp_path / "d1"
    add("docs", tree, d1)
    for _ in range(3):
        main(["run", "docs"])
    capsys.readouterr()
    _, items = jrun(capsys, "backups", "--json")
    full = items[0]
    r = cli("delete", str(full["id"]), "--files", home=home)  # stdin is not a terminal
    assert r.returncode == 2 and "--yes" in r.stderr and "2 backups depending" in r.stderr
    code, rep = jrun(capsys, "delete", str(full["id"]), "--files", "--yes", "--json")
    assert code == 0 and sorted(rep["deleted"]) == sorted(b["id"] for b in items)
    # What is left is the catalogue's copy (core/catalogue_backup.py), no backup.
    assert [p for p in d1.rglob("*") if p.is_file() and p.name != MARKER
            and ".backupdesk-catalogue" not in p.parts] == []
    _, items = jrun(capsys, "backups", "--json")
    assert items == []


def test_delete_never_leaves_the_destination(home: Path, tree: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import update

    from core.catalogue import open_catalogue
    from core.catalogue.schema import BackupLocation
    from core.config import AppConfig

    add("docs", tree, tmp_path / "d1")
    main(["run", "docs"])
    capsys.readouterr()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    with orm_session(cat) as s:
        s.execute(update(BackupLocation).values(path=str(tmp_path / "d1" / ".." / "victim")))
    cat.dispose()
    code = main(["delete", "1", "--files", "--yes"])
    assert code == 1 and "Refusing" in capsys.readouterr().err
    assert (victim / "keep.txt").exists()


def test_exit_codes_in_a_subprocess(home: Path, tree: Path, tmp_path: Path) -> None:
    from core.catalogue import open_catalogue
    from core.catalogue.jobs import plan_lock_key, start_job
    from core.config import AppConfig

    assert cli("plan", "add", "ok", "--engine", "archive", "--source", str(tree),
               "--dest", str(tmp_path / "d"), home=home).returncode == 0
    r = cli("run", "ok", home=home)
    assert r.returncode == 0, r.stderr
    f = tmp_path / "file"
    assert cli("plan", "add", "bad", "--engine", "archive", "--source", str(tree), "--dest",
               str(f), home=home).returncode == 0
    (f / MARKER).unlink()
    f.rmdir()
    f.write_text("x")
    r = cli("run", "bad", home=home)
    assert r.returncode == 1 and "is not a folder" in r.stderr
    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    start_job(cat, engine="archive", kind="backup", plan_id=1, plan_name="ok",
              lock_key=plan_lock_key(1))
    cat.dispose()
    r = cli("run", "ok", "--json", home=home)
    assert r.returncode == 1 and "already running" in r.stderr and r.stdout == ""
    assert cli("run", "nope", home=home).returncode == 1


def _drop_read_override() -> tuple[str, ...] | None:
    """A command prefix under which root cannot read a mode-000 file, or None."""
    if os.geteuid() != 0:
        return ()
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True)
    except FileNotFoundError:
        return None
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize("fastpack", ["1", "0"], ids=["c", "python"])
def test_unreadable_source_file_makes_the_job_partial(home: Path, tree: Path, tmp_path: Path,
                                                      fastpack: str) -> None:
    # As root, the interpreter lives under 0700 /root, so instead of `runuser -u nobody` the
    # run keeps uid 0 but loses the capabilities that let root read any file.
    prefix = _drop_read_override()
    if prefix is None:
        pytest.skip("cannot drop root's read override here")
    secret = tree / "docs" / "private"
    secret.chmod(0)
    assert cli("plan", "add", "p", "--engine", "archive", "--source", str(tree),
               "--dest", str(tmp_path / "d"), home=home).returncode == 0
    r = cli("run", "p", "--json", home=home, prefix=prefix, env={"BACKUPDESK_FASTPACK": fastpack})
    assert r.returncode == 3, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "partial" and "private" in job["error"]
    assert any("private" in w["text"] and w["kind"] == "engine" for w in job["warnings"])
    # Stored in the watchdog's shape, not as bare text (readers still take old rows' text).
    with closing(sqlite3.connect(home / "data" / "catalogue.sqlite3")) as db:
        (details,) = db.execute("SELECT details FROM jobs WHERE id = ?", (job["id"],)).fetchone()
    stored = json.loads(details)["warnings"]
    assert stored and all(isinstance(w, dict) and w["kind"] == "engine" for w in stored), stored
    assert any("private" in w["text"] for w in stored)
    r = cli("backups", "--json", home=home)
    (b,) = json.loads(r.stdout)
    assert b["locations"][0]["state"] == "ok" and any("private" in w for w in b["warnings"])
    assert writer_of_last_backup(home) == ("c" if fastpack == "1" and FAST_BUILT else "python")


FAST_BUILT = importlib.util.find_spec("core.engines.archive._fastpack") is not None


def writer_of_last_backup(home: Path) -> str:
    """Which loop wrote the last backup's archive (recorded in its catalogue details)."""
    with closing(sqlite3.connect(home / "data" / "catalogue.sqlite3")) as db:
        (details,) = db.execute("SELECT details FROM backups ORDER BY id DESC LIMIT 1").fetchone()
    return str(json.loads(details)["writer"])


def test_delete_with_an_unreachable_destination_keeps_the_record(
        home: Path, tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d1 = tmp_path / "usb"
    add("docs", tree, d1)
    main(["run", "docs"])
    d1.rename(tmp_path / "unplugged")
    code = main(["delete", "1", "--files", "--yes"])
    assert code == 1 and "not mounted" in capsys.readouterr().err
    _, items = jrun(capsys, "backups", "--json")
    assert [b["id"] for b in items] == [1]
    assert main(["delete", "1", "--yes"]) == 0  # the record alone
    _, items = jrun(capsys, "backups", "--json")
    assert items == []
    assert any((tmp_path / "unplugged").rglob("files.tar.zst"))


def test_verify_is_recorded_in_the_history(home: Path, tree: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    add("docs", tree, tmp_path / "d1", extra=("--no-verify",))
    main(["run", "docs"])
    assert main(["verify", "--all"]) == 0
    _, rows = jrun(capsys, "history", "--json")
    kinds = [(r["kind"], r["status"], r["plan"]) for r in rows]
    assert ("verify", "success", "docs") in kinds and ("backup", "success", "docs") in kinds
