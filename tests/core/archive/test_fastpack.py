"""The archive writer's C loop (_fastpack) against its pure-Python fallback: the same tar stream,
byte for byte, and the same manifest, warnings included, for trees with everything odd in them."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from core.engines.api import RunRequest
from core.engines.archive import ArchiveEngine, create
from core.engines.archive import manifest as mf
from core.engines.archive import scan as scan_module
from core.engines.archive.feed import Feed
from core.engines.archive.owners import Owners
from core.engines.archive.scan import DIR, FILE, Item, Scan, scan
from core.engines.archive.tarstream import BLOCK, file_header, header
from core.errors import ConfigError
from core.progress import CancelToken, no_progress
from tests.core.archive.conftest import REQUIRE_FASTPACK, make_tree, snapshot

FAST = create._fastpack


def test_the_c_loop_is_built_where_required() -> None:
    """tests/run.sh sets BACKUPDESK_REQUIRE_FASTPACK=1: CI must not fall back silently."""
    if not REQUIRE_FASTPACK:
        pytest.skip("BACKUPDESK_REQUIRE_FASTPACK is not set")
    from core.engines.archive import _fastpack  # the ImportError, if any, says why

    assert create._fastpack is _fastpack


def odd_tree(root: Path) -> Path:
    """make_tree plus block-boundary sizes, ustar's name limits, odd modes, ids and mtimes,
    hard links, control characters, non-UTF-8 names and enough data for several C batches."""
    src = make_tree(root)
    sizes = src / "sizes"
    sizes.mkdir()
    for n in (0, 1, 511, 512, 513, 1023, 1024, 3 * 4096 + 7):
        (sizes / f"s{n}").write_bytes(os.urandom(n))
    many = src / "many"
    many.mkdir()
    for i in range(60):  # ~9 MB: more than two of the C loop's 4 MiB buffers
        (many / f"f{i:03d}").write_bytes(os.urandom(150_000 + i))
    (src / "exactly small.bin").write_bytes(os.urandom(create.SMALL))  # fits no C buffer
    base = len(src.name) + 1
    (src / ("n" * (100 - base))).write_text("100 bytes of archive name")
    (src / ("m" * (101 - base))).write_text("101: pax")
    (src / ("d" * (99 - base))).mkdir()  # with its '/': 100
    (src / ("e" * (100 - base))).mkdir()  # 101 with its '/': pax
    (src / "setuid").write_text("s")
    (src / "setuid").chmod(0o4755)
    (src / "sticky").mkdir()
    (src / "sticky").chmod(0o1777)
    (src / "no access").write_text("root reads it anyway")
    (src / "no access").chmod(0)
    os.link(src / "setuid", src / "hard link")
    (src / "tab\tnew\nline \\ 'q' \"qq\"").write_text("ascii oddities")
    (src / os.fsdecode(b"latin1 \xe9t\xe9")).write_text("not UTF-8")
    (src / "fraction").write_text("mtime .999999999 rounds up as a float")
    os.utime(src / "fraction", ns=(0, 1_600_000_000_999_999_999))
    (src / "epoch").write_text("0")
    os.utime(src / "epoch", ns=(0, 0))
    (src / "before 1970").write_text("negative mtime: pax")
    os.utime(src / "before 1970", ns=(0, -1_500_000_000))
    (src / "half a second before").write_text("-0.5 s: -1 in whole seconds, pax")
    os.utime(src / "half a second before", ns=(0, -500_000_000))
    (sizes / "year 2400").write_text("past a signed 64-bit count of ns: pax")  # read by C
    os.utime(sizes / "year 2400", ns=(0, 13_569_465_600 * 10**9 + 1))
    # What C hands to Python once it has opened them: pax records (holes, xattrs, ACLs).
    with open(sizes / "s sparse", "wb") as f:
        f.truncate(1 << 20)
        f.write(b"head")
    os.setxattr(sizes / "s1", "user.note", b"xattr")
    os.setxattr(sizes, "user.folder", b"on the folder")
    subprocess.run(["setfacl", "-m", "u:nobody:r", str(sizes / "s511")], check=True)
    if os.geteuid() == 0:
        (src / "id limit").write_text("uid 0o7777776: ustar")
        os.chown(src / "id limit", 0o7777776, 0o7777776)
        (src / "id over").write_text("uid 0o7777777: pax")
        os.chown(src / "id over", 0o7777777, 5)
    return src


def archive(
    tmp: Path, src: Path, name: str, compression: str = "none", previous: dict | None = None
) -> tuple[bytes, dict, list[str]]:
    work = tmp / name
    work.mkdir()
    req = RunRequest(
        1,
        "p",
        [str(src)],
        ["*.tmp"],
        {"compression": compression},
        [],
        "incremental" if previous else "full",
        "b1",
        work,
        previous,
    )
    res = ArchiveEngine().run(req, no_progress, CancelToken())
    raw = (work / "manifest.json").read_bytes()
    manifest = json.loads(raw)
    manifest["listing"] = None if res.listing is None else sorted(res.listing)
    # The bytes too (manifest.dumps puts _fastpack's entries in as they are), but for the time.
    manifest["raw"] = raw.replace(json.dumps(manifest.pop("created_at")).encode(), b'""', 1)
    data = next(work.glob("files.tar*")).read_bytes()
    return data, manifest, res.warnings


def both(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, run: Callable[[str], tuple[bytes, dict, list[str]]]
) -> tuple[tuple, tuple]:
    if FAST is None:
        if REQUIRE_FASTPACK:
            pytest.fail("core.engines.archive._fastpack is not built")
        pytest.skip("core.engines.archive._fastpack is not built")
    fast = run("c")
    monkeypatch.setattr(create, "_fastpack", None)
    monkeypatch.setattr(scan_module, "_folder", None)
    slow = run("python")
    return fast, slow


@pytest.mark.parametrize("compression", ["none", "zstd:3", "gzip:6"])
def test_same_tar_stream_and_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compression: str
) -> None:
    src = odd_tree(tmp_path / "data")
    fast, slow = both(tmp_path, monkeypatch, lambda name: archive(tmp_path, src, name, compression))
    assert fast[0] == slow[0]
    assert fast[1] == slow[1] and fast[2] == slow[2]
    assert fast[1]["listing"] == listed(fast[1])
    entries = {e["path"]: e for e in fast[1]["entries"]}
    assert entries["My Files/fraction"]["mtime_ns"] == 1_600_000_000_999_999_999
    assert "My Files/skip.tmp" not in entries
    if compression == "none":
        # Whole seconds, rounded down as tar does (a float st_mtime would round this one up).
        pos = fast[0].index(b"My Files/fraction\0")
        assert fast[0][pos + 136 : pos + 147] == b"%011o" % 1_600_000_000


def listed(manifest: dict) -> list[tuple[bytes, int | None, int | None, int | None]]:
    """A full run's listing as its manifest's file entries say it (RunResult.listing)."""
    return sorted(mf.file_row(e) for e in manifest["entries"] if e["type"] == FILE)


def test_same_incremental(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = odd_tree(tmp_path / "data")
    _, m1, _ = archive(tmp_path, src, "full")
    (src / "many" / "f007").write_bytes(b"changed")
    (src / "many" / "new").write_bytes(b"new")
    (src / "sizes" / "s512").unlink()
    (src / "setuid").chmod(0o755)
    assert m1["listing"] == listed(m1)
    fast, slow = both(tmp_path, monkeypatch, lambda name: archive(tmp_path, src, name, previous=m1))
    assert fast == slow
    assert fast[1]["listing"] is None  # an incremental did not look at its unchanged files
    stored = {e["path"] for e in fast[1]["entries"] if e.get("in") == "b1"}
    assert "My Files/many/new" in stored and "My Files/many/f008" in stored  # b1 both times
    assert fast[1]["deleted"] == ["My Files/sizes/s512"]


def without_inodes(manifest: dict) -> dict:
    """A manifest but for the ctime and inode numbers of its entries (and its raw bytes)."""
    out = {k: v for k, v in manifest.items() if k not in ("raw", "entries")}
    out["entries"] = [{k: v for k, v in e.items() if k not in ("ctime_ns", "ino")}
                      for e in manifest["entries"]]
    return out


def mutate_after_walk(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Runs `change` after the walk and before any file is read (the walk in the writer's
    thread), so the scan's lstat is stale in a known way."""

    class ThenChange(Feed):
        def __init__(self, found: Scan, excludes: list[str], live: bool) -> None:
            super().__init__(found, excludes, live=False)
            change()

    monkeypatch.setattr(create, "Feed", ThenChange)


def test_files_changing_or_vanishing_after_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = odd_tree(tmp_path / "data")
    grown, shrunk = src / "sizes" / "s1024", src / "many" / "f010"
    gone, swapped = src / "sizes" / "s513", src / "many" / "f020"
    originals = {p: p.read_bytes() for p in (grown, shrunk, gone, swapped)}
    folders = {d: d.stat().st_mtime_ns for d in (src / "sizes", src / "many")}

    def change() -> None:
        with open(grown, "ab") as f:
            f.write(b"more")
        shrunk.write_bytes(originals[shrunk][:1000])
        gone.unlink()
        swapped.unlink()
        swapped.symlink_to("f021")  # opened with O_NOFOLLOW: ELOOP

    def run(name: str) -> tuple[bytes, dict, list[str]]:
        for p, data in originals.items():
            p.unlink(missing_ok=True)
            p.write_bytes(data)
            os.utime(p, ns=(0, 1_700_000_000_000_000_000))
        for d, mtime in folders.items():
            os.utime(d, ns=(0, mtime))
        mutate_after_walk(monkeypatch, change)
        return archive(tmp_path, src, name)

    fast, slow = both(tmp_path, monkeypatch, run)
    assert fast[0] == slow[0] and fast[2] == slow[2]
    assert without_inodes(fast[1]) == without_inodes(slow[1])  # the files were made anew
    _, manifest, warnings = fast
    assert manifest["listing"] == listed(manifest)  # as read, not as lstat said; none skipped
    entries = {e["path"]: e for e in manifest["entries"]}
    # Grown: one byte more than lstat said is read (and stored), with a warning.
    assert entries["My Files/sizes/s1024"]["size"] == 1025
    assert entries["My Files/many/f010"]["size"] == 1000
    assert "My Files/sizes/s513" not in entries and "My Files/many/f020" not in entries
    assert f"{grown} changed while it was read." in warnings
    assert f"{shrunk} changed while it was read." in warnings
    assert f"Cannot read {gone}: No such file or directory; skipped." in warnings
    assert f"Cannot read {swapped}: Too many levels of symbolic links; skipped." in warnings


def test_unreadable_files_make_a_partial_backup_in_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner turns the writer's warnings into a partial job, whichever loop wrote them."""
    from core.catalogue import open_catalogue
    from core.config import AppConfig
    from core.jobs.run import run_plan
    from core.plans import add_plan

    src = odd_tree(tmp_path / "data")
    victim = src / "many" / "f030"

    def run(name: str) -> tuple[bytes, dict, list[str]]:
        victim.write_bytes(b"x" * 100)
        mutate_after_walk(monkeypatch, victim.unlink)
        cfg = AppConfig.resolve(str(tmp_path / f"home-{name}"))
        cfg.paths.ensure()
        cat = open_catalogue(cfg.catalogue_url)
        try:
            add_plan(
                cat,
                "p",
                "archive",
                sources=[str(src)],
                destinations=[str(tmp_path / f"dest-{name}")],
                options={"verify_after": False},
            )
            out = run_plan(cat, cfg.paths, "p")
        finally:
            cat.dispose()
        assert out.status == "partial", out
        assert "f030" in (out.error or "")
        return b"", {}, []

    both(tmp_path, monkeypatch, run)


# The C loop on its own


def items_of(tmp_path: Path) -> list[Item]:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"hello\n")
    (src / "empty").write_bytes(b"")
    (src / "sub" / "b.bin").write_bytes(os.urandom(5000))
    (src / "zlink").symlink_to("a.txt")
    (src / "zz big").write_bytes(b"x" * 3000)
    return scan([str(src)], []).items


@pytest.fixture
def fast() -> object:
    if FAST is None:
        if REQUIRE_FASTPACK:
            pytest.fail("core.engines.archive._fastpack is not built")
        pytest.skip("core.engines.archive._fastpack is not built")
    return FAST


IN = json.dumps('b1 \u00e9"').encode()  # the backup name as JSON, escapes included
OWN = Owners()  # the names pack() reads: known for the ids of the files made here
OWN.user(os.geteuid()), OWN.group(os.getegid())
NAMES = (OWN.users, OWN.groups)


def py_entry(item: Item, data: bytes | None = None) -> bytes:
    """What the Python loop records for `item`, as manifest.dumps writes it."""
    e = mf.entry_for(item)
    if data is not None:
        e.update(size=len(data), sha256=hashlib.sha256(data).hexdigest(), **{"in": 'b1 \u00e9"'})
    return json.dumps(e, separators=(",", ":")).encode()


def test_pack_frames_like_tarstream(tmp_path: Path, fast: object) -> None:
    items = items_of(tmp_path)
    assert [i.path for i in items] == [
        "src",
        "src/a.txt",
        "src/empty",
        "src/sub",
        "src/zlink",
        "src/zz big",
        "src/sub/b.bin",
    ]
    buf = bytearray(1 << 20)
    pack = fast.pack  # type: ignore[attr-defined]
    used, entries, problems, files, nbytes = pack(items, 0, buf, 4000, IN, *NAMES)
    assert len(entries) == 4 and problems == [] and (files, nbytes) == (2, 6)  # link: the end
    expect = bytearray()
    for item, e in zip(items, entries, strict=False):
        mode, mtime = item.mode & 0o7777, item.mtime_ns // 10**9
        own = OWN.user(item.uid), OWN.group(item.gid)
        if item.type == DIR:
            assert e == py_entry(item)
            expect += header(item.path, DIR, mode, item.uid, item.gid, 0, mtime, "", *own)
            continue
        data = Path(item.abspath).read_bytes()
        assert e == py_entry(item, data)
        expect += file_header(item.path, mode, item.uid, item.gid, len(data), mtime, *own)
        expect += data + bytes(-len(data) % BLOCK)
    assert bytes(buf[:used]) == bytes(expect)
    assert pack(items, 4, buf, 4000, IN, *NAMES) == (0, [], [], 0, 0)  # a link: Python's
    assert pack(items, 5, buf, 2000, IN, *NAMES) == (0, [], [], 0, 0)  # over `small`: Python's
    used, entries, _, files, nbytes = pack(items, 5, buf, 4000, IN, *NAMES)  # b.bin is over `small`
    assert entries == [py_entry(items[5], b"x" * 3000)] and (files, nbytes) == (1, 3000)
    assert used == BLOCK + 3072 and buf[BLOCK : BLOCK + 3000] == b"x" * 3000
    assert pack(items, len(items), buf, 4000, IN, *NAMES) == (0, [], [], 0, 0)


def test_pack_escapes_names_as_json_does(tmp_path: Path, fast: object) -> None:
    src = tmp_path / "src"
    src.mkdir()
    names = [
        'q"uote',
        "back\\slash",
        "\b\f\n\r\t",
        "\x01\x1f\x7f",
        " ~!#$%&'()*+,-.:;<=>?@[]^_`{|}",
    ]
    for n in names:
        (src / n).write_bytes(n.encode())
    items = scan([str(src)], []).items
    _, entries, *_ = fast.pack(items, 0, bytearray(1 << 20), 100, IN, *NAMES)  # type: ignore[attr-defined]
    assert len(entries) == len(items) == 6
    for item, e in zip(items, entries, strict=True):
        assert e == py_entry(item, None if item.type == DIR else item.path[4:].encode())


def test_pack_stops_where_the_buffer_is_full(tmp_path: Path, fast: object) -> None:
    items = [i for i in items_of(tmp_path) if i.path in ("src/a.txt", "src/empty")]
    pack = fast.pack  # type: ignore[attr-defined]
    # a.txt's worst case
    used, entries, *_ = pack(items, 0, bytearray(BLOCK + BLOCK), 1 << 20, IN, *NAMES)
    assert used == 2 * BLOCK and len(entries) == 1
    assert pack(items, 0, bytearray(BLOCK), 1 << 20, IN, *NAMES) == (0, [], [], 0, 0)


def test_pack_reports_errno_per_file(tmp_path: Path, fast: object) -> None:
    items = items_of(tmp_path)
    Path(items[1].abspath).unlink()  # a.txt
    buf = bytearray(1 << 20)
    pack = fast.pack  # type: ignore[attr-defined]
    used, entries, problems, files, nbytes = pack(items, 0, buf, 1 << 20, IN, *NAMES)
    assert entries[1] is None and problems == [(1, 2)]  # ENOENT; nothing written for it
    assert entries[2] == py_entry(items[2], b"") and (files, nbytes) == (1, 0)
    assert used == 3 * BLOCK  # src, empty, sub
    assert buf[BLOCK : BLOCK + 9] == b"src/empty"
    with pytest.raises(TypeError):
        pack(items, 0, b"read-only", 1, IN, *NAMES)
    with pytest.raises(ValueError):
        pack(items, -1, buf, 1, IN, *NAMES)


def test_pack_releases_the_gil(tmp_path: Path, fast: object) -> None:
    """pack() blocks opening a FIFO that only this Python thread feeds: it gets there only if
    pack() let go of the GIL. (A late writer in another process unblocks a pack that did not,
    so that the test fails instead of hanging.)"""
    import errno
    import subprocess
    import time

    fifo, regular = tmp_path / "fifo", tmp_path / "regular"
    os.mkfifo(fifo)
    regular.write_bytes(b"123456")
    item = Item.of("fifo", str(fifo), FILE, regular.lstat())  # lstat said: 6 bytes
    buf = bytearray(1 << 16)
    out: list[tuple[int, list, list, int, int]] = []
    late = subprocess.Popen(["sh", "-c", f"sleep 30; printf late. > '{fifo}'"])
    pack = fast.pack  # type: ignore[attr-defined]
    worker = threading.Thread(target=lambda: out.append(pack([item], 0, buf, 1 << 20, IN, *NAMES)))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until pack opens it
                break
            except OSError as e:
                assert e.errno == errno.ENXIO and time.monotonic() < deadline
                time.sleep(0.005)
        os.write(fd, b"early")
        os.close(fd)
        worker.join()
    finally:
        late.kill()
        late.wait()
    ((_, _, problems, _, nbytes),) = out
    assert nbytes == 5 and problems == [(0, -1)] and buf[BLOCK : BLOCK + 5] == b"early"


# The walk in its own thread


def test_a_missing_source_fails_before_any_work(tmp_path: Path, impl: str) -> None:
    work = tmp_path / "w"
    work.mkdir()
    req = RunRequest(
        1, "p", [str(tmp_path), str(tmp_path / "nope")], [], {}, [], "full", "b1", work
    )
    with pytest.raises(ConfigError, match="does not exist"):
        ArchiveEngine().run(req, no_progress, CancelToken())
    assert os.listdir(work) == []


def test_a_failing_walk_fails_the_archive_and_leaves_no_thread(
    tmp_path: Path, tree: Path, impl: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    def broken(*args: object) -> bool:
        raise RuntimeError("walk broke")

    monkeypatch.setattr(scan_module, "_walk", broken)
    work = tmp_path / "w"
    work.mkdir()
    req = RunRequest(1, "p", [str(tree)], [], {}, [], "full", "b1", work)
    with pytest.raises(RuntimeError, match="walk broke"):
        ArchiveEngine().run(req, no_progress, CancelToken())
    assert os.listdir(work) == []
    assert not [t for t in threading.enumerate() if t.name == "backupdesk-scan"]


def test_progress_scans_then_archives_with_totals(tmp_path: Path, tree: Path, impl: str) -> None:
    seen = []
    work = tmp_path / "w"
    work.mkdir()
    req = RunRequest(1, "p", [str(tree)], [], {}, [], "full", "b1", work)
    res = ArchiveEngine().run(req, seen.append, CancelToken())
    last = seen[-1]
    assert last.phase == "archiving" and last.files_done == last.files_total == res.files
    assert last.bytes_done == last.bytes_total == res.source_bytes
    for p in seen:
        assert (p.phase == "scanning") == (p.files_total is None)
    out = tmp_path / "out"
    from core.engines.archive.restore import restore_tree

    restore_tree(
        json.loads((work / "manifest.json").read_bytes())["entries"],
        lambda _: work / "files.tar.zst",
        out,
        progress=no_progress,
        cancel=CancelToken(),
    )
    assert snapshot(out / tree.name) == snapshot(tree)
    assert stat.S_IMODE((out / tree.name / "run me.sh").stat().st_mode) == 0o750


def test_manifest_dumps_takes_encoded_entries_as_they_are() -> None:
    dicts = [{"path": f"p{i}", "type": "dir", "mode": 0o755, "mtime_ns": i} for i in range(5)]
    mixed: list[dict | bytes] = list(dicts)
    mixed[1] = json.dumps(dicts[1], separators=(",", ":")).encode()
    mixed[2] = json.dumps(dicts[2], separators=(",", ":")).encode()
    mixed[4] = json.dumps(dicts[4], separators=(",", ":")).encode()

    def manifest(entries: list) -> dict:
        return mf.build(
            backup_name="b é",
            type_="full",
            parent=None,
            roots={"r": "/r"},
            entries=entries,
            deleted=[],
            changed=5,
            created_at="t",
            artifacts=[],
            warnings=['w "q"'],
        )

    assert mf.dumps(manifest(mixed)) == mf.dumps(manifest(dicts))
    assert json.loads(mf.dumps(manifest(mixed)))["entries"] == dicts
    assert mf.dumps(manifest([mixed[1]])) == mf.dumps(manifest([dicts[1]]))


def test_rare_collections_nest_and_restore_the_thresholds() -> None:
    import gc

    from core.engines.archive.gcquiet import RARE, rare_collections

    usual = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with rare_collections():
            assert gc.get_threshold() == (RARE, 10, 10)
            with rare_collections():
                pass
            assert gc.get_threshold() == (RARE, 10, 10)  # the outer run is still going
        assert gc.get_threshold() == (700, 10, 10)
        with rare_collections():
            gc.set_threshold(1234, 5, 5)  # someone else's choice meanwhile: kept
        assert gc.get_threshold() == (1234, 5, 5)
        gc.set_threshold(0)  # collection off: left off
        with rare_collections():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*usual)


def test_the_three_walks_find_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """_fastpack.folder, and Python through folder descriptors or (Windows) by path: the same
    items in the same order, the same warnings; folders with non-UTF-8 names are Python's."""
    src = odd_tree(tmp_path / "data")
    order = src / "order"
    order.mkdir()
    for name in (
        "b",
        "B",
        "a",
        "é",
        "z",
        "ä",
        "日本",
        "\U0001f600",
        "a b",
        "a-b",
        "a.b",
        "10",
        "9",
    ):
        (order / name).write_text(name)
    os.mkfifo(order / "fifo")  # "not a file, folder or symbolic link"
    (order / "skip.tmp").mkdir()  # excluded, and not walked into
    (order / "skip.tmp" / "inside").write_text("x")

    def walked() -> tuple[list[tuple[object, ...]], list[str]]:
        found = scan([str(src)], ["*.tmp"])
        fields = ("path", "abspath", "type", "mode", "uid", "gid", "size", "mtime_ns")
        return [tuple(getattr(i, f) for f in fields) for i in found.items], found.warnings

    calls: list[str] = []
    real = scan_module._folder

    def spy(d: str, rel: str, cls: type) -> object:
        got = real(d, rel, cls)  # type: ignore[misc]
        calls.append("C" if got is not None else "python")
        return got

    if real is None:
        pytest.skip("core.engines.archive._fastpack is not built")
    monkeypatch.setattr(scan_module, "_folder", spy)
    in_c = walked()
    assert "C" in calls and "python" in calls  # the latin-1 name's folder
    monkeypatch.setattr(scan_module, "_folder", None)
    assert walked() == in_c
    monkeypatch.setattr(scan_module, "_BY_FD", False)
    assert walked() == in_c
    paths = [i[0] for i in in_c[0]]
    assert [p.split("/")[-1] for p in paths if p.startswith("My Files/order/")] == sorted(
        ["b", "B", "a", "é", "z", "ä", "日本", "\U0001f600", "a b", "a-b", "a.b", "10", "9"]
    )
    assert f"Skipped {order / 'fifo'}: not a file, folder or symbolic link." in in_c[1]
    assert not [p for p in paths if "skip.tmp" in p]
