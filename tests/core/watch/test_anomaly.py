"""Anomaly checks: the comparison itself, and real backups run through the CLI."""

import json
import os
import subprocess
import sys

import pytest

from core.catalogue.watch import BackupFigures
from core.watch.anomaly import compare

GIB = 1 << 30


def fig(bytes=3 * GIB, files=10_000, duration_ms=600_000, type="full", job_id=1):
    return BackupFigures(job_id, type, bytes, files, duration_ms)


def usual(n=20):
    return [fig(bytes=int((3.1 + 0.3 * (i % 2)) * GIB), files=10_000 + i, job_id=i)
            for i in range(n)]


def test_a_backup_like_the_usual_ones_has_no_warning():
    assert compare(fig(), 590_000, usual(), None) == []


def test_a_size_and_file_count_below_half_of_the_median_are_warned_with_figures():
    found = compare(fig(bytes=412 << 20, files=900), 590_000, usual(), None)
    assert [w["check"] for w in found] == ["size", "files"]
    assert found[0]["kind"] == "anomaly"
    assert found[0]["text"] == "size dropped to 412.0 MiB, usual 3.1\u20133.4 GiB"
    assert found[1]["text"].startswith("files dropped to 900 files, usual 10,00")


def test_a_jump_above_three_times_the_median_is_warned():
    [w] = compare(fig(bytes=12 * GIB), 590_000, usual(), None)
    assert w["check"] == "size" and w["text"].startswith("size jumped to 12.0 GiB")


def test_a_run_much_faster_than_usual_is_warned_but_not_among_short_runs():
    [w] = compare(fig(), 100_000, usual(), None)
    assert w["check"] == "duration" and "1 min 40 s, usual 10 min" in w["text"]
    short = [fig(duration_ms=20_000, job_id=i) for i in range(8)]
    assert compare(fig(), 1_000, short, None) == []  # a median under a minute tells nothing


def test_the_checks_start_with_the_fifth_backup():
    assert compare(fig(bytes=1), 1, usual(3), None) == []
    assert compare(fig(bytes=1), 1, usual(4), None) != []


def test_an_incremental_backup_gets_only_the_mass_change_check():
    incr = fig(bytes=1, files=3, type="incremental")
    assert compare(incr, 1, usual(), None) == []
    [w] = compare(incr, 1, usual(), {"added": 0, "changed": 4000, "deleted": 2000,
                                     "unchanged": 4000, "bytes_by_folder": {}})
    assert w["check"] == "mass_change"
    assert w["text"].startswith("mass change: 6,000 of 10,000 files")
    assert compare(incr, 1, usual(), {"changed": 4000, "deleted": 2000},
                   mass_change=0.7) == []


def test_mass_change_counts_against_the_files_the_backup_before_had():
    """Not against the last full backup's count: the plan grew from 10,000 files to 30,000
    since, so 6,000 changed or deleted is a fifth, no mass change."""
    incr = fig(bytes=1, files=3, type="incremental")
    assert compare(incr, 1, usual(), {"added": 0, "changed": 4000, "deleted": 2000,
                                      "unchanged": 24000, "bytes_by_folder": {}}) == []
    [w] = compare(incr, 1, usual(), {"added": 0, "changed": 1, "deleted": 2,
                                     "unchanged": 1, "bytes_by_folder": {}})
    assert w["text"].startswith("mass change: 3 of 4 files")


# Real backups through the command line, on both catalogues.

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def env(request, home):
    e = {**os.environ, "BACKUPDESK_HOME": str(home)}
    if request.param == "postgresql":
        e["BACKUPDESK_CATALOGUE"] = request.getfixturevalue("pg_catalogue_url")
    return e


def cli(env, *args):
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_tree_shrunk_to_a_tenth_makes_an_anomaly_warning_from_the_fifth_backup(env,
                                                                                 tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(100):
        (src / f"f{i:03d}").write_bytes(os.urandom(10_000))
    r = cli(env, "plan", "add", "docs", "--engine", "archive", "--source", str(src),
            "--dest", str(tmp_path / "d"), "--full-every", "1", "--expect", "daily")
    assert r.returncode == 0, r.stderr
    for n in range(4):
        r = cli(env, "run", "docs", "--json")
        assert r.returncode == 0, r.stderr
        job = json.loads(r.stdout)
        assert job["warnings"] == [], n
    for f in sorted(src.iterdir())[10:]:
        f.unlink()
    r = cli(env, "run", "docs", "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "success"
    checks = {w["check"]: w for w in job["warnings"] if w["kind"] == "anomaly"}
    # The file index records the change summary of every backup, so 90 of 100 files deleted
    # is a mass change too.
    assert set(checks) == {"size", "files", "mass_change"}
    assert "90" in checks["mass_change"]["text"]
    assert checks["files"]["text"] == "files dropped to 10 files, usual 100 files"
    assert checks["size"]["text"].startswith("size dropped to 97.7 KiB, usual 976.")
    r = cli(env, "history", "--json", "--limit", "2")
    latest, before = json.loads(r.stdout)
    assert latest["id"] == job["id"] and latest["warnings"] == job["warnings"]
    assert before["warnings"] == []
    r = cli(env, "status", "--json")
    assert r.returncode == 1
    [st] = json.loads(r.stdout)
    assert st["state"] == "anomaly" and "files dropped to 10 files" in st["reason"]
    r = cli(env, "status")
    assert r.returncode == 1 and r.stdout.startswith("docs: ANOMALY; last success ")
    r = cli(env, "run", "docs")  # the text output names the anomaly too
    assert r.returncode == 0 and "anomaly: files dropped to 10 files" in r.stderr


def test_the_finisher_reads_the_changes_and_the_plans_mass_change_share(any_catalogue,
                                                                         tmp_path):
    """Through the real job lifecycle: a backup job whose body writes details["changes"]
    (as the file index does) after four successful backups."""
    from core.catalogue.history import job_detail
    from core.jobs.lifecycle import job, remove_finisher
    from core.plans import add_plan
    from core.watch import anomaly, install
    from tests.core.helpers import add_job

    cat = any_catalogue
    plan = add_plan(cat, "docs", "archive", sources=[str(tmp_path / "s")],
                    destinations=[str(tmp_path / "d")], options={"mass_change": 30})
    for _ in range(4):
        add_job(cat, plan="docs", plan_id=plan.id, files=1000, bytes=5000)
    install()
    install()  # once per process, however often it is called
    try:
        ids = []
        for changed in (200, 400):
            with job(cat, kind="backup", engine="archive", plan=plan) as j:
                j.end.files, j.end.bytes = 1000, 5000
                j.end.details = {"type": None, "warnings": ["an engine's warning"],
                                 "changes": {"added": 0, "changed": changed, "deleted": 0,
                                             "unchanged": 1000 - changed}}
            ids.append(j.id)
    finally:
        remove_finisher(anomaly.check_job)
        import core.watch

        core.watch._installed = False
    quiet, loud = (job_detail(cat, i) for i in ids)
    assert quiet.details["warnings"] == ["an engine's warning"]
    assert loud.row.status == "success"
    assert loud.details["warnings"][0] == "an engine's warning"
    assert loud.details["warnings"][1]["text"] == ("mass change: 400 of 1,000 files changed or "
                                                   "deleted (40%, over 30%)")
    assert loud.log.count("Anomaly: mass change") == 1


def test_median_and_quartiles_are_the_statistics_modules():
    import random
    import statistics

    from core.watch.anomaly import median, quartiles

    rng = random.Random(17)
    for n in range(2, 40):
        for values in ([rng.randrange(0, 10**12) for _ in range(n)],
                       [rng.uniform(0, 5e6) for _ in range(n)], [7] * n):
            assert median(values) == statistics.median(values)
            assert quartiles(values) == statistics.quantiles(values, n=4, method="inclusive")
    assert median([5]) == 5
