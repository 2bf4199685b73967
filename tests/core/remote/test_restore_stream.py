"""Restore from a remote destination streams `rclone cat` into the reader: no copy of the archive
on local disk (TMPDIR on a 1 MiB tmpfs, the archive 3 MiB), through an incremental chain, plain
and age-encrypted, against a real S3 server (rclone serve s3) and a real sshd (SFTP). A damaged
remote archive fails with one clear line and leaves no wrong file under a final name."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.remote.conftest import S3, Sshd, flip_byte, run_cli
from tests.core.remote.test_full import small_fs  # noqa: F401  (the fixture)

BLOB = 3 << 20  # incompressible: the archive is bigger than the temporary space


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "a.txt").write_text("alpha\n" * 100)
    (src / "big.bin").write_bytes(os.urandom(BLOB))
    return src


def _ok(*args: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    r = run_cli(*args, "--json", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _dest(kind: str, tmp_path: Path, s3: S3 | None, sshd: Sshd | None) -> list[str]:
    if kind == "s3":
        assert s3 is not None
        return ["--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint, "--encrypt"]
    assert sshd is not None
    folder = tmp_path / "sftp-dest"
    folder.mkdir()
    ssh = (f"ssh -i {sshd.key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o LogLevel=ERROR")
    return ["--dest", f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{folder}",
            "--ssh-command", ssh]


@pytest.mark.parametrize("kind", ["s3", "sftp"])
def test_restore_from_a_remote_streams_through_the_chain(
        kind: str, home: Path, tmp_path: Path, small_fs: Path,  # noqa: F811
        request: pytest.FixtureRequest) -> None:
    s3 = request.getfixturevalue("s3") if kind == "s3" else None
    sshd = request.getfixturevalue("sshd") if kind == "sftp" else None
    src = _source(tmp_path)
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                *_dest(kind, tmp_path, s3, sshd))
    assert r.returncode == 0, r.stderr
    _ok("run", "p")
    (src / "docs" / "b.txt").write_text("added later\n")
    second = _ok("run", "p")
    assert second["type"] == "incremental"
    tmp_env = {"TMPDIR": str(small_fs)}
    out = tmp_path / "one"
    # One file of the full's 3 MiB archive, through the incremental, TMPDIR 1 MiB.
    _ok("restore", str(second["backup_id"]), "--to", str(out), "--path", "src/big.bin",
        env=tmp_env)
    assert (out / "src" / "big.bin").read_bytes() == (src / "big.bin").read_bytes()
    everything = tmp_path / "all"
    _ok("restore", str(second["backup_id"]), "--to", str(everything), env=tmp_env)
    for rel in ("big.bin", "docs/a.txt", "docs/b.txt"):
        assert (everything / "src" / rel).read_bytes() == (src / rel).read_bytes()
    assert not list(small_fs.iterdir())  # nothing was left there either


def test_a_damaged_remote_archive_fails_clearly_and_writes_no_wrong_file(
        home: Path, tmp_path: Path, s3: S3) -> None:
    src = _source(tmp_path)
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint)
    assert r.returncode == 0, r.stderr
    bid = _ok("run", "p")["backup_id"]
    archive = next((s3.root / "bkt").rglob("files.tar.zst"))
    flip_byte(archive, archive.stat().st_size // 2)  # inside big.bin's stored bytes
    out = tmp_path / "out"
    r = run_cli("restore", str(bid), "--to", str(out))
    assert r.returncode != 0
    said = [ln for ln in r.stderr.splitlines() if ln.startswith("backupdesk:")]
    assert len(said) == 1 and "does not have its SHA-256 (damaged)" in said[0], r.stderr
    assert "s3://bkt/backups/" in said[0]
    restored = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in restored if p.name.startswith(".bd-")]  # no half-written file
    for p in restored:  # what is there under its final name is right
        assert p.read_bytes() == (src / p.relative_to(out / "src")).read_bytes()
    assert not (out / "src" / "big.bin").exists()
    jobs = _ok("history")
    assert jobs[0]["kind"] == "restore" and jobs[0]["status"] == "failed"


def test_server_stopped_mid_restore_fails_clearly_and_the_next_restore_works(
        home: Path, tmp_path: Path, s3: S3) -> None:
    src = _source(tmp_path)
    (src / "big.bin").write_bytes(os.urandom(24 << 20))
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint, "--bwlimit", "4M")
    assert r.returncode == 0, r.stderr
    bid = _ok("run", "p")["backup_id"]
    out = tmp_path / "out"
    restore = subprocess.Popen([sys.executable, "-m", "core", "restore", str(bid), "--to",
                                str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(out.rglob(".bd-*")):
        time.sleep(0.05)  # big.bin is on its way (4 MiB/s: about 6 s)
    s3.stop()
    _, err = restore.communicate(timeout=120)
    assert restore.returncode == 1
    said = [ln for ln in err.splitlines() if ln.startswith("backupdesk:")]
    assert said == ["backupdesk: Remote s3://bkt/backups: it cannot be reached."], err
    assert not list(out.rglob(".bd-*"))  # the file on its way is gone
    assert not (out / "src" / "big.bin").exists()
    jobs = _ok("history")
    assert jobs[0]["kind"] == "restore" and jobs[0]["status"] == "failed"
    s3.start()
    again = tmp_path / "again"
    _ok("restore", str(bid), "--to", str(again))
    assert (again / "src" / "big.bin").read_bytes() == (src / "big.bin").read_bytes()


def test_an_encrypted_dump_streams_from_s3_too(home: Path, tmp_path: Path, s3: S3,
                                               small_fs: Path) -> None:  # noqa: F811
    db = tmp_path / "lab.sqlite3"
    blob = os.urandom(BLOB)
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (b BLOB)")
        c.execute("INSERT INTO t VALUES (?)", (blob,))
    c.close()
    src = _source(tmp_path)
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--database", f"sqlite://{db}", *_dest("s3", tmp_path, s3, None))
    assert r.returncode == 0, r.stderr
    bid = _ok("run", "p")["backup_id"]
    assert list((s3.root / "bkt").rglob("db-*.sqlite3.age"))
    out = tmp_path / "out"
    done = _ok("restore", str(bid), "--to", str(out), "--path", "databases",
               env={"TMPDIR": str(small_fs)})
    assert len(done["dumps"]) == 1 and done["dumps"][0].endswith(".sqlite3")
    with sqlite3.connect(done["dumps"][0]) as c:
        assert c.execute("SELECT b FROM t").fetchone()[0] == blob
    c.close()
    assert not list(small_fs.iterdir())


def test_a_damaged_dump_gives_way_to_the_next_copy(home: Path, tmp_path: Path,
                                                   s3: S3) -> None:
    db = tmp_path / "lab.sqlite3"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (b BLOB)")
        c.execute("INSERT INTO t VALUES (?)", (os.urandom(200_000),))
    c.close()
    src = _source(tmp_path)
    local = tmp_path / "local-dest"
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--database", f"sqlite://{db}", "--dest", str(local),
                "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint)
    assert r.returncode == 0, r.stderr
    bid = _ok("run", "p")["backup_id"]
    flip_byte(next(local.rglob("db-*.sqlite3")))
    done = _ok("restore", str(bid), "--to", str(tmp_path / "one"), "--path", "databases")
    with sqlite3.connect(done["dumps"][0]) as c:
        assert c.execute("SELECT length(b) FROM t").fetchone()[0] == 200_000
    c.close()
    flip_byte(next((s3.root / "bkt").rglob("db-*.sqlite3")))
    r = run_cli("restore", str(bid), "--to", str(tmp_path / "two"), "--path", "databases")
    assert r.returncode == 1
    said = [ln for ln in r.stderr.splitlines() if ln.startswith("backupdesk:")]
    assert len(said) == 1 and "is damaged" in said[0] and "(damaged)" in said[0], r.stderr
    assert not [p for p in (tmp_path / "two").rglob("*") if p.is_file()]
