"""Hostile text and nesting from daemons, sent by real HTTP servers on 127.0.0.1 (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli.main import main
from core.grid import frames
from core.grid.adapters import Endpoint, Target
from core.grid.batch import Collector
from core.grid.parse import MAX_DEPTH
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body

# Lone surrogates, control characters and ordinary text, as a daemon may send them escaped.
HOSTILE = st.text(st.one_of(st.characters(categories=("Cs",)), st.characters(codec="utf-8"),
                            st.sampled_from("\x00\n\"\\\u2028")), max_size=12)


@pytest.fixture(scope="module")
def shared_farm() -> Iterator[DaemonFarm]:
    f = DaemonFarm().start()
    yield f
    f.stop()


def grid(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(["grid", *argv, "--json"])
    out, err = capsys.readouterr()
    out.encode("utf-8")  # strict: raises on anything that is not valid text
    err.encode("utf-8")
    return code, json.loads(out), err


def with_depth(body: Any, **depths: int) -> Behaviour:
    """`body` served with each string "@NAME@" in it replaced by objects nested that deep
    (json.dumps cannot write them)."""
    text = json.dumps(body)
    for name, depth in depths.items():
        text = text.replace(f'"@{name}@"', '{"x": ' * depth + '"bottom"' + "}" * depth)
    return Behaviour("raw", raw=text.encode())


def test_a_lone_surrogate_in_a_name_and_an_id_loses_no_device(
        farm: DaemonFarm, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = rsync_body(3)
    body["devices"]["dev0001abcdef"]["name"] = "x\ud800"
    body["devices"]["bad\udfffid"] = dict(body["devices"]["dev0002abcdef"])
    body["devices"]["bad\ud800id"] = dict(body["devices"]["dev0002abcdef"])
    url = farm.add(Behaviour("raw", raw=json.dumps(body).encode()))
    code, data, err = grid(capsys, "--rsync", url)
    assert code == 0 and err == ""
    devices = data["unified_devices"]
    assert set(devices) == {"dev0000abcdef", "dev0001abcdef", "dev0002abcdef", "bad\ufffdid",
                            "bad\ufffdid#2"}
    assert devices["dev0001abcdef"]["name"] == "x\ufffd"
    assert all(d["overall_status"] == "success" for d in devices.values())


def test_bytes_that_are_not_utf8_are_replaced(farm: DaemonFarm, home: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    raw = (b'{"a1": {"name": "caf\xe9 \xed\xa0\x80", "progress": {"status": "success"}},'
           b' "a2": {"name": "fine", "progress": {"status": "success"}}}')
    code, data, _ = grid(capsys, "--mysql", farm.add(Behaviour("raw", raw=raw)))
    assert code == 0
    assert data["unified_devices"]["a1"]["name"] == "caf\ufffd \ufffd\ufffd\ufffd"
    assert data["unified_devices"]["a2"]["name"] == "fine"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.function_scoped_fixture])
@given(ids=st.lists(HOSTILE, min_size=1, max_size=4, unique=True), names=st.lists(HOSTILE),
       message=HOSTILE)
def test_any_text_from_a_daemon_gives_valid_utf8(
        shared_farm: DaemonFarm, tmp_path_factory: pytest.TempPathFactory, ids: list[str],
        names: list[str], message: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKUPDESK_HOME", str(tmp_path_factory.mktemp("home")))
    devices = {i: {"name": names[n % len(names)] if names else i, "status": "stopped",
                   "progress": {"status": "error", "message": message}}
               for n, i in enumerate(ids)}
    mysql = shared_farm.add(Behaviour("raw", raw=json.dumps(devices).encode()))
    rsync = shared_farm.add(Behaviour("raw", raw=json.dumps({"devices": devices}).encode()))
    code, data, _ = grid(capsys, "--mysql", mysql, "--rsync", rsync)
    assert code == 0
    assert len(data["unified_devices"]) == len(ids)
    assert all(d["overall_status"] == "error" for d in data["unified_devices"].values())
    # The table form too.
    assert main(["grid", "--mysql", mysql, "--rsync", rsync]) == 0
    out, _ = capsys.readouterr()
    out.encode("utf-8")


@pytest.mark.parametrize("depth", [990, 5000])
@pytest.mark.parametrize("kind", ["mysql", "rsync"])
def test_a_deep_device_is_invalid_alone(farm: DaemonFarm, home: Path, depth: int, kind: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    body: Any = mysql_body(3) if kind == "mysql" else rsync_body(3)
    devices = body if kind == "mysql" else body["devices"]
    devices["dev0001abcdef"]["metadata" if kind == "rsync" else "synced"] = "@A@"
    code, data, err = grid(capsys, f"--{kind}", farm.add(with_depth(body, A=depth)))
    assert code == 0 and err == ""
    states = {k: d["overall_status"] for k, d in data["unified_devices"].items()}
    assert states == {"dev0000abcdef": "success", "dev0001abcdef": "invalid",
                      "dev0002abcdef": "success"}
    deep = data["unified_devices"]["dev0001abcdef"]
    assert deep["name"] == "ETHOSCOPE_001"
    assert f"nested more than {MAX_DEPTH} levels deep" in deep["reason"]


def test_deep_devices_travel_to_the_window(farm: DaemonFarm) -> None:
    """What the poller hands on must pickle (the worker process) and dump (the tiles)."""
    import asyncio

    from core.cli.grid_cmd import poll_once
    from core.grid.poller import Limits

    body = rsync_body(2)
    body["devices"]["dev0000abcdef"]["synced"] = "@A@"
    body["disk_usage_summary"] = "@B@"
    ep = Endpoint("n", "rsync", farm.add(with_depth(body, A=950, B=3000)))
    target = Target("n", "n", (ep,))
    update = asyncio.run(poll_once(target, Limits(total_s=10)))
    assert update.results[ep.slot].ok
    collector = Collector()
    collector.set_targets({"n"})
    collector.add(update)
    batch = collector.take()
    assert batch.counts["invalid"] == 1 and batch.counts["success"] == 1
    frames.encode(batch)


def test_grid_process_writes_valid_utf8_in_the_c_locale(farm: DaemonFarm, home: Path) -> None:
    body = {"x\udc80": {"name": "y\ud800", "progress": {"status": "success"}}}
    url = farm.add(Behaviour("raw", raw=json.dumps(body).encode()))
    env = dict(os.environ, LC_ALL="C.UTF-8", BACKUPDESK_HOME=str(home))
    p = subprocess.run([sys.executable, "-m", "core", "grid", "--mysql", url, "--json"],
                       capture_output=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.decode("utf-8"))["unified_devices"]["x\ufffd"]["name"] == "y\ufffd"


def test_grid_process_on_an_ascii_terminal_replaces_what_it_cannot_show(farm: DaemonFarm,
                                                                         home: Path) -> None:
    body = {"caf\u00e9": {"name": "\u00e9t\u00e9", "progress": {"status": "success"}}}
    url = farm.add(Behaviour(body=body))
    env = dict(os.environ, PYTHONIOENCODING="ascii", BACKUPDESK_HOME=str(home))
    for extra in (["--json"], []):
        p = subprocess.run([sys.executable, "-m", "core", "grid", "--mysql", url, *extra],
                           capture_output=True, env=env, timeout=60)
        assert p.returncode == 0, p.stderr
        assert b"caf?" in p.stdout and b"?t?" in p.stdout
