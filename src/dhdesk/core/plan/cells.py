"""Cell text of a printed table (表の書式): 3桁区切り, 割合は小数1桁, 空欄は「－」, wide tables split.

The PDF prints these strings as they are, so number formatting is decided once, here.
"""

from __future__ import annotations

import math

import pandas as pd


MISSING = "－"
UNITS = ("円", "%", "平均")
MAX_FIGURE_COLUMNS = 7
"""An A4 portrait page fits about seven number columns beside the labels at a readable size."""


def cell_text(value: object, column: str) -> str:
    """One value as printed: 円 and counts with 3桁区切り, % and 平均 with one decimal, other fractions
    (扶養率) with up to two, blanks as 「－」."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "○" if value else ""
    number = float(value)
    if math.isinf(number):
        return MISSING
    if "%" in column or "平均" in column:
        return f"{number:,.1f}"
    if "円" in column:
        return f"{number:,.0f}"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def printed_order(frame: pd.DataFrame) -> tuple[list[str], int]:
    """The columns in print order and how many are labels: the first column, then every other text column
    (a 出典 or 判定 column reads as a label, not as a right-aligned figure), then the numbers.

    Judge on the table before suppression: 「<10」 turns a count column into text.
    """
    columns = [str(c) for c in frame.columns]
    text = [c for c in columns[1:] if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    numbers = [c for c in columns[1:] if c not in text]
    if not numbers:
        return columns, max(1, len(columns) - 1)
    return [columns[0], *text, *numbers], 1 + len(text)


def column_chunks(columns: list[str], labels: int) -> list[list[str]]:
    """`columns` in printable pieces: the label columns repeated, at most MAX_FIGURE_COLUMNS more each."""
    head, figures = columns[:labels], columns[labels:]
    if len(figures) <= MAX_FIGURE_COLUMNS:
        return [columns]
    pieces = math.ceil(len(figures) / MAX_FIGURE_COLUMNS)
    size = math.ceil(len(figures) / pieces)
    return [head + figures[i:i + size] for i in range(0, len(figures), size)]


def rows_text(frame: pd.DataFrame, columns: list[str], labels: int = 1) -> tuple[tuple[str, ...], ...]:
    """The rows of `columns` as printed text. A row's labels join the column name as the format context,
    so a table laid out by rows (「実施率(%)」 row under 年度 columns) prints its rates as rates."""
    values = frame[columns].astype(object).to_numpy()
    out = []
    for row in values:
        context = " ".join(str(v) for v in row[:labels] if isinstance(v, str))
        out.append(tuple(cell_text(v, c if i < labels or _has_unit(c) else f"{c} {context}")
                         for i, (v, c) in enumerate(zip(row, columns, strict=True))))
    return tuple(out)


def _has_unit(column: str) -> bool:
    return any(unit in column for unit in UNITS)
