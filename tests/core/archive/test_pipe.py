"""The compressor's thread (pipe.Pipe): writes in order, its errors raised to the writer,
and it ends however the writer leaves."""

from __future__ import annotations

import errno
import threading

import pytest

from core.engines.archive.pipe import BUFFERS, Pipe


class Sink:
    def __init__(self, fail_after: int | None = None) -> None:
        self.data = bytearray()
        self.fail_after = fail_after

    def write(self, data: object) -> int:
        if self.fail_after is not None and len(self.data) >= self.fail_after:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.data += data  # type: ignore[operator]
        return len(self.data)


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "backupdesk-compress"]


def test_writes_arrive_in_order_and_buffers_come_back() -> None:
    sink = Sink()
    with Pipe(sink, 8) as pipe:
        expected = bytearray()
        for i in range(4 * BUFFERS):
            buf = pipe.take()
            buf[:3] = bytes([i, i, i])
            pipe.put(buf, 3)
            pipe.give(bytearray(b"x%d" % i))
            expected += bytes([i, i, i]) + b"x%d" % i
        pipe.close()
    assert sink.data == expected and not _threads()


def test_an_error_of_the_compressor_reaches_the_writer() -> None:
    with Pipe(Sink(fail_after=0), 8) as pipe:
        pipe.give(b"a")
        with pytest.raises(OSError, match="No space"):
            for _ in range(100):  # raised by a later call, or at the latest by close()
                pipe.take()
                pipe.give(b"b")
            pipe.close()
    assert not _threads()


def test_the_thread_ends_when_the_writer_leaves_on_an_error() -> None:
    with pytest.raises(RuntimeError), Pipe(Sink(), 8) as pipe:
        pipe.give(b"a")
        raise RuntimeError("cancelled")
    assert not _threads()
