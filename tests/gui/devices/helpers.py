"""Shared by the Devices pane tests, the benchmark and the render script."""

from __future__ import annotations

import tempfile
from typing import Any

from core.config import AppConfig
from gui.context import AppContext
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body


def bare_context(home: str | None = None) -> AppContext:
    return AppContext(AppConfig.resolve(home or tempfile.mkdtemp(prefix="bd-grid-")))


def mixed_lab(farm: DaemonFarm) -> dict[str, dict[str, str]]:
    """Three nodes whose devices cover every tile state; returns node -> {kind: url}."""
    m1 = mysql_body(4, prefix="a")
    r1 = rsync_body(4, prefix="a")
    m1["a0001abcdef"]["progress"]["status"] = "FAILED"
    m1["a0001abcdef"]["progress"]["message"] = "mysqldump: Got error 2013: Lost connection"
    r1["devices"]["a0002abcdef"]["progress"] = {"status": "warning", "message": "slow disk"}
    r1["devices"]["a0003abcdef"]["processing"] = "true"
    r1["devices"]["a0003abcdef"]["status"] = "running"
    m1["a0004abcdef"] = ["not", "an", "object"]
    del r1["devices"]["a0000abcdef"]["progress"]
    m2: dict[str, Any] = mysql_body(3, prefix="b")
    r2 = rsync_body(3, "completed", prefix="b")
    for k in list(m2):
        m2[k]["name"] = m2[k]["name"].replace("ETHOSCOPE", "INCUBATOR")
    return {
        "lab-east": {"mysql": farm.add(Behaviour(body=m1)),
                     "rsync": farm.add(Behaviour(body=r1))},
        "lab-west": {"mysql": farm.add(Behaviour(body=m2)),
                     "rsync": farm.add(Behaviour(body=r2))},
        "lab-north": {"mysql": farm.add(Behaviour(body={"error": "MySQL service down"})),
                      "rsync": farm.add(Behaviour(body=rsync_body(2, prefix="c")))},
    }
