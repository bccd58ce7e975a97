"""Small-cell suppression (少人数秘匿) of published tables, with complementary suppression (補完秘匿).

A count of 1–9 people is shown as 「<10」. Wherever a row or column has a total, hiding one cell is not
enough (total − the shown cells gives it back), so a second cell of that line is hidden too — the
smallest non-zero one, else the total itself — until no line has exactly one hidden cell. Zeros are never
hidden: a zero reveals nobody. The cut-off and marks live in resources/plan/publication.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisTable


@dataclass(frozen=True)
class SuppressionRules:
    """The publication cut-off: counts below `minimum` (and above 0) are hidden."""

    minimum: int
    primary_mark: str
    complementary_mark: str
    note: str


@cache
def load_rules() -> SuppressionRules:
    path = resources.files("dhdesk") / "resources" / "plan" / "publication.toml"
    return SuppressionRules(**tomllib.loads(path.read_text(encoding="utf-8"))["suppression"])


@dataclass(frozen=True)
class CountCells:
    """Where a table's counts are: count `columns`, the row of column totals (its label in the first
    column), the column of row totals, and `dependent` columns (rates, costs) hidden in a row where a
    count is hidden, since they would give the count back.

    A table laid out by rows (「該当者数」 and 「割合(%)」 rows under year columns) names its count rows
    with `count_rows`, a text found in their label cells; its other rows are hidden in a column where a
    count is hidden, unless `hide_other_rows` is off (rows of targets that no count gives back)."""

    columns: tuple[str, ...]
    total_row: str | None = None
    total_column: str | None = None
    dependent: tuple[str, ...] = ()
    count_rows: str = ""
    hide_other_rows: bool = True


def hidden_cells(values: np.ndarray, *, total_row: bool, total_column: bool, minimum: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(primary, complementary) masks over `values`, a matrix whose last row / last column hold totals
    when `total_row` / `total_column` say so."""
    values = np.nan_to_num(np.asarray(values, dtype="float64"))
    primary = (values >= 1) & (values < minimum)
    hidden = primary.copy()
    lines = []
    if total_column:
        lines += [(np.s_[r, :], values.shape[1] - 1) for r in range(values.shape[0])]
    if total_row:
        lines += [(np.s_[:, c], values.shape[0] - 1) for c in range(values.shape[1])]
    changed = True
    while changed:
        changed = False
        for line, total_at in lines:
            cells, shown = values[line], hidden[line]
            if shown.sum() != 1:
                continue
            candidates = np.flatnonzero(~shown & (cells > 0))
            body = candidates[candidates != total_at]
            pick = body[np.argmin(cells[body])] if len(body) else (total_at if not shown[total_at] else None)
            if pick is None:
                continue
            hidden[line][pick] = True
            changed = True
    return primary, hidden & ~primary


def suppress(table: AnalysisTable, cells: CountCells) -> AnalysisTable:
    """The table as published: hidden counts replaced by the marks, dependent cells of their rows by the
    complementary mark, and a note saying so (the table is returned unchanged when nothing is hidden)."""
    rules = load_rules()
    frame = table.table
    columns = [c for c in cells.columns if c in frame.columns]
    if cells.total_column in frame.columns and cells.total_column not in columns:
        columns.append(cells.total_column)
    elif cells.total_column in columns:
        columns.append(columns.pop(columns.index(cells.total_column)))
    if not columns:
        return table
    labels = frame.iloc[:, 0].astype("string").fillna("")
    order = np.arange(len(frame))
    if cells.count_rows:
        text = frame.drop(columns=columns).astype("string").fillna("")
        order = np.flatnonzero(text.apply(lambda c: c.str.contains(cells.count_rows, regex=False)).any(axis=1))
    has_total_row = cells.total_row is not None and bool((labels.to_numpy()[order] == cells.total_row).any())
    if has_total_row:
        total_at = int(np.flatnonzero(labels.to_numpy()[order] == cells.total_row)[0])
        order = np.append(np.delete(order, total_at), order[total_at])
    values = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")[order]
    primary, complementary = hidden_cells(values, total_row=has_total_row,
                                          total_column=cells.total_column in frame.columns,
                                          minimum=rules.minimum)
    if not (primary.any() or complementary.any()):
        return table
    out = frame.astype(object).copy()
    rows = order
    for j, column in enumerate(columns):
        position = out.columns.get_loc(column)
        out.iloc[rows[primary[:, j]], position] = rules.primary_mark
        out.iloc[rows[complementary[:, j]], position] = rules.complementary_mark
    touched = rows[(primary | complementary).any(axis=1)]
    for column in cells.dependent:
        if column in out.columns:
            out.iloc[touched, out.columns.get_loc(column)] = rules.complementary_mark
    if cells.count_rows and cells.hide_other_rows:
        others = np.setdiff1d(np.arange(len(out)), rows)
        for j, column in enumerate(columns):
            if (primary[:, j] | complementary[:, j]).any():
                out.iloc[others, out.columns.get_loc(column)] = rules.complementary_mark
    return replace(table, table=out, notes=(*table.notes, rules.note), member_ids={})
