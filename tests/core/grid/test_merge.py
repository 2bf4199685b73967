from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.grid.merge import merge, overall_status, side_outcome

SEED_DEVICE = {"name": "ETHOSCOPE_001", "status": "stopped",
               "progress": {"status": "success", "message": "ok"}, "synced": {},
               "processing": False, "count": 1, "started": 1752137404, "ended": 1752137404}


def dev(status: Any = "success", **kw: Any) -> dict[str, Any]:
    d = dict(SEED_DEVICE, progress={"status": status, "message": "m"})
    d.update(kw)
    return d


def unified(mysql: Any, rsync: Any, device: str = "abc") -> dict[str, Any]:
    out: dict[str, Any] = merge(mysql, rsync)["unified_devices"][device]
    return out


def test_seed_shape_when_both_succeed() -> None:
    out = merge({"abc": dev()}, {"devices": {"abc": dev(metadata={"k": 1})},
                                 "disk_usage_summary": {}})
    assert set(out) == {"mysql_backup", "rsync_backup", "unified_devices"}
    d = out["unified_devices"]["abc"]
    assert d["overall_status"] == "success"
    assert d["name"] == "ETHOSCOPE_001"
    assert d["mysql_backup"]["available"] is True
    assert set(d["mysql_backup"]) == {"available", "status", "progress", "synced", "processing",
                                      "count", "started", "ended"}
    assert d["rsync_backup"]["metadata"] == {"k": 1}


def test_overall_status_table() -> None:
    assert overall_status(["success", "success"]) == "success"
    assert overall_status(["success", ""]) == "partial"
    assert overall_status(["success", "error"]) == "error"
    assert overall_status(["", "error"]) == "error"
    assert overall_status(["", ""]) == "unknown"
    assert overall_status([]) == "unknown"


def test_side_outcome_words_any_case() -> None:
    assert side_outcome({"status": "COMPLETED"}) == "success"
    assert side_outcome({"status": " Failed "}) == "error"
    for word in ("info", "warning", "initializing", "WARNING", "", None):
        assert side_outcome({"status": word}) == ""
    assert side_outcome({}) == ""
    assert side_outcome(None) == ""


def test_failure_is_never_hidden_behind_partial() -> None:
    assert unified({"abc": dev("success")}, {"devices": {"abc": dev("FAILED")}})[
        "overall_status"] == "error"


def test_progress_empty_missing_or_null_is_unknown() -> None:
    for progress in ({}, None):
        d = unified({"abc": dev(progress=progress)}, {"devices": {"abc": dev(progress=progress)}})
        assert d["overall_status"] == "unknown"
        assert d["mysql_backup"]["progress"] == {}
    entry = dict(SEED_DEVICE)
    del entry["progress"]
    assert unified({"abc": entry}, {"devices": {}})["overall_status"] == "unknown"


def test_processing_is_reported_beside_the_status() -> None:
    d = unified({"abc": dev("error", processing="true")}, {"devices": {"abc": dev()}})
    assert d["processing"] is True
    assert d["overall_status"] == "error"
    for value in ("false", "yes", 1, None, "TRUEISH"):
        assert unified({"abc": dev(processing=value)}, None)["processing"] is False
    assert unified({"abc": dev(processing=True)}, None)["processing"] is True


def test_huge_numbers_survive() -> None:
    big = 2**63 + 1
    d = unified({"abc": dev(count=big, started=big)}, None)
    assert d["mysql_backup"]["count"] == big
    assert json.loads(json.dumps(d))["mysql_backup"]["started"] == big


def test_name_fallbacks() -> None:
    assert unified({"abc": dev(name="M")}, {"devices": {"abc": dev(name="R")}})["name"] == "M"
    assert unified({"abc": dev(name=None)}, {"devices": {"abc": dev(name="R")}})["name"] == "R"
    nameless = {k: v for k, v in SEED_DEVICE.items() if k != "name"}
    assert unified({"0123456789abcdef": nameless}, None, "0123456789abcdef")[
        "name"] == "DEVICE_01234567"


def test_device_known_to_one_daemon_only() -> None:
    out = merge({"a": dev()}, {"devices": {"b": dev("error")}})
    a, b = out["unified_devices"]["a"], out["unified_devices"]["b"]
    assert a["overall_status"] == "partial"
    assert a["rsync_backup"] == {"available": False, "status": "not_available", "progress": {},
                                 "synced": {}, "processing": False, "count": 0,
                                 "started": None, "ended": None, "metadata": {}}
    assert b["overall_status"] == "error"


def test_not_configured_side_does_not_count() -> None:
    assert unified(None, {"devices": {"abc": dev()}})["overall_status"] == "success"
    assert unified({"abc": dev()}, None)["overall_status"] == "success"


def test_daemon_error_body_and_down_daemon_keep_the_other() -> None:
    out = merge({"error": "database locked"}, {"devices": {"abc": dev()}})
    assert out["mysql_backup"] == {"error": "database locked"}
    assert out["unified_devices"]["abc"]["overall_status"] == "partial"
    out = merge({"error": "down", "service": "mysql_backup"}, {"error": "x"})
    assert out["unified_devices"] == {}


def test_malformed_device_is_invalid_and_alone() -> None:
    out = merge({"bad": [1, 2], "good": dev(), "bad2": dev(progress="done")},
                {"devices": {"good": dev(), "bad3": dev(progress={"status": 3})}})
    u = out["unified_devices"]
    assert u["good"]["overall_status"] == "success"
    for key, words in (("bad", "list"), ("bad2", "'progress'"), ("bad3", "progress.status")):
        assert u[key]["overall_status"] == "invalid"
        assert words in u[key]["reason"]


def test_malformed_daemon_bodies_become_errors() -> None:
    out = merge([1, 2], {"devices": [1]})
    assert out["mysql_backup"]["service"] == "mysql_backup"
    assert "list" in out["mysql_backup"]["error"]
    assert "devices" in out["rsync_backup"]["error"]
    assert out["unified_devices"] == {}


def test_status_prefers_running() -> None:
    d = unified({"abc": {**dev(), "status": "stopped"}},
                {"devices": {"abc": {**dev(), "status": "running"}}})
    assert d["status"] == "running"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=30,
)
keyword = st.sampled_from(["success", "completed", "error", "FAILED", "info", "warning", ""])
entry = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "name": json_values, "status": json_values, "processing": json_values,
        "progress": json_values | st.fixed_dictionaries({"status": keyword | json_values}),
        "synced": json_values, "count": json_values, "started": json_values,
        "ended": json_values, "metadata": json_values}),
)
device_map = st.dictionaries(st.text(max_size=10), entry, max_size=5)
body = st.one_of(json_values, device_map, st.fixed_dictionaries(
    {"devices": device_map | json_values}, optional={"disk_usage_summary": json_values,
                                                    "error": json_values}))


@settings(max_examples=400, deadline=None)
@given(mysql=body, rsync=body)
def test_merge_never_raises_and_keeps_the_shape(mysql: Any, rsync: Any) -> None:
    out = merge(mysql, rsync)
    assert set(out) == {"mysql_backup", "rsync_backup", "unified_devices"}
    for d in out["unified_devices"].values():
        assert d["overall_status"] in ("success", "partial", "error", "unknown", "invalid")
        assert isinstance(d["name"], str) and d["name"]
        assert isinstance(d["processing"], bool)
        for side in ("mysql_backup", "rsync_backup"):
            assert isinstance(d[side]["progress"], dict)
            assert isinstance(d[side]["synced"], dict)
        if d["overall_status"] == "invalid":
            assert d["reason"]
    json.dumps(out)  # the result is always serialisable


@settings(max_examples=200, deadline=None)
@given(mysql=device_map, rsync=device_map)
def test_one_bad_device_never_blanks_the_others(mysql: dict[str, Any],
                                                rsync: dict[str, Any]) -> None:
    mysql = {**mysql, "zz-good": dev()}
    out = merge(mysql, {"devices": {**rsync, "zz-good": dev()}})
    assert out["unified_devices"]["zz-good"]["overall_status"] == "success"
    assert set(out["unified_devices"]) == set(mysql) | set(rsync) | {"zz-good"}
