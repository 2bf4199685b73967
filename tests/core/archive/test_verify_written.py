"""The verify right after a backup takes the digests taken while writing (core.checksum),
and reads a file again when it changed since, or when asked again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core import verify
from core.cli.main import main
from core.engines.api import RunRequest
from core.engines.archive import ArchiveEngine
from core.progress import CancelToken, no_progress


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    reads: list[Path] = []
    real = verify.hash_file

    def counting(path: Path, *a: Any, **kw: Any) -> tuple[int, str]:
        reads.append(path)
        return real(path, *a, **kw)

    monkeypatch.setattr(verify, "hash_file", counting)
    return reads


def _engine_run(tmp: Path, src: Path, verify_after: bool = True) -> list[Any]:
    work = tmp / "work"
    work.mkdir()
    req = RunRequest(1, "p", [str(src)], [], {"verify_after": verify_after}, [], "full", "b1",
                     work, None)
    res = ArchiveEngine().run(req, no_progress, CancelToken())
    return [(work / a.name, a) for a in res.artifacts]


def test_the_run_does_not_read_back_what_it_wrote_but_verify_does(
        home: Path, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    reads = _count_reads(monkeypatch)
    assert main(["plan", "add", "p", "--engine", "archive", "--source", str(tree),
                 "--dest", str(tmp_path / "d")]) == 0
    assert main(["run", "p"]) == 0
    assert reads == []
    assert "backup 1" in capsys.readouterr().out
    assert main(["backups", "--json"]) == 0
    assert '"state": "ok"' in capsys.readouterr().out  # verified after the backup
    assert main(["verify", "--all"]) == 0
    assert sorted(p.name for p in reads) == ["files.tar.zst", "manifest.json"]


def test_a_file_changed_since_it_was_written_is_read_and_found_corrupt(
        tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _count_reads(monkeypatch)
    (path, art), (mpath, mart) = _engine_run(tmp_path, tree)
    with open(path, "r+b") as f:  # one byte flipped in place: the same size
        f.seek(art.size // 2)
        b = f.read(1)
        f.seek(art.size // 2)
        f.write(bytes([b[0] ^ 1]))
    assert verify.check_artifact(path, art).state == "corrupt"
    assert verify.check_artifact(mpath, mart).state == "ok"
    assert reads == [path]


def test_digests_are_given_once_and_only_when_the_verify_comes(
        tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _count_reads(monkeypatch)
    (path, art), _ = _engine_run(tmp_path, tree)
    assert verify.check_artifact(path, art).state == "ok" and reads == []
    assert verify.check_artifact(path, art).state == "ok" and reads == [path]
    os.rename(tmp_path / "work", tmp_path / "first")
    (path, art), _ = _engine_run(tmp_path, tree, verify_after=False)
    assert verify.check_artifact(path, art).state == "ok" and reads[-1] == path
