"""What the job layer records of an artifact engine's backup: the backup and its copies."""

from __future__ import annotations

from core.catalogue.backups import insert_backup
from core.catalogue.db import Catalogue
from core.catalogue.models import Backup, BackupLocation, LocationState, Plan
from core.engines.api import RunResult
from core.placement import Placed
from core.timeutil import utcnow


def record_backup(cat: Catalogue, plan: Plan, job_id: int, name: str, result: RunResult,
                  parent_id: int | None, placed: list[Placed]) -> int:
    manifest = next((a for a in result.artifacts if a.kind == "manifest"), None)
    b = Backup(
        plan_id=plan.id, plan_name=plan.name, job_id=job_id, engine=plan.engine,
        type=result.type, parent_id=parent_id if result.type == "incremental" else None,
        name=name, created_at=utcnow(), size=result.size, original_size=result.source_bytes,
        files=result.files, sha256=manifest.sha256 if manifest else None,
        details={"artifacts": [a.to_json() for a in result.artifacts],
                 "warnings": result.warnings[:1000], **result.details},
    )
    b.locations = [
        BackupLocation(
            destination_id=p.destination_id, destination=p.destination, path=p.path,
            state=LocationState.UNVERIFIED.value if p.ok else LocationState.FAILED.value,
            size=result.size if p.ok else None,
            verify_result={} if p.ok else {"error": p.error},
        )
        for p in placed
    ]
    return insert_backup(cat, b)
