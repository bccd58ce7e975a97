"""The 文面の編集 tab of 通知・発送: a program's letter wording, its placeholders, 検証, preview, 既定に戻す.

The clerk edits the 件名, the 本文 and the 注意書き (paragraphs separated by a blank line); `{氏名}`-style
placeholders are listed beside the text and inserted with a double click. 検証 and 保存 use the
template's own check (an unknown placeholder is named, with the allowed ones); the preview prints the
first letter of the program's latest target list with the unsaved wording, so nothing is stored
until 保存.
"""

from __future__ import annotations

import dataclasses
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.letters import LetterTemplate, default_template, placeholders
from dhdesk.gui.pages.base import PageContext
from dhdesk.gui.pages.notices_dialogs import Refused, confirm, refusable
from dhdesk.gui.pages.notices_send import saved_runs
from dhdesk.gui.pdf_preview import PdfPreview
from dhdesk.services import mailing, programs


PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n")


def paragraphs_of(text: str) -> tuple[str, ...]:
    """Paragraphs separated by a blank line; the lines of one paragraph are joined (Japanese needs no space)."""
    return tuple(joined for block in PARAGRAPH_BREAK.split(text.strip())
                 if (joined := "".join(line.strip() for line in block.splitlines())))


def editor_text(paragraphs: tuple[str, ...]) -> str:
    return "\n\n".join(paragraphs)


class TemplatePanel(QWidget):
    """Edit, check, preview, save or reset the wording of one program's letter."""

    template_changed = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.template: LetterTemplate | None = None
        self._loaded_for = None
        self.program_combo = QComboBox()
        for program_id in programs.program_ids():
            self.program_combo.addItem(programs.get_program(program_id).title, program_id)
        self.program_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.program_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.program_combo.setMinimumContentsLength(10)
        self.state_label = QLabel("")
        self.title_edit = QLineEdit()
        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText("段落の間は1行あけてください。")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setMaximumHeight(90)
        self.placeholder_list = QListWidget()
        self.placeholder_list.setMaximumWidth(190)
        self.placeholder_list.itemDoubleClicked.connect(lambda item: self._insert(item.text()))
        self.check_button = QPushButton("検証")
        self.check_button.clicked.connect(self.check)
        self.preview_button = QPushButton("プレビュー")
        self.preview_button.clicked.connect(self.start_preview)
        self.save_button = QPushButton("保存")
        self.save_button.clicked.connect(self.save)
        self.reset_button = QPushButton("既定に戻す")
        self.reset_button.clicked.connect(self.reset)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(QLabel("事業"))
        top.addWidget(self.program_combo)
        top.addWidget(self.state_label, 1)
        form = QFormLayout()
        form.addRow("件名", self.title_edit)
        form.addRow("本文", self.body_edit)
        form.addRow("注意書き", self.notes_edit)
        side = QVBoxLayout()
        side.addWidget(QLabel("差し込み項目\n(ダブルクリックで挿入)"))
        side.addWidget(self.placeholder_list, 1)
        editors = QHBoxLayout()
        editors.addLayout(form, 1)
        editors.addLayout(side)
        buttons = QHBoxLayout()
        for button in (self.check_button, self.preview_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.reset_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addLayout(editors, 1)
        hint = QLabel("段落の間は1行あけます。{…} は差し込み項目で、印刷するときに一人ひとりの内容に置き換わります。")
        hint.setWordWrap(True)
        left_layout.addWidget(hint)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.message_label)
        self.preview = PdfPreview("「プレビュー」を押すと、この文面で最初の1通を表示します。")
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(splitter, 1)

    @property
    def workspace(self):
        return self.context.session.workspace

    def program(self) -> str:
        return str(self.program_combo.currentData())

    def select_program(self, program_id: str) -> None:
        self.program_combo.setCurrentIndex(self.program_combo.findData(program_id))

    def refresh(self) -> None:
        """Load the wording when the workspace changed; edits in progress survive leaving the page."""
        if self.workspace is not self._loaded_for or self.workspace is None:
            self._loaded_for = self.workspace
            self.load()

    def load(self) -> None:
        """Show the wording in force for the chosen program (the workspace's copy, else the default)."""
        ws = self.workspace
        for widget in (self.title_edit, self.body_edit, self.notes_edit, self.check_button, self.preview_button,
                       self.save_button, self.reset_button):
            widget.setEnabled(ws is not None)
        self.placeholder_list.clear()
        self.placeholder_list.addItems([f"{{{name}}}" for name in placeholders(self.program())])
        self.preview.set_pdf(None)
        self.message_label.setText("" if ws is not None else "ワークスペースを開くと文面を編集できます。")
        if ws is None:
            return
        self._show(mailing.template_for(ws, self.program()))

    def _show(self, template: LetterTemplate) -> None:
        self.template = template
        self.title_edit.setText(template.title)
        self.body_edit.setPlainText(editor_text(template.paragraphs))
        self.notes_edit.setPlainText(editor_text(template.notes))
        edited = template != default_template(template.program)
        self.state_label.setText("この組合で編集した文面" if edited else "既定の文面")

    def edited_template(self) -> LetterTemplate:
        """The wording as it stands in the editors (unsaved)."""
        return dataclasses.replace(self.template, title=self.title_edit.text().strip(),
                                   paragraphs=paragraphs_of(self.body_edit.toPlainText()),
                                   notes=paragraphs_of(self.notes_edit.toPlainText()))

    def _insert(self, text: str) -> None:
        self.body_edit.insertPlainText(text)
        self.body_edit.setFocus()

    def check(self) -> bool:
        """検証: list the problems, or say there are none."""
        problems = self.edited_template().problems()
        self.message_label.setProperty("role", "error" if problems else "ok")
        self.message_label.style().polish(self.message_label)
        self.message_label.setText("\n".join(problems) if problems else "差し込み項目に問題はありません。")
        return not problems

    def save(self) -> None:
        if self.workspace is None or not self.check():
            return
        template = self.edited_template()
        mailing.save_template(self.workspace, template)
        self._show(template)
        self.template_changed.emit(template.program)
        self.message_label.setText("保存しました。これからの作成と見本はこの文面を使います(作成済みの発送は変わりません)。")

    def reset(self) -> None:
        if self.workspace is None or not confirm(
                self, "既定に戻す", "この事業の文面を既定に戻します。編集した文面は失われます。よろしいですか。"):
            return
        self._show(mailing.reset_template(self.workspace, self.program()))
        self.template_changed.emit(self.program())
        self.message_label.setText("既定の文面に戻しました。")

    def start_preview(self) -> None:
        """The first letter of the program's latest target list (draft or approved) in the unsaved wording."""
        ws = self.workspace
        if ws is None or not self.check():
            return
        runs = saved_runs(ws, self.program())
        if runs.empty:
            self.preview.set_pdf(None, "この事業の対象者リストがまだないため、見本を作れません。"
                                       "「対象者抽出」で抽出すると見本を表示できます。")
            return
        run_id, template = int(runs["run_id"].iloc[0]), self.edited_template()
        self.context.runner.start(
            refusable(lambda _progress: mailing.preview(ws, run_id, 1, template)[1]),
            "通知文の見本を作成しています",
            on_done=self._show_preview,
        )

    def _show_preview(self, outcome: bytes | Refused) -> None:
        if isinstance(outcome, Refused):
            self.preview.set_pdf(None, outcome.message)
            return
        self.preview.set_pdf(outcome)
