"""Where hooks, pings and notifications meet the job lifecycle (core.jobs.lifecycle).

A guard, at the start of each job of a plan that asks for any of them: the ping `/start`, then
the "before" hook (a backup job's only; a failing one stops the job). A listener, when such a
job has finished: the "after" and "on-failure" hooks (their output added to the job's log),
then the finish ping with the log's tail, then the notifications. Hooks and pings are for
backup jobs (any engine), once per job whatever its destinations; notifications also for
failed verify, restore-test, prune and check jobs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.jobs import append_log, job_log
from core.catalogue.models import Plan
from core.catalogue.plans import plan_by_id
from core.config import AppPaths
from core.errors import BackupDeskError
from core.jobs import lifecycle
from core.jobs.outcome import exit_code_of
from core.secrets import SecretStore, db_secret_key
from core.tell import hooks, notify, pings
from core.tell.stored import EXIT_CODE, HOOK_TIMEOUT_S, PING_KEY, events_of
from core.timeutil import utcnow

log = logging.getLogger(__name__)

HOOKED_KINDS = frozenset({JobKind.BACKUP.value})
NOTIFIED_KINDS = HOOKED_KINDS | {JobKind.VERIFY.value, JobKind.RESTORE_TEST.value,
                                 JobKind.PRUNE.value, JobKind.CHECK.value}
FAILED = frozenset({JobStatus.FAILED.value, JobStatus.INTERRUPTED.value})
WATCHED_OPTIONS = ("before", "after", "on_failure", "ping", "notify")


class HookError(BackupDeskError):
    """A "before" hook stopped the job."""

    kind = "hook"


@dataclass
class _Watched:
    """A job of a plan that asks to be told about."""

    cat: Catalogue
    plan: Plan
    kind: str
    paths: AppPaths
    store: SecretStore
    ping_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


_watched: dict[int, _Watched] = {}
_lock = threading.Lock()


def started(j: lifecycle.Job, paths: AppPaths) -> None:
    """The guard (core.tell.install): a job starts."""
    if j.plan_id is None or j.kind not in NOTIFIED_KINDS:
        return
    plan = plan_by_id(j.cat, j.plan_id)
    if plan is None or not any(plan.options.get(k) for k in WATCHED_OPTIONS):
        return
    w = _Watched(j.cat, plan, j.kind, paths, SecretStore(paths))
    w.env = {"BACKUPDESK_PLAN": plan.name, "BACKUPDESK_JOB_ID": str(j.id),
             "BACKUPDESK_JOB_KIND": j.kind}
    with _lock:
        _watched[j.id] = w
    if j.kind not in HOOKED_KINDS:
        return
    if plan.options.get(PING_KEY):
        w.ping_url = w.store.get(db_secret_key(plan.id, PING_KEY))
        _ping(w, j.id, "start", b"")
    before = plan.options.get("before")
    if before:
        j.log("Running the before hook.")
        result = hooks.run(str(before), {**w.env, "BACKUPDESK_STATUS": "running"},
                           _timeout(plan), j.cancel)
        j.log(result.log_lines("before"))
        j.cancel.raise_if_cancelled()
        if not result.ok:
            raise HookError(result.describe("before"))


def heard(ev: lifecycle.JobEvent) -> None:
    """The listener (core.tell.install): a job started or finished."""
    if ev.event != "finished":
        return
    with _lock:
        w = _watched.pop(ev.job_id, None)
    if w is None:
        return
    env = {**w.env, "BACKUPDESK_STATUS": ev.status, "BACKUPDESK_ERROR": ev.error or ""}
    if ev.details.get("backup_id") is not None:
        env["BACKUPDESK_BACKUP_ID"] = str(ev.details["backup_id"])
    if w.kind in HOOKED_KINDS:
        for name, wanted in (("after", True), ("on_failure", ev.status in FAILED)):
            command = w.plan.options.get(name)
            if command and wanted:
                _log(w, ev.job_id, [f"Running the {name.replace('_', '-')} hook."])
                result = hooks.run(str(command), env, _timeout(w.plan))
                _log(w, ev.job_id, result.log_lines(name.replace("_", "-")))
        if w.ping_url:
            signal = end_signal(ev.status, w.plan.options.get("ping_signal"))
            _ping(w, ev.job_id, signal, pings.tail(job_log(w.cat, ev.job_id) or ""))
    _notify(w, ev)


def end_signal(status: str, how: str | None) -> str:
    """The finish ping's suffix for a job that ended `status`: "" or "fail", or with
    `--ping-signal exit-code` the CLI's exit status for it (healthchecks' URL/<exit code>)."""
    if how == EXIT_CODE:
        return str(exit_code_of(status))
    return "" if status == JobStatus.SUCCESS.value else "fail"


def _notify(w: _Watched, ev: lifecycle.JobEvent) -> None:
    if not w.plan.options.get("notify"):
        return
    wanted = events_of(w.plan.options)
    what = "backup" if w.kind == JobKind.BACKUP.value else w.kind.replace("_", " ")
    plan = w.plan.name
    event = ("failure" if ev.status in FAILED else "partial"
             if ev.status == JobStatus.PARTIAL.value else "success"
             if ev.status == JobStatus.SUCCESS.value and w.kind in HOOKED_KINDS else "")
    sent: list[tuple[str, str, str]] = []
    if event in wanted:
        word = {"failure": "failed", "partial": "had problems", "success": "succeeded"}[event]
        body = f"The {what} of {plan} {word} (job {ev.job_id})."
        if ev.error:
            body += f"\n{ev.error}"
        sent.append((event, f"{plan}: {what} {word}", body))
    anomalies = [wr for wr in ev.details.get("warnings") or []
                 if isinstance(wr, dict) and wr.get("kind") == "anomaly"]
    if anomalies and "anomaly" in wanted:
        lines = "\n".join(f"- {a.get('check', '')}: {a.get('text', '')}" for a in anomalies)
        sent.append(("anomaly", f"{plan}: {what} looks unusual",
                     f"The {what} of {plan} (job {ev.job_id}) looks unusual:\n{lines}"))
    for name, title, body in sent:
        try:
            notify.announce(w.cat, w.plan, name, title, body, f"job-{ev.job_id}-{name}",
                            paths=w.paths)
        except Exception:
            log.exception("notification of job %s failed", ev.job_id)


def _timeout(plan: Plan) -> float:
    return float(plan.options.get("hook_timeout") or HOOK_TIMEOUT_S)


def _ping(w: _Watched, job_id: int, signal: str, body: bytes) -> None:
    if not w.ping_url:
        return
    why = pings.ping(pings.endpoint(w.ping_url, signal), body)
    if why is not None:
        what = f"/{signal}" if signal else "success"
        log.warning("ping (%s) of plan %s not taken: %s", what, w.plan.name, why)
        _log(w, job_id, [f"The ping ({what}) was not taken: {why}."])


def _log(w: _Watched, job_id: int, lines: list[str]) -> None:
    """Lines on a job's log after the lifecycle has flushed it for the last time."""
    stamp = utcnow().strftime("%H:%M:%S")
    try:
        append_log(w.cat, job_id, "\n".join(f"{stamp} {ln}" for ln in lines))
    except Exception:
        log.exception("cannot add to the log of job %s", job_id)
