"""Borg's failures (`msgid` of its JSON log lines) as Backup Desk errors with one clear line."""

from __future__ import annotations

import getpass
import re

from core.engines.api import ARCHIVE_MISSING, DAMAGED
from core.errors import EngineError, LockedError, ToolMissingError

INSTALL_HINT = ("Install it with `sudo apt install borgbackup` (Debian, Ubuntu) or "
                "`pip install borgbackup`.")


class BorgMissingError(ToolMissingError):
    """The borg binary is not installed."""


class BorgError(EngineError):
    """borg exited with an error."""

    def __init__(self, message: str, msgid: str | None = None) -> None:
        super().__init__(message)
        self.msgid = msgid


class PassphraseError(BorgError):
    """The passphrase is wrong or missing."""


class RepositoryMissingError(BorgError):
    """No repository at the location (missing, moved, or not a repository)."""


class RepositoryExistsError(BorgError):
    """A repository exists already where one was to be created."""


class RepositoryBusyError(BorgError, LockedError):
    """Another process holds borg's lock on the repository."""

    kind = "busy"


class RepositoryPermissionError(BorgError):
    """This user may not write to the repository (its lock): not a lock held by another."""


class ConnectionFailedError(BorgError):
    """The ssh connection to the repository's host failed."""


class BorgTimeoutError(BorgError):
    """borg ran past its bound (a repository that does not answer) and was stopped."""


class DiskFullError(BorgError):
    """No space left where borg writes."""


class ArchiveMissingError(BorgError):
    """The archive is not in the repository."""

    kind = ARCHIVE_MISSING


class DamageFoundError(BorgError):
    """`borg check` ran and found damage (borg's failure without a msgid)."""

    kind = DAMAGED


def _stop(text: str) -> str:
    """The full stop a sentence needs after `text`."""
    return "" if text.endswith(("?", "!", ".")) else "."


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no name for this uid
        return "your user"


def _exception_line(detail: str) -> str:
    """The `OSError: ...` line of a traceback that borg logged."""
    found = re.findall(r"^(\w+(?:Error|Exception)\b.*)$", detail, re.MULTILINE)
    return found[-1] if found else ""


def classify(msgid: str | None, message: str, repo: str, *, had_passphrase: bool = True,
             rc: int | None = None, detail: str = "") -> BorgError:
    """The error for borg's failure `msgid`/`message` on repository `repo`; `detail` holds
    every message borg logged (tracebacks included)."""
    m = msgid or ""
    text = message.strip().rstrip(".")
    if "No space left" in detail or "Errno 28" in detail:
        return DiskFullError(f"The disk holding {repo} (or borg's cache) is full.", m)
    if m == "Exception" and _exception_line(detail):
        text = f"{text}: {_exception_line(detail)}".rstrip(".")
    if m in ("PassphraseWrong", "PasscommandFailure", "NoPassphraseFailure",
             "PasswordRetriesExceeded"):
        if not had_passphrase:
            return PassphraseError(f"The repository {repo} is encrypted and no passphrase is "
                                   "stored for it: enter it in the plan's settings.", m)
        return PassphraseError(f"The passphrase for the repository {repo} is wrong.", m)
    if m in ("Repository.DoesNotExist", "Repository.InvalidRepository",
             "Repository.ParentPathDoesNotExist"):
        return RepositoryMissingError(f"There is no borg repository at {repo}: it is missing, "
                                      "was moved, or the path is wrong.", m)
    if m in ("Repository.AlreadyExists", "Repository.PathAlreadyExists"):
        return RepositoryExistsError(f"{repo} exists already; use it as an existing repository "
                                     "instead of creating one.", m)
    lock_ids = ("LockTimeout", "LockFailed", "LockError", "LockErrorT", "NotLocked", "NotMyLock")
    if m in lock_ids and ("Permission denied" in message or "Errno 13" in message):
        return RepositoryPermissionError(
            f"Backup Desk may not take the lock of the repository {repo}: permission denied. "
            f"It belongs to another user (a repository written by root's cron job is root's): "
            f"run Backup Desk as the repository's owner, or give {_user()} write access to "
            f"it (e.g. `sudo chown -R {_user()} {repo}`).", m)
    if m in lock_ids:
        return RepositoryBusyError(f"The repository {repo} is busy: another borg process holds "
                                   "its lock. Retry when it has finished.", m)
    if m.startswith("ConnectionClosed") or m in ("SSHConnectionError", "RPCError"):
        said = text or "the connection closed"
        return ConnectionFailedError(
            f"Could not reach the repository {repo} over ssh: {said}{_stop(said)} Check that "
            "the host answers ssh on that port (a silent one is given up after a short "
            "timeout), that the login works without a prompt, and that borg is installed "
            "there.", m)
    if m == "Repository.InsufficientFreeSpaceError" or "No space left" in message:
        return DiskFullError(f"The disk holding {repo} (or borg's cache) is full.", m)
    if m in ("Archive.DoesNotExist",):
        return ArchiveMissingError(f"{text}.", m)
    if m == "Cache.RepositoryAccessAborted":
        return RepositoryMissingError(f"The repository {repo} was moved or replaced since it was "
                                      "last used; Backup Desk does not accept that silently.", m)
    if m == "Cache.CacheInitAbortedError":
        return BorgError(f"borg does not know the unencrypted repository {repo}: add it as an "
                         "existing repository first.", m)
    if m == "Cache.EncryptionMethodMismatch":
        return BorgError(f"borg refused the repository {repo}: {text}.", m)
    if text:
        first = text.splitlines()[0].strip()
        return BorgError(f"borg failed on {repo}: {first}.", m or None)
    return BorgError(f"borg failed on {repo} (exit code {rc}).", m or None)
