"""Device alerts become one notification per node and state, sent once per period by any
process."""

from __future__ import annotations

from core.alerts import Alerts, AlertSettings, Event
from core.config import AppConfig
from core.grid.board import Alert
from core.grid_watch import REPEAT_AFTER_S, grid_events


def _alert(i: int, target: str, state: str, first: bool = False) -> Alert:
    return Alert(f"{target}/d{i}", f"DEV_{i:02d}", target, state,
                 f"DEV_{i:02d} on {target} is offline: HTTP 503", first)


def test_one_event_per_node_and_state() -> None:
    alerts = ([_alert(i, "east", "offline") for i in range(40)]
              + [_alert(99, "west", "error")] + [_alert(i, "west", "offline") for i in range(2)])
    events = grid_events(alerts)
    assert [e.title for e in events] == ["40 devices on east are offline", "DEV_99 failed",
                                         "2 devices on west are offline"]
    assert events[0].message == ("40 devices on east are offline: DEV_00, DEV_01, DEV_02, "
                                 "DEV_03, DEV_04 and 35 more. HTTP 503")
    assert {e.repeat_after for e in events} == {REPEAT_AFTER_S}
    assert len({e.key for e in events}) == 3


def test_devices_first_seen_in_trouble_are_summed_up() -> None:
    [one] = grid_events([_alert(1, "east", "error", first=True)])
    assert one.title == "DEV_01: error"
    [many] = grid_events([_alert(i, "east", "offline", first=True) for i in range(7)])
    assert many.title == "7 devices need attention"
    assert many.message.endswith("DEV_04 and 2 more.")


def test_a_repeatable_event_is_sent_once_per_period_by_any_process(tmp_path) -> None:
    paths = AppConfig.resolve(str(tmp_path)).paths
    shown: list[str] = []
    settings = AlertSettings(desktop=True)
    window = Alerts(paths, desktop=lambda t, m: shown.append(t), settings=lambda: settings)
    service = Alerts(paths, desktop=lambda t, m: shown.append(t), settings=lambda: settings)
    t0 = 1_800_000_000.0
    assert window.claim("grid-east-x", 1800, now=t0)
    assert not service.claim("grid-east-x", 1800, now=t0 + 5)
    assert not service.claim("grid-east-x", 1800, now=t0 + 1800)  # the next period: too soon
    assert service.claim("grid-east-x", 1800, now=t0 + 3600)
    assert window.emit(Event("grid-west-y", "failure", "w", "m", repeat_after=1800))
    assert not service.emit(Event("grid-west-y", "failure", "w", "m", repeat_after=1800))
    assert shown == ["w"]
