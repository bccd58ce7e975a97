"""Opening a workspace file with DuckDB (offline settings, one opener per file: 排他制御) and reading rows.

DuckDB itself lets one process hold a file; inside one process it would silently share the open
database between callers, so this module also refuses a second open of the same file in-process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dhdesk.store.errors import NotAWorkspace, StoreError, WorkspaceLocked, WorkspaceNotFound

OFFLINE_CONFIG: dict[str, object] = {
    # Extensions outside the core build are downloaded on first use: fatal offline, so never.
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    # SQL never reads or writes files: Python hands frames to DuckDB as Arrow.
    "enable_external_access": False,
    # Bounded so pandas and Qt keep room on a 8 GB office PC; larger work spills to <file>.tmp.
    "memory_limit": "2GB",
    # Text leaves as Arrow large_string, the layout pandas keeps text in: no cast of every string on the way.
    "arrow_large_buffer_size": True,
    "lock_configuration": True,
}

_DUCKDB_MAGIC = b"DUCK"
_open_paths: set[Path] = set()
_open_paths_lock = threading.Lock()


def connect(path: Path, *, create: bool) -> duckdb.DuckDBPyConnection:
    """Open (or, with `create`, make) the DuckDB file at `path`, owning it until `disconnect`."""
    path = path.resolve()
    with _open_paths_lock:
        if path in _open_paths:
            raise WorkspaceLocked(path)
        if not create:
            _check_is_duckdb_file(path)
        try:
            conn = duckdb.connect(str(path), config=OFFLINE_CONFIG)
        except duckdb.IOException as exc:
            raise _translate_open_error(path, exc) from exc
        _open_paths.add(path)
    return conn


def reconnect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open again a file this process still owns but closed for a moment (to copy it)."""
    try:
        return duckdb.connect(str(path.resolve()), config=OFFLINE_CONFIG)
    except duckdb.IOException as exc:
        raise _translate_open_error(path, exc) from exc


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open another workspace file (a backup) read-only to look inside it; the caller closes it."""
    path = path.resolve()
    _check_is_duckdb_file(path)
    try:
        return duckdb.connect(str(path), read_only=True, config=OFFLINE_CONFIG)
    except duckdb.IOException as exc:
        raise _translate_open_error(path, exc) from exc


def disconnect(path: Path, conn: duckdb.DuckDBPyConnection | None) -> None:
    """Close `conn` (if still open) and let `path` be opened again."""
    try:
        if conn is not None:
            conn.close()
    finally:
        with _open_paths_lock:
            _open_paths.discard(path.resolve())


def _check_is_duckdb_file(path: Path) -> None:
    """Refuse before DuckDB touches the file: it would silently initialise an empty one.

    Only for a file this process does not hold: on POSIX, closing any handle of a file drops every
    lock the process has on it, so reading a held workspace would silently unlock it.
    """
    if not path.is_file():
        raise WorkspaceNotFound(path)
    with path.open("rb") as handle:
        header = handle.read(12)
    if header[8:12] != _DUCKDB_MAGIC:
        raise NotAWorkspace(path, "DuckDB header missing")


def _translate_open_error(path: Path, exc: duckdb.IOException) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        match = re.search(r"PID (\d+)", text)
        return WorkspaceLocked(path, int(match.group(1)) if match else None, text)
    if "not a valid DuckDB database" in text:
        return NotAWorkspace(path, text)
    return StoreError(f"ワークスペースを開けませんでした。\n{path}", text)


def one(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple | None:
    """The first row of `sql`, reading the result to its end.

    DuckDB 2.0 refuses `conn.sql()` while an `execute()` result is only partly fetched, so the
    store never leaves one behind (no bare `.fetchone()`).
    """
    rows = conn.execute(sql, params).fetchall()
    return rows[0] if rows else None


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> int:
    """The integer in the first column of the first row (0 when there is no row or it is NULL)."""
    row = one(conn, sql, params)
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back (and the error raised) when it fails."""
    conn.begin()
    try:
        yield
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
