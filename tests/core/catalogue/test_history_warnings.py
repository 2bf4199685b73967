"""Issue 18 (Show): a job's details["warnings"] reach the History rows and `history --json`."""

from __future__ import annotations

from core.catalogue import history
from core.catalogue.jobs import finish_job, start_job

WARNING = {"kind": "anomaly", "check": "size", "text": "412 MiB, usual 3.1\u20133.4 GiB",
           "value": 432013312}


def test_rows_carry_warning_texts(any_catalogue):
    cat = any_catalogue
    plain = start_job(cat, engine="archive", kind="backup", plan_name="docs")
    finish_job(cat, plain, "success", details={"writer": "c"})
    warned = start_job(cat, engine="archive", kind="backup", plan_name="docs")
    finish_job(cat, warned, "success",
               details={"warnings": [WARNING, {"kind": "anomaly", "check": "duration"}]})
    odd = start_job(cat, engine="archive", kind="backup", plan_name="docs")
    finish_job(cat, odd, "success", details={"warnings": "not a list"})
    rows = {r.id: r for r in history.history_page(cat)}
    assert rows[plain].warnings == () and rows[odd].warnings == ()
    assert rows[warned].warnings == ("412 MiB, usual 3.1\u20133.4 GiB", "duration")
    assert rows[warned].to_json()["warnings"] == ["412 MiB, usual 3.1\u20133.4 GiB", "duration"]
    detail = history.job_detail(cat, warned)
    assert detail is not None and detail.row.warnings == rows[warned].warnings
    assert history.job_rows(cat, [warned])[0].warnings == rows[warned].warnings
