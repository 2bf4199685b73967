"""`import` and `catalogue backup` with remote destinations: backups to a local folder, a real
SFTP server (sshd) and a real S3 server (rclone serve s3), the whole home deleted, each
destination imported with its remote settings given, and every backup restored byte for byte;
importing twice adds nothing. The catalogue copies after each run land at the remote first
destination, encrypted when the plan is."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.core.archive.conftest import snapshot
from tests.core.remote.conftest import ACCESS_KEY, S3, SECRET_KEY, Sshd, run_cli


def _tree(root: Path, tag: str) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text(f"{tag}\n" * 50)
    (root / "blob.bin").write_bytes(os.urandom(50_000))
    return root


def _ok(*args: str, stdin: str | None = None) -> dict[str, object] | list[object]:
    r = run_cli(*args, "--json", stdin=stdin)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert isinstance(out, (dict, list))
    return out


def test_import_from_local_sftp_and_s3_after_the_home_is_lost(home: Path, tmp_path: Path,
                                                              sshd: Sshd, s3: S3) -> None:
    ssh = (f"ssh -i {sshd.key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o LogLevel=ERROR")
    sftp_dir = tmp_path / "sftp-dest"
    sftp_dir.mkdir()
    dests = {"local": str(tmp_path / "local-dest"),
             "sftp": f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{sftp_dir}",
             "s3": "s3://bkt/backups"}
    extra = {"local": [], "sftp": ["--ssh-command", ssh],
             "s3": ["--s3-endpoint", s3.endpoint, "--encrypt"]}
    sources = {name: _tree(tmp_path / f"src-{name}" / "data", name) for name in dests}
    expected: dict[str, dict[str, object]] = {}
    for name, dest in dests.items():
        r = run_cli("plan", "add", name, "--engine", "archive", "--source",
                    str(sources[name]), "--dest", dest, *extra[name])
        assert r.returncode == 0, r.stderr
        for _ in range(2):
            job = _ok("run", name)
            assert isinstance(job, dict)
            expected[str(job["backup_id"])] = snapshot(sources[name].parent)
            (sources[name] / "docs" / "more.txt").write_text(f"more {job['backup_id']}\n")
    # The copy of the catalogue after each run, at each plan's (remote) first destination.
    assert list((sftp_dir / ".backupdesk-catalogue").glob("catalogue-*.sqlite3"))
    assert list((s3.root / "bkt" / "backups" / ".backupdesk-catalogue").glob(
        "catalogue-*.sqlite3.age"))  # the S3 plan is encrypted
    assert not list((s3.root / "bkt" / "backups" / ".backupdesk-catalogue").glob(
        "*.sqlite3"))
    key = run_cli("key", "export", "s3").stdout
    key_file = tmp_path / "s3-key.txt"
    key_file.write_text(key)
    before = {b["id"]: b for b in _ok("backups")}  # type: ignore[union-attr,index]
    names = {b["name"]: (b["type"], b["sha256"]) for b in before.values()}
    assert len(names) == 6

    shutil.rmtree(home)  # the laptop is lost
    given = {"local": [], "sftp": ["--ssh-command", ssh],
             "s3": ["--s3-endpoint", s3.endpoint, "--key-file", str(key_file),
                    "--s3-access-key-id-stdin", "--s3-secret-key-stdin"]}
    for name, dest in dests.items():
        stdin = f"{ACCESS_KEY}\n{SECRET_KEY}\n" if name == "s3" else None
        rep = _ok("import", dest, *given[name], stdin=stdin)
        assert isinstance(rep, dict)
        assert rep["plans_created"] == [name] and len(rep["added"]) == 2, rep  # type: ignore
        assert rep["problems"] == []
    for dest in dests.values():  # twice adds nothing
        rep = _ok("import", dest)  # the settings now come from the imported plan
        assert isinstance(rep, dict)
        assert rep["added"] == [] and rep["known"] == 2, rep

    after = _ok("backups")
    assert isinstance(after, list)
    assert {b["name"]: (b["type"], b["sha256"]) for b in after} == names  # type: ignore
    by_name = {b["name"]: b for b in before.values()}  # type: ignore[index]
    for b in after:
        assert isinstance(b, dict)
        old = by_name[b["name"]]
        out = tmp_path / "restored" / str(b["id"])
        r = run_cli("restore", str(b["id"]), "--to", str(out))
        assert r.returncode == 0, r.stderr
        assert snapshot(out) == expected[str(old["id"])]
    rep = _ok("verify", "--all")
    assert isinstance(rep, dict) and rep["ok"] is True, rep
    # Runs go on at the imported remote plans (their settings and keys were kept).
    job = _ok("run", "s3")
    assert isinstance(job, dict) and job["type"] == "incremental"


def test_catalogue_backup_to_a_remote_keeps_the_newest(home: Path, tmp_path: Path,
                                                       s3: S3) -> None:
    src = _tree(tmp_path / "src", "x")
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    for _ in range(3):
        r = run_cli("catalogue", "backup", "--to", "s3://bkt/cat", "--keep", "2",
                    "--s3-endpoint", s3.endpoint)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip().startswith("s3://bkt/cat/.backupdesk-catalogue/catalogue-")
    kept = sorted((s3.root / "bkt" / "cat" / ".backupdesk-catalogue").iterdir())
    assert len(kept) == 2 and kept[-1].name == r.stdout.strip().rsplit("/", 1)[1]
    assert kept[-1].read_bytes().startswith(b"SQLite format 3")
    r = run_cli("import", "s3://bkt/cat", "--s3-endpoint", s3.endpoint)
    assert r.returncode == 1 and "holds no Backup Desk backup" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
