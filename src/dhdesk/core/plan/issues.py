"""健康課題の候補: issues suggested by the union's own figures, each citing the table that shows it.

Each rule reads one analysis table and a threshold from resources/plan/issues.toml; a rule whose
table is missing or whose figure stays under the threshold suggests nothing. The clerk keeps, edits
or replaces the suggestions (PlanText.issues).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.analyses.reporting import load_reporting_rules
from dhdesk.core.plan import plan_resource
from dhdesk.core.plan.kpi import cell
from dhdesk.core.union import DEPENDANT_LABEL, UnionType


@dataclass(frozen=True)
class Suggestion:
    """A suggested 健康課題: a short title, the sentence of evidence, and the table it rests on."""

    title: str
    evidence: str
    table_key: str


@dataclass(frozen=True)
class _Context:
    tables: dict[str, AnalysisTable]
    union_type: UnionType
    insured: str
    fiscal_year: int

    def frame(self, key: str) -> pd.DataFrame | None:
        table = self.tables.get(key)
        return None if table is None or table.table.empty else table.table


def _limit(section: str, key: str) -> float:
    return float(plan_resource("issues")[section][key])


def _aging(c: _Context) -> Suggestion | None:
    frame = c.frame("membership_trend")
    column = f"{c.insured} 平均年齢"
    if frame is None or len(frame) < 2 or column not in frame:
        return None
    first, last = frame.iloc[0], frame.iloc[-1]
    rise = float(last[column]) - float(first[column])
    if not rise >= _limit("aging", "min_rise_years"):
        return None
    return Suggestion("加入者の高齢化", f"{c.insured}の平均年齢が{first['年度']}の{first[column]:.1f}歳から"
                      f"{last['年度']}は{last[column]:.1f}歳へ{rise:.1f}歳上がっています。", "membership_trend")


def _cost_rise(c: _Context) -> Suggestion | None:
    frame = c.frame("cost_trend")
    if frame is None or len(frame) < 2:
        return None
    first, last = frame.iloc[0], frame.iloc[-1]
    before, after = float(first["全体 1人あたり(円)"]), float(last["全体 1人あたり(円)"])
    if not before > 0 or (after / before - 1) * 100 < _limit("cost_rise", "min_rise_percent"):
        return None
    return Suggestion("1人あたり医療費の増加", f"1人あたり医療費が{first['年度']}の{before:,.0f}円から"
                      f"{last['年度']}は{after:,.0f}円へ{(after / before - 1) * 100:.1f}%増えています。", "cost_trend")


def _checkup_rates(c: _Context) -> Suggestion | None:
    goal = next(t for t in load_reporting_rules().targets if t.union_type == c.union_type.value).kenshin
    below = [(group, rate) for group in (c.insured, DEPENDANT_LABEL)
             if not math.isnan(rate := cell(list(c.tables.values()), "jisshiritsu_kenshin", group, "実施率(%)"))
             and rate < goal]
    if not below:
        return None
    figures = "、".join(f"{group} {rate:.1f}%" for group, rate in below)
    return Suggestion("特定健診の実施率が目標に届いていない",
                      f"特定健診の実施率は{figures}で、{c.union_type.value}の目標{goal:g}%を下回っています。",
                      "jisshiritsu_kenshin")


def _dependants_never(c: _Context) -> Suggestion | None:
    frame = c.frame("hifuyosha_3kanen")
    if frame is None:
        return None
    never = frame.loc[frame["区分"] == "3年連続未受診"]
    share = float(never["割合(%)"].iloc[0]) if len(never) else math.nan
    if not share >= _limit("dependant_never", "min_share_percent"):
        return None
    return Suggestion("被扶養者の健診未受診の固定化",
                      f"3年間続けて対象だった被扶養者の{share:.1f}%が、3年連続で特定健診を受けていません。",
                      "hifuyosha_3kanen")


def _untreated(c: _Context) -> Suggestion | None:
    frame = c.frame("未受診×有所見")
    column = "治療放置群（治療域）"
    if frame is None or column not in frame:
        return None
    people = cell([c.tables["未受診×有所見"]], "未受診×有所見", "計", column)
    if not people >= _limit("untreated_findings", "min_people"):
        return None
    return Suggestion("治療域の有所見者の医療機関未受診",
                      f"健診で治療域の値がありながら医療機関を受診していない人が{people:,.0f}人います。", "未受診×有所見")


def _diabetes(c: _Context) -> Suggestion | None:
    share = cell(list(c.tables.values()), "jinsho_trend", "アンコントロール者割合(%)", f"{c.fiscal_year}年度")
    if not share >= _limit("diabetes_uncontrolled", "min_share_percent"):
        return None
    return Suggestion("糖尿病の重症化リスク",
                      f"2型糖尿病で治療中の人のうち{share:.1f}%は、血糖のコントロールが不良です。",
                      "jinsho_trend")


def _polypharmacy(c: _Context) -> Suggestion | None:
    share = cell(list(c.tables.values()), "polypharmacy", "合計", "多剤服用者割合(%)")
    if not share >= _limit("polypharmacy", "min_share_percent"):
        return None
    return Suggestion("多剤服用", f"服薬している加入者の{share:.1f}%が多剤服用の状態です。", "polypharmacy")


def _top_disease(c: _Context) -> Suggestion | None:
    frame = c.frame("icd10_top10")
    if frame is None:
        return None
    top = frame.iloc[0]
    return Suggestion(f"{top['ICD10大分類']}の医療費",
                      f"疾病分類別では{top['ICD10大分類']}の医療費が最も多く、医療費全体の{top['医療費割合(%)']:.1f}%を"
                      "占めています。", "icd10_top10")


RULES: tuple[Callable[[_Context], Suggestion | None], ...] = (
    _aging, _cost_rise, _top_disease, _checkup_rates, _dependants_never, _untreated, _diabetes, _polypharmacy,
)


def suggest(tables: Sequence[AnalysisTable], union_type: UnionType, insured: str, fiscal_year: int) -> list[Suggestion]:
    """The suggestions the year's tables support, in the order the plan discusses them."""
    context = _Context({t.key: t for t in tables}, union_type, insured, fiscal_year)
    return [s for rule in RULES if (s := rule(context)) is not None]
