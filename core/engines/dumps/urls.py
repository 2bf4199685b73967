"""Database URLs of archive plans: parse, strip the password, name the dump file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from core.errors import ConfigError

_SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql", "postgres": "postgresql", "postgresql+psycopg": "postgresql",
    "postgresql+psycopg2": "postgresql",
    "mysql": "mysql", "mariadb": "mysql", "mysql+pymysql": "mysql", "mariadb+pymysql": "mysql",
}
EXTENSIONS = {"sqlite": ".sqlite3", "postgresql": ".pgdump", "mysql": ".sql"}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@dataclass(frozen=True)
class DbUrl:
    """A database to dump, parsed from its URL."""
    kind: str  # sqlite, postgresql, mysql
    database: str  # file path for sqlite
    host: str = ""
    port: int | None = None
    user: str = ""
    password: str | None = None

    @property
    def redacted(self) -> str:
        """The URL as stored in the plan: never a password."""
        if self.kind == "sqlite":
            return f"sqlite://{self.database}"
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{self.kind}://{user}{self.host}{port}/{quote(self.database, safe='')}"

    @property
    def label(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite database {self.database}"
        name = "PostgreSQL" if self.kind == "postgresql" else "MySQL/MariaDB"
        return f"{name} database {self.database} on {self.host}:{self.effective_port}"

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.kind, 0)

    def dump_name(self, index: int) -> str:
        base = self.database.rsplit("/", 1)[-1] if self.kind == "sqlite" else self.database
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "db"
        if self.kind == "sqlite" and base.endswith((".sqlite3", ".sqlite", ".db")):
            base = base.rsplit(".", 1)[0]
        return f"db-{index + 1}-{base}{EXTENSIONS[self.kind]}"


def parse(url: str) -> DbUrl:
    scheme, sep, rest = url.partition("://")
    kind = _SCHEMES.get(scheme.lower()) if sep else None
    if kind is None:
        raise ConfigError(
            f"Unsupported database URL {redact(url)!r}: use sqlite:///PATH, "
            "postgresql://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB."
        )
    if kind == "sqlite":
        if not rest.startswith("/"):
            raise ConfigError(f"SQLite URL {url!r} needs an absolute path: sqlite:///PATH.")
        return DbUrl("sqlite", "/" + rest.lstrip("/"))
    parts = urlsplit(f"x://{rest}")
    db = unquote(parts.path.lstrip("/"))
    if not db or not parts.hostname:
        raise ConfigError(f"Database URL {redact(url)!r} needs a host and a database name.")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"Database URL {redact(url)!r} has an invalid port.") from None
    return DbUrl(kind, db, parts.hostname, port, unquote(parts.username or ""),
                 unquote(parts.password) if parts.password is not None else None)


def redact(url: str) -> str:
    """Remove a password from a URL, even one we cannot otherwise parse."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1@", url)


def with_password(url: str, password: str) -> str:
    """`url` with `password` in it (for a password read from stdin, never from argv)."""
    db = parse(url)
    if db.kind == "sqlite":
        raise ConfigError(f"{db.label} takes no password.")
    if db.password is not None:
        raise ConfigError(f"{redact(url)!r} has a password already; give it in one place only.")
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    user, _, host = netloc.rpartition("@")
    return f"{scheme}://{user}:{quote(password, safe='')}@{host}{slash}{path}"
