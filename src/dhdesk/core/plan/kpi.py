"""The plan's targets (目標): the KPI table by 年度 (seed 004 §5.4) and the 特定健診等実施計画 (§6.3.1).

Targets are the clerk's (PlanText.targets), defaulting to the 保険者種別's 実施率 targets; actuals are
read from the analysis tables of each 年度, so they equal what `dhdesk analyze` prints for that year.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.claims_drugs import polypharmacy
from dhdesk.core.analyses.reporting import implementation_rates, load_reporting_rules
from dhdesk.core.plan import plan_resource
from dhdesk.core.plan.text import PlanText
from dhdesk.core.rules import RuleSetError
from dhdesk.core.union import DEPENDANT_LABEL, UnionType

YEARLY_ANALYSES: tuple[Callable[[AnalysisInputs, int], list[AnalysisTable]], ...] = (implementation_rates, polypharmacy)
"""Analyses re-run for the earlier years of the plan period: their tables hold one 年度 only."""


@dataclass(frozen=True)
class Indicator:
    """One KPI row: where its actual comes from (an analysis table's cell) and its default target."""

    key: str
    label: str
    group: str
    unit: str
    table: str
    row: str = ""
    column: str = ""
    default_target: str | float | None = None


def plan_years() -> list[int]:
    """The 第3期 plan period (2024〜2029)."""
    data = plan_resource("kpi")
    return list(range(int(data["first_year"]), int(data["last_year"]) + 1))


def indicators(insured: str) -> tuple[Indicator, ...]:
    """The indicators of resources/plan/kpi.toml, with 組合員/被保険者 filled in."""
    out = []
    for entry in plan_resource("kpi")["indicator"]:
        entry = {k: v.replace("{insured}", insured) if isinstance(v, str) else v for k, v in entry.items()}
        out.append(Indicator(**entry))
    return tuple(out)


def tables_by_year(inputs: AnalysisInputs, fiscal_year: int, tables: Sequence[AnalysisTable]
                   ) -> dict[int, list[AnalysisTable]]:
    """The year's own tables, plus the one-year tables of the plan years before it that the inputs cover.

    A year the rules cannot judge (before 第4期) is left out: its actual prints as 「－」.
    """
    out = {fiscal_year: list(tables)}
    covered = set(pd.unique(inputs.checkups["fiscal_year"].dropna().astype("int64")).tolist())
    for year in plan_years():
        if year >= fiscal_year or year not in covered:
            continue
        try:
            out[year] = [t for analysis in YEARLY_ANALYSES for t in analysis(inputs, year)]
        except RuleSetError:
            continue
    return out


def cell(tables: Sequence[AnalysisTable], key: str, row: str, column: str) -> float:
    """The number in `column` of the row labelled `row` of table `key`; NaN when absent."""
    table = next((t for t in tables if t.key == key), None)
    if table is None or column not in table.table.columns:
        return math.nan
    frame = table.table
    hit = frame.loc[frame.iloc[:, 0].astype("string") == row, column]
    value = pd.to_numeric(hit, errors="coerce")
    return float(value.iloc[0]) if len(value) else math.nan


def actual(indicator: Indicator, year: int, by_year: Mapping[int, Sequence[AnalysisTable]]) -> float:
    """The indicator's actual in `year`: from that year's tables, or from a later year's table that has a
    column per year (後発医薬品, 腎症の推移)."""
    if not indicator.table:
        return math.nan
    column = indicator.column.replace("{year}", str(year))
    value = cell(by_year.get(year, ()), indicator.table, indicator.row, column)
    if math.isnan(value) and "{year}" in indicator.column:
        for later in sorted(y for y in by_year if y > year):
            value = cell(by_year[later], indicator.table, indicator.row, column)
            if not math.isnan(value):
                break
    return value


def target(indicator: Indicator, year: int, text: PlanText, union_type: UnionType) -> float:
    """The clerk's target for the year, else the default (保険者種別の目標 or a fixed value), else NaN."""
    written = text.targets.get(indicator.key, {}).get(year)
    if written is not None:
        return float(written)
    default = indicator.default_target
    if isinstance(default, str):
        rates = next(t for t in load_reporting_rules().targets if t.union_type == union_type.value)
        return float(getattr(rates, default))
    return float(default) if default is not None else math.nan


def kpi_table(text: PlanText, union_type: UnionType, by_year: Mapping[int, Sequence[AnalysisTable]],
              insured: str) -> AnalysisTable:
    """目標 and 実績 of every indicator for 2024〜2029: two rows per indicator, one column per 年度."""
    years = plan_years()
    rows = []
    for indicator in indicators(insured):
        name = f"{indicator.label}({indicator.unit})"
        rows.append({"指標": name, "区分": indicator.group, "": "目標",
                     **{f"{y}年度": target(indicator, y, text, union_type) for y in years}})
        rows.append({"指標": name, "区分": indicator.group, "": "実績",
                     **{f"{y}年度": actual(indicator, y, by_year) for y in years}})
    notes = (
        "目標は計画レポート画面で入力した値。未入力の実施率は保険者種別の目標値 (第4期)、後発医薬品は国の目標80%を表示。",
        "実績は各年度の分析表と同じ定義でワークスペースのデータから算出。「－」は年度未到来またはデータなし。",
        "特定保健指導実施率は保健指導の実施結果 (終了者) の記録がないため、実績を算出していない。",
    )
    return AnalysisTable("plan_kpi", "第3期データヘルス計画の目標と実績", pd.DataFrame(rows), notes, "5.4")


def implementation_plan(text: PlanText, union_type: UnionType, by_year: Mapping[int, Sequence[AnalysisTable]],
                        fiscal_year: int, insured: str) -> AnalysisTable:
    """特定健診等実施計画 (§6.3.1): 対象者数 (actual, then projected), 目標実施率 and 目標受診者数 by group.

    対象者数 beyond the latest actual follow the straight-line trend of the actual years (flat with one
    year); the 保健指導 対象者数 applies the latest 対象者率 to the projected 受診者数.
    """
    years = plan_years()
    by_key = {i.key: i for i in indicators(insured)}
    rows = []
    for group, checkup_key, guidance_key in ((insured, "kenshin_insured", "shido_insured"),
                                             (DEPENDANT_LABEL, "kenshin_dependant", "shido_dependant")):
        people = _projected(by_year, group, years, fiscal_year, "jisshiritsu_kenshin", "対象者数")
        checkup_rate = np.array([target(by_key[checkup_key], y, text, union_type) for y in years])
        attendees = np.round(people * checkup_rate / 100)
        share = cell(by_year.get(fiscal_year, ()), "jisshiritsu_shido", group, "対象者率(%)")
        guidance_people = np.round(attendees * share / 100)
        guidance_rate = np.array([target(by_key[guidance_key], y, text, union_type) for y in years])
        finished = np.round(guidance_people * guidance_rate / 100)
        for label, values in (("特定健診 対象者数(人)", people), ("特定健診 目標実施率(%)", checkup_rate),
                              ("特定健診 目標受診者数(人)", attendees), ("特定保健指導 対象者数(人)", guidance_people),
                              ("特定保健指導 目標実施率(%)", guidance_rate), ("特定保健指導 目標終了者数(人)", finished)):
            rows.append({"項目": label, "区分": group, **{f"{y}年度": float(v) for y, v in zip(years, values)}})
    notes = (
        f"対象者数は{fiscal_year}年度までは実績 (法定報告の定義)、以降は実績年度の直線傾向による見込み。",
        "目標受診者数 = 対象者数 × 目標実施率。特定保健指導 対象者数 = 目標受診者数 × 直近年度の対象者率。",
    )
    return AnalysisTable("plan_tokutei", "第4期特定健康診査等実施計画の目標値と対象者数の見込み",
                         pd.DataFrame(rows), notes, "6.3.1")


def _projected(by_year: Mapping[int, Sequence[AnalysisTable]], group: str, years: list[int], fiscal_year: int,
               key: str, column: str) -> np.ndarray:
    known = {y: cell(tables, key, group, column) for y, tables in by_year.items()}
    known = {y: v for y, v in known.items() if not math.isnan(v)}
    if not known:
        return np.full(len(years), np.nan)
    xs = np.array(sorted(known), dtype="float64")
    ys = np.array([known[int(x)] for x in xs])
    slope, intercept = np.polyfit(xs, ys, 1) if len(xs) >= 2 else (0.0, ys[-1])
    return np.array([known[y] if y in known else max(0.0, round(slope * y + intercept)) for y in years])
