"""Cell text → typed values per kind, and back to canonical text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.fields import CHECKUPS, DRUG_MASTER, LAYOUTS, MEMBERS, RECEIPTS, pandas_dtype
from dhdesk.io.values import blank_column, convert, format_column


def cells(*texts):
    return pd.Series(list(texts), dtype="string")


def read(layout, name, *texts):
    converted = convert(cells(*texts), layout.field(name))
    return converted.values.tolist(), dict(converted.errors)


def test_numbers_with_units_full_width_digits_and_flags():
    values, errors = read(CHECKUPS, "waist", "85.5", "85.5cm", "８５．５", "85.5 ㎝", " 85 ", "1,234", "156H", "L 3.2",
                          "85.5kg", "85.5センチ", "85,5")
    assert values[:8] == [85.5, 85.5, 85.5, 85.5, 85.0, 1234.0, 156.0, 3.2]
    assert all(np.isnan(v) for v in values[8:])
    assert errors == {8: "「85.5kg」を数値として読めません", 9: "「85.5センチ」を数値として読めません",
                      10: "「85,5」を数値として読めません"}


def test_units_are_those_of_the_field():
    assert read(CHECKUPS, "hdl", "120 mg/dL", "120mg/dl")[0] == [120.0, 120.0]
    assert read(CHECKUPS, "ast", "25U/L", "25 IU/L")[0] == [25.0, 25.0]
    assert read(CHECKUPS, "rbc", "480万/μL", "480 万/mm3")[0] == [480.0, 480.0]
    assert read(CHECKUPS, "egfr", "78.5 mL/min/1.73m2")[0] == [78.5]
    assert read(CHECKUPS, "hba1c", "5.6%", "５．６％")[0] == [5.6, 5.6]
    assert read(CHECKUPS, "sbp", "120 mmHg")[0] == [120.0]
    assert read(CHECKUPS, "hdl", "120 %")[1] == {0: "「120 %」を数値として読めません"}


@pytest.mark.parametrize("marker", ["", " ", "＊", "*", "未実施", "未測定", "－", "-", "ー", "欠測", "―", "−"])
def test_missing_markers_read_as_not_measured(marker):
    values, errors = read(CHECKUPS, "waist", marker)
    assert np.isnan(values[0]) and errors == {}


def test_blank_cells_are_missing_for_every_kind():
    for layout in LAYOUTS.values():
        for field in layout.fields:
            converted = convert(cells(None, ""), field)
            assert converted.values.isna().all(), field.name
            assert str(converted.values.dtype) == pandas_dtype(field), field.name
            assert converted.errors.empty


@pytest.mark.parametrize(
    ("text", "code"),
    [("−", "1"), ("-", "1"), ("－", "1"), ("(−)", "1"), ("陰性", "1"), ("±", "2"), ("(±)", "2"), ("+-", "2"),
     ("+", "3"), ("＋", "3"), ("(+)", "3"), ("1+", "3"), ("++", "4"), ("2+", "4"), ("２＋", "4"), ("(2+)", "4"),
     ("+++", "5"), ("3+", "5"), ("4+", "5"), ("1", "1"), ("5", "5")],
)
def test_urine_signs_read_as_codes(text, code):
    assert read(CHECKUPS, "urine_protein", text) == ([code], {})


def test_urine_missing_and_bad_values():
    values, errors = read(CHECKUPS, "urine_glucose", "＊", "未実施", "6", "x")
    assert values[:2] == [pd.NA, pd.NA]
    assert set(errors) == {2, 3} and "選択肢にありません" in errors[3]


def test_sex_spellings():
    values, errors = read(CHECKUPS, "sex", "1", "2", "男", "女", "男性", "女性", "M", "f", "１", "1.0", "3", "不明")
    assert values[:10] == [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]
    assert set(errors) == {10, 11} and "男/女" in errors[10]


def test_yes_no_answers():
    values, errors = read(CHECKUPS, "med_bp", "はい", "いいえ", "1", "2", "１", "有", "無", "あり", "なし", "○", "×",
                          "1:はい", "3", "たぶん")
    assert values[:12] == [1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1]
    assert set(errors) == {12, 13}
    assert errors[12] == "「3」は選択肢にありません（1 はい / 2 いいえ）"


def test_multi_choice_labels_codes_and_variants():
    assert read(CHECKUPS, "smoking", "はい", "以前は吸っていたが最近1か月間は吸っていない", "以前吸っていた", "いいえ", "3")[0] \
        == [1, 2, 2, 3, 3]
    values, errors = read(CHECKUPS, "drinking_freq", "飲まない（飲めない）", "飲まない(飲めない)", "飲まない", "週5〜6日",
                          "週5～6日", "8", "9")
    assert values[:6] == [8, 8, 8, 2, 2, 8]
    assert set(errors) == {6}
    assert read(CHECKUPS, "blood_timing", "空腹時", "随時", "食直後", "2", "4")[0] == [2, 3, 4, 2, 4]
    assert read(MEMBERS, "relation", "本人", "家族", "被扶養者", "配偶者", "1")[0] == [1, 2, 2, 2, 1]
    assert read(RECEIPTS, "claim_type", "医科入院外", "調剤", "5")[0] == [2, 5, 5]


def test_dates_in_any_spelling_and_their_errors():
    values, errors = read(CHECKUPS, "exam_date", "2024-04-01", "令和6年4月1日", "R6.4.1", "45383", "20240401",
                          "平成31年5月1日", "1867-12-31", "1868-01-01", "x")
    assert values[:5] == [pd.Timestamp("2024-04-01")] * 5
    assert values[7] == pd.Timestamp("1868-01-01")
    assert errors == {5: "「平成31年5月1日」は平成の終わり（平成31年4月30日）より後です",
                      6: "「1867-12-31」は日付として範囲外です（1868年〜2199年）", 8: "「x」を日付として読めません"}


def test_integers_refuse_fractions():
    values, errors = read(RECEIPTS, "points", "850", "1,234", "１２", "12.0", "12.5")
    assert values[:4] == [850, 1234, 12, 12]
    assert errors == {4: "「12.5」は整数ではありません"}


def test_numbers_beyond_exact_float_integers_are_errors():
    largest = 2**53
    values, errors = read(RECEIPTS, "points", str(largest - 1), str(largest), "9" * 400)
    assert values[0] == largest - 1
    assert errors == {1: f"「{largest}」は数値として大きすぎます", 2: f"「{'9' * 400}」は数値として大きすぎます"}


def test_text_is_kept_as_written_except_surrounding_spaces():
    values, _ = read(MEMBERS, "name", "\u3000髙﨑\u3000㈱① 𠮷田 ", "ﾔﾏﾀﾞ", "00123")
    assert values == ["髙﨑\u3000㈱① 𠮷田", "ﾔﾏﾀﾞ", "00123"]
    assert read(MEMBERS, "member_id", "00012345", " 000 ")[0] == ["00012345", "000"]


def test_codes_without_a_list_are_width_normalised():
    assert read(MEMBERS, "shikaku_kubun", "１", "3.0", "3")[0] == ["1", "3", "3"]
    assert read(DRUG_MASTER, "generic_info", "☆", "★", "2")[0] == ["☆", "★", "2"]


def test_conversion_keeps_the_row_labels():
    series = pd.Series(["85", "x"], index=[7, 9], dtype="string")
    converted = convert(series, CHECKUPS.field("waist"))
    assert converted.values.index.tolist() == [7, 9]
    assert converted.errors.index.tolist() == [9]


def test_format_column_is_the_inverse_of_convert():
    for layout in LAYOUTS.values():
        index = pd.RangeIndex(2)
        for field in layout.fields:
            assert format_column(blank_column(field, index), field).tolist() == ["", ""], field.name
    checks = {
        "exam_date": ["2024-04-01", "2019-05-01"], "waist": ["85.5", "170"], "sex": ["男", "女"],
        "med_bp": ["はい", "いいえ"], "blood_timing": ["空腹時", "食直後"], "urine_protein": ["1", "5"],
        "member_id": ["00012", "00013"],
    }
    for name, texts in checks.items():
        field = CHECKUPS.field(name)
        typed = convert(cells(*texts), field).values
        assert format_column(typed, field).tolist() == texts, name


def test_a_large_column_converts_through_its_distinct_values_quickly():
    import time

    column = pd.Series(np.random.default_rng(0).normal(85, 10, 200_000).round(1).astype(str), dtype="string")
    start = time.perf_counter()
    converted = convert(column, CHECKUPS.field("waist"))
    assert time.perf_counter() - start < 2.0
    assert converted.values.dtype == "float64" and converted.errors.empty
