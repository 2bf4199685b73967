"""The job layer's writes to backups' copies (core.catalogue.locations), in SQLite and in a
real PostgreSQL server, on real backups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.backups import get_backup, list_backups
from core.catalogue.locations import (
    LocationCheck,
    delete_backup_record,
    mark_location_deleted,
    plan_roots,
    store_checks,
)
from core.destinations import MARKER
from core.timeutil import utcnow
from tests.core.helpers import random_backup


def test_checks_deletions_and_roots(any_catalogue: Any, home: Path, tmp_path: Path) -> None:
    cat = any_catalogue
    first = random_backup(cat, home, tmp_path / "src", "p", files=1, size=1000)
    b = get_backup(cat, first)
    loc = b.locations[0]
    at = utcnow()
    store_checks(cat, [LocationCheck(loc.id, "corrupt", {"files.tar.zst": "corrupt"})], at)
    again = get_backup(cat, first).locations[0]
    assert again.state == "corrupt"
    assert again.verify_result["artifacts"] == {"files.tar.zst": "corrupt"}
    assert again.verify_result["checked_at"].endswith("Z")

    roots = plan_roots(cat, b.plan_id)
    ((dest_id, (root, marker)),) = roots.items()
    assert dest_id == loc.destination_id and root == tmp_path / "dest"
    assert marker and marker in (root / MARKER).read_text()

    mark_location_deleted(cat, loc.id)
    assert get_backup(cat, first).locations[0].state == "deleted"
    delete_backup_record(cat, first)
    assert list_backups(cat) == []
