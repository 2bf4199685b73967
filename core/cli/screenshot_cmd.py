"""`backupdesk screenshot`: render the real main window offscreen to a PNG."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from core.cli.context import CliContext
from core.errors import UsageError

PANES = ("history", "backups", "files", "devices", "settings", "plan-editor", "welcome")
THEMES = ("system", "light", "dark")


def register(sub: Any) -> None:
    p = sub.add_parser("screenshot", help="render a pane of the main window to a PNG")
    p.add_argument("--pane", required=True, choices=PANES)
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--size", default="1280x800", metavar="WxH")
    p.add_argument("--theme", default="system", choices=THEMES,
                   help="light or dark palette (default: the system's)")
    p.set_defaults(func=run)


def run(ctx: CliContext, a: argparse.Namespace) -> int:
    m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", a.size)
    if not m:
        raise UsageError(f"--size must look like 1280x800, not {a.size!r}.")
    out = Path(a.out)
    if not out.parent.exists():
        raise UsageError(f"Folder {out.parent} does not exist.")
    if a.theme != "system":
        os.environ["BACKUPDESK_THEME"] = a.theme  # gui.theme.THEME_ENV
    from gui.screenshot import render_pane

    render_pane(ctx.config, a.pane, out, (int(m.group(1)), int(m.group(2))))
    print(f"Wrote {out}")
    return 0
