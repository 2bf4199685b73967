"""The plan-wide options of a plan imported from borgmatic (no flags: `borgmatic import`
sets them), and its passphrase command (small: the job layer imports it)."""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

from core.engines.schema import Schema, Text
from core.errors import ConfigError

PASSCOMMAND_TIMEOUT = 60

BORGMATIC_OPTIONS = Schema((
    Text("borgmatic_config", "borgmatic configuration file"),
    # encryption_passcommand as borgmatic runs it: run for the passphrase, never stored
    Text("borgmatic_passcommand", "borgmatic passphrase command"),
), title="borgmatic")


def passcommand_secret(options: dict[str, Any]) -> str | None:
    """The passphrase from a borgmatic plan's passphrase command (run as borg would run
    BORG_PASSCOMMAND: split like a shell, no shell), or None when the plan has none."""
    cmd = options.get("borgmatic_passcommand")
    if not cmd:
        return None
    argv = shlex.split(str(cmd))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PASSCOMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ConfigError(f"The borgmatic passphrase command {argv[0]!r} could not run: "
                          f"{e}.") from e
    if done.returncode != 0:
        raise ConfigError(f"The borgmatic passphrase command {argv[0]!r} failed "
                          f"(exit {done.returncode}).")
    return done.stdout.rstrip("\r\n")
