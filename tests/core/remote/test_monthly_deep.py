"""A verify schedule goes deep (downloads and hashes the remote copies) once a month: the
scheduler's due verify, at times of a controllable clock, against a real WebDAV server (whose
listing has no hash, so only a deep verify sees a flipped byte)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.catalogue.jobs import get_job
from core.config import AppPaths
from core.plans import get_plan
from core.scheduling import due_jobs
from core.scheduling.loop import Due
from tests.core.remote.conftest import S3, flip_byte, run_cli


def test_scheduled_verify_is_deep_once_a_month(home: Path, tmp_path: Path, webdav: S3,
                                               catalogue) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n" * 1000)
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "dav:backups")
    assert r.returncode == 0, r.stderr
    assert run_cli("run", "p").returncode == 0
    plan = get_plan(catalogue, "p")
    paths = AppPaths.resolve(str(home))
    t0 = datetime.now(UTC)

    def verify_at(days: int) -> due_jobs.Finished:
        at = t0 + timedelta(days=days)
        return due_jobs.execute(catalogue, paths, Due(1, plan.id, "p", "verify", at, at, False))

    first = verify_at(0)  # never verified deep: deep now
    assert first.status == "success", first.error
    archive = next((webdav.root / "backups").rglob("files.tar.zst"))
    flip_byte(archive)
    later = verify_at(10)  # within the month: size only, the flipped byte unseen
    assert later.status == "success", later.error
    month = verify_at(31)
    assert month.status == "failed"
    ran = [get_job(catalogue, x.job_id) for x in (first, later, month) if x.job_id]
    assert [j.details.get("deep") for j in ran if j] == [True, False, True]
    r = run_cli("backups", "--json")
    assert json.loads(r.stdout)[0]["locations"][0]["state"] == "corrupt"
