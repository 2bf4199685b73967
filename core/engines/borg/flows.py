"""The job flows of borg plans: run (create -> prune -> compact -> refresh), prune, compact,
check, refresh, list, info. Each is one job in the history, holding the repository's lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from core.catalogue.db import Catalogue
from core.catalogue.models import JobKind, JobStatus, JobTrigger, Plan
from core.config import AppPaths
from core.engines.borg import ops, records, stamps
from core.engines.borg.jobs import JobEnd, RepoJob, run_job
from core.engines.borg.repo import archive_glob, archive_name, tagged_name
from core.errors import BackupDeskError, CancelledError, ConfigError
from core.fmt import count
from core.plans import get_plan
from core.progress import CancelToken, ProgressCallback, no_progress
from core.timeutil import utcnow

if TYPE_CHECKING:
    from core.jobs.outcome import RunOutcome


def _plan(cat: Catalogue, plan: str | Plan) -> Plan:
    p = get_plan(cat, plan) if isinstance(plan, str) else plan
    if p.engine != "borg":
        raise ConfigError(f"Plan {p.name!r} is not a borg plan.")
    return p


def run_borg_plan(cat: Catalogue, paths: AppPaths, plan: str | Plan, *,
                  trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
                  progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                  secrets: Any = None) -> RunOutcome:
    """Create an archive, then prune and compact if the plan says so, then refresh."""
    from core.jobs.outcome import RunOutcome

    p = _plan(cat, plan)
    if not p.sources:
        raise ConfigError(f"Plan {p.name!r} has no sources.")
    state: dict[str, Any] = {}

    def body(job: RepoJob, end: JobEnd) -> None:
        state["job_id"] = job.job_id
        s = job.settings
        name = archive_name(p.name, p.id, utcnow())
        job.log(f"Creating archive {name} in {s.location}.")
        res = ops.create(s, job.env, name, list(p.sources), list(p.excludes),
                         job.report if job.listening else no_progress, job.cancel)
        job.log(res.log)
        st: ops.ArchiveStats = res.data
        state["backup_id"] = records.record_archive(job.cat, p, job.job_id, s.location, st)
        job.log(f"Archive {st.name}: {count(st.files, 'file')}, {st.original_size} bytes original, "
                f"{st.compressed_size} compressed, {st.deduplicated_size} deduplicated.")
        problems = list(res.warnings)
        for step in _after_create(job, p):
            try:
                step()
            except CancelledError:
                raise
            except BackupDeskError as e:
                job.log(f"Failed: {e}")
                problems.append(str(e))
        end.status = JobStatus.PARTIAL if problems else JobStatus.SUCCESS
        end.error = (f"{count(len(problems), 'problem')}: " + "; ".join(problems[:3])) if problems \
            else None
        end.bytes, end.files = st.original_size, st.files
        end.details = {"backup_id": state["backup_id"], "type": "archive",
                       "archive": st.to_json(), "warnings": problems[:100]}
        state["status"], state["error"], state["warnings"] = end.status, end.error, problems

    try:
        run_job(cat, p, JobKind.BACKUP.value, body, paths=paths, secrets=secrets,
                trigger=trigger, requested_by=requested_by, progress=progress, cancel=cancel)
    except BackupDeskError as e:
        if "job_id" not in state:
            raise  # no job was started (lock held, ...)
        status = JobStatus.CANCELLED if isinstance(e, CancelledError) else JobStatus.FAILED
        return RunOutcome(state["job_id"], status.value, state.get("backup_id"), None, str(e),
                          error_kind=e.kind)
    return RunOutcome(state["job_id"], state["status"].value, state["backup_id"], "archive",
                      state["error"], state["warnings"])


def _after_create(job: RepoJob, p: Plan) -> list[Callable[[], object]]:
    s = job.settings
    steps: list[Callable[[], object]] = []
    if s.prune and s.keep:
        steps.append(lambda: _prune_step(job, p))
    if s.compact and s.prune and s.keep:
        steps.append(lambda: job.log(ops.compact(s, job.env, job.report, job.cancel).log
                                     or ["Compacted."]))
    if job.unchanged and not steps:  # nobody wrote since our last job: nothing to find
        steps.append(lambda: job.log("No outside changes to the repository since the last "
                                     "job; refresh skipped."))
    else:
        steps.append(lambda: _refresh_step(job, p))
    return steps


def _prune_step(job: RepoJob, p: Plan, dry_run: bool = False) -> list[str]:
    """Prune the plan's archives, and only those: borg's dry-run list is checked against the
    archives the catalogue knows this plan made, and exactly those are deleted."""
    s = job.settings
    if not dry_run:
        _tag_old_archives(job, p)
    ours = records.plan_archives(job.cat, p.id, s.location)
    job.log(f"Pruning archives {archive_glob(p.id)} with {_keep_text(s.keep)}.")
    res = ops.prune(s, job.env, archive_glob(p.id), dry_run=True, cancel=job.cancel)
    job.log(res.log)
    would, kept = res.data
    # A stranger that would be kept still takes one of the plan's keep slots: refuse too.
    strangers = sorted(a.name for a in [*would, *kept] if a.id not in ours)
    if strangers:
        raise ConfigError(f"Prune refused: {count(len(strangers), 'archive')} that Backup Desk "
                          f"did not make for plan {p.name!r} match its archive names: "
                          + ", ".join(strangers[:10]) + ". Nothing was deleted; rename "
                          "or delete them with borg.")
    names = [a.name for a in would]
    if dry_run or not names:
        return names
    job.log(ops.delete_archives(s, job.env, names, job.cancel).log)
    records.mark_gone(job.cat, s.location, archive_names=names)
    return names


def _tag_old_archives(job: RepoJob, p: Plan) -> None:
    """Archives the plan made before names carried its tag get it (recognised by their
    catalogue record, never by name), so that its keep rules cover them."""
    s = job.settings
    for old_id, old in records.plan_archives(job.cat, p.id, s.location).items():
        new = tagged_name(old, p.name, p.id)
        if new == old:
            continue
        job.log(f"Renaming archive {old} to {new}.")
        ops.rename(s, job.env, old, new, job.cancel)
        records.renamed(job.cat, s.location, old_id, ops.archive_info(s, job.env, new,
                                                                       job.cancel))


def _refresh_step(job: RepoJob, p: Plan) -> records.RefreshReport:
    rep = records.refresh(job.cat, p, job.settings, job.env, job.cancel)
    job.log(rep.summary())
    return rep


def _keep_text(keep: dict[str, int]) -> str:
    return ", ".join(f"keep-{k} {v}" for k, v in keep.items()) or "no keep rules"


def prune(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *, dry_run: bool = False,
          trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
          cancel: CancelToken | None = None) -> list[str]:
    """Prune the plan's archives by its keep rules (a prune job); the archive names pruned,
    or with dry_run those that would be."""
    p = _plan(cat, plan)

    def body(job: RepoJob, end: JobEnd) -> list[str]:
        names = _prune_step(job, p, dry_run)
        if not dry_run:
            _refresh_step(job, p)
        end.details = {"pruned": names, "dry_run": dry_run}
        return names

    return list(run_job(cat, p, JobKind.PRUNE.value, body, paths=paths, secrets=secrets,
                        trigger=trigger, cancel=cancel)[1])


def compact(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
            trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> int:
    p = _plan(cat, plan)

    def body(job: RepoJob, end: JobEnd) -> None:
        job.log(ops.compact(job.settings, job.env, job.report, job.cancel).log or ["Compacted."])

    return run_job(cat, p, JobKind.COMPACT.value, body, paths=paths, secrets=secrets,
                   trigger=trigger, progress=progress, cancel=cancel)[0]


def check(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
          verify_data: bool = False, trigger: str = JobTrigger.MANUAL.value,
          secrets: Any = None, progress: ProgressCallback = no_progress,
          cancel: CancelToken | None = None) -> int:
    """`borg check` as a verify job; the plan's archives are marked ok (or corrupt)."""
    p = _plan(cat, plan)

    def body(job: RepoJob, end: JobEnd) -> None:
        job.log(f"Checking {job.settings.location}"
                + (" with --verify-data." if verify_data else "."))
        try:
            job.log(ops.check(job.settings, job.env, verify_data=verify_data,
                              progress=job.report, cancel=job.cancel).log)
        except BackupDeskError as e:
            if getattr(e, "msgid", "x") is None:  # check ran and found damage
                records.mark_checked(job.cat, job.settings.location, False)
            raise
        records.mark_checked(job.cat, job.settings.location, True)
        end.details = {"verify_data": verify_data}

    return run_job(cat, p, JobKind.VERIFY.value, body, paths=paths, secrets=secrets,
                   trigger=trigger, progress=progress, cancel=cancel,
                   details={"verify_data": verify_data})[0]


def refresh(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
            trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
            cancel: CancelToken | None = None) -> records.RefreshReport:
    """Find archives made outside Backup Desk (a refresh job). The app's own refresh at
    start-up (trigger "app") leaves no job behind when nothing changed, and starts none when
    a local repository is at the transaction our last job left it at."""
    from core.catalogue.jobs import discard_job
    from core.engines.borg.repo import RepoSettings

    p = _plan(cat, plan)
    by_app = trigger == JobTrigger.APP.value
    state_dir = (paths or AppPaths.resolve()).state_dir
    location = RepoSettings.from_options(dict(p.options)).location
    if by_app and stamps.unchanged(state_dir, location):
        return records.RefreshReport()

    def body(job: RepoJob, end: JobEnd) -> records.RefreshReport:
        rep = _refresh_step(job, p)
        end.details = {"archives": rep.archives, "new_backups": rep.new_backups,
                       "gone": rep.gone}
        return rep

    job_id, rep = run_job(cat, p, JobKind.REFRESH.value, body, paths=paths, secrets=secrets,
                          trigger=trigger, cancel=cancel)
    if by_app and not rep.new_backups and not rep.gone:
        discard_job(cat, job_id)
    assert isinstance(rep, records.RefreshReport)
    return rep


def list_archives(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
                  trigger: str = JobTrigger.MANUAL.value,
                  secrets: Any = None) -> list[ops.ArchiveEntry]:
    p = _plan(cat, plan)

    def body(job: RepoJob, end: JobEnd) -> list[ops.ArchiveEntry]:
        items = ops.list_archives(job.settings, job.env, job.cancel)
        job.log(f"{count(len(items), 'archive')}.")
        end.details = {"archives": len(items)}
        return items

    return list(run_job(cat, p, "list", body, paths=paths, secrets=secrets,
                        trigger=trigger)[1])


def repo_info(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
              trigger: str = JobTrigger.MANUAL.value, secrets: Any = None) -> dict[str, Any]:
    p = _plan(cat, plan)

    def body(job: RepoJob, end: JobEnd) -> dict[str, Any]:
        data: dict[str, Any] = ops.repo_info(job.settings, job.env, job.cancel).data
        stats = (data.get("cache") or {}).get("stats") or {}
        job.log(f"Repository {job.settings.location}: {stats.get('unique_csize', 0)} bytes "
                "stored.")
        end.details = {"stats": stats}
        return data

    data: dict[str, Any] = run_job(cat, p, "info", body, paths=paths, secrets=secrets,
                                   trigger=trigger)[1]
    return data


def setup_repository(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
                     create: bool, trigger: str = JobTrigger.MANUAL.value,
                     secrets: Any = None) -> int:
    """"Create new repository" (borg init) or "Use existing repository" (checked with borg
    info, never initialised over)."""
    p = _plan(cat, plan)

    def body(job: RepoJob, end: JobEnd) -> None:
        s = job.settings
        if create:
            job.log(f"Creating a {s.encryption} repository at {s.location}.")
            job.log(ops.init_repo(s, job.env, job.cancel).log)
        else:
            # The user chose this repository: borg may learn it even if it is unencrypted
            # (later jobs refuse an unknown unencrypted repository).
            known = replace(job.env, extra={**job.env.extra,
                                            "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"})
            data = ops.repo_info(s, known, job.cancel).data
            mode = (data.get("encryption") or {}).get("mode", "?")
            job.log(f"Using the existing {mode} repository at {s.location}.")
        _refresh_step(job, p)

    return run_job(cat, p, JobKind.INIT.value if create else JobKind.REFRESH.value, body,
                   paths=paths, secrets=secrets, trigger=trigger)[0]


def refresh_all(cat: Catalogue, paths: AppPaths | None, *,
                trigger: str = JobTrigger.MANUAL.value, secrets: Any = None,
                cancel: CancelToken | None = None
                ) -> dict[str, records.RefreshReport | BackupDeskError]:
    """Refresh every borg plan (on opening the app): a report or the error, per plan name;
    a repository busy with another job is skipped silently."""
    from core.engines.borg.errors import RepositoryBusyError
    from core.errors import LockedError
    from core.plans import list_plans

    out: dict[str, records.RefreshReport | BackupDeskError] = {}
    for p in list_plans(cat):
        if p.engine != "borg" or not p.enabled:
            continue
        try:
            if cancel is not None and cancel.cancelled:
                break
            out[p.name] = refresh(cat, paths, p, trigger=trigger, secrets=secrets, cancel=cancel)
        except (LockedError, RepositoryBusyError):
            continue
        except BackupDeskError as e:
            out[p.name] = e
    return out


def break_lock(cat: Catalogue, paths: AppPaths | None, plan: str | Plan, *,
               secrets: Any = None, cancel: CancelToken | None = None) -> str:
    """`borg break-lock` of the plan's repository (no job: the lock may be anyone's); the
    repository's location. Only when no borg process uses the repository."""
    from core.engines.borg.jobs import plan_passphrase
    from core.engines.borg.repo import RepoSettings

    p = _plan(cat, plan)
    s = RepoSettings.from_options(dict(p.options))
    ops.break_lock(s, s.env(plan_passphrase(p, secrets, paths)))
    return s.location


def is_busy(error: BaseException | str | None) -> bool:
    """True if a run's error (or the exception) says another process holds borg's lock."""
    from core.engines.borg.errors import RepositoryBusyError

    if isinstance(error, BaseException):
        return isinstance(error, RepositoryBusyError)
    return bool(error) and " is busy: another borg process holds its lock" in str(error)
