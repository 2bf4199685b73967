"""Reading a backup's artifact from a remote destination through `rclone cat`, checked against
its SHA-256 on the way: streamed into a reader (restore), or downloaded under a temporary name
until it is whole (copy out, loading a dump)."""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from core.destinations import atomic_file
from core.engines.api import Artifact
from core.errors import DestinationError, EngineError
from core.progress import CancelToken
from core.remote.location import Remote
from core.remote.rclone import CHUNK, Rclone

_cache: dict[tuple[str, str], Path] = {}
_lock = threading.Lock()
_folder: list[Path] = []


class RemoteMismatch(DestinationError):
    """The downloaded bytes do not have the artifact's SHA-256: nothing was kept."""


class HashingReader(io.RawIOBase):
    """A stream's bytes, SHA-256 hashed as they are read."""

    def __init__(self, src: IO[bytes], cancel: CancelToken | None = None) -> None:
        super().__init__()
        self.src = cast(io.BufferedReader, src)
        self.cancel = cancel
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        n = self.src.readinto(b)
        self.sha.update(memoryview(b)[:n])
        return n

    def drain(self) -> str:
        """Reads (and hashes) what the reader left; the whole object's SHA-256."""
        buf = bytearray(CHUNK)
        while self.readinto(buf):
            pass
        return self.sha.hexdigest()


@contextmanager
def streaming(remote: Remote, rel: str, art: Artifact, cancel: CancelToken | None = None
              ) -> Iterator[IO[bytes]]:
    """The artifact's bytes as `rclone cat` gives them, nothing kept on disk. When the block
    ends (or fails on damage), the rest is read and the SHA-256 checked: RemoteMismatch when
    the object is not the artifact. Whatever the block wrote from it must check each piece
    itself (a restore checks each file's SHA-256 before it takes its final name)."""
    with Rclone(remote).reading(rel) as src:
        checked = HashingReader(src, cancel)
        try:
            yield io.BufferedReader(checked, CHUNK)
        except EngineError as e:  # a damaged stream: say where the damage is
            if checked.drain() != art.sha256:
                raise _mismatch(remote, rel, art) from e
            raise
        if checked.drain() != art.sha256:
            raise _mismatch(remote, rel, art)


@dataclass(frozen=True)
class RemoteCopy:
    """An artifact at a remote destination, read as a checked stream (core.engines.api's
    ArtifactCopy)."""

    remote: Remote
    rel: str
    art: Artifact

    @property
    def name(self) -> str:
        return os.path.basename(self.rel)

    def open(self, cancel: CancelToken | None = None) -> AbstractContextManager[IO[bytes]]:
        return streaming(self.remote, self.rel, self.art, cancel)

    def __str__(self) -> str:
        return self.remote.shown(self.rel)


def _mismatch(remote: Remote, rel: str, art: Artifact) -> RemoteMismatch:
    return RemoteMismatch(f"{art.name} at {remote.shown(rel)} does not have its SHA-256 "
                          "(damaged).")


def download(remote: Remote, rel: str, art: Artifact, out: Path,
             cancel: CancelToken | None = None, on_bytes: object = None) -> Path:
    """`rel` (an artifact's object) into the local file `out`, atomically; RemoteMismatch when
    its bytes are not the artifact's."""
    h = hashlib.sha256()
    with Rclone(remote).reading(rel) as src, atomic_file(out) as f:
        while chunk := src.read(CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            h.update(chunk)
            f.write(chunk)
            if callable(on_bytes):
                on_bytes(len(chunk))
        if h.hexdigest() != art.sha256:
            raise _mismatch(remote, rel, art)
    return out


def fetched(remote: Remote, rel: str, art: Artifact) -> Path:
    """A local copy of a remote artifact for this process (a restore reading its archives):
    downloaded once, removed when the process ends."""
    key = (remote.shown(rel), art.sha256)
    with _lock:
        if key in _cache and _cache[key].is_file():
            return _cache[key]
        if not _folder:
            _folder.append(Path(tempfile.mkdtemp(prefix="backupdesk-fetch-")))
            atexit.register(shutil.rmtree, _folder[0], True)
        folder = Path(tempfile.mkdtemp(dir=_folder[0]))
    out = download(remote, rel, art, folder / os.path.basename(art.name))
    with _lock:
        _cache[key] = out
    return out


def release(path: Path) -> None:
    """Remove `path` now if it is a fetched copy (a loaded dump: a long-running process, the
    GUI, would otherwise keep it until it quits); any other path is left alone."""
    with _lock:
        for key, got in list(_cache.items()):
            if got == path:
                del _cache[key]
                shutil.rmtree(path.parent, ignore_errors=True)
