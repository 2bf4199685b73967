"""A catalogue file emptied, unreadable or damaged with `dd`: every command refuses it with one
line that names the file and how to recover it, and nothing writes to it."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from core.catalogue import integrity
from core.cli.main import main
from tests.bench.seed_history import seed
from tests.core.as_nobody import main_as_nobody

PAGE = 4096


def _file(home: Path) -> Path:
    return home / "data" / "catalogue.sqlite3"


def _digest(p: Path) -> list[str]:
    """The catalogue file's and its write-ahead log's contents."""
    wal = p.with_name(p.name + "-wal")
    return [hashlib.sha256(f.read_bytes()).hexdigest() for f in (p, wal)
            if f.exists() and f.stat().st_size]


@pytest.fixture
def filled(home: Path, tmp_path: Path) -> Path:
    """A catalogue with plans and 3,000 jobs, closed (checkpointed) as the app leaves it."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    assert main(["--home", str(home), "plan", "add", "docs", "--engine", "archive", "--source",
                 str(src), "--dest", str(tmp_path / "dest")]) == 0
    seed(str(home), 3000)
    assert main(["--home", str(home), "plan", "list"]) == 0  # opens, checks, closes
    return src


def _garbage_page(path: Path, page: int) -> None:
    garbage = path.with_name("garbage")
    garbage.write_bytes(os.urandom(PAGE))
    subprocess.run(["dd", f"if={garbage}", f"of={path}", f"bs={PAGE}", f"seek={page}",
                    "conv=notrunc", "status=none"], check=True)


COMMANDS = [["history"], ["status"], ["plan", "list"], ["backups"], ["run", "docs"],
            ["plan", "add", "more", "--engine", "archive", "--source", "/tmp", "--dest",
             "/tmp/x-dest"]]


def _refused(home: Path, capsys: pytest.CaptureFixture[str], *needles: str) -> None:
    for argv in COMMANDS:
        capsys.readouterr()
        rc = main(["--home", str(home), *argv])
        err = capsys.readouterr().err
        assert rc != 0, argv
        assert err.count("\n") == 1 and "internal error" not in err, (argv, err)
        assert str(_file(home)) in err, err
        for n in needles:
            assert n in err, (argv, err)


@pytest.mark.parametrize("where", ["middle", "last"])
def test_damaged_page_is_refused_and_never_written(home: Path, filled: Path, where: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(home)
    pages = f.stat().st_size // PAGE
    _garbage_page(f, pages // 2 if where == "middle" else pages - 1)
    before = _digest(f)
    _refused(home, capsys, "damaged", ".recover")
    assert _digest(f) == before


def test_empty_file_is_an_error_not_a_new_catalogue(home: Path, filled: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(home)
    f.write_bytes(b"")
    _refused(home, capsys, "empty", "copy")
    assert f.stat().st_size == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_an_error(home: Path, filled: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(home)
    f.chmod(0)
    try:
        _refused(home, capsys, "permissions")
    finally:
        f.chmod(0o600)


def test_unreadable_file_as_another_user(home: Path, filled: Path) -> None:
    """`nobody` runs a command on root's 0600 catalogue."""
    for d in ("data", "logs", "config", "state"):
        (home / d).chmod(0o777)
    for f in (home / "logs").iterdir():  # root's log: nobody starts its own
        f.unlink()
    rc, err = main_as_nobody(["--home", str(home), "plan", "list"], home)
    assert rc == 1, err
    assert err.count("\n") == 1 and "internal error" not in err, err
    assert str(_file(home)) in err and "permissions" in err, err


def test_whole_file_is_checked_once_per_change(home: Path, filled: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = integrity.quick_check

    def counting(p: Path) -> str | None:
        calls.append(p)
        return real(p)

    monkeypatch.setattr(integrity, "quick_check", counting)
    assert main(["--home", str(home), "history"]) == 0
    assert main(["--home", str(home), "plan", "list"]) == 0
    assert calls == []  # our own last close left it whole
    os.utime(_file(home))  # changed outside Backup Desk
    assert main(["--home", str(home), "history"]) == 0
    assert calls == [_file(home)]


def test_new_catalogue_never_is_an_empty_file(home: Path) -> None:
    assert main(["--home", str(home), "plan", "list"]) == 0
    assert _file(home).stat().st_size > 0
    assert main(["--home", str(home), "plan", "list"]) == 0


def test_damage_found_by_a_read_is_remembered(home: Path, filled: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Damage the open check missed (here: hidden from it) fails the read with one line, and
    the next command refuses the file."""
    f = _file(home)
    pages = f.stat().st_size // PAGE
    for page in range(2, pages):  # every table and index page but the schema's
        _garbage_page(f, page)
    integrity.remember_whole(f)  # as if the damage came after the last check
    capsys.readouterr()
    assert main(["--home", str(home), "history"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err and "internal error" not in err, err
    _refused(home, capsys, "damaged")
