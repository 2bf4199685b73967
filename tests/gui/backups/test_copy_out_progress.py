"""Issue 16, "Copy out shows bytes and percent and says where the files went": in the real main
window, a click on Copy out of a backup of a few tens of MB shows the copy's percent and bytes in
the pane while it runs, then how much was copied and where."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gui.panes.backups.dialogs import CopyOutDialog
from tests.core.helpers import random_backup
from tests.gui.backups.person import OFFSCREEN, click_row, into_folder, open_pane, shot

pytestmark = OFFSCREEN
MIB = 1 << 20
BYTES_OF = re.compile(r"\d+(\.\d+)? (B|KiB|MiB|GiB) of \d+(\.\d+)? MiB")


@pytest.fixture
def big_backup(catalogue, home, tmp_path) -> int:
    """A real archive backup of 24 MiB of incompressible data: several 4 MiB chunks."""
    return random_backup(catalogue, home, tmp_path / "Photos", "photos", 6, 4 * MIB)


def _copy_watching(qtbot, pane, out: Path, picture: Path) -> list[tuple[str, int, bool]]:
    """Copy out into `out` by mouse and keyboard; what the pane showed at each progress report
    (its text, the bar's value out of 1000, the row visible), the pane drawn mid-copy."""
    seen: list[tuple[str, int, bool]] = []

    def sample(kind: str, p) -> None:  # connected after the pane's own slot: already shown
        seen.append((pane.op_label.text(), pane.op_bar.value(), pane.op_row.isVisible()))
        if p.fraction is not None and p.fraction < 1:
            shot(pane, picture)

    pane.ops.progress.connect(sample)
    try:
        into_folder(qtbot, pane, pane.copy_button, CopyOutDialog, out, "Copy out")
    finally:
        pane.ops.progress.disconnect(sample)
    return seen


def test_copy_out_shows_percent_and_bytes_then_where(qtbot, window, qapp, big_backup,
                                                     tmp_path, monkeypatch):
    from gui import theme

    pane = open_pane(qtbot, window, "Backups")
    qtbot.waitUntil(lambda: len(pane.model.items) == 1, timeout=10000)
    click_row(qtbot, pane.tree, pane.model.index_of(big_backup))
    qtbot.waitUntil(lambda: pane.copy_button.isEnabled(), timeout=5000)
    monkeypatch.setenv(theme.THEME_ENV, "light")
    theme.apply_theme(qapp)
    out = tmp_path / "out"
    seen = _copy_watching(qtbot, pane, out, tmp_path / "copy-light.png")

    assert len(seen) >= 3, seen  # the start, then as chunks and files are done
    assert all(visible and text.startswith("Copying · ") for text, _, visible in seen), seen
    assert all(BYTES_OF.search(text) and re.search(r"\d+%$", text) for text, _, _ in seen), seen
    values = [v for _, v, _ in seen]
    assert values == sorted(values) and values[0] < 1000 and values[-1] == 1000, values
    assert seen[-1][0].endswith(" · 100%")
    # the label's percent is the bar's (99% in both until the last byte, not 100% beside 99%)
    assert all(text.endswith(f" · {v // 10}%") for text, v, _ in seen), seen
    assert not pane.op_row.isVisible()
    copied = [p for p in out.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in copied)
    assert total > 20 * MIB
    text = pane.message.text()
    assert text.startswith(f"Copied {len(copied)} files (") and str(copied[0].parent) in text
    assert (tmp_path / "copy-light.png").is_file()

    monkeypatch.setenv(theme.THEME_ENV, "dark")
    theme.apply_theme(qapp)
    try:
        again = _copy_watching(qtbot, pane, tmp_path / "again", tmp_path / "copy-dark.png")
    finally:
        monkeypatch.setenv(theme.THEME_ENV, "light")
        theme.apply_theme(qapp)
    assert again and (tmp_path / "copy-dark.png").is_file()
