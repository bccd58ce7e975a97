"""抽出の設定: a program's parameters, this run's values beside the rule file's default, the office's own
default and the source, and saving this run's values as the office default.

The values start as the office's (the rule file's default unless the office changed it); what the
clerk edits here is used by the next run only, until 「事務所の既定として保存」.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.programs import Parameter
from dhdesk.gui.pages.base import scrolling
from dhdesk.services import programs

CONFIDENCE = {"OK": "公的文書で確認", "2nd": "二次資料のみ", "NC": "出典未確認（慣行の値）"}
"""The rule files' confidence codes in the clerk's words."""
HEADERS = ("設定", "今回の値", "単位", "ルールの既定値", "事務所の既定", "出典")
SPIN_MAX = 100_000


def value_text(value: Any) -> str:
    """A parameter value as the clerk reads it (はい/いいえ, lists joined with 、)."""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def editor_for(parameter: Parameter, value: Any) -> QWidget:
    """An input shaped like the default: check box, whole-number or decimal spin box, choice list, text."""
    default = parameter.default
    if isinstance(default, bool):
        editor: QWidget = QCheckBox()
        editor.setChecked(bool(value))
    elif isinstance(default, int):
        editor = QSpinBox()
        editor.setRange(0, SPIN_MAX)
        editor.setValue(int(value))
    elif isinstance(default, float):
        editor = QDoubleSpinBox()
        editor.setRange(0.0, float(SPIN_MAX))
        editor.setDecimals(2)
        editor.setValue(float(value))
    elif parameter.choices:
        editor = QComboBox()
        editor.addItems(list(parameter.choices))
        editor.setCurrentText(str(value))
    else:
        editor = QLineEdit(value_text(value))
    return editor


def editor_value(parameter: Parameter, editor: QWidget) -> Any:
    """The typed value an editor holds (the same type as the parameter's default)."""
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
        return editor.value()
    if isinstance(editor, QComboBox):
        return editor.currentText()
    text = editor.text().strip()  # type: ignore[attr-defined]
    if isinstance(parameter.default, list):
        return [item.strip() for item in text.replace("、", ",").split(",") if item.strip()]
    return text


def notes_html(parameters: list[Parameter]) -> str:
    """Each parameter's note and how sure its default is (確からしさ), one paragraph per parameter."""
    return "".join(
        f"<p style='margin:0 0 4px 0'><b>{escape(p.label)}</b>: {escape(p.note or '（説明なし）')}"
        + (f"　<span style='color:#666'>（{escape(CONFIDENCE.get(p.confidence, p.confidence))}）</span>"
           if p.confidence else "") + "</p>"
        for p in parameters
    )


class ParametersPanel(QWidget):
    """The parameters of one program (the month of a monthly program is chosen above, not here)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = None
        self.program_id: str | None = None
        self._editors: dict[str, tuple[Parameter, QWidget]] = {}
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        self.table.horizontalHeader().setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.save_button = QPushButton("事務所の既定として保存")
        self.save_button.setToolTip("今回の値を、このワークスペースの次回以降の既定にします")
        self.save_button.clicked.connect(self.save_office_defaults)
        self.reset_button = QPushButton("ルールの既定値に戻す")
        self.reset_button.clicked.connect(self.reset_to_rule_defaults)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.status_label, 1)
        note = QLabel("ここで変えた値は次の「抽出する」で使われます。各設定の意味は下の「設定の説明」にあります。")
        note.setWordWrap(True)
        self.notes_label = QLabel("")
        self.notes_label.setWordWrap(True)
        self.notes_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        notes_box = QGroupBox("設定の説明")
        QVBoxLayout(notes_box).addWidget(scrolling(self.notes_label))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(note)
        layout.addWidget(self.table, 3)
        layout.addLayout(buttons)
        layout.addWidget(notes_box, 2)
        self.set_program(None, None)

    def set_program(self, workspace, program_id: str | None) -> None:
        """Show `program_id`'s parameters with the office's values (nothing without a workspace)."""
        self.workspace, self.program_id = workspace, program_id
        self._editors = {}
        self.table.setRowCount(0)
        self.status_label.setText("")
        self.notes_label.setText("")
        enabled = workspace is not None and program_id is not None
        self.save_button.setEnabled(enabled)
        self.reset_button.setEnabled(enabled)
        if not enabled:
            return
        program = programs.get_program(program_id)
        office = program.resolve(programs.office_parameters(workspace, program_id))
        changed = {d.parameter.name: d.value for d in programs.parameter_differences(workspace, program_id)}
        shown = [p for p in program.parameters if p.name != programs.MONTH_PARAMETER]
        self.table.setRowCount(len(shown))
        for row, parameter in enumerate(shown):
            editor = editor_for(parameter, office[parameter.name])
            self._editors[parameter.name] = (parameter, editor)
            office_text = value_text(changed[parameter.name]) if parameter.name in changed else "ルールどおり"
            cells = (parameter.label, None, parameter.unit, value_text(parameter.default), office_text,
                     parameter.source)
            tip = parameter.note
            for column, text in enumerate(cells):
                if text is None:
                    continue
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.table.setItem(row, column, item)
            self.table.setCellWidget(row, 1, editor)
        self.table.resizeColumnsToContents()
        self.notes_label.setText(notes_html(shown))

    def values(self) -> dict[str, Any]:
        """This run's parameters as typed values (only the ones shown here)."""
        return {name: editor_value(parameter, editor) for name, (parameter, editor) in self._editors.items()}

    def set_value(self, name: str, value: Any) -> None:
        """Put `value` in one parameter's editor, as the clerk would (tests and scripts)."""
        parameter, _old = self._editors[name]
        editor = editor_for(parameter, value)
        self._editors[name] = (parameter, editor)
        row = [p.name for p, _e in self._editors.values()].index(name)
        self.table.setCellWidget(row, 1, editor)

    def save_office_defaults(self) -> None:
        if self.workspace is None or self.program_id is None:
            return
        programs.set_office_parameters(self.workspace, self.program_id, self.values())
        count = len(programs.parameter_differences(self.workspace, self.program_id))
        self.set_program(self.workspace, self.program_id)
        self.status_label.setText(f"事務所の既定として保存しました（ルールの既定値と違う設定: {count}件）。")

    def reset_to_rule_defaults(self) -> None:
        """Editors back to the rule file's defaults (the office default is kept until saved)."""
        for name, (parameter, _editor) in list(self._editors.items()):
            self.set_value(name, parameter.default)
        self.status_label.setText("ルールの既定値に戻しました（事務所の既定は「保存」するまで変わりません）。")

    def row_texts(self, row: int) -> list[str]:
        """The texts of one row as shown (the editor column as its value), for tests."""
        name = list(self._editors)[row]
        parameter, editor = self._editors[name]
        return [value_text(editor_value(parameter, editor)) if column == 1 else self.table.item(row, column).text()
                for column in range(len(HEADERS))]
