"""Walk a plan's sources: archive paths, lstat results, exclude globs, unreadable folders."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from operator import attrgetter

from core.engines.archive import native
from core.engines.layout import top_names
from core.errors import ConfigError

DIR, FILE, SYMLINK = "dir", "file", "symlink"


@dataclass(slots=True)  # not frozen: that triples the cost of making one, and a walk makes many
class Item:
    """One entry found by the walk, with what its lstat said that the archive needs."""

    path: str  # archive path: "top/sub/name", '/'-separated, relative
    abspath: str
    type: str
    mode: int  # st_mode: type and permission bits
    uid: int
    gid: int
    size: int
    mtime_ns: int
    # What tells a rewrite that kept size and mtime (as GNU tar's listed-incremental and borg's
    # files cache do), and the hard links and holes of a file.
    ctime_ns: int
    ino: int
    dev: int
    nlink: int
    blocks: int  # 512-byte blocks allocated: fewer than the size needs means holes

    @classmethod
    def of(cls, path: str, abspath: str, type_: str, st: os.stat_result) -> Item:
        return cls(path, abspath, type_, st.st_mode, st.st_uid, st.st_gid, st.st_size,
                   st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, st.st_nlink,
                   getattr(st, "st_blocks", (st.st_size + 511) // 512))


@dataclass
class Scan:
    """The files a scan found under the sources."""
    items: list[Item] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)  # top name -> absolute source path
    warnings: list[str] = field(default_factory=list)
    # The sources' own lstat, taken by start() and walked by walk().
    tops: list[Item] = field(default_factory=list)


def _excluded(rel: str, name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, p) or fnmatchcase(rel, p) for p in patterns)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return DIR
    if stat.S_ISLNK(mode):
        return SYMLINK
    return None


def scan(sources: list[str], excludes: list[str]) -> Scan:
    out = start(sources)
    walk(out, excludes)
    return out


def start(sources: list[str]) -> Scan:
    """The sources themselves: a missing or unreadable one is a ConfigError, before any work."""
    out = Scan(roots=top_names(sources))
    for top, src in out.roots.items():
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            raise ConfigError(f"Source {src} does not exist.") from None
        except OSError as e:
            raise ConfigError(f"Cannot read source {src}: {e.strerror}.") from e
        kind = _kind(st.st_mode)
        if kind is None:
            out.warnings.append(f"Skipped {src}: not a file, folder or symbolic link.")
            continue
        out.tops.append(Item.of(top, src, kind, st))
    return out


def walk(out: Scan, excludes: list[str], published: Callable[[], bool] | None = None) -> None:
    """Appends every item below the sources to out.items, in archive order.

    `published`, if given, is called after each folder's entries; it returns False to stop early
    (the reader is gone). Another thread may read out.items meanwhile: items are only appended.
    """
    for top in out.tops:
        out.items.append(top)
        if top.type == DIR and not _walk(top.abspath, top.path, excludes, out, published):
            return
    if published is not None:
        published()


def _walk(root: str, rel_root: str, excludes: list[str], out: Scan,
          published: Callable[[], bool] | None) -> bool:
    stack = [(root, rel_root)]
    items, warn = out.items, out.warnings
    while stack:
        if published is not None and not published():
            return False
        d, rel = stack.pop()
        if _folder is not None:
            try:
                got = _folder(d, rel, Item)
            except OSError as err:
                warn.append(f"Cannot read folder {d}: {err.strerror}; its contents were skipped.")
                continue
            if got is not None:
                stack.extend(reversed(_took(got, d, rel, excludes, out)))
                continue
        # Through the folder's descriptor where there is one, so that each lstat looks up one
        # name, not the whole path.
        try:
            fd = os.open(d, _DIR_FLAGS) if _BY_FD else -1
        except OSError as err:
            warn.append(f"Cannot read folder {d}: {err.strerror}; its contents were skipped.")
            continue
        try:
            with os.scandir(fd) if _BY_FD else os.scandir(d) as it:
                entries = sorted(it, key=_NAME)
            base, rbase = (d if d.endswith("/") else d + "/"), rel + "/"
            subdirs = []
            for ent in entries:
                name = ent.name
                erel = rbase + name
                if excludes and _excluded(erel, name, excludes):
                    continue
                try:
                    st = ent.stat(follow_symlinks=False)
                except OSError as err:
                    warn.append(f"Cannot read {base + name}: {err.strerror}; skipped.")
                    continue
                kind = _KINDS.get(st.st_mode & _S_IFMT)
                if kind is None:
                    warn.append(f"Skipped {base + name}: not a file, folder or symbolic link.")
                    continue
                items.append(Item.of(erel, base + name, kind, st))
                if kind == DIR:
                    subdirs.append((base + name, erel))
        except OSError as err:
            warn.append(f"Cannot read folder {d}: {err.strerror}; its contents were skipped.")
            continue
        finally:
            if _BY_FD:
                os.close(fd)
        stack.extend(reversed(subdirs))
    return True


def _took(got: tuple[list[Item], list[tuple[str, int]]], d: str, rel: str,
          excludes: list[str], out: Scan) -> list[tuple[str, str]]:
    """What _fastpack.folder found in one folder, as the loop above would have taken it."""
    new, problems = got
    if excludes:
        cut = len(rel) + 1
        new = [i for i in new if not _excluded(i.path, i.path[cut:], excludes)]
        problems = [p for p in problems if not _excluded(f"{rel}/{p[0]}", p[0], excludes)]
    base = d if d.endswith("/") else d + "/"
    for name, err in problems:
        if err:
            out.warnings.append(f"Cannot read {base + name}: {os.strerror(err)}; skipped.")
        else:
            out.warnings.append(f"Skipped {base + name}: not a file, folder or symbolic link.")
    out.items.extend(new)
    return [(i.abspath, i.path) for i in new if i.type == DIR]


_BY_FD = os.scandir in os.supports_fd  # not on Windows
# One folder listed and lstat'ed in C, where names are UTF-8 bytes (their order then is Python's)
_folder = (native.fastpack.folder if native.fastpack is not None and _BY_FD
           and sys.getfilesystemencoding() == "utf-8" else None)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_S_IFMT = 0o170000
_KINDS = {stat.S_IFREG: FILE, stat.S_IFDIR: DIR, stat.S_IFLNK: SYMLINK}
_NAME = attrgetter("name")
