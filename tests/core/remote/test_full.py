"""A full destination: the backing folder of a real SFTP server (sshd) and of a real S3 server
(rclone serve s3) on a small tmpfs, the nearest real thing to a full bucket quota here. The run
fails with one clear line, nothing looks complete, and the next run, with space, succeeds.
`rclone serve s3` answers a full disk with NoSuchUpload or InternalError rather than a quota
error, so its line names what the server said; internal-sftp says only "Failure", so the run
asks the remote for its free space."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.remote.conftest import S3, Sshd, run_cli


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (mounting needs root; skipped without it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fails_then_succeeds(small: Path, dest: str, *extra: str, src: Path, why: str) -> None:
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", dest, *extra)
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p")
    assert r.returncode == 1
    said = [ln for ln in r.stderr.splitlines() if ln.startswith("backupdesk:")]
    assert len(said) == 1 and why in said[0] and len(said[0]) < 200, r.stderr
    assert not list(small.rglob("manifest.json"))  # nothing looks complete
    assert json.loads(run_cli("backups", "--json").stdout) == []
    jobs = json.loads(run_cli("history", "--json").stdout)
    assert [j["status"] for j in jobs] == ["failed"]
    subprocess.run(["mount", "-o", "remount,size=20m", str(small)], check=True)
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    assert len(list(small.rglob("manifest.json"))) == 1
    r = run_cli("verify", str(json.loads(r.stdout)["backup_id"]), "--json")
    assert r.returncode == 0, r.stdout


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.bin").write_bytes(os.urandom(3 << 20))  # incompressible, 3x the space
    return src


def test_full_sftp_destination(home: Path, tmp_path: Path, sshd: Sshd, small_fs: Path) -> None:
    ssh = (f"ssh -i {sshd.key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o LogLevel=ERROR")
    _fails_then_succeeds(small_fs, f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{small_fs}",
                         "--ssh-command", ssh, src=_source(tmp_path),
                         why="the remote is full")


def test_full_s3_destination(home: Path, tmp_path: Path, small_fs: Path,
                             monkeypatch: pytest.MonkeyPatch, s3: S3) -> None:
    s3.stop()
    (small_fs / "bkt").mkdir()
    s3.root = small_fs
    s3.start()
    _fails_then_succeeds(small_fs, "s3://bkt/backups", "--s3-endpoint", s3.endpoint,
                         src=_source(tmp_path), why="the server refused the request (")
