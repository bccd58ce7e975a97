"""設定: the union's details (letterhead), 判定基準 (office overrides), backups, and the UI preferences."""

from __future__ import annotations

import re

import pandas as pd
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dhdesk.gui.fonts import apply_app_font
from dhdesk.gui.pages.base import Page, PageContext, scrolling
from dhdesk.gui.pages.rules_settings import RulesSettingsBox
from dhdesk.gui.settings import int_range
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, is_missing
from dhdesk.gui.table_view import DataTableView
from dhdesk.gui.union_form import UnionForm
from dhdesk.services import workspaces

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
BACKUP_COLUMNS = (
    ColumnSpec("created_at", "作成日時", lambda v: "" if is_missing(v) else v.strftime("%Y-%m-%d %H:%M:%S")),
    ColumnSpec("reason", "理由"),
    ColumnSpec("size_mb", "大きさ(MB)", lambda v: f"{v:,.1f}", _RIGHT),
    ColumnSpec("name", "ファイル"),
)
_REASONS = (
    (re.compile(r"^manual$"), "手動"),
    (re.compile(r"^before-migration-v(\d+)$"), "形式の更新(v{0})の前"),
    (re.compile(r"^before-restore$"), "復元の前"),
    (re.compile(r"^before-undo-(\d+)$"), "取込{0}の取り消しの前"),
    (re.compile(r"^before-demo-rebuild$"), "サンプルの作り直しの前"),
)


def reason_label(reason: str) -> str:
    """Why a backup was taken, in the clerk's words (the store names reasons in English)."""
    for pattern, label in _REASONS:
        found = pattern.match(reason)
        if found:
            return label.format(*found.groups())
    return reason

PREFERENCES = (
    ("ui/font_point_size", "文字の大きさ(ポイント)"),
    ("browse/row_limit", "一覧に表示する最大件数"),
    ("demo/members", "サンプルデータの加入者数"),
)


def backups_frame(backups) -> pd.DataFrame:
    """The backups newest first, one row each."""
    return pd.DataFrame(
        {
            "created_at": pd.to_datetime([b.created_at for b in backups]),
            "reason": pd.array([reason_label(b.reason) for b in backups], dtype="string"),
            "size_mb": [b.size / 1_000_000 for b in backups],
            "name": pd.array([b.path.name for b in backups], dtype="string"),
        }
    )


class PreferencesPage(Page):
    """Union details are saved to the workspace; UI preferences to QSettings as soon as they change."""

    title = "設定"
    explanation = "組合の情報(通知文のレターヘッドに印刷されます)、判定基準の事務所設定、ワークスペースのバックアップ、画面の設定です。"

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.union_form = UnionForm()
        self.save_union_button = QPushButton("組合の情報を保存")
        self.save_union_button.clicked.connect(self.save_union)
        self.union_message = QLabel("")
        self.union_message.setWordWrap(True)
        union_box = QGroupBox("組合の情報(レターヘッド)")
        union_layout = QVBoxLayout(union_box)
        union_layout.addWidget(self.union_form)
        union_row = QHBoxLayout()
        union_row.addWidget(self.union_message, 1)
        union_row.addWidget(self.save_union_button)
        union_layout.addLayout(union_row)

        self.rules_box = RulesSettingsBox()
        self.rules_box.changed.connect(context.session.notify_changed)

        self.backup_folder_label = QLabel("")
        self.backup_folder_label.setWordWrap(True)
        self.backup_folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_model = DataFrameModel(backups_frame([]), BACKUP_COLUMNS)
        self.backup_view = DataTableView(self.backup_model, sortable=False)
        self.backup_view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.backup_view.setMinimumHeight(160)
        self.backup_button = QPushButton("今すぐバックアップ")
        self.backup_button.clicked.connect(self.start_backup)
        self.open_folder_button = QPushButton("フォルダを開く")
        self.open_folder_button.clicked.connect(self._open_backup_folder)
        backup_box = QGroupBox("バックアップ")
        backup_layout = QVBoxLayout(backup_box)
        backup_layout.addWidget(
            QLabel("取込の取り消しや形式の更新の前には、自動でバックアップを取ります(古いものから順に自動で削除されます)。")
        )
        backup_layout.addWidget(self.backup_folder_label)
        backup_layout.addWidget(self.backup_view)
        backup_buttons = QHBoxLayout()
        backup_buttons.addStretch(1)
        backup_buttons.addWidget(self.open_folder_button)
        backup_buttons.addWidget(self.backup_button)
        backup_layout.addLayout(backup_buttons)

        prefs_box = QGroupBox("画面の設定(このパソコンに保存)")
        prefs_form = QFormLayout(prefs_box)
        self.preference_spins: dict[str, QSpinBox] = {}
        for key, label in PREFERENCES:
            spin = QSpinBox()
            spin.setRange(*int_range(key))
            spin.setGroupSeparatorShown(True)
            spin.setValue(int(context.settings.get(key)))
            spin.valueChanged.connect(lambda value, k=key: self._set_preference(k, value))
            self.preference_spins[key] = spin
            prefs_form.addRow(label, spin)

        content = QWidget()
        content.setMaximumWidth(900)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(union_box)
        column.addWidget(self.rules_box)
        column.addWidget(backup_box)
        column.addWidget(prefs_box)
        column.addStretch(1)
        self.body.addWidget(scrolling(content))

    def refresh(self) -> None:
        ws = self.workspace
        for widget in (self.union_form, self.save_union_button, self.backup_button, self.open_folder_button):
            widget.setEnabled(ws is not None)
        self.union_message.setText("" if ws is not None else "ワークスペースを開くと編集できます。")
        if ws is not None:
            self.union_form.set_value(ws.union_info())
        self.rules_box.set_workspace(ws)
        self._show_backups()

    def save_union(self) -> None:
        union = self.union_form.value()
        problems = union.problems()
        if problems:
            self.union_message.setText("\n".join(problems))
            return
        workspaces.update_union_info(self.workspace, union)
        self.context.session.notify_changed()
        self.union_message.setText("保存しました。")

    def start_backup(self) -> None:
        ws = self.workspace
        self.context.runner.start(
            lambda _progress: workspaces.backup_now(ws), "バックアップを取っています", on_done=self._on_backed_up
        )

    def _on_backed_up(self, path) -> None:
        self._show_backups()
        self.backup_folder_label.setText(f"保存先フォルダ: {path.parent}\n最新: {path.name}")

    def _show_backups(self) -> None:
        ws = self.workspace
        backups = workspaces.list_backups(ws) if ws is not None else []
        self.backup_model.set_frame(backups_frame(backups), BACKUP_COLUMNS)
        self.backup_view.resizeColumnsToContents()
        if ws is None:
            self.backup_folder_label.setText("")
        elif backups:
            self.backup_folder_label.setText(f"保存先フォルダ: {backups[0].path.parent}")
        else:
            self.backup_folder_label.setText("まだバックアップはありません。")
        self.open_folder_button.setEnabled(bool(backups))

    def _open_backup_folder(self) -> None:
        backups = workspaces.list_backups(self.workspace)
        if backups:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(backups[0].path.parent)))

    def _set_preference(self, key: str, value: int) -> None:
        self.context.settings.set(key, value)
        if key == "ui/font_point_size":
            apply_app_font(QApplication.instance(), value)
