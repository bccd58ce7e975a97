"""理由: the values, cut-offs, outcome and source behind each 階層化 and メタボ判定."""

from __future__ import annotations

import pandas as pd
import pytest

from dhdesk.core.rules import load_ruleset
from dhdesk.core.rules.explain import explain_row, reasons
from dhdesk.core.rules.metabo import metabo
from dhdesk.core.rules.stratify import stratify
from typed_rows import HEALTHY_MAN, checkups

RULES = load_ruleset()
FY = 2024

BASE = HEALTHY_MAN


def reason(rules=RULES, **changes) -> str:
    frame = checkups(BASE | changes)
    return reasons(frame, stratify(frame, FY, rules), metabo(frame, rules), rules).iloc[0]


def guidance(**changes) -> str:
    return reason(**changes).split(" ／ ")[0]


def metabolic(**changes) -> str:
    return reason(**changes).split(" ／ ")[1]


def test_the_full_chain_for_an_older_man_with_three_risks():
    text = guidance(
        birth_date="1957-05-01", waist=92.0, sbp=135.0, tg_fasting=120.0, hdl=55.0, fbg=None, hba1c=5.8, smoking=1
    )
    assert text.startswith(
        "保健指導: 腹囲 92.0cm ≥ 85cm(男性) → ステップ1 腹囲; 血圧 収縮期 135 ≥ 130; "
        "脂質 該当なし(空腹時中性脂肪 120 < 150, HDL 55 ≥ 40); 血糖 HbA1c 5.8 ≥ 5.6; "
        "喫煙 はい(他のリスクあり) → リスク3 → 積極的支援; 年度末年齢 67歳 ≥ 65 → 動機付け支援"
    )
    assert text.endswith("[第4期 R6プログラム p.47; 告示第8号; 標準的な質問票; 実施基準 第7条; 65歳以上の特例(共済組合資料)]")


def test_values_are_shown_as_rounded_for_the_comparison():
    assert "収縮期 130 ≥ 130" in guidance(waist=90.0, sbp=129.5)
    assert "HbA1c 5.6 ≥ 5.6" in guidance(waist=90.0, fbg=None, hba1c=5.55)


def test_step1_bmi_and_neither():
    assert "腹囲 80.0cm < 85cm(男性), BMI 26.0 ≥ 25 → ステップ1 BMI" in guidance(bmi=26.0)
    assert guidance().startswith("保健指導: 腹囲 80.0cm < 85cm(男性), BMI 22.0 < 25 → ステップ1 該当なし → 情報提供")
    assert "BMI 25.0 ≥ 25(体重/身長²)" in guidance(bmi=None, height=160.0, weight=64.0)


def test_female_cut_off():
    assert "腹囲 89.9cm < 90cm(女性)" in guidance(sex=2, waist=89.9)


def test_fasting_glucose_precedence_is_said():
    assert "血糖 該当なし(空腹時血糖 95 < 100(HbA1c 6.5 は空腹時血糖を優先して不使用))" in guidance(
        waist=90.0, fbg=95.0, hba1c=6.5
    )


def test_random_values_say_why_they_were_used():
    assert "随時中性脂肪 180 ≥ 175(空腹時の値なし)" in guidance(waist=90.0, tg_fasting=None, tg_random=180.0)
    assert "随時血糖 120 ≥ 100(空腹時血糖・HbA1cなし)" in guidance(waist=90.0, fbg=None, hba1c=None, rbg=120.0)


def test_smoking_wording():
    assert "喫煙 はい(他のリスクなしのため数えない) → リスク0 → 情報提供" in guidance(waist=90.0, smoking=1)
    assert "喫煙 なし" in guidance(waist=90.0, smoking=2)
    assert "喫煙 未回答" in guidance(waist=90.0, smoking=None)


def test_medication():
    text = guidance(waist=90.0, sbp=150.0, med_bp=1, med_lipid=1)
    assert text.startswith("保健指導: 服薬中(血圧・脂質) → 情報提供(特定保健指導の対象外)")
    assert "[第4期 実施基準 第4条]" in text


def test_undetermined_names_the_items_that_matter():
    text = guidance(waist=None, sbp=140.0, smoking=None)
    assert "腹囲 未測定" in text
    assert "→ 判定不能(未測定のため判定不能: 腹囲, 喫煙)" in text


def test_missing_items_that_do_not_matter_are_listed_as_such():
    text = guidance(waist=90.0, sbp=140.0, hdl=35.0, smoking=None, med_lipid=None)
    assert "喫煙 未回答 → リスク数 未確定 → 積極的支援; 服薬 未回答(脂質)" in text
    assert "→ 判定不能(未測定のため判定不能: 服薬_脂質)" in text
    settled = guidance(waist=80.0, smoking=None)
    assert "→ 情報提供; 未測定(判定に影響なし): 喫煙" in settled


def test_level_stated_when_enumeration_settles_an_uncertain_count():
    text = guidance(waist=90.0, sbp=140.0, hdl=35.0, dbp=None)
    assert "血圧 収縮期 140 ≥ 130" in text
    assert "→ リスク2 → 積極的支援; 未測定(判定に影響なし): 拡張期血圧" in text


def test_out_of_scope_and_undated():
    assert guidance(birth_date="1990-01-01") == "保健指導: 年度末年齢 35歳 < 40 → 対象外 [第4期 実施基準 第1条]"
    assert guidance(birth_date="1948-01-01").startswith("保健指導: 年度末年齢 77歳 ≥ 75 → 対象外")
    assert guidance(exam_date="2024-03-15").startswith(
        "保健指導: 健診日が年度外(2024-03-15; 2024年度 = 2024-04-01〜2025-03-31) → 対象外"
    )
    assert guidance(exam_date=None) == "保健指導: 健診日なし → 判定不能"
    assert guidance(birth_date=None) == "保健指導: 生年月日なし → 判定不能"


def test_turning_75():
    before = guidance(birth_date="1949-12-10", exam_date="2024-10-01")
    after = guidance(birth_date="1949-12-10", exam_date="2025-01-10")
    assert before.startswith("保健指導: 年度末年齢 75歳, 75歳の誕生日より前の健診(生年月日 1949-12-10, 健診日 2024-10-01) → 対象; ")
    assert after.startswith("保健指導: 年度末年齢 75歳, 75歳の誕生日以後の健診(生年月日 1949-12-10, 健診日 2025-01-10) → 対象外")


def test_office_override_is_visible():
    office = RULES.with_overrides({"hokenshido.risk.bp.sbp": 135})
    assert "血圧 該当なし(収縮期 132 < 135(事務所設定; 公式 130)" in reason(office, waist=90.0, sbp=132.0)


def test_metabo_wording():
    assert metabolic() == "メタボ: 腹囲 80.0cm < 85cm(男性) → 非該当 [第4期 メタボ判定基準(東大保健センター)]"
    text = metabolic(waist=92.0, fbg=105.0, tg_fasting=160.0, med_bp=1)
    assert text.startswith(
        "メタボ: 腹囲 92.0cm ≥ 85cm(男性); 血糖 該当なし(空腹時血糖 105 < 110); 脂質 空腹時中性脂肪 160 ≥ 150; "
        "血圧 服薬_血圧 はい(服薬中) → 2項目 → 基準該当"
    )
    assert "HbA1c 6.1 ≥ 6.0(血糖の測定なし)" in metabolic(waist=92.0, fbg=None, hba1c=6.1)


def test_metabo_undetermined_and_settled_without_waist():
    assert "→ 判定不能(未測定のため判定不能: 腹囲)" in metabolic(waist=None, sbp=140.0)
    assert "→ 0項目 → 非該当; 未測定(判定に影響なし): 腹囲" in metabolic(waist=None)


def test_explain_row_matches_reasons_for_the_same_person():
    frame = checkups(BASE, BASE | {"waist": 95.0, "sbp": 150.0, "smoking": 1})
    strat, met = stratify(frame, FY, RULES), metabo(frame, RULES)
    texts = reasons(frame, strat, met, RULES)
    assert explain_row(frame.iloc[1], strat.iloc[1], met.iloc[1], RULES) == texts.iloc[1]
    assert explain_row(frame.iloc[0].to_dict(), strat.iloc[0].to_dict(), None, RULES) == texts.iloc[0].split(" ／ ")[0]


def test_reasons_keep_the_index_and_report_progress():
    frame = checkups(BASE, BASE)
    frame.index = [7, 9]
    seen = []
    texts = reasons(frame, stratify(frame, FY, RULES), None, RULES, progress=lambda f, m: seen.append(f))
    assert list(texts.index) == [7, 9]
    assert texts.str.startswith("保健指導: ").all()
    assert seen[0] == 0.0 and seen[-1] == 1.0


@pytest.mark.parametrize("changes", [{}, {"waist": 90.0, "sbp": 140.0}, {"waist": None}, {"exam_date": None}])
def test_every_text_cites_or_says_why_not(changes):
    text = guidance(**changes)
    assert "[第4期 " in text or text.endswith("判定不能")


def test_waist_without_sex_is_compared_with_both_cut_offs():
    assert "腹囲 92.0cm ≥ 85cm(男性), ≥ 90cm(女性)(性別なし) → ステップ1 腹囲" in guidance(sex=None, waist=92.0)
    assert "腹囲 87.0cm ≥ 85cm(男性), < 90cm(女性)(性別なしのため不明)" in guidance(sex=None, waist=87.0)


def test_explain_row_on_rows_taken_from_the_frames():
    frame = checkups(BASE | {"exam_date": "2023-06-01"})
    strat, met = stratify(frame, FY, RULES), metabo(frame, RULES)
    text = explain_row(frame.iloc[0], strat.iloc[0], met.iloc[0], RULES)
    assert text.startswith("保健指導: 健診日が年度外(2023-06-01; 2024年度 = 2024-04-01〜2025-03-31) → 対象外")
