"""Due times of the common fixed-time schedules, computed without croniter, agree with
core.scheduling's (DST gaps and repeated hours included)."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from core.scheduling import due_times
from core.watch.cadence import Cadence, _fixed_time_due_after, learned, of_expression

ZONES = ["UTC", "Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
EXPRS = ["0 2 * * *", "30 2 * * *", "59 23 * * *", "0 0 * * *", "15 1 * * 0", "0 3 * * 1,3,5",
         "0 2 * * 6"]


@pytest.mark.parametrize("zone", ZONES)
def test_fixed_time_due_times_match_the_scheduler_across_a_year(zone):
    tz = due_times.zone(zone)
    rnd = random.Random(zone)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # random instants, and every 20 minutes around each DST change of the year
    instants = [start + timedelta(minutes=rnd.randrange(525_600)) for _ in range(300)]
    for month, day in ((3, 8), (3, 29), (4, 5), (10, 4), (10, 25), (11, 1)):
        around = datetime(2026, month, day, tzinfo=UTC) - timedelta(hours=6)
        instants += [around + timedelta(minutes=20 * k) for k in range(60)]
    checked = 0
    for expr in EXPRS:
        c = of_expression(expr, zone, "schedule")
        for t in instants:
            assert c.due_after(t) == due_times.due_after(expr, t, tz)[0], (expr, t)
            checked += _fixed_time_due_after(expr, t, tz) is not None
    assert checked > len(EXPRS) * len(instants) * 0.9  # the fast path did the work


def test_other_expressions_go_to_the_scheduler():
    tz = due_times.zone("Europe/Rome")
    t = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    for expr in ("*/15 * * * *", "0 2 1 * *", "0 2 * * 7", "0 */6 * * *"):
        assert _fixed_time_due_after(expr, t, tz) is None
        assert of_expression(expr, "Europe/Rome", "x").due_after(t) == \
            due_times.due_after(expr, t, tz)[0]


def test_a_period_is_learned_only_from_regular_times():
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    regular = [t0 + timedelta(hours=24 * i, minutes=(7 * i) % 11) for i in range(10)]
    c = learned(regular)
    assert isinstance(c, Cadence) and c.period is not None
    assert timedelta(hours=23, minutes=50) < c.period < timedelta(hours=24, minutes=10)
    assert learned(regular[:4]) is None  # too few
    assert learned([t0 + timedelta(hours=h) for h in (0, 1, 2, 50, 51, 140, 141)]) is None
