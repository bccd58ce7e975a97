"""Editors of the 計画レポート screen (計画の文章の編集): passages, 健康課題, and the data sections' contents.

Each editor shows one part of a 年度's `PlanText` and hands back what the clerk wrote; the page
collects the parts (with the KPI targets of plan_kpi) into one PlanText and saves it through
services.plan. A passage equal to its draft is not stored, so the draft keeps following the
union's name and the 年度.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.plan import FigureBlock, Heading, PlanSection, TableBlock, Text
from dhdesk.core.plan.text import NarrativeItem, PlanText


def hint_label(text: str) -> QLabel:
    """A wrapped grey explanation under an editor (the page intro's look)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("pageIntro")
    return label


class NarrativeEditor(QWidget):
    """The passages of one section, each prefilled with its draft (「初期案に戻す」 puts the draft back)."""

    changed = Signal()

    def __init__(self, items: Sequence[NarrativeItem], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items = tuple(items)
        self.drafts: dict[str, str] = {}
        self.edits: dict[str, QPlainTextEdit] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for item in self.items:
            box = QGroupBox(item.heading)
            edit = QPlainTextEdit()
            edit.setMinimumHeight(110)
            edit.textChanged.connect(self.changed)
            reset = QPushButton("初期案に戻す")
            reset.clicked.connect(lambda _checked=False, key=item.key: self.reset(key))
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(reset)
            inner = QVBoxLayout(box)
            inner.addWidget(edit, 1)
            inner.addLayout(row)
            layout.addWidget(box, 1)
            self.edits[item.key] = edit

    def load(self, text: PlanText, fill: Mapping[str, str]) -> None:
        """Show the clerk's passages, or the drafts with the union's name and the 年度 filled in."""
        self.drafts = {item.key: item.draft.format(**fill) for item in self.items}
        for item in self.items:
            edit = self.edits[item.key]
            edit.blockSignals(True)
            edit.setPlainText(text.passage(item, **fill))
            edit.blockSignals(False)

    def clear(self) -> None:
        self.drafts = {}
        for edit in self.edits.values():
            edit.blockSignals(True)
            edit.clear()
            edit.blockSignals(False)

    def reset(self, key: str) -> None:
        self.edits[key].setPlainText(self.drafts.get(key, ""))

    def narrative(self) -> dict[str, str]:
        """The passages the clerk changed (a passage left as its draft is not stored)."""
        out = {}
        for key, edit in self.edits.items():
            written = edit.toPlainText().strip()
            if written and written != self.drafts.get(key, "").strip():
                out[key] = written
        return out


class IssuesEditor(QWidget):
    """健康課題: the clerk's list (edit, add, remove, reorder) and the data's suggestions to adopt."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chosen = QListWidget()
        self.chosen.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.chosen.model().rowsMoved.connect(lambda *_: self.changed.emit())
        self.chosen.itemChanged.connect(lambda _item: self.changed.emit())
        buttons = QHBoxLayout()
        for label, slot in (("追加", self.add_issue), ("削除", self.remove_selected),
                            ("上へ", lambda: self.move_selected(-1)), ("下へ", lambda: self.move_selected(1))):
            button = QPushButton(label)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        chosen_box = QGroupBox("計画に載せる健康課題（ダブルクリックで編集）")
        chosen_layout = QVBoxLayout(chosen_box)
        chosen_layout.addWidget(self.chosen, 1)
        chosen_layout.addLayout(buttons)
        chosen_layout.addWidget(hint_label("一覧が空のときは、データからの候補がそのまま計画に載ります。"))

        self.suggestions = QTableWidget(0, 3)
        self.suggestions.setHorizontalHeaderLabels(["課題の候補", "データから見た状況", "根拠"])
        self.suggestions.verticalHeader().setVisible(False)
        self.suggestions.setWordWrap(True)
        self.suggestions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.suggestions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.suggestions.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.suggestions.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(lambda *_: self.suggestions.resizeRowsToContents())
        self.adopt_button = QPushButton("選んだ候補を採用")
        self.adopt_button.clicked.connect(self.adopt_selected)
        self.suggestion_hint = hint_label("「集計する」を押すと、データから健康課題の候補を挙げます。")
        suggestion_box = QGroupBox("データからの候補")
        suggestion_layout = QVBoxLayout(suggestion_box)
        suggestion_layout.addWidget(self.suggestion_hint)
        suggestion_layout.addWidget(self.suggestions, 1)
        adopt_row = QHBoxLayout()
        adopt_row.addStretch(1)
        adopt_row.addWidget(self.adopt_button)
        suggestion_layout.addLayout(adopt_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(chosen_box)
        split.addWidget(suggestion_box)
        split.setChildrenCollapsible(False)
        split.setSizes([220, 360])
        layout.addWidget(split)
        self.set_suggestions(None)

    def load(self, issues: Sequence[str]) -> None:
        self.chosen.blockSignals(True)
        self.chosen.clear()
        for issue in issues:
            self._append(issue)
        self.chosen.blockSignals(False)

    def issues(self) -> tuple[str, ...]:
        texts = (self.chosen.item(row).text().strip() for row in range(self.chosen.count()))
        return tuple(text for text in texts if text)

    def set_suggestions(self, rows: Sequence[Sequence[str]] | None) -> None:
        """The plan's 「健康課題の候補」 rows (課題, 状況, 根拠の表番号); None before 集計."""
        self.suggestions.setRowCount(len(rows or ()))
        for r, row in enumerate(rows or ()):
            for c, text in enumerate(row):
                self.suggestions.setItem(r, c, QTableWidgetItem(str(text)))
        self.suggestions.resizeRowsToContents()
        self.suggestions.setVisible(bool(rows))
        self.adopt_button.setEnabled(bool(rows))
        if rows is None:
            self.suggestion_hint.setText("「集計する」を押すと、データから健康課題の候補を挙げます。")
        elif not rows:
            self.suggestion_hint.setText("この年度のデータでは、基準を超えた課題の候補はありません。")
        else:
            self.suggestion_hint.setText("候補を選んで「選んだ候補を採用」を押すと、上の一覧に加わります（採用後に書き換えられます）。")

    def adopt_selected(self) -> None:
        """Add the selected suggestions' titles that the list does not have yet."""
        present = set(self.issues())
        added = False
        for row in sorted({index.row() for index in self.suggestions.selectedIndexes()}):
            title = self.suggestions.item(row, 0).text()
            if title not in present:
                self._append(title)
                present.add(title)
                added = True
        if added:
            self.changed.emit()

    def add_issue(self) -> None:
        """A new empty line, open for typing (a line left empty is not kept)."""
        item = self._append("")
        self.chosen.setCurrentItem(item)
        self.chosen.editItem(item)
        self.changed.emit()

    def remove_selected(self) -> None:
        row = self.chosen.currentRow()
        if row >= 0:
            self.chosen.takeItem(row)
            self.changed.emit()

    def move_selected(self, step: int) -> None:
        row = self.chosen.currentRow()
        if row < 0 or not 0 <= row + step < self.chosen.count():
            return
        item = self.chosen.takeItem(row)
        self.chosen.insertItem(row + step, item)
        self.chosen.setCurrentRow(row + step)
        self.changed.emit()

    def _append(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.chosen.addItem(item)
        return item


class ContentsView(QWidget):
    """A data section (現状, 実施状況, 支援金): what it will contain, and after 集計 its headings, 図 and 表."""

    def __init__(self, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setWordWrap(True)
        self.hint = hint_label("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint_label(description))
        layout.addWidget(self.hint)
        layout.addWidget(self.tree, 1)
        self.show_section(None)

    def show_section(self, section: PlanSection | None) -> None:
        """The section's sub-headings with their figures and tables (None before 集計)."""
        self.tree.clear()
        self.tree.setVisible(section is not None)
        if section is None:
            self.hint.setText("この章はデータから自動で作られます。「集計する」を押すと、載る図表の一覧が出ます。")
            return
        self.hint.setText("この章に載る図表（データから自動で作られ、編集はできません）:")
        parent: QTreeWidgetItem | None = None
        for block in section.blocks:
            if isinstance(block, Heading):
                parent = QTreeWidgetItem([block.text])
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                self.tree.addTopLevelItem(parent)
                continue
            line = _contents_line(block)
            if line and parent is not None and not _continues(parent, line):
                parent.addChild(QTreeWidgetItem([line]))
        self.tree.expandAll()

    def lines(self) -> list[str]:
        """Every line of the contents, headings and their children in order (tests)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            out.append(top.text(0))
            out += [top.child(c).text(0) for c in range(top.childCount())]
        return out


def _contents_line(block: object) -> str:
    if isinstance(block, FigureBlock):
        return block.caption
    if isinstance(block, TableBlock):
        return block.caption.removesuffix(_split_suffix(block.caption))
    if isinstance(block, Text):
        return block.text.splitlines()[0] if block.text else ""
    return ""


def _split_suffix(caption: str) -> str:
    """「（1/2）」 of a table printed in column chunks (listed once)."""
    if caption.endswith("）") and "（" in caption:
        tail = caption[caption.rindex("（"):]
        if "/" in tail:
            return tail
    return ""


def _continues(parent: QTreeWidgetItem, line: str) -> bool:
    return parent.childCount() > 0 and parent.child(parent.childCount() - 1).text(0) == line
