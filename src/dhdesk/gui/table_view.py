"""The one look of every table (一覧) in the app: compact rows, zebra stripes, whole-row selection."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QTableView, QWidget


RESIZE_SAMPLE_ROWS = 200
"""Fitting columns to their contents looks at this many rows, not all 300,000."""


class DataTableView(QTableView):
    """A read-only table view; `fit_height()` sizes a short table (counts) to show every row."""

    def __init__(
        self,
        model: QAbstractItemModel,
        *,
        sortable: bool = True,
        row_numbers: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSortingEnabled(sortable)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(row_numbers)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setHighlightSections(False)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)

    def fit_height(self) -> None:
        """Exactly tall enough for the header and every row (no scroll bar for a handful of rows)."""
        rows = sum(self.rowHeight(r) for r in range(self.model().rowCount()))
        header = self.horizontalHeader().sizeHint().height()
        self.setFixedHeight(header + rows + 2 * self.frameWidth() + 2)
