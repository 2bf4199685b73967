"""`plan add --encrypt`: age-encrypted archives, dumps and manifests; restore, incrementals and
verify through Backup Desk, and a restore with the real `age`, `zstd` and GNU tar alone."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pyrage
import pytest

from core.cli.main import main
from tests.core.archive.conftest import snapshot
from tests.core.archive.test_cli import jrun

KEY_LINE = re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]+")



def add_encrypted(capsys: pytest.CaptureFixture[str], name: str, *args: str) -> str:
    """Creates the plan; its recovery key as printed once."""
    code, out = jrun(capsys, "plan", "add", name, "--engine", "archive", "--encrypt", *args)
    assert code == 0
    keys = KEY_LINE.findall(out)
    assert len(keys) == 1 and "Store it now" in out
    return keys[0]


def seconds(snap: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Whole-second mtimes (ustar's); folders by mode only (GNU tar sets a folder's mtime
    before a later member of the archive lands in it)."""
    return {k: v[:2] if v[0] == "dir" else
            tuple(x // 10**9 if i == 2 else x for i, x in enumerate(v))
            for k, v in snap.items()}


def stored_dir(b: dict[str, Any]) -> Path:
    return Path(b["locations"][0]["path"])


def test_encrypted_backups_restore_and_verify(home: Path, tree: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    recovery = add_encrypted(capsys, "docs", "--source", str(tree), "--dest",
                             str(tmp_path / "d1"), "--dest", str(tmp_path / "d2"))
    before = snapshot(tree.parent)
    assert jrun(capsys, "run", "docs", "--json")[1]["type"] == "full"
    (tree / "added.txt").write_text("added later\n")
    (tree / "docs" / "private").unlink()
    after = snapshot(tree.parent)
    code, job = jrun(capsys, "run", "docs", "--json")
    assert code == 0 and job["type"] == "incremental"  # the sealed manifest was read back
    _, items = jrun(capsys, "backups", "--json")
    full, inc = items
    for b in items:
        names = sorted(p.name for p in stored_dir(b).iterdir())
        assert names == ["files.tar.zst.age", "manifest.json"]
        archive = (stored_dir(b) / "files.tar.zst.age").read_bytes()
        assert archive.startswith(b"age-encryption.org/v1\n")
        raw = (stored_dir(b) / "manifest.json").read_bytes()
        head, _, body = raw.partition(b"\n")
        assert json.loads(head) == {"format": "backupdesk-encrypted-manifest", "version": 1,
                                    "recipient": str(pyrage.x25519.Identity.from_str(
                                        recovery).to_public())}
        assert body.startswith(b"age-encryption.org/v1\n")
        assert b"private" not in raw and b"docs" not in raw  # no path in clear
    for b, want in ((full, before), (inc, after)):
        out = tmp_path / f"restored-{b['id']}"
        assert main(["restore", str(b["id"]), "--to", str(out)]) == 0
        assert snapshot(out) == want
    code, rep = jrun(capsys, "verify", "--all", "--json")
    assert code == 0 and rep["ok"] is True
    code, rep = jrun(capsys, "restore-test", "docs", "--files", "50", "--json")
    assert code == 0 and rep["checked"] > 5 and rep["problems"] == []
    # The recovery key is printed again on request, to stdout.
    code, out = jrun(capsys, "key", "export", "docs")
    assert code == 0 and KEY_LINE.findall(out) == [recovery]


def test_restore_without_backup_desk(home: Path, tree: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The README's recipe: age -d -i key.txt FILE | zstd -d | tar -x, with GNU tar."""
    for tool in ("age", "zstd", "tar"):
        assert shutil.which(tool), f"{tool} missing: see tests/debian-packages.txt"
    add_encrypted(capsys, "docs", "--source", str(tree), "--dest", str(tmp_path / "d"))
    before = snapshot(tree.parent)
    assert main(["run", "docs"]) == 0
    key = tmp_path / "key.txt"
    code, out = jrun(capsys, "key", "export", "docs")
    assert code == 0
    key.write_text(out)
    _, (b,) = jrun(capsys, "backups", "--json")
    out_dir = tmp_path / "by-hand"
    out_dir.mkdir()
    archive = stored_dir(b) / "files.tar.zst.age"
    subprocess.run(f"age -d -i '{key}' '{archive}' | zstd -d | tar -x -C '{out_dir}'",
                   shell=True, check=True, executable="/bin/bash")
    # Files' content and modes and links byte for byte.
    assert seconds(snapshot(out_dir)) == seconds(before)
    manifest = subprocess.run(
        f"tail -n +2 '{stored_dir(b) / 'manifest.json'}' | age -d -i '{key}'",
        shell=True, check=True, capture_output=True, executable="/bin/bash").stdout
    assert json.loads(manifest)["backup"] == Path(b["locations"][0]["path"]).name


def test_encrypted_database_dump(home: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    lite = tmp_path / "app.db"
    with sqlite3.connect(lite) as c:
        c.execute("CREATE TABLE s (v)")
        c.execute("INSERT INTO s VALUES ('only in the database')")
    add_encrypted(capsys, "dbs", "--include", "databases", "--dest", str(tmp_path / "d"),
                  "--database", f"sqlite://{lite}")
    assert jrun(capsys, "run", "dbs", "--json")[0] == 0
    _, (b,) = jrun(capsys, "backups", "--json")
    (dump,) = [p for p in stored_dir(b).iterdir() if p.name != "manifest.json"]
    assert dump.name.endswith(".sqlite3.age")
    assert b"only in the database" not in dump.read_bytes()
    out = tmp_path / "out"
    assert main(["restore", str(b["id"]), "--to", str(out)]) == 0
    (restored,) = (out / "databases").iterdir()
    assert restored.name == dump.name.removesuffix(".age")
    with sqlite3.connect(restored) as c:
        assert c.execute("SELECT v FROM s").fetchall() == [("only in the database",)]


def test_wrong_or_missing_key_is_one_clear_line(home: Path, tree: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    add_encrypted(capsys, "docs", "--source", str(tree), "--dest", str(tmp_path / "d"))
    assert main(["run", "docs"]) == 0
    _, (b,) = jrun(capsys, "backups", "--json")
    secrets = home / "config" / "secrets.json"
    held = json.loads(secrets.read_text())
    (name,) = [k for k in held if k.startswith("age-key:")]
    # Missing: the key is not in this home.
    secrets.write_text(json.dumps({k: v for k, v in held.items() if k != name}))
    capsys.readouterr()
    assert main(["restore", str(b["id"]), "--to", str(tmp_path / "r1")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not hold" in err and name.split(":")[1] in err
    # Wrong: another key stored under this recipient's name.
    secrets.write_text(json.dumps({**held, name: str(pyrage.x25519.Identity.generate())}))
    assert main(["restore", str(b["id"]), "--to", str(tmp_path / "r2")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "another key" in err
    assert not (tmp_path / "r2").exists() or not any((tmp_path / "r2").rglob("*.bin"))


def test_encrypt_refused_for_borg(home: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "add", "b", "--engine", "borg", "--source", str(tmp_path),
                 "--repo", str(tmp_path / "repo"), "--encrypt"])
    assert code == 2
    assert "borg" in capsys.readouterr().err
    assert not (home / "config" / "secrets.json").exists()


def test_full_disk_while_encrypting_goes_to_the_next_destination(
        home: Path, tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.destinations import MARKER
    from tests.fixtures.tmpfs import small_tmpfs

    with small_tmpfs(tmp_path / "tiny", "4m") as tiny:
        add_encrypted(capsys, "docs", "--source", str(tree), "--dest", str(tiny),
                      "--dest", str(tmp_path / "big"))
        code, job = jrun(capsys, "run", "docs", "--json")
        assert code == 3 and job["status"] == "partial", job
        assert "No space left" in job["error"]
        assert [p for p in tiny.rglob("*") if p.is_file() and p.name != MARKER
                and ".backupdesk-catalogue" not in p.parts] == []
        _, (b,) = jrun(capsys, "backups", "--json")
        assert main(["restore", str(b["id"]), "--to", str(tmp_path / "out")]) == 0


@pytest.mark.postgres
def test_encrypted_postgresql_dump_loads_into_a_database(
        home: Path, tmp_path: Path, pg_server: Any, pg_database: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    import psycopg

    with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                         dbname=pg_database, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int primary key, v text)")
        c.execute("INSERT INTO t VALUES (1, 'sealed row')")
    add_encrypted(capsys, "pg", "--include", "databases", "--dest", str(tmp_path / "d"),
                  "--database", pg_server.url(pg_database, driver="postgresql"))
    assert jrun(capsys, "run", "pg", "--json")[0] == 0
    _, (b,) = jrun(capsys, "backups", "--json")
    (dump,) = [p for p in stored_dir(b).iterdir() if p.name != "manifest.json"]
    assert dump.name.endswith(".pgdump.age")
    assert dump.read_bytes().startswith(b"age-encryption.org/v1\n")
    target = f"{pg_database}_into"
    pg_server.admin(f'CREATE DATABASE "{target}"')
    try:
        assert main(["restore", str(b["id"]), "--into-database",
                     pg_server.url(target, driver="postgresql")]) == 0
        with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                             dbname=target) as c:
            assert c.execute("SELECT v FROM t").fetchall() == [("sealed row",)]
    finally:
        pg_server.admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
