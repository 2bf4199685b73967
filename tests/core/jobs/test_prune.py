"""Prune of archive plans on real backups: chain-aware, at every destination, recorded."""

from datetime import timedelta

from sqlalchemy import select

from core.backups import BackupFilter, list_backups
from core.catalogue.schema import Backup, Job, JobLog
from core.config import AppPaths
from core.jobs.prune import prune_plan
from core.jobs.run import run_plan
from core.plans import add_plan
from tests.core.helpers import orm_session


def set_keep(cat, name, keep):
    """Give a plan keep rules after its backups were made (runs prune by themselves)."""
    from core.catalogue.schema import Plan

    with orm_session(cat) as s:
        plan = s.scalars(select(Plan).where(Plan.name == name)).one()
        plan.options = {**plan.options, "keep": keep}


def test_every_successful_run_applies_the_keep_rules(catalogue, home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    paths = AppPaths.resolve(str(home))
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(tmp_path / "d")],
             options={"full_every": 1, "keep": {"last": 2}})
    for i in range(4):
        (src / f"f{i}.txt").write_text(str(i))
        assert run_plan(catalogue, paths, "docs").status == "success"
        # "last" keeps one backup per second, as borg's does: space the runs a minute apart
        with orm_session(catalogue) as s:
            b = s.get(Backup, i + 1)
            b.created_at = b.created_at - timedelta(minutes=10 - i)
    assert [b.id for b in list_backups(catalogue)] == [3, 4]
    assert len(list((tmp_path / "d").rglob("manifest.json"))) == 2
    with orm_session(catalogue) as s:
        prunes = s.scalars(select(Job).where(Job.kind == "prune")).all()
        assert [(j.trigger, j.status) for j in prunes] == [("manual", "success")] * 4


def test_keeps_the_chain_of_a_kept_incremental(catalogue, home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    paths = AppPaths.resolve(str(home))
    add_plan(catalogue, "docs", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "d1"), str(tmp_path / "d2")],
             options={"full_every": 3})
    for i in range(5):
        (src / f"f{i}.txt").write_text(str(i))
        assert run_plan(catalogue, paths, "docs").status == "success"
    set_keep(catalogue, "docs", {"last": 1})
    types = [(b.id, b.type, b.parent_id) for b in list_backups(catalogue)]
    assert types == [(1, "full", None), (2, "incremental", 1), (3, "incremental", 2),
                     (4, "full", None), (5, "incremental", 4)]

    dry = prune_plan(catalogue, paths, "docs", dry_run=True)
    assert {i.id: i.reason for i in dry.items if i.keep} == {5: "last #1",
                                                           4: "needed by backup 5"}
    assert sorted(i.id for i in dry.to_remove) == [1, 2, 3]
    assert len(list((tmp_path / "d2").rglob("manifest.json"))) == 5

    done = prune_plan(catalogue, paths, "docs")
    assert sorted(done.removed) == [1, 2, 3] and not done.errors
    assert [b.id for b in list_backups(catalogue)] == [4, 5]
    for d in ("d1", "d2"):
        assert len(list((tmp_path / d).rglob("manifest.json"))) == 2
    with orm_session(catalogue) as s:
        job = s.get(Job, done.job_id)
        assert (job.kind, job.status) == ("prune", "success")
        assert sorted(job.details["removed"]) == [1, 2, 3]
        log = s.scalars(select(JobLog.text).where(JobLog.job_id == job.id)).one()
        assert "removed 1 " in log and "not kept by any rule" in log
    # A restore of the kept incremental still works: its full was kept.
    from core.jobs.restore import restore_backup

    restore_backup(catalogue, 5, to=tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.txt")) == [
        f"f{i}.txt" for i in range(5)]


def test_nothing_is_removed_when_a_destination_is_unreachable(catalogue, home, tmp_path):
    import shutil

    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_text("a")
    paths = AppPaths.resolve(str(home))
    add_plan(catalogue, "docs", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "d1"), str(tmp_path / "d2")],
             options={"full_every": 1})
    for _ in range(2):
        run_plan(catalogue, paths, "docs")
    set_keep(catalogue, "docs", {"last": 1})
    shutil.rmtree(tmp_path / "d2")
    r = prune_plan(catalogue, paths, "docs")
    assert r.removed == [] and r.errors and "not mounted" in r.errors[0]
    with orm_session(catalogue) as s:
        assert s.get(Job, r.job_id).status == "partial"
    assert len(list_backups(catalogue, BackupFilter(plans=("docs",)))) == 2
