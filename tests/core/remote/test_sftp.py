"""Archive plans with an SFTP destination, against the real sshd the borg tests start."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.core.remote.conftest import S3, Sshd, flip_byte, run_cli


def test_backup_to_sftp_verify_and_deep_verify(home: Path, tmp_path: Path, sshd: Sshd) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(os.urandom(200_000))
    dest = tmp_path / "remote-dest"
    dest.mkdir()
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{dest}",
                "--ssh-command", f"ssh -i {sshd.key} -o StrictHostKeyChecking=no "
                "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    bid = str(json.loads(r.stdout)["backup_id"])
    done = list((dest / "p").iterdir())
    assert len(done) == 1 and "-full-job" in done[0].name  # no staging folder left
    assert sorted(x.name for x in done[0].iterdir()) == ["files.tar.zst", "manifest.json"]
    for deep in ((), ("--deep",)):
        r = run_cli("verify", bid, *deep, "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["locations"][0]["state"] == "ok"
    archive = done[0] / "files.tar.zst"
    flip_byte(archive, 100)
    r = run_cli("verify", bid, "--deep", "--json")
    assert json.loads(r.stdout)["locations"][0]["state"] == "corrupt"


def test_sftp_login_refused_is_one_line(home: Path, tmp_path: Path, sshd: Sshd) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    other = tmp_path / "not-the-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True)
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{tmp_path}/d",
                "--ssh-command", f"ssh -i {other} -o StrictHostKeyChecking=no "
                "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes")
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p")
    assert r.returncode == 1
    said = [ln for ln in r.stderr.splitlines() if ln.startswith("backupdesk:")]
    assert len(said) == 1 and "sftp://" in said[0] and ("refused" in said[0]
                                                         or "reached" in said[0]), r.stderr


def test_s3_first_then_a_copy_to_sftp(home: Path, tmp_path: Path, sshd: Sshd, s3: S3) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(os.urandom(100_000))
    dest = tmp_path / "remote-dest"
    dest.mkdir()
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "s3://bkt/b", "--s3-endpoint", s3.endpoint,
                "--dest", f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{dest}",
                "--ssh-command", f"ssh -i {sshd.key} -o StrictHostKeyChecking=no "
                "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    copies = list((dest / "p").iterdir())
    assert len(copies) == 1 and not copies[0].name.startswith(".")
    assert sorted(x.name for x in copies[0].iterdir()) == ["files.tar.zst", "manifest.json"]
    bid = str(json.loads(r.stdout)["backup_id"])
    r = run_cli("verify", bid, "--deep", "--json")
    assert [loc["state"] for loc in json.loads(r.stdout)["locations"]] == ["ok", "ok"]
