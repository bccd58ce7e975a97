"""法定報告 analyses: 実施率 denominator/numerator boundaries, 加算 bounds, 被扶養者3か年, 保健指導対象者の流入出."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.reporting import (
    NO_GUIDANCE_RESULTS,
    dependant_attendance_patterns,
    guidance_flow,
    implementation_rates,
    load_reporting_rules,
    support_fund_check,
)
from dhdesk.core.fields import CHECKUPS, DIAGNOSES, DRUG_LINES, DRUG_MASTER, MEMBERS, RECEIPTS
from dhdesk.core.rules import RuleSetError
from dhdesk.core.synthetic.typed import typed_frame
from dhdesk.core.union import UnionType

FY = 2024
HEALTHY = {"waist": 80.0, "bmi": 22.0, "sbp": 118.0, "dbp": 72.0, "tg_fasting": 100.0, "hdl": 60.0,
           "fbg": 90.0, "hba1c": 5.2, "smoking": 3, "med_bp": 2, "med_glucose": 2, "med_lipid": 2,
           "blood_timing": 2}
ACTIVE = HEALTHY | {"waist": 95.0, "sbp": 140.0, "tg_fasting": 200.0, "fbg": 110.0}
MOTIVATIONAL = HEALTHY | {"waist": 95.0, "sbp": 140.0}
MEDICATED = ACTIVE | {"med_bp": 1}
INCOMPLETE = HEALTHY | {"waist": 95.0, "sbp": np.nan, "dbp": np.nan, "tg_fasting": np.nan, "hdl": np.nan,
                        "fbg": np.nan, "hba1c": np.nan}


def member(member_id: str, relation: int = 1, birth: str = "1970-06-01", acquired: str = "2000-04-01",
           lost: str | None = None, deceased: str | None = None) -> dict:
    return {"member_id": member_id, "name": member_id, "sex": 1, "birth_date": birth, "relation": relation,
            "acquired_date": acquired, "lost_date": lost, "deceased_date": deceased}


def checkup(member_id: str, exam: str, values: dict = HEALTHY, birth: str = "1970-06-01") -> dict:
    return {"member_id": member_id, "sex": 1, "birth_date": birth, "exam_date": exam} | values


def frame(layout, rows: list[dict]) -> pd.DataFrame:
    columns = {name: [row.get(name) for row in rows] for name in {k for row in rows for k in row}}
    return typed_frame(layout, columns, len(rows))


def inputs(members: list[dict], checkups: list[dict]) -> AnalysisInputs:
    empty = {layout: typed_frame(layout, {}, 0) for layout in (RECEIPTS, DIAGNOSES, DRUG_LINES, DRUG_MASTER)}
    return AnalysisInputs(frame(MEMBERS, members), frame(CHECKUPS, checkups), empty[RECEIPTS], empty[DIAGNOSES],
                          empty[DRUG_LINES], empty[DRUG_MASTER])


def row(table: pd.DataFrame, column: str, label: str) -> pd.Series:
    return table.loc[table[column] == label].iloc[0]


# ── 特定健診 実施率: 分母 ────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("person", "counted"),
    [
        (member("a", acquired="2024-03-31"), True),
        (member("a", acquired="2024-04-01"), True),
        (member("a", acquired="2024-04-02"), False),
        (member("a", lost="2025-03-31"), False),
        (member("a", lost="2025-04-01"), True),
        (member("a", deceased="2025-03-31"), False),
        (member("a", birth="1985-04-01"), False),  # 39 on 2025-03-31
        (member("a", birth="1985-03-31"), True),  # 40
        (member("a", birth="1950-04-01"), True),  # 74
        (member("a", birth="1950-03-31"), False),  # 75
    ],
)
def test_denominator_boundaries(person, counted):
    table = implementation_rates(inputs([person], []), FY)[0].table
    assert row(table, "区分", "全体")["対象者数"] == int(counted)


def test_history_row_covering_the_year_counts_once():
    rows = [member("a", acquired="2000-04-01", lost="2010-04-01"), member("a", acquired="2012-04-01")]
    table = implementation_rates(inputs(rows, []), FY)[0].table
    assert row(table, "区分", "全体")["対象者数"] == 1


# ── 特定健診 実施率: 分子・区分 ─────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("exam", "attended"),
    [("2024-03-31", False), ("2024-04-01", True), ("2025-03-31", True), ("2025-04-01", False)],
)
def test_numerator_counts_checkups_within_the_year(exam, attended):
    table = implementation_rates(inputs([member("a")], [checkup("a", exam)]), FY)[0].table
    assert row(table, "区分", "全体")["受診者数"] == int(attended)


def test_rates_by_group_against_the_national_target():
    people = [member(f"m{i}") for i in range(4)] + [member(f"d{i}", relation=2) for i in range(4)]
    exams = [checkup("m0", "2024-05-01"), checkup("m0", "2024-09-01"), checkup("m1", "2024-05-01"),
             checkup("m2", "2024-05-01"), checkup("d0", "2024-05-01"), checkup("x", "2024-05-01")]
    rates = implementation_rates(inputs(people, exams), FY)[0]
    total, insured, dependant = (row(rates.table, "区分", g) for g in ("全体", "組合員", "被扶養者"))
    assert (total["対象者数"], total["受診者数"], total["実施率(%)"]) == (8, 4, 50.0)
    assert (insured["受診者数"], insured["実施率(%)"], insured["目標との差(ポイント)"]) == (3, 75.0, 5.0)
    assert (dependant["受診者数"], dependant["未受診者数"], dependant["実施率(%)"]) == (1, 3, 25.0)
    assert rates.member_ids["被扶養者・未受診"] == ("d1", "d2", "d3")


def test_guidance_targets_counted_from_the_first_checkup():
    people = [member(str(i)) for i in range(6)]
    exams = [checkup("0", "2024-05-01", ACTIVE), checkup("0", "2024-10-01", HEALTHY),
             checkup("1", "2024-05-01", MOTIVATIONAL), checkup("2", "2024-05-01", MEDICATED),
             checkup("3", "2024-05-01", HEALTHY), checkup("4", "2024-05-01", INCOMPLETE)]
    guidance = implementation_rates(inputs(people, exams), FY)[1]
    total = row(guidance.table, "区分", "全体")
    assert total[["健診受診者数", "積極的支援", "動機付け支援", "対象者数", "判定不能"]].tolist() == [5, 1, 1, 2, 1]
    assert total["対象者率(%)"] == 40.0
    assert "実施率" not in guidance.table.columns
    assert "保健指導の記録がない" in guidance.notes[0]
    assert guidance.member_ids["全体・積極的支援"] == ("0",)


def test_targets_table_is_tagged():
    targets = implementation_rates(inputs([member("a")], []), FY)[2].table
    national = row(targets, "保険者種別", "全保険者")
    assert (national["特定健診(%)"], national["特定保健指導(%)"], national["確度"]) == (70.0, 45.0, "OK")
    assert row(targets, "保険者種別", "共済組合")["確度"] == "NC"


# ── 後期高齢者支援金 加算 ────────────────────────────────────────────────────────


def union_with_rate(attended: int, size: int = 1000) -> AnalysisInputs:
    ids = [f"{i:04d}" for i in range(size)]
    members = frame(MEMBERS, [member(i) for i in ids])
    checkups = typed_frame(CHECKUPS, {"member_id": ids[:attended], "sex": [1] * attended,
                                      "birth_date": ["1970-06-01"] * attended,
                                      "exam_date": ["2024-06-01"] * attended}, attended)
    empty = typed_frame(RECEIPTS, {}, 0)
    return AnalysisInputs(members, checkups, empty, empty, empty, empty)


@pytest.mark.parametrize(
    ("union_type", "attended", "verdict", "tier"),
    [
        (UnionType.MUTUAL_AID, 699, "加算対象（基準未満）", 1.0),
        (UnionType.MUTUAL_AID, 700, "基準以上（加算なし）", None),
        (UnionType.MUTUAL_AID, 701, "基準以上（加算なし）", None),
        (UnionType.MUTUAL_AID, 499, "加算対象（基準未満）", 10.0),
        (UnionType.MUTUAL_AID, 500, "加算対象（基準未満）", 5.0),
        (UnionType.SINGLE, 575, "加算対象（基準未満）", 2.5),
        (UnionType.COMPOSITE, 645, "加算対象（基準未満）", 1.0),
        (UnionType.COMPOSITE, 646, "基準以上（加算なし）", None),
        (UnionType.COMPOSITE, 647, "基準以上（加算なし）", None),
    ],
)
def test_support_fund_checkup_bound(union_type, attended, verdict, tier):
    check = support_fund_check(union_with_rate(attended), FY, union_type)[0].table
    kenshin = row(check, "項目", "特定健診 実施率")
    assert kenshin["判定"] == verdict
    assert kenshin["当組合の実績(%)"] == round(attended / 10, 1)
    assert (np.isnan(kenshin["想定加算率(%)"]) if tier is None else kenshin["想定加算率(%)"] == tier)


@pytest.mark.parametrize(("union_type", "bound"),
                         [(UnionType.MUTUAL_AID, "16.2%未満"), (UnionType.SINGLE, "11.4%未満"),
                          (UnionType.COMPOSITE, "5%未満")])
def test_support_fund_guidance_cannot_be_judged_without_results(union_type, bound):
    check = support_fund_check(union_with_rate(900), FY, union_type)[0].table
    guidance = row(check, "項目", "特定保健指導 実施率")
    assert (guidance["加算の基準"], guidance["判定"]) == (bound, NO_GUIDANCE_RESULTS)


def test_every_union_type_has_bounds_with_sources():
    rules = load_reporting_rules()
    assert {t.value for t in UnionType} <= set(rules.support_fund)
    assert rules.support_fund["共済組合"].kenshin_bound == 70.0
    assert all(b.kenshin_tiers[-1][0] == b.kenshin_bound for b in rules.support_fund.values())


# ── 被扶養者の3か年受診 ──────────────────────────────────────────────────────────


def test_dependant_patterns_over_three_years():
    people = [member("d1", relation=2), member("d2", relation=2), member("d3", relation=2),
              member("late", relation=2, acquired="2024-06-01"), member("m", relation=1)]
    exams = [checkup("d1", f"{y}-06-01") for y in (2023, 2024, 2025)]
    exams += [checkup("d2", "2024-06-01"), checkup("late", "2025-06-01"), checkup("m", "2025-06-01")]
    result = dependant_attendance_patterns(inputs(people, exams), 2025)[0]
    table = result.table
    assert table["人数"].tolist() == [1, 0, 0, 0, 0, 1, 0, 1]
    assert list(table.columns[2:5]) == ["令和5年度(2023)", "令和6年度(2024)", "令和7年度(2025)"]
    assert row(table, "パターン", 6)[["令和5年度(2023)", "令和6年度(2024)", "令和7年度(2025)"]].tolist() == ["×", "○", "×"]
    assert row(table, "パターン", 8)["区分"] == "3年連続未受診"
    assert row(table, "パターン", 8)["割合(%)"] == 33.3
    assert result.member_ids["3年連続未受診"] == ("d3",)
    assert result.notes[0].startswith("被扶養者の特定健診対象者の33.3%（1人）が3年連続で未受診")


# ── 保健指導対象者の流入出 ───────────────────────────────────────────────────────


def test_guidance_flow_reasons():
    people = [member(i) for i in ("keep", "better", "drug", "skip", "worse", "nodata", "now")]
    people += [member("gone", lost="2025-10-01"), member("new40", birth="1985-06-01"),
               member("joined", acquired="2024-10-01")]
    last, this = "2024-06-01", "2025-06-01"
    exams = [checkup("keep", last, ACTIVE), checkup("keep", this, MOTIVATIONAL),
             checkup("better", last, ACTIVE), checkup("better", this, HEALTHY),
             checkup("drug", last, MOTIVATIONAL), checkup("drug", this, MEDICATED),
             checkup("skip", last, ACTIVE),
             checkup("gone", last, ACTIVE), checkup("gone", this, ACTIVE),
             checkup("nodata", last, ACTIVE), checkup("nodata", this, INCOMPLETE),
             checkup("worse", last, HEALTHY), checkup("worse", this, ACTIVE),
             checkup("now", this, ACTIVE),
             checkup("new40", this, ACTIVE, birth="1985-06-01"), checkup("joined", this, ACTIVE)]
    result = guidance_flow(inputs(people, exams), 2025)[0]
    counts = {f"{r['区分']}・{r['内訳']}": r["人数"] for _, r in result.table.iterrows()}
    assert counts["前年度対象者・計"] == 6 and counts["今年度対象者・計"] == 5
    assert result.member_ids["継続・前年度も対象者"] == ("keep",)
    assert result.member_ids["脱出・改善"] == ("better",)
    assert result.member_ids["脱出・服薬開始"] == ("drug",)
    assert result.member_ids["脱出・未受診"] == ("skip",)
    assert result.member_ids["脱出・資格喪失・年齢"] == ("gone",)
    assert result.member_ids["脱出・今年度は判定不能"] == ("nodata",)
    assert result.member_ids["新規・新40歳"] == ("new40",)
    assert result.member_ids["新規・新加入・異動"] == ("joined",)
    assert result.member_ids["新規・前年度未受診"] == ("now",)
    assert result.member_ids["新規・前年度は非該当（悪化）"] == ("worse",)
    assert row(result.table, "内訳", "改善")["割合(%)"] == round(100 / 6, 1)


def test_guidance_flow_needs_fourth_period_rules_for_the_previous_year():
    with pytest.raises(RuleSetError, match="2023年度には使えません"):
        guidance_flow(inputs([member("a")], [checkup("a", "2023-06-01", ACTIVE)]), 2024)


# ── smoke run on the demo union ────────────────────────────────────────────────


def test_smoke_on_demo_union():
    from dhdesk.core.synthetic.union import generate_union

    union = generate_union(members=2000)
    receipts = union.receipts
    drug_lines = union.drug_lines.merge(receipts[["receipt_id", "member_id", "service_month", "claim_type"]],
                                        on="receipt_id", how="left")
    diagnoses = union.diagnoses.merge(receipts[["receipt_id", "member_id", "service_month", "claim_type"]],
                                      on="receipt_id", how="left")
    data = AnalysisInputs(union.members, union.checkups, receipts, diagnoses, drug_lines, union.drug_master)
    rates, guidance, _ = implementation_rates(data, 2025)
    total = row(rates.table, "区分", "全体")
    assert 0 < total["受診者数"] <= total["対象者数"] < 2000
    assert sum(row(rates.table, "区分", g)["対象者数"] for g in ("組合員", "被扶養者")) == total["対象者数"]
    assert 0 < row(guidance.table, "区分", "全体")["対象者数"] < total["受診者数"]
    patterns = dependant_attendance_patterns(data, 2025)[0].table
    assert patterns["人数"].sum() > 0 and abs(patterns["割合(%)"].sum() - 100) < 0.5
    flow = guidance_flow(data, 2025)[0].table
    this_year = row(flow, "区分", "今年度対象者")["人数"]
    assert this_year == row(guidance.table, "区分", "全体")["対象者数"]
    assert flow.loc[flow["区分"].isin(["継続", "新規"]), "人数"].sum() == this_year
    fund = support_fund_check(data, 2025, union.union_info.union_type)[0].table
    assert row(fund, "項目", "特定健診 実施率")["当組合の実績(%)"] == total["実施率(%)"]
