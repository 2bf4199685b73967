"""An archive's contents as a compact tree, built while `borg list --json-lines` streams.

Nodes live in parallel arrays (one name string and a few numbers per entry); only directories
get a child list. The builder only appends, so a reader on another thread may look at any node
and at the first `len(children)` children it has seen without a lock.
"""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Callable
from datetime import datetime
from typing import Any

TYPE_DIR, TYPE_FILE, TYPE_LINK, TYPE_OTHER = 0, 1, 2, 3
_TYPES = {"d": TYPE_DIR, "-": TYPE_FILE, "l": TYPE_LINK}
ROOT = 0

_loads: Callable[[bytes], Any] = json.loads
try:  # orjson parses the listing about 3x faster when it is installed
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    pass


class ArchiveTree:
    def __init__(self) -> None:
        self.names: list[str] = [""]
        self.parent = array("q", [-1])
        self.kind = array("b", [TYPE_DIR])
        self.size = array("q", [0])
        self.mtime = array("d", [0.0])
        self.row = array("q", [0])  # position among its parent's children
        self.children: dict[int, list[int]] = {ROOT: []}
        self._dirs: dict[str, int] = {"": ROOT}
        self.entries = 0
        self.bytes = 0
        self.finished = False

    def __len__(self) -> int:
        return len(self.names)

    # --- building -------------------------------------------------------------------------
    def add_line(self, line: bytes) -> None:
        ev = _loads(line)
        if "path_b64" in ev:
            path = base64.b64decode(ev["path_b64"]).decode("utf-8", "surrogateescape")
        else:
            path = ev["path"]
        mtime = ev.get("mtime")
        self.add(path, ev.get("type", "-"), int(ev.get("size") or 0),
                 _timestamp(mtime) if mtime else 0.0)

    def add(self, path: str, typ: str, size: int = 0, mtime: float = 0.0) -> int:
        path = path.strip("/")
        head, _, name = path.rpartition("/")
        kind = _TYPES.get(typ, TYPE_OTHER)
        if kind == TYPE_DIR:
            known = self._dirs.get(path)
            if known is not None:  # an implicit parent made earlier: fill its details in
                self.mtime[known] = mtime
                return known
        parent = self._dir(head)
        node = len(self.names)
        self.names.append(name)
        self.parent.append(parent)
        self.kind.append(kind)
        self.size.append(size)
        self.mtime.append(mtime)
        siblings = self.children[parent]
        self.row.append(len(siblings))
        if kind == TYPE_DIR:
            self._dirs[path] = node
            self.children[node] = []
        siblings.append(node)
        self.entries += 1
        self.bytes += size
        return node

    def _dir(self, path: str) -> int:
        node = self._dirs.get(path)
        if node is None:  # a parent not listed (yet): make it
            node = self.add(path, "d")
        return node

    # --- reading --------------------------------------------------------------------------
    def child_ids(self, node: int) -> list[int]:
        return self.children.get(node, [])

    def is_dir(self, node: int) -> bool:
        return self.kind[node] == TYPE_DIR

    def path(self, node: int) -> str:
        parts: list[str] = []
        while node > ROOT:
            parts.append(self.names[node])
            node = self.parent[node]
        return "/".join(reversed(parts))

    def find(self, path: str) -> int | None:
        path = path.strip("/")
        if path in self._dirs:
            return self._dirs[path]
        head, _, name = path.rpartition("/")
        parent = self._dirs.get(head)
        if parent is None:
            return None
        return next((c for c in self.children[parent] if self.names[c] == name), None)

    def subtree_size(self, node: int) -> tuple[int, int]:
        """(files, bytes) below and including `node`."""
        files = total = 0
        todo = [node]
        while todo:
            n = todo.pop()
            if self.kind[n] == TYPE_DIR:
                todo.extend(self.children.get(n, []))
            else:
                files += 1
                total += self.size[n]
        return files, total


def _timestamp(text: str) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0
