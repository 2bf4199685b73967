"""The archive engine alone: full and incremental archives, restore through the chain."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from core.engines.api import RunRequest, RunResult
from core.engines.archive import ArchiveEngine
from core.engines.archive.owners import Names
from core.engines.archive.restore import RestoreStats, restore_tree, select
from core.errors import CancelledError, DestinationError, UsageError
from core.progress import CancelToken, Progress, no_progress
from tests.core.archive.conftest import snapshot


def run(tmp: Path, src: Path, name: str, previous: dict | None = None,
        compression: str = "zstd:3", excludes: list[str] | None = None,
        cancel: CancelToken | None = None, progress=no_progress) -> tuple[RunResult, dict]:
    work = tmp / "store" / name
    work.mkdir(parents=True)
    req = RunRequest(1, "p", [str(src)], excludes or [], {"compression": compression}, [],
                     "incremental" if previous else "full", name, work, previous)
    res = ArchiveEngine().run(req, progress, cancel or CancelToken())
    return res, json.loads((work / "manifest.json").read_bytes())


def archive_of(tmp: Path, name: str) -> Path:
    return next((tmp / "store" / name).glob("files.tar*"))


def restore(tmp: Path, manifest: dict, target: Path, paths: list[str] | None = None,
            ok: bool = True) -> RestoreStats:
    entries = select(manifest["entries"], paths or [])
    stats = restore_tree(entries, lambda n: archive_of(tmp, n), target, progress=no_progress,
                         cancel=CancelToken(), names=Names(manifest))
    assert not ok or stats.problems == []
    return stats


@pytest.mark.parametrize("compression", ["zstd:3", "gzip:6", "none"])
def test_full_round_trip_is_byte_identical(tmp_path: Path, tree: Path, compression: str,
                                           impl: str) -> None:
    res, manifest = run(tmp_path, tree, "b1", compression=compression)
    assert res.type == "full"
    assert [a.kind for a in res.artifacts] == ["files", "manifest"]
    out = tmp_path / "out"
    restore(tmp_path, manifest, out)
    assert snapshot(out / tree.name) == snapshot(tree)
    # Artifacts' recorded sizes and hashes are the files' own.
    for a in res.artifacts:
        p = tmp_path / "store" / "b1" / a.name
        assert p.stat().st_size == a.size
    # The archive is a real tar that tar itself can list.
    listing = subprocess.run(["tar", "-tf", str(archive_of(tmp_path, "b1"))],
                             capture_output=True, text=True, check=True).stdout
    assert "My Files/docs/naïve café.txt" in listing


def test_manifest_records_every_entry(tmp_path: Path, tree: Path, impl: str) -> None:
    res, manifest = run(tmp_path, tree, "b1")
    assert res.details["writer"] == impl
    by_path = {e["path"]: e for e in manifest["entries"]}
    assert by_path["My Files/empty dir"]["type"] == "dir"
    assert by_path["My Files/dangling"] == {**by_path["My Files/dangling"],
                                            "type": "symlink", "target": "nowhere/at all"}
    script = by_path["My Files/run me.sh"]
    assert script["mode"] == 0o750 and script["size"] == 18 and len(script["sha256"]) == 64
    assert script["mtime_ns"] == (tree / "run me.sh").lstat().st_mtime_ns
    assert manifest["artifacts"][0]["name"] == "files.tar.zst"


def test_excludes(tmp_path: Path, tree: Path) -> None:
    _, manifest = run(tmp_path, tree, "b1", excludes=["*.tmp", "My Files/docs/deep"])
    paths = {e["path"] for e in manifest["entries"]}
    assert "My Files/skip.tmp" not in paths
    assert not any(p.startswith("My Files/docs/deep") for p in paths)
    assert "My Files/docs/private" in paths


def test_incremental_chain_restores_each_moment(tmp_path: Path, tree: Path, impl: str) -> None:
    _, m1 = run(tmp_path, tree, "b1")
    snap1 = snapshot(tree)
    # Change, add, delete, turn a file into a folder, change a mode only.
    (tree / "docs" / "naïve café.txt").write_text("changed ✓✓\n", encoding="utf-8")
    (tree / "new file.txt").write_text("new\n")
    (tree / "big.bin").unlink()
    (tree / "empty.txt").unlink()
    (tree / "empty.txt").mkdir()
    (tree / "docs" / "private").chmod(0o640)
    res2, m2 = run(tmp_path, tree, "b2", previous=m1)
    snap2 = snapshot(tree)
    assert res2.type == "incremental"
    assert "My Files/big.bin" in m2["deleted"]
    stored = {e["path"] for e in m2["entries"] if e.get("in") == "b2"}
    assert stored == {"My Files/docs/naïve café.txt", "My Files/new file.txt",
                      "My Files/docs/private"}
    # Nothing changed: an empty incremental that still restores the whole tree.
    res3, m3 = run(tmp_path, tree, "b3", previous=m2)
    assert res3.files == 0 and m3["deleted"] == [] and m3["changed"] == 0
    for manifest, snap, name in ((m1, snap1, "r1"), (m2, snap2, "r2"), (m3, snap2, "r3")):
        out = tmp_path / name
        restore(tmp_path, manifest, out)
        assert snapshot(out / tree.name) == snap, name


def spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the archive writer opens, through Python's loop or the C one."""
    from core.engines.archive import create

    opened: list[str] = []
    real_open, real_fast = create._open, create._fastpack

    def spy_open(path: str) -> int:
        opened.append(path)
        return real_open(path)

    class SpyFast:
        @staticmethod
        def pack(items: list, start: int, *args: object) -> tuple:
            out = real_fast.pack(items, start, *args)
            opened.extend(i.abspath for i in items[start:start + len(out[1])] if i.type == "file")
            return out

    monkeypatch.setattr(create, "_open", spy_open)
    if real_fast is not None:
        monkeypatch.setattr(create, "_fastpack", SpyFast)
    return opened


def test_unchanged_files_are_not_read(tmp_path: Path, tree: Path, impl: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _, m1 = run(tmp_path, tree, "b1")
    (tree / "new.txt").write_text("n")
    opened = spy_reads(monkeypatch)
    run(tmp_path, tree, "b2", previous=m1)
    assert opened == [str(tree / "new.txt")]


def test_restore_selected_paths(tmp_path: Path, tree: Path) -> None:
    _, m1 = run(tmp_path, tree, "b1")
    out = tmp_path / "out"
    restore(tmp_path, m1, out, ["My Files/docs/deep"])
    got = snapshot(out)
    assert set(got) == {"My Files", "My Files/docs", "My Files/docs/deep",
                        "My Files/docs/deep/er", "My Files/docs/deep/er/x.bin"}
    assert got["My Files/docs/deep/er/x.bin"] == snapshot(tree)["docs/deep/er/x.bin"]
    with pytest.raises(UsageError, match="Not in this backup"):
        select(m1["entries"], ["My Files/nope"])


def test_damaged_archive_is_detected(tmp_path: Path, tree: Path) -> None:
    _, m1 = run(tmp_path, tree, "b1", compression="none")
    arc = archive_of(tmp_path, "b1")
    data = bytearray(arc.read_bytes())
    pos = data.find(b"accents")
    data[pos] ^= 0xFF
    arc.write_bytes(bytes(data))
    stats = restore(tmp_path, m1, tmp_path / "out", ok=False)
    assert stats.problems == ["Cannot restore My Files/docs/naïve café.txt: My Files/docs/naïve "
                              "café.txt does not match its checksum in the manifest; the archive "
                              "is damaged."]
    leftovers = [p for p in (tmp_path / "out").rglob("*") if p.name.startswith(".bd-")]
    assert leftovers == []
    assert not (tmp_path / "out" / "My Files/docs/naïve café.txt").exists()
    restored = (tmp_path / "out" / "My Files/run me.sh").read_bytes()
    assert restored == (tree / "run me.sh").read_bytes()


def test_cancel_leaves_no_file_under_a_final_name(tmp_path: Path, tree: Path, impl: str) -> None:
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.current:  # a file or folder being written (while the walk may still run)
            token.cancel()

    with pytest.raises(CancelledError):
        run(tmp_path, tree, "b1", cancel=token, progress=progress)
    assert os.listdir(tmp_path / "store" / "b1") == []
    assert not [t for t in threading.enumerate() if t.name == "backupdesk-scan"]


def test_unreadable_file_is_a_warning(tmp_path: Path, tree: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything; covered by the CLI test run as nobody")
    (tree / "docs" / "private").chmod(0)
    res, manifest = run(tmp_path, tree, "b1")
    assert any("private" in w for w in res.warnings)
    assert "My Files/docs/private" not in {e["path"] for e in manifest["entries"]}


def test_system_tar_extracts_the_archive(tmp_path: Path, tree: Path) -> None:
    run(tmp_path, tree, "b1", compression="gzip")
    out = tmp_path / "tarout"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(archive_of(tmp_path, "b1")), "-C", str(out)], check=True)
    assert (out / "My Files" / "big.bin").read_bytes() == (tree / "big.bin").read_bytes()
    shutil.rmtree(out)


def test_file_and_same_named_sources(tmp_path: Path, tree: Path) -> None:
    other = tmp_path / "elsewhere" / tree.name
    other.mkdir(parents=True)
    (other / "x.txt").write_text("other tree")
    single = tmp_path / "single file.txt"
    single.write_text("just me")
    work = tmp_path / "store" / "b1"
    work.mkdir(parents=True)
    req = RunRequest(1, "p", [str(tree), str(other), str(single)], [], {}, [], "full", "b1",
                     work)
    ArchiveEngine().run(req, no_progress, CancelToken())
    manifest = json.loads((work / "manifest.json").read_bytes())
    assert manifest["roots"] == {tree.name: str(tree), f"{tree.name}-2": str(other),
                                 "single file.txt": str(single)}
    out = tmp_path / "out"
    restore(tmp_path, manifest, out)
    assert (out / "single file.txt").read_text() == "just me"
    assert (out / f"{tree.name}-2" / "x.txt").read_text() == "other tree"
    assert snapshot(out / tree.name) == snapshot(tree)


def test_overwrite_never_follows_a_symlink_out_of_the_target(tmp_path: Path, tree: Path) -> None:
    _, manifest = run(tmp_path, tree, "b1")
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / tree.name).symlink_to(outside)
    restore(tmp_path, manifest, out)
    assert os.listdir(outside) == []
    assert snapshot(out / tree.name) == snapshot(tree)


def test_the_manifest_is_written_once_the_archive_is_synced_and_in_place(
        tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive's fsync runs beside the manifest's making; the manifest file comes after."""
    work = tmp_path / "store" / "b1"
    events: list[str] = []
    fsync, replace = os.fsync, os.replace

    def logged_fsync(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1]
        fsync(fd)
        events.append(f"fsync {'files' if 'files.tar' in name else name}")

    def logged_replace(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
        replace(a, b)
        events.append(f"in place {Path(b).name}")

    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "replace", logged_replace)
    run(tmp_path, tree, "b1")
    files = [e for e in events if "files" in e]
    assert files == ["fsync files", "in place files.tar.zst"]
    assert events.index("in place files.tar.zst") < events.index("in place manifest.json")
    assert sorted(p.name for p in work.iterdir()) == ["files.tar.zst", "manifest.json"]


def test_an_archive_that_cannot_be_synced_fails_the_run_and_leaves_no_manifest(
        tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk error at the archive's fsync (faked: it cannot be caused on this machine's disk)
    fails the run with a clear error; nothing is left under a final name."""
    fsync = os.fsync

    def failing(fd: int) -> None:
        if "files.tar" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(5, "Input/output error")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    work = tmp_path / "store" / "b1"
    with pytest.raises(DestinationError, match="disappeared while writing"):
        run(tmp_path, tree, "b1")
    assert list(work.iterdir()) == []
