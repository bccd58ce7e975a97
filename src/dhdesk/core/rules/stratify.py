"""Stratification (階層化) of checkup results into 特定保健指導 levels, vectorised over all rows.

The 第4期 procedure: eligibility by 年度末年齢, step 1 腹囲/BMI, step 2 risks ①–④, step 3 level
table, step 4 服薬中 → 情報提供 and 65歳以上 積極的 → 動機付け. Missing items are handled by
enumeration: a level is given whenever no completion of the missing items could change it,
otherwise the row is 判定不能 and the items that matter are named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules import measures
from dhdesk.core.rules.ruleset import RuleSet, RuleSetError, Threshold
from dhdesk.core.rules.tristate import (
    NO,
    UNKNOWN,
    YES,
    Decide,
    all_of,
    any_of,
    by_sex,
    compare,
    resolve,
    spread,
    to_boolean,
)

LEVELS = ("積極的支援", "動機付け支援", "情報提供", "判定不能", "対象外")
ACTIVE, MOTIVATIONAL, INFORMATION, UNDETERMINED, OUT_OF_SCOPE = range(5)
STEP1 = ("腹囲", "BMI", "なし")
BY_WAIST, BY_BMI, NEITHER = range(3)
REQUIRED_COLUMNS = ("sex", "birth_date", "exam_date")

_label = {name: CHECKUPS.field(name).label for name in CHECKUPS.names}
MISSING_ITEMS: dict[str, str] = {
    "birth_date": _label["birth_date"],
    "exam_date": _label["exam_date"],
    "sex": _label["sex"],
    "waist": _label["waist"],
    "bmi": "BMI(身長・体重)",
    "sbp": _label["sbp"],
    "dbp": _label["dbp"],
    "tg": "中性脂肪(空腹時・随時)",
    "hdl": _label["hdl"],
    "glucose": "血糖(空腹時血糖・HbA1c・随時血糖)",
    "smoking": _label["smoking"],
    "med_bp": _label["med_bp"],
    "med_glucose": _label["med_glucose"],
    "med_lipid": _label["med_lipid"],
}
"""Items whose absence can matter, in the order 理由 lists them; bit i of a mask is the i-th item."""

INPUT_ITEMS: dict[str, tuple[str, ...]] = {
    "waist": ("sex", "waist"),
    "bmi": ("bmi",),
    "bp": ("sbp", "dbp"),
    "lipid": ("tg", "hdl"),
    "glucose": ("glucose",),
    "smoking": ("smoking",),
    "medication": ("med_bp", "med_glucose", "med_lipid"),
}
"""The yes/no inputs of the level and the missing items that can leave each one unknown."""

_ORDER = list(MISSING_ITEMS)
_COVERS = [sum(1 << _ORDER.index(name) for name in items) for items in INPUT_ITEMS.values()]
_MEASURED = ("waist", "sbp", "dbp", "tg_fasting", "tg_random", "hdl", "fbg", "hba1c", "rbg")
_ANSWERED = ("sex", "smoking", "med_bp", "med_glucose", "med_lipid")


def stratify(checkups: pd.DataFrame, fiscal_year: int, rules: RuleSet) -> pd.DataFrame:
    """The 保健指導レベル of every checkup row (index aligned), with the facts behind it.

    Columns: fiscal_year, fy_end_age, eligible, step1, bmi, bmi_computed, risk_bp, risk_lipid,
    risk_glucose, risk_smoking (④ as counted: 喫煙 with another risk), risk_count, on_medication,
    base_level (step 3, before 服薬/65歳), level, missing (tuple of item labels),
    missing_decisive (those that make the level 判定不能).
    """
    _check(checkups, fiscal_year, rules)
    size = len(checkups)
    age, eligible, date_bits = _eligibility(checkups, fiscal_year, rules)
    inputs, item_bits, bmi, bmi_computed = _inputs(checkups, rules)
    senior = rules.threshold("hokenshido.age.senior").holds(age)

    final = resolve(inputs, _level_decider(rules, senior), UNDETERMINED)
    without_medication = {name: v for name, v in inputs.items() if name != "medication"}
    base = resolve(without_medication, _step3_decider(rules), UNDETERMINED)

    in_scope = eligible == YES
    level = np.where(in_scope, final.outcome, np.where(eligible == NO, OUT_OF_SCOPE, UNDETERMINED))
    base_level = np.where(in_scope & (base.outcome != UNDETERMINED), base.outcome, -1)
    missing = np.where(in_scope, item_bits, np.where(eligible == UNKNOWN, date_bits, 0))
    decisive_items = item_bits & spread(final.decisive, _COVERS)
    decisive = np.where(in_scope, decisive_items, np.where(eligible == UNKNOWN, date_bits, 0))

    others = any_of(inputs["bp"], inputs["lipid"], inputs["glucose"])
    count_low, count_high = _risk_count_range(inputs)
    return pd.DataFrame(
        {
            "fiscal_year": np.full(size, fiscal_year, dtype=np.int64),
            "fy_end_age": pd.array(age, dtype="Int64"),
            "eligible": to_boolean(eligible),
            "step1": pd.Categorical.from_codes(_step1_codes(inputs), categories=STEP1),
            "bmi": bmi,
            "bmi_computed": bmi_computed,
            "risk_bp": to_boolean(inputs["bp"]),
            "risk_lipid": to_boolean(inputs["lipid"]),
            "risk_glucose": to_boolean(inputs["glucose"]),
            "risk_smoking": to_boolean(all_of(inputs["smoking"], others)),
            "risk_count": pd.arrays.IntegerArray(count_low, count_low != count_high),
            "on_medication": to_boolean(inputs["medication"]),
            "base_level": pd.Categorical.from_codes(base_level.astype(np.int8), categories=LEVELS),
            "level": pd.Categorical.from_codes(level.astype(np.int8), categories=LEVELS),
            "missing": measures.label_tuples(missing, list(MISSING_ITEMS.values())),
            "missing_decisive": measures.label_tuples(decisive, list(MISSING_ITEMS.values())),
        },
        index=checkups.index,
    )


def _check(checkups: pd.DataFrame, fiscal_year: int, rules: RuleSet) -> None:
    if not rules.covers(fiscal_year):
        raise RuleSetError(
            f"{rules.title} は {rules.first_fiscal_year}〜{rules.last_fiscal_year}年度のルールです。"
            f"{fiscal_year}年度には使えません。"
        )
    absent = [c for c in REQUIRED_COLUMNS if c not in checkups.columns]
    if absent:
        raise ValueError(f"stratify needs the columns {absent}")


def _eligibility(checkups: pd.DataFrame, fiscal_year: int, rules: RuleSet) -> tuple[np.ndarray, ...]:
    """年度末年齢, eligibility (YES 対象 / NO 対象外 / UNKNOWN) and the missing-date bits.

    年度末年齢 = completed years on 31 March of FY+1. Those reaching the upper age within the year
    count only when examined before that birthday. A row is 対象外 whenever it is certain that no
    date could make it eligible (examined outside the year, or too young/old whatever the date).
    """
    birth = measures.ymd(checkups, "birth_date")
    exam = measures.ymd(checkups, "exam_date")
    year_end = (fiscal_year + 1) * 10000 + 331
    age = np.floor((year_end - birth) / 10000)
    lower = rules.threshold("hokenshido.age.lower")
    upper = rules.threshold("hokenshido.age.upper")
    with np.errstate(invalid="ignore"):
        age_in_range = lower.holds(age) & upper.holds(age)
        reaching_upper = lower.holds(age) & (age == upper.value)
        before_birthday = exam < birth + upper.value * 10000
        in_year = (exam >= fiscal_year * 10000 + 401) & (exam <= year_end)
    no_birth, no_exam = np.isnan(birth), np.isnan(exam)
    eligible_if_dated = age_in_range | (reaching_upper & before_birthday)
    certainly_out = (~no_exam & ~in_year) | (~no_birth & ~age_in_range & ~reaching_upper)
    unknown = (no_birth | no_exam) & ~certainly_out
    eligible = np.where(certainly_out, NO, np.where(unknown, UNKNOWN, np.where(eligible_if_dated, YES, NO)))
    date_bits = measures.flag_bits({"birth_date": no_birth, "exam_date": no_exam}, _ORDER)
    return age, eligible.astype(np.int8), date_bits


def _inputs(checkups: pd.DataFrame, rules: RuleSet) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """The yes/no/unknown inputs of the level, the missing-item bits, and the BMI used."""

    def t(name: str) -> Threshold:
        return rules.threshold(f"hokenshido.{name}")

    value = {name: measures.measured(checkups, name) for name in _MEASURED}
    code = {name: measures.numbers(checkups, name) for name in _ANSWERED}
    bmi, bmi_computed = measures.bmi(checkups)
    has = {name: ~np.isnan(v) for name, v in value.items()}

    triglycerides = np.where(
        has["tg_fasting"],
        compare(value["tg_fasting"], t("risk.lipid.tg_fasting")),
        compare(value["tg_random"], t("risk.lipid.tg_random")),
    )
    glucose = np.where(
        has["fbg"],
        compare(value["fbg"], t("risk.glucose.fbg")),
        np.where(
            has["hba1c"],
            compare(value["hba1c"], t("risk.glucose.hba1c")),
            compare(value["rbg"], t("risk.glucose.rbg")),
        ),
    )
    inputs = {
        "waist": by_sex(value["waist"], code["sex"], t("step1.waist.male"), t("step1.waist.female")),
        "bmi": compare(bmi, t("step1.bmi")),
        "bp": any_of(compare(value["sbp"], t("risk.bp.sbp")), compare(value["dbp"], t("risk.bp.dbp"))),
        "lipid": any_of(triglycerides.astype(np.int8), compare(value["hdl"], t("risk.lipid.hdl"))),
        "glucose": glucose.astype(np.int8),
        "smoking": compare(code["smoking"], t("risk.smoking")),
        "medication": any_of(*(compare(code[m], t(f"exclude.{m}")) for m in ("med_bp", "med_glucose", "med_lipid"))),
    }
    absent = {
        "sex": np.isnan(code["sex"]),
        "waist": ~has["waist"],
        "bmi": np.isnan(bmi),
        "sbp": ~has["sbp"],
        "dbp": ~has["dbp"],
        "tg": ~has["tg_fasting"] & ~has["tg_random"],
        "hdl": ~has["hdl"],
        "glucose": ~has["fbg"] & ~has["hba1c"] & ~has["rbg"],
        "smoking": np.isnan(code["smoking"]),
        "med_bp": np.isnan(code["med_bp"]),
        "med_glucose": np.isnan(code["med_glucose"]),
        "med_lipid": np.isnan(code["med_lipid"]),
    }
    return inputs, measures.flag_bits(absent, _ORDER), bmi, bmi_computed


def _step3_decider(rules: RuleSet) -> Decide:
    """Step 1 + step 3: the level from 腹囲/BMI and the count of risks ①–④."""
    waist_active, waist_motivational, bmi_active, bmi_motivational = (
        rules.threshold(f"hokenshido.step3.{name}")
        for name in ("waist.active", "waist.motivational", "bmi.active", "bmi.motivational")
    )

    def decide(v: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        others = v["bp"].astype(np.int8) + v["lipid"] + v["glucose"]
        count = others + (v["smoking"] & (others > 0))
        by_waist = v["waist"]
        active = np.where(by_waist, waist_active.holds(count), bmi_active.holds(count))
        motivational = np.where(by_waist, waist_motivational.holds(count), bmi_motivational.holds(count))
        level = np.where(active, ACTIVE, np.where(motivational, MOTIVATIONAL, INFORMATION))
        return np.where(by_waist | v["bmi"], level, INFORMATION)

    return decide


def _level_decider(rules: RuleSet, senior: np.ndarray) -> Decide:
    """Step 4 on top of step 3: 65歳以上 積極的 → 動機付け, then 服薬中 → 情報提供."""
    step3 = _step3_decider(rules)

    def decide(v: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        level = step3(v, rows)
        level = np.where((level == ACTIVE) & senior[rows], MOTIVATIONAL, level)
        return np.where(v["medication"], INFORMATION, level)

    return decide


def _risk_count_range(inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest possible count of ①–④ (equal when the count is certain)."""
    parts = [inputs[name] for name in ("bp", "lipid", "glucose")]
    low = sum((p == YES).astype(np.int8) for p in parts)
    high = sum((p != NO).astype(np.int8) for p in parts)
    low = low + ((inputs["smoking"] == YES) & (low > 0))
    high = high + ((inputs["smoking"] != NO) & (high > 0))
    return low.astype(np.int8), high.astype(np.int8)


def _step1_codes(inputs: dict[str, np.ndarray]) -> np.ndarray:
    waist, bmi = inputs["waist"], inputs["bmi"]
    codes = np.full(len(waist), -1, dtype=np.int8)
    codes[waist == YES] = BY_WAIST
    codes[(waist == NO) & (bmi == YES)] = BY_BMI
    codes[(waist == NO) & (bmi == NO)] = NEITHER
    return codes
