"""The poller in a process of its own, so that its work never competes with the GUI for the
interpreter lock. Messages are length-prefixed pickles over a socket pair (core.grid.frames):

    parent -> child: ("targets", [Target, ...]), ("poll_now",), ("stop",)
    child -> parent: Batch (big ones split in chunks), every FLUSH_S at most
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from core.grid import frames
from core.grid.adapters import Target
from core.grid.batch import Batch, Collector
from core.grid.memory import DeviceMemory
from core.grid.poller import Limits
from core.grid.service import GridService

log = logging.getLogger(__name__)
FLUSH_S = 0.15


def worker_main(sock: socket.socket, limits: Limits | None,
                memory: Path | None = None) -> None:
    collector = Collector(DeviceMemory(memory) if memory is not None else None)
    stop = threading.Event()
    wake = threading.Event()

    def on_update(update: Any) -> None:
        if collector.add(update):
            wake.set()

    def sender() -> None:
        while not stop.is_set():
            wake.wait()
            if stop.wait(FLUSH_S):
                return
            wake.clear()
            try:
                for chunk in collector.take().chunks():
                    frames.send(sock, chunk)
            except (OSError, EOFError):
                stop.set()

    service = GridService(on_update, limits=limits)
    service.start()
    threading.Thread(target=sender, name="grid-sender", daemon=True).start()
    try:
        while not stop.is_set():
            try:
                msg = frames.receive(sock)
            except (EOFError, OSError):
                break
            if msg[0] == "targets":
                targets: list[Target] = msg[1]
                collector.set_targets({t.name for t in targets})
                service.set_targets(targets)
                wake.set()
            elif msg[0] == "poll_now":
                service.poll_now()
            elif msg[0] == "stop":
                break
    finally:
        stop.set()
        wake.set()
        service.stop()
        sock.close()


def child_main() -> None:
    """Entry of the worker process: argv[1] is the socket's file descriptor, argv[2] the
    pickled Limits (hex), argv[3] (if any) the device memory's path."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    limits = pickle.loads(bytes.fromhex(sys.argv[2]))
    worker_main(sock, limits, Path(sys.argv[3]) if len(sys.argv) > 3 else None)


class WorkerProcess:
    """The parent's handle: start, send targets, and `receive` batches when `fileno()` is
    readable; receiving never blocks.

    A plain `python -c` child, not multiprocessing's spawn: spawn re-imports the parent's main
    script, which breaks scripts that build the pane at module level.
    """

    def __init__(self, limits: Limits | None = None, memory: Path | None = None) -> None:
        """`memory`: the file of core.grid.memory (memory_path(paths)), or None for none."""
        self._limits = limits
        self._memory = memory
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._reader = frames.FrameReader()
        self.alive = False

    @staticmethod
    def available() -> bool:
        return True

    def fileno(self) -> int:
        return self._sock.fileno() if self._sock is not None else -1

    def start(self) -> None:
        if self._proc is not None:
            return
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        code = "from core.grid.worker import child_main; child_main()"
        # A frozen bundle has no interpreter to run `-c`: its executable takes --grid-worker.
        head = ([sys.executable, "--grid-worker"] if getattr(sys, "frozen", False)
                else [sys.executable, "-c", code])
        self._proc = subprocess.Popen(
            [*head, str(theirs.fileno()), pickle.dumps(self._limits).hex(),
             *([str(self._memory)] if self._memory is not None else [])],
            pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self._sock = ours
        self.alive = True

    def send(self, *msg: Any) -> None:
        if self._sock is None or not self.alive:
            return
        try:
            self._sock.setblocking(True)
            frames.send(self._sock, msg)
        except OSError:
            log.warning("grid worker is gone")
            self.alive = False

    def receive(self, budget: int = 1 << 20) -> list[Batch]:
        """Read what has arrived (up to `budget` bytes) and return the complete batches."""
        sock = self._sock
        if sock is None or not self.alive:
            return []
        sock.setblocking(False)
        try:
            data = sock.recv(budget)
            if not data:
                self.alive = False
            self._reader.feed(data)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.alive = False
        out: list[Batch] = []
        try:
            while True:
                ok, msg = self._reader.next()
                if not ok:
                    break
                if isinstance(msg, Batch):
                    out.append(msg)
        except (EOFError, pickle.UnpicklingError):
            self.alive = False
        return out

    def stop(self, timeout: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self.send("stop")
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(2)
        self.alive = False
        if self._sock is not None:
            self._sock.close()
            self._sock = None
