"""階層化 (stratify): every threshold at just below / at / just above, ages, 服薬, and 判定不能 by enumeration."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dhdesk.core.rules import RuleSetError, load_ruleset
from dhdesk.core.rules.stratify import LEVELS, MISSING_ITEMS, stratify
from typed_rows import HEALTHY_MAN, checkups

RULES = load_ruleset()
FY = 2024

BASE = HEALTHY_MAN


def judge(**changes) -> pd.Series:
    return stratify(checkups(BASE | changes), FY, RULES).iloc[0]


def level(**changes) -> str:
    return judge(**changes)["level"]


# ── ステップ1 ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("sex", "waist", "step1"),
    [
        (1, 84.9, "なし"), (1, 84.94, "なし"), (1, 84.95, "腹囲"), (1, 85.0, "腹囲"), (1, 85.1, "腹囲"),
        (2, 89.9, "なし"), (2, 90.0, "腹囲"), (2, 90.1, "腹囲"), (2, 87.0, "なし"),
    ],
)
def test_step1_waist_by_sex_after_rounding(sex, waist, step1):
    assert judge(sex=sex, waist=waist)["step1"] == step1


@pytest.mark.parametrize(("bmi", "step1"), [(24.9, "なし"), (24.95, "BMI"), (25.0, "BMI"), (25.1, "BMI")])
def test_step1_bmi_when_waist_below(bmi, step1):
    assert judge(waist=80.0, bmi=bmi)["step1"] == step1


@pytest.mark.parametrize(
    ("height", "weight", "expected_bmi", "step1"),
    [(160.0, 63.8, 24.9, "なし"), (160.0, 63.9, 25.0, "BMI"), (160.0, 64.0, 25.0, "BMI"), (200.0, 99.8, 25.0, "BMI")],
)
def test_bmi_computed_from_height_and_weight_rounded_half_up(height, weight, expected_bmi, step1):
    row = judge(bmi=None, height=height, weight=weight)
    assert row["bmi"] == expected_bmi
    assert row["bmi_computed"]
    assert row["step1"] == step1


def test_recorded_bmi_wins_over_height_and_weight():
    row = judge(bmi=26.0, height=170.0, weight=60.0)
    assert (row["bmi"], row["bmi_computed"], row["step1"]) == (26.0, False, "BMI")


def test_step1_neither_gives_information_whatever_the_risks():
    row = judge(waist=80.0, bmi=24.0, sbp=160.0, hdl=30.0, fbg=130.0, smoking=1)
    assert (row["step1"], row["risk_count"], row["level"]) == ("なし", 4, "情報提供")


# ── ステップ2 ────────────────────────────────────────────────────────────────

OBESE = {"waist": 90.0}


@pytest.mark.parametrize(
    ("item", "value", "risk_column", "expected"),
    [
        ("sbp", 129.0, "risk_bp", False), ("sbp", 129.4, "risk_bp", False), ("sbp", 129.5, "risk_bp", True),
        ("sbp", 130.0, "risk_bp", True), ("sbp", 131.0, "risk_bp", True),
        ("dbp", 84.0, "risk_bp", False), ("dbp", 85.0, "risk_bp", True), ("dbp", 86.0, "risk_bp", True),
        ("tg_fasting", 149.0, "risk_lipid", False), ("tg_fasting", 150.0, "risk_lipid", True),
        ("tg_fasting", 151.0, "risk_lipid", True),
        ("hdl", 41.0, "risk_lipid", False), ("hdl", 40.0, "risk_lipid", False), ("hdl", 39.5, "risk_lipid", False),
        ("hdl", 39.4, "risk_lipid", True), ("hdl", 39.0, "risk_lipid", True),
        ("fbg", 99.0, "risk_glucose", False), ("fbg", 100.0, "risk_glucose", True),
        ("fbg", 101.0, "risk_glucose", True),
    ],
)
def test_risk_thresholds(item, value, risk_column, expected):
    assert judge(**OBESE, **{item: value})[risk_column] == expected


@pytest.mark.parametrize(("tg", "expected"), [(174.0, False), (175.0, True), (176.0, True)])
def test_random_triglycerides_only_without_fasting_value(tg, expected):
    assert judge(tg_fasting=None, tg_random=tg)["risk_lipid"] == expected


def test_random_triglycerides_ignored_when_fasting_measured():
    assert not judge(tg_fasting=100.0, tg_random=400.0)["risk_lipid"]


@pytest.mark.parametrize(("hba1c", "expected"), [(5.5, False), (5.54, False), (5.55, True), (5.6, True), (5.7, True)])
def test_hba1c_when_no_fasting_glucose(hba1c, expected):
    assert judge(fbg=None, hba1c=hba1c)["risk_glucose"] == expected


def test_fasting_glucose_takes_precedence_over_hba1c():
    assert not judge(fbg=95.0, hba1c=6.5)["risk_glucose"]
    assert judge(fbg=105.0, hba1c=5.0)["risk_glucose"]


@pytest.mark.parametrize(("rbg", "expected"), [(99.0, False), (100.0, True), (101.0, True)])
def test_random_glucose_only_when_neither_fasting_nor_hba1c(rbg, expected):
    assert judge(fbg=None, hba1c=None, rbg=rbg)["risk_glucose"] == expected


def test_random_glucose_ignored_when_hba1c_measured():
    assert not judge(fbg=None, hba1c=5.0, rbg=180.0)["risk_glucose"]


def test_smoking_counts_only_with_another_risk():
    alone = judge(**OBESE, smoking=1)
    assert (alone["risk_smoking"], alone["risk_count"], alone["level"]) == (False, 0, "情報提供")
    with_bp = judge(**OBESE, smoking=1, sbp=140.0)
    assert (with_bp["risk_smoking"], with_bp["risk_count"], with_bp["level"]) == (True, 2, "積極的支援")


@pytest.mark.parametrize("answer", [2, 3])
def test_former_smokers_and_non_smokers_do_not_count(answer):
    row = judge(**OBESE, smoking=answer, sbp=140.0)
    assert (row["risk_smoking"], row["risk_count"], row["level"]) == (False, 1, "動機付け支援")


# ── ステップ3 ────────────────────────────────────────────────────────────────

RISKS = [{"sbp": 140.0}, {"hdl": 35.0}, {"fbg": 110.0}, {"smoking": 1}]


@pytest.mark.parametrize(
    ("step1", "risks", "expected"),
    [
        ({"waist": 90.0}, 0, "情報提供"), ({"waist": 90.0}, 1, "動機付け支援"), ({"waist": 90.0}, 2, "積極的支援"),
        ({"waist": 90.0}, 4, "積極的支援"),
        ({"bmi": 26.0}, 0, "情報提供"), ({"bmi": 26.0}, 1, "動機付け支援"), ({"bmi": 26.0}, 2, "動機付け支援"),
        ({"bmi": 26.0}, 3, "積極的支援"), ({"bmi": 26.0}, 4, "積極的支援"),
    ],
)
def test_level_table(step1, risks, expected):
    changes = dict(step1)
    for risk in RISKS[:risks]:
        changes |= risk
    row = judge(**changes)
    assert (row["risk_count"], row["base_level"], row["level"]) == (risks, expected, expected)


# ── 年齢 ─────────────────────────────────────────────────────────────────────

ACTIVE = {"waist": 90.0, "sbp": 140.0, "hdl": 35.0}  # 腹囲 + 2 risks → 積極的支援


@pytest.mark.parametrize(
    ("birth", "age", "expected"),
    [
        ("1985-04-01", 39, "対象外"), ("1985-03-31", 40, "積極的支援"), ("1984-04-01", 40, "積極的支援"),
        ("1960-04-01", 64, "積極的支援"), ("1960-03-31", 65, "動機付け支援"), ("1950-04-01", 74, "動機付け支援"),
        ("1950-03-01", 75, "動機付け支援"), ("1948-04-01", 76, "対象外"),
    ],
)
def test_fiscal_year_end_age_and_eligibility(birth, age, expected):
    row = judge(**ACTIVE, birth_date=birth, exam_date="2024-06-01")
    assert (row["fy_end_age"], row["level"]) == (age, expected)


def test_turning_75_counts_only_when_examined_before_the_birthday():
    before = judge(**ACTIVE, birth_date="1949-12-10", exam_date="2024-12-09")
    on_birthday = judge(**ACTIVE, birth_date="1949-12-10", exam_date="2024-12-10")
    after = judge(**ACTIVE, birth_date="1949-12-10", exam_date="2025-01-15")
    assert (before["fy_end_age"], before["eligible"], before["level"]) == (75, True, "動機付け支援")
    assert (on_birthday["eligible"], on_birthday["level"]) == (False, "対象外")
    assert (after["eligible"], after["level"]) == (False, "対象外")


def test_65_or_older_downgrades_only_active_support():
    assert level(**ACTIVE, birth_date="1959-06-01") == "動機付け支援"
    assert level(waist=90.0, sbp=140.0, birth_date="1959-06-01") == "動機付け支援"
    assert level(waist=80.0, birth_date="1959-06-01") == "情報提供"


@pytest.mark.parametrize("exam", ["2024-03-31", "2025-04-01"])
def test_exam_outside_the_fiscal_year_is_out_of_scope(exam):
    row = judge(exam_date=exam)
    assert (row["eligible"], row["level"], row["missing"]) == (False, "対象外", ())


@pytest.mark.parametrize("exam", ["2024-04-01", "2025-03-31"])
def test_exam_on_the_fiscal_year_bounds_is_in_scope(exam):
    assert judge(exam_date=exam)["eligible"]


def test_missing_dates_make_the_level_undetermined():
    no_birth = judge(birth_date=None)
    no_exam = judge(exam_date=None)
    assert (no_birth["level"], no_birth["missing_decisive"]) == ("判定不能", ("生年月日",))
    assert (no_exam["level"], no_exam["missing_decisive"]) == ("判定不能", ("健診日",))
    assert pd.isna(no_exam["eligible"])


def test_missing_exam_date_when_no_date_could_make_the_person_eligible():
    assert level(birth_date="1990-01-01", exam_date=None) == "対象外"


def test_missing_birth_date_with_an_exam_outside_the_year():
    assert level(birth_date=None, exam_date="2023-06-01") == "対象外"


# ── 服薬 ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("item", ["med_bp", "med_glucose", "med_lipid"])
def test_any_medication_gives_information_whatever_else(item):
    row = judge(**ACTIVE, **{item: 1}, smoking=None, fbg=None, hba1c=None)
    assert (row["on_medication"], row["level"], row["missing_decisive"]) == (True, "情報提供", ())


def test_unanswered_medication_is_harmless_when_the_level_is_information_anyway():
    row = judge(med_lipid=None)
    assert (pd.isna(row["on_medication"]), row["level"]) == (True, "情報提供")
    assert row["missing"] == ("服薬_脂質",)
    assert row["missing_decisive"] == ()


def test_unanswered_medication_makes_support_undetermined():
    row = judge(**ACTIVE, med_bp=None, med_glucose=None)
    assert row["level"] == "判定不能"
    assert row["missing_decisive"] == ("服薬_血圧", "服薬_血糖")


# ── 判定不能 ────────────────────────────────────────────────────────────────


def test_missing_waist_with_bmi_below_and_a_risk_is_undetermined():
    row = judge(waist=None, bmi=22.0, sbp=140.0)
    assert (pd.isna(row["step1"]), row["level"]) == (True, "判定不能")
    assert row["missing_decisive"] == ("腹囲",)


def test_missing_waist_cannot_matter_without_risks():
    row = judge(waist=None)
    assert (row["level"], row["missing"], row["missing_decisive"]) == ("情報提供", ("腹囲",), ())


def test_missing_waist_cannot_matter_when_bmi_and_three_risks_give_active_support():
    row = judge(waist=None, bmi=27.0, sbp=140.0, hdl=35.0, fbg=110.0)
    assert (row["level"], row["missing_decisive"]) == ("積極的支援", ())


def test_missing_sex_matters_only_between_the_two_waist_cut_offs():
    assert level(sex=None, waist=87.0, sbp=140.0) == "判定不能"
    assert judge(sex=None, waist=87.0, sbp=140.0)["missing_decisive"] == ("性別",)
    assert level(sex=None, waist=92.0, sbp=140.0) == "動機付け支援"
    assert level(sex=None, waist=80.0, sbp=140.0) == "情報提供"


def test_one_missing_blood_pressure_matters_only_if_the_other_is_normal():
    assert judge(**OBESE, sbp=None, dbp=90.0)["level"] == "動機付け支援"
    row = judge(**OBESE, sbp=None, dbp=70.0, hdl=35.0)
    assert (pd.isna(row["risk_bp"]), pd.isna(row["risk_count"])) == (True, True)
    assert (row["level"], row["missing_decisive"]) == ("判定不能", ("収縮期血圧",))


def test_unanswered_smoking_matters_only_when_it_could_tip_the_count():
    tipping = judge(**OBESE, sbp=140.0, smoking=None)
    assert (tipping["level"], tipping["missing_decisive"]) == ("判定不能", ("喫煙",))
    settled = judge(**ACTIVE, smoking=None)
    assert (settled["level"], settled["missing"], settled["missing_decisive"]) == ("積極的支援", ("喫煙",), ())
    no_risk = judge(**OBESE, smoking=None)
    assert no_risk["level"] == "情報提供"


def test_no_glucose_test_at_all():
    row = judge(**OBESE, sbp=140.0, fbg=None, hba1c=None, rbg=None)
    assert row["level"] == "判定不能"
    assert row["missing_decisive"] == ("血糖(空腹時血糖・HbA1c・随時血糖)",)


def test_no_triglycerides_matters_unless_hdl_decides():
    assert judge(**OBESE, tg_fasting=None, hdl=35.0)["level"] == "動機付け支援"
    assert judge(**OBESE, tg_fasting=None, sbp=140.0)["missing_decisive"] == ("中性脂肪(空腹時・随時)",)


def test_missing_bmi_matters_only_when_waist_is_below():
    assert judge(waist=80.0, bmi=None, height=None, sbp=140.0)["missing_decisive"] == ("BMI(身長・体重)",)
    assert judge(waist=90.0, bmi=None, height=None, sbp=140.0)["level"] == "動機付け支援"


# ── frame contract ──────────────────────────────────────────────────────────


def test_output_is_index_aligned_and_typed():
    frame = checkups(BASE, BASE | {"waist": 90.0, "sbp": 140.0})
    frame.index = [10, 20]
    result = stratify(frame, FY, RULES)
    assert list(result.index) == [10, 20]
    assert list(result["level"]) == ["情報提供", "動機付け支援"]
    assert list(result["level"].cat.categories) == list(LEVELS)
    assert str(result["fy_end_age"].dtype) == "Int64"
    assert str(result["risk_bp"].dtype) == "boolean"


def test_absent_columns_read_as_never_measured():
    frame = checkups(BASE | {"waist": 90.0}).drop(columns=["sbp", "dbp"])
    row = stratify(frame, FY, RULES).iloc[0]
    assert (row["level"], row["missing_decisive"]) == ("判定不能", ("収縮期血圧", "拡張期血圧"))


def test_empty_frame():
    assert stratify(checkups(BASE).iloc[:0], FY, RULES).empty


def test_fiscal_year_outside_the_rule_set_is_refused():
    with pytest.raises(RuleSetError, match="2023年度には使えません"):
        stratify(checkups(BASE), 2023, RULES)


def test_office_override_changes_the_cut_off():
    office = RULES.with_overrides({"hokenshido.risk.bp.sbp": 135})
    frame = checkups(BASE | {"waist": 90.0, "sbp": 132.0})
    assert stratify(frame, FY, RULES).iloc[0]["level"] == "動機付け支援"
    assert stratify(frame, FY, office).iloc[0]["level"] == "情報提供"


# ── 判定不能 by enumeration against a slow reference ─────────────────────────


def _round(value: float, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _reference_level(p: dict, age: int) -> str:
    """The spec read literally, one person at a time, on a person whose needed values are all present."""
    if 1 in (p["med_bp"], p["med_glucose"], p["med_lipid"]):
        return "情報提供"
    waist_cut = 85 if p["sex"] == 1 else 90
    if p["bmi"] is not None:
        bmi = _round(p["bmi"], 1)
    else:
        bmi = _round(p["weight"] / (p["height"] / 100) ** 2, 1)
    if _round(p["waist"], 1) >= waist_cut:
        step1 = "waist"
    elif bmi >= 25:
        step1 = "bmi"
    else:
        return "情報提供"
    bp = _round(p["sbp"], 0) >= 130 or _round(p["dbp"], 0) >= 85
    if p["tg_fasting"] is not None:
        tg = _round(p["tg_fasting"], 0) >= 150
    else:
        tg = _round(p["tg_random"], 0) >= 175
    lipid = tg or _round(p["hdl"], 0) < 40
    if p["fbg"] is not None:
        glucose = _round(p["fbg"], 0) >= 100
    elif p["hba1c"] is not None:
        glucose = _round(p["hba1c"], 1) >= Decimal("5.6")
    else:
        glucose = _round(p["rbg"], 0) >= 100
    count = bp + lipid + glucose
    count += p["smoking"] == 1 and count > 0
    if step1 == "waist":
        result = "積極的支援" if count >= 2 else "動機付け支援" if count == 1 else "情報提供"
    else:
        result = "積極的支援" if count >= 3 else "動機付け支援" if count >= 1 else "情報提供"
    if result == "積極的支援" and age >= 65:
        result = "動機付け支援"
    return result


# Each missing unit of the spec and completions that push its criterion either way (a 腹囲 between
# the two cut-offs as well, where a missing sex decides).
_COMPLETIONS = {
    "sex": ({"sex": 1}, {"sex": 2}),
    "waist": ({"waist": 0.0}, {"waist": 87.0}, {"waist": 200.0}),
    "bmi": ({"bmi": 10.0}, {"bmi": 40.0}),
    "sbp": ({"sbp": 0.0}, {"sbp": 300.0}),
    "dbp": ({"dbp": 0.0}, {"dbp": 300.0}),
    "tg": ({"tg_fasting": 0.0}, {"tg_fasting": 1000.0}),
    "hdl": ({"hdl": 100.0}, {"hdl": 0.0}),
    "glucose": ({"fbg": 0.0}, {"fbg": 500.0}),
    "smoking": ({"smoking": 3}, {"smoking": 1}),
    "med_bp": ({"med_bp": 2}, {"med_bp": 1}),
    "med_glucose": ({"med_glucose": 2}, {"med_glucose": 1}),
    "med_lipid": ({"med_lipid": 2}, {"med_lipid": 1}),
}


def _missing_units(p: dict) -> list[str]:
    absent = {
        "sex": p["sex"] is None,
        "waist": p["waist"] is None,
        "bmi": p["bmi"] is None and (p["height"] is None or p["weight"] is None),
        "sbp": p["sbp"] is None,
        "dbp": p["dbp"] is None,
        "tg": p["tg_fasting"] is None and p["tg_random"] is None,
        "hdl": p["hdl"] is None,
        "glucose": p["fbg"] is None and p["hba1c"] is None and p["rbg"] is None,
        "smoking": p["smoking"] is None,
        "med_bp": p["med_bp"] is None,
        "med_glucose": p["med_glucose"] is None,
        "med_lipid": p["med_lipid"] is None,
    }
    return [unit for unit, is_absent in absent.items() if is_absent]


def _reference(p: dict, age: int) -> tuple[str, set[str], set[str]]:
    """Brute force: the level over every completion, the missing units, and those that matter."""
    units = _missing_units(p)
    outcomes = {}
    for choice in itertools.product(*(range(len(_COMPLETIONS[unit])) for unit in units)):
        completed = dict(p)
        for unit, side in zip(units, choice):
            completed |= _COMPLETIONS[unit][side]
        outcomes[choice] = _reference_level(completed, age)
    matter = {
        unit
        for i, unit in enumerate(units)
        for choice, outcome in outcomes.items()
        for other in range(len(_COMPLETIONS[unit]))
        if outcomes[choice[:i] + (other,) + choice[i + 1:]] != outcome
    }
    distinct = set(outcomes.values())
    return (distinct.pop() if len(distinct) == 1 else "判定不能"), set(units), matter


def _values(*choices):
    return st.sampled_from(choices)


PERSON = st.fixed_dictionaries(
    {
        "sex": _values(1, 1, 2, 2, None),
        "age": _values(40, 50, 64, 65, 70, 74),
        "waist": _values(70.0, 84.9, 84.95, 85.0, 89.9, 90.0, 95.0, None),
        "bmi": _values(20.0, 24.9, 24.95, 25.0, 30.0, None, None),
        "height_weight": _values((160.0, 64.0), (160.0, 63.8), (200.0, 99.8), (None, 60.0), (170.0, None)),
        "sbp": _values(110.0, 129.0, 129.5, 130.0, None),
        "dbp": _values(70.0, 84.0, 84.5, 85.0, None),
        "tg_fasting": _values(100.0, 149.0, 149.5, 150.0, None, None),
        "tg_random": _values(150.0, 174.0, 175.0, None),
        "hdl": _values(60.0, 40.0, 39.5, 39.0, None),
        "fbg": _values(90.0, 99.0, 99.5, 100.0, None, None),
        "hba1c": _values(5.0, 5.5, 5.55, 5.6, None),
        "rbg": _values(90.0, 99.0, 100.0, None),
        "smoking": _values(1, 2, 3, None),
        "med_bp": _values(2, 2, 2, 1, None),
        "med_glucose": _values(2, 2, 2, 1, None),
        "med_lipid": _values(2, 2, 2, 1, None),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(PERSON, min_size=1, max_size=25))
def test_levels_and_decisive_items_match_brute_force_enumeration(people):
    rows = []
    for p in people:
        height, weight = p["height_weight"]
        person = {k: v for k, v in p.items() if k not in ("age", "height_weight")}
        person |= {"height": height, "weight": weight}
        assume(len(_missing_units(person)) <= 7)
        birth = date(FY + 1 - p["age"], 1, 15).isoformat()
        rows.append(BASE | person | {"birth_date": birth, "exam_date": "2024-06-01"})
    result = stratify(checkups(*rows), FY, RULES)
    for person, p, (_, row) in zip(rows, people, result.iterrows()):
        expected, missing, matter = _reference(person, p["age"])
        assert row["level"] == expected, (person, row.to_dict())
        assert set(row["missing"]) == {MISSING_ITEMS[u] for u in missing}
        assert set(row["missing_decisive"]) == {MISSING_ITEMS[u] for u in matter}
