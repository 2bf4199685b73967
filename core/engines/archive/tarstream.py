"""A fast streaming tar writer (ustar, pax for long or non-ASCII names) over a compressor."""

from __future__ import annotations

import gzip
import hashlib
import tarfile
from typing import Any

import zstandard

from core.destinations import Writeback

BLOCK = 512
FLUSH_AT = 1 << 20
ZEROS = bytes(BLOCK)
_MAX_OCTAL = 8**11 - 1
_MAGIC = b"ustar\x0000"
_TAIL = bytes(BLOCK - 265)
_CHK_BASE = 8 * 32 + sum(_MAGIC)  # the checksum field counts as spaces


def parse_compression(spec: str) -> tuple[str, int | None]:
    algo, _, level = spec.partition(":")
    return algo, int(level) if level else None


def archive_suffix(spec: str) -> str:
    algo, _ = parse_compression(spec)
    return {"zstd": ".tar.zst", "gzip": ".tar.gz", "none": ".tar"}[algo]


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


def open_compressor(spec: str, sink: HashingSink) -> Any:
    algo, level = parse_compression(spec)
    if algo == "zstd":
        cctx = zstandard.ZstdCompressor(level=level or 3, threads=-1)
        return cctx.stream_writer(sink, write_size=1 << 20,  # type: ignore[arg-type]
                                  closefd=False)
    if algo == "gzip":
        return gzip.GzipFile(fileobj=sink, mode="wb",
                             compresslevel=level or 6, mtime=0)
    return _Passthrough(sink)


class _Passthrough:
    def __init__(self, sink: HashingSink) -> None:
        self.sink = sink

    def write(self, data: Any) -> int:
        return self.sink.write(data)

    def close(self) -> None:
        pass


def _ustar(name: bytes, mode: int, uid: int, gid: int, size: int, mtime: int, flag: bytes,
           link: bytes) -> bytes:
    fields = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode, uid, gid, size, mtime)
    chk = _CHK_BASE + sum(name) + sum(fields) + flag[0] + sum(link)
    return b"".join((name, bytes(100 - len(name)), fields, b"%06o\0 " % chk, flag, link,
                     bytes(100 - len(link)), _MAGIC, _TAIL))


_MAX_ID = 0o7777777
_CHK_FILE = _CHK_BASE + ord("0")
_LINK_NONE = bytes(100)


def file_header(name: str, mode: int, uid: int, gid: int, size: int, mtime: int) -> bytes:
    """`header()` for a regular file, with the common case inlined."""
    if (len(name) <= 100 and name.isascii() and size <= _MAX_OCTAL and 0 <= mtime <= _MAX_OCTAL
            and uid < _MAX_ID and gid < _MAX_ID):
        nb = name.encode()
        fields = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode, uid, gid, size, mtime)
        chk = _CHK_FILE + sum(nb) + sum(fields)
        return b"".join((nb, bytes(100 - len(nb)), fields, b"%06o\0 " % chk, b"0", _LINK_NONE,
                         _MAGIC, _TAIL))
    return header(name, "file", mode, uid, gid, size, mtime)


def header(name: str, type_: str, mode: int, uid: int, gid: int, size: int, mtime: int,
           link: str = "") -> bytes:
    """One entry's header; pax extended headers only when ustar cannot hold it."""
    flag = {"file": b"0", "dir": b"5", "symlink": b"2"}[type_]
    arcname = name + "/" if type_ == "dir" else name
    if (arcname.isascii() and link.isascii() and len(arcname) <= 100 and len(link) <= 100
            and 0 <= size <= _MAX_OCTAL and 0 <= mtime <= _MAX_OCTAL
            and uid < 0o7777777 and gid < 0o7777777):
        return _ustar(arcname.encode(), mode, uid, gid, size, mtime, flag, link.encode())
    ti = tarfile.TarInfo(arcname)
    ti.type = flag
    ti.mode, ti.uid, ti.gid, ti.size, ti.mtime, ti.linkname = mode, uid, gid, size, mtime, link
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class TarWriter:
    """Buffers small writes so that the compressor sees megabyte-sized chunks."""

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

    def add_large(self, data: Any) -> None:
        """Content of a big file, streamed after its header; call pad() after the last chunk."""
        self.flush()
        self.out.write(data)

    def pad(self, size: int) -> None:
        rest = -size % BLOCK
        if rest:
            self.buf += ZEROS[:rest]

    def flush(self) -> None:
        if self.buf:
            self.out.write(self.buf)
            self.buf = bytearray()

    def finish(self) -> None:
        self.buf += ZEROS + ZEROS
        self.flush()
