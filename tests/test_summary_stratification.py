"""Content of the 階層化 summary: counts, shares, bands, reasons and notes, checked on tiny frames."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.rules import load_ruleset
from dhdesk.core.rules.judgement import judge
from dhdesk.core.summaries import count_text, percent_text
from dhdesk.core.summaries.stratification import (
    StratificationSummary,
    build_stratification_summary,
    undetermined_cause,
)

DTYPES = {"member_id": "string", "relation": "Int8", "sex": "Int8", "fy_end_age": "Int64",
          "level": "string", "metabo": "string", "reason": "string"}


def frame(csv: str) -> pd.DataFrame:
    """A stratification result frame from CSV text (blank cells are NA)."""
    raw = pd.read_csv(io.StringIO(csv.strip()), dtype=str, skipinitialspace=True, keep_default_na=False)
    return raw.replace("", pd.NA).astype(DTYPES)


def summarise(data: pd.DataFrame, **kwargs) -> StratificationSummary:
    args = dict(union_name="テスト共済組合", fiscal_year=2025, rule_label="第4期 tokutei_4ki v1",
                generated_on=date(2026, 11, 22))
    return build_stratification_summary(data, **(args | kwargs))


def table(summary: StratificationSummary, caption: str):
    return next(t for s in summary.sections for t in s.tables if t.caption == caption)


def rows_by_label(t) -> dict[str, tuple[str, ...]]:
    return {row[0]: row[1:] for row in t.rows}


SMALL = """
member_id,relation,sex,fy_end_age,level,metabo,reason
A1,1,1,45,積極的支援,基準該当,腹囲 90 ≥ 85
A2,1,1,52,動機付け支援,予備群該当,
A3,1,2,61,情報提供,非該当,
A4,1,2,66,判定不能,判定不能,未測定のため判定不能: 腹囲
A5,1,1,38,対象外,非該当,年齢が対象外
B1,2,2,44,動機付け支援,予備群該当,
B2,2,2,70,情報提供,非該当,
B3,2,1,75,判定不能,判定不能,血圧 135 ≥ 130; 未測定のため判定不能: HbA1c、空腹時血糖
"""


def test_level_counts_and_shares_exclude_out_of_scope_from_the_denominator():
    levels = table(summarise(frame(SMALL)), "保健指導レベル別の人数と割合")
    assert levels.header == ("保健指導レベル", "人数", "割合(%)", "人数", "割合(%)", "人数", "割合(%)")
    assert levels.header_groups == (("", 1), ("組合員", 2), ("被扶養者", 2), ("合計", 2))
    by = rows_by_label(levels)
    assert by["積極的支援"] == ("1", "25.0", "0", "0.0", "1", "14.3")
    assert by["動機付け支援"] == ("1", "25.0", "1", "33.3", "2", "28.6")
    assert by["判定不能"] == ("1", "25.0", "1", "33.3", "2", "28.6")
    assert by["計（階層化の対象）"] == ("4", "100.0", "3", "100.0", "7", "100.0")
    assert by["特定保健指導対象者（再掲）"] == ("2", "50.0", "1", "33.3", "3", "42.9")
    assert by["対象外（年齢・健診日）"] == ("1", "—", "0", "—", "1", "—")


def test_metabo_is_counted_over_the_rows_in_scope_only():
    metabo = rows_by_label(table(summarise(frame(SMALL)), "メタボリックシンドローム判定別の人数と割合"))
    assert metabo["非該当"] == ("1", "25.0", "1", "33.3", "2", "28.6")  # A5 (対象外, 非該当) left out
    assert metabo["計"] == ("4", "100.0", "3", "100.0", "7", "100.0")
    assert metabo["基準該当＋予備群該当（再掲）"] == ("2", "50.0", "1", "33.3", "3", "42.9")


def test_age_bands_are_five_years_per_sex_with_unknown_age_last():
    data = frame("""
member_id,relation,sex,fy_end_age,level,metabo,reason
M1,1,1,40,積極的支援,基準該当,
M2,1,1,44,動機付け支援,予備群該当,
M3,1,1,45,情報提供,非該当,
M4,1,1,64,積極的支援,基準該当,
M5,1,1,65,動機付け支援,基準該当,
M6,1,1,75,情報提供,非該当,
M7,1,1,,判定不能,判定不能,生年月日なし
M8,1,1,39,対象外,非該当,
F1,2,2,74,判定不能,判定不能,
""")
    summary = summarise(data)
    men = table(summary, "男性（年度末年齢）")
    assert men.header == ("年齢階層", "積極的支援", "動機付け支援", "情報提供", "判定不能", "計", "対象者率(%)")
    assert [row[0] for row in men.rows] == ["40〜44歳", "45〜49歳", "60〜64歳", "65〜69歳", "75〜79歳", "年齢不明", "計"]
    by = rows_by_label(men)
    assert by["40〜44歳"] == ("1", "1", "0", "0", "2", "100.0")
    assert by["45〜49歳"] == ("0", "0", "1", "0", "1", "0.0")
    assert by["年齢不明"] == ("0", "0", "0", "1", "1", "0.0")
    assert by["計"] == ("2", "2", "2", "1", "7", "57.1")  # M8 (39, 対象外) is not in scope
    women = rows_by_label(table(summary, "女性（年度末年齢）"))
    assert women == {"70〜74歳": ("0", "0", "0", "1", "1", "0.0"), "計": ("0", "0", "0", "1", "1", "0.0")}


GUIDANCE = "保健指導: 腹囲 未測定, BMI 24.8 < 25 → ステップ1 未確定; 血圧 収縮期 {sbp} ≥ 130 → リスク数 未確定"
CITED = " [第4期 R6プログラム p.47] ／ メタボ: 腹囲 未測定 → 判定不能(未測定のため判定不能: 腹囲) [第4期 メタボ]"


def test_undetermined_causes_are_read_from_the_guidance_part_of_the_reason():
    reasons = pd.Series([
        GUIDANCE.format(sbp=135) + " → 判定不能(未測定のため判定不能: 腹囲, 中性脂肪(空腹時・随時))" + CITED,
        "保健指導: 生年月日なし → 判定不能 ／ メタボ: 腹囲 78.8cm < 85cm(男性) → 非該当 [第4期 メタボ]",
        "保健指導: 服薬 未回答(脂質) → 判定不能(未測定のため判定不能: 服薬_脂質)",
        "手入力の理由",
        pd.NA,
    ], dtype="string")
    assert undetermined_cause(reasons).tolist() == [
        "未測定・未回答: 腹囲, 中性脂肪(空腹時・随時)", "生年月日なし", "未測定・未回答: 服薬_脂質", "手入力の理由", "理由の記載なし",
    ]


def test_undetermined_reasons_are_ranked_with_the_items_counted_one_by_one():
    lines = ["member_id,relation,sex,fy_end_age,level,metabo,reason"]
    lines += [f'W{i},1,1,50,判定不能,判定不能,"{GUIDANCE.format(sbp=130 + i)} → 判定不能(未測定のため判定不能: 腹囲){CITED}"'
              for i in range(3)]
    lines += ['G1,1,1,50,判定不能,判定不能,"保健指導: … → 判定不能(未測定のため判定不能: 腹囲, HbA1c)"',
              "B1,1,1,,判定不能,非該当,保健指導: 生年月日なし → 判定不能",
              "I1,1,1,50,情報提供,判定不能,保健指導: … → 情報提供 ／ メタボ: 判定不能(未測定のため判定不能: 腹囲)"]
    section = summarise(frame("\n".join(lines))).sections[-1]
    reasons, items = section.tables
    assert reasons.caption == "判定不能となった理由" and reasons.header == ("理由", "人数", "割合(%)")
    assert reasons.rows == (
        ("未測定・未回答: 腹囲", "3", "60.0"),
        ("未測定・未回答: 腹囲, HbA1c", "1", "20.0"),
        ("生年月日なし", "1", "20.0"),
        ("計", "5", "100.0"),
    )
    assert items.rows == (("腹囲", "4", "80.0"), ("HbA1c", "1", "20.0"))


def test_the_summary_reads_the_reasons_the_rules_write():
    checkups = pd.DataFrame({
        "member_id": pd.array(["1", "2", "3"], dtype="string"),
        "sex": pd.array([1, 2, 1], dtype="Int8"),
        "birth_date": pd.to_datetime(["1970-05-01", "1965-01-10", None]),
        "exam_date": pd.to_datetime(["2025-06-01", "2025-07-01", "2025-06-01"]),
        "waist": [float("nan"), 95.0, 90.0],
        "bmi": [24.0, 27.0, 26.0],
        "sbp": [140.0, 120.0, 120.0],
        "dbp": [80.0, 70.0, 70.0],
        "tg_fasting": [100.0, 100.0, 100.0],
        "hdl": [60.0, 60.0, 60.0],
        "fbg": [90.0, 90.0, 90.0],
        "med_bp": pd.array([2, 2, 2], dtype="Int8"),
        "med_glucose": pd.array([2, 2, 2], dtype="Int8"),
        "med_lipid": pd.array([2, 2, 2], dtype="Int8"),
        "smoking": pd.array([3, 3, 3], dtype="Int8"),
    })
    judged = judge(checkups, 2025, load_ruleset("tokutei_4ki"), load_ruleset("jushin_kankoku"))
    data = judged[["fy_end_age", "level", "metabo", "reason"]].assign(
        member_id=checkups["member_id"], relation=pd.array([1, 2, 1], dtype="Int8"), sex=checkups["sex"],
        level=judged["level"].astype("string"), metabo=judged["metabo"].astype("string"),
    )
    reasons = summarise(data).sections[-1].tables[0]
    assert judged["level"].tolist() == ["判定不能", "情報提供", "判定不能"]
    assert {row[0] for row in reasons.rows} == {"未測定・未回答: 腹囲", "生年月日なし", "計"}


def test_reasons_beyond_the_top_ten_are_summed_as_other():
    lines = ["member_id,relation,sex,fy_end_age,level,metabo,reason"]
    lines += [f"R{i}-{k},1,1,50,判定不能,判定不能,保健指導: → 判定不能(未測定のため判定不能: 項目{i})"
              for i in range(12) for k in range(12 - i)]
    reasons = table(summarise(frame("\n".join(lines))), "判定不能となった理由")
    assert len(reasons.rows) == 12
    assert reasons.rows[0] == ("未測定・未回答: 項目0", "12", "15.4")
    assert reasons.rows[-2] == ("その他（2種類）", "3", "3.8")
    assert reasons.rows[-1] == ("計", "78", "100.0")


def test_no_undetermined_rows_gives_a_sentence_instead_of_a_table():
    data = frame(SMALL)
    data = data[data["level"] != "判定不能"]
    section = summarise(data).sections[-1]
    assert section.heading == "4. 判定不能の理由（上位）"
    assert section.tables == () and section.paragraphs == ("判定不能の人はいません。",)


def test_title_block_and_notes_cite_the_rule_set_and_the_age_basis():
    summary = summarise(frame(SMALL), sources=("標準的な健診・保健指導プログラム（令和6年度版） p.47",))
    assert summary.title == "特定保健指導 階層化結果の概要"
    assert summary.union_name == "テスト共済組合"
    assert summary.fiscal_year_label == "令和7年度（2025年度）"
    assert summary.generated_label == "作成日 令和8年11月22日"
    assert summary.notes[0] == "判定基準: 第4期 tokutei_4ki v1"
    assert summary.notes[1] == "出典: 標準的な健診・保健指導プログラム（令和6年度版） p.47"
    assert any("令和8年3月31日時点" in note for note in summary.notes)
    assert [s.heading for s in summary.sections] == [
        "1. 保健指導レベル", "2. メタボリックシンドローム判定", "3. 年齢階層・性別の保健指導レベル", "4. 判定不能の理由（上位）",
    ]


def test_health_insurance_societies_say_hihokensha():
    levels = table(summarise(frame(SMALL), insured_label="被保険者"), "保健指導レベル別の人数と割合")
    assert levels.header_groups[1] == ("被保険者", 2)


def test_rows_without_relation_or_sex_are_counted_in_the_total_and_noted():
    data = frame("""
member_id,relation,sex,fy_end_age,level,metabo,reason
X1,,,50,積極的支援,基準該当,
X2,1,1,50,情報提供,非該当,
""")
    summary = summarise(data)
    by = rows_by_label(table(summary, "保健指導レベル別の人数と割合"))
    assert by["計（階層化の対象）"] == ("1", "100.0", "0", "—", "2", "100.0")
    assert "本人・家族の区分が不明な1人は合計にのみ含めています。" in summary.notes
    assert "性別が不明な1人は年齢階層・性別の表に含めていません。" in summary.notes


def test_an_empty_frame_gives_zeros_not_errors():
    summary = summarise(frame(SMALL).iloc[0:0])
    by = rows_by_label(table(summary, "保健指導レベル別の人数と割合"))
    assert by["計（階層化の対象）"] == ("0", "—", "0", "—", "0", "—")
    assert table(summary, "男性（年度末年齢）").rows == (("計", "0", "0", "0", "0", "0", "—"),)


def test_unknown_levels_and_missing_columns_are_refused():
    bad = frame(SMALL)
    bad.loc[0, "level"] = "特定保健指導"
    with pytest.raises(ValueError, match="level"):
        summarise(bad)
    with pytest.raises(ValueError, match="reason"):
        summarise(frame(SMALL).drop(columns="reason"))


@pytest.mark.parametrize(("part", "whole", "text"), [
    (1, 8, "12.5"), (1, 16, "6.3"), (1, 3, "33.3"), (2, 3, "66.7"), (0, 5, "0.0"), (5, 5, "100.0"), (1, 0, "—"),
])
def test_percent_is_rounded_half_up_to_one_decimal(part, whole, text):
    assert percent_text(part, whole) == text


def test_counts_have_thousands_separators():
    assert count_text(0) == "0"
    assert count_text(1234567) == "1,234,567"
