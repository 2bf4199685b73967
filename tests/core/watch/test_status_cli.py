"""`backupdesk status`: the watchdog's state per plan, and its exit code for cron or Nagios."""

import json
from datetime import timedelta

import pytest

from core.catalogue.schema import Plan
from core.cli.main import main
from core.timeutil import utcnow
from tests.core.helpers import orm_session


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def args(request, home):
    if request.param == "sqlite":
        return ["--home", str(home)]
    return ["--home", str(home), "--catalogue", request.getfixturevalue("pg_catalogue_url")]


def created_ago(args, name, delta):
    from core.catalogue import open_catalogue
    from core.config import AppConfig

    cat = open_catalogue(AppConfig.resolve(args[1], args[3] if len(args) > 2 else None)
                         .catalogue_url)
    with orm_session(cat) as s:
        s.query(Plan).filter(Plan.name == name).update({"created_at": utcnow() - delta})
    cat.dispose()


def test_status_exits_1_when_a_plan_is_late_or_missing_and_0_when_all_are_ok(args, tmp_path,
                                                                            capsys):
    src = tmp_path / "src"
    src.mkdir()
    for name, expect in (("hourly-one", "hourly"), ("daily-one", "daily")):
        assert main([*args, "plan", "add", name, "--engine", "archive", "--source", str(src),
                     "--dest", str(tmp_path / name), "--expect", expect]) == 0
    capsys.readouterr()
    assert main([*args, "status"]) == 0
    out = capsys.readouterr().out
    assert "daily-one: ok; last success never" in out and "expected by" in out

    created_ago(args, "hourly-one", timedelta(hours=2, minutes=30))
    assert main([*args, "status"]) == 1
    out = capsys.readouterr().out
    assert "hourly-one: LATE; last success never" in out
    assert "  backup late: due " in out and "hourly, from --expect" in out
    assert main([*args, "status", "--grace", "2h"]) == 0  # the plans set no grace of their own
    capsys.readouterr()
    assert main([*args, "plan", "edit", "hourly-one", "--grace", "10"]) == 0  # minutes
    capsys.readouterr()
    assert main([*args, "status", "--grace", "2h", "--json"]) == 1
    by_name = {p["plan"]: p for p in json.loads(capsys.readouterr().out)}
    assert by_name["hourly-one"]["state"] == "missing"
    assert by_name["hourly-one"]["problems"][0]["key"].startswith("watch:")
    assert by_name["daily-one"]["state"] == "ok" and by_name["daily-one"]["cadence"] == \
        "daily, from --expect"


def test_status_refuses_a_bad_grace(args, capsys):
    with pytest.raises(SystemExit) as e:
        main([*args, "status", "--grace", "soon"])
    assert e.value.code == 2
    assert "Invalid duration 'soon'" in capsys.readouterr().err
