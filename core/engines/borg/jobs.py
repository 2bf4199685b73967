"""A borg operation as a job in the history: repository lock, heartbeat, log, finish."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.jobs import HEARTBEAT_EVERY, append_log, finish_job, heartbeat, start_job
from core.catalogue.models import JobStatus, JobTrigger, Plan
from core.config import AppPaths
from core.engines.borg import stamps
from core.engines.borg.binary import check_binary
from core.engines.borg.process import BorgEnv
from core.engines.borg.repo import PASSPHRASE_ENV, RepoSettings, lock_key, passphrase_key
from core.errors import BackupDeskError, CancelledError
from core.progress import CancelToken, Progress, ProgressCallback, no_progress
from core.secrets import SecretStore
from core.timeutil import utcnow


def plan_passphrase(plan: Plan, secrets: SecretStore | None, paths: AppPaths | None) -> str | None:
    """The plan's stored passphrase; BACKUPDESK_PASSPHRASE when none is stored."""
    import os

    store = secrets or SecretStore(paths or AppPaths.resolve())
    value = store.get(passphrase_key(plan.id))
    if value is None:
        value = os.environ.get(PASSPHRASE_ENV)
    return value


def with_home(env: BorgEnv, paths: AppPaths) -> BorgEnv:
    """With a Backup Desk home, borg keeps its cache, keys and security data under it too
    (unless BORG_BASE_DIR says where)."""
    import os

    if paths.home is None or "BORG_BASE_DIR" in os.environ or "BORG_BASE_DIR" in env.extra:
        return env
    return replace(env, extra={**env.extra, "BORG_BASE_DIR": str(paths.home / "borg")})


@dataclass
class RepoJob:
    cat: Catalogue
    job_id: int
    settings: RepoSettings
    env: BorgEnv
    plan: Plan
    cancel: CancelToken
    progress: ProgressCallback
    last: Progress | None = None
    # The repository is where our last job left it: nobody wrote to it from outside since.
    unchanged: bool = False

    pending: list[str] = field(default_factory=list)
    flushed_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def listening(self) -> bool:
        """Someone shows progress (borg's --progress lines cost a little)."""
        return self.progress is not no_progress

    def log(self, text: str | list[str]) -> None:
        """Add to the job's log: written at once at most every second, else at the next
        heartbeat or the end (a short job costs two writes, not one per line)."""
        lines = text if isinstance(text, list) else text.splitlines()
        if lines:
            stamp = utcnow().strftime("%H:%M:%S")
            with self.lock:
                self.pending.extend(f"{stamp} {ln}" for ln in lines)
            if time.monotonic() - self.flushed_at >= 1.0:
                self.flush()

    def flush(self) -> None:
        with self.lock:  # the heartbeat thread flushes too
            lines, self.pending = self.pending, []
            self.flushed_at = time.monotonic()
            if lines:
                append_log(self.cat, self.job_id, "\n".join(lines))

    def report(self, p: Progress) -> None:
        self.last = p
        self.progress(p)


class _Beat:
    def __init__(self, job: RepoJob) -> None:
        self.job = job
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"borg-heartbeat-{job.job_id}",
                                       daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(HEARTBEAT_EVERY.total_seconds()):
            p = self.job.last
            try:
                self.job.flush()
                if p is not None:
                    heartbeat(self.job.cat, self.job.job_id, bytes=p.bytes_done,
                              files=p.files_done, phase=p.phase[:32])
                else:
                    heartbeat(self.job.cat, self.job.job_id)
            except Exception:  # a missed heartbeat is never fatal
                pass


@dataclass
class JobEnd:
    """What a job body hands back: status, counters, details."""

    status: JobStatus = JobStatus.SUCCESS
    error: str | None = None
    bytes: int | None = None
    files: int | None = None
    details: dict[str, Any] | None = None


@contextmanager
def repo_job(cat: Catalogue, plan: Plan, kind: str, *, paths: AppPaths | None = None,
             secrets: SecretStore | None = None, trigger: str = JobTrigger.MANUAL.value,
             requested_by: str | None = None, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None, details: dict[str, Any] | None = None,
             settings: RepoSettings | None = None) -> Iterator[tuple[RepoJob, JobEnd]]:
    """Start a job holding the repository's lock; the body fills the JobEnd. A
    BackupDeskError from the body fails (or cancels) the job and is raised again."""
    s = settings or RepoSettings.from_options(dict(plan.options))
    paths = paths or AppPaths.resolve()
    env = with_home(s.env(plan_passphrase(plan, secrets, paths)), paths)
    job_id = start_job(cat, engine="borg", kind=kind, trigger=trigger, plan_id=plan.id,
                       plan_name=plan.name, requested_by=requested_by,
                       lock_key=lock_key(s.location),
                       details={"repository": s.location, **(details or {})})
    state_dir = paths.state_dir
    job = RepoJob(cat, job_id, s, env, plan, cancel or CancelToken(), progress,
                  unchanged=stamps.unchanged(state_dir, s.location))
    end = JobEnd()
    beat = _Beat(job)
    beat.thread.start()
    try:
        check_binary(s.binary, state_dir)
        yield job, end
    except CancelledError as e:
        job.log(f"Cancelled: {e}")
        job.flush()
        finish_job(cat, job_id, JobStatus.CANCELLED, error=str(e))
        raise
    except BackupDeskError as e:
        job.log(f"Failed: {e}")
        job.flush()
        finish_job(cat, job_id, JobStatus.FAILED, error=str(e))
        raise
    except BaseException as e:
        msg = f"Internal error: {type(e).__name__}: {e}"
        try:
            job.log(msg)
            job.flush()
        finally:
            finish_job(cat, job_id, JobStatus.FAILED, error=msg)
        raise
    else:
        stamps.remember(state_dir, s.location)
        job.log(f"Finished: {end.status.value}.")
        job.flush()
        finish_job(cat, job_id, end.status, error=end.error, bytes=end.bytes, files=end.files,
                   details=end.details)
    finally:
        beat.stop.set()


def run_job(cat: Catalogue, plan: Plan, kind: str, body: Callable[[RepoJob, JobEnd], Any],
            **kw: Any) -> tuple[int, Any]:
    """Run `body` inside a repository job; (job id, the body's return value)."""
    with repo_job(cat, plan, kind, **kw) as (job, end):
        value = body(job, end)
    return job.job_id, value
