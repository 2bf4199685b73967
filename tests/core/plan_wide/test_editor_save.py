"""The plan editor's save path (gui/panes/settings/plan_form.save_plan, plain core code run in
a worker) with the plan-wide fields: S3 keys to the secret store, host and shared
destinations set exactly as the form has them."""

from __future__ import annotations

import json
from pathlib import Path

from core import plans
from core.catalogue.db import Catalogue
from core.config import AppPaths
from core.secrets import FORCE_FILE_ENV
from gui.panes.settings.plan_form import PlanForm, save_plan


def test_s3_keys_host_and_shared(home: Path, catalogue: Catalogue, tmp_path: Path,
                                 monkeypatch) -> None:
    monkeypatch.setenv(FORCE_FILE_ENV, "1")
    src = tmp_path / "src"
    src.mkdir()
    local, s3 = str(tmp_path / "d"), "s3://bucket/backups"
    form = PlanForm("docs", "archive", sources=[str(src)], destinations=[local, s3],
                    options={"s3_endpoint": "http://127.0.0.1:9000",
                             "s3_access_key_id": "AKID-1", "s3_secret_access_key": "SK-1"},
                    host="nas", shared=[s3])
    paths = AppPaths.resolve(str(home))
    saved = save_plan(catalogue, paths, form, None)
    assert saved.plan["host"] == "nas" and saved.recovery is None
    assert [d["shared"] for d in saved.plan["destinations"]] == [False, True]
    assert "s3_access_key_id" not in saved.plan["options"]
    held = json.loads((home / "config" / "secrets.json").read_text())
    pid = saved.plan["id"]
    assert held[f"plan-{pid}:s3-access-key-id"] == "AKID-1"
    assert held[f"plan-{pid}:s3-secret-access-key"] == "SK-1"
    # Saved again with the key fields empty and the other destination shared: keys kept; a
    # remote destination stays shared (every host reaches it), left out of the list or not.
    form.options = {"s3_endpoint": ""}
    form.host, form.shared = "", [local]
    saved = save_plan(catalogue, paths, form, "docs")
    assert saved.plan["host"] is None and "s3_endpoint" not in saved.plan["options"]
    assert [d["shared"] for d in saved.plan["destinations"]] == [True, True]
    held = json.loads((home / "config" / "secrets.json").read_text())
    assert held[f"plan-{pid}:s3-access-key-id"] == "AKID-1"
    assert plans.get_plan(catalogue, "docs").host is None
