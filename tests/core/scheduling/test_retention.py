"""Keep rules with borg prune's meaning, and chains."""

from datetime import UTC, datetime, timedelta

from core.retention import Item, decide


def kept(decisions):
    return sorted(d.id for d in decisions if d.keep)


def daily_items(days, start=datetime(2026, 1, 1, 12)):
    return [Item(i + 1, start + timedelta(days=i)) for i in range(days)]


def test_no_rules_keeps_everything():
    assert kept(decide(daily_items(5), {})) == [1, 2, 3, 4, 5]


def test_keep_daily_keeps_the_newest_of_each_day():
    items = [Item(1, datetime(2026, 1, 1, 8)), Item(2, datetime(2026, 1, 1, 20)),
             Item(3, datetime(2026, 1, 2, 8)), Item(4, datetime(2026, 1, 3, 8))]
    assert kept(decide(items, {"daily": 2}, UTC)) == [3, 4]


def test_rules_do_not_count_what_an_earlier_rule_kept():
    # borg: keep-last 2 takes the two newest; keep-daily 2 then takes two more days.
    items = daily_items(6)
    d = {x.id: x.reason for x in decide(items, {"last": 2, "daily": 2}, UTC)}
    assert kept(decide(items, {"last": 2, "daily": 2}, UTC)) == [3, 4, 5, 6]
    assert d[6] == "last #1" and d[4] == "daily #1" and d[2] == "not kept by any rule"


def test_a_rule_short_of_backups_keeps_the_oldest():
    items = [Item(1, datetime(2025, 6, 1)), Item(2, datetime(2026, 1, 5)),
             Item(3, datetime(2026, 1, 6))]
    d = decide(items, {"monthly": 3}, UTC)
    assert kept(d) == [1, 3]
    assert next(x.reason for x in d if x.id == 1) == "monthly #2"
    d = decide(items[1:], {"yearly": 5}, UTC)
    assert {x.id: x.reason for x in d} == {3: "yearly #1", 2: "yearly #2 (oldest)"}


def test_weekly_uses_iso_weeks():
    # 2026-01-04 is a Sunday (ISO week 1), 2026-01-05 a Monday (week 2).
    items = [Item(1, datetime(2026, 1, 3)), Item(2, datetime(2026, 1, 4)),
             Item(3, datetime(2026, 1, 5))]
    assert kept(decide(items, {"weekly": 2}, UTC)) == [2, 3]


def test_periods_are_local_time():
    # 23:30 UTC on Jan 1 is already Jan 2 in Rome.
    from zoneinfo import ZoneInfo

    items = [Item(1, datetime(2026, 1, 1, 23, 30)), Item(2, datetime(2026, 1, 2, 10))]
    assert kept(decide(items, {"daily": 2}, UTC)) == [1, 2]
    assert kept(decide(items, {"daily": 1}, ZoneInfo("Europe/Rome"))) == [2]


def test_a_kept_incremental_keeps_its_chain():
    items = [Item(1, datetime(2026, 1, 1)), Item(2, datetime(2026, 1, 2), 1),
             Item(3, datetime(2026, 1, 3), 2), Item(4, datetime(2026, 1, 4)),
             Item(5, datetime(2026, 1, 5), 4)]
    d = decide(items, {"last": 1}, UTC)
    assert kept(d) == [4, 5]
    d = decide(items, {"daily": 1, "monthly": 1}, UTC)
    # monthly #1 would be the 5th too (already kept) -> next month none -> oldest kept: 1
    reasons = {x.id: x.reason for x in d}
    assert reasons[4] == "needed by backup 5"
    d = decide([*items, Item(6, datetime(2026, 1, 6), 3)], {"last": 2}, UTC)
    assert kept(d) == [1, 2, 3, 4, 5, 6]
    assert {x.id: x.reason for x in d}[1] == "needed by backup 2"
    d = decide([*items, Item(6, datetime(2026, 1, 6), 3)], {"last": 1}, UTC)
    assert kept(d) == [1, 2, 3, 6]
