"""Jobs of engines that keep their own repository (`Storage.REPOSITORY`): run, prune, compact,
check, refresh, list, info, set-up, break-lock, verify, restore, delete, browse. The rest of
the app calls these names only.

Each job goes through core.jobs.lifecycle; the engine object comes from the engine registry
(core.jobs.repo_session) and takes typed requests (core.engines.api); what it returns is
recorded through core.catalogue.archives (core.jobs.repository_records).
"""

from __future__ import annotations

from core.jobs.outcome import RunOutcome
from core.jobs.repository_backups import browse, delete_backup, restore_backup, verify_backups
from core.jobs.repository_plan import (
    break_lock,
    check,
    compact,
    list_archives,
    prune,
    refresh,
    refresh_all,
    repo_info,
    setup_repository,
)
from core.jobs.repository_records import RefreshReport
from core.jobs.repository_run import run_plan

__all__ = ["RefreshReport", "RunOutcome", "break_lock", "browse", "check", "compact",
           "delete_backup", "list_archives", "prune", "refresh", "refresh_all", "repo_info",
           "restore_backup", "run_plan", "setup_repository", "verify_backups"]
