"""A backup job's change summary (details["changes"], core.findex.feed) in words; light to
import (the History pane shows it)."""

from __future__ import annotations

from typing import Any

from core.fmt import count, signed_bytes


def change_lines(changes: dict[str, Any] | None, top: int = 5) -> list[str]:
    """A backup job's change summary (details["changes"]): counts, then the folders that
    added the most bytes, biggest first."""
    if not changes:
        return []
    lines = [f"{count(int(changes.get('added', 0)), 'file')} added, "
             f"{int(changes.get('changed', 0)):,} changed, "
             f"{int(changes.get('deleted', 0)):,} deleted, "
             f"{int(changes.get('unchanged', 0)):,} unchanged"]
    folders = sorted((changes.get("bytes_by_folder") or {}).items(),
                     key=lambda kv: -abs(int(kv[1])))
    for name, size in folders[:top]:
        n = int(size)
        lines.append(f"{name or '(top)'}: {signed_bytes(n)}")
    if len(folders) > top:
        lines.append(f"and {count(len(folders) - top, 'other folder')}")
    return lines
