"""Schema versions (スキーマ版): the numbered SQL migrations and applying them one transaction each.

A migration file is `NNNN_name.sql` in `dhdesk/store/migrations/`; once released it is frozen
forever, because workspaces in the field were built by it. The version reached is kept in `meta`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb

from dhdesk.store.connection import one, scalar, transaction

_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One step of the schema: applying it takes a workspace from `version - 1` to `version`."""

    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this dhdesk (also inside a PyInstaller bundle)."""
    return load_migrations(files("dhdesk.store") / "migrations")


def load_migrations(directory: Traversable | Path) -> list[Migration]:
    """Every `NNNN_name.sql` in `directory`, in order; versions must run 1, 2, 3… without gaps."""
    found = []
    for entry in directory.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def current_version(conn: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version of the open file; None when it has no `meta` table (not a workspace)."""
    has_meta = scalar(
        conn,
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'meta'",
    )
    if not has_meta:
        return None
    row = one(conn, "SELECT schema_version FROM meta")
    return None if row is None else int(row[0])


def apply(conn: duckdb.DuckDBPyConnection, migration: Migration, app_version: str) -> None:
    """Run one migration and record its version, all in one transaction (nothing on failure)."""
    with transaction(conn):
        conn.execute(migration.sql)
        conn.execute("UPDATE meta SET schema_version = ?, app_version = ?", [migration.version, app_version])


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → DuckDB type of `table`, in table order."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}
