"""KPI targets and actuals by 年度, and the 特定健診等実施計画 projection."""

from __future__ import annotations

import math

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan.kpi import actual, implementation_plan, indicators, kpi_table, plan_years, target
from dhdesk.core.plan.text import PlanText
from dhdesk.core.union import UnionType


def _rates(total: float, people: tuple[int, int]) -> AnalysisTable:
    return AnalysisTable("jisshiritsu_kenshin", "実施率", pd.DataFrame({
        "区分": ["全体", "組合員", "被扶養者"], "対象者数": [sum(people), people[0], people[1]],
        "実施率(%)": [total, total + 5, total - 20]}))


def _shido() -> AnalysisTable:
    return AnalysisTable("jisshiritsu_shido", "対象者", pd.DataFrame({
        "区分": ["全体", "組合員", "被扶養者"], "対象者率(%)": [10.0, 12.0, 5.0]}))


def _generic() -> AnalysisTable:
    return AnalysisTable("generic_share_by_type", "後発", pd.DataFrame({
        "レセプト種別": ["全レセプト"], "数量シェア(%) 2024年度": [81.0], "数量シェア(%) 2025年度": [83.5]}))


BY_YEAR = {2024: [_rates(80.0, (900, 200))], 2025: [_rates(85.0, (1000, 220)), _shido(), _generic()]}
KEY = {i.key: i for i in indicators("組合員")}


def test_actuals_come_from_the_years_own_table_or_a_later_years_year_column():
    assert plan_years() == [2024, 2025, 2026, 2027, 2028, 2029]
    assert actual(KEY["kenshin_total"], 2024, BY_YEAR) == 80.0
    assert actual(KEY["kenshin_insured"], 2025, BY_YEAR) == 90.0
    assert actual(KEY["generic_share"], 2024, BY_YEAR) == 81.0       # from the 2025 table's 2024 column
    assert math.isnan(actual(KEY["kenshin_total"], 2026, BY_YEAR))
    assert math.isnan(actual(KEY["shido_insured"], 2025, BY_YEAR))   # no guidance results in a workspace


def test_targets_are_the_clerks_else_the_union_types_else_blank():
    text = PlanText(targets={"kenshin_total": {2026: 95.0}})
    assert target(KEY["kenshin_total"], 2026, text, UnionType.MUTUAL_AID) == 95.0
    assert target(KEY["kenshin_total"], 2027, text, UnionType.MUTUAL_AID) == 90.0
    assert target(KEY["kenshin_total"], 2027, text, UnionType.COMPOSITE) == 85.0
    assert target(KEY["generic_share"], 2027, text, UnionType.MUTUAL_AID) == 80.0
    assert math.isnan(target(KEY["polypharmacy_share"], 2027, text, UnionType.MUTUAL_AID))


def test_kpi_table_has_a_target_and_an_actual_row_per_indicator():
    frame = kpi_table(PlanText(), UnionType.MUTUAL_AID, BY_YEAR, "組合員").table
    assert len(frame) == 2 * len(KEY)
    first = frame.iloc[:2]
    assert first[""].tolist() == ["目標", "実績"]
    assert first["2025年度"].tolist() == [90.0, 85.0]


def test_projected_people_follow_the_trend_and_attendees_apply_the_target():
    frame = implementation_plan(PlanText(targets={"kenshin_insured": {2027: 50.0}}), UnionType.MUTUAL_AID, BY_YEAR,
                                2025, "組合員").table
    people = frame.loc[(frame["項目"] == "特定健診 対象者数(人)") & (frame["区分"] == "組合員")].iloc[0]
    assert [people[f"{y}年度"] for y in range(2024, 2030)] == [900, 1000, 1100, 1200, 1300, 1400]
    attendees = frame.loc[(frame["項目"] == "特定健診 目標受診者数(人)") & (frame["区分"] == "組合員")].iloc[0]
    assert attendees["2027年度"] == 600 and attendees["2026年度"] == round(1100 * 0.9)
    guidance = frame.loc[(frame["項目"] == "特定保健指導 対象者数(人)") & (frame["区分"] == "組合員")].iloc[0]
    assert guidance["2027年度"] == round(600 * 0.12)
