"""What a file has beyond its content and lstat: extended attributes (POSIX ACLs among them) and
holes, found on its open descriptor, and their pax records as GNU tar writes and reads them."""

from __future__ import annotations

import base64
import errno
import os
import struct
from collections.abc import Callable
from typing import Any

from core.engines.archive.owners import Owners

ACL_XATTRS = {"system.posix_acl_access": "SCHILY.acl.access",
              "system.posix_acl_default": "SCHILY.acl.default"}
_ACL_TAGS = {1: "user", 2: "user", 4: "group", 8: "group", 0x10: "mask", 0x20: "other"}
_NAMED = (2, 8)  # ACL_USER, ACL_GROUP: entries with an id


def xattrs_of(fd: int) -> bool:
    """Whether an open file has extended attributes (a failing listxattr says none, as in
    _fastpack)."""
    try:
        return bool(_listxattr(fd))
    except OSError:
        return False


def xattrs(target: int | str) -> dict[str, bytes]:
    """The extended attributes of an open descriptor or (not followed) path; {} where the file
    system or the system has none."""
    follow = not isinstance(target, str)
    try:
        names = _listxattr(target, follow_symlinks=follow)
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return {}
        raise
    out: dict[str, bytes] = {}
    for name in sorted(names):
        try:
            out[name] = os.getxattr(target, name, follow_symlinks=follow)
        except OSError as e:
            if e.errno != errno.ENODATA:  # removed meanwhile
                raise
    return out


def _no_xattrs(target: int | str, follow_symlinks: bool = True) -> list[str]:
    return []


_listxattr = getattr(os, "listxattr", _no_xattrs)  # Linux only
_SEEK_HOLE, _SEEK_DATA = getattr(os, "SEEK_HOLE", None), getattr(os, "SEEK_DATA", None)


def maybe_sparse(size: int, blocks: int) -> bool:
    return _SEEK_HOLE is not None and blocks * 512 < size


def has_hole(fd: int, size: int) -> bool:
    """The same test as _fastpack.c's for_python."""
    assert _SEEK_HOLE is not None
    try:
        hole = os.lseek(fd, 0, _SEEK_HOLE)
    except OSError:
        return False
    finally:
        os.lseek(fd, 0, os.SEEK_SET)
    return hole < size


def data_extents(fd: int, size: int) -> list[tuple[int, int]]:
    """(offset, length) of each run of data, in order; GNU tar's map ends with a run of length
    0 at the end of a file that ends in a hole."""
    assert _SEEK_HOLE is not None and _SEEK_DATA is not None
    out: list[tuple[int, int]] = []
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, _SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:  # only a hole from here on
                break
            raise
        if start >= size:
            break
        end = min(os.lseek(fd, start, _SEEK_HOLE), size)
        out.append((start, end - start))
        pos = end
    if not out or sum(out[-1]) < size:
        out.append((size, 0))
    return out


def sparse_map(extents: list[tuple[int, int]]) -> bytes:
    """GNU sparse format 1.0's map: the block(s) before the data."""
    text = b"%d\n" % len(extents) + b"".join(b"%d\n%d\n" % e for e in extents)
    return text + bytes(-len(text) % 512)


def acl_text(value: bytes, owners: Owners) -> str:
    """A system.posix_acl_* value in the text form GNU tar stores (acl_to_text, one entry a
    line, names where known)."""
    lines = []
    for off in range(4, len(value) - 7, 8):
        tag, perm, ident = struct.unpack_from("<HHI", value, off)
        kind = _ACL_TAGS.get(tag, "?")
        who = ""
        if tag in _NAMED:
            who = (owners.user(ident) if tag == 2 else owners.group(ident)) or str(ident)
        rwx = "".join(c if perm & bit else "-" for c, bit in (("r", 4), ("w", 2), ("x", 1)))
        lines.append(f"{kind}:{who}:{rwx}\n")
    return "".join(lines)


def remap_acl(value: bytes, uid: Callable[[int], int], gid: Callable[[int], int]) -> bytes:
    """A system.posix_acl_* value with its named users and groups given this system's ids (as
    GNU tar's ACL text, by name, would)."""
    out = bytearray(value)
    for off in range(4, len(value) - 7, 8):
        tag, _, ident = struct.unpack_from("<HHI", value, off)
        if tag in _NAMED:
            struct.pack_into("<I", out, off + 4, uid(ident) if tag == 2 else gid(ident))
    return bytes(out)


def pax_records(attrs: dict[str, bytes], owners: Owners) -> dict[str, str]:
    """ACLs as text, then every attribute as it is, as GNU tar --xattrs --acls writes them."""
    pax = {ACL_XATTRS[n]: acl_text(v, owners) for n, v in attrs.items() if n in ACL_XATTRS}
    for name, value in attrs.items():
        pax["SCHILY.xattr." + name] = value.decode("utf-8", "surrogateescape")
    return pax


_ZERO_CHUNK = bytes(1 << 20)


def hash_zeros(h: Any, n: int) -> None:
    """Feeds n zero bytes to a hash: the holes of a sparse file."""
    while n > 0:
        h.update(_ZERO_CHUNK[:min(n, len(_ZERO_CHUNK))])
        n -= len(_ZERO_CHUNK)


def to_json(attrs: dict[str, bytes]) -> dict[str, str]:
    return {n: base64.b64encode(v).decode() for n, v in attrs.items()}


def from_json(data: Any) -> dict[str, bytes]:
    return {str(n): base64.b64decode(v) for n, v in (data or {}).items()}
