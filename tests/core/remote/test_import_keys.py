"""Which S3 keys `import` reads an S3 destination with (real S3 server: rclone serve s3): a
plan's own stored keys win over AWS_* variables in the environment (a shell set up for another
account); the environment serves a destination no plan of this home has (and the new plan keeps
them); keys given on stdin for this import win over both."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.remote.conftest import ACCESS_KEY, S3, SECRET_KEY, run_cli
from tests.core.remote.test_s3 import add_s3_plan, make_source

WRONG = {"AWS_ACCESS_KEY_ID": "AKIDSOMEONEELSE", "AWS_SECRET_ACCESS_KEY": "not-the-key-0000"}
RIGHT = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}


def _import(s3: S3, env: dict[str, str], *extra: str, stdin: str | None = None
            ) -> tuple[int, str, str]:
    r = run_cli("import", "s3://bkt/backups", "--s3-endpoint", s3.endpoint, *extra, "--json",
                env=env, stdin=stdin)
    return r.returncode, r.stdout, r.stderr


def test_a_plans_stored_keys_win_over_aws_variables(home: Path, tmp_path: Path,
                                                    s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3)  # keys from the fixture's (right) AWS_* variables, stored
    assert run_cli("run", "p").returncode == 0
    code, out, err = _import(s3, WRONG)
    assert code == 0, err
    assert json.loads(out)["known"] == 1
    # Keys typed for this import are used as given: wrong ones are refused, in one line.
    code, out, err = _import(s3, RIGHT, "--s3-access-key-id-stdin", "--s3-secret-key-stdin",
                             stdin="AKIDSOMEONEELSE\nnot-the-key-0000\n")
    assert code != 0
    said = [ln for ln in err.splitlines() if ln.startswith("backupdesk:")]
    assert len(said) == 1 and "credentials were refused" in said[0], err


def test_a_new_home_reads_with_the_environments_keys(home: Path, tmp_path: Path,
                                                     s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3)
    assert run_cli("run", "p").returncode == 0
    other = {"BACKUPDESK_HOME": str(tmp_path / "other-home")}
    code, _, err = _import(s3, {**other, **WRONG})
    assert code != 0 and "credentials were refused" in err, err
    code, out, err = _import(s3, {**other, **RIGHT})
    assert code == 0, err
    assert json.loads(out)["plans_created"] == ["p"]
    # The new plan keeps the keys it was imported with: its next run works without them.
    r = run_cli("run", "p", "--json", env={**other, **WRONG})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["type"] == "incremental"
