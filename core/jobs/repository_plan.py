"""Jobs on a repository plan: the rest of a run once the archive is being created (record ->
prune -> compact -> refresh -> index; the run itself: core.jobs.repository_run), prune, compact,
check, refresh, list, info, set-up, break-lock. Each is one job in the history (except
break-lock) holding the repository's lock, through core.jobs.lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import engines
from core.catalogue import archives
from core.catalogue.db import Catalogue
from core.catalogue.jobs import discard_job
from core.catalogue.models import JobKind, JobStatus, JobTrigger, Plan
from core.catalogue.plans import all_plans
from core.config import AppPaths
from core.engines import Capability
from core.engines.api import DAMAGED, ArchiveEntry, CreateResult
from core.errors import BackupDeskError, CancelledError, ConfigError, LockedError
from core.findex.borg_feed import Prescan, created_files
from core.findex.indexing import index_quietly, plan_index_path, remove_gone, repository_files
from core.fmt import count
from core.jobs.repo_session import RepoJob, open_repository, repo_job, repository_plan
from core.jobs.repository_records import RefreshReport, plan_archives, record_archive, renamed
from core.jobs.repository_records import refresh as refresh_records
from core.progress import CancelToken, ProgressCallback, no_progress
from core.watch.warnings import normalised


class AfterCreate:
    """The rest of a run (core.jobs.repository_run), prepared while the engine creates the
    archive (the index's prescan starts), then `finish`: record the archive, prune, compact,
    refresh, index it, and fill in how the job ends."""

    def __init__(self, cat: Catalogue, rj: RepoJob, unchanged: bool, started_ns: int) -> None:
        self.cat, self.rj, self.unchanged, self.started_ns = cat, rj, unchanged, started_ns
        rj.log(f"Creating an archive of plan {rj.plan.name} in {rj.repo.location}.")
        self.prescan = Prescan(plan_index_path(cat, rj.plan.id), started_ns)

    def finish(self, res: CreateResult, state: dict[str, Any]) -> None:
        cat, rj = self.cat, self.rj
        repo, p, j = rj.repo, rj.plan, rj.job
        j.log(res.log)
        st = res.stats
        state["backup_id"] = record_archive(cat, p, j.id, repo.location, st)
        j.log(f"Archive {st.name}: {count(st.files, 'file')}, {st.original_size} bytes "
              f"original, {st.compressed_size} compressed, {st.deduplicated_size} "
              "deduplicated.")
        problems = list(res.warnings)
        refreshed: list[dict[str, Any]] = []  # job warnings of the refresh (an index failure)
        for step in _after_create(cat, rj, self.unchanged):
            try:
                if isinstance(done := step(), RefreshReport):
                    refreshed += done.warnings
            except CancelledError:
                raise
            except BackupDeskError as e:
                j.log(f"Failed: {e}")
                problems.append(str(e))
        # After the refresh: archives made outside since the last run are indexed before this.
        files_of = created_files(state["backup_id"], res.listed, self.started_ns, st.files,
                                 p.sources, self.prescan, repository_files(repo, j.cancel),
                                 j.log)
        indexed = index_quietly(cat, state["backup_id"], files_of, j.log)
        end = j.end
        end.status = JobStatus.PARTIAL if problems else JobStatus.SUCCESS
        end.error = (f"{count(len(problems), 'problem')}: " + "; ".join(problems[:3])) \
            if problems else None
        end.bytes, end.files = st.original_size, st.files
        end.details = {"backup_id": state["backup_id"], "type": "archive",
                       "archive": st.to_json(),
                       "warnings": normalised(problems[:100]) + indexed.warnings + refreshed}
        if indexed.changes is not None:
            end.details["changes"] = indexed.changes
        state["status"], state["error"], state["warnings"] = end.status, end.error, problems


def _after_create(cat: Catalogue, rj: RepoJob, unchanged: bool) -> list[Callable[[], object]]:
    repo, j = rj.repo, rj.job
    steps: list[Callable[[], object]] = []
    if repo.prune_after_run:
        steps.append(lambda: _prune_step(cat, rj))
    if repo.compact_after_run:
        steps.append(lambda: j.log(repo.compact(j.progress, j.cancel) or ["Compacted."]))
    if unchanged and not steps:  # nobody wrote since our last job: nothing to find
        steps.append(lambda: j.log("No outside changes to the repository since the last "
                                   "job; refresh skipped."))
    else:
        steps.append(lambda: _refresh_step(cat, rj))
    return steps


def _prune_step(cat: Catalogue, rj: RepoJob, dry_run: bool = False) -> list[str]:
    """Prune the plan's archives, and only those: the engine's dry-run list is checked against
    the archives the catalogue knows this plan made, and exactly those are deleted."""
    repo, p, j = rj.repo, rj.plan, rj.job
    if not repo.keep:
        j.log("No keep rules: nothing pruned.")
        return []
    if not dry_run:
        _rename_old_archives(cat, rj)
    ours = plan_archives(cat, p, repo.location)
    j.log(f"Pruning the archives of plan {p.name} with {_keep_text(repo.keep)}.")
    res = repo.prune(dry_run=True, cancel=j.cancel)
    j.log(res.log)
    # A stranger that would be kept still takes one of the plan's keep slots: refuse too.
    strangers = sorted(a.name for a in [*res.pruned, *res.kept] if a.id not in ours)
    if strangers:
        raise ConfigError(f"Prune refused: {count(len(strangers), 'archive')} that Backup Desk "
                          f"did not make for plan {p.name!r} match its archive names: "
                          + ", ".join(strangers[:10]) + ". Nothing was deleted; rename "
                          f"or delete them with {p.engine}.")
    names = [a.name for a in res.pruned]
    if dry_run or not names:
        return names
    j.log(repo.delete(names, j.cancel))
    remove_gone(cat, archives.mark_gone(cat, p.engine, repo.location, archive_names=names))
    return names


def _rename_old_archives(cat: Catalogue, rj: RepoJob) -> None:
    """Archives the plan made under an older naming get the current one (recognised by their
    catalogue record, never by name), so that its keep rules cover them."""
    repo, j = rj.repo, rj.job
    for old_id, old in plan_archives(cat, rj.plan, repo.location).items():
        new = repo.plan_name(old)
        if new == old:
            continue
        j.log(f"Renaming archive {old} to {new}.")
        repo.rename(old, new, j.cancel)
        renamed(cat, repo.location, old_id, repo.archive_info(new, j.cancel))


def _refresh_step(cat: Catalogue, rj: RepoJob) -> RefreshReport:
    rep = refresh_records(cat, rj.plan, rj.repo, rj.job.cancel)
    rj.job.log(rep.summary())
    return rep


def _keep_text(keep: dict[str, int]) -> str:
    return ", ".join(f"keep-{k} {v}" for k, v in keep.items()) or "no keep rules"


def prune(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *, dry_run: bool = False,
          trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
          cancel: CancelToken | None = None) -> list[str]:
    """Prune the plan's archives by its keep rules (a prune job); the archive names pruned,
    or with dry_run those that would be."""
    p = repository_plan(cat, plan)
    with repo_job(cat, p, JobKind.PRUNE.value, paths=paths, secrets=secrets, trigger=trigger,
                  cancel=cancel) as rj:
        names = _prune_step(cat, rj, dry_run)
        rep = None if dry_run else _refresh_step(cat, rj)
        rj.job.end.details = {"pruned": names, "dry_run": dry_run,
                              "warnings": rep.warnings if rep else []}
    return names


def compact(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
            trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> int:
    p = repository_plan(cat, plan)
    with repo_job(cat, p, JobKind.COMPACT.value, paths=paths, secrets=secrets,
                  trigger=trigger, progress=progress, cancel=cancel) as rj:
        rj.log(rj.repo.compact(rj.job.progress, rj.cancel) or ["Compacted."])
    return rj.job.id


def check(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
          verify_data: bool = False, trigger: str = JobTrigger.MANUAL.value,
          secrets: Any = None, progress: ProgressCallback = no_progress,
          cancel: CancelToken | None = None) -> int:
    """Check the repository as a verify job; the plan's archives are marked ok (or corrupt)."""
    p = repository_plan(cat, plan)
    with repo_job(cat, p, JobKind.VERIFY.value, paths=paths, secrets=secrets,
                  trigger=trigger, progress=progress, cancel=cancel,
                  details={"verify_data": verify_data}) as rj:
        loc = rj.repo.location
        rj.log(f"Checking {loc}" + (" with --verify-data." if verify_data else "."))
        try:
            rj.log(rj.repo.check(rj.job.progress, rj.cancel, verify_data=verify_data))
        except BackupDeskError as e:
            if e.kind == DAMAGED:
                archives.mark_checked(cat, p.engine, loc, False, by=f"{p.engine} check")
            raise
        archives.mark_checked(cat, p.engine, loc, True, by=f"{p.engine} check")
        rj.job.end.details = {"verify_data": verify_data}
    return rj.job.id


def refresh(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
            trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
            cancel: CancelToken | None = None) -> RefreshReport:
    """Find archives made outside Backup Desk (a refresh job). The app's own refresh at
    start-up (trigger "app") leaves no job behind when nothing changed, and starts none when
    the repository is where our last job left it."""
    p = repository_plan(cat, plan)
    by_app = trigger == JobTrigger.APP.value
    if by_app and open_repository(p, paths, with_secret=False).repo.unchanged():
        return RefreshReport()
    with repo_job(cat, p, JobKind.REFRESH.value, paths=paths, secrets=secrets,
                  trigger=trigger, cancel=cancel) as rj:
        rep = _refresh_step(cat, rj)
        rj.job.end.details = {"archives": rep.archives, "new_backups": rep.new_backups,
                              "gone": rep.gone, "warnings": rep.warnings}
    if by_app and not rep.new_backups and not rep.gone:
        discard_job(cat, rj.job.id)
    return rep


def refresh_all(cat: Catalogue, paths: AppPaths | None, *,
                trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
                cancel: CancelToken | None = None) -> dict[str, RefreshReport | BackupDeskError]:
    """Refresh every enabled plan whose engine keeps a repository (on opening the app): a
    report or the error, per plan name; a repository busy with another job is skipped."""
    out: dict[str, RefreshReport | BackupDeskError] = {}
    for p in all_plans(cat):
        if not p.enabled or not engines.keeps_repository(p.engine) \
                or not engines.can(p.engine, Capability.REFRESH):
            continue
        if cancel is not None and cancel.cancelled:
            break
        try:
            out[p.name] = refresh(cat, paths, p, trigger=trigger, secrets=secrets, cancel=cancel)
        except LockedError:  # our job or another program holds the repository
            continue
        except BackupDeskError as e:
            out[p.name] = e
    return out


def list_archives(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
                  trigger: str = JobTrigger.MANUAL.value,
                  secrets: Any = None) -> list[ArchiveEntry]:
    p = repository_plan(cat, plan)
    with repo_job(cat, p, "list", paths=paths, secrets=secrets, trigger=trigger) as rj:
        items = rj.repo.list_archives(rj.cancel)
        rj.log(f"{count(len(items), 'archive')}.")
        rj.job.end.details = {"archives": len(items)}
    return items


def repo_info(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
              trigger: str = JobTrigger.MANUAL.value, secrets: Any = None) -> dict[str, Any]:
    p = repository_plan(cat, plan)
    with repo_job(cat, p, "info", paths=paths, secrets=secrets, trigger=trigger) as rj:
        info = rj.repo.info(rj.cancel)
        rj.log(f"Repository {rj.repo.location}: {info.stored_bytes} bytes stored.")
        rj.job.end.details = {"stats": (info.data.get("cache") or {}).get("stats") or {}}
    return info.data


def setup_repository(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
                     create: bool, trigger: str = JobTrigger.MANUAL.value,
                     secrets: Any = None) -> int:
    """"Create new repository" (init) or "Use existing repository" (read, never initialised
    over)."""
    p = repository_plan(cat, plan)
    kind = JobKind.INIT.value if create else JobKind.REFRESH.value
    with repo_job(cat, p, kind, paths=paths, secrets=secrets, trigger=trigger) as rj:
        repo = rj.repo
        if create:
            rj.log(f"Creating a repository at {repo.location}.")
            rj.log(repo.init(rj.cancel))
        else:
            mode = repo.info(rj.cancel, adopt=True).encryption
            rj.log(f"Using the existing {mode} repository at {repo.location}.")
        _refresh_step(cat, rj)
    return rj.job.id


def break_lock(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
               secrets: Any = None, cancel: CancelToken | None = None) -> str:
    """Break the lock of the plan's repository (no job: the lock may be anyone's); the
    repository's location. Only when no process of the engine uses the repository."""
    p = repository_plan(cat, plan)
    repo = open_repository(p, paths, secrets).repo
    repo.break_lock(cancel or CancelToken())
    return repo.location
