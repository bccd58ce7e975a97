"""ホーム: what the open workspace holds, what to do next, and the way in (新規作成・開く・サンプル)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.services import workspaces


class HomePage(Page):
    """The dashboard; every number comes from `workspaces.home_summary`."""

    title = "ホーム"
    explanation = (
        "健診・レセプト・加入者台帳のファイルを取り込み、保健指導の対象者の抽出、通知の発送、"
        "計画レポートの作成までを、このパソコンの中だけで行います。"
    )

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        buttons = QHBoxLayout()
        for text, action in (
            ("新規作成", context.actions.new_workspace),
            ("開く", context.actions.open_workspace),
            ("サンプルデータで試す", context.actions.try_demo),
        ):
            button = QPushButton(text)
            button.setProperty("big", True)
            button.clicked.connect(action.trigger)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.union_label = QLabel()
        self.union_label.setWordWrap(True)
        self.union_label.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.counts_box = QGroupBox("このワークスペースの内容")
        self.counts_grid = QGridLayout(self.counts_box)
        self.counts_grid.setHorizontalSpacing(32)
        self.next_box = QGroupBox("次にすること")
        self.next_label = QLabel()
        self.next_label.setWordWrap(True)
        self.next_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        next_layout = QVBoxLayout(self.next_box)
        next_layout.addWidget(self.next_label)
        next_layout.addStretch(1)
        column = self.body
        column.addLayout(buttons)
        column.addSpacing(12)
        column.addWidget(self.union_label)
        row = QHBoxLayout()
        row.addWidget(self.counts_box, 2)
        row.addWidget(self.next_box, 3)
        column.addLayout(row)
        column.addStretch(1)

    def refresh(self) -> None:
        ws = self.workspace
        self._clear_counts()
        if ws is None:
            self.union_label.setText("ワークスペースが開かれていません。")
            self.counts_box.hide()
            self.next_label.setText(
                "<ol><li style='margin-bottom: 6px'>はじめての方は「サンプルデータで試す」で架空の組合のデータを作り、"
                "操作を確かめられます。</li>"
                "<li style='margin-bottom: 6px'>実際の組合で使うときは「新規作成」で組合の名称・保険者番号・住所を"
                "入力し、ワークスペースを作ります。</li>"
                "<li style='margin-bottom: 6px'>作成済みのワークスペース(.dhdesk)は「開く」から選びます。</li></ol>"
            )
            return
        summary = workspaces.home_summary(ws)
        union = summary.union
        self.union_label.setText(f"{union.name}(保険者番号 {union.insurer_number}・{union.union_type.value})")
        self.counts_box.show()
        for row, (label, value) in enumerate(summary.counts):
            self.counts_grid.addWidget(QLabel(label), row, 0)
            number = QLabel(value)
            number.setStyleSheet("font-weight: bold;")
            number.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.counts_grid.addWidget(number, row, 1)
        steps = "".join(f"<li style='margin-bottom: 6px'>{escape(step)}</li>" for step in summary.next_steps)
        self.next_label.setText(f"<ol>{steps}</ol>" if steps else "必要な準備はすべて済んでいます。")

    def count_rows(self) -> list[tuple[str, str]]:
        """The (label, value) pairs currently shown (for tests and screenshots)."""
        grid = self.counts_grid
        return [
            (grid.itemAtPosition(r, 0).widget().text(), grid.itemAtPosition(r, 1).widget().text())
            for r in range(grid.rowCount())
            if grid.itemAtPosition(r, 0) is not None
        ]

    def _clear_counts(self) -> None:
        while self.counts_grid.count():
            item = self.counts_grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
