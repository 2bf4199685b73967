"""Archive plans with an S3 destination, against a real S3 server (rclone serve s3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from core.remote.binary import find_rclone
from tests.core.remote.conftest import ACCESS_KEY, S3, SECRET_KEY, flip_byte, run_cli


def make_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "a.txt").write_text("alpha\n" * 100)
    (src / "blob.bin").write_bytes(os.urandom(300_000))
    return src


def add_s3_plan(src: Path, s3: S3, *extra: str) -> None:
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint, *extra)
    assert r.returncode == 0, r.stderr


CATALOGUE = "/.backupdesk-catalogue/"  # the catalogue's copy after each run (tested apart)


def objects(s3: S3) -> list[str]:
    root = s3.root / "bkt"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and CATALOGUE not in f"/{p.relative_to(root)}")


def test_backup_to_s3_streams_verifies_and_keeps_keys_out(home: Path, tmp_path: Path,
                                                           s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3)
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    names = objects(s3)
    folder = next(n.split("/")[2] for n in names if n.endswith("manifest.json"))
    assert {n.split("/")[-1] for n in names if folder in n} == {"files.tar.zst",
                                                                 "manifest.json"}
    assert not [n for n in names if "/." in n]  # no staging or probe object left
    r = run_cli("verify", str(out["backup_id"]), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["locations"][0]["state"] == "ok"
    catalogue = (home / "data" / "catalogue.sqlite3").read_bytes()
    assert b"backupdesk-test-secret" not in catalogue
    assert b"AKIDBACKUPDESKTEST" not in catalogue
    for log in (home / "logs").rglob("*"):
        if log.is_file():
            assert b"backupdesk-test-secret" not in log.read_bytes()


def test_flipped_byte_is_reported_corrupt_by_deep_verify(home: Path, tmp_path: Path,
                                                         s3: S3) -> None:
    add_s3_plan(make_source(tmp_path), s3)
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    bid = str(json.loads(r.stdout)["backup_id"])
    archive = next((s3.root / "bkt").rglob("files.tar.zst"))
    flip_byte(archive)
    r = run_cli("verify", bid, "--deep", "--json")
    assert r.returncode != 0
    loc = json.loads(r.stdout)["locations"][0]
    assert loc["state"] == "corrupt"
    assert {a["name"]: a["state"] for a in loc["artifacts"]}["files.tar.zst"] == "corrupt"


def test_wrong_credentials_fail_in_one_clear_line(home: Path, tmp_path: Path, s3: S3,
                                                  monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-key-at-all")
    add_s3_plan(make_source(tmp_path), s3)
    r = run_cli("run", "p")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "backupdesk: Remote s3://bkt/backups: the credentials were refused."]
    assert objects(s3) == []


def test_server_stopped_mid_upload_leaves_nothing_complete_and_next_run_cleans(
        home: Path, tmp_path: Path, s3: S3) -> None:
    src = make_source(tmp_path)
    (src / "big.bin").write_bytes(os.urandom(24 << 20))
    add_s3_plan(src, s3, "--bwlimit", "4M")
    run = subprocess.Popen([sys.executable, "-m", "core", "run", "p"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            p.is_file() for p in (s3.root / "bkt").rglob("*")) and not _uploading(s3):
        time.sleep(0.1)
    time.sleep(1.5)  # some of the archive is on its way
    s3.stop()
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1
    said = [ln for ln in err.splitlines() if ln.startswith("backupdesk:")]  # not progress
    assert said == ["backupdesk: Remote s3://bkt/backups: it cannot be reached."]
    assert not [n for n in objects(s3) if n.endswith("manifest.json")]
    assert not [n for n in objects(s3) if "/." not in n]  # nothing under a final name
    s3.start()
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "success"
    left = listed(s3)  # what S3 shows: the server's own unfinished multipart files are not
    assert not [n for n in left if "/." in n], left  # the interrupted run's staging is gone
    assert len([n for n in left if n.endswith("manifest.json")]) == 1
    r = run_cli("history", "--json")
    assert '"running"' not in r.stdout


def t_rclone(s3: S3, *args: str, stdin: bytes = b"") -> bytes:
    """rclone on the bucket as the remote `T:` (through the S3 API)."""
    env = {**os.environ, "RCLONE_CONFIG_T_TYPE": "s3", "RCLONE_CONFIG_T_PROVIDER": "Other",
           "RCLONE_CONFIG_T_ENDPOINT": s3.endpoint, "RCLONE_CONFIG_T_REGION": "us-east-1",
           "RCLONE_CONFIG_T_ACCESS_KEY_ID": ACCESS_KEY,
           "RCLONE_CONFIG_T_SECRET_ACCESS_KEY": SECRET_KEY}
    return subprocess.run([find_rclone(), *args], env=env, input=stdin, capture_output=True,
                          check=True).stdout


def listed(s3: S3) -> list[str]:
    """The objects of the bucket through the S3 API."""
    out = t_rclone(s3, "lsjson", "-R", "--files-only", "T:bkt")
    return sorted(e["Path"] for e in json.loads(out) if CATALOGUE not in f"/{e['Path']}")


def test_next_run_removes_a_failed_runs_incomplete_folder_only(home: Path, tmp_path: Path,
                                                                s3: S3) -> None:
    add_s3_plan(make_source(tmp_path), s3)
    assert run_cli("run", "p").returncode == 0
    half = "backups/p/20260101T000000Z-full-job98/files.tar.zst"  # no manifest: never a backup
    kept = "backups/p/20260101T000000Z-full-job99/"  # whole, its record deleted on purpose
    t_rclone(s3, "rcat", f"T:bkt/{half}", stdin=b"half")
    for name in ("files.tar.zst", "manifest.json"):
        t_rclone(s3, "rcat", f"T:bkt/{kept}{name}", stdin=b"x")
    r = run_cli("run", "p")
    assert r.returncode == 0, r.stderr
    left = listed(s3)
    assert half not in left
    assert f"{kept}manifest.json" in left and f"{kept}files.tar.zst" in left


def _uploading(s3: S3) -> bool:
    """serve s3 keeps multipart uploads outside the bucket folder until they complete."""
    return any(True for _ in s3.root.rglob("*.part"))


def test_bwlimit_reaches_rclone_and_keys_never_its_argv(home: Path, tmp_path: Path, s3: S3
                                                        ) -> None:
    log = tmp_path / "argv.log"
    wrapper = tmp_path / "rclone-logging"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {find_rclone()} "$@"\n')
    wrapper.chmod(0o755)
    add_s3_plan(make_source(tmp_path), s3, "--bwlimit", "8M")
    r = run_cli("run", "p", env={"BACKUPDESK_RCLONE": str(wrapper)})
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    uploads = [c for c in calls if c.startswith("rcat ")]
    assert uploads and all("--bwlimit 8M" in c for c in uploads)
    assert not any(SECRET_KEY in c or ACCESS_KEY in c for c in calls)


def test_local_and_s3_destinations_each_get_a_checked_copy(home: Path, tmp_path: Path,
                                                           s3: S3) -> None:
    src = make_source(tmp_path)
    local = tmp_path / "local-dest"
    add_s3_plan(src, s3, "--dest", str(local))
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "success"
    assert sorted(n.split("/")[-1] for n in listed(s3)) == ["files.tar.zst", "manifest.json"]
    r = run_cli("verify", str(out["backup_id"]), "--deep", "--json")
    states = {loc["destination"]: loc["state"] for loc in json.loads(r.stdout)["locations"]}
    assert states == {"s3://bkt/backups": "ok", str(local): "ok"}


def test_s3_keys_from_stdin_on_plan_edit(home: Path, tmp_path: Path, s3: S3,
                                         monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    add_s3_plan(make_source(tmp_path), s3)
    r = run_cli("run", "p")
    assert r.returncode == 1  # no keys yet: rclone's own AWS credentials, which S3 refuses
    r = run_cli("plan", "edit", "p", "--s3-access-key-id-stdin", "--s3-secret-key-stdin",
                stdin=f"{ACCESS_KEY}\n{SECRET_KEY}\n")
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p")
    assert r.returncode == 0, r.stderr


def test_a_copy_from_a_local_first_destination_is_checked_by_its_md5(home: Path, tmp_path: Path,
                                                                     s3: S3) -> None:
    """The copy to S3 of a backup written to a local folder first: its MD5 is taken on the way,
    so the plain verify (S3's own hash, no download) sees a flipped byte there."""
    local = tmp_path / "local-dest"
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(make_source(tmp_path)),
                "--dest", str(local), "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint)
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    bid = str(json.loads(r.stdout)["backup_id"])
    archive = next((s3.root / "bkt").rglob("files.tar.zst"))
    flip_byte(archive)
    r = run_cli("verify", bid, "--json")
    states = {loc["destination"]: loc["state"] for loc in json.loads(r.stdout)["locations"]}
    assert states == {"s3://bkt/backups": "corrupt", str(local): "ok"}
