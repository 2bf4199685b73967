"""The backup job of an engine that writes artifacts: lock -> destinations -> engine ->
placement -> catalogue -> verify.

The engine writes its artifacts into a staging folder; this job places them at the plan's
destinations and records them. A job is never left running (core.jobs.lifecycle).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import placement
from core.beside import Beside
from core.catalogue.db import Catalogue
from core.catalogue.destinations import interrupted_jobs, recorded_paths, set_marker
from core.catalogue.enums import JobKind
from core.catalogue.jobs import plan_lock_key
from core.config import AppPaths
from core.destinations import (
    adopt_destination,
    check_destination,
    redirect,
    require_mounted,
    safe_delete,
)
from core.engines import Capability, can, engines
from core.engines.api import Engine, RunRequest, RunResult
from core.errors import BackupDeskError, ConfigError, DestinationError
from core.fmt import count
from core.jobs.artifact_records import record_backup
from core.jobs.lifecycle import Job, job
from core.jobs.outcome import RunOutcome
from core.progress import CancelToken, ProgressCallback
from core.remote import place as remote_place
from core.remote.location import Remote, is_remote, parse
from core.remote.rclone import Rclone
from core.remote.settings import settings_for
from core.run_prep import choose_mode, database_targets, expected_size
from core.secrets import SecretStore
from core.timeutil import utcnow

if TYPE_CHECKING:
    from core.catalogue.models import Plan
    from core.jobs.backup_end import End

__all__ = ["RunOutcome", "run_artifact_plan"]


def run_artifact_plan(cat: Catalogue, paths: AppPaths, plan: Plan, *, mode: str,
                      trigger: str, requested_by: str | None, progress: ProgressCallback,
                      cancel: CancelToken | None, secrets: SecretStore | None) -> RunOutcome:
    """Back up a plan of an engine that writes artifacts (core.jobs.run.run_plan's branch)."""
    spec = engines().get(plan.engine)
    factory = spec.artifact_engine if spec is not None else None
    if factory is None or not can(plan.engine, Capability.RUN):
        raise ConfigError(f"Plans of the {plan.engine} engine cannot be run by this version.")
    started: list[Job] = []
    try:
        with job(cat, kind=JobKind.BACKUP.value, engine=plan.engine, plan=plan, trigger=trigger,
                 requested_by=requested_by, lock_key=plan_lock_key(plan.id), progress=progress,
                 cancel=cancel) as j:
            started.append(j)
            body = _Backup(cat, plan, j, factory(), secrets or SecretStore(paths))
            outcome = body.run(mode)
    except BackupDeskError as e:
        if not started:
            raise  # no job was started (the plan is running elsewhere, ...)
        return RunOutcome.of_error(started[0].id, e)
    assert body.end is not None  # the engine has written: the end of the run is loaded
    body.end.after(paths, outcome, trigger)
    return outcome


def _load_end(cat: Catalogue, plan: Plan, full: bool) -> End:
    """The end of the run (core.jobs.backup_end): loaded beside a full backup's engine, after
    an incremental's."""
    from core.jobs.backup_end import End  # the one import point of the run's end

    return End(cat, plan, full)


class _Backup:
    """The body of one backup job of an artifact engine."""

    def __init__(self, cat: Catalogue, plan: Plan, j: Job, engine: Engine,
                 secrets: SecretStore) -> None:
        self.cat, self.plan, self.job, self.engine, self.secrets = cat, plan, j, engine, secrets
        self.log, self.progress, self.cancel = j.log, j.progress, j.cancel
        self.staging: Path | None = None
        self.primary: Path | None = None
        # Folders put in place but not yet recorded: removed if the job ends before recording.
        self.unrecorded: list[tuple[Path, Path]] = []
        self.refused: list[placement.Placed] = []  # destinations skipped, with the reason
        self.remote_staging: tuple[Rclone, str] | None = None  # a remote first destination's
        self.work: Path | None = None  # the local work folder of a remote first destination
        self.remote_unrecorded: list[tuple[Rclone, str]] = []
        self.remote_first: tuple[Rclone, str] | None = None  # where a remote backup was put
        self.copied_md5: dict[str, str] = {}  # taken while copying from a local folder
        self.end: End | None = None  # what follows the engine, once it has written

    def run(self, mode: str) -> RunOutcome:
        try:
            return self._run(mode)
        except BaseException:
            self._cleanup()
            raise

    def _cleanup(self) -> None:
        if self.staging is not None and self.primary is not None:
            placement.discard(self.primary, self.staging)
            self.staging = None
        for root, path in self.unrecorded:
            placement.discard(root, path)
        self.unrecorded = []
        leftover = [self.remote_staging] if self.remote_staging else []
        for rc, rel in leftover + self.remote_unrecorded:
            try:
                rc.purge(rel)
            except BackupDeskError as e:  # the next run removes it
                self.log(f"Could not remove {rc.remote.shown(rel)}: {e}")
        self.remote_staging, self.remote_unrecorded, self.remote_first = None, [], None
        self._drop_work()

    def _drop_work(self) -> None:
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def _remote(self, location: str) -> Remote:
        return parse(location, settings_for(self.plan.id, self.plan.options, self.secrets))

    def _run(self, mode: str) -> RunOutcome:
        plan = self.plan
        dests = [d for d in plan.destinations if d.enabled]
        if not dests:
            raise ConfigError(f"Plan {plan.name!r} has no enabled destination.")
        self.log(f"Backup of plan {plan.name!r} to {count(len(dests), 'destination')}.")
        choice = choose_mode(self.cat, plan, mode,
                             remotes=lambda _plan, location: self._remote(location))
        need = expected_size(self.cat, plan, choice.mode)
        plan_dir = placement.plan_dir_name(plan.name, plan.id)
        usable, self.refused = self._usable(dests, need)
        if not usable:
            raise DestinationError(" ".join(r.error for r in self.refused))
        for note in choice.notes:
            self.log(note)
        recorded = recorded_paths(self.cat, plan.id)
        for d in usable:
            if is_remote(d.location):
                self._clean_remote(self._remote(d.location), plan_dir, recorded)
            else:
                self._clean(Path(d.location).expanduser(), plan_dir, recorded)
        name = f"{utcnow():%Y%m%dT%H%M%SZ}-{choice.mode}-job{self.job.id}"
        self.log(f"Writing a {choice.mode} backup {name}.")
        # A full backup's engine works in C, without the interpreter's lock: the end of the run
        # loads beside it. An incremental compares in Python: the end loads after it.
        loading = (Beside(lambda: _load_end(self.cat, plan, True), "backupdesk-run-end")
                   if choice.mode == "full" else None)
        result, usable = self._write(plan, choice, name, plan_dir, usable)
        self.end = end = loading.result() if loading else _load_end(self.cat, plan, False)
        placement.pause_point("written")
        self.cancel.raise_if_cancelled()
        for w in result.warnings:
            self.log(f"Warning: {w}")
        placed = self._place(result, plan_dir, name, usable)
        result = replace(result, artifacts=remote_place.with_md5(result.artifacts,
                                                                 self.copied_md5))
        backup_id = record_backup(self.cat, plan, self.job.id, name, result,
                                  choice.parent_id, placed)
        self.unrecorded, self.remote_unrecorded = [], []
        if plan.options.get("verify_after", True):
            end.verify(self.job, backup_id, lambda _plan, location: self._remote(location))
        indexed = end.index(self.job, backup_id, result)
        return end.finish(self.job, backup_id, result, dests, indexed)

    def _write(self, plan: Plan, choice: Any, name: str, plan_dir: str, usable: list[Any]
               ) -> tuple[RunResult, list[Any]]:
        """Write the backup into a staging folder of the first usable destination; if that
        destination fails (full, gone), into the next. The result and the destinations left."""
        while True:
            d = usable[0]
            try:
                if is_remote(d.location):
                    return self._stream(plan, choice, name, plan_dir, d.location), usable
                self.primary = Path(d.location).expanduser()
                self.staging = placement.staging_dir(self.primary, plan_dir, plan.id, name)
                req = RunRequest(plan.id, plan.name, list(plan.sources), list(plan.excludes),
                                 dict(plan.options), database_targets(plan, self.secrets),
                                 choice.mode, name, self.staging, choice.previous_manifest)
                return self.engine.run(req, self.progress, self.cancel), usable
            except DestinationError as e:
                if len(usable) == 1:
                    raise
                if self.staging is not None and self.primary is not None:
                    placement.discard(self.primary, self.staging)
                    self.staging = None
                self._cleanup()
                self.refused.append(placement.Placed(d.id, d.location, "", False, str(e)))
                self.log(f"Writing to {d.location} failed: {e} Trying {usable[1].location}.")
                usable = usable[1:]

    def _stream(self, plan: Plan, choice: Any, name: str, plan_dir: str, location: str
                ) -> RunResult:
        """Write the backup straight to a remote first destination: each artifact streams
        there as the engine writes it (what the engine writes beside, a database dump, is
        uploaded after it). Into a staging folder, moved into place after; on S3, where an
        object appears only once its upload completed, straight under the final names, the
        manifest held back and uploaded last (a server-side move there copies every byte)."""
        rc = Rclone(self._remote(location))
        self.work = Path(tempfile.mkdtemp(prefix="backupdesk-work-"))
        if rc.remote.kind == "s3":
            folder = f"{plan_dir}/{name}"
            self.remote_unrecorded.append((rc, folder))
            self.remote_first = (rc, folder)
            sink = remote_place.RemoteSink(rc, folder, held=self.work)
        else:
            folder = f"{plan_dir}/{placement.STAGING_PREFIX}p{plan.id}-{name}"
            self.remote_staging = (rc, folder)
            sink = remote_place.RemoteSink(rc, folder)
        sink.expect = expected_size(self.cat, plan, "full")
        # The digests the engine would leave for a local verify have no file to stand for.
        options = {**plan.options, "verify_after": False}
        req = RunRequest(plan.id, plan.name, list(plan.sources), list(plan.excludes), options,
                         database_targets(plan, self.secrets), choice.mode, name, self.work,
                         choice.previous_manifest)
        with redirect(self.work, sink):
            result = self.engine.run(req, self.progress, self.cancel)
        for a in sorted(result.artifacts, key=lambda a: a.kind == "manifest"):
            if a.name not in sink.md5:
                sink.put(self.work / a.name)
        self._drop_work()
        return replace(result, artifacts=remote_place.with_md5(result.artifacts, sink.md5))

    def _usable(self, dests: list[Any], need: int
                ) -> tuple[list[Any], list[placement.Placed]]:
        """The destinations this run can write to, local ones first (the backup is written
        to the first); the others, each with its reason."""
        usable, refused = [], []
        for d in dests:
            try:
                remote = is_remote(d.location)
                check = (remote_place.check_remote(self._remote(d.location), need) if remote
                         else check_destination(d.location, need))
                if not check.ok:
                    raise DestinationError(check.message)
                if not remote:
                    self._confirm_mounted(d)
                usable.append(d)
            except DestinationError as e:
                refused.append(placement.Placed(d.id, d.location, "", False, str(e)))
                self.log(f"Skipping {d.location}: {e}")
        usable.sort(key=lambda d: is_remote(d.location))
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
        for path in temp + [p for p, job_id in unrecorded.items() if job_id in killed]:
            try:
                safe_delete(root, path)
                self.log(f"Removed {path}, left by an interrupted run.")
            except DestinationError as e:
                self.log(f"Could not remove {path}, left by an interrupted run: {e}")

    def _clean_remote(self, remote: Remote, plan_dir: str, recorded: set[str]) -> None:
        """_clean at a remote destination."""
        rc = Rclone(remote)
        prefixes = (placement.STAGING_PREFIX, placement.PARTIAL_PREFIX)
        try:
            temp, unrecorded = remote_place.leftovers(rc, plan_dir, self.plan.id, recorded,
                                                      prefixes)
        except DestinationError as e:
            self.log(f"Could not look for what interrupted runs left at {remote.location}: {e}")
            return
        killed = interrupted_jobs(self.cat, self.plan.id, unrecorded.values())
        for rel in temp + [p for p, job_id in unrecorded.items() if job_id in killed]:
            try:
                rc.purge(rel)
                self.log(f"Removed {remote.shown(rel)}, left by an interrupted run.")
            except DestinationError as e:
                self.log(f"Could not remove {remote.shown(rel)}, left by an interrupted run: {e}")

    def _put_first(self, result: RunResult, plan_dir: str, name: str) -> str:
        """Move the backup from its staging folder into place at the first destination."""
        if self.remote_staging is not None:
            rc, staging = self.remote_staging
            final = f"{plan_dir}/{name}"
            self.remote_unrecorded.append((rc, final))
            remote_place.promote(rc, staging, final, [a.name for a in result.artifacts])
            self.remote_staging = None
            self.remote_first = (rc, final)
            return rc.remote.shown(final)
        if self.remote_first is not None:  # written in place (S3)
            return self.remote_first[0].remote.shown(self.remote_first[1])
        assert self.staging is not None and self.primary is not None
        first = self.primary / plan_dir / name
        placement.promote(self.staging, first)
        self.staging = None
        self.unrecorded.append((self.primary, first))
        return str(first)

    def _copy(self, result: RunResult, plan_dir: str, name: str, first: str, d: Any) -> str:
        """Copy the backup from the first destination to `d`; the copy's path."""
        if not is_remote(d.location):
            path = placement.copy_to(Path(first), result.artifacts, d.location, plan_dir,
                                     self.plan.id, name, self.progress, self.cancel)
            self.unrecorded.append((Path(d.location).expanduser(), path))
            return str(path)
        rc = Rclone(self._remote(d.location))
        final = f"{plan_dir}/{name}"
        partial = f"{plan_dir}/{placement.PARTIAL_PREFIX}p{self.plan.id}-{name}"
        source, env = first, {}
        if self.remote_first is not None:
            source, env = self.remote_first[0].remote.at(self.remote_first[1]), dict(
                self.remote_first[0].remote.env)
        self.remote_unrecorded.append((rc, final))
        try:
            self.copied_md5 |= remote_place.copy_in(rc, source, env, result.artifacts,
                                                    partial, final)
        except BaseException:
            rc.purge(partial)  # final, if the copy went there, is purged with the unrecorded
            raise
        return rc.remote.shown(final)

    def _place(self, result: RunResult, plan_dir: str, name: str,
               dests: list[Any]) -> list[placement.Placed]:
        first = self._put_first(result, plan_dir, name)
        placement.pause_point("placed")
        placed = [placement.Placed(dests[0].id, dests[0].location, first, True),
                  *self.refused]
        self.log(f"Stored at {first}.")
        for d in dests[1:]:
            self.cancel.raise_if_cancelled()
            try:
                path = self._copy(result, plan_dir, name, first, d)
                placed.append(placement.Placed(d.id, d.location, path, True))
                self.log(f"Copied to {path}.")
            except DestinationError as e:
                placed.append(placement.Placed(d.id, d.location, "", False, str(e)))
                self.log(f"Copy to {d.location} failed: {e}")
        return placed
