"""Destination checks, atomic writes and copies, deletion that cannot escape its root."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from core.destinations import (
    WRITEBACK_EVERY,
    Writeback,
    atomic_file,
    check_destination,
    copy_file_atomic,
    create_destination,
    is_inside,
    safe_delete,
)
from core.errors import CancelledError, DestinationError
from core.progress import CancelToken


def test_check_existing_and_creatable(tmp_path: Path) -> None:
    ok = check_destination(str(tmp_path))
    assert ok.ok and ok.exists and ok.free_bytes and ok.free_bytes > 0
    later = check_destination(str(tmp_path / "a" / "b"))
    assert later.ok and not later.exists and later.message == "will be created"
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_check_refusals(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert "not a folder" in check_destination(str(f)).message
    assert "not an absolute path" in check_destination("relative/dir").message
    huge = check_destination(str(tmp_path), need_bytes=1 << 60)
    assert not huge.ok and "free" in huge.message
    with pytest.raises(DestinationError, match="not a folder"):
        create_destination(str(f))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_not_writable(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    assert "not writable" in check_destination(str(ro)).message
    assert "cannot be created" in check_destination(str(ro / "sub")).message


def test_atomic_file_publishes_only_on_success(tmp_path: Path) -> None:
    final = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_file(final) as f:
        f.write(b"half")
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []
    with atomic_file(final) as f:
        f.write(b"whole")
    assert final.read_bytes() == b"whole" and os.listdir(tmp_path) == ["out.bin"]


def test_copy_file_atomic_hashes_and_cancels(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(9 << 20))
    (tmp_path / "d").mkdir()
    res = copy_file_atomic(src, tmp_path / "d" / "copy.bin")
    import hashlib

    assert res.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert res.size == 9 << 20
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        copy_file_atomic(src, tmp_path / "d" / "other.bin", token)
    assert sorted(os.listdir(tmp_path / "d")) == ["copy.bin"]


def test_safe_delete_stays_inside_root(tmp_path: Path) -> None:
    root = tmp_path / "dest"
    (root / "plan" / "b1").mkdir(parents=True)
    (root / "plan" / "b1" / "f").write_text("x")
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    (root / "plan" / "evil").symlink_to(outside)
    for bad in (root / "plan" / ".." / ".." / "precious", root / "plan" / "evil",
                root / "plan" / "evil" / "keep", root, tmp_path):
        with pytest.raises(DestinationError, match="Refusing"):
            safe_delete(root, bad)
    assert (outside / "keep").exists()
    assert safe_delete(root, root / "plan" / "b1")
    assert not (root / "plan" / "b1").exists()
    assert not safe_delete(root, root / "plan" / "b1")
    assert not is_inside(tmp_path / "missing-root", tmp_path / "missing-root" / "x")


def test_disk_full_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    final = tmp_path / "x"
    with pytest.raises(DestinationError, match="No space left"), atomic_file(final) as f:
        f.write(b"abc")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert os.listdir(tmp_path) == []


def test_writeback_hints_cover_the_file_once_and_in_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hints: list[tuple[int, int]] = []
    real = os.posix_fadvise

    def record(fd: int, offset: int, length: int, advice: int) -> None:
        assert advice == os.POSIX_FADV_DONTNEED
        hints.append((offset, length))
        real(fd, offset, length, advice)  # the real call, on the real file

    monkeypatch.setattr(os, "posix_fadvise", record)
    src = tmp_path / "src.bin"
    size = 3 * WRITEBACK_EVERY + 12345
    src.write_bytes(os.urandom(size))
    result = copy_file_atomic(src, tmp_path / "copy.bin")
    assert result.size == size
    assert (tmp_path / "copy.bin").read_bytes() == src.read_bytes()
    assert hints[0][0] == 0
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(hints))
    covered = hints[-1][0] + hints[-1][1]
    assert size - WRITEBACK_EVERY < covered <= size  # the tail is left to the fsync


def test_writeback_on_a_pipe_gives_up_quietly() -> None:
    r, w = os.pipe()
    try:
        wb = Writeback(w)
        wb.written(2 * WRITEBACK_EVERY)  # ESPIPE: no error, no further hints
        assert wb.fd is None
    finally:
        os.close(r)
        os.close(w)


def test_a_copy_with_the_wrong_sha256_never_stands_under_the_final_name(tmp_path: Path) -> None:
    import hashlib

    from core.destinations import CopyMismatch, copy_file_atomic

    src = tmp_path / "src.bin"
    src.write_bytes(b"new content\n")
    final = tmp_path / "out" / "dump.sql"
    final.parent.mkdir()
    final.write_bytes(b"what was there\n")
    with pytest.raises(CopyMismatch):
        copy_file_atomic(src, final, expect_sha256=hashlib.sha256(b"other").hexdigest())
    assert final.read_bytes() == b"what was there\n"
    assert sorted(p.name for p in final.parent.iterdir()) == ["dump.sql"]  # no temporary left
    good = copy_file_atomic(src, final, expect_sha256=hashlib.sha256(b"new content\n").hexdigest())
    assert final.read_bytes() == b"new content\n" and good.size == 12
