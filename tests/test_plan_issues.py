"""健康課題の候補: each suggestion appears at its threshold, not below, and cites its table."""

from __future__ import annotations

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan import plan_resource
from dhdesk.core.plan.issues import suggest
from dhdesk.core.union import UnionType


def _trend(first_age: float, last_age: float) -> AnalysisTable:
    return AnalysisTable("membership_trend", "推移", pd.DataFrame({
        "年度": ["2023年度", "2025年度"], "組合員 平均年齢": [first_age, last_age]}))


def _keys(*tables: AnalysisTable) -> list[str]:
    return [s.table_key for s in suggest(list(tables), UnionType.MUTUAL_AID, "組合員", 2025)]


def test_aging_is_suggested_from_the_threshold_up():
    rise = plan_resource("issues")["aging"]["min_rise_years"]
    assert _keys(_trend(40.0, 40.0 + rise - 0.1)) == []
    assert _keys(_trend(40.0, 40.0 + rise)) == ["membership_trend"]
    evidence = suggest([_trend(40.0, 41.0)], UnionType.MUTUAL_AID, "組合員", 2025)[0].evidence
    assert "40.0歳" in evidence and "41.0歳" in evidence


def test_checkup_rates_below_the_union_types_target_are_named_by_group():
    table = AnalysisTable("jisshiritsu_kenshin", "実施率", pd.DataFrame({
        "区分": ["全体", "組合員", "被扶養者"], "実施率(%)": [88.0, 90.0, 89.9]}))
    found = suggest([table], UnionType.MUTUAL_AID, "組合員", 2025)
    assert [s.table_key for s in found] == ["jisshiritsu_kenshin"]
    assert "被扶養者 89.9%" in found[0].evidence and "組合員" not in found[0].evidence


def test_untreated_people_and_uncontrolled_diabetes_follow_their_thresholds():
    untreated = AnalysisTable("未受診×有所見", "未受診", pd.DataFrame({
        "有所見数": ["1", "計"], "治療放置群（治療域）": [0, 0]}))
    share = plan_resource("issues")["diabetes_uncontrolled"]["min_share_percent"]
    diabetes = AnalysisTable("jinsho_trend", "腎症", pd.DataFrame({
        "区分": ["アンコントロール者割合(%)"], "2025年度": [share - 0.1]}))
    assert _keys(untreated, diabetes) == []
    diabetes.table.loc[0, "2025年度"] = share
    untreated.table.loc[1, "治療放置群（治療域）"] = 1
    assert _keys(untreated, diabetes) == ["未受診×有所見", "jinsho_trend"]


def test_missing_tables_suggest_nothing():
    assert suggest([], UnionType.SINGLE, "被保険者", 2025) == []
