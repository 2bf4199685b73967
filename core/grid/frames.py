"""Length-prefixed pickles over a socket: blocking for the worker, non-blocking for the GUI,
which must never wait for a half-written message."""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

HEAD = struct.Struct("!Q")
MAX_FRAME = 256 * 1024 * 1024


def encode(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEAD.pack(len(data)) + data


def send(sock: socket.socket, obj: Any) -> None:
    sock.sendall(encode(obj))


def _exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("the other end closed the connection")
        buf += chunk
    return bytes(buf)


def receive(sock: socket.socket) -> Any:
    """Block until one whole message arrived."""
    (n,) = HEAD.unpack(_exactly(sock, HEAD.size))
    if n > MAX_FRAME:
        raise EOFError("message too large")
    return pickle.loads(_exactly(sock, n))


class FrameReader:
    """Feed it whatever bytes arrived; it hands out each message once it is complete."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next(self) -> tuple[bool, Any]:
        """(True, message) or (False, None) while the next message is incomplete."""
        if len(self._buf) < HEAD.size:
            return False, None
        (n,) = HEAD.unpack_from(self._buf)
        if n > MAX_FRAME:
            raise EOFError("message too large")
        end = HEAD.size + n
        if len(self._buf) < end:
            return False, None
        obj = pickle.loads(memoryview(self._buf)[HEAD.size:end])
        del self._buf[:end]
        return True, obj
