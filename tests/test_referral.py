"""受診勧奨判定 (referral, referral_explain): every cut-off just below / at / just above, tiers, rounding, gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules import Comparison, Confidence, RuleSet, RuleSetError, load_ruleset
from dhdesk.core.rules.referral import TIERS, criteria, referral
from dhdesk.core.rules.referral_explain import NONE_TEXT, referral_reason, referral_reasons
from typed_rows import checkups

RULES = load_ruleset("jushin_kankoku")
ALL_ITEMS = (
    "収縮期血圧", "拡張期血圧", "空腹時中性脂肪", "随時中性脂肪", "HDLコレステロール", "LDLコレステロール",
    "Non-HDLコレステロール", "空腹時血糖", "随時血糖", "HbA1c", "AST", "ALT", "γ-GT", "eGFR", "尿蛋白", "血色素量",
)


def judge(**values) -> pd.Series:
    return referral(checkups({"sex": 1} | values), RULES).iloc[0]


# ── the rule file ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("rule_id", "comparison", "value", "confidence"),
    [
        ("guidance.sbp", Comparison.GE, 130, Confidence.OK),
        ("referral.sbp", Comparison.GE, 140, Confidence.OK),
        ("urgent.sbp", Comparison.GE, 160, Confidence.OK),
        ("guidance.dbp", Comparison.GE, 85, Confidence.OK),
        ("referral.dbp", Comparison.GE, 90, Confidence.OK),
        ("urgent.dbp", Comparison.GE, 100, Confidence.OK),
        ("referral.tg_fasting", Comparison.GE, 300, Confidence.SECONDARY),
        ("guidance.tg_random", Comparison.GE, 175, Confidence.SECONDARY),
        ("urgent.tg_fasting", Comparison.GE, 500, Confidence.NOT_CONFIRMED),
        ("urgent.tg_random", Comparison.GE, 500, Confidence.NOT_CONFIRMED),
        ("guidance.hdl", Comparison.LT, 40, Confidence.SECONDARY),
        ("referral.hdl", Comparison.LT, 35, Confidence.SECONDARY),
        ("urgent.ldl", Comparison.GE, 180, Confidence.SECONDARY),
        ("referral.non_hdl", Comparison.GE, 170, Confidence.SECONDARY),
        ("referral.hba1c", Comparison.GE, 6.5, Confidence.SECONDARY),
        ("urgent.hba1c", Comparison.GE, 6.5, Confidence.SECONDARY),
        ("referral.ggt", Comparison.GE, 101, Confidence.SECONDARY),
        ("referral.egfr", Comparison.LT, 45, Confidence.SECONDARY),
        ("referral.urine_protein", Comparison.GE, 3, Confidence.SECONDARY),
        ("referral.hb.male", Comparison.LE, 12.0, Confidence.NOT_CONFIRMED),
        ("referral.hb.female", Comparison.LE, 11.0, Confidence.NOT_CONFIRMED),
    ],
)
def test_official_values(rule_id, comparison, value, confidence):
    t = RULES.threshold(rule_id)
    assert (t.comparison, t.value, t.official, t.confidence) == (comparison, value, value, confidence)


def test_rule_set_covers_fourth_period_and_explains_its_hb_choice():
    assert (RULES.first_fiscal_year, RULES.last_fiscal_year) == (2024, 2029)
    assert "以下" in RULES.threshold("guidance.hb.female").note
    assert Comparison.LE.label == "以下" and Comparison.LE.symbol == "≤"


def test_a_rule_set_without_referral_values_is_refused():
    with pytest.raises(RuleSetError, match="受診勧奨判定値"):
        criteria(load_ruleset("tokutei_4ki"))


def test_a_sex_specific_item_needs_both_sexes():
    text = """
id = "broken"
version = "1"
title = "t"
short_title = "t"
first_fiscal_year = 2024
last_fiscal_year = 2029
[sources.s]
document = "d"
short = "s"
url = ""
[[thresholds]]
id = "referral.hb.male"
label = "血色素量"
item = "hb"
comparison = "le"
value = 12.0
unit = "g/dL"
sex = 1
source = "s"
confidence = "NC"
"""
    with pytest.raises(RuleSetError, match="referral.hb: 男女共通の1件か、男性・女性の2件"):
        criteria(RuleSet.from_toml(text))


# ── every cut-off: just below / at / just above ──────────────────────────────


@pytest.mark.parametrize(
    ("column", "item", "sex", "cases"),
    [
        ("guidance_sbp", "sbp", 1, [(129, False), (130, True), (131, True)]),
        ("referral_sbp", "sbp", 1, [(139, False), (140, True), (141, True)]),
        ("guidance_dbp", "dbp", 1, [(84, False), (85, True), (86, True)]),
        ("referral_dbp", "dbp", 1, [(89, False), (90, True), (91, True)]),
        ("guidance_tg_fasting", "tg_fasting", 1, [(149, False), (150, True), (151, True)]),
        ("referral_tg_fasting", "tg_fasting", 1, [(299, False), (300, True), (301, True)]),
        ("guidance_tg_random", "tg_random", 1, [(174, False), (175, True), (176, True)]),
        ("referral_tg_random", "tg_random", 1, [(299, False), (300, True), (301, True)]),
        ("guidance_hdl", "hdl", 1, [(39, True), (40, False), (41, False)]),
        ("referral_hdl", "hdl", 1, [(34, True), (35, False), (36, False)]),
        ("guidance_ldl", "ldl", 1, [(119, False), (120, True), (121, True)]),
        ("referral_ldl", "ldl", 1, [(139, False), (140, True), (141, True)]),
        ("guidance_non_hdl", "non_hdl", 1, [(149, False), (150, True), (151, True)]),
        ("referral_non_hdl", "non_hdl", 1, [(169, False), (170, True), (171, True)]),
        ("guidance_fbg", "fbg", 1, [(99, False), (100, True), (101, True)]),
        ("referral_fbg", "fbg", 1, [(125, False), (126, True), (127, True)]),
        ("guidance_rbg", "rbg", 1, [(99, False), (100, True), (101, True)]),
        ("referral_rbg", "rbg", 1, [(125, False), (126, True), (127, True)]),
        ("guidance_hba1c", "hba1c", 1, [(5.5, False), (5.6, True), (5.7, True)]),
        ("referral_hba1c", "hba1c", 1, [(6.4, False), (6.5, True), (6.6, True)]),
        ("guidance_ast", "ast", 1, [(30, False), (31, True), (32, True)]),
        ("referral_ast", "ast", 1, [(50, False), (51, True), (52, True)]),
        ("guidance_alt", "alt", 1, [(30, False), (31, True), (32, True)]),
        ("referral_alt", "alt", 1, [(50, False), (51, True), (52, True)]),
        ("guidance_ggt", "ggt", 1, [(50, False), (51, True), (52, True)]),
        ("referral_ggt", "ggt", 1, [(100, False), (101, True), (102, True)]),
        ("guidance_egfr", "egfr", 1, [(59.9, True), (60.0, False), (60.1, False)]),
        ("referral_egfr", "egfr", 1, [(44.9, True), (45.0, False), (45.1, False)]),
        ("guidance_urine_protein", "urine_protein", 1, [("1", False), ("2", True), ("3", True)]),
        ("referral_urine_protein", "urine_protein", 1, [("2", False), ("3", True), ("4", True)]),
        ("guidance_hb", "hb", 1, [(12.9, True), (13.0, True), (13.1, False)]),
        ("guidance_hb", "hb", 2, [(11.9, True), (12.0, True), (12.1, False)]),
        ("referral_hb", "hb", 1, [(11.9, True), (12.0, True), (12.1, False)]),
        ("referral_hb", "hb", 2, [(10.9, True), (11.0, True), (11.1, False)]),
    ],
)
def test_cutoff_below_at_above(column, item, sex, cases):
    frame = checkups(*({"sex": sex, item: value} for value, _ in cases))
    assert referral(frame, RULES)[column].tolist() == [expected for _, expected in cases]


def test_hb_cutoff_depends_on_sex():
    frame = checkups({"sex": 1, "hb": 11.5}, {"sex": 2, "hb": 11.5})
    result = referral(frame, RULES)
    assert result["referral_hb"].tolist() == [True, False]
    assert result["referral_items"].tolist() == [("血色素量",), ()]


# ── tiers ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("item", "cases"),
    [
        ("sbp", [(139, None), (140, TIERS[1]), (159, TIERS[1]), (160, TIERS[0]), (161, TIERS[0])]),
        ("dbp", [(89, None), (90, TIERS[1]), (99, TIERS[1]), (100, TIERS[0]), (101, TIERS[0])]),
        ("fbg", [(125, None), (126, TIERS[0]), (127, TIERS[0])]),
        ("rbg", [(125, None), (126, TIERS[0]), (127, TIERS[0])]),
        ("hba1c", [(6.4, None), (6.5, TIERS[0]), (6.6, TIERS[0])]),
        ("ldl", [(139, None), (140, TIERS[1]), (179, TIERS[1]), (180, TIERS[0]), (181, TIERS[0])]),
        ("tg_fasting", [(299, None), (300, TIERS[1]), (499, TIERS[1]), (500, TIERS[0]), (501, TIERS[0])]),
        ("tg_random", [(299, None), (300, TIERS[1]), (499, TIERS[1]), (500, TIERS[0]), (501, TIERS[0])]),
        ("ast", [(50, None), (51, TIERS[1]), (500, TIERS[1])]),
        ("egfr", [(45.0, None), (44.9, TIERS[1]), (10.0, TIERS[1])]),
        ("non_hdl", [(169, None), (170, TIERS[1]), (300, TIERS[1])]),
    ],
)
def test_tier_one_versus_two(item, cases):
    result = referral(checkups(*({"sex": 1, item: value} for value, _ in cases)), RULES)
    assert [None if pd.isna(t) else t for t in result["tier"]] == [tier for _, tier in cases]
    label = CHECKUPS.field(item).label
    assert [label in items for items in result["urgent_items"]] == [tier == TIERS[0] for _, tier in cases]


def test_urgent_item_outranks_other_items_and_everything_is_counted():
    row = judge(sbp=165, dbp=92, ldl=150, hdl=30, ast=60, alt=20)
    assert row["tier"] == "①すぐに受診"
    assert row["referral_items"] == ("収縮期血圧", "拡張期血圧", "HDLコレステロール", "LDLコレステロール", "AST")
    assert row["urgent_items"] == ("収縮期血圧",)
    assert row["referral_count"] == 5
    assert row["guidance_items"] == ("収縮期血圧", "拡張期血圧", "HDLコレステロール", "LDLコレステロール", "AST")


def test_guidance_only_is_not_a_referral():
    row = judge(sbp=135, ldl=125, hba1c=5.8)
    assert pd.isna(row["tier"]) and row["referral_count"] == 0 and row["referral_items"] == ()
    assert row["guidance_items"] == ("収縮期血圧", "LDLコレステロール", "HbA1c")


# ── rounding half-up to the recorded precision ───────────────────────────────


@pytest.mark.parametrize(
    ("column", "item", "sex", "value", "expected"),
    [
        ("referral_sbp", "sbp", 1, 139.49, False),
        ("referral_sbp", "sbp", 1, 139.5, True),
        ("referral_hba1c", "hba1c", 1, 6.44, False),
        ("referral_hba1c", "hba1c", 1, 6.45, True),
        ("referral_egfr", "egfr", 1, 44.94, True),
        ("referral_egfr", "egfr", 1, 44.95, False),
        ("referral_hb", "hb", 1, 12.04, True),
        ("referral_hb", "hb", 1, 12.05, False),
        ("referral_hdl", "hdl", 1, 34.49, True),
        ("referral_hdl", "hdl", 1, 34.5, False),
    ],
)
def test_values_are_rounded_half_up_before_comparing(column, item, sex, value, expected):
    assert judge(sex=sex, **{item: value})[column] == expected


def test_hba1c_rounded_into_the_urgent_tier():
    assert judge(hba1c=6.45)["tier"] == "①すぐに受診"
    assert pd.isna(judge(hba1c=6.449)["tier"])


# ── missing values ───────────────────────────────────────────────────────────


def test_nothing_measured_is_no_referral_and_every_item_is_listed_missing():
    row = judge()
    assert pd.isna(row["tier"]) and row["referral_count"] == 0
    assert pd.isna(row["referral_sbp"]) and pd.isna(row["guidance_hb"])
    assert row["referral_missing"] == ALL_ITEMS


def test_missing_is_not_exceeded_and_measured_items_still_count():
    row = judge(sbp=None, dbp=95)
    assert pd.isna(row["referral_sbp"]) and row["tier"] == "②受診勧奨"
    assert "収縮期血圧" in row["referral_missing"] and "拡張期血圧" not in row["referral_missing"]


def test_a_measured_partner_means_the_other_of_the_pair_is_not_missing():
    missing = judge(tg_fasting=100, fbg=90, ldl=100)["referral_missing"]
    assert not {"空腹時中性脂肪", "随時中性脂肪", "空腹時血糖", "随時血糖", "LDLコレステロール", "Non-HDLコレステロール"} & set(missing)
    missing = judge(tg_random=100)["referral_missing"]
    assert "空腹時中性脂肪" not in missing and "空腹時血糖" in missing and "随時血糖" in missing


def test_sex_unknown_decides_hb_only_when_both_cutoffs_agree():
    frame = checkups({"sex": None, "hb": 11.5}, {"sex": None, "hb": 10.9}, {"sex": None, "hb": 13.5})
    result = referral(frame, RULES)
    assert result["referral_hb"].tolist()[1:] == [True, False] and pd.isna(result["referral_hb"].iloc[0])
    assert [m[0] == "性別" for m in result["referral_missing"]] == [True, False, False]
    assert pd.isna(result["tier"].iloc[0]) and result["tier"].iloc[1] == "②受診勧奨"


def test_columns_absent_from_the_file_read_as_not_measured():
    result = referral(pd.DataFrame({"sex": pd.array([2], dtype="Int8")}), RULES)
    assert result["referral_missing"].iloc[0] == ALL_ITEMS and result["referral_count"].iloc[0] == 0


def test_result_is_index_aligned():
    frame = checkups({"sex": 1, "sbp": 170}, {"sex": 2, "sbp": 120}, index=["a", "b"])
    result = referral(frame, RULES)
    assert list(result.index) == ["a", "b"]
    assert result["tier"].astype(object).where(result["tier"].notna(), None).tolist() == ["①すぐに受診", None]


# ── office overrides ─────────────────────────────────────────────────────────


def test_office_override_moves_the_cutoff_and_is_shown_with_the_official_value():
    rules = RULES.with_overrides({"referral.sbp": 135.0})
    frame = checkups({"sex": 1, "sbp": 136})
    flags = referral(frame, rules)
    assert flags["referral_sbp"].tolist() == [True]
    assert referral_reasons(frame, flags, rules).iloc[0].startswith(
        "収縮期血圧 136 ≥ 135mmHg(事務所設定; 公式 140) → ②受診勧奨 [R6プログラム p.164]"
    )


# ── explanations (理由) ──────────────────────────────────────────────────────


def reason(**values) -> str:
    frame = checkups({"sex": 1} | values)
    return referral_reasons(frame, referral(frame, RULES), RULES).iloc[0]


def test_explanation_names_value_cutoff_tier_and_source():
    text = reason(sbp=168, dbp=92, ldl=125, hb=11.95, urine_protein="4")
    assert text.split("; ")[:4] == [
        "収縮期血圧 168 ≥ 160mmHg → ①すぐに受診 [R6プログラム p.164]",
        "拡張期血圧 92 ≥ 90mmHg → ②受診勧奨 [R6プログラム p.164]",
        "尿蛋白 (++) ≥ (+) → ②受診勧奨 [判定値一覧(R6形式の転記)]",
        "血色素量 12.0 ≤ 12.0g/dL(男性) → ②受診勧奨 [滋賀県 健診判定値]",
    ]
    assert "保健指導判定値以上: LDLコレステロール 125 ≥ 120mg/dL [判定値一覧(R6形式の転記)]" in text


def test_explanation_without_exceedance_lists_the_missing_items():
    assert reason(sbp=120, dbp=70) == NONE_TEXT + "; 未測定: " + ", ".join(ALL_ITEMS[2:])


def test_explanation_of_female_hb_and_unknown_sex():
    frame = checkups({"sex": 2, "hb": 10.5}, {"sex": None, "hb": 10.0}, {"sex": None, "hb": 11.5})
    texts = referral_reasons(frame, referral(frame, RULES), RULES).tolist()
    assert texts[0].startswith("血色素量 10.5 ≤ 11.0g/dL(女性) → ②受診勧奨 [滋賀県 健診判定値]")
    assert texts[1].startswith("血色素量 10.0 ≤ 12.0g/dL(男性), ≤ 11.0g/dL(女性) → ②受診勧奨")
    assert texts[2].startswith(NONE_TEXT + "; 性別なしのため判定不能: 血色素量 11.5")


def test_single_row_explanation_matches_the_table():
    frame = checkups({"sex": 1, "fbg": 130, "hba1c": 6.7, "tg_random": 520})
    flags = referral(frame, RULES)
    one = referral_reason(frame.iloc[0].to_dict(), flags.iloc[0].to_dict(), RULES)
    assert one == referral_reasons(frame, flags, RULES).iloc[0]
    assert one.split("; ")[:3] == [
        "随時中性脂肪 520 ≥ 500mg/dL → ①すぐに受診 [R6プログラム p.130]",
        "空腹時血糖 130 ≥ 126mg/dL → ①すぐに受診 [R6プログラム p.165]",
        "HbA1c 6.7 ≥ 6.5% → ①すぐに受診 [R6プログラム p.165]",
    ]


def test_reasons_report_progress():
    frame = checkups(*({"sex": 1, "sbp": 120 + i} for i in range(3)))
    calls = []
    referral_reasons(frame, referral(frame, RULES), RULES, progress=lambda f, m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == 1.0


def test_many_rows_vectorised():
    rng = np.random.default_rng(4)
    sexes, values = rng.integers(1, 3, 500), rng.integers(100, 200, 500)
    frame = checkups(*({"sex": int(s), "sbp": float(v)} for s, v in zip(sexes, values)))
    result = referral(frame, RULES)
    sbp = frame["sbp"].to_numpy()
    expected = np.where(sbp >= 160, "①すぐに受診", np.where(sbp >= 140, "②受診勧奨", "none"))
    assert (result["tier"].astype(object).fillna("none").to_numpy() == expected).all()
    assert (result["referral_count"].to_numpy() == (sbp >= 140)).all()
