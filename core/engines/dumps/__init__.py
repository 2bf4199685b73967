"""Database dumps: SQLite (online backup API), PostgreSQL (pg_dump -Fc), MySQL/MariaDB.

`ops` dumps and loads; `urls` parses a database URL (light: the CLI reads URLs without
loading the dump clients).
"""
