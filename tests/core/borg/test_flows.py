"""Borg plans end to end on real repositories with the real borg binary."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.catalogue.schema import Backup, Job
from core.cli.main import main
from tests.core.borg.conftest import PASSPHRASE, borg_env, needs_borg, outside_create
from tests.core.helpers import orm_session

pytestmark = [pytest.mark.borg, needs_borg]


def add_plan(home: Path, repo: Path | str, src: Path, monkeypatch: pytest.MonkeyPatch,
             *extra: str, name: str = "docs") -> int:
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    rc = main(["--home", str(home), "plan", "add", name, "--engine", "borg", "--repo",
               str(repo), "--source", str(src), "--exclude", "*.tmp", *extra])
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")
    return rc


def jobs(cat: Any) -> list[Job]:
    with orm_session(cat) as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


def backups(cat: Any) -> list[Backup]:
    with orm_session(cat) as s:
        return list(s.scalars(select(Backup).order_by(Backup.id)
                              .options(selectinload(Backup.locations))))


def test_create_refresh_restore_delete(home: Path, catalogue: Any, tmp_path: Path,
                                       source_tree: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init", "--keep-last", "5") == 0
    assert (repo / "config").is_file()
    secrets = (home / "config" / "secrets.json").read_text()
    assert PASSPHRASE in secrets and (home / "config" / "secrets.json").stat().st_mode & 0o77 == 0
    capsys.readouterr()
    assert main(["--home", str(home), "plan", "show", "docs", "--json"]) == 0
    assert PASSPHRASE not in capsys.readouterr().out
    assert main(["--home", str(home), "run", "docs", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "success" and out["files"] == 3  # the *.tmp file is excluded
    b = backups(catalogue)[0]
    assert b.engine == "borg" and b.original_size and b.deduplicated_size and b.files == 3
    assert b.details["archive"] == b.name and b.name.startswith("docs~bd")
    assert all(PASSPHRASE not in ((j.details and json.dumps(j.details)) or "") for j in
               jobs(catalogue))

    # An archive made by a cron script appears once, with trigger external and real sizes.
    outside_create(str(repo), "cron-nightly", source_tree)
    assert main(["--home", str(home), "refresh", "docs"]) == 0
    assert main(["--home", str(home), "refresh"]) == 0
    ext = [j for j in jobs(catalogue) if j.trigger == "external"]
    assert len(ext) == 1 and ext[0].bytes and ext[0].files == 4 and ext[0].status == "success"
    names = [x.name for x in backups(catalogue)]
    assert "cron-nightly" in names and len(names) == 2

    # Restore a path, then everything, into folders.
    bid = backups(catalogue)[0].id
    part = tmp_path / "part"
    inner = str(source_tree / "docs" / "deep").lstrip("/")
    assert main(["--home", str(home), "restore", str(bid), "--to", str(part),
                 "--path", inner]) == 0
    top = source_tree.name  # each source restores under its base name, as with archives
    restored = part / top / "docs" / "deep" / "b.txt"
    assert restored.read_text() == "bravo\n" * 100
    assert not (part / top / "top.bin").exists() and sorted(os.listdir(part)) == [top]
    whole = tmp_path / "whole"
    assert main(["--home", str(home), "restore", str(bid), "--to", str(whole)]) == 0
    assert (whole / top / "top.bin").read_bytes() == \
        (source_tree / "top.bin").read_bytes()

    # Delete the archive in the repository.
    assert main(["--home", str(home), "delete", str(bid), "--yes"]) == 0
    listed = subprocess.run(["borg", "list", "--short", str(repo)], env=borg_env(),
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == ["cron-nightly"]
    with orm_session(catalogue) as s:
        logs = [j.log.text for j in s.scalars(select(Job))]
    assert logs and not any(PASSPHRASE in text for text in logs)
    kinds = [j.kind for j in jobs(catalogue)]
    assert {"init", "backup", "refresh", "restore", "delete"} <= set(kinds)
    assert all(j.status == "success" for j in jobs(catalogue))


def test_prune_compact_check_verify(home: Path, catalogue: Any, tmp_path: Path,
                                    source_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init", "--keep-last", "1",
                    "--encryption", "repokey-blake2", "--borg-compression", "zstd,3") == 0
    outside_create(str(repo), "other-prefix", source_tree)  # never pruned by the plan
    for _ in range(2):
        (source_tree / "new.txt").write_text(str(len(jobs(catalogue))))
        assert main(["--home", str(home), "run", "docs"]) == 0
    live = [b for b in backups(catalogue) if b.locations and b.locations[0].state != "deleted"]
    assert len([b for b in live if b.name.startswith("docs~bd")]) == 1
    assert any(b.name == "other-prefix" for b in live)
    run = [j for j in jobs(catalogue) if j.kind == "backup" and j.trigger == "cli"][-1]
    with orm_session(catalogue) as s:
        log = s.get(Job, run.id).log.text
    assert "Would prune" in log and "Finished: success" in log

    assert main(["--home", str(home), "compact", "docs"]) == 0
    assert main(["--home", str(home), "check", "docs", "--verify-data"]) == 0
    bid = next(b.id for b in live if b.name.startswith("docs~bd"))
    assert main(["--home", str(home), "verify", str(bid)]) == 0
    assert next(b for b in backups(catalogue) if b.id == bid).locations[0].state == "ok"
    from core.config import AppPaths
    from core.engines.borg import prune

    assert prune(catalogue, AppPaths.resolve(str(home)), "docs", dry_run=True) == []


def test_existing_repository_is_never_initialised_over(home: Path, catalogue: Any,
                                                       tmp_path: Path, source_tree: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["borg", "init", "-e", "repokey", str(repo)], env=borg_env(), check=True,
                   capture_output=True)
    outside_create(str(repo), "before", source_tree)
    assert add_plan(home, repo, source_tree, monkeypatch, "--init", name="a") == 1
    assert "exists already" in capsys.readouterr().err
    assert add_plan(home, repo, source_tree, monkeypatch, "--existing", name="b") == 0
    assert [b.name for b in backups(catalogue)] == ["before"]
    assert add_plan(home, tmp_path / "nothing", source_tree, monkeypatch, name="c") == 1
    assert "Add --init" in capsys.readouterr().err


def test_bad_passphrase_missing_repo_and_busy(home: Path, catalogue: Any, tmp_path: Path,
                                              source_tree: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["borg", "init", "-e", "repokey", str(repo)], env=borg_env(), check=True,
                   capture_output=True)
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", "wrong")
    assert main(["--home", str(home), "plan", "add", "w", "--engine", "borg", "--repo",
                 str(repo), "--source", str(source_tree)]) == 1
    assert "passphrase for the repository" in capsys.readouterr().err
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")
    # No passphrase at all: a clear error, not a prompt (stdin is closed).
    assert main(["--home", str(home), "plan", "add", "n", "--engine", "borg", "--repo",
                 str(repo), "--source", str(source_tree)]) == 1
    assert "no passphrase is stored" in capsys.readouterr().err

    assert add_plan(home, repo, source_tree, monkeypatch, name="ok") == 0
    # borg's own lock held by another process: "busy", and the job says so.
    lock = subprocess.Popen(["borg", "with-lock", str(repo), "sh", "-c", "echo held; read x"],
                            env=borg_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert lock.stdout is not None and lock.stdout.readline() == "held\n"
        capsys.readouterr()
        assert main(["--home", str(home), "run", "ok"]) == 1
        assert "busy" in capsys.readouterr().err
    finally:
        assert lock.stdin is not None
        lock.stdin.close()
        lock.wait()
    failed = jobs(catalogue)[-1]
    assert failed.status == "failed" and "busy" in (failed.error or "")

    # The repository moved away.
    repo.rename(tmp_path / "moved")
    assert main(["--home", str(home), "run", "ok"]) == 1
    assert "no borg repository" in capsys.readouterr().err.lower()


def test_borg_not_installed(home: Path, catalogue: Any, tmp_path: Path, source_tree: Path,
                            monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BACKUPDESK_BORG", str(tmp_path / "no-borg-here"))
    assert add_plan(home, tmp_path / "r", source_tree, monkeypatch, "--init") == 1
    err = capsys.readouterr().err
    assert "not installed" in err and "apt install borgbackup" in err


def test_job_refreshes_only_after_outside_writes(home: Path, catalogue: Any, tmp_path: Path,
                                                 source_tree: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init") == 0
    assert main(["--home", str(home), "run", "docs"]) == 0
    assert main(["--home", str(home), "run", "docs"]) == 0

    def last_log() -> str:
        with orm_session(catalogue) as s:
            job = s.scalars(select(Job).where(Job.trigger == "cli", Job.kind == "backup")
                            .order_by(Job.id.desc())).first()
            return str(job.log.text)

    assert "refresh skipped" in last_log()
    outside_create(str(repo), "cron", source_tree)
    assert main(["--home", str(home), "run", "docs"]) == 0
    assert "1 made outside Backup Desk recorded" in last_log()
    assert [j.trigger for j in jobs(catalogue)].count("external") == 1


def test_existing_unencrypted_repository(home: Path, catalogue: Any, tmp_path: Path,
                                         source_tree: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Chosen as an existing repository, an unencrypted one borg never saw is accepted."""
    repo = tmp_path / "plain"
    other_base = tmp_path / "other-borg-base"
    subprocess.run(["borg", "init", "-e", "none", str(repo)], check=True, capture_output=True,
                   env={**borg_env(), "BORG_BASE_DIR": str(other_base)})
    assert add_plan(home, repo, source_tree, monkeypatch, "--existing",
                    "--encryption", "none") == 0
    assert main(["--home", str(home), "run", "docs"]) == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_disk_full(home: Path, catalogue: Any, tmp_path: Path, source_tree: Path,
                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(small)],
                             capture_output=True)
    if mounted.returncode != 0:  # a container without CAP_SYS_ADMIN
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        (source_tree / "big.bin").write_bytes(os.urandom(8 << 20))
        assert add_plan(home, small / "repo", source_tree, monkeypatch, "--init",
                        "--encryption", "none") == 0
        capsys.readouterr()
        assert main(["--home", str(home), "run", "docs"]) == 1
        assert "is full" in capsys.readouterr().err
        assert jobs(catalogue)[-1].status == "failed"
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_break_lock_needs_confirmation(home: Path, catalogue: Any, tmp_path: Path,
                                       source_tree: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init") == 0
    capsys.readouterr()
    assert main(["--home", str(home), "break-lock", "docs"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["--home", str(home), "break-lock", "docs", "--yes"]) == 0
    assert main(["--home", str(home), "run", "docs"]) == 0


def test_refreshing_every_plan_reports_a_broken_repository_and_goes_on(
        home: Path, catalogue: Any, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    good, gone = tmp_path / "good", tmp_path / "gone"
    assert add_plan(home, good, source_tree, monkeypatch, "--init", name="a-good") == 0
    assert add_plan(home, gone, source_tree, monkeypatch, "--init", name="b-gone") == 0
    outside_create(str(good), "cron-nightly", source_tree)
    shutil.rmtree(gone)
    capsys.readouterr()
    assert main(["--home", str(home), "refresh", "--json"]) == 1
    a, b = json.loads(capsys.readouterr().out)
    assert a["plan"] == "a-good" and len(a["new_backups"]) == 1
    assert b["plan"] == "b-gone" and "error" in b and str(gone) in b["error"]

