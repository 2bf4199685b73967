"""The watchdog's verdict per plan: ok, late, missing, hung or anomaly, with the reason.

Per kind (backup, verify, restore test) with a cadence: late once the first due time after
its last run (or the plan's creation) is `grace` past, missing once the due time after that is
too. Hung: a running job past k times the p95 of its plan's last 20 durations, or whose
progress has not changed for `stall`. Anomaly: the plan's latest backup job carries anomaly
warnings (core.watch.anomaly). Everything is computed for a given `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.watch import (
    BACKUP,
    WATCHED_KINDS,
    PlanWatchFacts,
    RunningJob,
    backup_times,
    running_jobs,
    watch_facts,
)
from core.fmt import human_duration, local_time
from core.timeutil import iso, to_aware
from core.watch import cadence as cad
from core.watch.options import GRACE, grace_of
from core.watch.warnings import anomalies

OK, LATE, MISSING, HUNG, ANOMALY = "ok", "late", "missing", "hung", "anomaly"
SEVERITY = {OK: 0, ANOMALY: 1, LATE: 2, MISSING: 3, HUNG: 4}
HUNG_FACTOR = 3  # k: times the p95 of the last durations
HUNG_MIN_RUNS = 3  # durations needed before "longer than usual" is told
STALL = timedelta(minutes=30)  # no progress for this long: hung
KIND_WORDS = {"backup": "backup", "verify": "verify", "restore_test": "restore test"}


@dataclass(frozen=True)
class Problem:
    """One reason a plan is not ok; `key` names the episode (the same while it lasts)."""

    state: str
    kind: str
    since: datetime  # aware UTC: when this state began
    text: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "kind": self.kind, "since": iso(self.since),
                "text": self.text, "key": self.key}


@dataclass(frozen=True)
class PlanWatch:
    plan_id: int
    plan: str
    state: str
    reason: str
    last_success: datetime | None  # aware UTC, of a backup
    due: datetime | None  # the backup due time it waits for (aware UTC), if it has a cadence
    cadence: str | None  # how the backup cadence is known
    problems: tuple[Problem, ...] = field(default=())

    @property
    def since(self) -> datetime | None:
        worst = self._worst()
        return worst.since if worst else None

    def _worst(self) -> Problem | None:
        return max(self.problems, key=lambda p: SEVERITY[p.state], default=None)

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "since": iso(self.since),
                "due": iso(self.due), "cadence": self.cadence,
                "problems": [p.to_json() for p in self.problems]}


def _when(t: datetime) -> str:
    return local_time(t)


def _cadences(f: PlanWatchFacts, learned_times: dict[int, list[datetime]]
              ) -> dict[str, cad.Cadence]:
    out: dict[str, cad.Cadence] = {}
    for kind in WATCHED_KINDS:
        if kind in f.schedules:
            expr, tz = f.schedules[kind]
            out[kind] = cad.of_expression(expr, tz, "schedule")
    expect = f.options.get("expect")
    if expect:
        out[BACKUP] = cad.of_expect(str(expect))
    elif BACKUP not in out and f.plan_id in learned_times:
        found = cad.learned([t for t in map(to_aware, learned_times[f.plan_id]) if t])
        if found is not None:
            out[BACKUP] = found
    return out


def _lateness(f: PlanWatchFacts, kind: str, c: cad.Cadence, now: datetime, grace: timedelta
              ) -> tuple[Problem | None, datetime]:
    """The problem of `kind` (late, missing or none) and the due time it waits for."""
    last = to_aware(f.last_ran.get(kind))
    born = to_aware(f.created_at)
    anchor = max((t for t in (last, born) if t is not None), default=now)
    first = c.due_after(anchor)
    if now < first + grace:
        return None, first
    word = KIND_WORDS[kind]
    second = c.due_after(first)
    ran = f"last one {_when(last)}" if last else "none yet"
    if now >= second + grace:
        since = second + grace
        text = (f"{word} missing: due {_when(first)} and {_when(second)}, {ran} "
                f"({c.describe()})")
        state = MISSING
    else:
        since = first + grace
        text = (f"{word} late: due {_when(first)}, grace {_grace_text(grace)} passed, {ran} "
                f"({c.describe()})")
        state = LATE
    return Problem(state, kind, since, text,
                   f"watch:{f.plan_id}:{kind}:{state}:{iso(since)}"), first


def _grace_text(g: timedelta) -> str:
    return human_duration(int(g.total_seconds() * 1000)).replace(" 00 s", "").replace(
        " 00 min", "")


def p95(durations: tuple[int, ...]) -> int:
    """Nearest-rank 95th percentile."""
    ordered = sorted(durations)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def hung(job: RunningJob, now: datetime, stall: timedelta = STALL) -> Problem | None:
    started = to_aware(job.started_at)
    word = KIND_WORDS.get(job.kind, job.kind)
    if started is not None and len(job.durations) >= HUNG_MIN_RUNS:
        usual = p95(job.durations)
        limit = started + timedelta(milliseconds=HUNG_FACTOR * usual)
        if now > limit:
            ran = int((now - started).total_seconds() * 1000)
            return Problem(HUNG, job.kind, limit,
                           f"{word} job {job.id} hung: running for {human_duration(ran)}, "
                           f"usually at most {human_duration(usual)} (p95 of the last "
                           f"{len(job.durations)})", f"watch:{job.plan_id}:hung:job{job.id}")
    # A job that never reported progress is judged by its heartbeat alone.
    moved = to_aware(job.progress_at or job.heartbeat_at or job.started_at)
    if moved is not None and now > moved + stall:
        still = int((now - moved).total_seconds() * 1000)
        return Problem(HUNG, job.kind, moved + stall,
                       f"{word} job {job.id} hung: no progress for {human_duration(still)}",
                       f"watch:{job.plan_id}:hung:job{job.id}")
    return None


def _anomaly(f: PlanWatchFacts) -> Problem | None:
    found = anomalies(f.last_backup_details.get("warnings"))
    if not found or f.last_backup_job is None:
        return None
    since = to_aware(f.last_backup_finished)
    assert since is not None
    text = f"backup job {f.last_backup_job}: " + "; ".join(w["text"] for w in found)
    return Problem(ANOMALY, BACKUP, since, text, f"watch:{f.plan_id}:anomaly:job"
                                                  f"{f.last_backup_job}")


def evaluate(cat: Catalogue, now: datetime, grace: timedelta = GRACE,
             stall: timedelta = STALL) -> list[PlanWatch]:
    """Every plan's verdict at `now` (aware); `grace`: for plans that set none."""
    facts = watch_facts(cat)
    unscheduled = [f.plan_id for f in facts
                   if f.enabled and BACKUP not in f.schedules and not f.options.get("expect")]
    learned_times = backup_times(cat, unscheduled) if unscheduled else {}
    running: dict[int, list[RunningJob]] = {}
    for job in running_jobs(cat):
        running.setdefault(job.plan_id, []).append(job)
    return [_verdict(f, now, grace, stall, learned_times, running.get(f.plan_id, []))
            for f in facts]


def backup_cadences(cat: Catalogue, grace: timedelta = GRACE
                    ) -> dict[str, tuple[cad.Cadence, timedelta, datetime | None]]:
    """Per enabled plan (by name) with a backup cadence, as the watchdog knows it: the cadence,
    the plan's grace and its creation (aware UTC). The History strip's expected days."""
    facts = [f for f in watch_facts(cat) if f.enabled]
    unscheduled = [f.plan_id for f in facts
                   if BACKUP not in f.schedules and not f.options.get("expect")]
    learned_times = backup_times(cat, unscheduled) if unscheduled else {}
    out = {}
    for f in facts:
        c = _cadences(f, learned_times).get(BACKUP)
        if c is not None:
            out[f.plan] = (c, grace_of(f.options, grace), to_aware(f.created_at))
    return out


def _verdict(f: PlanWatchFacts, now: datetime, default_grace: timedelta, stall: timedelta,
             learned_times: dict[int, list[datetime]], running: list[RunningJob]) -> PlanWatch:
    problems: list[Problem] = []
    due = None
    cadences = _cadences(f, learned_times) if f.enabled else {}
    grace = grace_of(f.options, default_grace)
    for kind, c in cadences.items():
        problem, first = _lateness(f, kind, c, now, grace)
        if kind == BACKUP:
            due = first
        if problem is not None:
            problems.append(problem)
    problems += [p for p in (hung(j, now, stall) for j in running) if p is not None]
    anomaly = _anomaly(f)
    if anomaly is not None:
        problems.append(anomaly)
    problems.sort(key=lambda p: -SEVERITY[p.state])
    state = problems[0].state if problems else OK
    if problems:
        reason = "; ".join(p.text for p in problems)
    elif not f.enabled:
        reason = "disabled: not watched"
    elif BACKUP in cadences:
        reason = f"on time ({cadences[BACKUP].describe()})"
    else:
        reason = "no cadence: no schedule, no --expect, no regular backup times to learn from"
    backup = cadences.get(BACKUP)
    return PlanWatch(f.plan_id, f.plan, state, reason, to_aware(f.last_success), due,
                     backup.describe() if backup else None, tuple(problems))
