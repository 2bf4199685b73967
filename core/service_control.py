"""Start, stop and install the background service (core.service).

With the default state folders and a systemd user manager that knows `backupdesk.service`,
systemd runs it (`systemctl --user`); otherwise (another --home or catalogue, no systemd) it is
a detached `backupdesk service run` process that holds the service lock. The XDG autostart
entry starts it at login where systemd does not.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from core.cli.main import self_command
from core.config import AppConfig
from core.errors import BackupDeskError
from core.packaged import resource_text
from core.service import running_pid
from core.statefile import write_atomic

log = logging.getLogger(__name__)

UNIT = "backupdesk.service"
AUTOSTART = "backupdesk-service.desktop"
FIRST_RUN_MARK = "service-set-up"
WAIT_S = 10.0


class ServiceError(BackupDeskError):
    """The background service could not be started or stopped."""


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def user_unit_path() -> Path:
    return _config_home() / "systemd" / "user" / UNIT


def autostart_path() -> Path:
    return _config_home() / "autostart" / AUTOSTART


def _systemctl(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def systemd_available() -> bool:
    """A systemd user manager answers (not in containers, ssh-only or non-systemd sessions)."""
    if shutil.which("systemctl") is None:
        return False
    try:
        return _systemctl("show-environment", timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _unit_loaded() -> bool:
    try:
        r = _systemctl("show", "-p", "LoadState", "--value", UNIT, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and r.stdout.strip() == "loaded"


def uses_systemd(config: AppConfig) -> bool:
    """The unit runs the service of the default state folders only."""
    default = config.paths.home is None and config.catalogue_url == \
        config.paths.default_catalogue_url
    return default and systemd_available() and _unit_loaded()


def _self_command() -> list[str]:
    return self_command()


def _spawn(config: AppConfig, args: list[str]) -> None:
    subprocess.Popen([*_self_command(), *args], env=config.child_env(),
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)


def _wait(config: AppConfig, running: bool, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (running_pid(config.paths) is not None) == running:
            return True
        time.sleep(0.1)
    return False


def start(config: AppConfig) -> str:
    """Start the service unless it runs; a sentence saying what happened."""
    if running_pid(config.paths) is not None:
        return "The background service is already running."
    if uses_systemd(config):
        r = _systemctl("start", UNIT)
        if r.returncode != 0:
            raise ServiceError(f"systemctl --user start {UNIT} failed: "
                               f"{r.stderr.strip() or r.returncode}")
        how = "by systemd"
    else:
        _spawn(config, ["service", "run"])
        how = "as a background process"
    if not _wait(config, True):
        raise ServiceError("The background service did not start; see its log in "
                           f"{config.paths.log_dir}.")
    return f"Background service started {how}."


def stop(config: AppConfig) -> str:
    pid = running_pid(config.paths)
    if pid is None:
        return "The background service is not running."
    if uses_systemd(config) and _systemctl("is-active", UNIT).stdout.strip() == "active":
        r = _systemctl("stop", UNIT)
        if r.returncode != 0:
            raise ServiceError(f"systemctl --user stop {UNIT} failed: {r.stderr.strip()}")
    elif pid > 0:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        except PermissionError as e:
            raise ServiceError(f"The background service (pid {pid}) belongs to another "
                               "user.") from e
    if not _wait(config, False, timeout=60.0):  # a running job finishes its step first
        raise ServiceError(f"The background service (pid {pid}) did not stop.")
    return "Background service stopped."


def set_up_once(config: AppConfig) -> str | None:
    """First run (after the welcome): enable the user unit where systemd is, else start the
    service; once per state folder, so a user who stops it later is not overruled."""
    mark = config.paths.state_dir / FIRST_RUN_MARK
    if mark.exists():
        return None
    config.paths.state_dir.mkdir(parents=True, exist_ok=True)
    mark.touch()
    if uses_systemd(config):
        r = _systemctl("enable", "--now", UNIT)
        if r.returncode != 0:
            raise ServiceError(f"systemctl --user enable --now {UNIT} failed: "
                               f"{r.stderr.strip()}")
        return "Background service enabled: scheduled backups run with the window closed."
    return start(config)


def open_window(config: AppConfig, *, job: int | None = None, retry: bool = False) -> None:
    """Open the window (or bring the running one forward) on a job."""
    args = ["gui"]
    if job is not None:
        args += ["--job", str(job)]
        if retry:
            args.append("--retry")
    _spawn(config, args)


# -- unit files ---------------------------------------------------------------------------------
def _template(name: str, exe: str) -> str:
    return resource_text("service", name).replace("@BACKUPDESK@", exe)


def install_units(exe: str, *, enable: bool = False) -> list[Path]:
    """Write the systemd user unit and the autostart entry for this user running `exe`."""
    written = []
    for path, name in ((user_unit_path(), UNIT), (autostart_path(), AUTOSTART)):
        write_atomic(path, _template(name, exe), mode=0o644)
        written.append(path)
    if systemd_available():
        _systemctl("daemon-reload")
        if enable:
            _systemctl("enable", UNIT)
    return written


def uninstall_units() -> list[Path]:
    """Stop and disable the user unit and remove both files."""
    if systemd_available() and user_unit_path().exists():
        _systemctl("disable", "--now", UNIT)
    removed = []
    for path in (user_unit_path(), autostart_path()):
        if path.exists():
            path.unlink()
            removed.append(path)
    if removed and systemd_available():
        _systemctl("daemon-reload")
    return removed


def autostart_should_skip() -> bool:
    """At login from the autostart entry: systemd runs the unit instead."""
    if not systemd_available():
        return False
    r = _systemctl("is-enabled", UNIT, timeout=5)
    return r.stdout.strip() in ("enabled", "enabled-runtime", "static", "alias")
