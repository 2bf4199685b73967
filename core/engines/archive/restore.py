"""Rebuild the tree of one manifest from its chain's archives: content, modes, mtimes, owners,
symbolic and hard links, holes, extended attributes and ACLs."""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import secrets
import stat
import tarfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import zstandard

from core import crypto
from core.engines.api import ArtifactCopy, LocalCopy
from core.engines.archive import extras, owners
from core.engines.archive.scan import DIR, FILE, SYMLINK
from core.engines.compression import ARCHIVE
from core.errors import DestinationError, EngineError, UsageError
from core.progress import CancelToken, Progress, ProgressCallback

CHUNK = 1 << 20



# The copies of the named backup's files archive, healthiest first (or its one local file).
OpenArchive = Callable[[str], "Path | Sequence[ArtifactCopy]"]


@dataclass
class RestoreStats:
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)  # one line each: what was not restored


@contextmanager
def open_tar_stream(src: Path | IO[bytes], identities: Sequence[Any] = (),
                    name: str | None = None, where: str | None = None
                    ) -> Iterator[tarfile.TarFile]:
    """The archive's tar stream from a file or a stream (`name` its file name, `where` for
    messages); an encrypted one (`.age`) is decrypted with `identities`."""
    with ExitStack() as stack:
        if isinstance(src, Path):
            name, where = name or src.name, where or str(src)
            raw: Any = stack.enter_context(open(src, "rb"))
        else:
            raw = src
        name, where = name or "", where or name or "archive"
        if name.endswith(crypto.SUFFIX):
            name = name.removesuffix(crypto.SUFFIX)
            raw = stack.enter_context(crypto.decrypting(raw, identities, f"The archive {where}"))
        stream: IO[bytes] | Any
        try:
            algo = ARCHIVE.of_file(name)
            if algo == "zstd":
                stream = zstandard.ZstdDecompressor().stream_reader(raw, read_size=CHUNK,
                                                                    closefd=False)
            elif algo == "gzip":
                stream = gzip.GzipFile(fileobj=raw, mode="rb")
            else:
                stream = raw
            with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8",
                              errors="surrogateescape") as tf:
                yield tf
        except (tarfile.TarError, zstandard.ZstdError, EOFError) as e:
            raise EngineError(f"The archive {where} is damaged ({e}).") from e


def select(entries: list[dict[str, Any]], paths: list[str]) -> list[dict[str, Any]]:
    """Entries at or below any of `paths` (archive paths), plus the folders leading to them."""
    if not paths:
        return entries
    wanted = [PurePosixPath(p.strip("/")) for p in paths]
    keep: list[dict[str, Any]] = []
    parents: set[str] = set()
    for e in entries:
        ep = PurePosixPath(e["path"])
        if any(ep == w or w in ep.parents for w in wanted):
            keep.append(e)
            parents.update(str(p) for p in ep.parents if str(p) != ".")
    missing = [str(w) for w in wanted if not any(PurePosixPath(e["path"]) == w for e in keep)]
    if missing:
        raise UsageError(f"Not in this backup: {', '.join(missing)}.")
    have = {e["path"] for e in keep}
    extra = [e for e in entries if e["path"] in parents and e["path"] not in have]
    return extra + keep


def check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UsageError(f"{target} is not empty; choose an empty folder or add --overwrite.")


class Refused(Exception):
    """One entry that cannot be restored; the others go on."""


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
# Folders as descriptors where the system takes names relative to one (not on Windows); else as
# paths, each component checked with lstat first (the same refusals, without the race-proofing).
_BY_FD = hasattr(os, "O_DIRECTORY") and {os.open, os.stat, os.mkdir, os.unlink, os.symlink,
                                         os.rename, os.link, os.utime} <= os.supports_dir_fd
Dir = int | str  # a folder's descriptor, or its path


def _at(d: Dir, name: str) -> tuple[str, dict[str, Any]]:
    """`name` in folder `d`, as the path and keywords of an os call."""
    return (name, {"dir_fd": d}) if isinstance(d, int) else (os.path.join(d, name), {})


def _move(d: Dir, src: str, dst: str) -> None:
    if isinstance(d, int):
        os.replace(src, dst, src_dir_fd=d, dst_dir_fd=d)
    else:
        os.replace(os.path.join(d, src), os.path.join(d, dst))


def _tmp() -> str:
    """A temporary name in the entry's own folder, short whatever the final name's length."""
    return f".bd-{secrets.token_hex(6)}"


class _Target:
    """The target folder, reached only through folder descriptors opened with O_NOFOLLOW: no
    symbolic link below the target is ever followed, whatever an earlier restore left there."""

    def __init__(self, root: Path, names: owners.Names) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.by_fd = _BY_FD
        self.root: Dir = (os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                          if self.by_fd else str(root.resolve()))
        self.fds: dict[str, Dir] = {}
        self.as_root = getattr(os, "geteuid", lambda: -1)() == 0
        self.names = names

    def close(self) -> None:
        for fd in self.fds.values():
            if isinstance(fd, int):
                os.close(fd)
        self.fds.clear()
        if isinstance(self.root, int):
            os.close(self.root)

    def folder(self, rel: str) -> Dir:
        """The descriptor of the folder at `rel` ("" for the target)."""
        if not rel:
            return self.root
        fd = self.fds.get(rel)
        if fd is not None:
            return fd
        head, _, name = rel.rpartition("/")
        parent = self.folder(head)
        try:
            fd = _open_folder(parent, name)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise Refused(f"{rel} is a symbolic link or a file, not a folder; nothing is "
                              "written through it.") from None
            if e.errno == errno.ENOENT:
                raise Refused(f"its folder {rel} is not there (not in this backup as a "
                              "folder).") from None
            raise
        self.fds[rel] = fd
        return fd

    def trim(self) -> None:
        """Between entries (never while one holds descriptors): a bounded cache, the oldest
        closed first (entries come folder by folder)."""
        if len(self.fds) > 256:
            for old in list(self.fds)[:128]:
                fd = self.fds.pop(old)
                if isinstance(fd, int):
                    os.close(fd)

    def parent(self, path: str) -> tuple[Dir, str]:
        head, _, name = path.rpartition("/")
        return self.folder(head), name

    def mkdir(self, path: str) -> None:
        n, at = _at(*self.parent(path))
        try:
            st = os.stat(n, follow_symlinks=False, **at)
        except FileNotFoundError:
            os.mkdir(n, 0o700, **at)
            return
        if not stat.S_ISDIR(st.st_mode) or _is_link(st):  # where the backup has a folder
            os.unlink(n, **at)
            os.mkdir(n, 0o700, **at)

    def not_a_folder(self, d: Dir, name: str, path: str) -> None:
        n, at = _at(d, name)
        try:
            st = os.stat(n, follow_symlinks=False, **at)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            raise Refused(f"Cannot restore {path}: a folder is in the way.")

    def meta(self, f: int | str, e: dict[str, Any], problems: list[str]) -> None:
        """Owner, mode, extended attributes (ACLs among them), mtime of a file or folder: an
        open descriptor, or (without descriptors) its path."""
        ids = self.names.ids_for(e) if self.as_root else None
        if ids is not None:
            os.chown(f, *ids)
        os.chmod(f, e["mode"])  # after chown, which clears set-id bits
        for name, value in extras.from_json(e.get("xattrs")).items():
            if name in extras.ACL_XATTRS and self.as_root:
                value = extras.remap_acl(value, self.names.uid, self.names.gid)
            try:
                os.setxattr(f, name, value)
            except (OSError, AttributeError) as err:  # AttributeError: no xattrs on this system
                problems.append(f"{e['path']}: extended attribute {name} not restored "
                                f"({getattr(err, 'strerror', None) or err}).")
        os.utime(f, ns=(e["mtime_ns"], e["mtime_ns"]))


def restore_tree(entries: list[dict[str, Any]], open_archive: OpenArchive, target: Path, *,
                 progress: ProgressCallback, cancel: CancelToken,
                 names: owners.Names | None = None,
                 identities: Sequence[Any] = ()) -> RestoreStats:
    """Restores what it can; each entry that fails is in stats.problems, the rest restored.
    As root, owners too, by `names` (the manifest's owner names; by number without them).
    Encrypted archives open with `identities` (age)."""
    stats = RestoreStats()
    t = _Target(target, names or owners.Names())
    try:
        _restore(t, entries, open_archive, stats, progress, cancel, identities)
    finally:
        t.close()
    return stats


def _restore(t: _Target, entries: list[dict[str, Any]], open_archive: OpenArchive,
             stats: RestoreStats, progress: ProgressCallback, cancel: CancelToken,
             identities: Sequence[Any]) -> None:
    dirs = [e for e in entries if e["type"] == DIR]
    files = [e for e in entries if e["type"] == FILE]
    links = [e for e in entries if e["type"] == SYMLINK]
    failed: set[str] = set()

    def attempt(e: dict[str, Any], fn: Callable[..., None], *args: Any) -> bool:
        t.trim()
        try:
            fn(*args)
            return True
        except Refused as err:
            msg = str(err)
            stats.problems.append(msg if msg.startswith("Cannot") else
                                  f"Cannot restore {e['path']}: {msg}")
        except OSError as err:
            stats.problems.append(f"Cannot restore {e['path']}: {err.strerror or err}.")
        failed.add(e["path"])
        return False

    for e in dirs:
        if attempt(e, t.mkdir, e["path"]):
            stats.dirs += 1
    # Content by the archive member holding it; hard links share their first one's.
    by_archive: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for e in files:
        by_archive.setdefault(e["in"], {}).setdefault(e.get("link") or e["path"], []).append(e)
    total = sum(int(e["size"]) for e in files)

    def take(tf: tarfile.TarFile, member: tarfile.TarInfo, wanted: dict[str, list[Any]]
             ) -> None:
        group = wanted.pop(member.name, [])
        if not group or not member.isfile():
            return
        first = group[0]
        if attempt(first, _write_file, t, tf, member, first, stats.problems):
            stats.files += 1
            stats.bytes += int(first["size"])
        for other in group[1:]:
            if first["path"] in failed:
                stats.problems.append(f"Cannot restore {other['path']}: it is a hard "
                                      f"link to {first['path']}, which failed.")
            elif attempt(other, _link, t, first["path"], other):
                stats.files += 1
        progress(Progress("restoring", stats.bytes, total, stats.files, len(files),
                          first["path"]))
        cancel.raise_if_cancelled()

    for name, wanted in by_archive.items():
        try:
            found = open_archive(name)
        except EngineError as err:
            for group in wanted.values():
                stats.problems.extend(f"Cannot restore {e['path']}: {err}" for e in group)
            continue
        sources = [LocalCopy(found)] if isinstance(found, Path) else list(found)
        errors: list[str] = []
        for i, src in enumerate(sources):
            # A copy that fails part-way leaves what it gave restored (each file checked); the
            # next copy gives the rest.
            try:
                with src.open(cancel) as raw, \
                        open_tar_stream(raw, identities, src.name, str(src)) as tf:
                    for member in tf:
                        take(tf, member, wanted)
                        if not wanted:
                            break
            except (EngineError, DestinationError) as err:
                errors.append(str(err))
                if wanted and i + 1 < len(sources):
                    continue
                if len(errors) == 1:
                    raise
                raise EngineError(" ".join(errors)) from err
            break
        for group in wanted.values():
            stats.problems.extend(f"Cannot restore {e['path']}: the archive of backup {name} "
                                  "lacks it (damaged?)." for e in group)
    for e in links:
        if attempt(e, _symlink, t, e):
            stats.symlinks += 1
    for e in sorted(dirs, key=lambda e: e["path"].count("/"), reverse=True):
        if e["path"] not in failed:
            attempt(e, _dir_meta, t, e, stats.problems)


def _open_folder(parent: Dir, name: str) -> Dir:
    if isinstance(parent, int):
        return os.open(name, _DIR, dir_fd=parent)
    path = os.path.join(parent, name)
    st = os.stat(path, follow_symlinks=False)
    if _is_link(st):
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
    return path


def _is_link(st: os.stat_result) -> bool:
    """A symbolic link, or on Windows a junction too."""
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_reparse_tag", 0))


def _dir_meta(t: _Target, e: dict[str, Any], problems: list[str]) -> None:
    t.meta(t.folder(e["path"]), e, problems)


def _symlink(t: _Target, e: dict[str, Any]) -> None:
    d, name = t.parent(e["path"])
    t.not_a_folder(d, name, e["path"])
    tmp = _tmp()
    n, at = _at(d, tmp)
    os.symlink(e["target"], n, **at)
    try:
        ids = t.names.ids_for(e) if t.as_root else None
        if ids is not None:
            os.chown(n, *ids, follow_symlinks=False, **at)
        if os.utime in os.supports_follow_symlinks:
            os.utime(n, ns=(e["mtime_ns"], e["mtime_ns"]), follow_symlinks=False, **at)
        _move(d, tmp, name)
    except BaseException:
        _unlink_quietly(d, tmp)
        raise


def _link(t: _Target, first: str, e: dict[str, Any]) -> None:
    sd, sname = t.parent(first)
    d, name = t.parent(e["path"])
    t.not_a_folder(d, name, e["path"])
    tmp = _tmp()
    if isinstance(sd, int) and isinstance(d, int):
        os.link(sname, tmp, src_dir_fd=sd, dst_dir_fd=d, follow_symlinks=False)
    else:
        os.link(os.path.join(str(sd), sname), os.path.join(str(d), tmp))
    try:
        _move(d, tmp, name)
    except BaseException:
        _unlink_quietly(d, tmp)
        raise


def _unlink_quietly(d: Dir, name: str) -> None:
    n, at = _at(d, name)
    try:
        os.unlink(n, **at)
    except OSError:
        pass


def _write_file(t: _Target, tf: tarfile.TarFile, member: tarfile.TarInfo, e: dict[str, Any],
                problems: list[str]) -> None:
    """Written under a short temporary name in its folder, renamed once complete and checked:
    never a half-written file under the final name, and never through a symbolic link."""
    d, name = t.parent(e["path"])
    t.not_a_folder(d, name, e["path"])
    tmp = _tmp()
    n, at = _at(d, tmp)
    fd = os.open(n, _NEW, 0o600, **at)
    try:
        try:
            if member.sparse:
                digest = _copy_sparse(tf, fd, member)
            else:
                src = tf.extractfile(member)
                assert src is not None
                digest = _copy(src, fd)
            if digest != e["sha256"]:
                raise Refused(f"{e['path']} does not match its checksum in the manifest; the "
                              "archive is damaged.")
            if t.by_fd:
                t.meta(fd, e, problems)
        finally:
            os.close(fd)
        if not t.by_fd:
            t.meta(n, e, problems)
        _move(d, tmp, name)
    except BaseException:
        _unlink_quietly(d, tmp)
        raise


def _copy(src: IO[bytes], fd: int) -> str:
    h = hashlib.sha256()
    while chunk := src.read(CHUNK):
        h.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
    return h.hexdigest()


def _copy_sparse(tf: tarfile.TarFile, fd: int, member: tarfile.TarInfo) -> str:
    """Only the runs of data are written: the holes between them stay holes. The runs are read
    as stored, one after the other (tarfile's reader of sparse members needs a seekable file)."""
    h = hashlib.sha256()
    pos = 0
    runs: list[tuple[int, int]] = list(member.sparse or [])  # type: ignore[arg-type]
    src = tf.fileobj
    assert src is not None
    src.seek(member.offset_data)
    for off, n in runs:
        extras.hash_zeros(h, off - pos)
        left = n
        while left:
            chunk = src.read(min(CHUNK, left))
            if not chunk:
                raise Refused(f"{member.name} is cut short in the archive; it is damaged.")
            h.update(chunk)
            os.lseek(fd, off + n - left, os.SEEK_SET)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
            left -= len(chunk)
        pos = off + n
    extras.hash_zeros(h, member.size - pos)
    os.ftruncate(fd, member.size)
    return h.hexdigest()
