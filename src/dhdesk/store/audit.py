"""The audit log (操作履歴): who did what to the workspace, written in the same transaction as the act."""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from datetime import datetime

import duckdb


def actor() -> str:
    """The OS user name of whoever runs dhdesk (the clerk's Windows login)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "不明"


def record(conn: duckdb.DuckDBPyConnection, action: str, detail: Mapping[str, object]) -> None:
    """Append one entry; dates and paths in `detail` are written as text."""
    conn.execute(
        "INSERT INTO audit_log (ts, actor, action, detail) VALUES (?, ?, ?, ?)",
        [datetime.now(), actor(), action, json.dumps(dict(detail), ensure_ascii=False, default=str)],
    )
