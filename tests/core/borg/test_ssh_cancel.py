"""A repository reached over a real sshd; cancel of a running borg; the passphrase's path."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.catalogue.schema import Job
from core.cli.main import main
from core.engines.borg import ops
from core.engines.borg.process import BorgEnv, run_borg
from core.engines.borg.repo import RepoSettings
from core.errors import CancelledError
from core.progress import CancelToken, Progress
from tests.core.borg.conftest import PASSPHRASE, Sshd, needs_borg, outside_create
from tests.core.helpers import orm_session

pytestmark = [pytest.mark.borg, needs_borg]


def test_plan_over_ssh(home: Path, catalogue: Any, tmp_path: Path, source_tree: Path,
                       sshd: Sshd, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    url = sshd.url(tmp_path / "remote-repo")
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    assert main(["--home", str(home), "plan", "add", "far", "--engine", "borg", "--repo", url,
                 "--rsh", sshd.rsh, "--source", str(source_tree), "--init"]) == 0
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")
    assert (tmp_path / "remote-repo" / "config").is_file()
    capsys.readouterr()
    assert main(["--home", str(home), "run", "far", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "success" and out["backup_id"]
    outside_create(url, "cron", source_tree, BORG_RSH=sshd.rsh)
    assert main(["--home", str(home), "refresh", "far", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)[0]["new_backups"]) == 1
    to = tmp_path / "back"
    assert main(["--home", str(home), "restore", str(out["backup_id"]), "--to", str(to)]) == 0
    assert (to / source_tree.name / "docs" / "a.txt").read_text() == "alpha\n"


def test_unreachable_host_fails_clearly(home: Path, catalogue: Any, tmp_path: Path,
                                        source_tree: Path, sshd: Sshd,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"ssh://{sshd.user}@127.0.0.1:1{tmp_path}/repo"  # nothing listens on port 1
    rsh = sshd.rsh.replace(f"-p {sshd.port}", "-p 1")
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    assert main(["--home", str(home), "plan", "add", "x", "--engine", "borg", "--repo", url,
                 "--rsh", rsh, "--source", str(source_tree), "--init"]) == 1
    err = capsys.readouterr().err
    assert "over ssh" in err and err.count("\n") == 1
    with orm_session(catalogue) as s:
        job = s.scalars(select(Job)).one()
    assert job.status == "failed" and "ssh" in (job.error or "")


def test_cancel_stops_borg_and_releases_its_lock(tmp_path: Path) -> None:
    src = tmp_path / "big"
    src.mkdir()
    for i in range(40):
        (src / f"f{i}").write_bytes(os.urandom(4 << 20))
    s = RepoSettings.from_options({"repository": str(tmp_path / "repo"), "encryption": "none"})
    env = BorgEnv()
    ops.init_repo(s, env)
    cancel = CancelToken()
    seen = threading.Event()

    def progress(p: Progress) -> None:
        if p.phase == "create":  # borg is reading the files
            seen.set()
            cancel.cancel()

    with pytest.raises(CancelledError):
        ops.create(s, env, "a", [str(src)], progress=progress, cancel=cancel)
    assert seen.is_set()
    assert not [p for p in (tmp_path / "repo").iterdir() if p.name.startswith("lock")]
    ops.create(s, env, "b", [str(src)])  # the repository is usable again at once


def test_passphrase_goes_through_a_descriptor(tmp_path: Path) -> None:
    """The passphrase is in neither argv nor the environment of the borg process."""
    # A stand-in for borg: only it can report what the process received.
    script = tmp_path / "fake-borg"
    script.write_text(f"#!{sys.executable}\n"
                      "import json, os, sys\n"
                      "fd = int(os.environ['BORG_PASSPHRASE_FD'])\n"
                      "print(json.dumps({'argv': ' '.join(sys.argv), "
                      "'env': os.environ.get('BORG_PASSPHRASE', ''), "
                      "'secret': os.read(fd, 100).decode(), "
                      "'relocated': os.environ['BORG_RELOCATED_REPO_ACCESS_IS_OK']}))\n")
    script.chmod(0o755)
    r = run_borg([str(script), "list", "--json", "/r"], BorgEnv(passphrase="s3cret"), "/r")
    data = r.json()
    assert data["secret"] == "s3cret" and data["env"] == "" and "s3cret" not in data["argv"]
    assert data["relocated"] == "no"
    assert "s3cret" not in repr(BorgEnv(passphrase="s3cret"))


def test_cancelled_job_ends_cancelled(home: Path, catalogue: Any, tmp_path: Path) -> None:
    from core.config import AppPaths
    from core.engines.borg.flows import run_borg_plan, setup_repository
    from core.plans import add_plan

    src = tmp_path / "big"
    src.mkdir()
    for i in range(40):
        (src / f"f{i}").write_bytes(os.urandom(4 << 20))
    paths = AppPaths.resolve(str(home))
    plan = add_plan(catalogue, "c", "borg", sources=[str(src)], destinations=[],
                    options={"repository": str(tmp_path / "repo"), "encryption": "none"})
    setup_repository(catalogue, paths, plan, create=True)
    cancel = CancelToken()

    def progress(p: Progress) -> None:
        if p.phase == "create":
            cancel.cancel()

    out = run_borg_plan(catalogue, paths, plan, progress=progress, cancel=cancel)
    assert out.status == "cancelled"
    with orm_session(catalogue) as s:
        job = s.get(Job, out.job_id)
        assert job.status == "cancelled" and job.lock_key is None
    assert run_borg_plan(catalogue, paths, plan).status == "success"
