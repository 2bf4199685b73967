"""Property test: generated trees (names of 1 to 255 bytes of anything but '/' and NUL, modes,
mtimes from 1901 to 2400, symbolic and hard links, holes, user xattrs, empty folders). The C
and Python writers make the same archive and manifest, byte for byte; a full backup, then
mutations (a rewrite keeping size and mtime among them) and an incremental, each restore the
tree exactly. BD_PROPERTY_EXAMPLES=N runs N examples instead of 30."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.engines.archive import create, scan
from tests.core.archive.test_engine import archive_of, restore, run

# ext4 holds seconds from -2**31 (1901-12-13) on; 2400-01-01 is 13,569,465,600.
MTIME = st.integers(-(2**31) * 10**9, 13_569_465_600 * 10**9)
NAME = st.binary(min_size=1, max_size=255).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")
    and not b.startswith(b".bd-"))  # the restore's temporary names
MODE = st.integers(0, 0o7777)
XATTRS = st.dictionaries(st.sampled_from(["user.a", "user.b", "user.\u00fc"]),
                         st.binary(max_size=50), max_size=2)


@st.composite
def trees(draw: Any) -> dict[str, Any]:
    dirs: list[bytes] = [b""]
    for _ in range(draw(st.integers(0, 4))):
        parent = draw(st.sampled_from(dirs))
        path = (parent + b"/" if parent else b"") + draw(NAME)
        if path not in dirs:
            dirs.append(path)
    entries: list[tuple[bytes, str, Any]] = []
    used = set(dirs)
    for _ in range(draw(st.integers(0, 8))):
        parent = draw(st.sampled_from(dirs))
        path = (parent + b"/" if parent else b"") + draw(NAME)
        if path in used:
            continue
        used.add(path)
        files = [p for p, k, _ in entries if k in ("file", "sparse")]
        kind = draw(st.sampled_from(["file", "file", "sparse", "symlink", "hardlink"]))
        if kind == "hardlink" and not files:
            kind = "file"
        if kind == "file":
            spec: Any = (draw(st.binary(max_size=3000)), draw(MODE), draw(MTIME), draw(XATTRS))
        elif kind == "sparse":
            size = draw(st.integers(64 << 10, 1 << 20))
            run_ = st.tuples(st.integers(0, size - 1), st.binary(min_size=1, max_size=100))
            runs = draw(st.lists(run_, max_size=3))
            spec = (size, runs, draw(MODE), draw(MTIME))
        elif kind == "symlink":
            spec = (draw(st.binary(min_size=1, max_size=300).filter(lambda b: b"\0" not in b)),
                    draw(MTIME))
        else:
            spec = draw(st.sampled_from(files))
        entries.append((path, kind, spec))
    dir_meta = {d: (draw(MODE) | 0o700, draw(MTIME)) for d in dirs}
    return {"dirs": dirs, "entries": entries, "dir_meta": dir_meta}


def build(root: bytes, tree: dict[str, Any]) -> None:
    for d in tree["dirs"]:
        os.makedirs(os.path.join(root, d) if d else root, exist_ok=True)
    for path, kind, spec in tree["entries"]:
        p = os.path.join(root, path)
        if kind == "file":
            data, mode, mtime, attrs = spec
            with open(p, "wb") as f:
                f.write(data)
            for name, value in attrs.items():
                os.setxattr(p, name, value)
            os.chmod(p, mode)
            os.utime(p, ns=(mtime, mtime))
        elif kind == "sparse":
            size, runs, mode, mtime = spec
            with open(p, "wb") as f:
                f.truncate(size)
                for off, data in runs:
                    f.seek(off)
                    f.write(data[: size - off])
            os.chmod(p, mode)
            os.utime(p, ns=(mtime, mtime))
        elif kind == "symlink":
            os.symlink(spec[0], p)
            os.utime(p, ns=(spec[1], spec[1]), follow_symlinks=False)
        else:
            os.link(os.path.join(root, spec), p)
    for d in sorted(tree["dirs"], key=lambda d: -d.count(b"/") - (1 if d else 0)):
        mode, mtime = tree["dir_meta"][d]
        p = os.path.join(root, d) if d else root
        os.chmod(p, mode)
        os.utime(p, ns=(mtime, mtime))


def snapshot(root: bytes) -> dict[bytes, tuple[object, ...]]:
    """Everything a restore must give back, hard links as the set of names of each inode."""
    out: dict[bytes, tuple[object, ...]] = {}
    names: dict[int, set[bytes]] = {}
    inos: dict[bytes, int] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [b"", *dirnames, *filenames] if dirpath == root else dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            rel = os.path.relpath(p, root)
            st_ = os.lstat(p)
            attrs = sorted((n, os.getxattr(p, n, follow_symlinks=False))
                           for n in os.listxattr(p, follow_symlinks=False))
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = ("link", os.readlink(p), st_.st_mtime_ns, st_.st_uid)
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("dir", st_.st_mode, st_.st_mtime_ns, st_.st_uid, attrs)
            else:
                with open(p, "rb") as f:
                    data = f.read()
                out[rel] = ("file", st_.st_mode, st_.st_mtime_ns, st_.st_uid, attrs, data)
                names.setdefault(st_.st_ino, set()).add(rel)
                inos[rel] = st_.st_ino
    return {k: (*v, frozenset(names[inos[k]])) if k in inos else v for k, v in out.items()}


@contextmanager
def writer(kind: str) -> Iterator[None]:
    saved = create._fastpack, scan._folder
    if kind == "python":
        create._fastpack, scan._folder = None, None
    try:
        yield
    finally:
        create._fastpack, scan._folder = saved


def mutate(root: bytes, tree: dict[str, Any], data: Any) -> None:
    files = [p for p, k, _ in tree["entries"] if k in ("file", "sparse")
             and os.path.isfile(os.path.join(root, p))]
    for path in data.draw(st.lists(st.sampled_from(files), max_size=3, unique=True)
                          if files else st.just([])):
        p = os.path.join(root, path)
        st_ = os.lstat(p)
        what = data.draw(st.sampled_from(["rewrite", "append", "delete", "chmod"]))
        if what == "rewrite" and st_.st_size:  # the same size and mtime, as `touch -r` keeps
            with open(p, "r+b") as f:
                f.write(bytes(b ^ 0xFF for b in f.read(16)))
            os.utime(p, ns=(st_.st_atime_ns, st_.st_mtime_ns))
        elif what == "append":
            with open(p, "ab") as f:
                f.write(b"more")
        elif what == "delete":
            os.unlink(p)
        else:
            os.chmod(p, st_.st_mode ^ 0o111)
    if tree["dirs"]:
        new = os.path.join(root, data.draw(st.sampled_from(tree["dirs"])), b"new \xff file")
        if not os.path.lexists(new):
            with open(new, "wb") as f:
                f.write(b"new")


@settings(max_examples=int(os.environ.get("BD_PROPERTY_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tree=trees(), data=st.data())
def test_generated_trees_archive_identically_and_restore_exactly(
        tree: dict[str, Any], data: Any) -> None:
    base = Path(tempfile.mkdtemp(prefix="bd-property-"))
    try:
        src = os.fsencode(base / "t")
        build(src, tree)
        want = snapshot(src)
        made = {}
        for kind in ("c", "python"):
            with writer(kind):
                made[kind] = run(base / kind, Path(os.fsdecode(src)), "b1", compression="none")
        (_, m_c), (_, m_py) = made["c"], made["python"]
        m_c.pop("created_at"), m_py.pop("created_at")
        assert m_c == m_py
        assert archive_of(base / "c", "b1").read_bytes() == \
            archive_of(base / "python", "b1").read_bytes()
        restore(base / "c", m_c, base / "full")
        assert snapshot(os.fsencode(base / "full" / "t")) == want
        mutate(src, tree, data)
        want = snapshot(src)
        _, m2 = run(base / "c", Path(os.fsdecode(src)), "b2", previous=m_c)
        restore(base / "c", m2, base / "incr")
        assert snapshot(os.fsencode(base / "incr" / "t")) == want
    finally:
        shutil.rmtree(base)
