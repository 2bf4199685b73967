"""Destinations: validation, atomic writes and copies, and deletion that cannot escape a root."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, Protocol

from core.beside import Beside
from core.errors import DestinationError
from core.progress import CancelToken
from core.remote.location import is_remote

CHUNK = 4 << 20
TMP_PREFIX = ".bdtmp-"
WRITEBACK_EVERY = 8 << 20
_DONTNEED: int | None = getattr(os, "POSIX_FADV_DONTNEED", None)


class Writeback:
    """Asks the kernel, every few megabytes, to start writing out a file being written.

    Linux starts writeback for POSIX_FADV_DONTNEED and drops the pages once clean: the disk works
    while we compute, the final fsync has only the tail left, and a backup does not fill the page
    cache with its own output.
    """

    def __init__(self, fd: int | None) -> None:
        self.fd = fd
        self.done = 0

    def written(self, total: int) -> None:
        if self.fd is None or _DONTNEED is None or total - self.done < WRITEBACK_EVERY:
            return
        try:
            os.posix_fadvise(self.fd, self.done, total - self.done, _DONTNEED)
        except OSError:
            self.fd = None  # not a regular file: nothing to hint
        self.done = total


@dataclass(frozen=True)
class DestinationCheck:
    """The outcome of validating one destination folder."""

    location: str
    ok: bool
    message: str
    free_bytes: int | None = None
    exists: bool = False


def check_destination(location: str, need_bytes: int = 0) -> DestinationCheck:
    """Exists or can be created, writable, enough free space. Creates nothing. A remote is
    checked before each run (core.remote.place.check_remote), with the plan's settings."""
    if is_remote(location):
        return DestinationCheck(location, True, "remote: checked before each run")
    path = Path(location).expanduser()
    if not path.is_absolute():
        return DestinationCheck(location, False, f"Destination {location} is not an absolute path.")
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    exists = probe == path
    if exists and not path.is_dir():
        return DestinationCheck(location, False, f"Destination {location} is not a folder.")
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "is not writable" if exists else f"cannot be created ({probe} is not writable)"
        return DestinationCheck(location, False, f"Destination {location} {what}.", None, exists)
    pseudo = pseudo_fs(probe)
    if pseudo:
        return DestinationCheck(location, False, f"Destination {location} is on a {pseudo} "
                                "pseudo file system, which cannot hold backups.", None, exists)
    free = shutil.disk_usage(probe).free
    if free == 0:
        return DestinationCheck(location, False, f"Destination {location} has no free space.",
                                free, exists)
    if need_bytes and free < need_bytes:
        return DestinationCheck(
            location, False,
            f"Destination {location} has {free} bytes free; about {need_bytes} are needed.",
            free, exists,
        )
    return DestinationCheck(location, True, "ok" if exists else "will be created", free, exists)


# Kernel and virtual file systems: writable as root, but nothing written there is kept.
PSEUDO_FS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
    "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "efivarfs",
    "binfmt_misc", "selinuxfs", "rpc_pipefs", "nsfs", "autofs", "ramfs",
})


def mount_fstype(path: Path) -> str | None:
    """The type of the file system holding `path`, from /proc/self/mountinfo (Linux)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    best, fstype = -1, None
    target = str(path.resolve())
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5:
            continue
        mnt = fields[4].replace("\\040", " ")
        inside = target == mnt or target.startswith(mnt.rstrip("/") + "/")
        if inside and len(mnt) >= best:
            best, fstype = len(mnt), right.split()[0]
    return fstype


def pseudo_fs(path: Path) -> str | None:
    """The name of the pseudo file system holding `path`, or None for a real one."""
    fstype = mount_fstype(path)
    if fstype in PSEUDO_FS:
        return fstype
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    if st.f_blocks == 0 and fstype != "tmpfs":  # no blocks at all: a virtual file system
        return fstype or "virtual"
    return None


MARKER = ".backupdesk-destination"


def read_marker(root: Path) -> str | None:
    """The id in the destination's marker file; None if there is none (or it is unreadable)."""
    try:
        data = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value else None


def create_destination(location: str) -> str:
    """Set a destination up (the explicit step: a plan's creation, or the editor's save):
    create its folder and its marker file; a folder that has a marker keeps its id."""
    check = check_destination(location)
    if not check.ok:
        raise DestinationError(check.message)
    root = Path(location).expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DestinationError(f"Cannot create destination {location}: {e.strerror}.") from e
    return adopt_destination(root)


def adopt_destination(root: Path) -> str:
    """The marker id of an existing destination folder, written now if it has none."""
    known = read_marker(root)
    if known:
        return known
    marker = uuid.uuid4().hex
    with atomic_file(root / MARKER) as f:
        f.write(json.dumps({"id": marker, "app": "Backup Desk"}).encode() + b"\n")
    return marker


def require_mounted(location: str, marker: str) -> Path:
    """The destination's folder, if it holds the marker written when it was set up."""
    root = Path(location).expanduser()
    found = read_marker(root) if root.is_dir() else None
    if found == marker:
        return root
    why = "its folder is missing" if not root.is_dir() else (
        "its folder has no Backup Desk marker" if found is None
        else "its folder belongs to another destination")
    raise DestinationError(f"Destination {location} not mounted: {why} (is the disk plugged "
                           "in?). Nothing was written there.")


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def tmp_name(final: Path) -> Path:
    return final.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{final.name}")


def os_error(e: OSError, where: Path | str) -> DestinationError:
    """A clear sentence for an OSError met while writing to `where`."""
    if e.errno == errno.ENOSPC:
        return DestinationError(f"No space left on the device holding {where}.")
    if e.errno in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ESTALE):
        return DestinationError(f"{where} disappeared while writing ({e.strerror}).")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return DestinationError(f"Cannot write to {where}: {e.strerror}.")
    return DestinationError(f"Writing to {where} failed: {e.strerror or e}.")


class ArtifactSink(Protocol):
    """Where an artifact's bytes go instead of a file of the work folder (a remote upload):
    `open(name)` gives a stream with `write`; the artifact stands complete only once the block
    ended without raising. The engine decides which bytes are written, the sink where."""

    def open(self, name: str) -> AbstractContextManager[Any]: ...


_sinks: dict[Path, ArtifactSink] = {}
_sinks_lock = threading.Lock()


@contextmanager
def redirect(work_dir: Path, sink: ArtifactSink) -> Iterator[None]:
    """While the block runs, atomic_file() in `work_dir` writes to `sink`."""
    with _sinks_lock:
        _sinks[work_dir] = sink
    try:
        yield
    finally:
        with _sinks_lock:
            _sinks.pop(work_dir, None)


@contextmanager
def atomic_file(final: Path, settle: list[Beside[None]] | None = None) -> Iterator[BinaryIO]:
    """Write to a temporary name beside `final`; fsync and rename only if the block succeeds.
    In a work folder redirected to a sink, the bytes go to the sink instead.

    With `settle`, the fsync, the rename and the folder's fsync run on a thread, appended to
    it: the caller works on while the disk catches up, and waits for its result() before it
    counts on the file."""
    sink = _sinks.get(final.parent)
    if sink is not None:
        with sink.open(final.name) as stream:
            yield stream
        return
    tmp = tmp_name(final)
    try:
        with open(tmp, "xb") as f:
            yield f
            f.flush()
            if settle is None:
                os.fsync(f.fileno())
    except BaseException as exc:
        _failed(exc, tmp, final)
    if settle is None:
        _in_place(tmp, final)
    else:
        settle.append(Beside(lambda: _settle(tmp, final), "backupdesk-fsync"))


def _settle(tmp: Path, final: Path) -> None:
    """atomic_file's end, for a file written and closed under its temporary name."""
    try:
        fd = os.open(tmp, os.O_WRONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException as exc:
        _failed(exc, tmp, final)
    _in_place(tmp, final)


def _in_place(tmp: Path, final: Path) -> None:
    """A synced file renamed to its final name, and the rename synced."""
    try:
        os.replace(tmp, final)
    except BaseException as exc:
        _failed(exc, tmp, final)
    fsync_dir(final.parent)


def _failed(exc: BaseException, tmp: Path, final: Path) -> NoReturn:
    try:
        tmp.unlink()
    except OSError:
        pass
    if isinstance(exc, OSError) and not isinstance(exc, DestinationError):
        raise os_error(exc, final.parent) from exc
    raise exc


class CopyMismatch(DestinationError):
    """The copied bytes do not have the SHA-256 the caller expected: nothing was renamed."""


@dataclass(frozen=True)
class CopyResult:
    """The size and SHA-256 of a copied file."""
    size: int
    sha256: str


def copy_file_atomic(src: Path, final: Path, cancel: CancelToken | None = None,
                     on_bytes: object = None, expect_sha256: str | None = None) -> CopyResult:
    """Copy `src` to `final` through a temporary name, hashing what is written. With
    `expect_sha256`, a copy of other content raises CopyMismatch and `final` is left as it
    was (a bad copy never stands under the final name, not even for a moment)."""
    h = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        src_f = open(src, "rb", buffering=0)  # noqa: SIM115
    except OSError as e:
        raise DestinationError(f"Cannot read {src}: {e.strerror}.") from e
    with src_f, atomic_file(final) as out:
        writeback = Writeback(out.fileno())
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                n = src_f.readinto(buf)
            except OSError as e:
                raise DestinationError(f"Cannot read {src}: {e.strerror}.") from e
            if not n:
                break
            h.update(view[:n])
            out.write(view[:n])
            size += n
            writeback.written(size)
            if callable(on_bytes):
                on_bytes(n)
        if expect_sha256 is not None and h.hexdigest() != expect_sha256:
            raise CopyMismatch(f"{src} does not have the expected SHA-256.")
    return CopyResult(size, h.hexdigest())


def is_inside(root: Path, path: Path) -> bool:
    """True if `path`, with symlinks and `..` resolved, lies strictly below `root`."""
    try:
        r = root.resolve(strict=True)
        p = path.resolve(strict=False)
    except (OSError, RuntimeError):
        return False
    return p != r and p.is_relative_to(r)


def safe_delete(root: Path, path: Path) -> bool:
    """Delete `path` (file or folder tree) only if it is inside `root`; False if already gone."""
    if not is_inside(root, path):
        raise DestinationError(f"Refusing to delete {path}: it is not inside destination {root}.")
    real = path.resolve(strict=False)
    if not os.path.lexists(real):
        return False
    try:
        if real.is_dir() and not real.is_symlink():
            shutil.rmtree(real)
        else:
            real.unlink()
    except OSError as e:
        raise DestinationError(f"Cannot delete {real}: {e.strerror}.") from e
    fsync_dir(real.parent)
    return True
