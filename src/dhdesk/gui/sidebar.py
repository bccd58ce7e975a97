"""The navigation sidebar (メニュー): one entry per screen, in the order a clerk works."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget


class Sidebar(QListWidget):
    """A fixed-width list of screen titles; `currentRowChanged` drives the page stack."""

    def __init__(self, titles: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setFixedWidth(240)
        self.setUniformItemSizes(True)
        for title in titles:
            item = QListWidgetItem(title)
            item.setSizeHint(QSize(230, 44))
            self.addItem(item)
        self.setCurrentRow(0)

    def titles(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]
