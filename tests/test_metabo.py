"""メタボ判定 (metabo): every threshold at just below / at / just above, 服薬, and 判定不能 by enumeration."""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhdesk.core.rules import load_ruleset
from dhdesk.core.rules.metabo import METABO_LEVELS, METABO_MISSING_ITEMS, metabo
from typed_rows import checkups

RULES = load_ruleset()

# 腹囲 over the cut-off, every risk clearly absent, every question answered 「いいえ」.
BASE = {
    "sex": 1, "waist": 90.0, "sbp": 118.0, "dbp": 72.0, "tg_fasting": 100.0, "tg_random": None,
    "hdl": 60.0, "fbg": 90.0, "hba1c": 5.2, "rbg": None, "med_bp": 2, "med_glucose": 2, "med_lipid": 2,
}


def judge(**changes) -> pd.Series:
    return metabo(checkups(BASE | changes), RULES).iloc[0]


def result(**changes) -> str:
    return judge(**changes)["metabo"]


@pytest.mark.parametrize(
    ("sex", "waist", "expected"),
    [(1, 84.9, False), (1, 84.95, True), (1, 85.0, True), (1, 85.1, True), (2, 89.9, False), (2, 90.0, True),
     (2, 90.1, True)],
)
def test_waist_cut_off_by_sex(sex, waist, expected):
    assert judge(sex=sex, waist=waist)["metabo_waist"] == expected


@pytest.mark.parametrize(
    ("item", "value", "column", "expected"),
    [
        ("fbg", 109.0, "metabo_glucose", False), ("fbg", 110.0, "metabo_glucose", True),
        ("fbg", 111.0, "metabo_glucose", True),
        ("tg_fasting", 149.0, "metabo_lipid", False), ("tg_fasting", 150.0, "metabo_lipid", True),
        ("tg_fasting", 151.0, "metabo_lipid", True),
        ("hdl", 41.0, "metabo_lipid", False), ("hdl", 40.0, "metabo_lipid", False), ("hdl", 39.0, "metabo_lipid", True),
        ("sbp", 129.0, "metabo_bp", False), ("sbp", 129.5, "metabo_bp", True), ("sbp", 130.0, "metabo_bp", True),
        ("dbp", 84.0, "metabo_bp", False), ("dbp", 85.0, "metabo_bp", True), ("dbp", 86.0, "metabo_bp", True),
    ],
)
def test_risk_thresholds(item, value, column, expected):
    assert judge(**{item: value})[column] == expected


@pytest.mark.parametrize(("rbg", "expected"), [(109.0, False), (110.0, True), (111.0, True)])
def test_random_glucose_when_no_fasting_value(rbg, expected):
    assert judge(fbg=None, rbg=rbg, hba1c=7.0)["metabo_glucose"] == expected


@pytest.mark.parametrize(("hba1c", "expected"), [(5.9, False), (5.95, True), (6.0, True), (6.1, True)])
def test_hba1c_only_when_no_blood_glucose_at_all(hba1c, expected):
    assert judge(fbg=None, rbg=None, hba1c=hba1c)["metabo_glucose"] == expected


def test_hba1c_ignored_when_blood_glucose_measured():
    assert not judge(fbg=100.0, hba1c=6.5)["metabo_glucose"]


@pytest.mark.parametrize(("tg", "expected"), [(149.0, False), (150.0, True)])
def test_random_triglycerides_use_150(tg, expected):
    assert judge(tg_fasting=None, tg_random=tg)["metabo_lipid"] == expected


def test_either_measured_triglyceride_counts():
    assert judge(tg_fasting=100.0, tg_random=160.0)["metabo_lipid"]
    assert judge(tg_fasting=160.0, tg_random=100.0)["metabo_lipid"]


@pytest.mark.parametrize(
    ("item", "column"), [("med_glucose", "metabo_glucose"), ("med_lipid", "metabo_lipid"), ("med_bp", "metabo_bp")]
)
def test_medication_counts_as_the_matching_risk(item, column):
    assert judge(**{item: 1})[column]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "非該当"),
        ({"sbp": 140.0}, "予備群該当"),
        ({"sbp": 140.0, "hdl": 35.0}, "基準該当"),
        ({"sbp": 140.0, "hdl": 35.0, "fbg": 120.0}, "基準該当"),
        ({"waist": 80.0, "sbp": 140.0, "hdl": 35.0, "fbg": 120.0}, "非該当"),
    ],
)
def test_levels(changes, expected):
    row = judge(**changes)
    assert row["metabo"] == expected
    assert list(metabo(checkups(BASE), RULES)["metabo"].cat.categories) == list(METABO_LEVELS)


def test_missing_waist_is_undetermined_when_a_risk_is_possible():
    row = judge(waist=None, sbp=140.0)
    assert (row["metabo"], row["metabo_missing_decisive"]) == ("判定不能", ("腹囲",))


def test_missing_waist_with_every_risk_certainly_absent_is_negative():
    row = judge(waist=None)
    assert (row["metabo"], row["metabo_missing"], row["metabo_missing_decisive"]) == ("非該当", ("腹囲",), ())


def test_missing_sex_matters_only_between_the_two_cut_offs():
    assert result(sex=None, waist=87.0, sbp=140.0) == "判定不能"
    assert result(sex=None, waist=92.0, sbp=140.0) == "予備群該当"
    assert result(sex=None, waist=80.0, sbp=140.0) == "非該当"


def test_unanswered_medication_matters_when_it_could_add_a_risk():
    row = judge(sbp=140.0, med_lipid=None)
    assert (row["metabo"], row["metabo_missing_decisive"]) == ("判定不能", ("服薬_脂質",))
    assert result(sbp=140.0, hdl=35.0, med_glucose=None) == "基準該当"


def test_no_glucose_test_at_all():
    row = judge(sbp=140.0, fbg=None, hba1c=None, rbg=None)
    assert row["metabo"] == "判定不能"
    assert row["metabo_missing_decisive"] == ("血糖(空腹時血糖・随時血糖・HbA1c)",)
    assert pd.isna(row["metabo_risk_count"])


def test_waist_below_settles_everything():
    row = judge(waist=70.0, sbp=None, fbg=None, hba1c=None, med_bp=None)
    assert (row["metabo"], row["metabo_missing_decisive"]) == ("非該当", ())


def test_index_is_kept():
    frame = checkups(BASE, BASE | {"sbp": 140.0})
    frame.index = ["a", "b"]
    assert metabo(frame, RULES)["metabo"].to_dict() == {"a": "非該当", "b": "予備群該当"}


# ── 判定不能 by enumeration against a slow reference ─────────────────────────


def _round(value: float, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _reference_level(p: dict) -> str:
    if _round(p["waist"], 1) < (85 if p["sex"] == 1 else 90):
        return "非該当"
    if p["fbg"] is not None:
        glucose = _round(p["fbg"], 0) >= 110
    elif p["rbg"] is not None:
        glucose = _round(p["rbg"], 0) >= 110
    else:
        glucose = _round(p["hba1c"], 1) >= Decimal("6.0")
    tgs = [_round(p[k], 0) for k in ("tg_fasting", "tg_random") if p[k] is not None]
    lipid = any(tg >= 150 for tg in tgs) or _round(p["hdl"], 0) < 40 or p["med_lipid"] == 1
    bp = _round(p["sbp"], 0) >= 130 or _round(p["dbp"], 0) >= 85 or p["med_bp"] == 1
    count = (glucose or p["med_glucose"] == 1) + lipid + bp
    return "基準該当" if count >= 2 else "予備群該当" if count == 1 else "非該当"


_COMPLETIONS = {
    "sex": ({"sex": 1}, {"sex": 2}),
    "waist": ({"waist": 0.0}, {"waist": 87.0}, {"waist": 200.0}),
    "glucose": ({"fbg": 0.0}, {"fbg": 500.0}),
    "tg": ({"tg_fasting": 0.0}, {"tg_fasting": 1000.0}),
    "hdl": ({"hdl": 100.0}, {"hdl": 0.0}),
    "sbp": ({"sbp": 0.0}, {"sbp": 300.0}),
    "dbp": ({"dbp": 0.0}, {"dbp": 300.0}),
    "med_glucose": ({"med_glucose": 2}, {"med_glucose": 1}),
    "med_lipid": ({"med_lipid": 2}, {"med_lipid": 1}),
    "med_bp": ({"med_bp": 2}, {"med_bp": 1}),
}


def _missing_units(p: dict) -> list[str]:
    absent = {
        "sex": p["sex"] is None,
        "waist": p["waist"] is None,
        "glucose": p["fbg"] is None and p["rbg"] is None and p["hba1c"] is None,
        "tg": p["tg_fasting"] is None and p["tg_random"] is None,
        **{unit: p[unit] is None for unit in ("hdl", "sbp", "dbp", "med_glucose", "med_lipid", "med_bp")},
    }
    return [unit for unit, is_absent in absent.items() if is_absent]


def _reference(p: dict) -> tuple[str, set[str], set[str]]:
    units = _missing_units(p)
    outcomes = {}
    for choice in itertools.product(*(range(len(_COMPLETIONS[unit])) for unit in units)):
        completed = dict(p)
        for unit, side in zip(units, choice):
            completed |= _COMPLETIONS[unit][side]
        outcomes[choice] = _reference_level(completed)
    matter = {
        unit
        for i, unit in enumerate(units)
        for choice, outcome in outcomes.items()
        for other in range(len(_COMPLETIONS[unit]))
        if outcomes[choice[:i] + (other,) + choice[i + 1:]] != outcome
    }
    distinct = set(outcomes.values())
    return (distinct.pop() if len(distinct) == 1 else "判定不能"), set(units), matter


PERSON = st.fixed_dictionaries(
    {
        "sex": st.sampled_from([1, 2, None]),
        "waist": st.sampled_from([70.0, 84.9, 84.95, 85.0, 89.9, 90.0, None]),
        "sbp": st.sampled_from([110.0, 129.0, 129.5, 130.0, None]),
        "dbp": st.sampled_from([70.0, 84.0, 85.0, None]),
        "tg_fasting": st.sampled_from([100.0, 149.0, 149.5, 150.0, None]),
        "tg_random": st.sampled_from([100.0, 149.0, 150.0, None]),
        "hdl": st.sampled_from([60.0, 40.0, 39.5, 39.0, None]),
        "fbg": st.sampled_from([90.0, 109.0, 110.0, None, None]),
        "rbg": st.sampled_from([90.0, 109.0, 110.0, None]),
        "hba1c": st.sampled_from([5.0, 5.9, 5.95, 6.0, None]),
        "med_glucose": st.sampled_from([2, 2, 1, None]),
        "med_lipid": st.sampled_from([2, 2, 1, None]),
        "med_bp": st.sampled_from([2, 2, 1, None]),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(PERSON, min_size=1, max_size=25))
def test_results_and_decisive_items_match_brute_force_enumeration(people):
    result_frame = metabo(checkups(*people), RULES)
    for person, (_, row) in zip(people, result_frame.iterrows()):
        expected, missing, matter = _reference(person)
        assert row["metabo"] == expected, (person, row.to_dict())
        assert set(row["metabo_missing"]) == {METABO_MISSING_ITEMS[u] for u in missing}
        assert set(row["metabo_missing_decisive"]) == {METABO_MISSING_ITEMS[u] for u in matter}
