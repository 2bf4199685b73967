"""What the background service's status reads (plain SQL: the idle window loads no ORM)."""

from __future__ import annotations

from core.catalogue.db import Catalogue


def scheduled_plan_count(cat: Catalogue) -> int:
    """Enabled plans with at least one enabled schedule."""
    with cat.db.connect() as c:
        n = c.scalar("SELECT count(DISTINCT s.plan_id) FROM schedules s"
                     " JOIN plans p ON p.id = s.plan_id WHERE s.enabled = ? AND p.enabled = ?",
                     [True, True])
    return int(n or 0)
