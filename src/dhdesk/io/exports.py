"""Tables the clerk exports on purpose: CSV that Excel on Windows opens correctly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_csv(table: pd.DataFrame, path: Path, *, encoding: str = "utf-8-sig") -> Path:
    """Write `table` as CSV (UTF-8 with BOM by default, so Excel shows the Japanese headers); CRLF rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    table.to_csv(temporary, index=False, encoding=encoding, lineterminator="\r\n")
    temporary.replace(path)
    return path
