"""Archives of repository engines in the catalogue (core.catalogue.archives, plain SQL): what
they write reads back through the rest of the app the same, in SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from core.backups import get_backup
from core.catalogue import archives
from core.catalogue.archives import ArchiveRecord
from core.catalogue.jobs import record_external_job, start_job
from core.plans import add_plan

REPO = "/srv/borg/repo"


@pytest.fixture
def catalogue(any_catalogue: Any) -> Any:
    return any_catalogue


def _archive(aid: str, name: str) -> ArchiveRecord:
    return ArchiveRecord(aid, name, datetime(2026, 5, 1, 12, 30, 15, 250000), 300, 1000, 200,
                         4, {"id": aid, "name": name, "hostname": "pc", "username": "ann"})


def test_archives_written_in_plain_sql_read_back(catalogue: Any) -> None:
    plan = add_plan(catalogue, "docs", "borg", sources=["/home/ann/docs"], destinations=[],
                    options={"repository": REPO})
    job = start_job(catalogue, engine="borg", kind="backup", plan_id=plan.id, plan_name="docs")
    ours = archives.record_archive(catalogue, engine="borg", plan_id=plan.id, plan_name="docs",
                                   job_id=job, location=REPO, archive=_archive("a1", "docs-1"),
                                   made_by_app=True)
    outside_job = record_external_job(catalogue, external_ref="borg:a2", engine="borg",
                                      kind="backup", started_at=datetime(2026, 5, 1),
                                      finished_at=None, plan_id=plan.id, plan_name="docs")
    theirs = archives.record_archive(catalogue, engine="borg", plan_id=plan.id,
                                     plan_name="docs", job_id=outside_job, location=REPO,
                                     archive=_archive("a2", "cron-1"), made_by_app=False)
    b = get_backup(catalogue, ours)
    assert (b.name, b.type, b.engine, b.size, b.files, b.job_id) == \
        ("docs-1", "archive", "borg", 300, 4, job)
    assert b.created_at == datetime(2026, 5, 1, 12, 30, 15, 250000)
    assert b.details == {"repository": REPO, "archive": "docs-1", "id": "a1", "name": "docs-1",
                         "hostname": "pc", "username": "ann", "made_by": "backupdesk"}
    assert [(loc.destination, loc.path, loc.state) for loc in b.locations] == \
        [(REPO, f"{REPO}::docs-1", "unverified")]
    assert "made_by" not in get_backup(catalogue, theirs).details

    assert archives.plan_archives(catalogue, "borg", plan.id, REPO) == {"a1": "docs-1"}
    assert archives.plan_archives(catalogue, "borg", plan.id, "/elsewhere") == {}
    assert archives.known_ids(catalogue, ["a1", "a2", "a3"]) == {"a1", "a2"}

    archives.renamed(catalogue, REPO, "a1", "a9", "docs~bd1~1")
    b = get_backup(catalogue, ours)
    assert (b.name, b.details["id"], b.details["archive"]) == ("docs~bd1~1", "a9", "docs~bd1~1")
    assert b.locations[0].path == f"{REPO}::docs~bd1~1"

    archives.mark_checked(catalogue, "borg", REPO, True, by="borg check")
    loc = get_backup(catalogue, ours).locations[0]
    assert loc.state == "ok" and loc.verified_at is not None

    assert archives.mark_gone(catalogue, "borg", REPO, keep_ids={"a9"}) == [theirs]
    assert archives.mark_gone(catalogue, "borg", REPO, keep_ids={"a9"}) == []  # once
    assert get_backup(catalogue, theirs).status == "deleted"
    assert archives.plan_archives(catalogue, "borg", plan.id, REPO) == {"a9": "docs~bd1~1"}

