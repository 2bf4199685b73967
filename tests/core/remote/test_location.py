"""Destination strings: which are remote, what rclone is told (in its environment), and the
paths a delete may touch."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.remote.location import RemoteSettings, is_remote, parse, relative
from tests.core.remote.conftest import run_cli


@pytest.mark.parametrize("text,remote", [
    ("/srv/backups", False), ("~/backups", False), ("C:/x", False), ("./rel", False),
    ("sftp://ann@nas/backups", True), ("s3://bucket/path", True), ("b2:bucket/x", True),
    ("my remote:", True), ("http://host/x", False),
])
def test_is_remote(text: str, remote: bool) -> None:
    assert is_remote(text) is remote


def test_sftp_goes_to_rclone_through_the_environment() -> None:
    r = parse("sftp://ann@nas.lan:2222/srv/backups", RemoteSettings(ssh_command="ssh -i k"))
    assert r.root == "BDSFTP:/srv/backups"
    assert r.env["RCLONE_CONFIG_BDSFTP_TYPE"] == "sftp"
    assert r.env["RCLONE_CONFIG_BDSFTP_SSH"] == "ssh -i k -o BatchMode=yes -p 2222 ann@nas.lan"
    assert r.at("p/x") == "BDSFTP:/srv/backups/p/x"
    assert r.shown("p/x") == "sftp://ann@nas.lan:2222/srv/backups/p/x"


def test_s3_keys_stay_in_the_environment_not_in_paths() -> None:
    r = parse("s3://bkt/a/b", RemoteSettings("http://127.0.0.1:9000", "AK", "SECRET"))
    assert r.root == "BDS3:bkt/a/b"
    assert r.env["RCLONE_CONFIG_BDS3_SECRET_ACCESS_KEY"] == "SECRET"
    assert "SECRET" not in r.at("x") + r.shown("x") + repr(r)
    assert parse("s3://bkt").env["RCLONE_CONFIG_BDS3_ENV_AUTH"] == "true"


@pytest.mark.parametrize("bad", ["sftp://", "sftp://ann@host:99999/x", "s3://B!/x", "s3://"])
def test_malformed_remote_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse(bad)


def test_relative_refuses_the_root_and_anything_outside() -> None:
    assert relative("s3://bkt/base", "s3://bkt/base/p/b1") == "p/b1"
    assert relative("nas:", "nas:p/b1") == "p/b1"
    for outside in ("s3://bkt/base", "s3://bkt/other/p", "s3://bkt/base/../x",
                    "s3://bkt/basement/p"):
        with pytest.raises(ConfigError):
            relative("s3://bkt/base", outside)


def _said(r: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.startswith("backupdesk:")]


def test_bad_remote_settings_are_refused_in_one_line(home: Path, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    base = ("plan", "add", "p", "--engine", "archive", "--source", str(tmp_path / "src"))
    r = run_cli(*base, "--dest", "s3://Bad_Bucket/x")
    assert r.returncode != 0 and len(_said(r)) == 1 and "not an S3 location" in r.stderr
    r = run_cli(*base, "--dest", "s3://bkt/x", "--bwlimit", "fast")
    assert r.returncode != 0 and len(_said(r)) == 1 and "not a rate" in r.stderr
    assert run_cli("plan", "list", "--json").stdout.strip() in ("[]", "")


def test_missing_rclone_is_one_clear_line(home: Path, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(tmp_path / "src"),
                "--dest", "nas:backups")
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", env={"BACKUPDESK_RCLONE": str(tmp_path / "no-rclone")})
    assert r.returncode != 0
    assert len(_said(r)) == 1 and "no-rclone, which is not an executable" in r.stderr
