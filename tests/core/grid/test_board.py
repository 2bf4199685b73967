from __future__ import annotations

from typing import Any

from core.grid.adapters import Endpoint, Target
from core.grid.board import Board
from core.grid.cycle import TargetUpdate, merge_results
from core.grid.describe import tooltip, when
from core.grid.poller import EndpointResult
from tests.core.grid.daemons import mysql_body, rsync_body

EPS = (Endpoint("lab", "mysql", "http://m/status"), Endpoint("lab", "rsync", "http://r/status"))
TARGET = Target("lab", "lab", EPS)


def update(mysql: Any = None, rsync: Any = None, *, down: tuple[str, ...] = ()) -> TargetUpdate:
    """`None` leaves a daemon pending; a name in `down` makes it fail."""
    results: dict[str, EndpointResult] = {}
    for ep, body in zip(EPS, (mysql, rsync), strict=True):
        if ep.slot in down:
            results[ep.slot] = EndpointResult(ep, False, error=f"{ep.kind} refused.")
        elif body is not None:
            results[ep.slot] = EndpointResult(ep, True, body)
    return TargetUpdate(TARGET, results, merge_results(TARGET, results),
                        len(results) == len(EPS))


def test_states_counts_and_disk_summary() -> None:
    b = Board()
    ch = b.apply(update(mysql_body(2), rsync_body(3)))
    assert len(ch.changed) == 3
    counts = b.counts()
    assert counts["success"] == 2 and counts["partial"] == 1
    assert b.disk["lab"]["videos"]["total_size_human"] == "18.8 TB"
    assert {s.state for s in b.services["lab"].values()} == {"ok"}
    dev = b.devices["lab/dev0000abcdef"]
    assert dev.raw["mysql_backup"]["name"] == "ETHOSCOPE_000"
    assert dev.detail()["unified"]["overall_status"] == "success"


def test_same_answer_changes_nothing_and_does_not_alert_twice() -> None:
    b = Board()
    first = b.apply(update(mysql_body(1, "error"), rsync_body(1)))
    assert [a.state for a in first.alerts] == ["error"]
    assert first.alerts[0].first_sight
    again = b.apply(update(mysql_body(1, "error"), rsync_body(1)))
    assert again.changed == [] and again.alerts == []


def test_transition_into_error_then_offline_alerts_once_each() -> None:
    b = Board()
    b.apply(update(mysql_body(1), rsync_body(1)))
    err = b.apply(update(mysql_body(1, "failed"), rsync_body(1)))
    assert [(a.state, a.first_sight) for a in err.alerts] == [("error", False)]
    assert "MySQL backup failed" in err.alerts[0].message
    off = b.apply(update(down=("mysql_backup", "rsync_backup")))
    assert [a.state for a in off.alerts] == ["offline"]
    assert b.devices["lab/dev0000abcdef"].state == "offline"
    assert "refused" in b.devices["lab/dev0000abcdef"].reason
    still = b.apply(update(down=("mysql_backup", "rsync_backup")))
    assert still.alerts == [] and still.changed == []


def test_one_daemon_down_keeps_the_others_devices() -> None:
    b = Board()
    b.apply(update(mysql_body(1, prefix="m"), rsync_body(1, prefix="r")))
    b.apply(update(rsync=rsync_body(1, prefix="r"), down=("mysql_backup",)))
    assert b.devices["lab/m0000abcdef"].state == "offline"
    assert b.devices["lab/r0000abcdef"].state == "partial"
    assert b.services["lab"]["mysql_backup"].state == "down"


def test_pending_daemon_keeps_and_answered_absence_removes() -> None:
    b = Board()
    b.apply(update(mysql_body(1, prefix="m"), rsync_body(1, prefix="r")))
    pending = b.apply(update(rsync=rsync_body(1, prefix="r")))
    assert "lab/m0000abcdef" in b.devices and pending.removed == []
    gone = b.apply(update({}, rsync_body(1, prefix="r")))
    assert gone.removed == ["lab/m0000abcdef"]


def test_keep_targets_forgets_removed_nodes() -> None:
    b = Board()
    b.apply(update(mysql_body(2), rsync_body(2)))
    assert sorted(b.keep_targets(set())) == ["lab/dev0000abcdef", "lab/dev0001abcdef"]
    assert b.devices == {} and b.services == {}


def test_tooltip_words() -> None:
    b = Board()
    b.apply(update(mysql_body(1, "error"), rsync_body(1)))
    d = b.devices["lab/dev0000abcdef"]
    text = tooltip(d.device, d.state, now=1752137404 + 3600)
    assert text.splitlines()[0] == "ETHOSCOPE_000: Error"
    assert "MySQL: error (stopped) - MySQL backup error" in text
    assert "rsync: success (stopped) - rsync backup success" in text
    assert "Last start: 1 h ago · last end: 1 h ago" in text
    assert "Results: 766 files, 267.9 GB · Videos: 12,529 files, 507.2 GB" in text
    assert when(2**70) == "invalid time" and when(None) == "never" and when("x") == "invalid time"


def test_board_and_tooltip_never_raise_on_arbitrary_answers() -> None:
    from hypothesis import given, settings

    from tests.core.grid.test_merge import body

    @settings(max_examples=200, deadline=None)
    @given(mysql=body, rsync=body)
    def check(mysql: Any, rsync: Any) -> None:
        b = Board()
        b.apply(update({"seed": {"name": "S"}}, {"devices": {"seed": {}}}))
        b.apply(update(mysql, rsync))
        for d in b.devices.values():
            assert tooltip(d.device, d.state, 0.0, d.reason)
            assert d.state in ("success", "partial", "error", "unknown", "invalid", "offline")
        b.apply(update(down=("mysql_backup", "rsync_backup")))
        assert all(d.state == "offline" for d in b.devices.values())

    check()


def test_name_stays_while_the_mysql_daemon_cannot_tell() -> None:
    b = Board()
    m = mysql_body(1)
    m["dev0000abcdef"]["name"] = "FROM_MYSQL"
    b.apply(update(m, rsync_body(1)))
    assert b.devices["lab/dev0000abcdef"].name == "FROM_MYSQL"
    b.apply(update(rsync=rsync_body(1), down=("mysql_backup",)))
    assert b.devices["lab/dev0000abcdef"].name == "FROM_MYSQL"
    b.apply(update({}, rsync_body(1)))  # answered without it: the rsync daemon's name
    assert b.devices["lab/dev0000abcdef"].name == "ETHOSCOPE_000"
