"""The catalogue: every plan, job, backup and node, in SQLite or PostgreSQL."""

from core.catalogue.db import Catalogue, open_catalogue

__all__ = ["Catalogue", "open_catalogue"]
