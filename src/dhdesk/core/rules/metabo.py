"""Metabolic-syndrome judgement (メタボリックシンドローム判定) of checkup rows, vectorised.

腹囲 is required; the risks are 血糖, 脂質 and 血圧, each also met by the matching 服薬.
2 risks → 基準該当, 1 → 予備群該当, 0 or 腹囲 below the cut-off → 非該当. As in 階層化, a row
is 判定不能 only when some completion of its missing items would change the result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules import measures
from dhdesk.core.rules.ruleset import RuleSet
from dhdesk.core.rules.tristate import NO, YES, Decide, any_of, by_sex, compare, resolve, spread, to_boolean

METABO_LEVELS = ("基準該当", "予備群該当", "非該当", "判定不能")
CRITERIA, RESERVE, NEGATIVE, UNDETERMINED = range(4)

_label = {name: CHECKUPS.field(name).label for name in CHECKUPS.names}
METABO_MISSING_ITEMS: dict[str, str] = {
    "sex": _label["sex"],
    "waist": _label["waist"],
    "glucose": "血糖(空腹時血糖・随時血糖・HbA1c)",
    "tg": "中性脂肪(空腹時・随時)",
    "hdl": _label["hdl"],
    "sbp": _label["sbp"],
    "dbp": _label["dbp"],
    "med_glucose": _label["med_glucose"],
    "med_lipid": _label["med_lipid"],
    "med_bp": _label["med_bp"],
}
"""Items whose absence can matter, in the order 理由 lists them."""

METABO_INPUT_ITEMS: dict[str, tuple[str, ...]] = {
    "waist": ("sex", "waist"),
    "glucose": ("glucose", "med_glucose"),
    "lipid": ("tg", "hdl", "med_lipid"),
    "bp": ("sbp", "dbp", "med_bp"),
}

_ORDER = list(METABO_MISSING_ITEMS)
_COVERS = [sum(1 << _ORDER.index(name) for name in items) for items in METABO_INPUT_ITEMS.values()]
_MEASURED = ("waist", "fbg", "rbg", "hba1c", "tg_fasting", "tg_random", "hdl", "sbp", "dbp")
_ANSWERED = ("sex", "med_glucose", "med_lipid", "med_bp")


def metabo(checkups: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """The メタボ判定 of every checkup row (index aligned).

    Columns: metabo, metabo_waist, metabo_glucose, metabo_lipid, metabo_bp (tri-state booleans),
    metabo_risk_count (NA when not certain), metabo_missing, metabo_missing_decisive.
    """
    inputs, item_bits = _inputs(checkups, rules)
    result = resolve(inputs, _decider(rules), UNDETERMINED)
    risks = [inputs[name] for name in ("glucose", "lipid", "bp")]
    low = sum((r == YES).astype(np.int8) for r in risks)
    high = sum((r != NO).astype(np.int8) for r in risks)
    labels = list(METABO_MISSING_ITEMS.values())
    return pd.DataFrame(
        {
            "metabo": pd.Categorical.from_codes(result.outcome, categories=METABO_LEVELS),
            "metabo_waist": to_boolean(inputs["waist"]),
            "metabo_glucose": to_boolean(inputs["glucose"]),
            "metabo_lipid": to_boolean(inputs["lipid"]),
            "metabo_bp": to_boolean(inputs["bp"]),
            "metabo_risk_count": pd.arrays.IntegerArray(np.asarray(low, dtype=np.int8), np.asarray(low != high)),
            "metabo_missing": measures.label_tuples(item_bits, labels),
            "metabo_missing_decisive": measures.label_tuples(item_bits & spread(result.decisive, _COVERS), labels),
        },
        index=checkups.index,
    )


def _inputs(checkups: pd.DataFrame, rules: RuleSet) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The yes/no/unknown 腹囲 and risks, and the missing-item bits."""
    t = rules.threshold
    value = {name: measures.measured(checkups, name) for name in _MEASURED}
    code = {name: measures.numbers(checkups, name) for name in _ANSWERED}
    has = {name: ~np.isnan(v) for name, v in value.items()}

    glucose_lab = np.where(
        has["fbg"],
        compare(value["fbg"], t("metabo.risk.glucose.fbg")),
        np.where(
            has["rbg"],
            compare(value["rbg"], t("metabo.risk.glucose.rbg")),
            compare(value["hba1c"], t("metabo.risk.glucose.hba1c")),
        ),
    ).astype(np.int8)
    tg_fasting = compare(value["tg_fasting"], t("metabo.risk.lipid.tg_fasting"))
    tg_random = compare(value["tg_random"], t("metabo.risk.lipid.tg_random"))
    # Either measured triglyceride counts; a missing one is no reason for doubt when the other exists.
    triglycerides = np.where(
        has["tg_fasting"] & has["tg_random"],
        any_of(tg_fasting, tg_random),
        np.where(has["tg_fasting"], tg_fasting, tg_random),
    ).astype(np.int8)
    inputs = {
        "waist": by_sex(value["waist"], code["sex"], t("metabo.waist.male"), t("metabo.waist.female")),
        "glucose": any_of(glucose_lab, compare(code["med_glucose"], t("metabo.risk.glucose.med"))),
        "lipid": any_of(
            triglycerides,
            compare(value["hdl"], t("metabo.risk.lipid.hdl")),
            compare(code["med_lipid"], t("metabo.risk.lipid.med")),
        ),
        "bp": any_of(
            compare(value["sbp"], t("metabo.risk.bp.sbp")),
            compare(value["dbp"], t("metabo.risk.bp.dbp")),
            compare(code["med_bp"], t("metabo.risk.bp.med")),
        ),
    }
    absent = {
        "sex": np.isnan(code["sex"]),
        "waist": ~has["waist"],
        "glucose": ~has["fbg"] & ~has["rbg"] & ~has["hba1c"],
        "tg": ~has["tg_fasting"] & ~has["tg_random"],
        "hdl": ~has["hdl"],
        "sbp": ~has["sbp"],
        "dbp": ~has["dbp"],
        "med_glucose": np.isnan(code["med_glucose"]),
        "med_lipid": np.isnan(code["med_lipid"]),
        "med_bp": np.isnan(code["med_bp"]),
    }
    return inputs, measures.flag_bits(absent, _ORDER)


def _decider(rules: RuleSet) -> Decide:
    """腹囲 and the count of risks → 基準該当 / 予備群該当 / 非該当."""
    criteria = rules.threshold("metabo.level.criteria")
    reserve = rules.threshold("metabo.level.reserve")

    def decide(v: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        count = v["glucose"].astype(np.int8) + v["lipid"] + v["bp"]
        level = np.where(criteria.holds(count), CRITERIA, np.where(reserve.holds(count), RESERVE, NEGATIVE))
        return np.where(v["waist"], level, NEGATIVE)

    return decide
