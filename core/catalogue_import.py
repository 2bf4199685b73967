"""`backupdesk import DEST`: the catalogue rebuilt from what a destination holds.

Every backup folder holds a self-describing manifest (its plan, type, parent, time, roots and
every artifact's name, size and SHA-256), so plans, backups, chains and locations can be
recorded again in any home: a new one after a lost laptop, or one that already knows some of
them. A backup is known by its name and its manifest's SHA-256: importing again adds nothing, and
a known backup found in another folder gains that copy.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
from core.remote.location import Remote, is_remote
from core.remote.location import parse as parse_remote
from core.remote.rclone import Rclone, RemoteError
from core.remote.settings import SCHEMA, given_settings, settings_for
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


@dataclass
class Place:
    """The destination read: `local` the folder holding its manifests (the destination
    itself, or a temporary copy of a remote's manifests), `where` a backup folder's recorded
    path, `sizes` a remote's object sizes by relative path (None: a local folder)."""

    shown: str
    local: Path
    remote: Remote | None = None
    sizes: dict[str, int] | None = None
    options: dict[str, Any] = field(default_factory=dict)  # a new plan's remote settings

    def where(self, folder: Path) -> str:
        if self.remote is None:
            return str(folder)
        return self.remote.shown(folder.relative_to(self.local).as_posix())

    def same(self, location: str) -> bool:
        if self.remote is None:
            return not is_remote(location) and \
                Path(location).expanduser().absolute() == self.local
        return location.rstrip("/") == self.remote.location.rstrip("/")

    def size(self, folder: Path, name: str) -> int | None:
        if self.sizes is None:
            p = folder / name
            return p.stat().st_size if p.is_file() else None
        return self.sizes.get(f"{folder.relative_to(self.local).as_posix()}/{name}")


def import_destination(cat: Catalogue, dest: str, *, plan: str | None = None,
                       store: SecretStore | None = None,
                       remote_options: Mapping[str, Any] | None = None,
                       remote_defaults: Mapping[str, Any] | None = None) -> ImportReport:
    """Record what `dest` (a local folder or a remote) holds. A remote is read with
    `remote_options` (given for this import), over the settings of a plan of this home that
    has it, over `remote_defaults` (the S3 keys of AWS_* variables: a plan's own stored keys
    win over the environment); a plan created for it keeps the settings it was read with."""
    with _place(cat, dest, remote_options or {}, remote_defaults or {}, store) as place:
        return _import(cat, place, plan, store)


@contextmanager
def _place(cat: Catalogue, dest: str, options: Mapping[str, Any],
           defaults: Mapping[str, Any], store: SecretStore | None) -> Iterator[Place]:
    if not is_remote(dest):
        root = Path(dest).expanduser().absolute()
        if not root.is_dir():
            raise DestinationError(f"{dest} is not a folder.")
        if read_marker(root) is None:
            raise DestinationError(f"{dest} is not a Backup Desk destination (it has no "
                                   "marker file).")
        yield Place(str(root), root)
        return
    settings = _settings_of(cat, dest, options, defaults, store)
    remote = parse_remote(dest, given_settings(settings))
    rc = Rclone(remote)
    try:
        listed = rc.lsjson(recursive=True, files_only=True, max_depth=3)
    except RemoteError as e:
        if e.missing:
            raise DestinationError(f"{dest} holds no Backup Desk backup.") from e
        raise
    sizes = {str(e["Path"]): int(e.get("Size") or 0) for e in listed}
    if not any(p.count("/") == 2 and p.endswith(f"/{mf.MANIFEST_NAME}") for p in sizes):
        raise DestinationError(f"{dest} holds no Backup Desk backup.")
    with tempfile.TemporaryDirectory(prefix="backupdesk-import-") as tmp:
        # Every manifest in one rclone command; the archives stay where they are.
        rc.run("copy", remote.at(), tmp, "--include", f"/*/*/{mf.MANIFEST_NAME}",
               *(["--fast-list"] if remote.kind == "s3" else []))
        yield Place(remote.location, Path(tmp), remote, sizes, settings)


def _settings_of(cat: Catalogue, dest: str, options: Mapping[str, Any],
                 defaults: Mapping[str, Any], store: SecretStore | None) -> dict[str, Any]:
    """The settings given, over those of a plan of this home that has this destination,
    over the defaults."""
    layers = [defaults, options]
    for p in plans.list_plans(cat):
        if any(d.location.rstrip("/") == dest.rstrip("/") for d in p.destinations):
            s = settings_for(p.id, p.options, store)
            layers.insert(1, {o.name: getattr(s, o.name) for o in SCHEMA.options})
            break
    return {k: v for layer in layers for k, v in layer.items() if v}


def _import(cat: Catalogue, place: Place, plan: str | None,
            store: SecretStore | None) -> ImportReport:
    report = ImportReport(place.shown)
    found = _scan(place.local, plan, store, report.problems)
    if plan is not None and not found and not report.problems:
        raise NotFoundError(f"{place.shown} holds no backup of a plan named {plan!r}.")
    by_plan: dict[str, list[Found]] = {}
    for f in sorted(found, key=lambda f: (str(f.manifest.get("created_at")), f.folder.name)):
        by_plan.setdefault(f.plan, []).append(f)
    for name, items in by_plan.items():
        p = _plan_for(cat, name, place, items, store, report)
        if keeps_repository(p.engine):
            report.problems.append(f"{place.shown}: the plan {name!r} here is a {p.engine} "
                                   f"plan; its {count(len(items), 'archive backup')} were not "
                                   "imported.")
            continue
        for f in items:
            _record(cat, p, place, f, report)
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


def _plan_for(cat: Catalogue, name: str, place: Place, items: list[Found],
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
    options |= {k: v for k, v in place.options.items() if v}
    created = plans.add_plan(cat, name, "archive", sources=roots, destinations=[place.shown],
                             options=options, secrets=store)
    report.plans_created.append(name)
    return created


def _record(cat: Catalogue, plan: Plan, place: Place, f: Found, report: ImportReport) -> None:
    m = f.manifest
    where = place.where(f.folder)
    dest = next((d for d in plan.destinations if place.same(d.location)), None)
    artifacts = [dict(a) for a in m.get("artifacts", [])]
    artifacts.append({"name": mf.MANIFEST_NAME, "kind": "manifest", "size": f.size,
                      "sha256": f.sha256})
    state = _state(place, f.folder, artifacts)
    size = sum(int(a["size"]) for a in artifacts)
    loc = BackupLocation(destination_id=dest.id if dest else None,
                         destination=dest.location if dest else place.shown, path=where,
                         state=state, size=size if state == LocationState.UNVERIFIED else None)
    known = rows.known_backup(cat, str(m["backup"]), f.sha256)
    if known is not None:
        if any(x.path == where or (place.remote is None and Path(x.path) == f.folder)
               for x in known.locations):
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
                        "imported_from": place.shown})
    b.locations = [loc]
    report.added.append(insert_backup(cat, b))


def _state(place: Place, folder: Path, artifacts: list[dict[str, Any]]) -> str:
    for a in artifacts:
        size = place.size(folder, str(a["name"]))
        if size is None:
            return LocationState.MISSING.value
        if size != int(a["size"]):
            return LocationState.SIZE_MISMATCH.value
    return LocationState.UNVERIFIED.value


def _when(text: Any) -> datetime:
    try:
        return to_naive_utc(datetime.fromisoformat(str(text).replace("Z", "+00:00")))
    except ValueError:
        return utcnow()
