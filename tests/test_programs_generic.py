"""ジェネリック医薬品差額通知: 差額 arithmetic on real products of the MHLW lists, thresholds, ages, exclusions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.programs import CANDIDATE_COLUMNS, Program, ProgramInputs
from dhdesk.core.programs import generic
from dhdesk.core.synthetic import generate_union
from dhdesk.io.drug_master import read_drug_master

DRUG_MASTER = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "drug-master"
PRICES_2024 = DRUG_MASTER / "mhlw_yakka_list_20240401.csv"
PRICES_2025 = DRUG_MASTER / "mhlw_yakka_list_20250716.csv"
INFO_2025 = DRUG_MASTER / "mhlw_generic_info_20250716.csv"

pytestmark = pytest.mark.skipif(not PRICES_2025.exists(), reason="shared reference data not available")

PROGRAM = Program("generic", "ジェネリック医薬品差額通知", generic.extract, monthly=True)
FY, MONTH, AS_OF = 2025, "202508", date(2025, 10, 15)

LIPITOR = "2189015F2020"        # リピトール錠10mg (2): 後発品 10.4 / 13.9 / 15.8円 (2025-07), 11.0円〜 (2024-04)
LIPITOR_CHEAPEST = "2189015F2011"
ADALAT = "2171014G3022"         # アダラートCR錠10mg (2): 後発品 6.1・6.4円 (3), 8.5・8.9円 (★)
NIFEDIPINE_STAR = "2171014G3065"  # ニフェジピンCR錠10mg「サワイ」 ★ 8.9円
MAINTATE = "2123016F3037"       # メインテート錠0.625mg ☆
XELODA = "4223005F1022"         # ゼローダ錠300 (腫瘍用薬 422)
DOGMATYL = "1179016F1124"       # ドグマチール錠100mg (精神神経用剤 117)
NEORAL = "3999004M3021"         # ネオーラル10mgカプセル (シクロスポリン, 3999)


@pytest.fixture(scope="module")
def masters() -> pd.DataFrame:
    """Both real master versions, 2024-04-01 and 2025-07-16 (後発医薬品情報 of 2025 joined to both), cut to
    the 成分・規格・剤形 groups the tests use (every product of those groups kept) so each run stays fast."""
    older, _ = read_drug_master(PRICES_2024, INFO_2025)
    newer, _ = read_drug_master(PRICES_2025, INFO_2025)
    both = pd.concat([older, newer], ignore_index=True)
    groups = {code[:9] for code in (LIPITOR, ADALAT, MAINTATE, XELODA, DOGMATYL, NEORAL)}
    return both[both["yj_code"].str[:9].isin(groups)].reset_index(drop=True)


def _price(masters: pd.DataFrame, yj_code: str, version: str = "2025-07-16") -> float:
    row = masters[(masters["yj_code"] == yj_code) & (masters["version_date"] == pd.Timestamp(version))]
    return float(row["price"].iloc[0])


def _member(member_id: str, birth: str = "1980-06-15", **extra) -> dict:
    return {"member_id": member_id, "birth_date": birth, "relation": 1, "acquired_date": "2000-04-01",
            "lost_date": None, "postal_code": "460-0001", "address1": "愛知県名古屋市中区三の丸1-1", **extra}


def _inputs(masters: pd.DataFrame, members: list[dict], lines: list[dict]) -> ProgramInputs:
    """lines: dicts with member_id, yj_code, quantity, days and optionally month, kind, public, claim_type."""
    roster = pd.DataFrame(members)
    for column in ("birth_date", "acquired_date", "lost_date"):
        roster[column] = pd.to_datetime(roster[column])
    for column in ("member_id", "postal_code", "address1"):
        roster[column] = roster[column].astype("string")
    roster["relation"] = roster["relation"].astype("Int8")
    receipts = pd.DataFrame({
        "receipt_id": pd.array([f"R{i}" for i in range(len(lines))], dtype="string"),
        "member_id": pd.array([line["member_id"] for line in lines], dtype="string"),
        "service_month": pd.array([line.get("month", MONTH) for line in lines], dtype="string"),
        "claim_type": pd.array([line.get("claim_type", 5) for line in lines], dtype="Int8"),
        "receipt_kind": pd.array([line.get("kind", "4112") for line in lines], dtype="string"),
        "facility_code": pd.array(["1234567"] * len(lines), dtype="string"),
        "facility_name": pd.array(["つばさ薬局"] * len(lines), dtype="string"),
        "public_expense": pd.array([line.get("public", 2) for line in lines], dtype="Int8"),
    })
    drug_lines = pd.DataFrame({
        "receipt_id": receipts["receipt_id"],
        "member_id": receipts["member_id"],
        "service_month": receipts["service_month"],
        "claim_type": receipts["claim_type"],
        "yj_code": pd.array([line["yj_code"] for line in lines], dtype="string"),
        "drug_name": pd.array([None] * len(lines), dtype="string"),
        "quantity": np.array([line["quantity"] for line in lines], dtype="float64"),
        "days": pd.array([line["days"] for line in lines], dtype="Int64"),
    })
    return ProgramInputs(roster, pd.DataFrame(), receipts, pd.DataFrame(), drug_lines, masters, pd.DataFrame(), AS_OF)


def _run(inputs: ProgramInputs, **overrides):
    return generic.extract(inputs, FY, PROGRAM.resolve({"month": MONTH, **overrides}))


def _target(result, member_id: str) -> pd.Series:
    return result.targets.set_index("member_id").loc[member_id]


def _lipitor(member_id: str, quantity: float = 3.0, days: int = 28, **extra) -> dict:
    return {"member_id": member_id, "yj_code": LIPITOR, "quantity": quantity, "days": days, **extra}


# --- comparison price ------------------------------------------------------------------------------

def test_the_cheapest_generic_of_the_same_ingredient_strength_and_form_is_the_comparison(masters):
    result = _run(_inputs(masters, [_member("a")], [_lipitor("a", quantity=3.0, days=28)]), min_difference_yen=1)
    drug = _target(result, "a")["values"]["drugs"][0]
    cheapest = masters[(masters["yj_code"] == LIPITOR_CHEAPEST) & (masters["version_date"] == "2025-07-16")]
    assert drug["brand_name"] == "リピトール錠１０ｍｇ" and drug["brand_price"] == 24.5
    assert drug["generic_name"] == cheapest["product_name"].iloc[0] and drug["generic_price"] == 10.4
    # (24.5 − 10.4) × 84錠 × 3割 = 355.32 → 355円; 先発 24.5 × 84 × 0.3 = 617.4 → 617円
    assert (drug["quantity"], drug["unit"], drug["difference"], drug["brand_cost"], drug["generic_cost"]) == \
        (84.0, "錠", 355, 617, 262)
    assert _target(result, "a")["values"]["share"] == 0.3


def test_a_star_generic_is_never_the_comparison_and_is_not_a_target_itself(masters):
    only_star = masters[~((masters["yj_code"].str[:9] == ADALAT[:9]) & (masters["generic_info"] == "3"))]
    lines = [{"member_id": "a", "yj_code": ADALAT, "quantity": 2.0, "days": 28},
             {"member_id": "b", "yj_code": NIFEDIPINE_STAR, "quantity": 2.0, "days": 28}]
    with_threes = _run(_inputs(masters, [_member("a"), _member("b")], lines), min_difference_yen=1)
    assert _target(with_threes, "a")["values"]["drugs"][0]["generic_price"] == 6.1  # not a ★ (8.5・8.9円)
    assert "b" not in set(with_threes.detail_lines["加入者番号"])
    without = _run(_inputs(only_star, [_member("a")], lines[:1]), min_difference_yen=1)
    assert without.targets.empty
    assert without.excluded["exclusion_reason"].tolist() == ["同じ成分・規格・剤形の後発品がマスターにない"]


def test_a_star_brand_and_a_generic_are_not_targets(masters):
    lines = [{"member_id": "a", "yj_code": MAINTATE, "quantity": 2.0, "days": 28},
             {"member_id": "b", "yj_code": LIPITOR_CHEAPEST, "quantity": 2.0, "days": 28}]
    result = _run(_inputs(masters, [_member("a"), _member("b")], lines), min_difference_yen=1)
    assert result.targets.empty and result.excluded.empty and result.detail_lines.empty
    assert result.eligible == 2


def test_each_month_is_priced_with_the_master_in_force_that_month(masters):
    lines = [_lipitor("a", month="202406"), _lipitor("b", month="202508")]
    inputs = _inputs(masters, [_member("a"), _member("b")], lines)
    june_2024 = generic.extract(inputs, 2024, PROGRAM.resolve({"month": "2024-06", "min_difference_yen": 1}))
    august_2025 = generic.extract(inputs, FY, PROGRAM.resolve({"month": "202508", "min_difference_yen": 1}))
    old, new = (_target(r, m)["values"]["drugs"][0] for r, m in ((june_2024, "a"), (august_2025, "b")))
    assert (old["brand_price"], old["generic_price"]) == (_price(masters, LIPITOR, "2024-04-01"), 11.0) == (28.5, 11.0)
    assert (new["brand_price"], new["generic_price"]) == (24.5, 10.4)
    assert old["difference"] == 441  # (28.5 − 11.0) × 84 × 0.3 = 441.0
    assert "2024-04-01版" in _target(june_2024, "a")["explanation"][0]


# --- 差額 threshold and ages ------------------------------------------------------------------------

@pytest.mark.parametrize(("quantity", "difference", "target"), [(4.72, 399, False), (4.73, 400, True),
                                                                 (4.74, 401, True)])
def test_the_monthly_difference_threshold_is_400_yen_or_more(masters, quantity, difference, target):
    # (24.5 − 10.4) × quantity × 20日 × 0.3 = 4.23 × 20 × quantity
    result = _run(_inputs(masters, [_member("a")], [_lipitor("a", quantity=quantity, days=20)]))
    detail = result.detail_lines.iloc[0]
    assert detail["差額(自己負担)"] == difference
    assert (not result.targets.empty) is target
    if target:
        assert _target(result, "a")["tier"] == "差額400円以上"
        assert _target(result, "a")["reason"] == f"差額 {difference}円/月（先発品1品目）"
    else:
        assert detail["対象/除外理由"] == "基準未満（月の差額合計 399円 < 400円）"
        assert result.steps[-1] == ("差額 400円以上（65〜74歳は差額あり）", 0)


@pytest.mark.parametrize(("birth", "age", "target"), [
    ("1961-08-02", 63, False), ("1961-08-01", 64, False), ("1960-08-01", 65, True),
    ("1951-08-01", 74, True), ("1950-08-01", 75, False)])
def test_members_aged_65_to_74_in_the_month_get_a_notice_for_any_difference(masters, birth, age, target):
    result = _run(_inputs(masters, [_member("a", birth)], [_lipitor("a", quantity=1.0, days=28)]))
    assert (not result.targets.empty) is target
    if target:
        row = _target(result, "a")
        assert row["tier"] == "前期高齢者・差額あり"
        assert any(f"{age}歳（前期高齢者 65〜74歳）" in line for line in row["explanation"])


def test_the_senior_rule_can_be_switched_off(masters):
    inputs = _inputs(masters, [_member("a", "1958-01-01")], [_lipitor("a", quantity=1.0, days=28)])
    assert not _run(inputs).targets.empty
    assert _run(inputs, senior_any_difference=False).targets.empty


def test_the_total_is_the_sum_of_the_rounded_drugs_and_the_letter_adds_up(masters):
    lines = [_lipitor("a", quantity=1.0, days=28), {"member_id": "a", "yj_code": ADALAT, "quantity": 3.0, "days": 30}]
    row = _target(_run(_inputs(masters, [_member("a")], lines), min_difference_yen=1), "a")
    drugs = row["values"]["drugs"]
    # リピトール (24.5−10.4)×28×0.3 = 118.44 → 118; アダラート (7.2−6.1)×90×0.3 = 29.7 → 29
    assert [d["difference"] for d in drugs] == [118, 29]
    assert row["values"]["total_difference"] == 147
    assert all(d["brand_cost"] - d["generic_cost"] == d["difference"] for d in drugs)
    assert row["values"]["comparison_rule"] == "同じ成分・規格・剤形の後発医薬品のうち、最も安い薬価で計算しています。"


# --- 自己負担割合 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "share"), [("4112", 0.3), ("4116", 0.3), ("4114", 0.2), ("4118", 0.2),
                                             ("4110", 0.3), ("1112", 0.3), ("1114", 0.2)])
def test_the_share_comes_from_the_receipt_kind(masters, kind, share):
    claim_type = 5 if kind.startswith("4") else 2
    result = _run(_inputs(masters, [_member("a")], [_lipitor("a", kind=kind, claim_type=claim_type)]),
                  min_difference_yen=1)
    assert _target(result, "a")["values"]["share"] == share
    assert _target(result, "a")["warnings"] == ()


@pytest.mark.parametrize(("birth", "month", "share"), [
    ("2019-04-02", "202508", 0.2),   # 6歳に達する日 2025-04-01 → 未就学 until 2026-03-31
    ("2019-04-01", "202508", 0.3),   # 6歳に達する日 2025-03-31 → 小学生 from 2025-04
    ("2019-04-02", "202603", 0.2), ("2019-04-02", "202604", 0.3),
    ("1955-08-15", "202508", 0.3),   # 70歳に達する日 2025-08-14 → 高齢受給者 from 2025-09
    ("1955-08-15", "202509", 0.2),
    ("1955-08-01", "202508", 0.2),   # born on the 1st: 達する日 2025-07-31 → from 2025-08
])
def test_a_blank_receipt_kind_is_estimated_from_the_age_with_a_warning(masters, birth, month, share):
    inputs = _inputs(masters, [_member("a", birth)], [_lipitor("a", kind=None, month=month)])
    result = generic.extract(inputs, FY, PROGRAM.resolve({"month": month, "min_difference_yen": 1,
                                                          "senior_any_difference": False}))
    row = _target(result, "a")
    assert row["values"]["share"] == share
    assert any(w.startswith("自己負担割合を推定") for w in row["warnings"])


# --- exclusions -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "switch", "reason"), [
    ({"yj_code": LIPITOR, "public": 1}, "exclude_public_expense", "公費併用"),
    ({"yj_code": LIPITOR, "kind": "4122"}, "exclude_public_expense", "公費併用"),
    ({"yj_code": LIPITOR, "days": 13}, "exclude_short_prescriptions", "短期処方（13日 < 14日）"),
    ({"yj_code": XELODA}, "exclude_antineoplastics", "抗悪性腫瘍剤"),
    ({"yj_code": NEORAL}, "exclude_immunosuppressants", "免疫抑制剤"),
    ({"yj_code": DOGMATYL}, "exclude_psychotropics", "精神神経用剤"),
])
def test_each_default_exclusion_sets_the_member_aside_and_can_be_switched_off(masters, line, switch, reason):
    drug = {"member_id": "a", "quantity": 10.0, "days": 28, **line}
    inputs = _inputs(masters, [_member("a")], [drug])
    result = _run(inputs, min_difference_yen=1)
    assert result.targets.empty
    assert result.excluded["exclusion_reason"].tolist() == [reason]
    assert result.detail_lines["対象/除外理由"].tolist() == [reason]
    assert set(result.excluded.columns) == set(CANDIDATE_COLUMNS) | {"exclusion_reason"}
    switched_off = _run(inputs, min_difference_yen=1, **{switch: False})
    assert switched_off.excluded.empty and len(switched_off.targets) == 1


def test_fourteen_days_is_not_short(masters):
    result = _run(_inputs(masters, [_member("a")], [_lipitor("a", days=14)]), min_difference_yen=1)
    assert len(result.targets) == 1


def test_an_excluded_drug_is_listed_but_not_counted_for_a_member_with_other_drugs(masters):
    lines = [_lipitor("a", quantity=6.0, days=28), {"member_id": "a", "yj_code": DOGMATYL, "quantity": 3.0,
                                                      "days": 28}]
    row = _target(_run(_inputs(masters, [_member("a")], lines)), "a")
    assert [d["brand_name"] for d in row["values"]["drugs"]] == ["リピトール錠１０ｍｇ"]
    assert row["explanation"][-1] == "計算に含めない薬: ドグマチール錠１００ｍｇ（精神神経用剤）"


def test_only_outpatient_and_pharmacy_receipts_of_the_month_count(masters):
    lines = [_lipitor("in", claim_type=1, kind="1111"), _lipitor("later", month="202509"), _lipitor("out")]
    members = [_member("in"), _member("later"), _member("out")]
    result = _run(_inputs(masters, members, lines), min_difference_yen=1)
    assert result.targets["member_id"].tolist() == ["out"]
    assert result.eligible == 1


# --- the list -------------------------------------------------------------------------------------

def test_targets_are_ranked_by_difference_and_carry_the_letter_values(masters):
    members = [_member("small"), _member("large"), _member("no_address", postal_code=None)]
    lines = [_lipitor("small", quantity=4.0), _lipitor("large", quantity=8.0), _lipitor("no_address", quantity=6.0)]
    result = _run(_inputs(masters, members, lines))
    assert result.targets["member_id"].tolist() == ["large", "no_address", "small"]
    assert result.targets["rank"].tolist() == [1, 2, 3]
    values = _target(result, "large")["values"]
    assert set(values) == {"month", "share", "drugs", "total_difference", "comparison_rule"}
    assert values["month"] == "2025-08"
    assert set(values["drugs"][0]) == {"brand_name", "brand_price", "quantity", "unit", "generic_name",
                                       "generic_price", "brand_cost", "generic_cost", "difference"}
    assert _target(result, "no_address")["warnings"] == ("住所が未登録です（郵便番号または住所1が空欄）",)
    assert list(result.detail_lines.columns) == ["加入者番号", "診療年月", "先発品名", "薬価", "数量", "後発品名",
                                                 "後発薬価", "自己負担割合", "差額(自己負担)", "対象/除外理由"]
    assert set(result.detail_lines["対象/除外理由"]) == {"対象"}


def test_the_latest_loaded_month_is_the_default(masters):
    inputs = _inputs(masters, [_member("a")], [_lipitor("a", month="202507"), _lipitor("a", month="202508")])
    result = generic.extract(inputs, FY, PROGRAM.resolve({"min_difference_yen": 1}))
    assert _target(result, "a")["values"]["month"] == "2025-08"
    with pytest.raises(ValueError, match="診療年月"):
        generic.extract(inputs, FY, PROGRAM.resolve({"month": "2025-13"}))


def test_plausible_counts_on_the_demo_union():
    union = generate_union(3000, seed=7)
    carried = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    inputs = ProgramInputs(union.members, union.checkups, union.receipts, pd.DataFrame(),
                           union.drug_lines.merge(carried, on="receipt_id"), union.drug_master, pd.DataFrame(),
                           date(2025, 4, 15))
    result = generic.extract(inputs, 2024, PROGRAM.resolve({"month": "202502"}))
    steps = dict(result.steps)
    assert 500 < result.eligible < 2000
    assert 0 < len(result.targets) < steps["除外条件に当たらない差額あり"] <= steps["後発品のある先発品の処方あり"]
    assert (result.targets["values"].map(lambda v: v["total_difference"]) > 0).all()


def test_members_enrolled_in_the_year_or_on_the_list_date_are_eligible(masters):
    members = [_member("joined_after_the_year", acquired_date="2025-05-01"),
               _member("left_before_the_year", lost_date="2024-04-01"), _member("enrolled")]
    lines = [_lipitor(member["member_id"]) for member in members]
    result = generic.extract(_inputs(masters, members, lines), 2024,
                             PROGRAM.resolve({"month": MONTH, "min_difference_yen": 1}))
    assert set(result.targets["member_id"]) == {"joined_after_the_year", "enrolled"}
    assert result.eligible == 2
