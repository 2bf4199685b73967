"""The one exception hierarchy of Backup Desk.

Expected failures (bad input, a missing binary, an unreachable host) raise a subclass of
`BackupDeskError`; its message is a complete sentence for the user. Anything else is a bug.
"""

from __future__ import annotations


class BackupDeskError(Exception):
    """An expected failure, shown to the user as one clear line."""

    exit_code = 1


class UsageError(BackupDeskError):
    """The user asked for something malformed (unknown plan, bad option value)."""

    exit_code = 2


class NotFoundError(BackupDeskError):
    """A named object (plan, job, backup, node) does not exist."""


class ConfigError(BackupDeskError):
    """Settings or a plan are invalid."""


class CatalogueError(BackupDeskError):
    """The catalogue cannot be opened, migrated or written."""


class LockedError(BackupDeskError):
    """Another job already holds the plan or repository."""


class CancelledError(BackupDeskError):
    """The user cancelled the operation."""


class EngineError(BackupDeskError):
    """A backup engine failed (tool exited non-zero, wrong passphrase, ...)."""


class ToolMissingError(EngineError):
    """An external program (borg, pg_dump, ...) is not installed."""


class DestinationError(BackupDeskError):
    """A destination is missing, not writable, full, or a path escapes it."""


class VerifyError(BackupDeskError):
    """Verification found missing or corrupt files."""


class RemoteError(BackupDeskError):
    """A remote daemon could not be reached or answered garbage."""


class SecretError(BackupDeskError):
    """A secret could not be stored or read."""
