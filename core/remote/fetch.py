"""Reading a backup's artifact from a remote destination: downloaded through `rclone cat`,
checked against its SHA-256 on the way, under a temporary name until it is whole."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from core.destinations import atomic_file
from core.engines.api import Artifact
from core.errors import DestinationError
from core.progress import CancelToken
from core.remote.location import Remote
from core.remote.rclone import CHUNK, Rclone

_cache: dict[tuple[str, str], Path] = {}
_lock = threading.Lock()
_folder: list[Path] = []


class RemoteMismatch(DestinationError):
    """The downloaded bytes do not have the artifact's SHA-256: nothing was kept."""


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
            raise RemoteMismatch(f"{art.name} at {remote.shown(rel)} does not have its "
                                 "SHA-256 (damaged).")
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
