"""Due times across DST changes, presets and the plan editor's helpers."""

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigError
from core.scheduling.due_times import due_after, previous_due
from core.scheduling.expressions import next_runs, normalise

NY = ZoneInfo("America/New_York")  # 2026: forward on Mar 8 02:00, back on Nov 1 02:00
ROME = ZoneInfo("Europe/Rome")  # 2026: forward on Mar 29 02:00, back on Oct 25 03:00


def local(expr, start, tz, n):
    return [t.astimezone(tz).strftime("%m-%d %H:%M%z") for t in due_after(expr, start, tz, n)]


def test_daily_run_in_the_spring_gap_runs_after_the_change_not_skipped():
    got = local("30 2 * * *", datetime(2026, 3, 6, 12, tzinfo=UTC), NY, 3)
    assert got == ["03-07 02:30-0500", "03-08 03:00-0400", "03-09 02:30-0400"]


def test_daily_run_in_the_repeated_hour_runs_once():
    got = local("30 1 * * *", datetime(2026, 10, 30, 12, tzinfo=UTC), NY, 3)
    assert got == ["10-31 01:30-0400", "11-01 01:30-0400", "11-02 01:30-0500"]


def test_hourly_follows_real_time_across_both_changes():
    spring = due_after("0 * * * *", datetime(2026, 3, 8, 5, tzinfo=UTC), NY, 3)
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(spring)] == [
        3600, 3600]
    autumn = due_after("0 * * * *", datetime(2026, 11, 1, 4, tzinfo=UTC), NY, 4)
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(autumn)] == [
        3600, 3600, 3600]


def test_europe_changes_at_other_hours():
    got = local("30 2 * * *", datetime(2026, 3, 28, 12, tzinfo=UTC), ROME, 2)
    assert got == ["03-29 03:00+0200", "03-30 02:30+0200"]
    got = local("30 2 * * *", datetime(2026, 10, 24, 12, tzinfo=UTC), ROME, 2)
    assert got == ["10-25 02:30+0200", "10-26 02:30+0100"]


def test_previous_due():
    assert previous_due("30 1 * * *", datetime(2026, 11, 2, 12, tzinfo=UTC), NY) == datetime(
        2026, 11, 2, 6, 30, tzinfo=UTC)
    at = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    assert previous_due("30 1 * * *", at, NY) == at


@pytest.mark.parametrize(("text", "cron"), [
    ("daily", "0 2 * * *"), ("Hourly", "0 * * * *"), ("every 15 minutes", "*/15 * * * *"),
    ("every 1 minute", "* * * * *"), ("daily at 23:05", "5 23 * * *"),
    ("weekly on Monday at 03:00", "0 3 * * 1"), ("weekly", "0 2 * * 0"),
    ("monthly on 15 at 04:30", "30 4 15 * *"), ("30  2 * * *", "30 2 * * *"),
])
def test_presets(text, cron):
    assert normalise(text) == cron


@pytest.mark.parametrize("bad", ["nightly", "daily at 25:00", "every 90 minutes",
                                 "61 * * * *", "* * * *", "weekly on funday"])
def test_invalid_schedules_say_so(bad):
    with pytest.raises(ConfigError):
        normalise(bad)


def test_next_runs_in_a_zone_have_the_right_offsets():
    runs = next_runs("30 2 * * *", datetime(2026, 3, 6, 12, tzinfo=NY), 3)
    assert [t.isoformat() for t in runs] == ["2026-03-07T02:30:00-05:00",
                                             "2026-03-08T03:00:00-04:00",
                                             "2026-03-09T02:30:00-04:00"]
