"""The borg engine object: core.engines.api's RepositoryEngine over borg's command line.

What only borg needs stays here: the passphrase's secret name and BACKUPDESK_PASSPHRASE, the
plan's tag in archive names, RepoSettings from the plan's options, BORG_BASE_DIR under the
home, the binary's version check and the transaction stamps that let a refresh be skipped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from core.engines.api import (
    ArchiveEntry,
    ArchiveStats,
    CreateResult,
    PruneResult,
    RepoInfo,
    RepositoryEngine,
    RepoTarget,
)
from core.engines.borg import commands as cmd
from core.engines.borg import ops, stamps
from core.engines.borg.binary import check_binary
from core.engines.borg.errors import BorgError, DamageFoundError
from core.engines.borg.process import BorgEnv, run_borg
from core.engines.borg.repo import (
    PASSPHRASE_ENV,
    RepoSettings,
    archive_glob,
    archive_name,
    lock_key,
    passphrase_key,
    tagged_name,
)
from core.engines.borg.tree import ArchiveTree
from core.progress import CancelToken, ProgressCallback, no_progress

# The user chose this repository: borg may learn it even if it is unencrypted (later jobs
# refuse an unknown unencrypted repository).
_ADOPT = {"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}


def borg_env(s: RepoSettings, passphrase: str | None, home: Path | None) -> BorgEnv:
    """How borg runs for a repository: the passphrase (BACKUPDESK_PASSPHRASE when none is
    stored) and, with a Backup Desk home, borg's cache, keys and security data under it
    (unless BORG_BASE_DIR says where)."""
    if passphrase is None:
        passphrase = os.environ.get(PASSPHRASE_ENV)
    env = s.env(passphrase)
    if home is None or "BORG_BASE_DIR" in os.environ:
        return env
    return replace(env, extra={**env.extra, "BORG_BASE_DIR": str(home / "borg")})


class BorgRepository:
    """A borg plan's repository (core.engines.api.Repository)."""

    def __init__(self, target: RepoTarget) -> None:
        opts = dict(target.options)
        if target.location:
            opts["repository"] = target.location
        self.settings = s = RepoSettings.from_options(opts)
        self.plan_id, self.plan_name_ = target.plan_id, target.plan_name
        self.env = borg_env(s, target.secret, target.home)
        self.state_dir = target.state_dir
        self.location = s.location
        self.lock_key = lock_key(s.location)
        self.keep = dict(s.keep)
        self.prune_after_run = bool(s.prune and s.keep)
        self.compact_after_run = bool(s.compact and self.prune_after_run)

    def ready(self) -> None:
        check_binary(self.settings.binary, self.state_dir)

    def unchanged(self) -> bool:
        return self.state_dir is not None and stamps.unchanged(self.state_dir, self.location)

    def remember(self) -> None:
        if self.state_dir is not None:
            stamps.remember(self.state_dir, self.location)

    def init(self, cancel: CancelToken) -> list[str]:
        return ops.init_repo(self.settings, self.env, cancel).log

    def info(self, cancel: CancelToken, *, adopt: bool = False) -> RepoInfo:
        env = replace(self.env, extra={**self.env.extra, **_ADOPT}) if adopt else self.env
        res = ops.repo_info(self.settings, env, cancel)
        data = dict(res.data or {})
        stats = (data.get("cache") or {}).get("stats") or {}
        return RepoInfo(str((data.get("encryption") or {}).get("mode", "?")),
                        int(stats.get("unique_csize") or 0), data, res.log)

    def create(self, sources: Sequence[str], excludes: Sequence[str], when: datetime,
               progress: ProgressCallback, cancel: CancelToken) -> CreateResult:
        with self.start_create(sources, excludes, when, progress, cancel) as c:
            return c.result()

    def start_create(self, sources: Sequence[str], excludes: Sequence[str], when: datetime,
                     progress: ProgressCallback, cancel: CancelToken) -> ops.Creating:
        name = archive_name(self.plan_name_, self.plan_id, when)
        return ops.Creating(self.settings, self.env, name, list(sources), list(excludes),
                            progress, cancel)

    def prune(self, *, dry_run: bool, cancel: CancelToken) -> PruneResult:
        res = ops.prune(self.settings, self.env, archive_glob(self.plan_id), dry_run=dry_run,
                        cancel=cancel)
        pruned, kept = res.data
        return PruneResult(pruned, kept, res.log)

    def plan_name(self, archive: str) -> str:
        return tagged_name(archive, self.plan_name_, self.plan_id)

    def delete(self, archives: Sequence[str], cancel: CancelToken) -> list[str]:
        return ops.delete_archives(self.settings, self.env, archives, cancel).log

    def rename(self, old: str, new: str, cancel: CancelToken) -> list[str]:
        return ops.rename(self.settings, self.env, old, new, cancel).log

    def compact(self, progress: ProgressCallback, cancel: CancelToken) -> list[str]:
        return ops.compact(self.settings, self.env, progress, cancel).log

    def check(self, progress: ProgressCallback, cancel: CancelToken, *,
              verify_data: bool = False, archive: str | None = None) -> list[str]:
        s = self.settings
        argv = cmd.check(s.location, archive=archive, verify_data=verify_data, binary=s.binary)
        try:
            r = run_borg(argv, self.env, s.location,
                         on_event=ops.progress_events(progress, "check"), cancel=cancel)
        except BorgError as e:
            if type(e) is BorgError and e.msgid is None:  # check ran and found damage
                raise DamageFoundError(str(e)) from None
            raise
        return r.log_lines()

    def list_archives(self, cancel: CancelToken) -> list[ArchiveEntry]:
        return ops.list_archives(self.settings, self.env, cancel)

    def archive_info(self, archive: str, cancel: CancelToken) -> ArchiveStats:
        return ops.archive_info(self.settings, self.env, archive, cancel)

    def extract(self, archive: str, to: Path, paths: Sequence[str],
                progress: ProgressCallback, cancel: CancelToken) -> list[str]:
        return ops.extract(self.settings, self.env, archive, to, paths, progress, cancel).log

    def break_lock(self, cancel: CancelToken) -> list[str]:
        return ops.break_lock(self.settings, self.env).log

    def browse(self, archive: str, sink: ArchiveTree, progress: ProgressCallback = no_progress,
               cancel: CancelToken | None = None) -> ArchiveTree:
        return ops.stream_contents(self.settings, self.env, archive, sink, cancel, progress)


class BorgEngine:
    """core.engines.api.RepositoryEngine for borg."""

    name = "borg"

    def secret_name(self, plan_id: int) -> str:
        return passphrase_key(plan_id)

    def open(self, target: RepoTarget) -> BorgRepository:
        return BorgRepository(target)


ENGINE: RepositoryEngine = BorgEngine()  # mypy checks that it keeps the contract
