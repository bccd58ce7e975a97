"""Rule sets: the shipped 第4期 file, validation messages, office overrides and their differences."""

from __future__ import annotations

import numpy as np
import pytest

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules import Comparison, Confidence, RuleSet, RuleSetError, load_ruleset

RULES = load_ruleset()

MINIMAL = """
id = "test"
version = "1"
title = "テスト"
short_title = "テスト"
first_fiscal_year = 2024
last_fiscal_year = 2029

[sources.doc]
document = "文書"
short = "文書 p.1"
url = "https://example.org/doc"

[[thresholds]]
id = "hokenshido.risk.bp.sbp"
label = "収縮期血圧"
item = "sbp"
comparison = "ge"
value = 130
unit = "mmHg"
source = "doc"
confidence = "OK"
"""


def test_shipped_rule_set_is_the_4th_term():
    assert (RULES.id, RULES.short_title, RULES.first_fiscal_year, RULES.last_fiscal_year) == (
        "tokutei_4ki", "第4期", 2024, 2029,
    )
    assert RULES.diff() == ()
    assert RULES.overrides == {}


@pytest.mark.parametrize(
    ("rule_id", "comparison", "value", "sex"),
    [
        ("hokenshido.step1.waist.male", Comparison.GE, 85, 1),
        ("hokenshido.step1.waist.female", Comparison.GE, 90, 2),
        ("hokenshido.step1.bmi", Comparison.GE, 25, None),
        ("hokenshido.risk.bp.sbp", Comparison.GE, 130, None),
        ("hokenshido.risk.bp.dbp", Comparison.GE, 85, None),
        ("hokenshido.risk.lipid.tg_fasting", Comparison.GE, 150, None),
        ("hokenshido.risk.lipid.tg_random", Comparison.GE, 175, None),
        ("hokenshido.risk.lipid.hdl", Comparison.LT, 40, None),
        ("hokenshido.risk.glucose.fbg", Comparison.GE, 100, None),
        ("hokenshido.risk.glucose.hba1c", Comparison.GE, 5.6, None),
        ("hokenshido.risk.glucose.rbg", Comparison.GE, 100, None),
        ("hokenshido.risk.smoking", Comparison.EQ, 1, None),
        ("hokenshido.age.lower", Comparison.GE, 40, None),
        ("hokenshido.age.upper", Comparison.LT, 75, None),
        ("hokenshido.age.senior", Comparison.GE, 65, None),
        ("hokenshido.step3.waist.active", Comparison.GE, 2, None),
        ("hokenshido.step3.bmi.active", Comparison.GE, 3, None),
        ("metabo.risk.glucose.fbg", Comparison.GE, 110, None),
        ("metabo.risk.glucose.hba1c", Comparison.GE, 6.0, None),
        ("metabo.risk.lipid.tg_random", Comparison.GE, 150, None),
        ("metabo.level.criteria", Comparison.GE, 2, None),
    ],
)
def test_official_values(rule_id, comparison, value, sex):
    t = RULES.threshold(rule_id)
    assert (t.comparison, t.value, t.official, t.sex) == (comparison, value, value, sex)


def test_every_threshold_is_cited_and_in_checkup_units():
    keys = {s.key for s in RULES.sources}
    for t in RULES.thresholds:
        assert t.source in keys
        assert RULES.source(t.source).url.startswith("http")
        assert isinstance(t.confidence, Confidence)
        if t.item in CHECKUPS.names:
            assert t.unit == CHECKUPS.field(t.item).unit, t.id


def test_holds_on_numbers_and_arrays_never_on_nan():
    sbp = RULES.threshold("hokenshido.risk.bp.sbp")
    hdl = RULES.threshold("hokenshido.risk.lipid.hdl")
    assert (sbp.holds(129.0), sbp.holds(130.0), sbp.holds(131.0)) == (False, True, True)
    assert (hdl.holds(39.0), hdl.holds(40.0)) == (True, False)
    assert sbp.holds(np.array([129.0, 130.0, np.nan])).tolist() == [False, True, False]


def test_cutoff_text():
    assert RULES.threshold("hokenshido.step1.waist.male").cutoff() == "85cm(男性)"
    assert RULES.threshold("hokenshido.risk.bp.sbp").cutoff(unit=False) == "130"
    assert RULES.threshold("metabo.risk.glucose.hba1c").cutoff() == "6.0%"
    assert Comparison.LT.label == "未満"


@pytest.mark.parametrize(("year", "covered"), [(2023, False), (2024, True), (2029, True), (2030, False)])
def test_covers(year, covered):
    assert RULES.covers(year) is covered


def test_overrides_make_a_new_rule_set_and_show_differences():
    office = RULES.with_overrides({"hokenshido.risk.bp.sbp": 135, "hokenshido.step1.waist.female": 85})
    assert office.threshold("hokenshido.risk.bp.sbp").value == 135.0
    assert RULES.threshold("hokenshido.risk.bp.sbp").value == 130.0
    assert office.overrides == {"hokenshido.step1.waist.female": 85.0, "hokenshido.risk.bp.sbp": 135.0}
    assert [d.describe() for d in office.diff()] == [
        "腹囲(女性) [hokenshido.step1.waist.female]: 公式 90cm以上 → 事務所設定 85cm以上",
        "収縮期血圧 [hokenshido.risk.bp.sbp]: 公式 130mmHg以上 → 事務所設定 135mmHg以上",
    ]


def test_override_back_to_the_official_value_is_no_difference():
    office = RULES.with_overrides({"hokenshido.risk.bp.sbp": 135})
    assert office.with_overrides({"hokenshido.risk.bp.sbp": 130}).diff() == ()


def test_unknown_override_id_names_close_matches():
    with pytest.raises(RuleSetError, match="不明なルールID 'hokenshido.risk.bp.sb' .*hokenshido.risk.bp.sbp"):
        RULES.with_overrides({"hokenshido.risk.bp.sb": 135})


@pytest.mark.parametrize(
    ("rule_id", "value", "message"),
    [
        ("hokenshido.risk.bp.sbp", "135", "数値で指定"),
        ("hokenshido.risk.bp.sbp", True, "数値で指定"),
        ("hokenshido.risk.bp.sbp", float("nan"), "数値で指定"),
        ("hokenshido.age.senior", 64.5, "整数で指定"),
        ("hokenshido.risk.smoking", 1.5, "整数で指定"),
    ],
)
def test_override_values_are_checked(rule_id, value, message):
    with pytest.raises(RuleSetError, match=message):
        RULES.with_overrides({rule_id: value})


def test_all_override_problems_are_reported_at_once():
    with pytest.raises(RuleSetError) as caught:
        RULES.with_overrides({"x.y": 1, "hokenshido.age.senior": 64.5})
    assert "x.y" in str(caught.value) and "整数" in str(caught.value)


def test_unknown_rule_set():
    with pytest.raises(RuleSetError, match="ルールセット 'tokutei_9ki' はありません.*tokutei_4ki"):
        load_ruleset("tokutei_9ki")


def test_unknown_threshold_lookup():
    with pytest.raises(RuleSetError, match="不明なルールID"):
        RULES.threshold("hokenshido.nothing")


def test_minimal_file_parses():
    rules = RuleSet.from_toml(MINIMAL)
    assert rules.threshold("hokenshido.risk.bp.sbp").value == 130.0
    assert rules.source("doc").short == "文書 p.1"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('item = "sbp"', 'item = "blood"', "項目 'blood' は健診結果の項目にありません"),
        ('unit = "mmHg"', 'unit = "kPa"', "単位 'kPa' が健診項目 sbp の単位 'mmHg' と違います"),
        ('comparison = "ge"', 'comparison = ">="', "comparison は ge"),
        ('confidence = "OK"', 'confidence = "sure"', "confidence は OK / 2nd / NC"),
        ('source = "doc"', 'source = "nowhere"', "出典 'nowhere' が \\[sources\\] にありません"),
        ("value = 130", 'value = "130"', "数値で指定"),
        ('id = "hokenshido.risk.bp.sbp"', 'id = "Bad Id"', "id は英小文字"),
        ('confidence = "OK"', 'confidence = "OK"\ncolour = "red"', "不明な項目 'colour'"),
        ("first_fiscal_year = 2024", "first_fiscal_year = 2030", "first_fiscal_year が last_fiscal_year より後"),
    ],
)
def test_invalid_files_are_explained(old, new, message):
    with pytest.raises(RuleSetError, match=message):
        RuleSet.from_toml(MINIMAL.replace(old, new, 1))


def test_duplicate_ids_and_broken_toml():
    threshold = MINIMAL[MINIMAL.index("[[thresholds]]"):]
    with pytest.raises(RuleSetError, match="id が重複"):
        RuleSet.from_toml(MINIMAL + threshold)
    with pytest.raises(RuleSetError, match="ルールファイルを読めません"):
        RuleSet.from_toml("id = ")
    with pytest.raises(RuleSetError, match="必須の項目 'thresholds'"):
        RuleSet.from_toml(MINIMAL[: MINIMAL.index("[[thresholds]]")])
