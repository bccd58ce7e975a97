"""The 発送 tab of 通知・発送: an approved list → 送付方法 → the first letters on screen → 作成 → the folder.

Preview and printing run on the task runner (10,000 letters take up to a minute to print, with
progress and キャンセル); a cancelled or refused batch leaves no record and no file (the service's
promise), and the page says which. Characters no font has stop the batch with the members listed;
the clerk may then print with 〓 in their place.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dhdesk.gui.pages.base import PageContext
from dhdesk.gui.pages.notices_dialogs import Refused, ask_folder, confirm, open_folder, refusable
from dhdesk.gui.pdf_preview import PdfPreview
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_count
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import mailing, programs

PREVIEW_LETTERS = 3
LABEL_SHEETS = {"12": "A4 12面", "24": "A4 24面"}
"""Label sheets `generate_batch` knows (its `label_sheet` keys)."""
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LIST_COLUMNS = [
    ColumnSpec("run_id", "番号", format_count, _RIGHT),
    ColumnSpec("事業", "事業"),
    ColumnSpec("年度", "年度"),
    ColumnSpec("letters", "通知数", format_count, _RIGHT),
    ColumnSpec("holdout", "保留", format_count, _RIGHT),
    ColumnSpec("確定日", "確定日"),
    ColumnSpec("発送", "発送"),
]


def saved_runs(workspace, program: str | None = None) -> pd.DataFrame:
    """The saved target lists (of one program), newest first: run_id, program, fiscal_year, status, counts.

    Asked of the workspace directly: services.programs has no listing of runs yet.
    """
    return workspace.runs(program)


def approved_lists(workspace, batches: pd.DataFrame) -> pd.DataFrame:
    """The approved target lists, newest first, with the letters each would print and its batch if printed.

    `batches` is `mailing.history`; a list whose batch was cancelled can be printed again.
    """
    runs = saved_runs(workspace)
    runs = runs[runs["status"] == "approved"].reset_index(drop=True)
    issued = batches[batches["状態"] == mailing.STATUS_LABELS["issued"]]
    printed = dict(zip(issued["対象者リスト"].astype(int), issued["発送番号"].astype(int), strict=True))
    month = runs["period_month"].astype("string").fillna("")
    return pd.DataFrame({
        "run_id": runs["run_id"].astype(int),
        "program": runs["program"].astype(str),
        "事業": [programs.get_program(program).title for program in runs["program"]],
        "年度": [f"{int(year)}年度" + (f" {m[:4]}-{m[4:6]}" if m else "")
               for year, m in zip(runs["fiscal_year"], month, strict=True)],
        "letters": (runs["final"] - runs["holdout"]).astype(int),
        "holdout": runs["holdout"].astype(int),
        "確定日": pd.to_datetime(runs["approved_at"]).dt.strftime("%Y-%m-%d").fillna(""),
        "発送": [f"発送番号 {printed[int(r)]}" if int(r) in printed else "未発送" for r in runs["run_id"]],
    })


class SendPanel(QWidget):
    """Choose a list and a route, check the first letters, print the batch into a folder."""

    batch_printed = Signal(int)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.lists = pd.DataFrame()
        self._shown: tuple[int, str, str] | None = None
        self.last_folder: Path | None = None
        self.list_model = DataFrameModel()
        self.list_view = DataTableView(self.list_model, sortable=False)
        self.list_view.selectionModel().currentRowChanged.connect(lambda *_: self._on_list_chosen())
        self.lists_hint = QLabel("")
        self.lists_hint.setWordWrap(True)
        lists_box = QGroupBox("1. 確定した対象者リスト")
        lists_layout = QVBoxLayout(lists_box)
        lists_layout.addWidget(self.list_view, 1)
        lists_layout.addWidget(self.lists_hint)

        self.route_combo = QComboBox()
        for key, label in mailing.ROUTE_CHOICES.items():
            self.route_combo.addItem(label, key)
        self.route_combo.activated.connect(lambda _i: self.start_preview())
        self.route_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.route_combo.setMinimumContentsLength(10)
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setToolTip("通知文の日付として印刷され、効果測定は発送日の翌月から数えます。")
        self.date_edit.editingFinished.connect(self.start_preview)  # the preview is dated as the batch will be
        self.label_combo = QComboBox()
        for key, label in LABEL_SHEETS.items():
            self.label_combo.addItem(label, key)
        options = QGroupBox("2. 送付方法・発送日")
        form = QFormLayout(options)
        form.addRow("送付方法", self.route_combo)
        form.addRow("発送日", self.date_edit)
        form.addRow("宛名ラベル", self.label_combo)

        self.generate_button = QPushButton("作成…")
        self.generate_button.clicked.connect(self.generate)
        self.open_button = QPushButton("フォルダを開く")
        self.open_button.clicked.connect(lambda: self.last_folder and open_folder(self.last_folder))
        self.open_button.setEnabled(False)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        make = QGroupBox("3. 作成(通知文・宛名ラベル・発送リスト・控え)")
        make_layout = QVBoxLayout(make)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        make_layout.addLayout(buttons)
        make_layout.addWidget(self.result_label)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(lists_box, 1)
        left_layout.addWidget(options)
        left_layout.addWidget(make)
        self.preview_title = QLabel(f"通知文の見本(送付順の最初の{PREVIEW_LETTERS}通)")
        self.preview = PdfPreview("対象者リストを選ぶと、最初の通知文をここに表示します。")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview_title)
        right_layout.addWidget(self.preview, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(splitter, 1)

    @property
    def workspace(self):
        return self.context.session.workspace

    def refresh(self) -> None:
        """Re-read the approved lists (after approving on 対象者抽出, printing or cancelling a batch).

        Unchanged lists (and letterhead) of the same workspace keep their selection and preview: the
        page refreshes each time it is shown.
        """
        ws = self.workspace
        chosen = self.selected_run()
        lists = approved_lists(ws, mailing.history(ws)) if ws is not None else pd.DataFrame()
        shown = (id(ws), repr(ws.union_info()) if ws is not None else "", lists.to_json())
        if shown == self._shown and chosen is not None:
            return
        self._shown = shown
        self.lists = lists
        self.list_model.set_frame(self.lists, LIST_COLUMNS if not self.lists.empty else [])
        self.list_view.resizeColumnsToContents()
        if ws is None:
            self.lists_hint.setText("ワークスペースを開くと、確定した対象者リストが表示されます。")
        elif self.lists.empty:
            self.lists_hint.setText("確定した対象者リストはまだありません。「対象者抽出」で抽出して確定すると、ここに表示されます。")
        else:
            self.lists_hint.setText("保留 = 効果測定の比較のために通知しない人(確定時に指定)。")
        rows = self.lists["run_id"].tolist() if not self.lists.empty else []
        if rows:
            self.select_run(chosen if chosen in rows else rows[0])
        else:
            self.preview.set_pdf(None)
            self.generate_button.setEnabled(False)

    def select_run(self, run_id: int) -> None:
        """Select a list as a click would (tests and screenshots)."""
        row = self.lists["run_id"].tolist().index(run_id)
        self.list_view.selectRow(row)
        self.list_view.setCurrentIndex(self.list_model.index(row, 0))

    def selected_run(self) -> int | None:
        row = self.list_view.currentIndex().row()
        return int(self.lists["run_id"].iloc[row]) if not self.lists.empty and 0 <= row < len(self.lists) else None

    def _selected(self) -> pd.Series | None:
        run_id = self.selected_run()
        return None if run_id is None else self.lists.loc[self.lists["run_id"] == run_id].iloc[0]

    def _on_list_chosen(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        route = mailing.route_for(self.workspace, chosen["program"])
        self.route_combo.setCurrentIndex(list(mailing.ROUTE_CHOICES).index(route))
        self.generate_button.setEnabled(chosen["発送"] == "未発送")
        self.result_label.setText("" if chosen["発送"] == "未発送" else
                                  f"このリストは{chosen['発送']}で作成済みです。再印刷・取消は「発送履歴」から行えます。")
        self.start_preview()

    def template_changed(self, program: str) -> None:
        """The wording of `program` was saved or reset: the preview of a list of it is out of date."""
        chosen = self._selected()
        if chosen is not None and chosen["program"] == program:
            self.start_preview()

    def start_preview(self) -> None:
        ws, run_id, route = self.workspace, self.selected_run(), self.route_combo.currentData()
        sent = self.date_edit.date().toPython()
        if ws is None or run_id is None:
            return
        self.context.runner.start(
            refusable(lambda _progress: mailing.preview(ws, run_id, PREVIEW_LETTERS, route=route, sent_date=sent)[1]),
            "通知文の見本を作成しています",
            on_done=self._show_preview,
        )

    def _show_preview(self, outcome: bytes | Refused) -> None:
        if isinstance(outcome, Refused):
            self.preview.set_pdf(None, outcome.message)
            return
        self.preview.set_pdf(outcome)

    def generate(self, *, glyph_fallback: bool = False) -> None:
        """作成…: ask for the folder, then print and record the batch on the task runner."""
        ws, chosen = self.workspace, self._selected()
        if ws is None or chosen is None:
            return
        folder = self.last_folder if glyph_fallback else ask_folder(self, "通知文の保存先フォルダ", ws.path.parent)
        if folder is None:
            return
        self.last_folder = folder
        run_id, route = int(chosen["run_id"]), self.route_combo.currentData()
        sent = self.date_edit.date().toPython()
        sheet = self.label_combo.currentData()
        self.result_label.setText("")
        self.context.runner.start(
            refusable(lambda progress: mailing.generate_batch(
                ws, run_id, folder, route=route, sent_date=sent, label_sheet=sheet, glyph_fallback=glyph_fallback,
                progress=progress)),
            f"{chosen['事業']}の通知文({int(chosen['letters']):,}通)を作成しています",
            on_done=self._on_generated,
            on_cancelled=lambda: self.result_label.setText(
                "キャンセルしました。発送記録もファイルも残っていません。"),
        )

    def _on_generated(self, outcome: mailing.BatchResult | Refused) -> None:
        if isinstance(outcome, Refused):
            self.result_label.setText(outcome.message)
            if isinstance(outcome.error, mailing.UnprintableCharacters) and confirm(
                    self, "印刷できない文字", f"{outcome.message}\n\n「{mailing.SUBSTITUTE}」に置き換えて作成しますか。"):
                self.generate(glyph_fallback=True)
            return
        self.refresh()
        self.result_label.setText(outcome.summary)
        self.open_button.setEnabled(True)
        self.batch_printed.emit(outcome.batch_id)
