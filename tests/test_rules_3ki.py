"""第3期 (FY2018–2023) 階層化: the rule set chosen by 年度, and what differs from 第4期 (随時中性脂肪)."""

from __future__ import annotations

import pandas as pd
import pytest

from dhdesk.cli import main
from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules import RuleSetError, load_ruleset, referral_rules, stratification_rules
from dhdesk.core.rules.judgement import judge
from dhdesk.core.rules.stratify import stratify
from dhdesk.io.office_files import write_canonical_csv
from typed_rows import HEALTHY_MAN, checkups

THIRD = load_ruleset("tokutei_3ki")
FOURTH = load_ruleset("tokutei_4ki")
FY2023 = HEALTHY_MAN | {"exam_date": "2023-06-01"}
"""The healthy 49-year-old man (年度末年齢 49 on 2024-03-31) examined in FY2023."""
OBESE = {"waist": 90.0}
"""ステップ1 (1) 腹囲: one risk → 動機付け支援, none → 情報提供."""


def row(**changes) -> pd.Series:
    return stratify(checkups(FY2023 | changes), 2023, THIRD).iloc[0]


@pytest.mark.parametrize(("year", "rule_id"), [(2018, "tokutei_3ki"), (2023, "tokutei_3ki"), (2024, "tokutei_4ki"),
                                               (2029, "tokutei_4ki")])
def test_the_rule_set_is_chosen_by_fiscal_year(year, rule_id):
    assert stratification_rules(year).id == rule_id


@pytest.mark.parametrize("year", [2017, 2030])
def test_years_no_rule_set_covers_are_refused_naming_the_years_covered(year):
    with pytest.raises(RuleSetError, match=f"{year}年度に使える階層化の基準がありません（収録は2018〜2029年度）"):
        stratification_rules(year)


def test_referral_values_of_the_fourth_period_are_used_for_earlier_years():
    assert referral_rules(2023).id == "jushin_kankoku" and not referral_rules(2023).covers(2023)


def test_the_third_period_differs_from_the_fourth_only_in_random_triglycerides():
    assert [t.id for t in THIRD.thresholds] == [t.id for t in FOURTH.thresholds]
    differing = {t.id: (t.value, FOURTH.threshold(t.id).value) for t in THIRD.thresholds
                 if t.value != FOURTH.threshold(t.id).value}
    assert differing == {"hokenshido.risk.lipid.tg_random": (150.0, 175.0)}
    assert (THIRD.first_fiscal_year, THIRD.last_fiscal_year, THIRD.short_title) == (2018, 2023, "第3期")


def test_every_third_period_threshold_cites_a_source_of_its_own_file():
    for t in THIRD.thresholds:
        assert THIRD.source(t.source).url.startswith("http")
    assert THIRD.threshold("hokenshido.risk.lipid.tg_random").source == "wg_current"


@pytest.mark.parametrize(("tg_random", "third", "fourth"), [
    (149.0, "情報提供", "情報提供"), (150.0, "動機付け支援", "情報提供"), (151.0, "動機付け支援", "情報提供"),
    (174.0, "動機付け支援", "情報提供"), (175.0, "動機付け支援", "動機付け支援"),
])
def test_random_triglycerides_count_from_150_in_the_third_period_and_175_in_the_fourth(tg_random, third, fourth):
    changes = OBESE | {"tg_fasting": None, "tg_random": tg_random}
    assert row(**changes)["level"] == third
    fy2024 = checkups(HEALTHY_MAN | changes)
    assert stratify(fy2024, 2024, FOURTH).iloc[0]["level"] == fourth


@pytest.mark.parametrize(("tg_fasting", "risk"), [(149.0, False), (150.0, True), (151.0, True)])
def test_a_fasting_value_decides_before_a_random_one(tg_fasting, risk):
    assert row(**OBESE, tg_fasting=tg_fasting, tg_random=400.0 if not risk else 100.0)["risk_lipid"] == risk


@pytest.mark.parametrize(("changes", "risk"), [
    ({"fbg": 99.0, "hba1c": 6.0}, False),
    ({"fbg": 100.0, "hba1c": 5.0}, True),
    ({"fbg": None, "hba1c": 5.5, "rbg": 140.0}, False),
    ({"fbg": None, "hba1c": 5.6}, True),
    ({"fbg": None, "hba1c": None, "rbg": 99.0}, False),
    ({"fbg": None, "hba1c": None, "rbg": 100.0}, True),
])
def test_glucose_fasting_first_then_hba1c_then_random(changes, risk):
    assert row(**OBESE, **changes)["risk_glucose"] == risk


@pytest.mark.parametrize(("smoking", "sbp", "level"), [
    (1, 118.0, "情報提供"),      # 喫煙 alone is not counted
    (1, 130.0, "積極的支援"),    # 血圧 + 喫煙 = 2 risks with 腹囲
    (2, 130.0, "動機付け支援"),  # 第3期 2 = いいえ
])
def test_smoking_counts_only_as_yes_and_only_with_another_risk(smoking, sbp, level):
    assert row(**OBESE, smoking=smoking, sbp=sbp)["level"] == level


@pytest.mark.parametrize(("birth", "exam", "age", "level"), [
    ("1984-10-01", "2023-06-01", 39, "対象外"),
    ("1983-10-01", "2023-06-01", 40, "積極的支援"),
    ("1959-10-01", "2023-06-01", 64, "積極的支援"),
    ("1958-10-01", "2023-06-01", 65, "動機付け支援"),
    ("1949-10-01", "2023-06-01", 74, "動機付け支援"),
    ("1948-10-01", "2023-06-01", 75, "動機付け支援"),  # examined before the 75th birthday
    ("1948-10-01", "2023-11-01", 75, "対象外"),
])
def test_ages_on_31_march_2024_and_the_65_rule(birth, exam, age, level):
    judged = row(**OBESE, birth_date=birth, exam_date=exam, sbp=130.0, hdl=39.0)
    assert (judged["fy_end_age"], judged["level"]) == (age, level)


def test_the_explanation_cites_the_third_period():
    frame = checkups(FY2023 | OBESE | {"tg_fasting": None, "tg_random": 160.0})
    judged = judge(frame, 2023, THIRD, referral_rules(2023)).iloc[0]
    assert "随時中性脂肪 160 ≥ 150" in judged["reason"]
    assert "[第3期 " in judged["reason"] and "第4期WG資料 現行(第3期)の選定基準" in judged["reason"]


def test_cli_stratifies_fy2023_with_the_third_period(tmp_path, capsys):
    source, out = tmp_path / "健診2023.csv", tmp_path / "結果.csv"
    blank = dict.fromkeys(CHECKUPS.names)  # every column present: the writer needs the whole layout
    frame = checkups(blank | FY2023 | OBESE | {"tg_fasting": None, "tg_random": 160.0}, blank | FY2023)
    write_canonical_csv(frame, CHECKUPS, source, encoding="cp932")
    assert main(["stratify", str(source), "--fiscal-year", "2023", "-o", str(out)]) == 0
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert table["保健指導レベル"].tolist() == ["動機付け支援", "情報提供"]
    assert "第3期" in table.loc[0, "理由"]
