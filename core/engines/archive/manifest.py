"""The manifest: the full tree of one moment, where each file's content is, and the artifacts.

Every manifest lists the whole tree (not only changes), each file naming in `in` the backup whose
archive holds its content; so an incremental is restored from its own manifest plus its chain's
archives, and the next incremental is decided from it alone.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from core.engines.api import FileRow
from core.engines.archive.scan import DIR, FILE, SYMLINK, Item
from core.errors import EngineError

FORMAT = "backupdesk-archive-manifest"
VERSION = 1
MANIFEST_NAME = "manifest.json"

Entry = dict[str, Any]
# An entry already in its JSON form: what _fastpack writes for the files and folders it archives
# (json.dumps of the entry dict, byte for byte); dumps() puts it in as it is.
Encoded = bytes


def entry_for(item: Item, target: str | None = None) -> Entry:
    e: Entry = {"path": item.path, "type": item.type, "mode": stat.S_IMODE(item.mode),
                "mtime_ns": item.mtime_ns, "ctime_ns": item.ctime_ns, "ino": item.ino,
                "uid": item.uid, "gid": item.gid}
    if item.type == FILE:
        e["size"] = item.size
    elif item.type == SYMLINK:
        e["target"] = target
    return e


def file_row(e: Entry) -> FileRow:
    """A regular file's entry as the file index takes it."""
    sha = e.get("sha256")
    return (e["path"].encode("utf-8", "surrogateescape"), e.get("size"), e.get("mtime_ns"),
            int(sha[:12], 16) if sha else None)


def unchanged(prev: Entry | None, item: Item) -> bool:
    """Decided from lstat only: same type, size, mtime, mode, and the same inode and ctime, so
    that a rewrite keeping size and mtime (`touch -r`) is read again, as are new owners, links
    or extended attributes. An entry of an older manifest, without ctime, counts as changed."""
    if prev is None or prev["type"] != item.type:
        return False
    if (prev["mtime_ns"] != item.mtime_ns or prev.get("ctime_ns") != item.ctime_ns
            or prev.get("ino") != item.ino or prev["mode"] != item.mode & 0o7777):
        return False
    return item.type != FILE or prev.get("size") == item.size


def build(*, backup_name: str, type_: str, parent: str | None, roots: dict[str, str],
          entries: list[Entry | Encoded], deleted: list[str], changed: int, created_at: str,
          artifacts: list[dict[str, Any]], warnings: list[str],
          users: dict[str, str] | None = None,
          groups: dict[str, str] | None = None, plan: str = "") -> dict[str, Any]:
    """`users` and `groups` name the entries' uid and gid (by id as a string), once for all;
    `plan` is the plan's name (what `backupdesk import` files the backup under)."""
    return {
        "format": FORMAT, "version": VERSION, "backup": backup_name, "plan": plan,
        "type": type_,
        "parent": parent, "created_at": created_at, "roots": roots,
        "changed": changed, "deleted": deleted, "warnings": warnings,
        "artifacts": artifacts, "users": users or {}, "groups": groups or {},
        "entries": entries,
    }


_encode = json.JSONEncoder(separators=(",", ":")).encode
ENTRIES_START = b',"entries":[\n'
ENTRIES_END = b"\n]}"


def dumps(manifest: dict[str, Any]) -> bytes:
    """The manifest as compact JSON with one entry a line (see Loaded.raw_entries); encoded
    entries go in as they are."""
    assert list(manifest)[-1] == "entries", "entries must come last"
    rest = {k: v for k, v in manifest.items() if k != "entries"}
    parts = [e if type(e) is bytes else _encode(e).encode() for e in manifest["entries"]]
    head = _encode(rest).encode()
    return b"".join((head[:-1], ENTRIES_START, b",\n".join(parts), ENTRIES_END))


class Loaded(dict[str, Any]):
    """A manifest as read (check()ed), with the bytes it was read from (decrypted) and, for an
    encrypted backup, the age identity that opened it (its archives and dumps open with it)."""

    def __init__(self, data: dict[str, Any], raw: bytes, key: Any = None) -> None:
        super().__init__(data)
        self._raw = raw
        self.key = key

    @property
    def identities(self) -> list[Any]:
        return [self.key] if self.key is not None else []

    def raw_entries(self) -> list[Encoded] | None:
        """Each entry's JSON as it stands in the file, in order, so that an unchanged entry is
        written again without encoding it; None for a manifest written in one line (by older
        versions): its entries are encoded again."""
        raw = self._raw
        start = raw.find(ENTRIES_START)
        if start < 0 or not raw.endswith(ENTRIES_END):
            return None
        body = raw[start + len(ENTRIES_START):-len(ENTRIES_END)]
        # JSON strings hold no raw newline, so ",\n" only stands between entries.
        out = body.split(b",\n") if body else []
        return out if len(out) == len(self["entries"]) else None


def parse(raw: bytes, where: str) -> Loaded:
    """A manifest from its bytes (ValueError if it is no JSON; EngineError if no manifest)."""
    return Loaded(check(json.loads(raw), where), raw)


def load(path: Path) -> dict[str, Any]:
    try:
        return parse(path.read_bytes(), str(path))
    except OSError as e:
        raise EngineError(f"Cannot read manifest {path}: {e.strerror}.") from e
    except ValueError as e:
        raise EngineError(f"Manifest {path} is damaged: {e}.") from e


def check(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise EngineError(f"{where} is not a Backup Desk archive manifest.")
    if int(data.get("version", 0)) > VERSION:
        raise EngineError(f"{where} was written by a newer Backup Desk.")
    kinds = (DIR, FILE, SYMLINK)
    for e in data.get("entries", []):
        p = e["path"]
        # Plain string tests: PurePosixPath for each of many thousand entries is slow.
        if (p.startswith("/") or e["type"] not in kinds
                or (".." in p and ".." in p.split("/"))):
            raise EngineError(f"{where} holds an unsafe entry {p!r}.")
    return data
