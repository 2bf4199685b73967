import random
from datetime import UTC, datetime, timedelta

import pytest

from core import plans
from core.catalogue.history import (
    HistoryFilter,
    HistorySort,
    change_token,
    history_count,
    history_page,
    job_detail,
    last_backup,
    stats,
)
from core.catalogue.jobs import finish_job, heartbeat
from core.timeutil import local_midnight_utc, utcnow
from core.today import banner
from tests.core.helpers import add_job


@pytest.fixture
def catalogue(any_catalogue):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_catalogue


@pytest.fixture
def filled(catalogue):
    rnd = random.Random(3)
    now = utcnow()
    for i in range(120):
        add_job(catalogue, plan=rnd.choice(["alpha", "beta", "gamma"]),
                engine=rnd.choice(["archive", "borg"]),
                trigger=rnd.choice(["manual", "scheduled", "cli"]),
                status=rnd.choice(["success", "failed", "partial"]),
                started=now - timedelta(hours=i), duration_ms=rnd.randint(1, 10**6),
                bytes=rnd.choice([None, rnd.randint(0, 10**9)]),
                error=rnd.choice([None, "disk full", "Permission denied: 50%_done"]))
    return catalogue


def all_rows(cat, flt=None, sort=None):
    return history_page(cat, flt or HistoryFilter(), sort or HistorySort(), limit=10_000)


def test_pages_concatenate_to_the_full_ordered_list(filled):
    everything = all_rows(filled)
    assert len(everything) == 120 == history_count(filled)
    paged = []
    for off in range(0, 120, 50):
        paged += history_page(filled, offset=off, limit=50)
    assert [r.id for r in paged] == [r.id for r in everything]
    starts = [r.started_at for r in everything]
    assert starts == sorted(starts, reverse=True)


@pytest.mark.parametrize("column", ["plan", "engine", "status", "duration", "size", "trigger",
                                    "requested_by", "started"])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_done_in_sql_and_stable(filled, column, descending):
    rows = all_rows(filled, sort=HistorySort(column, descending))
    attr = {"plan": "plan", "size": "bytes", "duration": "duration_ms", "started": "started_at"}
    key = attr.get(column, column)
    values = [getattr(r, key) for r in rows]
    non_null = [v for v in values if v is not None]
    assert non_null == sorted(non_null, reverse=descending)
    # Ties are broken by id, so paging never repeats or skips a row.
    pages = [history_page(filled, sort=HistorySort(column, descending), offset=o, limit=17)
             for o in range(0, 120, 17)]
    assert [r.id for p in pages for r in p] == [r.id for r in rows]


def test_filters_match_a_python_reference(filled):
    rows = all_rows(filled)
    since = utcnow() - timedelta(hours=50)
    cases = [
        (HistoryFilter(plans=("alpha",)), lambda r: r.plan == "alpha"),
        (HistoryFilter(statuses=("failed", "partial")), lambda r: r.status != "success"),
        (HistoryFilter(engines=("borg",), triggers=("cli",)),
         lambda r: r.engine == "borg" and r.trigger == "cli"),
        (HistoryFilter(since=since), lambda r: r.started_at >= since),
        (HistoryFilter(text="DISK"), lambda r: r.error == "disk full"),
        (HistoryFilter(text="50%_"), lambda r: r.error is not None and "50%_" in r.error),
        (HistoryFilter(text="0%x"), lambda r: False),
    ]
    for flt, pred in cases:
        expect = [r.id for r in rows if pred(r)]
        assert [r.id for r in all_rows(filled, flt)] == expect, flt
        assert history_count(filled, flt) == len(expect)


def test_json_form_has_the_documented_fields(filled):
    d = history_page(filled, limit=1)[0].to_json()
    for key in ("id", "plan", "engine", "kind", "trigger", "status", "requested_by",
                "started_at", "finished_at", "duration_ms", "bytes", "error"):
        assert key in d
    assert d["started_at"].endswith("Z")
    assert datetime.fromisoformat(d["started_at"]).tzinfo is not None


def test_stats_over_thirty_days(catalogue):
    now = utcnow()
    add_job(catalogue, status="success", bytes=100, started=now - timedelta(days=1))
    add_job(catalogue, status="failed", bytes=None, started=now - timedelta(days=2))
    add_job(catalogue, status="success", bytes=50, started=now - timedelta(days=3))
    add_job(catalogue, status="success", bytes=7, kind="verify", started=now - timedelta(days=3))
    add_job(catalogue, status="success", bytes=10**6, started=now - timedelta(days=40))
    s = stats(catalogue, now=now)
    assert (s.jobs, s.succeeded, s.failed, s.bytes) == (4, 3, 1, 150)
    assert s.success_rate == pytest.approx(0.75)


def _plan(cat, name):
    return plans.add_plan(cat, name, "archive", sources=["/tmp/src"], destinations=["/tmp/d"]).id


def test_banner_levels(catalogue):
    assert banner(catalogue).level == "none"
    a, b = _plan(catalogue, "a"), _plan(catalogue, "b")
    midnight = local_midnight_utc()
    add_job(catalogue, plan="a", plan_id=a, status="success",
            started=midnight - timedelta(hours=5))
    bn = banner(catalogue)
    assert bn.level == "warning" and "a, b" in bn.text  # yesterday's success does not count
    add_job(catalogue, plan="a", plan_id=a, status="success",
            started=midnight + timedelta(minutes=10))
    add_job(catalogue, plan="b", plan_id=b, status="failed",
            started=midnight + timedelta(minutes=20))
    bn = banner(catalogue)
    assert bn.level == "error" and bn.text == "The last run of b failed."
    done = add_job(catalogue, plan="b", plan_id=b, status="success",
                   started=midnight + timedelta(minutes=30), duration_ms=60_000)
    bn = banner(catalogue)
    assert bn.level == "ok"
    finished = (midnight + timedelta(minutes=31)).replace(tzinfo=UTC).astimezone()
    assert bn.text == f"Today's backup completed at {finished:%H:%M}."
    # a verify job's failure is not a failed backup
    add_job(catalogue, plan="b", plan_id=b, kind="verify", status="failed",
            started=midnight + timedelta(minutes=40))
    assert banner(catalogue).level == "ok"
    assert last_backup(catalogue).id == done


def test_change_token_moves_with_progress_and_completion(catalogue):
    t0 = change_token(catalogue)
    jid = add_job(catalogue, status="running")
    t1 = change_token(catalogue)
    heartbeat(catalogue, jid, bytes=5)
    t2 = change_token(catalogue)
    finish_job(catalogue, jid, "success")
    t3 = change_token(catalogue)
    assert len({t0, t1, t2, t3}) == 4
    assert change_token(catalogue) == t3


def test_job_detail_has_log_and_host(catalogue):
    from core.catalogue.jobs import append_log

    jid = add_job(catalogue, status="failed", error="boom")
    append_log(catalogue, jid, "step 1\nstep 2")
    d = job_detail(catalogue, jid)
    assert d.log == "step 1\nstep 2\n" and d.row.error == "boom" and d.host
    assert job_detail(catalogue, 999) is None


@pytest.mark.parametrize("column", ["plan", "size", "duration", "error", "status"])
def test_filtered_and_sorted_pages_match_reference(filled, column):
    attr = {"size": "bytes", "duration": "duration_ms"}.get(column, column)
    flt = HistoryFilter(statuses=("failed",))
    expect = [r for r in all_rows(filled) if r.status == "failed"]
    # reference order: column with NULLs where the database places them (SQLite: first when
    # ascending; PostgreSQL: last), then start time for categorical columns, then id
    nulls_first = filled.is_sqlite

    def key(r):
        v = getattr(r, attr)
        tie = r.started_at if column in ("plan", "status") else 0
        return ((v is not None) == nulls_first, v if v is not None else 0, tie, r.id)
    expect.sort(key=key)
    got = all_rows(filled, flt, HistorySort(column, False))
    assert [r.id for r in got] == [r.id for r in expect]
    got_desc = all_rows(filled, flt, HistorySort(column, True))
    assert [r.id for r in got_desc] == [r.id for r in reversed(expect)]


@pytest.mark.parametrize("by_id_below", [0, 10_000])
@pytest.mark.parametrize("column", ["started", "size", "status"])
def test_free_text_pages_and_counts_match_reference_both_ways(filled, monkeypatch, by_id_below,
                                                               column):
    # Many matches are found by walking the sort's index, few fetched by id and sorted: the
    # rows and the count are the same either way.
    from core.catalogue import history

    monkeypatch.setattr(history, "TEXT_BY_ID_BELOW", by_id_below)
    everything = all_rows(filled, sort=HistorySort(column, True))
    for text, pred in (("disk", lambda r: r.error == "disk full"),
                       ("alpha", lambda r: r.plan == "alpha"),
                       ("0%x", lambda r: False)):
        flt = HistoryFilter(text=text)
        expect = [r.id for r in everything if pred(r)]
        assert [r.id for r in all_rows(filled, flt, HistorySort(column, True))] == expect
        assert history_count(filled, flt) == len(expect)
        narrowed = HistoryFilter(text=text, statuses=("failed",))
        assert history_count(filled, narrowed) == len(
            [r for r in everything if pred(r) and r.status == "failed"])
