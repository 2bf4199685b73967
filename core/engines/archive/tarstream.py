"""A fast streaming tar writer (ustar, pax for long or non-ASCII names) over a compressor."""

from __future__ import annotations

import gzip
import hashlib
import tarfile
from typing import Any

import zstandard

from core.destinations import Writeback
from core.engines.compression import ARCHIVE

BLOCK = 512
FLUSH_AT = 1 << 20
ZEROS = bytes(BLOCK)
_MAX_OCTAL = 8**11 - 1
_MAGIC = b"ustar\x0000"
_TAIL = bytes(BLOCK - 265 - 64)  # after the owner names
_CHK_BASE = 8 * 32 + sum(_MAGIC)  # the checksum field counts as spaces


def parse_compression(spec: str) -> tuple[str, int | None]:
    """The algorithm and its level (the default one when the spec names none)."""
    return ARCHIVE.level(spec)


def archive_suffix(spec: str) -> str:
    codec = ARCHIVE.codec(ARCHIVE.parse(spec).algo)
    return ".tar" + (codec.suffix if codec else "")


class HashingSink:
    """The compressed output: written to a file and hashed on the way."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.h = hashlib.sha256()
        self.size = 0
        self.writeback = Writeback(f.fileno() if hasattr(f, "fileno") else None)

    def write(self, data: Any) -> int:
        self.h.update(data)
        view = memoryview(data)
        while view:
            view = view[self.f.write(view):]
        self.size += len(data)
        self.writeback.written(self.size)
        return len(data)

    def flush(self) -> None:
        self.f.flush()


def open_compressor(spec: str, sink: Any) -> Any:
    """`sink`: the HashingSink, or an encrypter in front of it."""
    algo, level = parse_compression(spec)
    if algo == "zstd":
        cctx = zstandard.ZstdCompressor(level=level or 3, threads=-1)
        return cctx.stream_writer(sink, write_size=1 << 20,
                                  closefd=False)
    if algo == "gzip":
        return gzip.GzipFile(fileobj=sink, mode="wb",
                             compresslevel=level or 6, mtime=0)
    return _Passthrough(sink)


class _Passthrough:
    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def write(self, data: Any) -> int:
        return int(self.sink.write(data))

    def close(self) -> None:
        pass


def _ustar(name: bytes, mode: int, uid: int, gid: int, size: int, mtime: int, flag: bytes,
           link: bytes, owners: bytes) -> bytes:
    fields = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode, uid, gid, size, mtime)
    chk = _CHK_BASE + sum(name) + sum(fields) + flag[0] + sum(link) + sum(owners)
    return b"".join((name, bytes(100 - len(name)), fields, b"%06o\0 " % chk, flag, link,
                     bytes(100 - len(link)), _MAGIC, owners, _TAIL))


def _owners(uname: str, gname: str) -> bytes | None:
    """ustar's two 32-byte owner name fields, or None if a name needs pax."""
    if len(uname) > 32 or len(gname) > 32 or not (uname.isascii() and gname.isascii()):
        return None
    u, g = uname.encode(), gname.encode()
    return b"".join((u, bytes(32 - len(u)), g, bytes(32 - len(g))))


_MAX_ID = 0o7777777
_CHK_FILE = _CHK_BASE + ord("0")
_LINK_NONE = bytes(100)


def file_header(name: str, mode: int, uid: int, gid: int, size: int, mtime: int,
                uname: str = "", gname: str = "") -> bytes:
    """`header()` for a regular file, with the common case inlined."""
    if (len(name) <= 100 and name.isascii() and size <= _MAX_OCTAL and 0 <= mtime <= _MAX_OCTAL
            and 0 <= uid < _MAX_ID and 0 <= gid < _MAX_ID
            and (owners := _owners(uname, gname)) is not None):
        nb = name.encode()
        fields = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode, uid, gid, size, mtime)
        chk = _CHK_FILE + sum(nb) + sum(fields) + sum(owners)
        return b"".join((nb, bytes(100 - len(nb)), fields, b"%06o\0 " % chk, b"0", _LINK_NONE,
                         _MAGIC, owners, _TAIL))
    return header(name, "file", mode, uid, gid, size, mtime, "", uname, gname)


FLAGS = {"file": b"0", "hardlink": b"1", "dir": b"5", "symlink": b"2"}


def header(name: str, type_: str, mode: int, uid: int, gid: int, size: int, mtime: int,
           link: str = "", uname: str = "", gname: str = "",
           pax: dict[str, str] | None = None) -> bytes:
    """One entry's header; pax extended headers when ustar cannot hold it or `pax` has records
    (extended attributes, ACLs, sparse maps: GNU tar's keywords)."""
    flag = FLAGS[type_]
    arcname = name + "/" if type_ == "dir" else name
    if (not pax and arcname.isascii() and link.isascii() and len(arcname) <= 100
            and len(link) <= 100 and 0 <= size <= _MAX_OCTAL and 0 <= mtime <= _MAX_OCTAL
            and 0 <= uid < _MAX_ID and 0 <= gid < _MAX_ID
            and (owners := _owners(uname, gname)) is not None):
        return _ustar(arcname.encode(), mode, uid, gid, size, mtime, flag, link.encode(), owners)
    ti = tarfile.TarInfo(arcname)
    ti.type = flag
    ti.mode, ti.uid, ti.gid, ti.size, ti.mtime, ti.linkname = mode, uid, gid, size, mtime, link
    ti.uname, ti.gname = uname, gname
    if pax:
        ti.pax_headers = dict(pax)
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class TarWriter:
    """Buffers small writes so that the compressor sees megabyte-sized chunks; `out` is a
    pipe.Pipe to the compressor."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.buf = bytearray()

    def add(self, hdr: bytes, data: bytes = b"") -> None:
        buf = self.buf
        buf += hdr
        if data:
            buf += data
            pad = -len(data) % BLOCK
            if pad:
                buf += ZEROS[:pad]
        if len(buf) >= FLUSH_AT:
            self.flush()

    def add_buffer(self, buf: bytearray, n: int) -> None:
        """Content of a big file, streamed after its header from a buffer of out.take();
        call pad() after the last."""
        self.flush()
        self.out.put(buf, n)

    def pad(self, size: int) -> None:
        rest = -size % BLOCK
        if rest:
            self.buf += ZEROS[:rest]

    def flush(self) -> None:
        if self.buf:
            self.out.give(self.buf)
            self.buf = bytearray()

    def finish(self) -> None:
        self.buf += ZEROS + ZEROS
        self.flush()
