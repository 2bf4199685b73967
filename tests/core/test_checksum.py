"""SHA-256 of files with read-ahead (core.checksum)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from core import checksum
from core.errors import CancelledError


@pytest.mark.parametrize("size", [0, 1, checksum.BLOCK + 7, checksum.THREADED_FROM,
                                  checksum.THREADED_FROM * 3 + 12345])
def test_digest_and_size_match_hashlib(tmp_path: Path, size: int) -> None:
    p = tmp_path / "f"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    p.write_bytes(data)
    counter = [0]
    assert checksum.hash_file(p, counter=counter) == (size, hashlib.sha256(data).hexdigest())
    assert counter == [size]
    assert not [t for t in threading.enumerate() if t.name == "checksum-read"]


def test_stop_cancels_and_ends_the_reader(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"\1" * (checksum.THREADED_FROM * 4))
    stop = threading.Event()
    stop.set()
    counter = [0]
    with pytest.raises(CancelledError):
        checksum.hash_file(p, stop, counter)
    assert counter == [checksum.BLOCK]  # stopped after the first block
    assert not [t for t in threading.enumerate() if t.name == "checksum-read"]


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        checksum.hash_file(tmp_path / "nope")
