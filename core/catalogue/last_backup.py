"""The one "last backup job per plan" query of status (core.catalogue.status), the watchdog
(core.catalogue.watch) and `/metrics` (core.catalogue.plan_metrics): subqueries of a
`FROM plans p` select, each an index seek per plan, and the chosen jobs' columns by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.catalogue.dbapi import Conn, in_chunks, placeholders

# The plan's latest finished job of a kind (parameter: the kind): its id.
LATEST_JOB = ("(SELECT j.id FROM jobs j WHERE j.plan_id = p.id AND j.kind = ?"
              " AND j.finished_at IS NOT NULL ORDER BY j.finished_at DESC, j.id DESC LIMIT 1)")
# When the plan's latest job of a kind with a status finished (parameters: kind, status).
LAST_FINISHED = ("(SELECT max(j.finished_at) FROM jobs j WHERE j.plan_id = p.id AND j.kind = ?"
                 " AND j.status = ?)")


def jobs_by_id(c: Conn, columns: str, ids: Iterable[Any]) -> dict[int, tuple[Any, ...]]:
    """`columns` (after the id) of the jobs `ids` (None skipped), by id."""
    wanted = [i for i in ids if i is not None]
    out: dict[int, tuple[Any, ...]] = {}
    for chunk in in_chunks(wanted):
        for r in c.rows(f"SELECT id, {columns} FROM jobs WHERE id IN"
                        f" ({placeholders(len(chunk))})", chunk):
            out[int(r[0])] = tuple(r[1:])
    return out
