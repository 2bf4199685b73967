"""Issue 16 defect 15: "already running" tells the start time in local time, saying so."""

from __future__ import annotations

import time

import pytest

from core.catalogue.jobs import finish_job, plan_lock_key, start_job
from core.errors import LockedError


def test_already_running_gives_the_local_start_time(catalogue, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        jid = start_job(catalogue, engine="archive", kind="backup", plan_name="p",
                        lock_key=plan_lock_key(1))
        with pytest.raises(LockedError) as e:
            start_job(catalogue, engine="archive", kind="backup", plan_name="p",
                      lock_key=plan_lock_key(1))
        assert " JST by " in str(e.value) and "UTC" not in str(e.value), str(e.value)
        finish_job(catalogue, jid, "success")
    finally:
        monkeypatch.undo()
        time.tzset()
