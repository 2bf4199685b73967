"""Secrets (database passwords): the OS keyring, or a 0600 file under the app home without one.

The only module that reads or writes secrets. Keys are per plan and database URL.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from core.config import AppPaths
from core.errors import SecretError

SERVICE = "backupdesk"
FORCE_FILE_ENV = "BACKUPDESK_SECRETS_FILE_ONLY"
_lock = threading.Lock()


def db_secret_key(plan_id: int, redacted_url: str) -> str:
    return f"plan-{plan_id}:{redacted_url}"


def _usable_keyring() -> Any | None:
    if os.environ.get(FORCE_FILE_ENV):
        return None
    try:
        import keyring
        from keyring.backends import fail

        kr = keyring.get_keyring()
    except Exception:  # a broken keyring install is as good as none
        return None
    if isinstance(kr, fail.Keyring) or float(getattr(kr, "priority", 0) or 0) < 1:
        return None
    chained = getattr(kr, "backends", None)
    if chained is not None and not chained:
        return None
    return kr


class SecretStore:
    """The OS keyring is looked for when a secret is first read or written, not before: its
    back-end discovery loads every installed back-end (a third of a second), and most runs
    read no secret.

    The file holds only secrets stored while there was no keyring, and a secret stored in the
    keyring leaves the file: so a secret found in the file is the one to use, read without
    looking for a keyring (a borg plan's passphrase on a machine without one)."""

    def __init__(self, paths: AppPaths, backend: Any | None = None,
                 use_keyring: bool = True) -> None:
        self.paths = paths
        self._backend = backend
        self._looked = backend is not None or not use_keyring

    @property
    def backend(self) -> Any | None:
        """The usable OS keyring, or None: the file."""
        if not self._looked:
            self._backend = _usable_keyring()
            self._looked = True
        return self._backend

    @property
    def uses_fallback(self) -> bool:
        return self.backend is None

    @property
    def file(self) -> Path:
        return self.paths.config_dir / "secrets.json"

    @property
    def description(self) -> str:
        if self.backend is None:
            return (f"No OS keyring is available, so passwords are kept in {self.file}, "
                    "readable only by you.")
        return f"Passwords are kept in the OS keyring ({type(self.backend).__name__})."

    def fallback_notice(self) -> str | None:
        """The fallback's explanation the first time it is used in this home, else None."""
        if self.backend is not None:
            return None
        marker = self.paths.state_dir / "secrets-fallback-noticed"
        if marker.exists():
            return None
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass
        return self.description

    def set(self, key: str, value: str) -> None:
        if self.backend is not None:
            try:
                self.backend.set_password(SERVICE, key, value)
            except Exception as e:
                raise SecretError(f"The OS keyring refused to store a password: {e}.") from e
            self._forget_in_file(key)
            return
        with _lock:
            data = self._read()
            data[key] = value
            self._write(data)

    def get(self, key: str) -> str | None:
        with _lock:
            held = self._read().get(key)
        if held is not None:
            return held
        if self.backend is not None:
            try:
                value = self.backend.get_password(SERVICE, key)
            except Exception as e:
                raise SecretError(f"The OS keyring could not be read: {e}.") from e
            return None if value is None else str(value)
        return None

    def delete(self, key: str) -> None:
        if self.backend is not None:
            try:
                self.backend.delete_password(SERVICE, key)
            except Exception:
                pass
        self._forget_in_file(key)

    def _forget_in_file(self, key: str) -> None:
        with _lock:
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)

    def _read(self) -> dict[str, str]:
        try:
            raw = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as e:
            raise SecretError(f"Cannot read {self.file}: {e.strerror}.") from e
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise SecretError(f"{self.file} is damaged: {e}.") from e
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, data: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.file)
        except OSError as e:
            raise SecretError(f"Cannot write {self.file}: {e.strerror}.") from e
