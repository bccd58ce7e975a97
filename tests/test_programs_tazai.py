"""多剤服用 program: the seed §3.4.5 definition at its boundaries, shared with the 多剤服用 analysis."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.claims_base import setting
from dhdesk.core.analyses.claims_drugs import polypharmacy
from dhdesk.core.programs import Program, ProgramInputs, parameters
from dhdesk.core.programs import tazai
from dhdesk.core.synthetic import generate_union

PROGRAM = Program("tazai", "多剤服用", tazai.extract, monthly=True)
FY, MONTH, AS_OF = 2025, "202508", date(2025, 10, 15)


def _members(*ids: str, no_address: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "birth_date": pd.to_datetime(["1950-05-05"] * len(ids)),
        "relation": pd.array([1] * len(ids), dtype="Int8"),
        "acquired_date": pd.to_datetime(["2000-04-01"] * len(ids)),
        "lost_date": pd.to_datetime([None] * len(ids)),
        "postal_code": pd.array([None if i in no_address else "460-0001" for i in ids], dtype="string"),
        "address1": pd.array(["愛知県名古屋市中区"] * len(ids), dtype="string"),
    })


def _inputs(members: pd.DataFrame, lines: list[tuple]) -> ProgramInputs:
    """lines: (member_id, ingredient number, days[, facility, month]); one receipt per line."""
    rows = [line + ("F1", MONTH)[len(line) - 3:] for line in lines]
    member, ingredient, days, facility, month = zip(*rows) if rows else ((),) * 5
    ids = [f"R{i}" for i in range(len(rows))]
    receipts = pd.DataFrame({
        "receipt_id": pd.array(ids, dtype="string"), "member_id": pd.array(member, dtype="string"),
        "service_month": pd.array(month, dtype="string"), "claim_type": pd.array([5] * len(rows), dtype="Int8"),
        "facility_code": pd.array(facility, dtype="string"),
        "facility_name": pd.array([f"{f}薬局" for f in facility], dtype="string"),
        "receipt_kind": pd.array(["4112"] * len(rows), dtype="string"),
        "public_expense": pd.array([2] * len(rows), dtype="Int8"),
    })
    drug_lines = receipts[["receipt_id", "member_id", "service_month", "claim_type"]].assign(
        yj_code=pd.array([f"{n:07d}F1{n % 10}" for n in ingredient], dtype="string"),
        drug_name=pd.array([f"薬{n}" for n in ingredient], dtype="string"),
        quantity=np.ones(len(rows)), days=pd.array(days, dtype="Int64"))
    master = pd.DataFrame({"yj_code": pd.array([], dtype="string"), "ingredient": pd.array([], dtype="string"),
                           "product_name": pd.array([], dtype="string"),
                           "version_date": pd.to_datetime(pd.Series([], dtype="datetime64[ns]"))})
    return ProgramInputs(members, pd.DataFrame(), receipts, pd.DataFrame(), drug_lines, master, pd.DataFrame(), AS_OF)


def _run(inputs: ProgramInputs, **overrides):
    return tazai.extract(inputs, FY, PROGRAM.resolve({"month": MONTH, **overrides}))


def _drugs(member: str, count: int, days: int = 14, start: int = 1) -> list[tuple]:
    return [(member, start + n, days) for n in range(count)]


def test_the_default_definition_is_the_analysis_definition():
    defaults = {p.name: p.default for p in parameters("tazai")}
    assert defaults["min_drugs"] == setting("polypharmacy", "min_drugs") == 6
    assert defaults["min_days"] == setting("polypharmacy", "min_days_per_drug") == 14


@pytest.mark.parametrize(("count", "target"), [(5, False), (6, True), (7, True)])
def test_six_drugs_or_more_make_a_target(count, target):
    result = _run(_inputs(_members("a"), _drugs("a", count)))
    assert (result.targets["member_id"].tolist() == ["a"]) is target
    assert result.steps == (("14日以上の薬が6剤以上", int(target)),)
    assert result.eligible == 1


@pytest.mark.parametrize(("days", "target"), [(13, False), (14, True)])
def test_a_drug_counts_from_fourteen_days(days, target):
    result = _run(_inputs(_members("a"), _drugs("a", 5) + [("a", 99, days)]))
    assert (not result.targets.empty) is target


def test_days_of_one_ingredient_at_one_facility_add_up_and_facilities_count_apart():
    four_plus_split = _drugs("a", 4) + [("a", 50, 7), ("a", 50, 7)]  # 7 + 7 days = one drug, not two
    assert _run(_inputs(_members("a"), four_plus_split)).targets.empty
    five_plus_split = _drugs("a", 5) + [("a", 50, 7), ("a", 50, 7)]
    row = _run(_inputs(_members("a"), five_plus_split)).targets.iloc[0]
    assert row["values"]["drug_count"] == 6
    assert {"name": "薬50", "days": 14, "facility": "F1薬局"} in row["values"]["drugs"]
    two_places = _drugs("a", 4) + [("a", 50, 14, "F1"), ("a", 50, 14, "F2")]
    row = _run(_inputs(_members("a"), two_places)).targets.iloc[0]
    assert row["values"]["drug_count"] == 6 and row["reason"] == "6剤（14日以上の薬）・2医療機関"


def test_only_the_chosen_month_counts():
    lines = _drugs("a", 5) + [("a", 60, 28, "F1", "202507")]
    assert _run(_inputs(_members("a"), lines)).targets.empty


@pytest.mark.parametrize(("count", "tier"), [(9, "6〜9剤"), (10, "10剤以上")])
def test_ten_drugs_or_more_are_the_first_tier(count, tier):
    assert _run(_inputs(_members("a"), _drugs("a", count))).targets["tier"].tolist() == [tier]


def test_targets_are_ranked_by_drug_count_with_letter_values_and_warnings():
    members = _members("six", "eleven", "seven", no_address=("seven",))
    lines = _drugs("six", 6) + _drugs("eleven", 11) + _drugs("seven", 7)
    result = _run(_inputs(members, lines))
    assert result.targets["member_id"].tolist() == ["eleven", "seven", "six"]
    assert result.targets["rank"].tolist() == [1, 2, 3]
    values = result.targets["values"].iloc[0]
    assert set(values) == {"month", "drugs", "drug_count"} and values["month"] == "2025-08"
    assert values["drugs"][0] == {"name": "薬1", "days": 14, "facility": "F1薬局"}
    assert result.targets.set_index("member_id").loc["seven", "warnings"] == ("住所が未登録です（郵便番号または住所1が空欄）",)
    assert result.excluded.empty
    explanation = result.targets["explanation"].iloc[0]
    assert explanation[1] == "11剤: 基準 6剤以上に該当（10剤以上は区分「10剤以上」）。"


def test_thresholds_follow_the_parameters():
    inputs = _inputs(_members("a"), _drugs("a", 5, days=10))
    assert _run(inputs).targets.empty
    assert len(_run(inputs, min_drugs=5, min_days=10).targets) == 1


def test_the_program_agrees_with_the_analysis_on_the_demo_union():
    union = generate_union(3000, seed=7)
    months = union.receipts["service_month"]
    receipts = union.receipts.assign(fiscal_year=pd.array(
        months.str[:4].astype(int) - (months.str[4:].astype(int) < 4), dtype="Int64"))
    carried = receipts[["receipt_id", "member_id", "service_month", "claim_type", "fiscal_year"]]
    lines = union.drug_lines.merge(carried, on="receipt_id")
    inputs = ProgramInputs(union.members, union.checkups, receipts, pd.DataFrame(), lines, union.drug_master,
                           pd.DataFrame(), date(2025, 4, 15))
    analysis = polypharmacy(AnalysisInputs(union.members, union.checkups, receipts, pd.DataFrame(), lines,
                                           union.drug_master), 2024)[0]
    heavy_in_year = set(analysis.member_ids["合計 多剤服用者"])
    monthly = [set(tazai.extract(inputs, 2024, PROGRAM.resolve({"month": m})).targets["member_id"])
               for m in ("202406", "202502")]
    assert all(0 < len(targets) < 400 for targets in monthly)
    assert monthly[0] | monthly[1] <= heavy_in_year
