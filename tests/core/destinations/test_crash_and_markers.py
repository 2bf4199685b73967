"""Crashes and failing disks, with real processes and real file systems: a run killed by
SIGKILL at the worst moments leaves nothing behind after the next run; a destination that is
not mounted is refused, never re-created; pseudo file systems and full disks are refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.catalogue.schema import BackupLocation, Destination
from core.config import AppPaths
from core.destinations import MARKER, check_destination
from core.jobs.run import run_plan
from core.plans import add_plan
from tests.core.helpers import orm_session
from tests.fixtures.tmpfs import small_tmpfs

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def paths(home: Path) -> AppPaths:
    return AppPaths.resolve(str(home))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    s = tmp_path / "src"
    s.mkdir()
    for i in range(20):
        (s / f"f{i}.bin").write_bytes(os.urandom(64 << 10))
    return s


def folders(root: Path) -> list[str]:
    """Everything the plan has in a destination (its backups and any leftovers)."""
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def recorded(cat: Any) -> set[str]:
    with orm_session(cat) as s:
        return set(s.scalars(select(BackupLocation.path)))


def killed_at(point: str, home: Path, tmp_path: Path, plan: str) -> None:
    """`backupdesk run PLAN` in its own process, SIGKILLed when it reaches `point`."""
    flag = tmp_path / f"paused-{point}"
    env = {**os.environ, "BACKUPDESK_HOME": str(home), "PYTHONPATH": str(REPO),
           "BACKUPDESK_PAUSE_AT": point, "BACKUPDESK_PAUSE_FILE": str(flag)}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli.main", "run", plan], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(12000):  # bounded wait for the process to reach the point
            if flag.exists() or proc.poll() is not None:
                break
            threading.Event().wait(0.01)
        assert flag.exists(), "the run never reached " + point
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)


@pytest.mark.parametrize("point", ["written", "placed", "copying"])
def test_sigkill_leaves_nothing_after_the_next_run(catalogue: Any, paths: AppPaths, home: Path,
                                                   src: Path, tmp_path: Path,
                                                   point: str) -> None:
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    add_plan(catalogue, "p", "archive", sources=[str(src)], destinations=[str(d1), str(d2)])
    killed_at(point, home, tmp_path, "p")
    left = folders(d1 / "p") + folders(d2 / "p")
    assert left, "the kill left nothing to clean: the test did not hit its window"
    if point == "written":
        assert any(n.startswith(".staging-") for n in folders(d1 / "p"))
    elif point == "copying":
        assert any(n.startswith(".partial-") for n in folders(d2 / "p"))
    else:
        assert any(n.endswith("-job1") for n in folders(d1 / "p"))
    out = run_plan(catalogue, paths, "p")
    assert out.status == "success", out.error
    known = recorded(catalogue)
    for d in (d1, d2):
        names = folders(d / "p")
        assert len(names) == 1 and not names[0].startswith(".")
        assert str(d / "p" / names[0]) in known


def test_missing_destination_is_refused_not_recreated(catalogue: Any, paths: AppPaths,
                                                      src: Path, tmp_path: Path) -> None:
    usb = tmp_path / "mnt" / "usb" / "backups"
    internal = tmp_path / "internal"
    add_plan(catalogue, "p", "archive", sources=[str(src)],
             destinations=[str(usb), str(internal)])
    assert (usb / MARKER).is_file() and (internal / MARKER).is_file()
    for f in usb.iterdir():  # the disk is unplugged: its mount point is an empty folder
        f.unlink()
    usb.rmdir()
    out = run_plan(catalogue, paths, "p")
    assert out.status == "partial" and out.exit_code == 3
    assert out.error and "not mounted" in out.error and str(usb) in out.error
    assert not usb.exists()
    assert len(folders(internal / "p")) == 1
    # Alone, the plan fails with the same reason and writes nothing anywhere.
    add_plan(catalogue, "alone", "archive", sources=[str(src)], destinations=[str(usb) + "2"])
    Path(str(usb) + "2", MARKER).write_text('{"id": "someone else"}')
    out = run_plan(catalogue, paths, "alone")
    assert out.status == "failed" and "not mounted" in (out.error or "")
    assert folders(Path(str(usb) + "2")) == [MARKER]


def test_destination_of_an_older_version_is_adopted(catalogue: Any, paths: AppPaths,
                                                    src: Path, tmp_path: Path) -> None:
    d, fresh = tmp_path / "d", tmp_path / "never-used"
    add_plan(catalogue, "p", "archive", sources=[str(src)], destinations=[str(d)])
    assert run_plan(catalogue, paths, "p").status == "success"
    add_plan(catalogue, "q", "archive", sources=[str(src)], destinations=[str(fresh)])
    (d / MARKER).unlink()
    (fresh / MARKER).unlink()
    with orm_session(catalogue) as s:  # as an older version recorded them: no marker id
        for dest in s.scalars(select(Destination)):
            dest.options = {}
    out = run_plan(catalogue, paths, "p")
    assert out.status == "success", out.error
    assert (d / MARKER).is_file()
    with orm_session(catalogue) as s:
        assert all(x.options.get("marker") for x in s.scalars(select(Destination))
                   if x.location == str(d))
    out = run_plan(catalogue, paths, "q")  # holds nothing of the plan: may be a bare mount point
    assert out.status == "failed" and "not mounted" in (out.error or "")
    assert not (fresh / MARKER).exists()
    from core.cli.main import main

    assert main(["--home", str(paths.home), "plan", "create-dest", "q"]) == 0
    assert run_plan(catalogue, paths, "q").status == "success"


def test_pseudo_file_systems_are_refused() -> None:
    for loc in ("/proc/x", "/sys/x"):
        c = check_destination(loc)
        assert not c.ok
        if os.geteuid() == 0:
            assert "pseudo file system" in c.message


@pytest.fixture
def full_disk(tmp_path: Path) -> Any:
    """A real 64 KiB file system (tmpfs), to be filled to the last byte."""
    with small_tmpfs(tmp_path / "full", "64k") as mnt:
        yield mnt


def test_a_full_disk_is_refused_before_the_run(catalogue: Any, paths: AppPaths, src: Path,
                                               tmp_path: Path, full_disk: Path) -> None:
    add_plan(catalogue, "p", "archive", sources=[str(src)],
             destinations=[str(full_disk), str(tmp_path / "ok")])
    fd = os.open(full_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    assert check_destination(str(full_disk)).message.endswith("has no free space.")
    out = run_plan(catalogue, paths, "p")
    assert out.status == "partial" and "no free space" in (out.error or "")
    assert sorted(p.name for p in full_disk.iterdir()) == [MARKER, "filler"]


def test_a_backup_deleted_record_only_keeps_its_folder(catalogue: Any, paths: AppPaths,
                                                       src: Path, tmp_path: Path) -> None:
    """Only what killed runs left is removed: a folder kept on purpose stays."""
    from core.jobs.delete import delete_backups

    d = tmp_path / "d"
    add_plan(catalogue, "p", "archive", sources=[str(src)], destinations=[str(d)])
    first = run_plan(catalogue, paths, "p")
    assert first.backup_id is not None
    kept = folders(d / "p")
    delete_backups(catalogue, first.backup_id, files=False)
    assert run_plan(catalogue, paths, "p", mode="full").status == "success"
    assert set(kept) < set(folders(d / "p"))


def test_delete_keeps_a_backup_whose_disk_is_unplugged(catalogue: Any, paths: AppPaths,
                                                        src: Path, tmp_path: Path) -> None:
    """Deleting files on an unplugged disk's empty mount point would drop the record while the
    backup stays on the disk: the record and the files stay until the disk is back."""
    from core.jobs.delete import delete_backups

    usb = tmp_path / "mnt" / "usb" / "backups"
    add_plan(catalogue, "p", "archive", sources=[str(src)], destinations=[str(usb)])
    out = run_plan(catalogue, paths, "p")
    assert out.backup_id is not None
    plugged = tmp_path / "usb-disk"
    usb.rename(plugged)
    usb.mkdir()  # the mount point, empty while the disk is away
    report = delete_backups(catalogue, out.backup_id, files=True)
    assert report.deleted == [] and "not mounted" in report.errors[0]
    with orm_session(catalogue) as s:
        states = s.scalars(select(BackupLocation.state)).all()
    assert states and "deleted" not in states
    usb.rmdir()
    plugged.rename(usb)
    report = delete_backups(catalogue, out.backup_id, files=True)
    assert report.deleted == [out.backup_id] and report.errors == []
    assert folders(usb / "p") == []
