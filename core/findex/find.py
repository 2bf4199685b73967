"""`find`: every version of every path matching a glob, across the plans' indexes.

A bare word (no `*?[/`) is a part of a file name in any case, as locate(1) reads one
(`report` finds `Report-2026.pdf`). A pattern without "/" matches file names (`*.pdf`,
`report-202?.txt`); one with "/" matches whole paths as the backup holds them (`docs/*/notes.md`;
`*` crosses "/"). Glob as SQLite's GLOB: `*`, `?`, `[abc]`, `[^abc]`, case-sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.models import Plan
from core.findex.store import Index
from core.findex.versions import PlanView, Version, json_path, plan_indexes


@dataclass(frozen=True)
class Hit:
    plan: str
    path: bytes
    versions: list[Version]

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "path": json_path(self.path),
                "versions": [v.to_json() for v in self.versions]}


def glob_regex(pattern: str) -> re.Pattern[bytes]:
    """SQLite's GLOB as a regular expression over bytes (for the name check)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[" and "]" in pattern[i + 2:]:
            j = pattern.index("]", i + 2)
            body = pattern[i + 1:j]
            neg = body.startswith("^")
            body = body[1:] if neg else body
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\") + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out).encode("utf-8", "surrogateescape"), re.DOTALL)


def matches(ix: Index, pattern: str, word: str | None = None) -> list[tuple[int, bytes]]:
    """Paths matching `pattern` (a name_pattern); `word`, the bare word it stands for, picks
    the candidates through LIKE, which takes ASCII letters in any case as the pattern's
    classes do, at a tenth of their GLOB's cost."""
    if "/" in pattern:
        return ix.matching(pattern.lstrip("/"))
    name = glob_regex(pattern)
    found = ix.containing(word) if word is not None else ix.matching("*" + pattern)
    return [(i, p) for i, p in found if name.fullmatch(p.rpartition(b"/")[2])]


def name_pattern(text: str) -> str:
    """The glob a user's text stands for: a bare word is `*word*` in any case."""
    if any(c in text for c in "*?[/"):
        return text
    return "*" + "".join(f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else c
                         for c in text) + "*"  # a class is one byte: ASCII letters only


def find(cat: Catalogue, plans: list[Plan], pattern: str, *,
         since: datetime | None = None) -> Iterator[Hit]:
    """Hits per plan, paths in order; a plan without an index yet has none. `since` (naive
    UTC): only versions a backup made since then holds."""
    glob = name_pattern(pattern)
    word = pattern if glob != pattern and pattern.isascii() else None
    for plan, ix in plan_indexes(cat, plans):
        found = sorted(matches(ix, glob, word), key=lambda x: x[1])
        if not found:
            continue
        view = PlanView(cat, ix, plan)
        for pid, p in found:
            vs = view.versions(pid)
            if since is not None:
                vs = [v for v in vs if v.last.created_at >= since]
            if vs:
                yield Hit(plan.name, p, vs)
