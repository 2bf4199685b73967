"""Daemon kinds a node can have, and the endpoints polled for them.

Each kind names the slot of the merge it fills (the Ethoscope format has two: mysql_backup,
rsync_backup; docs/ethoscope-daemon-format.md).
Backup Desk's own agent speaks the rsync daemon's format behind a bearer token, so it fills the
rsync slot of a node of its own. A new daemon format is one more entry in KINDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.errors import ConfigError, UsageError
from core.grid.merge import MYSQL, RSYNC


@dataclass(frozen=True)
class DaemonKind:
    key: str
    label: str
    slot: str
    default_port: int
    needs_token: bool = False


KINDS: dict[str, DaemonKind] = {
    "mysql": DaemonKind("mysql", "MySQL backup daemon", MYSQL, 8090),
    "rsync": DaemonKind("rsync", "rsync backup daemon", RSYNC, 8093),
    "agent": DaemonKind("agent", "Backup Desk agent", RSYNC, 8093, needs_token=True),
}


@dataclass(frozen=True)
class Endpoint:
    """One daemon's status URL, polled for the target `target`."""

    target: str
    kind: str
    url: str
    token_file: str | None = None

    @property
    def slot(self) -> str:
        return KINDS[self.kind].slot

    @property
    def label(self) -> str:
        return KINDS[self.kind].label

    def headers(self) -> dict[str, str]:
        """Request headers; ConfigError if the token cannot be read."""
        headers = {"Accept": "application/json"}
        if self.token_file:
            headers["Authorization"] = f"Bearer {read_token(self.token_file)}"
        return headers


@dataclass(frozen=True)
class Target:
    """What is merged together: one node's daemons (or its agent), polled every interval."""

    name: str
    node: str
    endpoints: tuple[Endpoint, ...]
    interval_s: float = 60.0
    slots: tuple[str, ...] = field(default=(MYSQL, RSYNC))

    def endpoint_for(self, slot: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.slot == slot), None)


def read_token(path: str) -> str:
    try:
        token = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"Cannot read the token file {path}: {e.strerror or e}.") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"The token file {path} is not UTF-8 text.") from e
    if not token:
        raise ConfigError(f"The token file {path} is empty.")
    return token


def normalise_url(kind: str, text: str) -> str:
    """`host`, `host:port`, `http://host:port` or a full URL -> `http://host:port/status`."""
    text = text.strip()
    if not text:
        raise UsageError(f"The {KINDS[kind].label} URL is empty.")
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:
        raise UsageError(f"{text!r} is not a valid URL: {e}.") from e
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{text!r} must start with http:// or https://.")
    if not parts.hostname:
        raise UsageError(f"{text!r} has no host name.")
    netloc = parts.netloc
    if port is None:
        netloc = f"{netloc}:{KINDS[kind].default_port}"
    path = parts.path if parts.path not in ("", "/") else "/status"
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))
