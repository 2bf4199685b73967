"""The one exception hierarchy of Backup Desk.

Expected failures (bad input, a missing binary, an unreachable host) raise a subclass of
`BackupDeskError`; its message is a complete sentence for the user. Anything else is a bug.
"""

from __future__ import annotations


class BackupDeskError(Exception):
    """An expected failure, shown to the user as one clear line."""

    exit_code = 1
    # What went wrong, for code that must tell failures apart (a job's error kind); never
    # derived from the message text.
    kind = "error"


class UsageError(BackupDeskError):
    """The user asked for something malformed (unknown plan, bad option value)."""

    exit_code = 2
    kind = "usage"


class NotFoundError(BackupDeskError):
    """A named object (plan, job, backup, node) does not exist."""

    kind = "not-found"


class ConfigError(BackupDeskError):
    """Settings or a plan are invalid."""

    kind = "config"


class CatalogueError(BackupDeskError):
    """The catalogue cannot be opened, migrated or written."""

    kind = "catalogue"


class LockedError(BackupDeskError):
    """Another job already holds the plan or repository."""

    kind = "busy"


class CancelledError(BackupDeskError):
    """The user cancelled the operation."""

    kind = "cancelled"


class EngineError(BackupDeskError):
    """A backup engine failed (tool exited non-zero, wrong passphrase, ...)."""

    kind = "engine"


class ToolMissingError(EngineError):
    """An external program (borg, pg_dump, ...) is not installed."""

    kind = "tool-missing"


class DestinationError(BackupDeskError):
    """A destination is missing, not writable, full, or a path escapes it."""

    kind = "destination"


class SecretError(BackupDeskError):
    """A secret could not be stored or read."""

    kind = "secret"
