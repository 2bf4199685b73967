"""Run one backup job: lock -> destinations -> engine -> placement -> catalogue -> verify.

The one place that records a backup job's life; a job is never left running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import placement
from core.catalogue.db import Catalogue
from core.catalogue.dest_records import interrupted_jobs, recorded_paths, set_marker
from core.catalogue.history import job_rows
from core.catalogue.jobs import (
    HEARTBEAT_EVERY,
    append_log,
    finish_job,
    heartbeat,
    plan_lock_key,
    start_job,
)
from core.catalogue.models import JobKind, JobStatus, JobTrigger, LocationState, Plan
from core.config import AppPaths
from core.destinations import (
    adopt_destination,
    check_destination,
    require_mounted,
    safe_delete,
)
from core.engines.api import Engine, RunRequest, RunResult
from core.errors import BackupDeskError, CancelledError, ConfigError, DestinationError
from core.fmt import count
from core.plans import get_plan
from core.progress import CancelToken, Progress, ProgressCallback, no_progress
from core.record import record_backup
from core.run_prep import choose_mode, database_targets, expected_size
from core.secrets import SecretStore
from core.timeutil import utcnow
from core.verify import store as store_verify
from core.verify import verify_locations

log = logging.getLogger(__name__)


def _archive() -> Engine:
    from core.engines.archive import ArchiveEngine

    return ArchiveEngine()


# Engines that write artifacts for the runner to place; Borg will register its own runner.
ENGINES: dict[str, Callable[[], Engine]] = {"archive": _archive}


@dataclass
class RunOutcome:
    job_id: int
    status: str
    backup_id: int | None = None
    type: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    error_kind: str | None = None  # core.errors' kind of a failed run ("busy", ...)

    @property
    def exit_code(self) -> int:
        return {JobStatus.SUCCESS.value: 0, JobStatus.PARTIAL.value: 3}.get(self.status, 1)

    def to_json(self, cat: Catalogue) -> dict[str, Any]:
        rows = job_rows(cat, [self.job_id])
        data = rows[0].to_json() if rows else {"id": self.job_id, "status": self.status}
        return {**data, "backup_id": self.backup_id, "type": self.type,
                "warnings": self.warnings}


class _Heartbeat:
    def __init__(self, cat: Catalogue, job_id: int) -> None:
        self.cat, self.job_id = cat, job_id
        self.last: Progress | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}",
                                        daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            p = self.last
            try:
                if p is not None:
                    heartbeat(self.cat, self.job_id, bytes=p.bytes_done, files=p.files_done,
                              phase=p.phase[:32])
                else:
                    heartbeat(self.cat, self.job_id)
            except Exception:  # a missed heartbeat is logged, never fatal
                log.exception("heartbeat of job %s failed", self.job_id)


def run_plan(cat: Catalogue, paths: AppPaths, plan_name: str, *, mode: str = "auto",
             trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
             progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
             secrets: SecretStore | None = None) -> RunOutcome:
    """Run the plan now. LockedError if it is running anywhere; else an outcome, never raising
    for a failed run (its error is in the outcome and in the job)."""
    if mode not in ("auto", "full", "incremental"):
        raise ConfigError(f"Unknown run mode {mode!r}.")
    plan = get_plan(cat, plan_name)
    if plan.engine == "borg":
        from core.engines.borg import run_borg_plan

        return run_borg_plan(cat, paths, plan, trigger=trigger, requested_by=requested_by,  # type: ignore[no-any-return]
                             progress=progress, cancel=cancel, secrets=secrets)
    factory = ENGINES.get(plan.engine)
    if factory is None:
        raise ConfigError(f"Plans of the {plan.engine} engine cannot be run by this version.")
    cancel = cancel or CancelToken()
    job_id = start_job(cat, engine=plan.engine, kind=JobKind.BACKUP.value, trigger=trigger,
                       plan_id=plan.id, plan_name=plan.name, requested_by=requested_by,
                       lock_key=plan_lock_key(plan.id))
    with _Heartbeat(cat, job_id) as hb:
        def report(p: Progress) -> None:
            hb.last = p
            progress(p)

        job = _Job(cat, paths, plan, job_id, factory(), report, cancel,
                   secrets or SecretStore(paths))
        outcome = job.run(mode)
    if outcome.status in (JobStatus.SUCCESS.value, JobStatus.PARTIAL.value):
        from core.prune import after_backup

        after_backup(cat, paths, plan.name, trigger=trigger)  # keep rules; its own job
    return outcome


class _Job:
    def __init__(self, cat: Catalogue, paths: AppPaths, plan: Plan, job_id: int, engine: Engine,
                 progress: ProgressCallback, cancel: CancelToken, secrets: SecretStore) -> None:
        self.cat, self.paths, self.plan, self.job_id = cat, paths, plan, job_id
        self.engine, self.progress, self.cancel, self.secrets = engine, progress, cancel, secrets
        self.staging: Path | None = None
        self.primary: Path | None = None
        # Folders put in place but not yet recorded: removed if the job ends before recording.
        self.unrecorded: list[tuple[Path, Path]] = []
        self.refused: list[placement.Placed] = []  # destinations skipped, with the reason

    def log(self, text: str) -> None:
        stamp = utcnow().strftime("%H:%M:%S")
        append_log(self.cat, self.job_id, "\n".join(f"{stamp} {line}"
                                                     for line in text.splitlines()))

    def run(self, mode: str) -> RunOutcome:
        try:
            return self._run(mode)
        except CancelledError as e:
            self._cleanup()
            self.log(f"Cancelled: {e}")
            finish_job(self.cat, self.job_id, JobStatus.CANCELLED, error=str(e))
            return RunOutcome(self.job_id, JobStatus.CANCELLED.value, error=str(e),
                              error_kind=e.kind)
        except BackupDeskError as e:
            self._cleanup()
            self.log(f"Failed: {e}")
            finish_job(self.cat, self.job_id, JobStatus.FAILED, error=str(e))
            return RunOutcome(self.job_id, JobStatus.FAILED.value, error=str(e),
                              error_kind=e.kind)
        except BaseException as e:
            self._cleanup()
            msg = f"Internal error: {type(e).__name__}: {e}"
            log.exception("job %s failed", self.job_id)
            try:
                self.log(msg)
            finally:
                finish_job(self.cat, self.job_id, JobStatus.FAILED, error=msg)
            raise

    def _cleanup(self) -> None:
        if self.staging is not None and self.primary is not None:
            placement.discard(self.primary, self.staging)
            self.staging = None
        for root, path in self.unrecorded:
            placement.discard(root, path)
        self.unrecorded = []

    def _run(self, mode: str) -> RunOutcome:
        plan = self.plan
        dests = [d for d in plan.destinations if d.enabled]
        if not dests:
            raise ConfigError(f"Plan {plan.name!r} has no enabled destination.")
        self.log(f"Backup of plan {plan.name!r} to {count(len(dests), 'destination')}.")
        choice = choose_mode(self.cat, plan, mode)
        need = expected_size(self.cat, plan, choice.mode)
        plan_dir = placement.plan_dir_name(plan.name, plan.id)
        usable, self.refused = self._usable(dests, need)
        if not usable:
            raise DestinationError(" ".join(r.error for r in self.refused))
        for note in choice.notes:
            self.log(note)
        recorded = recorded_paths(self.cat, plan.id)
        for d in usable:
            self._clean(Path(d.location).expanduser(), plan_dir, recorded)
        name = f"{utcnow():%Y%m%dT%H%M%SZ}-{choice.mode}-job{self.job_id}"
        self.log(f"Writing a {choice.mode} backup {name}.")
        result, usable = self._write(plan, choice, name, plan_dir, usable)
        placement.pause_point("written")
        self.cancel.raise_if_cancelled()
        for w in result.warnings:
            self.log(f"Warning: {w}")
        placed = self._place(result, plan_dir, name, usable)
        backup_id = record_backup(self.cat, plan, self.job_id, name, result,
                                  choice.parent_id, placed)
        self.unrecorded = []
        if plan.options.get("verify_after", True):
            self._verify(backup_id)
        return self._finish(backup_id, result, dests)

    def _write(self, plan: Plan, choice: Any, name: str, plan_dir: str, usable: list[Any]
               ) -> tuple[RunResult, list[Any]]:
        """Write the backup into a staging folder of the first usable destination; if that
        destination fails (full, gone), into the next. The result and the destinations left."""
        while True:
            d = usable[0]
            self.primary = Path(d.location).expanduser()
            try:
                self.staging = placement.staging_dir(self.primary, plan_dir, plan.id, name)
                req = RunRequest(plan.id, plan.name, list(plan.sources), list(plan.excludes),
                                 dict(plan.options), database_targets(plan, self.secrets),
                                 choice.mode, name, self.staging, choice.previous_manifest)
                return self.engine.run(req, self.progress, self.cancel), usable
            except DestinationError as e:
                if len(usable) == 1:
                    raise
                if self.staging is not None:
                    placement.discard(self.primary, self.staging)
                    self.staging = None
                self.refused.append(placement.Placed(d.id, d.location, "", False, str(e)))
                self.log(f"Writing to {d.location} failed: {e} Trying {usable[1].location}.")
                usable = usable[1:]

    def _usable(self, dests: list[Any], need: int
                ) -> tuple[list[Any], list[placement.Placed]]:
        """The destinations this run can write to; the others, each with its reason."""
        usable, refused = [], []
        for d in dests:
            try:
                check = check_destination(d.location, need)
                if not check.ok:
                    raise DestinationError(check.message)
                self._confirm_mounted(d)
                usable.append(d)
            except DestinationError as e:
                refused.append(placement.Placed(d.id, d.location, "", False, str(e)))
                self.log(f"Skipping {d.location}: {e}")
        return usable, refused

    def _confirm_mounted(self, d: Any) -> None:
        """The destination's marker matches; one set up by an older version (no marker) is
        adopted when its folder already holds this plan's recorded backups."""
        marker = (d.options or {}).get("marker")
        if marker:
            require_mounted(d.location, str(marker))
            return
        root = Path(d.location).expanduser()
        mine = [Path(p) for p in recorded_paths(self.cat, self.plan.id) if p]
        if any(p.is_relative_to(root) and p.is_dir() for p in mine):
            set_marker(self.cat, d.id, adopt_destination(root))
            self.log(f"Destination {d.location}: marker written (set up by an older version).")
            return
        raise DestinationError(
            f"Destination {d.location} not mounted: it has no Backup Desk marker and holds "
            "no backup of this plan. If it is new, set it up: save the plan in the editor, "
            f"or run `backupdesk plan create-dest {self.plan.name}`.")

    def _clean(self, root: Path, plan_dir: str, recorded: set[str]) -> None:
        """Remove what interrupted runs of this plan left in a destination (we hold the plan's
        lock, so none of them is still running)."""
        temp, unrecorded = placement.leftovers(root, plan_dir, self.plan.id, recorded)
        killed = interrupted_jobs(self.cat, self.plan.id, unrecorded.values())
        for path in temp + [p for p, job in unrecorded.items() if job in killed]:
            try:
                safe_delete(root, path)
                self.log(f"Removed {path}, left by an interrupted run.")
            except DestinationError as e:
                self.log(f"Could not remove {path}, left by an interrupted run: {e}")

    def _place(self, result: RunResult, plan_dir: str, name: str,
               dests: list[Any]) -> list[placement.Placed]:
        assert self.staging is not None and self.primary is not None
        first = self.primary / plan_dir / name
        placement.promote(self.staging, first)
        self.staging = None
        self.unrecorded.append((self.primary, first))
        placement.pause_point("placed")
        placed = [placement.Placed(dests[0].id, dests[0].location, str(first), True),
                  *self.refused]
        self.log(f"Stored at {first}.")
        for d in dests[1:]:
            self.cancel.raise_if_cancelled()
            try:
                path = placement.copy_to(first, result.artifacts, d.location, plan_dir,
                                         self.plan.id, name, self.progress, self.cancel)
                placed.append(placement.Placed(d.id, d.location, str(path), True))
                self.unrecorded.append((Path(d.location).expanduser(), path))
                self.log(f"Copied to {path}.")
            except DestinationError as e:
                placed.append(placement.Placed(d.id, d.location, "", False, str(e)))
                self.log(f"Copy to {d.location} failed: {e}")
        return placed

    def _verify(self, backup_id: int) -> None:
        from core.backups import get_backup

        b = get_backup(self.cat, backup_id)
        targets = [(b, loc) for loc in b.locations if loc.state != LocationState.FAILED.value]
        report = verify_locations(targets, progress=self.progress, cancel=self.cancel)
        store_verify(self.cat, report)
        for r in report.locations:
            self.log(f"Verified {r.path}: {r.state}.")

    def _finish(self, backup_id: int, result: RunResult, dests: list[Any]) -> RunOutcome:
        from core.backups import get_backup

        b = get_backup(self.cat, backup_id)
        good = [loc for loc in b.locations
                if loc.state in (LocationState.OK.value, LocationState.UNVERIFIED.value)]
        errors = [f"{loc.destination}: {loc.verify_result.get('error') or loc.state}"
                  for loc in b.locations if loc not in good]
        if not good:
            status = JobStatus.FAILED
        elif len(good) < len(dests) or result.warnings:
            status = JobStatus.PARTIAL
        else:
            status = JobStatus.SUCCESS
        problems = errors + result.warnings
        error = None
        if status != JobStatus.SUCCESS:
            error = (f"{count(len(problems), 'problem')}: " + "; ".join(problems[:3])
                     + (" ..." if len(problems) > 3 else ""))
        self.log(f"Finished: {status.value}.")
        finish_job(self.cat, self.job_id, status, error=error, bytes=result.size,
                   files=result.files,
                   details={"backup_id": backup_id, "type": result.type,
                            "warnings": result.warnings[:100]})
        return RunOutcome(self.job_id, status.value, backup_id, result.type, error,
                          result.warnings)
