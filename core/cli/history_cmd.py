"""`backupdesk history`: the job history, filtered in SQL."""

from __future__ import annotations

import argparse
from typing import Any

from core.catalogue.enums import JobStatus, JobTrigger
from core.catalogue.history import history_page
from core.catalogue.rows import HistoryFilter
from core.cli.context import CliContext, print_json, print_table
from core.errors import UsageError
from core.fmt import human_bytes, human_duration, local_time


def register(sub: Any) -> None:
    p = sub.add_parser("history", help="list jobs, newest first")
    p.add_argument("--plan", action="append", default=[], help="only this plan (repeatable)")
    p.add_argument("--status", action="append", default=[],
                   choices=[s.value for s in JobStatus], help="only this status (repeatable)")
    p.add_argument("--trigger", action="append", default=[],
                   choices=[t.value for t in JobTrigger], help="only this trigger (repeatable)")
    p.add_argument("--engine", action="append", default=[], help="only this engine (repeatable)")
    p.add_argument("--limit", type=int, default=50, help="at most N jobs (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(ctx: CliContext, a: argparse.Namespace) -> int:
    if a.limit < 1:
        raise UsageError("--limit must be at least 1.")

    flt = HistoryFilter(plans=tuple(a.plan), statuses=tuple(a.status),
                        triggers=tuple(a.trigger), engines=tuple(a.engine))
    rows = history_page(ctx.catalogue, flt, limit=a.limit)
    if a.json:
        print_json([r.to_json() for r in rows])
        return 0
    if not rows:
        print("No jobs.")
        return 0
    print_table(
        ["ID", "PLAN", "ENGINE", "KIND", "TRIGGER", "STATUS", "STARTED", "DURATION", "SIZE",
         "BY", "HOST", "ERROR"],
        [[str(r.id), r.plan, r.engine, r.kind, r.trigger, r.status, local_time(r.started_at),
          human_duration(r.duration_ms), human_bytes(r.bytes), r.requested_by, r.host,
          (r.error or "").splitlines()[0][:60] if r.error else ""] for r in rows],
    )
    return 0
