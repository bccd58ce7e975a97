"""The mapping step of the import wizard (列の対応づけ): each column of a file, the field it feeds, how sure.

The clerk sees every column with a few sample values and the field proposed for it (from a saved preset,
the layout's labels or the synonym table), changes what is wrong, and may keep the result as a preset for
the next file from the same sender. Required fields that no column feeds are shown in red and block 取込.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.issues import Severity
from dhdesk.services import imports

IGNORE = "取り込まない"
NEEDS_LOOK = "要確認"
MANUAL = "手動で指定"
CONFIDENCE_TEXT = {"exact": "自動", "preset": "自動（プリセット）", "synonym": NEEDS_LOOK, "manual": MANUAL}
"""How sure the proposal is, in the clerk's words: anything below an exact label is worth a look."""

SAMPLES_SHOWN = 3
LOOK_COLOUR = QColor("#fff1cc")
HEADERS = ("ファイルの列", "取り込む項目", "確かさ", "見本（先頭の行）")


@dataclass
class ImportEntry:
    """One file the clerk chose: what inspecting it found, and the mapping being confirmed for it."""

    plan: imports.ImportPlan
    mapping: imports.ColumnMapping | None = None
    ignored: set[str] = field(default_factory=set)
    edited: bool = False
    save_as: str | None = None

    @classmethod
    def of(cls, plan: imports.ImportPlan) -> ImportEntry:
        return cls(plan, plan.mapping)

    @property
    def path(self) -> Path:
        return self.plan.path

    @property
    def kind(self) -> str | None:
        return self.plan.kind

    @property
    def preset(self) -> str | None:
        """The matched preset, as long as the clerk kept its mapping unchanged."""
        return None if self.edited else self.plan.preset

    def blocked(self) -> str | None:
        """Why this file cannot be imported yet (None: it can)."""
        if self.kind is None:
            return "種類を判別できません。種類を選んでください。"
        unreadable = [i for i in self.plan.issues if i.severity is Severity.ERROR]
        if unreadable:
            return unreadable[0].message
        if self.mapping is not None and self.mapping.missing_required:
            labels = "、".join(f.label for f in self.mapping.missing_required)
            return f"必須の項目に対応する列がありません: {labels}。「取り込む項目」で選んでください。"
        if self.save_as is not None and not self.save_as.strip():
            return "保存する対応の名前を入力してください。"
        return None

    def to_check(self) -> int:
        """Columns the clerk should look at: proposed from a synonym, or left without a field."""
        if self.mapping is None:
            return 0
        return sum(1 for h in self.mapping.headers if confidence_text(self, h) == NEEDS_LOOK)


def confidence_text(entry: ImportEntry, header: str) -> str:
    mapping = entry.mapping
    if mapping is None:
        return ""
    if header in mapping.confidence:
        return CONFIDENCE_TEXT[mapping.confidence[header].value]
    return MANUAL if header in entry.ignored else NEEDS_LOOK


def sample_text(samples: pd.DataFrame, header: str) -> str:
    """The first few non-blank values of a column, as the file has them."""
    if header not in samples.columns or isinstance(samples[header], pd.DataFrame):
        return ""
    values = [str(v) for v in samples[header] if pd.notna(v) and str(v).strip()]
    return "、".join(values[:SAMPLES_SHOWN])


def suggested_preset_name(path: Path) -> str:
    """「みなと健診センター_令和6年度.csv」 → 「みなと健診センター」: senders name files after themselves."""
    return Path(path).stem.split("_")[0]


class _FieldCombo(QComboBox):
    """A field chooser that ignores the wheel unless focused: scrolling the table must not remap columns."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class MappingPanel(QWidget):
    """Shows and edits one ImportEntry's mapping in place; `changed` fires after every edit by the clerk,
    `sheet_chosen` when the clerk picks another sheet of a workbook (the page reads the file again)."""

    changed = Signal()
    sheet_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: ImportEntry | None = None
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.sheet_combo = QComboBox()
        self.sheet_combo.activated.connect(lambda _index: self.sheet_chosen.emit(self.sheet_combo.currentText()))
        self.sheet_label = QLabel("シート")
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet_combo)
        self.missing_label = QLabel("")
        self.missing_label.setWordWrap(True)
        self.missing_label.setProperty("role", "error")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.save_check = QCheckBox("この対応を保存")
        self.save_check.toggled.connect(self._save_toggled)
        self.save_name = QLineEdit()
        self.save_name.setPlaceholderText("名前（例: ○○健診センター）")
        self.save_name.textChanged.connect(self._save_name_edited)
        save_hint = QLabel("同じ見出しのファイルは、次回から自動でこの対応になります。")
        save_hint.setObjectName("pageIntro")
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_check)
        save_row.addWidget(self.save_name, 1)
        save_row.addWidget(save_hint, 2)
        self.save_box = QWidget()
        self.save_box.setLayout(save_row)
        save_row.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.save_box)
        self.show_entry(None)

    def show_entry(self, entry: ImportEntry | None) -> None:
        """Fill the table for `entry` (None: nothing chosen yet)."""
        for row in range(self.table.rowCount()):
            self.table.cellWidget(row, 1).blockSignals(True)  # a combo being destroyed must not remap the next file
        self.entry = entry
        mapping = entry.mapping if entry else None
        self.table.setRowCount(0)
        self.table.setVisible(mapping is not None)
        self.save_box.setVisible(mapping is not None)
        if entry is None:
            self._set_status("取り込むファイルを選ぶと、ここに列と取り込む項目の対応が表示されます。", "missing")
        elif mapping is None:
            self._set_status(self._fixed_layout_text(entry), "ok" if entry.blocked() is None else "error")
        else:
            self._fill(entry, mapping)
            self._set_status(self._mapping_text(entry), "ok" if entry.preset else "missing")
            self.save_check.blockSignals(True)
            self.save_check.setChecked(entry.save_as is not None)
            self.save_check.blockSignals(False)
            self.save_name.setText(entry.save_as if entry.save_as is not None else suggested_preset_name(entry.path))
            self.save_name.setEnabled(entry.save_as is not None)
        self._show_sheets(entry)
        self._show_missing()

    def combo_for(self, header: str) -> QComboBox:
        """The field chooser of `header`'s row."""
        row = self.entry.mapping.headers.index(header)
        return self.table.cellWidget(row, 1)

    def choose(self, header: str, field_name: str | None) -> None:
        """Point `header` at `field_name` (None: 取り込まない), as the clerk does with the combo."""
        combo = self.combo_for(header)
        combo.setCurrentIndex(combo.findData(field_name) if field_name else 0)

    def _fill(self, entry: ImportEntry, mapping: imports.ColumnMapping) -> None:
        self.table.setRowCount(len(mapping.headers))
        for row, header in enumerate(mapping.headers):
            self.table.setItem(row, 0, QTableWidgetItem(header))
            combo = self._field_combo(mapping)
            combo.setCurrentIndex(max(combo.findData(mapping.assigned.get(header)), 0))
            combo.currentIndexChanged.connect(partial(self._chosen, row))
            self.table.setCellWidget(row, 1, combo)
            self.table.setItem(row, 2, QTableWidgetItem())
            self.table.setItem(row, 3, QTableWidgetItem(sample_text(entry.plan.samples, header)))
            self._show_confidence(row, header)

    @staticmethod
    def _field_combo(mapping: imports.ColumnMapping) -> QComboBox:
        combo = _FieldCombo()
        combo.addItem(IGNORE, None)
        for f in mapping.layout.fields:
            combo.addItem(f"{f.label}（必須）" if f.required else f.label, f.name)
        combo.setMaxVisibleItems(20)
        return combo

    def _chosen(self, row: int, _index: int) -> None:
        """The clerk picked a field for the column in `row` (a partial, not a lambda holding the combo:
        the combos are rebuilt for every file and must not be kept alive by reference cycles)."""
        entry = self.entry
        header = entry.mapping.headers[row]
        field_name = self.table.cellWidget(row, 1).currentData()
        entry.mapping = entry.mapping.assign(header, field_name)
        entry.edited = True
        if field_name is None:
            entry.ignored.add(header)
        else:
            entry.ignored.discard(header)
        for position, other in enumerate(entry.mapping.headers):
            combo = self.table.cellWidget(position, 1)
            wanted = max(combo.findData(entry.mapping.assigned.get(other)), 0)
            if combo.currentIndex() != wanted:
                combo.blockSignals(True)
                combo.setCurrentIndex(wanted)
                combo.blockSignals(False)
            self._show_confidence(position, other)
        self._set_status(self._mapping_text(entry), "missing")
        self._show_missing()
        self.changed.emit()

    def _show_confidence(self, row: int, header: str) -> None:
        item = self.table.item(row, 2)
        text = confidence_text(self.entry, header)
        item.setText(text)
        item.setBackground(QBrush(LOOK_COLOUR) if text == NEEDS_LOOK else QBrush())

    def _show_sheets(self, entry: ImportEntry | None) -> None:
        """A workbook with several sheets: which one is read (the reader's best guess until the clerk picks)."""
        sheets = entry.plan.sheets if entry else ()
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(list(sheets))
        self.sheet_combo.setCurrentText((entry.plan.sheet or "") if entry else "")
        self.sheet_combo.blockSignals(False)
        self.sheet_combo.setVisible(len(sheets) > 1)
        self.sheet_label.setVisible(len(sheets) > 1)

    def _show_missing(self) -> None:
        reason = self.entry.blocked() if self.entry else None
        self.missing_label.setText(reason or "")
        self.missing_label.setVisible(bool(reason))

    def _save_toggled(self, checked: bool) -> None:
        if self.entry is None:
            return
        self.entry.save_as = self.save_name.text() if checked else None
        self.save_name.setEnabled(checked)
        self._show_missing()
        self.changed.emit()

    def _save_name_edited(self, text: str) -> None:
        if self.entry is not None and self.save_check.isChecked():
            self.entry.save_as = text
            self._show_missing()
            self.changed.emit()

    @staticmethod
    def _mapping_text(entry: ImportEntry) -> str:
        where = f"（{entry.plan.header_row} 行目が見出し）" if entry.plan.header_row else ""
        if entry.preset:
            first = f"取込プリセット「{entry.preset}」の対応を使っています{where}。"
        else:
            first = f"見出しから取り込む項目を推定しました{where}。"
        look = entry.to_check()
        return first + (f"「{NEEDS_LOOK}」の {look} 列を確かめてください。" if look else "すべての列の対応が決まっています。")

    @staticmethod
    def _fixed_layout_text(entry: ImportEntry) -> str:
        if entry.kind is None:
            return "このファイルの種類を判別できませんでした。上の「種類」で選んでください。"
        return (f"{imports.KINDS[entry.kind]}のこの形式（特定健診XML・レセ電・レセプトCSV・医薬品リストなど）は"
                "項目が決まっているため、列の対応づけは要りません。")

    def _set_status(self, text: str, role: str) -> None:
        self.status_label.setText(text)
        self.status_label.setProperty("role", role)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
