"""What the window asks of the file index: a search handed over in batches as hits come, and
one version of a file restored (as `restore --file`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.catalogue.db import Catalogue
from core.catalogue.models import Plan
from core.errors import UsageError
from core.findex.find import Hit, find
from core.findex.versions import Picked, pick
from core.jobs.restore import RestoreResult, restore_backup
from core.plans import get_plan, list_plans
from core.progress import CancelToken, ProgressCallback, no_progress

BATCH = 50  # hits per batch: the first ones show at once, without a signal per hit


def plans_to_search(cat: Catalogue, plan: str | None) -> list[Plan]:
    """One plan by name, or every plan."""
    return [get_plan(cat, plan)] if plan else list_plans(cat)


def search(cat: Catalogue, plan: str | None, pattern: str, *,
           cancel: CancelToken | None = None, batch: int = BATCH) -> Iterator[list[Hit]]:
    """`find`'s hits in batches, ending early when cancelled. A bare word is a part of a name
    in any case (`Report` finds `report-2026.pdf`); a pattern with a glob character or "/" is
    `find`'s (case-sensitive)."""
    pattern = pattern.strip()
    if not pattern:
        raise UsageError("Type part of a file name, or a pattern such as *.pdf.")
    out: list[Hit] = []
    for hit in find(cat, plans_to_search(cat, plan), pattern):
        if cancel is not None and cancel.cancelled:
            return
        out.append(hit)
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out



@dataclass(frozen=True)
class Restored:
    picked: Picked
    result: RestoreResult
    to: Path

    def sentence(self) -> str:
        p, r = self.picked, self.result
        text = (f"Restored version {p.version.number} of {p.count} of {p.path} (plan {p.plan}) "
                f"from backup {r.backup_id} to {self.to} (job {r.job_id}).")
        if r.problems:
            return f"{text} Not restored: {r.problems[0]}"
        return text


def target_of(to: Path, path: str) -> Path:
    """Where a path restored into `to` lands (the restore keeps the path the backup holds)."""
    return to / path.lstrip("/")


def restore_version(cat: Catalogue, plan: str, path: bytes, number: int, to: Path, *,
                    overwrite: bool = False, progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None) -> Restored:
    """Version `number` (1 the oldest) of `path` (as the backup holds it), through the job
    layer's restore of the newest backup holding that version, as `restore --file` does."""
    picked = pick(cat, [get_plan(cat, plan)], os.fsdecode(path), version=str(number))
    res = restore_backup(cat, picked.version.last.id, to=to, paths=[picked.path],
                         overwrite=overwrite, progress=progress, cancel=cancel)
    return Restored(picked, res, to)
