"""What a restore must keep and where it must not write: rewrites that keep size and mtime,
names up to NAME_MAX, owners, hard links, holes, extended attributes and ACLs, far mtimes,
symbolic links below the target. Against real files, and GNU tar reading our archives."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from core.engines.archive.owners import Names
from core.engines.archive.restore import restore_tree
from core.progress import CancelToken, no_progress
from tests.core.archive.test_engine import archive_of, restore, run

ROOT = os.geteuid() == 0


@pytest.fixture(params=["fd", "path"])
def reach(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the restore reaches folders: by descriptors (Linux, macOS), or by paths checked
    component by component (Windows, which has no *at calls)."""
    from core.engines.archive import restore as restore_module

    monkeypatch.setattr(restore_module, "_BY_FD", request.param == "fd")
    return str(request.param)


def entry(manifest: dict, path: str) -> dict:
    return next(e for e in manifest["entries"] if e["path"] == path)


# Incrementals: a rewrite keeping size and mtime


def test_a_rewrite_keeping_size_and_mtime_is_read_again(tmp_path: Path, impl: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    f, ref = src / "a.txt", tmp_path / "ref"
    f.write_bytes(b"old content 1")
    (src / "same.txt").write_bytes(b"untouched")
    _, m1 = run(tmp_path, src, "b1")
    subprocess.run(["touch", "-r", str(f), str(ref)], check=True)
    before = f.stat()
    with open(f, "r+b") as out:  # the same inode, size and (after touch -r) mtime
        out.write(b"new content 2")
    subprocess.run(["touch", "-r", str(ref), str(f)], check=True)
    after = f.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino)
    _, m2 = run(tmp_path, src, "b2", previous=m1)
    assert entry(m2, "src/a.txt")["in"] == "b2"
    assert entry(m2, "src/same.txt")["in"] == "b1"  # unchanged files are still not read
    out = tmp_path / "out"
    restore(tmp_path, m2, out)
    assert (out / "src/a.txt").read_bytes() == b"new content 2"


def test_a_manifest_without_ctime_reads_every_file_once(tmp_path: Path, impl: str) -> None:
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "d" / "x").write_bytes(b"x")
    (src / "y").write_bytes(b"y")
    _, m1 = run(tmp_path, src, "b1")
    for e in m1["entries"]:  # as an older Backup Desk wrote it
        for key in ("ctime_ns", "ino", "uid", "gid"):
            e.pop(key)
    del m1["users"], m1["groups"]
    _, m2 = run(tmp_path, src, "b2", previous=m1)
    assert {e["path"]: e.get("in") for e in m2["entries"] if e["type"] == "file"} == {
        "src/d/x": "b2", "src/y": "b2"}
    _, m3 = run(tmp_path, src, "b3", previous=m2)
    assert {e.get("in") for e in m3["entries"] if e["type"] == "file"} == {"b2"}
    out = tmp_path / "out"
    restore(tmp_path, m3, out)
    assert (out / "src/d/x").read_bytes() == b"x"


# Long names


def long_names(src: Path) -> list[str]:
    """Names of 236 to 255 bytes (NAME_MAX), some multi-byte, one folder of them."""
    names = ["a" * 236, "b" * 250, "c" * 255, "é" * 127 + "z", "ü" * 120 + "x" * 15]
    deep = src / ("d" * 255)
    deep.mkdir(parents=True)
    for n in names:
        assert len(n.encode()) in range(236, 256)
        (src / n).write_text(n)
        (deep / n).write_text("deep " + n)
    return names


def test_names_up_to_name_max_restore(tmp_path: Path, impl: str, reach: str) -> None:
    src = tmp_path / "src"
    names = long_names(src)
    _, m1 = run(tmp_path, src, "b1")
    out = tmp_path / "out"
    restore(tmp_path, m1, out)
    for n in names:
        assert (out / "src" / n).read_text() == n
        assert (out / "src" / ("d" * 255) / n).read_text() == "deep " + n
    assert not [p for p in out.rglob(".bd-*")]
    one = tmp_path / "one"
    restore(tmp_path, m1, one, paths=[f"src/{'d' * 255}/{names[2]}"])
    assert (one / "src" / ("d" * 255) / names[2]).read_text() == "deep " + names[2]


# Symbolic links below the target


def lnk_backup(tmp_path: Path) -> tuple[Path, Path, dict]:
    """A backup of src/lnk/evil and src/ok; the target folder and a folder beside it."""
    src, elsewhere = tmp_path / "src", tmp_path / "elsewhere"
    (src / "lnk").mkdir(parents=True)
    (src / "lnk" / "evil").write_text("must stay inside")
    (src / "ok").write_text("fine")
    elsewhere.mkdir()
    _, m1 = run(tmp_path, src, "b1")
    return tmp_path / "out", elsewhere, m1


def test_a_symlink_below_the_target_is_never_followed(tmp_path: Path, reach: str) -> None:
    out, elsewhere, m1 = lnk_backup(tmp_path)
    (out / "src").mkdir(parents=True)
    (out / "src" / "lnk").symlink_to(elsewhere)  # left by an earlier restore
    files = [e for e in m1["entries"] if e["type"] == "file"]  # no folder entries
    stats = restore_tree(files, lambda n: archive_of(tmp_path, n), out, progress=no_progress,
                         cancel=CancelToken())
    assert list(elsewhere.iterdir()) == []
    assert stats.problems == ["Cannot restore src/lnk/evil: src/lnk is a symbolic link or a "
                              "file, not a folder; nothing is written through it."]
    assert (out / "src" / "ok").read_text() == "fine"
    # The whole backup replaces the link with the folder it holds.
    restore(tmp_path, m1, out)
    assert list(elsewhere.iterdir()) == [] and (out / "src/lnk/evil").read_text()
    assert not (out / "src" / "lnk").is_symlink()


def test_a_symlink_then_a_file_through_it_in_one_backup(tmp_path: Path, reach: str) -> None:
    out, elsewhere, m1 = lnk_backup(tmp_path)
    for e in m1["entries"]:  # a manifest where src/lnk is a link and src/lnk/evil a file
        if e["path"] == "src/lnk":
            e.update(type="symlink", target=str(elsewhere))
    stats = restore(tmp_path, m1, out, ok=False)
    assert stats.problems == ["Cannot restore src/lnk/evil: its folder src/lnk is not there "
                              "(not in this backup as a folder)."]
    assert (out / "src" / "lnk").readlink() == elsewhere
    assert list(elsewhere.iterdir()) == [] and (out / "src" / "ok").read_text() == "fine"


# Owners, hard links, holes, extended attributes, ACLs


def xattr_supported(path: Path) -> bool:
    probe = path / ".probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")
        subprocess.run(["setfacl", "-m", "u:nobody:r", str(probe)], check=True,
                       capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False
    finally:
        probe.unlink()


def sysadmin_tree(src: Path) -> None:
    (src / "sub").mkdir(parents=True)
    (src / "a").write_bytes(b"linked content")
    os.link(src / "a", src / "sub" / "b")
    os.link(src / "a", src / "c")
    with open(src / "sparse", "wb") as f:
        f.truncate(64 << 20)
        f.write(b"head")
        f.seek(32 << 20)
        f.write(b"middle")
    (src / "dense").write_bytes(b"d" * 5000)
    (src / "owned").write_text("by nobody")
    (src / "unnamed").write_text("by an id without a name")
    if ROOT:
        os.chown(src / "owned", pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        os.chown(src / "unnamed", 4242, 4343)
    os.setxattr(src / "dense", "user.color", b"blue\x00\xff")
    subprocess.run(["setfacl", "-m", "u:nobody:r,g:nogroup:rw", str(src / "dense")], check=True)
    subprocess.run(["setfacl", "-d", "-m", "u:nobody:rx", str(src / "sub")], check=True)
    os.setxattr(src / "sub", "user.dir", b"folder attr")


def acl(path: Path, kind: str = "access") -> bytes:
    return os.getxattr(path, f"system.posix_acl_{kind}")


def same_holes_xattrs_acls(got: Path, src: Path) -> None:
    st = os.stat(got / "sparse")
    assert st.st_size == 64 << 20 and st.st_blocks * 512 < 1 << 20
    assert (got / "sparse").read_bytes() == (src / "sparse").read_bytes()
    assert os.getxattr(got / "dense", "user.color") == b"blue\x00\xff"
    assert acl(got / "dense") == acl(src / "dense")
    assert acl(got / "sub", "default") == acl(src / "sub", "default")


@pytest.fixture
def xsrc(tmp_path: Path) -> Path:
    if not xattr_supported(tmp_path):
        pytest.skip(f"{tmp_path} has no user xattrs or ACLs")
    src = tmp_path / "src"
    sysadmin_tree(src)
    return src


def test_owners_links_holes_xattrs_acls_restore(tmp_path: Path, xsrc: Path, impl: str,
                                                reach: str) -> None:
    _, m1 = run(tmp_path, xsrc, "b1")
    assert entry(m1, "src/sub/b")["link"] == "src/a" and entry(m1, "src/sparse")["sparse"]
    size = archive_of(tmp_path, "b1").stat().st_size
    assert size < 1 << 20  # the 64 MiB of holes are not stored
    out = tmp_path / "out"
    restore(tmp_path, m1, out)
    got = out / "src"
    assert os.stat(got / "a").st_ino == os.stat(got / "sub/b").st_ino == os.stat(got / "c").st_ino
    assert os.stat(got / "a").st_nlink == 3 and (got / "c").read_bytes() == b"linked content"
    same_holes_xattrs_acls(got, xsrc)
    assert os.getxattr(got / "sub", "user.dir") == b"folder attr"
    if ROOT:
        for name in ("owned", "unnamed", "a"):
            a, b = os.stat(xsrc / name), os.stat(got / name)
            assert (b.st_uid, b.st_gid) == (a.st_uid, a.st_gid)
    # An unchanged incremental keeps all of it; a single hard link alone gets the content.
    _, m2 = run(tmp_path, xsrc, "b2", previous=m1)
    assert {e.get("in") for e in m2["entries"] if e["type"] == "file"} == {"b1"}
    one = tmp_path / "one"
    restore(tmp_path, m2, one, paths=["src/sub/b"])
    assert (one / "src/sub/b").read_bytes() == b"linked content"


@pytest.mark.skipif(not ROOT, reason="only root restores owners")
def test_owners_by_name_else_number(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x")
    (src / "g").write_text("y")
    _, m1 = run(tmp_path, src, "b1")
    # As another machine made it: "nobody" had id 9999 there; "ghost" is unknown here.
    entry(m1, "src/f").update(uid=9999, gid=9998)
    entry(m1, "src/g").update(uid=7777, gid=7778)
    m1["users"].update({"9999": "nobody", "7777": "ghost"})
    m1["groups"].update({"9998": "nogroup", "7778": "ghosts"})
    by_name, by_number = tmp_path / "n", tmp_path / "m"
    restore(tmp_path, m1, by_name)
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    assert (os.stat(by_name / "src/f").st_uid, os.stat(by_name / "src/f").st_gid) == (
        nobody, nogroup)
    assert (os.stat(by_name / "src/g").st_uid, os.stat(by_name / "src/g").st_gid) == (7777, 7778)
    entries = m1["entries"]
    stats = restore_tree(entries, lambda n: archive_of(tmp_path, n), by_number,
                         progress=no_progress, cancel=CancelToken(),
                         names=Names(m1, numeric=True))
    assert stats.problems == []
    assert (os.stat(by_number / "src/f").st_uid, os.stat(by_number / "src/f").st_gid) == (
        9999, 9998)


def test_gnu_tar_reads_our_archives(tmp_path: Path, xsrc: Path, impl: str) -> None:
    _, m1 = run(tmp_path, xsrc, "b1")
    tar = tmp_path / "files.tar"
    with open(tar, "wb") as out:
        subprocess.run(["zstd", "-dc", str(archive_of(tmp_path, "b1"))], stdout=out, check=True)
    listing = subprocess.run(["tar", "-tvf", str(tar)], capture_output=True, text=True,
                             check=True).stdout
    if ROOT:
        assert "nobody/nogroup" in listing and "4242/4343" in listing
    assert "src/sub/b link to src/a" in listing
    out = tmp_path / "gnu"
    out.mkdir()
    subprocess.run(["tar", "--xattrs", "--xattrs-include=*", "--acls", "-xf", str(tar),
                    "-C", str(out)], check=True)
    got = out / "src"
    assert os.stat(got / "a").st_ino == os.stat(got / "sub/b").st_ino
    same_holes_xattrs_acls(got, xsrc)
    if ROOT:
        assert os.stat(got / "owned").st_uid == pwd.getpwnam("nobody").pw_uid
        assert os.stat(got / "unnamed").st_uid == 4242
    for e in m1["entries"]:
        if e["type"] == "file":
            assert os.stat(got / e["path"][4:]).st_mtime_ns // 10**9 == e["mtime_ns"] // 10**9


def test_gnu_tar_is_installed() -> None:
    """The test above needs GNU tar, zstd, setfacl (tests/debian-packages.txt)."""
    for tool in ("tar", "zstd", "setfacl", "getfattr"):
        assert shutil.which(tool), tool
    assert "GNU tar" in subprocess.run(["tar", "--version"], capture_output=True,
                                       text=True).stdout


# Far mtimes


# From ext4's first second (1901-12-13T20:45:52) to 2400-01-01 and past 2**63 ns (2262).
FAR = [(-(2**31) * 10**9, "1901-12-13"), (-2_147_000_000 * 10**9 + 5, "1901-12-19"),
       (13_569_465_600 * 10**9 + 123, "2400-01-01"), (2**63 + 7, "past signed 64 bits")]


def test_far_mtimes_are_stored_and_restored(tmp_path: Path, impl: str) -> None:
    src = tmp_path / "src"
    (src / "dir").mkdir(parents=True)
    for ns, name in FAR:
        (src / name).write_text(name)
        os.utime(src / name, ns=(ns, ns))
    os.utime(src / "dir", ns=(FAR[2][0], FAR[2][0]))
    _, m1 = run(tmp_path, src, "b1")
    for ns, name in FAR:
        assert entry(m1, f"src/{name}")["mtime_ns"] == ns
    out = tmp_path / "out"
    restore(tmp_path, m1, out)
    for ns, name in FAR:
        assert os.stat(out / "src" / name).st_mtime_ns == ns
    assert os.stat(out / "src/dir").st_mtime_ns == FAR[2][0]
    raw = json.loads((tmp_path / "store/b1/manifest.json").read_bytes())
    assert raw == m1


# The CLI: one entry that fails does not stop the others; exit 3


def test_cli_restores_the_rest_and_exits_3(home: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli.main import main
    from tests.core.archive.test_cli import add, jrun

    src = tmp_path / "src"
    names = long_names(src)
    add("long", src, tmp_path / "dest")
    code, job = jrun(capsys, "run", "long", "--json")
    assert code == 0, job
    bid = str(job["backup_id"])
    one = tmp_path / "one"
    deep = f"src/{'d' * 255}/{names[3]}"
    assert main(["restore", bid, "--to", str(one), "--path", deep]) == 0
    assert (one / deep).read_text() == "deep " + names[3]
    out = tmp_path / "out"
    (out / "src" / names[1]).mkdir(parents=True)  # a folder where the backup has a file
    capsys.readouterr()
    assert main(["restore", bid, "--to", str(out), "--overwrite"]) == 3
    err = capsys.readouterr().err
    assert err == (f"backupdesk: Cannot restore src/{names[1]}: a folder is in the way.\n")
    for n in names:
        assert (out / "src" / ("d" * 255) / n).read_text() == "deep " + n
        if n != names[1]:
            assert (out / "src" / n).read_text() == n
    code, res = jrun(capsys, "restore", bid, "--to", str(out), "--overwrite", "--json")
    assert code == 3 and res["problems"] == [f"Cannot restore src/{names[1]}: a folder is in "
                                             "the way."]
    code, jobs = jrun(capsys, "history", "--json")
    assert code == 0
    restores = [j for j in jobs if j["kind"] == "restore"]
    assert restores[0]["status"] == "partial" and "1 entry not restored" in restores[0]["error"]


def test_many_folders_and_hard_links_across_them(tmp_path: Path, reach: str) -> None:
    """More folders than the restore keeps open at once, hard links reaching back across them."""
    src = tmp_path / "src"
    for i in range(300):
        (src / f"d{i:03d}").mkdir(parents=True)
        (src / f"d{i:03d}" / "f").write_text(str(i))
    for i in range(0, 300, 7):
        os.link(src / f"d{i:03d}" / "f", src / f"d{299 - i:03d}" / f"link to {i}")
    _, m1 = run(tmp_path, src, "b1")
    out = tmp_path / "out"
    restore(tmp_path, m1, out)
    for i in range(0, 300, 7):
        a, b = out / f"src/d{i:03d}/f", out / f"src/d{299 - i:03d}/link to {i}"
        assert os.stat(a).st_ino == os.stat(b).st_ino and b.read_text() == str(i)


@pytest.mark.skipif(not ROOT, reason="only root restores owners")
def test_acl_named_users_restore_by_name(tmp_path: Path, xsrc: Path) -> None:
    import base64
    import struct

    _, m1 = run(tmp_path, xsrc, "b1")
    nobody = pwd.getpwnam("nobody").pw_uid
    e = entry(m1, "src/dense")
    raw = bytearray(base64.b64decode(e["xattrs"]["system.posix_acl_access"]))
    for off in range(4, len(raw), 8):  # as made where nobody was 9999
        tag, _, ident = struct.unpack_from("<HHI", raw, off)
        if tag == 2 and ident == nobody:
            struct.pack_into("<I", raw, off + 4, 9999)
    e["xattrs"]["system.posix_acl_access"] = base64.b64encode(bytes(raw)).decode()
    m1["users"]["9999"] = "nobody"
    restore(tmp_path, m1, tmp_path / "out")
    assert acl(tmp_path / "out/src/dense") == acl(xsrc / "dense")
    numeric = tmp_path / "numeric"
    stats = restore_tree(m1["entries"], lambda n: archive_of(tmp_path, n), numeric,
                         progress=no_progress, cancel=CancelToken(),
                         names=Names(m1, numeric=True))
    assert stats.problems == [] and acl(numeric / "src/dense") == bytes(raw)
