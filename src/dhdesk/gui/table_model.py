"""A thin table model (一覧表) over a pandas DataFrame, one ColumnSpec per shown column.

Only visible cells are asked for, so a 100k-row frame shows at once. Values are formatted for a
clerk: dates as yyyy-mm-dd, missing values blank, numbers right-aligned. Sorting is done by pandas
on the whole frame (vectorised), not cell by cell through a proxy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from dhdesk.core.fields import Choice, Kind, Layout

Formatter = Callable[[object], str]
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def format_value(value: object) -> str:
    """Default cell text: blank for NA, yyyy-mm-dd for dates, whole floats without '.0'."""
    if is_missing(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.10g}"
    return str(value)


def format_count(value: object) -> str:
    """Counts with thousands separators (2,710件 reads faster than 2710)."""
    return "" if is_missing(value) else f"{int(value):,}"


def code_formatter(labels: Mapping[int, str]) -> Formatter:
    """Cell text for a stored code: its label (1 → 男), the code itself when unknown, blank when NA."""

    def format_code(value: object) -> str:
        return "" if is_missing(value) else labels.get(int(value), str(value))

    return format_code


format_sex = code_formatter({1: "男", 2: "女"})


@dataclass(frozen=True)
class ColumnSpec:
    """How one DataFrame column is shown: header (Japanese), text of a cell, alignment."""

    column: str
    label: str
    formatter: Formatter = format_value
    alignment: Qt.AlignmentFlag = _LEFT


def specs_for(frame: pd.DataFrame) -> list[ColumnSpec]:
    """A spec per column, header = column name (the services already name columns in Japanese)."""
    specs = []
    for name, dtype in frame.dtypes.items():
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        specs.append(ColumnSpec(str(name), str(name), format_value, _RIGHT if numeric else _LEFT))
    return specs


def layout_specs(frame: pd.DataFrame, layout: Layout) -> list[ColumnSpec]:
    """Specs for a frame headed by `layout`'s labels: codes shown as their labels (性別 男/女, はい/いいえ)."""
    fields = layout.by_label()
    specs = []
    for spec in specs_for(frame):
        field = fields.get(spec.column)
        if field is not None and field.kind is Kind.SEX:
            spec = replace(spec, formatter=format_sex, alignment=_LEFT)
        elif field is not None and field.choices:
            spec = replace(spec, formatter=code_formatter(_labels(field.choices)), alignment=_LEFT)
        specs.append(spec)
    return specs


def _labels(choices: tuple[Choice, ...]) -> dict[int, str]:
    return {c.code: c.label for c in choices}


class DataFrameModel(QAbstractTableModel):
    """Shows `frame` through `columns` (all columns when none are given). Read-only."""

    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        columns: Sequence[ColumnSpec] | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self._frame = pd.DataFrame()
        self._specs: list[ColumnSpec] = []
        self._arrays: list = []
        self.set_frame(frame if frame is not None else pd.DataFrame(), columns)

    @property
    def frame(self) -> pd.DataFrame:
        """The frame in its current (possibly sorted) row order."""
        return self._frame

    @property
    def specs(self) -> list[ColumnSpec]:
        return list(self._specs)

    def set_frame(self, frame: pd.DataFrame, columns: Sequence[ColumnSpec] | None = None) -> None:
        self.beginResetModel()
        self._frame = frame.reset_index(drop=True)
        self._specs = list(columns) if columns is not None else specs_for(frame)
        self._arrays = [self._frame[spec.column].array for spec in self._specs]
        self.endResetModel()

    def row(self, row: int) -> pd.Series:
        """One row of the frame as shown at `row` (for a selection → detail view)."""
        return self._frame.iloc[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._specs)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        spec = self._specs[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.formatter(self._arrays[index.column()][index.row()])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(spec.alignment.value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._specs[section].label
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Stable sort of the whole frame by one column; blanks always last. Clears the selection."""
        if not 0 <= column < len(self._specs):
            return
        ordered = self._frame.sort_values(
            self._specs[column].column,
            ascending=order == Qt.SortOrder.AscendingOrder,
            kind="stable",
            na_position="last",
        )
        self.set_frame(ordered, self._specs)
