"""PDF preview (PDFプレビュー): a PDF's pages rendered with pypdfium2, one at a time, fitted to the view.

The screen shows the very bytes that go to the printer (reportlab's output), not a re-drawing, so what
the clerk checks is what is printed. Pages are rendered on the GUI thread at the size they are shown
(an A4 page at screen size takes a few tens of milliseconds), again when the view is resized.
"""

from __future__ import annotations

import pypdfium2 as pdfium
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

FIT_PAGE, FIT_WIDTH = "page", "width"
FIT_CHOICES = {FIT_PAGE: "ページ全体", FIT_WIDTH: "幅に合わせる"}
MARGIN_PX = 12
"""Grey margin around the page, so its white edge is visible."""
RESIZE_DELAY_MS = 60
"""A window being dragged larger renders once it stops, not at every pixel."""


class PdfPreview(QWidget):
    """Page n/N with 前へ / 次へ, fitted to the whole page or to the width (then scrolled)."""

    def __init__(self, empty_text: str = "表示するPDFはありません。", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: pdfium.PdfDocument | None = None
        self._page = 0
        self._image = QImage()
        self.empty_text = empty_text
        self.previous_button = QPushButton("◀ 前へ")
        self.previous_button.clicked.connect(lambda: self.show_page(self._page - 1))
        self.next_button = QPushButton("次へ ▶")
        self.next_button.clicked.connect(lambda: self.show_page(self._page + 1))
        self.page_label = QLabel("")
        self.fit_combo = QComboBox()
        for key, label in FIT_CHOICES.items():
            self.fit_combo.addItem(label, key)
        self.fit_combo.currentIndexChanged.connect(lambda _i: self._render())
        bar = QHBoxLayout()
        bar.addWidget(self.previous_button)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.fit_combo)
        self.image_label = QLabel(empty_text)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setWordWrap(True)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.image_label)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setStyleSheet("QScrollArea { background: #8A8F96; } QScrollArea > QWidget > QWidget "
                                  "{ background: #8A8F96; color: white; }")
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.timeout.connect(self._render)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self._update_controls()

    def set_pdf(self, data: bytes | None, empty_text: str | None = None) -> None:
        """Show `data` from its first page; None clears the view and shows `empty_text` instead."""
        if self._document is not None:
            self._document.close()
            self._document = None
        if empty_text is not None:
            self.empty_text = empty_text
        self._page = 0
        if data:
            self._document = pdfium.PdfDocument(data)
        self._render()

    def page_count(self) -> int:
        return len(self._document) if self._document is not None else 0

    def current_page(self) -> int:
        """The page shown, counted from 0."""
        return self._page

    def show_page(self, index: int) -> None:
        """Show page `index` (from 0); out-of-range requests are ignored, as the buttons are then disabled."""
        if not 0 <= index < self.page_count() or index == self._page:
            return
        self._page = index
        self._render()

    def set_fit(self, fit: str) -> None:
        self.fit_combo.setCurrentIndex(list(FIT_CHOICES).index(fit))

    def image(self) -> QImage:
        """The page as last rendered (null when nothing is shown)."""
        return self._image

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._document is not None:
            self._resize_timer.start(RESIZE_DELAY_MS)

    def _render(self) -> None:
        self._update_controls()
        if self._document is None:
            self._image = QImage()
            self.image_label.setPixmap(QPixmap())
            self.image_label.setText(self.empty_text)
            return
        page = self._document[self._page]
        try:
            width_pt, height_pt = page.get_size()
            view = self.scroll.viewport().size()
            room_w, room_h = max(view.width() - 2 * MARGIN_PX, 50), max(view.height() - 2 * MARGIN_PX, 50)
            scale = room_w / width_pt
            if self.fit_combo.currentData() == FIT_PAGE:
                scale = min(scale, room_h / height_pt)
            ratio = self.devicePixelRatioF()
            bitmap = page.render(scale=scale * ratio, rev_byteorder=True, prefer_bgrx=True)
            try:
                pixels = bitmap.to_numpy()
                image = QImage(pixels.data, bitmap.width, bitmap.height, bitmap.stride,
                               QImage.Format.Format_RGBX8888).copy()
            finally:
                bitmap.close()
        finally:
            page.close()
        image.setDevicePixelRatio(ratio)
        self._image = image
        self.image_label.setText("")
        self.image_label.setPixmap(QPixmap.fromImage(image))

    def _update_controls(self) -> None:
        count = self.page_count()
        self.page_label.setText(f"{self._page + 1} / {count} ページ" if count else "")
        self.previous_button.setEnabled(self._page > 0)
        self.next_button.setEnabled(self._page + 1 < count)
        self.fit_combo.setEnabled(count > 0)
