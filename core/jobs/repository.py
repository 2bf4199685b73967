"""Jobs of engines that keep their own repository (`Storage.REPOSITORY`): run, prune, compact,
check, refresh, restore, delete, browse. The rest of the app calls these names only.

(Being moved here from core.engines.borg: for now the names point at the borg flows.)
"""

from __future__ import annotations

from core.engines.borg.backups import browse
from core.engines.borg.backups import delete_archive as delete_backup
from core.engines.borg.backups import restore_archive as restore_backup
from core.engines.borg.flows import (
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
from core.engines.borg.flows import run_borg_plan as run_plan
from core.engines.borg.verify import check_archives as verify_backups

__all__ = ["break_lock", "browse", "check", "compact", "delete_backup", "list_archives",
           "prune", "refresh", "refresh_all", "repo_info", "restore_backup", "run_plan",
           "setup_repository", "verify_backups"]
