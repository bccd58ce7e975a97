"""Use case `dhdesk analyze` / 分析: every data-health analysis of a 年度, from the workspace, to xlsx."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.catalogue import ANALYSES
from dhdesk.core.rules import RuleSetError
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.core.union import insured_label
from dhdesk.reports.xlsx_tables import write_tables
from dhdesk.store.workspace import Workspace

YEARS_BACK = 2
"""Analyses compare with up to two earlier years (3-year attendance patterns, inflow/outflow, trends)."""

_CARRIED = ("claim_id", "member_id", "service_month", "claim_type", "fiscal_year")
RECEIPT_COLUMNS = (*_CARRIED, "facility_code", "days", "points")
DIAGNOSIS_COLUMNS = (*_CARRIED, "icd10", "is_main", "is_suspected", "disease_code", "disease_name")
DRUG_LINE_COLUMNS = (*_CARRIED, "yj_code", "drug_code", "quantity", "days")
"""The claims columns the analyses read: three years of claims are tens of millions of rows, and names,
dates and ids nobody reads would double the time and memory of pulling them out of the store. The
store's integer `claim_id` stands in for the text レセプト番号: receipts and their lines join on it."""


@dataclass(frozen=True)
class AnalysisResult:
    """The tables of a 年度, and the analyses that could not run for it (with the reason)."""

    fiscal_year: int
    tables: list[AnalysisTable]
    skipped: list[str] = field(default_factory=list)
    out_path: Path | None = None

    @property
    def summary(self) -> str:
        where = f"を {self.out_path} に書き出しました" if self.out_path else "を作成しました"
        lines = [f"{self.fiscal_year}年度の分析表 {len(self.tables)} 表{where}。"]
        lines += [f"作成できなかった分析: {reason}" for reason in self.skipped]
        return "\n".join(lines)


def load_inputs(workspace: Workspace, fiscal_year: int, *, progress: ProgressFn = no_progress) -> AnalysisInputs:
    """The frames the analyses read: the roster, checkups and claims of `fiscal_year` and the two before.

    Claims are read one 年度 after another, each in no particular order (`ordered=False`): every
    analysis sums, counts or sorts itself, and putting 25 M rows in file order was half of the reading
    time at 300k members. In 年度 order, a year of claims is a slice of each frame, which the analyses
    take without copying (`claims_base.of_year`). Pinned by tests/test_analyses_figures.py and
    test_the_analyses_do_not_depend_on_the_order_of_claims.
    """
    years = tuple(range(fiscal_year - YEARS_BACK, fiscal_year + 1))
    progress(0.0, "加入者と健診結果を読み込んでいます")
    checkups = pd.concat([workspace.checkups(year) for year in years], ignore_index=True)
    progress(0.3, "レセプトを読み込んでいます")
    receipts = workspace.receipts(years, columns=RECEIPT_COLUMNS, ordered=False)
    diagnoses = workspace.diagnoses(years, columns=DIAGNOSIS_COLUMNS, ordered=False)
    progress(0.6, "医薬品の明細を読み込んでいます")
    drug_lines = workspace.drug_lines(years, columns=DRUG_LINE_COLUMNS, ordered=False)
    return AnalysisInputs(
        members=workspace.members(),
        checkups=checkups,
        receipts=receipts,
        diagnoses=diagnoses,
        drug_lines=drug_lines,
        drug_master=workspace.drug_master(date(fiscal_year + 1, 3, 31)),
        insured_label=insured_label(workspace.union_info().union_type),
    )


def analyze(workspace: Workspace, fiscal_year: int, *, inputs: AnalysisInputs | None = None,
            progress: ProgressFn = no_progress) -> AnalysisResult:
    """Run every analysis of the catalogue for `fiscal_year`, on `inputs` when given (`load_inputs` of the
    same workspace and 年度: the plan reuses them for earlier years' actuals), else on what `load_inputs`
    reads. The result holds only the tables: at 300k members the inputs are gigabytes."""
    if inputs is None:
        inputs = load_inputs(workspace, fiscal_year, progress=wrap_progress(progress, 0.0, 0.3))
    union_type = workspace.union_info().union_type
    tables: list[AnalysisTable] = []
    skipped: list[str] = []
    for number, analysis in enumerate(ANALYSES):
        progress(0.3 + 0.7 * number / len(ANALYSES), f"{analysis.title}を集計しています")
        try:
            tables += analysis.run(inputs, fiscal_year, union_type)
        except RuleSetError as error:
            skipped.append(f"{analysis.title}（{error}）")
    progress(1.0, "完了")
    return AnalysisResult(fiscal_year, tables, skipped)


def analyze_to_xlsx(
    workspace: Workspace, fiscal_year: int, out_path: Path, *, progress: ProgressFn = no_progress
) -> AnalysisResult:
    """`dhdesk analyze`: every analysis of the 年度, one sheet each, after a contents sheet."""
    result = analyze(workspace, fiscal_year, progress=wrap_progress(progress, 0.0, 0.9))
    heading = f"{workspace.union_info().name} {fiscal_year}年度 分析表"
    write_tables(result.tables, Path(out_path), heading=heading)
    progress(1.0, "書き出しました")
    return AnalysisResult(fiscal_year, result.tables, result.skipped, Path(out_path))
