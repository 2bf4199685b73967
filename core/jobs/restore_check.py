"""Restore check (the user's "restore test"): restore a sample of a plan's latest backup into a
temporary folder and compare each file with the manifest (size, mode, modification time,
SHA-256). One job in the history."""

from __future__ import annotations

import random
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import fmt
from core.backups import BackupFilter, BackupInfo, list_backups
from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus, JobTrigger
from core.catalogue.plans import get_plan
from core.engines import Capability, can
from core.engines.archive.owners import Names
from core.engines.archive.restore import restore_tree
from core.errors import EngineError, NotFoundError
from core.jobs.lifecycle import job
from core.jobs.restore import chain_archives
from core.progress import CancelToken
from core.remote.resolve import for_catalogue
from core.run_prep import read_manifest
from core.verify import hash_file

SAMPLE = 20


@dataclass
class RestoreCheckResult:
    job_id: int
    backup_id: int
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "backup_id": self.backup_id, "checked": self.checked,
                "ok": self.ok, "problems": self.problems}


def sample(entries: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    files = sorted((e for e in entries if e["type"] == "file"), key=lambda e: str(e["path"]))
    return files if len(files) <= n else random.Random(seed).sample(files, n)


def compare(entry: dict[str, Any], path: Path) -> str | None:
    """None if the restored file matches its manifest entry, else what differs."""
    try:
        st = path.lstat()
    except OSError:
        return f"{entry['path']}: not restored"
    if not stat.S_ISREG(st.st_mode):
        return f"{entry['path']}: not a regular file"
    if st.st_size != entry.get("size"):
        return f"{entry['path']}: size {st.st_size}, expected {entry.get('size')}"
    if stat.S_IMODE(st.st_mode) != entry["mode"]:
        return f"{entry['path']}: mode {stat.S_IMODE(st.st_mode):o}, expected {entry['mode']:o}"
    if st.st_mtime_ns != entry["mtime_ns"]:
        return f"{entry['path']}: modification time differs"
    if "sha256" in entry and hash_file(path)[1] != entry["sha256"]:
        return f"{entry['path']}: content differs from its checksum"
    return None


def latest_backup(cat: Catalogue, plan_name: str) -> BackupInfo:
    items = [b for b in list_backups(cat, BackupFilter(plans=(plan_name,)))
             if b.status in ("ok", "unverified")]
    if not items:
        raise NotFoundError(f"Plan {plan_name!r} has no healthy backup to test.")
    return items[-1]


def run_restore_check(cat: Catalogue, plan_name: str, *, count: int = SAMPLE,
                      trigger: str = JobTrigger.MANUAL.value,
                      cancel: CancelToken | None = None) -> RestoreCheckResult:
    plan = get_plan(cat, plan_name)
    if not can(plan.engine, Capability.RESTORE_TEST):
        raise EngineError(f"Restore tests of {plan.engine} plans are not available yet.")
    b = latest_backup(cat, plan.name)
    with job(cat, kind=JobKind.RESTORE_TEST.value, engine=plan.engine, plan=plan,
             trigger=trigger, details={"backup_id": b.id}, cancel=cancel) as j:
        result = RestoreCheckResult(j.id, b.id)
        _run(cat, b, count, j.cancel, result)
        j.log([f"Restored and compared {fmt.count(result.checked, 'file')} of backup {b.id} "
               f"({b.name}).", *result.problems])
        if result.problems:
            j.end.status = JobStatus.FAILED
            j.end.error = (f"{fmt.count(len(result.problems), 'file')} differ: "
                           f"{result.problems[0]}")
        j.end.files = result.checked
        j.end.details = {"backup_id": b.id, "problems": result.problems[:20]}
    return result


def _run(cat: Catalogue, b: BackupInfo, count: int, cancel: CancelToken,
         result: RestoreCheckResult) -> None:
    manifest = read_manifest(b, for_catalogue(cat))
    chosen = sample(manifest["entries"], count, b.id)
    open_archive = chain_archives(cat, b)
    with tempfile.TemporaryDirectory(prefix="backupdesk-restore-test-") as tmp:
        target = Path(tmp) / "restore"
        for e in chosen:
            (target / e["path"]).parent.mkdir(parents=True, exist_ok=True)
        stats = restore_tree(chosen, open_archive, target, progress=lambda p: None,
                             cancel=cancel, names=Names(manifest),
                             identities=manifest.identities)
        result.problems += stats.problems
        for e in chosen:
            problem = compare(e, target / e["path"])
            result.checked += 1
            if problem:
                result.problems.append(problem)
