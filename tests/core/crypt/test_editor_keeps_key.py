"""The plan editor shows no encryption field: saving a plan from it keeps the plan's key (its
save path, gui/panes/settings/plan_form.save_plan, is plain core code run in a worker)."""

from __future__ import annotations

from pathlib import Path

from core import plans
from core.catalogue.db import Catalogue
from core.cli.main import main
from core.config import AppPaths
from core.keys import recipient_of
from gui.panes.settings.plan_form import PlanForm, save_plan


def test_saving_in_the_editor_keeps_encryption(home: Path, catalogue: Catalogue,
                                               tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    assert main(["plan", "add", "vault", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d")]) == 0
    assert main(["plan", "edit", "vault", "--encrypt"]) == 0
    rcpt = recipient_of(plans.get_plan(catalogue, "vault").options)
    assert rcpt and rcpt.startswith("age1")
    form = PlanForm("vault", "archive", sources=[str(src)], destinations=[str(tmp_path / "d")],
                    options={"include": "files", "compression": "zstd:5", "full_every": 7,
                             "verify_after": True})
    save_plan(catalogue, AppPaths.resolve(str(home)), form, "vault")
    saved = plans.get_plan(catalogue, "vault").options
    assert saved["compression"] == "zstd:5" and recipient_of(saved) == rcpt
    # `plan edit --encrypt` again keeps the key it has.
    assert main(["plan", "edit", "vault", "--encrypt"]) == 0
    assert recipient_of(plans.get_plan(catalogue, "vault").options) == rcpt
