"""Chart view (グラフ表示): a matplotlib Figure from `dhdesk.reports.figures` on the screen.

The figures module draws with matplotlib's object API, so the PDF and the screen share one drawing;
here the Figure is put on a `FigureCanvasQTAgg` (matplotlib picks PySide6, the binding already
imported). A figure belongs to one canvas at a time: a new figure replaces the old canvas.
"""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

MIN_SIZE_PX = (200, 160)
"""Small enough for a splitter to shrink the chart; matplotlib would ask for the figure's full size."""


class ChartView(QWidget):
    """One chart, or a short sentence saying why there is none."""

    def __init__(self, empty_text: str = "グラフはありません。", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas: FigureCanvasQTAgg | None = None
        self.placeholder = QLabel(empty_text)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.placeholder)

    def set_figure(self, figure: Figure | None, empty_text: str | None = None) -> None:
        """Show `figure`; None shows `empty_text` (or the previous sentence) instead."""
        if self.canvas is not None:
            self._layout.removeWidget(self.canvas)
            self.canvas.deleteLater()
            self.canvas = None
        if empty_text is not None:
            self.placeholder.setText(empty_text)
        self.placeholder.setVisible(figure is None)
        if figure is None:
            return
        self.canvas = FigureCanvasQTAgg(figure)
        self.canvas.setMinimumSize(*MIN_SIZE_PX)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._layout.addWidget(self.canvas, 1)

    def figure(self) -> Figure | None:
        return self.canvas.figure if self.canvas is not None else None
