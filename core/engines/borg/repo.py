"""A borg plan's repository: location, lock key, passphrase key, archive names."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.engines.borg.process import BorgEnv
from core.engines.specs import BORG_OPTIONS
from core.errors import ConfigError

PASSPHRASE_ENV = "BACKUPDESK_PASSPHRASE"


def passphrase_key(plan_id: int) -> str:
    return f"plan-{plan_id}:borg-passphrase"


def normalise_location(location: str) -> str:
    """One spelling per repository: absolute local paths, ssh URLs with user, host and port."""
    loc = location.strip()
    if loc.startswith("ssh://"):
        u = urlsplit(loc)
        if not u.hostname:
            raise ConfigError(f"The repository URL {location!r} has no host.")
        user = f"{u.username}@" if u.username else ""
        port = u.port or 22
        path = u.path or "/"
        return f"ssh://{user}{u.hostname}:{port}{path.rstrip('/') or '/'}"
    if "://" in loc:
        raise ConfigError(f"Unsupported repository location {location!r}: use a folder or "
                          "ssh://USER@HOST:PORT/PATH.")
    if re.match(r"^[^/]+:", loc):  # scp-style user@host:path
        raise ConfigError(f"Write the remote repository {location!r} as "
                          "ssh://USER@HOST:PORT/PATH.")
    return str(Path(os.path.expanduser(loc)).absolute()).rstrip("/") or "/"


def lock_key(location: str) -> str:
    return f"repo:{normalise_location(location)}"


def is_remote(location: str) -> bool:
    return location.startswith("ssh://")


def _clean(plan_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", plan_name).strip("-") or "plan"


def archive_tag(plan_id: int) -> str:
    """In every archive name the plan makes: `~` is in no host name, no `{now}` and none of
    borg's placeholders, so a cron script's `{hostname}-{now}` cannot carry it."""
    return f"~bd{plan_id}~"


def archive_glob(plan_id: int) -> str:
    """The plan's archives for borg's --glob-archives (the catalogue still vets each one)."""
    return f"*{archive_tag(plan_id)}*"


def archive_name(plan_name: str, plan_id: int, now: datetime) -> str:
    return (f"{_clean(plan_name)}{archive_tag(plan_id)}{now:%Y-%m-%dT%H.%M.%S}."
            f"{now.microsecond // 1000:03d}")


def tagged_name(old: str, plan_name: str, plan_id: int) -> str:
    """The name an archive of the plan from before the tag gets (`docs-2026-…` ->
    `docs~bd3~2026-…`); an already tagged name stays."""
    if archive_tag(plan_id) in old:
        return old
    clean = _clean(plan_name)
    rest = old[len(clean) + 1:] if old.startswith(f"{clean}-") else old
    return f"{clean}{archive_tag(plan_id)}{rest}"


@dataclass(frozen=True)
class RepoSettings:
    location: str
    encryption: str
    compression: str
    keep: dict[str, int]
    prune: bool
    compact: bool
    rsh: str | None
    binary: str

    @classmethod
    def from_options(cls, opts: dict[str, Any]) -> RepoSettings:
        loc = opts.get("repository")
        if not loc:
            raise ConfigError("A borg plan needs a repository.")
        defaults = BORG_OPTIONS.defaults()
        return cls(
            location=normalise_location(str(loc)),
            encryption=str(opts.get("encryption") or defaults["encryption"]),
            compression=str(opts.get("compression") or defaults["compression"]),
            keep={str(k): int(v) for k, v in (opts.get("keep") or {}).items() if v},
            prune=bool(opts.get("prune", True)),
            compact=bool(opts.get("compact", True)),
            rsh=opts.get("rsh") or None,
            binary=str(opts.get("borg_binary") or os.environ.get("BACKUPDESK_BORG") or "borg"),
        )

    def env(self, passphrase: str | None) -> BorgEnv:
        return BorgEnv(passphrase=passphrase, rsh=self.rsh, binary=self.binary)
