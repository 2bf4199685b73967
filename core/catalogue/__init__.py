"""The catalogue: every plan, job, backup and node, in SQLite or PostgreSQL.

Importing this package is cheap; SQLAlchemy loads only for a non-SQLite catalogue, a migration
or `.schema` (the declarative tables the migrations read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.catalogue.db import Catalogue, open_catalogue

__all__ = ["Catalogue", "open_catalogue"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from core.catalogue import db

        return getattr(db, name)
    raise AttributeError(name)
