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


def unchanged(prev: Entry | None, item: Item) -> bool:
    """Decided from lstat only: same type, size, mtime, mode, and the same inode and ctime, so
    that a rewrite keeping size and mtime (`touch -r`) is read again, as are new owners, links
    or extended attributes. An entry of an older manifest, without ctime, counts as changed."""
    if prev is None or prev["type"] != item.type:
        return False
    if (prev["mtime_ns"] != item.mtime_ns or prev.get("ctime_ns") != item.ctime_ns
            or prev.get("ino") != item.ino or prev["mode"] != stat.S_IMODE(item.mode)):
        return False
    return item.type != FILE or prev.get("size") == item.size


def build(*, backup_name: str, type_: str, parent: str | None, roots: dict[str, str],
          entries: list[Entry | Encoded], deleted: list[str], changed: int, created_at: str,
          artifacts: list[dict[str, Any]], warnings: list[str],
          users: dict[str, str] | None = None,
          groups: dict[str, str] | None = None) -> dict[str, Any]:
    """`users` and `groups` name the entries' uid and gid (by id as a string), once for all."""
    return {
        "format": FORMAT, "version": VERSION, "backup": backup_name, "type": type_,
        "parent": parent, "created_at": created_at, "roots": roots,
        "changed": changed, "deleted": deleted, "warnings": warnings,
        "artifacts": artifacts, "users": users or {}, "groups": groups or {},
        "entries": entries,
    }


def dumps(manifest: dict[str, Any]) -> bytes:
    """The manifest as compact JSON; encoded entries go in as they are."""
    entries = manifest["entries"]
    if not any(type(e) is bytes for e in entries):
        return json.dumps(manifest, separators=(",", ":")).encode()
    rest = {k: v for k, v in manifest.items() if k != "entries"}
    assert list(manifest)[-1] == "entries", "entries must come last"
    parts: list[bytes] = []
    run: list[Entry] = []
    for e in entries:
        if type(e) is bytes:
            if run:
                parts.append(json.dumps(run, separators=(",", ":"))[1:-1].encode())
                run = []
            parts.append(e)
        else:
            run.append(e)
    if run:
        parts.append(json.dumps(run, separators=(",", ":"))[1:-1].encode())
    head = json.dumps(rest, separators=(",", ":")).encode()
    return b"".join((head[:-1], b',"entries":[', b",".join(parts), b"]}"))


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as e:
        raise EngineError(f"Cannot read manifest {path}: {e.strerror}.") from e
    except ValueError as e:
        raise EngineError(f"Manifest {path} is damaged: {e}.") from e
    return check(data, str(path))


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
