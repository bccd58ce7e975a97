"""設定 → 判定基準: every threshold of the shipped rule sets, official beside office value (事務所設定)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.rules import RuleSetError
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import rulesets

THRESHOLD_COLUMNS = (
    ColumnSpec("overridden", "変更", lambda v: "●" if v else ""),
    ColumnSpec("label", "項目"),
    ColumnSpec("comparison", "比較"),
    ColumnSpec("official", "公式の値"),
    ColumnSpec("value", "事務所の値"),
    ColumnSpec("reason", "変更の理由"),
    ColumnSpec("changed_at", "変更日時", lambda v: str(v).replace("T", " ")[:16]),
    ColumnSpec("confidence", "確度"),
    ColumnSpec("source", "出典"),
    ColumnSpec("threshold_id", "ID"),
)


class RulesSettingsBox(QGroupBox):
    """Choose a rule set, select a threshold, give the office value and the reason, or 既定に戻す.

    Emits `changed` after every stored change, so results judged with the old values can be dropped.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("判定基準(このワークスペースの事務所設定)", parent)
        self._workspace = None
        self.rule_combo = QComboBox()
        for rules in rulesets.editable_rule_sets():
            years = f"{rules.first_fiscal_year}〜{rules.last_fiscal_year}年度"
            self.rule_combo.addItem(f"{rules.title}（{rules.id} 版 {rules.version}・{years}）", rules.id)
        self.rule_combo.currentIndexChanged.connect(self._show_rule_set)
        self.model = DataFrameModel(columns=())
        self.view = DataTableView(self.model, sortable=False)
        self.view.setMinimumHeight(260)
        self.view.selectionModel().currentRowChanged.connect(self._show_selected)
        self.differences_label = QLabel("")
        self.differences_label.setWordWrap(True)
        self.selected_label = QLabel("項目を選んでください。")
        self.selected_label.setWordWrap(True)
        self.value_edit = QLineEdit()
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("例: 組合の保健事業計画で対象を絞るため")
        self.save_button = QPushButton("事務所の値を保存")
        self.save_button.clicked.connect(self.save_override)
        self.reset_button = QPushButton("既定に戻す")
        self.reset_button.clicked.connect(self.reset_override)
        self.message = QLabel("")
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("選択中", self.selected_label)
        form.addRow("事務所の値", self.value_edit)
        form.addRow("理由", self.reason_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "公式の基準と違う値を使うときは、項目を選んで値と理由を入力します。変更した値は判定結果・理由・"
            "出力に「事務所設定」として公式の値と並べて表示されます。"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.rule_combo)
        layout.addWidget(self.view)
        layout.addWidget(self.differences_label)
        layout.addLayout(form)
        layout.addLayout(buttons)

    @property
    def rule_id(self) -> str:
        return self.rule_combo.currentData()

    def set_workspace(self, workspace) -> None:
        self._workspace = workspace
        self._show_rule_set()

    def select_threshold(self, threshold_id: str) -> None:
        """Select the row of `threshold_id` (no row when unknown)."""
        ids = list(self.model.frame["threshold_id"]) if "threshold_id" in self.model.frame else []
        if threshold_id in ids:
            self.view.selectRow(ids.index(threshold_id))

    def save_override(self) -> None:
        threshold_id = self._selected_id()
        if threshold_id is None:
            return
        try:
            value = float(self.value_edit.text().strip().replace(",", ""))
        except ValueError:
            self.message.setText("事務所の値は数値で入力してください。")
            return
        try:
            stored = rulesets.set_override(self._workspace, self.rule_id, threshold_id, value, self.reason_edit.text())
        except RuleSetError as error:
            self.message.setText(str(error))
            return
        self._after_change(threshold_id, "保存しました。" if stored else "公式の値と同じため、既定に戻しました。")

    def reset_override(self) -> None:
        threshold_id = self._selected_id()
        if threshold_id is None:
            return
        rulesets.reset_override(self._workspace, self.rule_id, threshold_id)
        self._after_change(threshold_id, "既定(公式の値)に戻しました。")

    def _after_change(self, threshold_id: str, message: str) -> None:
        self.changed.emit()  # first: a page refresh it causes must not wipe the message below
        self._show_rule_set()
        self.select_threshold(threshold_id)
        self.message.setText(message)

    def _selected_id(self) -> str | None:
        row = self.view.selectionModel().currentIndex().row()
        if self._workspace is None or row < 0:
            self.message.setText("項目を選んでください。")
            return None
        return str(self.model.row(row)["threshold_id"])

    def _show_rule_set(self) -> None:
        ws = self._workspace
        for widget in (self.view, self.value_edit, self.reason_edit, self.save_button, self.reset_button):
            widget.setEnabled(ws is not None)
        self.message.setText("" if ws is not None else "ワークスペースを開くと編集できます。")
        self.model.set_frame(rulesets.thresholds_table(ws, self.rule_id), THRESHOLD_COLUMNS)
        self.view.resizeColumnsToContents()
        self.selected_label.setText("項目を選んでください。")
        if ws is None:
            self.differences_label.setText("")
            return
        differences = [d for d in rulesets.override_differences(ws) if d.rule_id == self.rule_id]
        if differences:
            lines = [f"・{d.text}（理由: {d.reason}）" for d in differences]
            self.differences_label.setText(f"公式の値との違い（{len(differences)}件）:\n" + "\n".join(lines))
        else:
            self.differences_label.setText("公式の値との違いはありません(すべて公式の値で判定します)。")

    def _show_selected(self) -> None:
        row = self.view.selectionModel().currentIndex().row()
        if row < 0:
            return
        selected = self.model.row(row)
        self.selected_label.setText(
            f"{selected['label']} {selected['comparison']} — 公式 {selected['official']} [{selected['threshold_id']}]"
            + (f"\n{selected['note']}" if selected["note"] else "")
        )
        self.value_edit.setText(str(selected["value_number"]))
        self.reason_edit.setText(str(selected["reason"]))
