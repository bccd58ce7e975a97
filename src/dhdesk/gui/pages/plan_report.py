"""計画レポート: the clerk writes the plan's text for a 年度 and makes the データヘルス計画 PDF.

Sections 1–7 on the left; the editable ones (計画の概要, 健康課題, 目標, 推進体制) open an editor, the
data ones list what the data puts in them. 「集計する」 builds the plan's content (services.plan
build_plan) for the data sections, the 健康課題 suggestions and the KPI 実績; 「PDFを作成…」 saves the
text and writes the PDF (and, when asked, the same tables as xlsx) with progress and キャンセル, then
shows its pages in the preview tab — choosing a section turns the preview to that section's first page.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.plan import PlanDocument, TableBlock
from dhdesk.core.plan.document import SECTION_TITLES
from dhdesk.core.plan.kpi import indicators
from dhdesk.core.plan.text import PlanText, narrative_items
from dhdesk.core.union import insured_label
from dhdesk.core.wareki import format_fiscal_year
from dhdesk.gui.pages.analysis_tables import format_figure
from dhdesk.gui.pages.base import Page, PageContext, scrolling
from dhdesk.gui.pages.plan_editors import ContentsView, IssuesEditor, NarrativeEditor
from dhdesk.gui.pages.plan_kpi import TargetsEditor
from dhdesk.gui.pdf_preview import PdfPreview
from dhdesk.services import plan, workspaces

PDF_FILTER = "PDFファイル (*.pdf)"
DATA_SECTIONS = {
    2: "加入者構成（人口ピラミッド）、加入者数・平均年齢の推移、医療費の推移（年齢階層・レセプト種別）、"
       "生活習慣病・がんの医療費、医療費レンジ、疾病分類（ICD10大分類）の上位10を、データから作ります。",
    3: "特定健診・特定保健指導の実施率と目標、3か年の受診状況、保健指導対象者の流入出、リスク分布、有所見×未受診、"
       "予備群、糖尿病性腎症、後発医薬品、多剤・頻回・はしご受診、健康スコアリング、通知の実績と効果を、データから作ります。",
    6: "後期高齢者支援金の加算について、保険者種別の基準と当組合の実施率を照らし合わせた自己点検の表を作ります。",
}
ISSUES_SECTION, TARGETS_SECTION = 4, 5


def ask_save_path(parent: QWidget, suggested: Path) -> Path | None:
    """Where to write the plan PDF (None when the clerk cancels); tests replace this seam."""
    chosen, _ = QFileDialog.getSaveFileName(parent, "データヘルス計画の保存先", str(suggested), PDF_FILTER)
    return Path(chosen) if chosen else None


def section_pages(data: bytes) -> dict[int, int]:
    """First page (from 0) of each numbered section, read from the PDF's outline (「2. 加入者と…」)."""
    document = pdfium.PdfDocument(data)
    try:
        pages = {}
        for bookmark in document.get_toc():
            title, destination = bookmark.get_title(), bookmark.get_dest()
            number = title.split(".", 1)[0]
            if bookmark.level == 0 and number.isdigit() and destination is not None:
                pages.setdefault(int(number), destination.get_index())
        return pages
    finally:
        document.close()


def kpi_actuals(document: PlanDocument) -> dict[tuple[str, str], list[str]]:
    """The 実績 rows of the plan's KPI table as printed, by (指標, 区分)."""
    table = next((t.table for t in document.tables if t.key == "plan_kpi"), None)
    if table is None:
        return {}
    years = [c for c in table.columns if str(c).endswith("年度")]
    actual = table.loc[table[""] == "実績"]
    return {(str(row["指標"]), str(row["区分"])): [format_figure(row[y]) for y in years]
            for _, row in actual.iterrows()}


def issue_suggestions(document: PlanDocument) -> list[tuple[str, ...]]:
    """The rows of the plan's 「健康課題の候補と根拠となる図表」 table (課題, 状況, 表番号)."""
    section = next(s for s in document.sections if s.number == ISSUES_SECTION)
    table = next((b for b in section.blocks if isinstance(b, TableBlock) and b.key == "plan_issues"), None)
    return [tuple(row) for row in table.rows] if table is not None else []


class PlanReportPage(Page):
    """Year, edition and actions on top; the sections on the left, their editor or the PDF preview beside."""

    title = "計画レポート"
    explanation = (
        "データヘルス計画（PDF）を年度ごとに作ります。左で章を選び、文章・健康課題・目標を書いて「保存」します"
        "（次の年度は保存した内容から始まります）。データの章は「集計する」で中身を確認でき、"
        "「PDFを作成…」で計画書を書き出して「PDFのプレビュー」に表示します（章を選ぶとその章のページに移ります）。"
    )

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.fiscal_year: int | None = None
        self.document: PlanDocument | None = None
        self.pdf_path: Path | None = None
        self.dirty = False
        self._text_workspace = None
        self._section_pages: dict[int, int] = {}
        self._build_controls()
        self._build_editors()
        self.preview = PdfPreview("「PDFを作成…」で作った計画書のページがここに出ます。")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor_stack, "編集")
        self.tabs.addTab(self.preview, "PDFのプレビュー")
        splitter = QSplitter()
        splitter.addWidget(self.section_list)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([210, 800])
        splitter.setChildrenCollapsible(False)
        self.body.addLayout(self.top_row)
        self.body.addLayout(self.action_row)
        self.body.addWidget(splitter, 1)
        self.section_list.setCurrentRow(0)

    # construction ---------------------------------------------------------------------------------

    def _build_controls(self) -> None:
        self.year_combo = QComboBox()
        self.year_combo.currentIndexChanged.connect(lambda _i: self._on_year_changed())
        self.public_radio = QRadioButton("公表用（人数の少ない区分を伏せる）")
        self.internal_radio = QRadioButton("内部用（伏せない）")
        self.public_radio.setChecked(True)
        self.edition = QButtonGroup(self)
        self.edition.addButton(self.public_radio)
        self.edition.addButton(self.internal_radio)
        self.edition.buttonToggled.connect(lambda _button, on: on and self._forget_document())
        self.xlsx_check = QCheckBox("同じ表をExcelにも保存")
        self.top_row = QHBoxLayout()
        self.top_row.addWidget(QLabel("年度"))
        self.top_row.addWidget(self.year_combo)
        self.top_row.addSpacing(16)
        self.top_row.addWidget(self.public_radio)
        self.top_row.addWidget(self.internal_radio)
        self.top_row.addSpacing(16)
        self.top_row.addWidget(self.xlsx_check)
        self.top_row.addStretch(1)
        self.save_button = QPushButton("保存")
        self.save_button.clicked.connect(self.save)
        self.collect_button = QPushButton("集計する")
        self.collect_button.clicked.connect(self.start_collect)
        self.create_button = QPushButton("PDFを作成…")
        self.create_button.clicked.connect(self.start_create)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.action_row = QHBoxLayout()
        for button in (self.save_button, self.collect_button, self.create_button):
            self.action_row.addWidget(button)
        self.action_row.addWidget(self.status_label, 1)

    def _build_editors(self) -> None:
        self.section_list = QListWidget()
        self.section_list.setObjectName("planSections")
        self.section_list.setStyleSheet("QListWidget#planSections::item { padding: 7px 4px; }")
        self.section_list.setWordWrap(True)
        self.section_list.setMinimumWidth(160)
        self.section_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.editor_stack = QStackedWidget()
        items = narrative_items()
        self.narratives: dict[int, NarrativeEditor] = {}
        self.contents: dict[int, ContentsView] = {}
        self.issues_editor = IssuesEditor()
        self.targets_editor = TargetsEditor()
        self.issues_editor.changed.connect(self._mark_dirty)
        self.targets_editor.changed.connect(self._mark_dirty)
        self.targets_editor.rejected.connect(self._show_error)
        for number, title in SECTION_TITLES.items():
            self.section_list.addItem(f"{number}. {title}")
            own = [i for i in items if i.section == number]
            if own:
                self.narratives[number] = NarrativeEditor(own)
                self.narratives[number].changed.connect(self._mark_dirty)
            if number in DATA_SECTIONS:
                self.contents[number] = ContentsView(DATA_SECTIONS[number])
                editor = self.contents[number]
            elif number == ISSUES_SECTION:
                editor = self.issues_editor
            elif number == TARGETS_SECTION:
                editor = QWidget()
                column = QVBoxLayout(editor)
                column.setContentsMargins(0, 0, 0, 0)
                column.addWidget(self.narratives[number], 1)
                column.addWidget(self.targets_editor, 3)
            else:
                editor = scrolling(self.narratives[number])
            self.editor_stack.addWidget(editor)
        self.section_list.currentRowChanged.connect(self._on_section_chosen)

    # workspace and year ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Offer the 年度 the workspace has checkups for; load the latest one's text.

        When the same workspace changed (data imported), unsaved edits are saved and the 年度 stays."""
        ws = self.workspace
        if self.dirty and ws is not None and ws is self._text_workspace:
            self.save()
        years = workspaces.home_summary(ws).fiscal_years if ws is not None else []
        previous = self.fiscal_year if ws is self._text_workspace else None
        self.fiscal_year = None
        self.dirty = False
        self.year_combo.blockSignals(True)
        self.year_combo.clear()
        for year in sorted(years, reverse=True):
            self.year_combo.addItem(f"{year}年度", year)
        self.year_combo.setCurrentIndex(max(self.year_combo.findData(previous), 0))
        self.year_combo.blockSignals(False)
        for widget in (self.save_button, self.collect_button, self.create_button, self.tabs):
            widget.setEnabled(bool(years))
        self._forget_pdf()
        if not years:
            self._clear_text()
        if ws is None:
            self._show_status("ワークスペースを開くと計画を作れます。")
        elif not years:
            self._show_status("健診結果がまだ取り込まれていません（「データ取込」から取り込めます）。")
        else:
            self._on_year_changed()

    def _on_year_changed(self) -> None:
        year = self.year_combo.currentData()
        if self.workspace is None or year is None or year == self.fiscal_year:
            return
        saved_previous = self.dirty and self.save()
        self.fiscal_year = year
        self._load_text()
        self._forget_document()
        self._forget_pdf()
        note = "前の年度の変更を保存しました。" if saved_previous else ""
        self._show_status(f"{note}{year}年度の計画の文章を読み込みました。")

    def _fill(self) -> dict[str, str]:
        union = self.workspace.union_info()
        return {"union": union.name, "insured": insured_label(union.union_type),
                "fiscal_year": format_fiscal_year(self.fiscal_year)}

    def _load_text(self) -> None:
        text = plan.plan_text(self.workspace, self.fiscal_year)
        self._text_workspace = self.workspace
        fill = self._fill()
        for editor in self.narratives.values():
            editor.load(text, fill)
        self.issues_editor.load(text.issues)
        union_type = self.workspace.union_info().union_type
        self.targets_editor.load(indicators(fill["insured"]), union_type, text)
        self.dirty = False

    def _clear_text(self) -> None:
        """No 年度 to write for: the editors show nothing (not the text of a workspace now closed)."""
        self._text_workspace = None
        for editor in self.narratives.values():
            editor.clear()
        self.issues_editor.load(())
        self.targets_editor.load((), self.targets_editor.union_type, PlanText())
        self._forget_document()

    def plan_text(self) -> PlanText:
        """The text as the editors hold it now."""
        narrative: dict[str, str] = {}
        for editor in self.narratives.values():
            narrative.update(editor.narrative())
        return PlanText(narrative, self.issues_editor.issues(), self.targets_editor.targets())

    def save(self) -> bool:
        """Store the editors' text for the 年度 (the PDF and the next 年度 start from it)."""
        if self.workspace is None or self.fiscal_year is None:
            return False
        plan.save_plan_text(self.workspace, self.fiscal_year, self.plan_text())
        self.dirty = False
        self._show_status(f"{self.fiscal_year}年度の計画の文章を保存しました。")
        return True

    def keep_edits(self) -> None:
        """Leaving the screen or closing the window keeps what was written (no need to remember 「保存」)."""
        if self.dirty and self.isEnabled():
            self.save()

    def hideEvent(self, event: QHideEvent) -> None:
        self.keep_edits()
        super().hideEvent(event)

    def _mark_dirty(self) -> None:
        if not self.dirty:
            self.dirty = True
            self._show_status("保存していない変更があります。")

    # collect and create ---------------------------------------------------------------------------

    @property
    def internal(self) -> bool:
        return self.internal_radio.isChecked()

    def start_collect(self) -> None:
        """Build the plan's content on the worker: data sections, suggestions and KPI 実績."""
        ws, year, internal = self.workspace, self.fiscal_year, self.internal
        if ws is None or year is None:
            return
        if self.dirty:
            self.save()
        self.context.runner.start(
            lambda progress: plan.build_plan(ws, year, internal=internal, progress=progress),
            f"{year}年度の計画の内容を集計しています",
            on_done=self._show_document,
        )

    def start_create(self) -> None:
        """Ask where, then make the PDF there."""
        if self.workspace is None or self.fiscal_year is None:
            return
        edition = "内部用" if self.internal else "公表用"
        folder = self.pdf_path.parent if self.pdf_path else Path.home()
        pdf_path = ask_save_path(self, folder / f"データヘルス計画_{self.fiscal_year}年度_{edition}.pdf")
        if pdf_path is not None:
            self.create(pdf_path if pdf_path.suffix.lower() == ".pdf" else pdf_path.with_name(pdf_path.name + ".pdf"))

    def create(self, pdf_path: Path) -> None:
        """Save the text and write the PDF (and the xlsx beside it when asked) on the worker."""
        ws, year, internal = self.workspace, self.fiscal_year, self.internal
        if ws is None or year is None:
            return
        xlsx_path = pdf_path.with_suffix(".xlsx") if self.xlsx_check.isChecked() else None
        if self.dirty:
            self.save()
        edition = "内部用" if internal else "公表用"
        self.context.runner.start(
            lambda progress: plan.write_plan(ws, year, pdf_path, xlsx_path, internal=internal, progress=progress),
            f"{year}年度のデータヘルス計画（{edition}）を作成しています",
            on_done=self._show_created,
            on_cancelled=lambda: self._show_status("計画書の作成を取り消しました。"),
        )

    def _show_document(self, outcome: tuple[PlanDocument, list[str]]) -> None:
        document, skipped = outcome
        self.document = document
        for number, view in self.contents.items():
            view.show_section(next(s for s in document.sections if s.number == number))
        self.issues_editor.set_suggestions(issue_suggestions(document))
        self.targets_editor.set_actuals(kpi_actuals(document))
        lines = [f"{document.fiscal_year}年度の計画の内容を集計しました（表 {len(document.tables)} 表）。"]
        lines += [f"作成できなかった分析: {reason}" for reason in skipped]
        self._show_status("\n".join(lines))

    def _show_created(self, result: plan.PlanResult) -> None:
        self.pdf_path = result.pdf_path
        data = result.pdf_path.read_bytes()
        self._section_pages = section_pages(data)
        self.preview.set_pdf(data)
        self._turn_to_section(self.section_list.currentRow() + 1)
        self.tabs.setCurrentWidget(self.preview)
        self._show_status(result.summary)

    def _forget_document(self) -> None:
        """The content belongs to one 年度 and edition: drop it when either changes."""
        self.document = None
        for view in self.contents.values():
            view.show_section(None)
        self.issues_editor.set_suggestions(None)
        self.targets_editor.set_actuals(None)

    def _forget_pdf(self) -> None:
        self._section_pages = {}
        self.preview.set_pdf(None)

    # navigation and messages ----------------------------------------------------------------------

    def show_section(self, number: int) -> None:
        """Open section `number`'s editor, as a click in the list would (tests and screenshots)."""
        self.section_list.setCurrentRow(number - 1)

    def _on_section_chosen(self, row: int) -> None:
        if row < 0:
            return
        self.editor_stack.setCurrentIndex(row)
        self._turn_to_section(row + 1)

    def _turn_to_section(self, number: int) -> None:
        page = self._section_pages.get(number)
        if page is not None:
            self.preview.show_page(page)

    def _show_status(self, text: str) -> None:
        self.status_label.setProperty("role", "")
        self.status_label.setText(text)
        self._repolish()

    def _show_error(self, text: str) -> None:
        self.status_label.setProperty("role", "error")
        self.status_label.setText(text)
        self._repolish()

    def _repolish(self) -> None:
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
