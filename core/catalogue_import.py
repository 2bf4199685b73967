"""`backupdesk import DEST`: the catalogue rebuilt from what a destination holds.

Every backup folder holds a self-describing manifest (its plan, type, parent, time, roots and
every artifact's name, size and SHA-256), so plans, backups, chains and locations can be
recorded again in any home: a new one after a lost laptop, or one that already knows some of
them. A backup is known by its name and its manifest's SHA-256: importing again adds nothing, and
a known backup found in another folder gains that copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core import crypto, keys, plans
from core.catalogue import imports as rows
from core.catalogue.backups import insert_backup
from core.catalogue.db import Catalogue
from core.catalogue.models import Backup, BackupLocation, LocationState, Plan
from core.destinations import os_error, read_marker
from core.engines import keeps_repository
from core.engines.archive import manifest as mf
from core.errors import BackupDeskError, DestinationError, NotFoundError
from core.fmt import count
from core.secrets import SecretStore
from core.timeutil import to_naive_utc, utcnow


@dataclass
class Found:
    """One backup folder of the destination and its manifest."""

    folder: Path
    plan: str
    manifest: dict[str, Any]
    sha256: str
    size: int  # the manifest's
    recipient: str | None


@dataclass
class ImportReport:
    destination: str
    plans_created: list[str] = field(default_factory=list)
    added: list[int] = field(default_factory=list)  # new backups
    copies: int = 0  # known backups recorded at this destination now
    known: int = 0  # known here already
    problems: list[str] = field(default_factory=list)  # one line each: what was not imported

    def to_json(self) -> dict[str, Any]:
        return {"destination": self.destination, "plans_created": self.plans_created,
                "added": self.added, "copies": self.copies, "known": self.known,
                "problems": self.problems}


def import_destination(cat: Catalogue, dest: str, *, plan: str | None = None,
                       store: SecretStore | None = None) -> ImportReport:
    root = Path(dest).expanduser().absolute()
    if not root.is_dir():
        raise DestinationError(f"{dest} is not a folder.")
    if read_marker(root) is None:
        raise DestinationError(f"{dest} is not a Backup Desk destination (it has no marker "
                               "file).")
    report = ImportReport(str(root))
    found = _scan(root, plan, store, report.problems)
    if plan is not None and not found and not report.problems:
        raise NotFoundError(f"{dest} holds no backup of a plan named {plan!r}.")
    by_plan: dict[str, list[Found]] = {}
    for f in sorted(found, key=lambda f: (str(f.manifest.get("created_at")), f.folder.name)):
        by_plan.setdefault(f.plan, []).append(f)
    for name, items in by_plan.items():
        p = _plan_for(cat, name, root, items, store, report)
        if keeps_repository(p.engine):
            report.problems.append(f"{root}: the plan {name!r} here is a {p.engine} plan; its "
                                   f"{count(len(items), 'archive backup')} were not imported.")
            continue
        for f in items:
            _record(cat, p, root, f, report)
    return report


def _scan(root: Path, only: str | None, store: SecretStore | None,
          problems: list[str]) -> list[Found]:
    try:
        return _read(root, only, store, problems)
    except OSError as e:
        raise os_error(e, root) from e


def _read(root: Path, only: str | None, store: SecretStore | None,
          problems: list[str]) -> list[Found]:
    out = []
    for plan_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] != "."):
        for folder in sorted(p for p in plan_dir.iterdir() if p.is_dir() and p.name[0] != "."):
            path = folder / mf.MANIFEST_NAME
            if not path.is_file():
                continue
            try:
                raw = path.read_bytes()
                plain, _ = keys.open_manifest(raw, f"The backup {folder}", store)
                manifest = mf.parse(plain, str(path))
            except crypto.WrongKeyError as e:
                problems.append(str(e))  # it names the folder
                continue
            except (BackupDeskError, OSError, ValueError) as e:
                problems.append(f"{folder}: {e}")
                continue
            name = str(manifest.get("plan") or plan_dir.name)
            if only is not None and only not in (name, plan_dir.name):
                continue
            head = crypto.sealed_header(raw)
            out.append(Found(folder, name, manifest, hashlib.sha256(raw).hexdigest(), len(raw),
                             str(head["recipient"]) if head else None))
    return out


def _plan_for(cat: Catalogue, name: str, root: Path, items: list[Found],
              store: SecretStore | None, report: ImportReport) -> Plan:
    """The plan of that name, or a new one described by its newest backup."""
    try:
        return plans.get_plan(cat, name)
    except NotFoundError:
        pass
    newest = items[-1]
    m = newest.manifest
    roots = [str(p) for p in (m.get("roots") or {}).values()]
    dbs = [str(a["meta"]["url"]) for a in m.get("artifacts", [])
           if a.get("kind") == "database" and (a.get("meta") or {}).get("url")]
    options: dict[str, Any] = {"include": "both" if roots and dbs else
                               ("databases" if dbs else "files")}
    if dbs:
        options["databases"] = dbs
    archive = next((a for a in m.get("artifacts", []) if a.get("kind") == "files"), None)
    if archive and (archive.get("meta") or {}).get("compression"):
        options["compression"] = archive["meta"]["compression"]
    if newest.recipient:
        options[keys.OPTION] = newest.recipient
    created = plans.add_plan(cat, name, "archive", sources=roots, destinations=[str(root)],
                             options=options, secrets=store)
    report.plans_created.append(name)
    return created


def _record(cat: Catalogue, plan: Plan, root: Path, f: Found, report: ImportReport) -> None:
    m = f.manifest
    where = str(f.folder)
    dest = next((d for d in plan.destinations
                 if Path(d.location).expanduser().absolute() == root), None)
    artifacts = [dict(a) for a in m.get("artifacts", [])]
    artifacts.append({"name": mf.MANIFEST_NAME, "kind": "manifest", "size": f.size,
                      "sha256": f.sha256})
    state = _state(f.folder, artifacts)
    size = sum(int(a["size"]) for a in artifacts)
    loc = BackupLocation(destination_id=dest.id if dest else None,
                         destination=dest.location if dest else str(root), path=where,
                         state=state, size=size if state == LocationState.UNVERIFIED else None)
    known = rows.known_backup(cat, str(m["backup"]), f.sha256)
    if known is not None:
        if any(Path(x.path) == f.folder for x in known.locations):
            report.known += 1
        else:
            rows.add_location(cat, known.id, loc)
            report.copies += 1
        return
    own = [e for e in m.get("entries", []) if e.get("in") == m["backup"]]
    parent = rows.parent_id(cat, plan.id, str(m["parent"])) if m.get("parent") else None
    if m.get("type") == "incremental" and parent is None:
        report.problems.append(f"{where}: the backup it builds on ({m.get('parent')}) is not "
                               "known; recorded without it (it cannot be restored whole).")
    b = Backup(plan_id=plan.id, plan_name=plan.name, job_id=None, engine=plan.engine,
               type=str(m.get("type") or "full"), parent_id=parent, name=str(m["backup"]),
               created_at=_when(m.get("created_at")), size=size,
               original_size=sum(int(e.get("size") or 0) for e in own), files=len(own),
               sha256=f.sha256,
               details={"artifacts": artifacts, "warnings": list(m.get("warnings") or []),
                        "changed": m.get("changed"), "deleted": len(m.get("deleted") or []),
                        "entries": len(m.get("entries") or []), "roots": m.get("roots") or {},
                        "imported_from": str(root)})
    b.locations = [loc]
    report.added.append(insert_backup(cat, b))


def _state(folder: Path, artifacts: list[dict[str, Any]]) -> str:
    for a in artifacts:
        p = folder / str(a["name"])
        if not p.is_file():
            return LocationState.MISSING.value
        if p.stat().st_size != int(a["size"]):
            return LocationState.SIZE_MISMATCH.value
    return LocationState.UNVERIFIED.value


def _when(text: Any) -> datetime:
    try:
        return to_naive_utc(datetime.fromisoformat(str(text).replace("Z", "+00:00")))
    except ValueError:
        return utcnow()
