"""A copy of the catalogue: `backupdesk catalogue backup`, and one at each archive plan's first
destination after each of its runs (encrypted when the plan is), the last few kept.

A SQLite catalogue is copied through SQLite's online backup API (consistent while other
processes write), a PostgreSQL one with `pg_dump --format=custom`: the archive engine's own
dumps (core.engines.dumps), taken into a temporary folder of this computer and then written
under the final name atomically (age-encrypted on the way for an encrypted plan).
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from core import crypto, keys
from core.backups import get_backup
from core.catalogue.copies import make_standalone
from core.catalogue.db import Catalogue
from core.catalogue.models import Destination, LocationState, Plan
from core.destinations import atomic_file, copy_file_atomic, require_mounted, safe_delete
from core.engines.dumps import ops as dumps
from core.errors import BackupDeskError, CatalogueError, DestinationError
from core.progress import CancelToken
from core.remote.location import Remote, is_remote, parse
from core.remote.rclone import Rclone, RemoteError
from core.remote.resolve import for_catalogue
from core.remote.settings import given_settings
from core.timeutil import utcnow

log = logging.getLogger(__name__)

FOLDER = ".backupdesk-catalogue"  # in a destination (import and placement look past it)
PREFIX = "catalogue-"
KEEP = 5
T = TypeVar("T")
_COPY = re.compile(re.escape(PREFIX) + r"\d{8}T\d{12}Z\.(sqlite3|pgdump)(\.age)?")


def _source(cat: Catalogue) -> dumps.DbUrl:
    path = cat.db.sqlite_file
    if path is not None:
        return dumps.DbUrl("sqlite", str(path))
    if not cat.is_sqlite:
        return dumps.parse(cat.secret_url)
    raise CatalogueError(f"The catalogue {cat.url} is no file or server that can be copied.")


def backup_catalogue(cat: Catalogue, folder: Path, *, encrypt_to: str | None = None,
                     keep: int = KEEP) -> Path:
    """A copy of the catalogue in `folder` (created if needed); the oldest copies beyond
    `keep` there are removed. The copy's path."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backupdesk-catalogue-") as tmp:
        made = _made(cat, Path(tmp), encrypt_to)
        final = folder / made.name
        copy_file_atomic(made, final)
    final.chmod(0o600)  # as private as the catalogue itself
    rotate(folder, keep)
    return final


def backup_remote(cat: Catalogue, remote: Remote, *, encrypt_to: str | None = None,
                  keep: int = KEEP) -> str:
    """A copy of the catalogue in the remote's catalogue folder (rclone uploads it whole
    under its final name), the oldest beyond `keep` there removed. The copy's location.
    The folder is listed while the copy uploads (each rclone command is a process start)."""
    rc = Rclone(remote)
    with tempfile.TemporaryDirectory(prefix="backupdesk-catalogue-") as tmp, \
            ThreadPoolExecutor(1) as pool:
        listing = pool.submit(_remote_copies, rc)
        made = _made(cat, Path(tmp), encrypt_to)
        rc.upload(str(made), f"{FOLDER}/{made.name}")
        names = sorted({*listing.result(), made.name})
    old = beyond_keep(names, keep)
    if old:
        rc.run("delete", remote.at(FOLDER), *(x for n in old for x in ("--include", f"/{n}")))
    return remote.shown(f"{FOLDER}/{made.name}")


def _remote_copies(rc: Rclone) -> list[str]:
    try:
        found = rc.lsjson(FOLDER, files_only=True)
    except RemoteError as e:
        if e.missing:  # the first copy there
            return []
        raise
    return [str(e["Name"]) for e in found if _COPY.fullmatch(str(e["Name"]))]


def backup_to(cat: Catalogue, to: str, *, keep: int = KEEP,
              options: Mapping[str, Any] | None = None) -> str:
    """`catalogue backup --to DEST`: a local folder, or a remote read with `options` (its
    remote settings)."""
    if is_remote(to):
        return backup_remote(cat, parse(to, given_settings(options or {})), keep=keep)
    return str(backup_catalogue(cat, Path(to).expanduser().absolute(), keep=keep))


def _made(cat: Catalogue, tmp: Path, encrypt_to: str | None) -> Path:
    """The copy in `tmp` under its final name (age-encrypted to `encrypt_to` if given)."""
    src = _source(cat)
    ext = ".sqlite3" if src.kind == "sqlite" else ".pgdump"
    name = f"{PREFIX}{utcnow():%Y%m%dT%H%M%S%fZ}{ext}"
    plain = tmp / f"catalogue{ext}"
    dumps.dump(src, plain, CancelToken(), durable=False)  # copied to its place, synced there
    if src.kind == "sqlite":
        make_standalone(plain)
    if not encrypt_to:
        return plain.rename(tmp / name)
    sealed = tmp / (name + crypto.SUFFIX)
    with atomic_file(sealed) as f:
        crypto.encrypt_file(plain, f, encrypt_to)
    return sealed


def copies(folder: Path) -> list[Path]:
    """The catalogue copies in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _COPY.fullmatch(p.name) and p.is_file())


def beyond_keep(oldest_first: Sequence[T], keep: int) -> list[T]:
    """The copies to remove so that the newest `keep` stay (none when `keep` is 0: keep all)."""
    return list(oldest_first[:-keep]) if keep > 0 else []


def rotate(folder: Path, keep: int) -> None:
    for old in beyond_keep(copies(folder), keep):
        safe_delete(folder, old)


def to_destination(cat: Catalogue, dest: Destination, plan: Plan, keep: int = KEEP
                   ) -> Path | str:
    """A copy in the destination's catalogue folder (a remote's with the plan's remote
    settings), a local one only while the destination is mounted (its marker): never on the
    disk beneath an unplugged one."""
    if is_remote(dest.location):
        return backup_remote(cat, for_catalogue(cat)(plan.id, dest.location),
                             encrypt_to=keys.recipient_of(plan.options), keep=keep)
    marker = (dest.options or {}).get("marker")
    root = require_mounted(dest.location, str(marker)) if marker else \
        Path(dest.location).expanduser()
    if not root.is_dir():
        raise DestinationError(f"Destination {dest.location} is missing.")
    return backup_catalogue(cat, root / FOLDER, encrypt_to=keys.recipient_of(plan.options),
                            keep=keep)


def after_run(cat: Catalogue, plan: Plan, backup_id: int | None) -> Path | str | None:
    """The copy made at the end of a plan's run that stored a backup, at the first of the
    plan's destinations holding a good copy of it (the first destination, unless it failed);
    a failure is logged and changes nothing else (the backup stands)."""
    if backup_id is None:
        return None
    try:
        good = {loc.destination_id for loc in get_backup(cat, backup_id).locations
                if loc.state in (LocationState.OK.value, LocationState.UNVERIFIED.value)}
        first = next((d for d in plan.destinations if d.enabled and d.id in good), None)
        return to_destination(cat, first, plan) if first is not None else None
    except (BackupDeskError, OSError) as e:
        log.warning("No copy of the catalogue after the run of plan %r: %s", plan.name, e)
        return None
