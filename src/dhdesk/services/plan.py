"""Use case `dhdesk report` / 計画レポート: the データヘルス計画 of a 年度 from the workspace, to PDF and xlsx.

The figures are the analyses of `services.analyses` for the same 年度 (so the plan and `dhdesk analyze`
never disagree); the clerk's text is stored per 年度 in the workspace settings (`plan.<fy>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dhdesk.core.plan import PlanDocument
from dhdesk.core.plan.document import PlanInputs, build_document
from dhdesk.core.plan.kpi import tables_by_year
from dhdesk.core.plan.text import PlanText
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.core.union import insured_label
from dhdesk.reports.plan_pdf import PlanRenderer
from dhdesk.reports.xlsx_tables import write_tables
from dhdesk.services.analyses import analyze, load_inputs
from dhdesk.store.workspace import Workspace

SETTING_PREFIX = "plan."
CARRY_OVER_YEARS = 10
"""How far back a 年度 without its own text looks for the latest earlier one."""


@dataclass(frozen=True)
class PlanResult:
    """What was written, and the analyses that could not run for the 年度 (with the reason)."""

    fiscal_year: int
    pdf_path: Path
    xlsx_path: Path | None
    table_count: int
    skipped: list[str]

    @property
    def summary(self) -> str:
        lines = [f"{self.fiscal_year}年度のデータヘルス計画を {self.pdf_path} に書き出しました（表 {self.table_count} 表）。"]
        if self.xlsx_path:
            lines.append(f"同じ表を {self.xlsx_path} に書き出しました。")
        lines += [f"作成できなかった分析: {reason}" for reason in self.skipped]
        return "\n".join(lines)


def plan_text(workspace: Workspace, fiscal_year: int) -> PlanText:
    """The 年度's text, else the latest earlier 年度's (carried over), else empty (the drafts print)."""
    for year in range(fiscal_year, fiscal_year - CARRY_OVER_YEARS - 1, -1):
        stored = workspace.get_setting(f"{SETTING_PREFIX}{year}")
        if stored:
            return PlanText.from_setting(stored)
    return PlanText()


def save_plan_text(workspace: Workspace, fiscal_year: int, text: PlanText) -> None:
    """Keep the clerk's text for the 年度 (the next 年度 starts from it)."""
    workspace.set_setting(f"{SETTING_PREFIX}{fiscal_year}", text.to_setting())


def build_plan(workspace: Workspace, fiscal_year: int, *, internal: bool = False,
               progress: ProgressFn = no_progress) -> tuple[PlanDocument, list[str]]:
    """The plan's content for `fiscal_year` and the analyses that could not run (their reasons).

    The tables are `analyses.analyze`'s, and the earlier years' actuals are computed on the same inputs:
    the workspace is read once.
    """
    inputs = load_inputs(workspace, fiscal_year, progress=wrap_progress(progress, 0.0, 0.25))
    analysed = analyze(workspace, fiscal_year, inputs=inputs, progress=wrap_progress(progress, 0.25, 0.8))
    union = workspace.union_info()
    tables, skipped = analysed.tables, analysed.skipped
    progress(0.8, "過去の年度の実績を集計しています")
    history = tables_by_year(inputs, fiscal_year, tables)
    progress(0.9, "計画書の内容を組み立てています")
    document = build_document(PlanInputs(
        union=union, insured=insured_label(union.union_type), fiscal_year=fiscal_year, tables=tables,
        by_year=history, text=plan_text(workspace, fiscal_year), created=date.today(), internal=internal,
    ))
    return document, skipped


def write_plan(workspace: Workspace, fiscal_year: int, pdf_path: Path, xlsx_path: Path | None = None, *,
               internal: bool = False, progress: ProgressFn = no_progress) -> PlanResult:
    """`dhdesk report`: the plan PDF and, when asked, the same tables as xlsx (both suppressed unless internal)."""
    document, skipped = build_plan(workspace, fiscal_year, internal=internal, progress=wrap_progress(progress, 0, 0.7))
    progress(0.7, "PDFを作成しています")
    pdf_path = Path(pdf_path)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    partial = pdf_path.with_name(pdf_path.name + ".partial")
    with partial.open("wb") as out:
        PlanRenderer(document).write(out)
    partial.replace(pdf_path)
    if xlsx_path is not None:
        progress(0.95, "表を xlsx に書き出しています")
        edition = "内部用" if internal else "公表用"
        write_tables(document.tables, Path(xlsx_path),
                     heading=f"{document.union_name} {fiscal_year}年度 データヘルス計画の表（{edition}）")
    progress(1.0, "完了")
    return PlanResult(fiscal_year, pdf_path, Path(xlsx_path) if xlsx_path else None, len(document.tables), skipped)
