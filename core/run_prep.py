"""Before a run: full or incremental (and on which parent), and the databases with passwords."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core import keys
from core.backups import BackupInfo, artifact_copies, chain_of, get_backup, readable_locations
from core.catalogue import backups as rows
from core.catalogue.db import Catalogue
from core.catalogue.models import Plan
from core.engines.api import DatabaseTarget
from core.engines.archive import manifest as mf
from core.errors import BackupDeskError, DestinationError, EngineError
from core.fmt import count
from core.secrets import SecretStore, db_secret_key

if TYPE_CHECKING:
    from core.remote.resolve import Resolve


@dataclass
class ModeChoice:
    """Full or incremental, the backup it builds on, and why."""
    mode: str
    parent_id: int | None = None
    previous_manifest: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def last_backup(cat: Catalogue, plan: Plan) -> BackupInfo | None:
    for bid in rows.recent_backup_ids(cat, plan.id, plan.engine, 20):
        b = get_backup(cat, bid)
        if b.status != "deleted":
            return b
    return None


def read_manifest(b: BackupInfo, remotes: Resolve | None = None) -> mf.Loaded:
    """The backup's manifest from a healthy destination, checked against its SHA-256 (and
    decrypted with the key from the secret store, for an encrypted plan's backup)."""
    plain, where, key = _manifest(b, remotes)
    manifest = mf.parse(plain, where)
    manifest.key = key
    return manifest


def read_manifest_bytes(b: BackupInfo, remotes: Resolve | None = None) -> tuple[bytes, str]:
    """The manifest's bytes, checked against its SHA-256 and decrypted (not parsed), and where
    they were."""
    plain, where, _ = _manifest(b, remotes)
    return plain, where


def _manifest(b: BackupInfo, remotes: Resolve | None) -> tuple[bytes, str, Any]:
    expected = next((a for a in b.artifacts if a.kind == "manifest"), None)
    if expected is None:
        raise EngineError(f"Backup {b.id} has no manifest.")
    tried = []
    for copy in artifact_copies(b, expected.name, remotes):
        try:  # a remote copy is read into memory, checked as it streams
            with copy.open() as f:
                data = f.read()
        except DestinationError as e:
            tried.append(str(e))
            continue
        if hashlib.sha256(data).hexdigest() != expected.sha256:
            raise EngineError(f"The manifest of backup {b.id} at {copy} is damaged.")
        plain, key = keys.open_manifest(data, f"Backup {b.id}")
        return plain, str(copy), key
    raise EngineError(f"The manifest of backup {b.id} cannot be read ({'; '.join(tried)}).")


def choose_mode(cat: Catalogue, plan: Plan, mode: str, remotes: Resolve | None = None
                ) -> ModeChoice:
    if mode == "full":
        return ModeChoice("full")
    last = last_backup(cat, plan)
    if last is None:
        notes = ["No earlier backup to build on: making a full backup."] \
            if mode == "incremental" else []
        return ModeChoice("full", notes=notes)
    chain = chain_of(cat, last.id)
    every = int(plan.options.get("full_every", 7))
    if mode == "auto" and len(chain) >= every:
        return ModeChoice("full", notes=[f"The chain has {count(len(chain), 'backup')}; full every "
                                         f"{every} runs: making a full backup."])
    try:
        for b in chain:
            readable_locations(b, remotes)
        manifest = read_manifest(last, remotes)
    except (BackupDeskError, OSError, ValueError) as e:
        return ModeChoice("full", notes=[f"Cannot build on backup {last.id} ({e}); "
                                         "making a full backup."])
    to = keys.recipient_of(plan.options)
    if (str(manifest.key.to_public()) if manifest.key is not None else None) != to:
        return ModeChoice("full", notes=["The plan's encryption changed since backup "
                                         f"{last.id}: making a full backup."])
    return ModeChoice("incremental", last.id, manifest)


def expected_size(cat: Catalogue, plan: Plan, mode: str) -> int:
    """About how much the run will write: the size of the plan's last backup of that type."""
    return rows.last_size(cat, plan.id, mode) or 0


def database_targets(plan: Plan, secrets: SecretStore) -> list[DatabaseTarget]:
    out = []
    for url in plan.options.get("databases") or []:
        out.append(DatabaseTarget(str(url), secrets.get(db_secret_key(plan.id, str(url)))))
    return out
