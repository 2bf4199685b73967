"""Overdue: per plan status and the History banner."""

from datetime import UTC, datetime, timedelta

import pytest

from core.catalogue.schema import Plan
from core.plans import add_plan
from core.scheduling.plan_schedules import set_schedule
from core.status import is_overdue, plan_statuses
from core.today import banner
from tests.core.helpers import add_job, orm_session


@pytest.fixture
def catalogue(any_catalogue):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_catalogue


NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def plan_with_schedule(cat, tmp_path, expr="daily at 02:00"):
    add_plan(cat, "docs", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "d")])
    with orm_session(cat) as s:
        s.query(Plan).update({"created_at": datetime(2026, 5, 1)})
        pid = s.query(Plan.id).scalar()
    set_schedule(cat, "docs", expr, timezone="UTC")
    return pid


def test_is_overdue():
    due = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
    assert not is_overdue(None, None)
    assert is_overdue(due, None)
    assert is_overdue(due, due - timedelta(minutes=1))
    assert not is_overdue(due, due + timedelta(minutes=5))


def test_a_missed_night_is_overdue_after_the_grace_period(catalogue, tmp_path):
    pid = plan_with_schedule(catalogue, tmp_path)
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 2, 0))
    [st] = plan_statuses(catalogue, datetime(2026, 6, 2, 2, 30, tzinfo=UTC))
    assert not st.overdue  # due at 02:00, still within the hour's grace
    [st] = plan_statuses(catalogue, NOW)
    assert st.overdue and st.previous_due == datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
    assert st.next_due == datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
    b = banner(catalogue, NOW)
    assert b.level == "warning" and b.text.startswith("Overdue: docs")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 2, 2, 0))
    [st] = plan_statuses(catalogue, NOW)
    assert not st.overdue and st.last_result == "success"


def test_a_new_plan_is_not_overdue_for_a_time_before_it_existed(catalogue, tmp_path):
    plan_with_schedule(catalogue, tmp_path)
    with orm_session(catalogue) as s:
        s.query(Plan).update({"created_at": datetime(2026, 6, 2, 11, 0)})
    [st] = plan_statuses(catalogue, NOW)
    assert not st.overdue and st.previous_due is None
