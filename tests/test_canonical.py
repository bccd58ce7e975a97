"""Canonical files → typed frames: the convention's dtypes, every problem as an Issue, never an exception."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhdesk.core.fields import CHECKUPS, LAYOUTS, MEMBERS, pandas_dtype
from dhdesk.core.issues import Severity, has_errors
from dhdesk.core.progress import Cancelled
from dhdesk.io.canonical import SOURCE_ROW, empty_frame, read_canonical, template_frame, write_canonical_template
from dhdesk.io.columns import auto_map
from dhdesk.io.values import MISSING_MARKERS

CONTRACT = """\
加入者番号,性別,生年月日,健診日,身長,体重,BMI,腹囲,収縮期血圧,拡張期血圧,空腹時中性脂肪,随時中性脂肪,HDLコレステロール,LDLコレステロール,空腹時血糖,随時血糖,HbA1c,服薬_血圧,服薬_血糖,服薬_脂質,喫煙
00012345,男,1975-04-01,2024-05-20,170.2,68.5,23.6,85.5,128,82,120,,55,128,98,,5.6,はい,いいえ,いいえ,3
00012346,2,S50.1.1,R6.5.21,155,50,,＊,110,70,,95,60,100,,110,,2,1,,はい
"""


def write(tmp_path, text, name="checkups.csv", encoding="utf-8-sig"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_the_contract_checkup_csv_reads_into_the_typed_convention(tmp_path):
    frame, issues = read_canonical(write(tmp_path, CONTRACT, encoding="cp932"), CHECKUPS)
    assert issues == []
    assert list(frame.columns) == [*CHECKUPS.names, SOURCE_ROW]
    for field in CHECKUPS.fields:
        assert str(frame[field.name].dtype) == pandas_dtype(field), field.name
    assert frame["member_id"].tolist() == ["00012345", "00012346"]
    assert frame["sex"].tolist() == [1, 2]
    assert frame["birth_date"].tolist() == [pd.Timestamp("1975-04-01"), pd.Timestamp("1975-01-01")]
    assert frame["exam_date"].tolist() == [pd.Timestamp("2024-05-20"), pd.Timestamp("2024-05-21")]
    assert frame["waist"].iloc[0] == 85.5 and np.isnan(frame["waist"].iloc[1])
    assert frame["med_bp"].tolist() == [1, 2]
    assert frame["med_lipid"].isna().tolist() == [False, True]
    assert frame["smoking"].tolist() == [3, 1]
    assert frame["hdl"].tolist() == [55.0, 60.0]
    assert frame[SOURCE_ROW].tolist() == [2, 3]
    assert frame["clinic"].isna().all() and frame["urine_protein"].isna().all()


def test_every_problem_is_an_issue_with_file_row_column_and_value(tmp_path):
    text = "令和6年度 健診結果一覧\n\n加入者番号,性別,生年月日,腹囲（cm）,備考\n00012,男,S50.1.1,85.5センチ,x\n,女,平成31年5月1日,＊,\n"
    frame, issues = read_canonical(write(tmp_path, text), CHECKUPS)
    described = [i.describe() for i in issues]
    assert described == [
        "[警告] checkups.csv 「備考」: 列「備考」は使いません（対応する項目がありません）",
        "[エラー] checkups.csv 「健診日」: 必須の列「健診日」がありません",
        "[エラー] checkups.csv 4行目 「腹囲（cm）」: 腹囲「85.5センチ」を数値として読めません",
        "[エラー] checkups.csv 5行目 「加入者番号」: 必須項目「加入者番号」が空欄です",
        "[エラー] checkups.csv 5行目 「生年月日」: 生年月日「平成31年5月1日」は平成の終わり（平成31年4月30日）より後です",
    ]
    assert has_errors(issues)
    assert len(frame) == 2 and frame[SOURCE_ROW].tolist() == [4, 5]
    assert frame["exam_date"].isna().all()
    assert frame["birth_date"].tolist()[0] == pd.Timestamp("1975-01-01")


def test_a_missing_required_column_is_one_issue_not_one_per_row(tmp_path):
    rows = "加入者番号,性別,生年月日\n" + "".join(f"{i:05d},男,1970-01-01\n" for i in range(50))
    _, issues = read_canonical(write(tmp_path, rows), CHECKUPS)
    assert [(i.code, i.column) for i in issues] == [("missing_column", "健診日")]


def test_a_substitute_character_in_printed_text_is_a_warning(tmp_path):
    text = "加入者番号,氏名,カナ氏名,性別,生年月日,本人家族,資格取得日\n001,〓田 花子,ヨシダ ハナコ,女,1980-01-01,本人,2000-04-01\n"
    frame, issues = read_canonical(write(tmp_path, text, "roster.csv"), MEMBERS)
    assert frame["name"].tolist() == ["〓田 花子"]
    assert [(i.row, i.column, i.severity) for i in issues] == [(2, "氏名", Severity.WARNING)]
    assert "〓" in issues[0].message and not has_errors(issues)


def test_an_unreadable_file_gives_an_empty_typed_frame_and_one_error(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\x81\x20\x82\x0a")
    frame, issues = read_canonical(path, CHECKUPS)
    assert frame.empty and list(frame.columns) == [*CHECKUPS.names, SOURCE_ROW]
    assert frame.dtypes.equals(empty_frame(CHECKUPS).dtypes)
    assert [(i.source, i.code) for i in issues] == [("broken.csv", "unreadable_file")]


def test_a_given_mapping_is_used_as_is(tmp_path):
    text = "ID,性別,生年月日,受診日,ウエスト\n7,男,1970-01-01,2024-05-01,80\n"
    path = write(tmp_path, text)
    mapping = auto_map(["ID", "性別", "生年月日", "受診日", "ウエスト"], CHECKUPS).assign("ID", "member_id")
    frame, issues = read_canonical(path, CHECKUPS, mapping=mapping)
    assert issues == []
    assert frame[["member_id", "waist"]].iloc[0].tolist() == ["7", 80.0]
    with pytest.raises(ValueError):
        read_canonical(path, MEMBERS, mapping=mapping)


def test_progress_runs_from_zero_to_one_and_cancel_propagates(tmp_path):
    path = write(tmp_path, CONTRACT)
    seen = []
    read_canonical(path, CHECKUPS, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)

    def cancel(fraction, message):
        if fraction > 0.6:
            raise Cancelled

    with pytest.raises(Cancelled):
        read_canonical(path, CHECKUPS, progress=cancel)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=lambda layout: layout.key)
def test_templates_read_back_without_issues(tmp_path, layout, suffix):
    path = tmp_path / f"{layout.key}{suffix}"
    write_canonical_template(layout, path)
    frame, issues = read_canonical(path, layout)
    assert issues == []
    assert len(frame) == 1
    assert all(frame[f.name].notna().iloc[0] for f in layout.fields if f.required)
    assert list(template_frame(layout).columns) == layout.labels


def test_template_rejects_other_formats(tmp_path):
    with pytest.raises(ValueError):
        write_canonical_template(CHECKUPS, tmp_path / "t.ods")


HEADERS = ["加入者番号", "性別", "生年月日", "健診日", "腹囲", "服薬_血圧", "尿蛋白", "採血時間"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(sorted(MISSING_MARKERS)),
                                   st.sampled_from(["85.5cm", "令和6年4月1日", "R6.13.1", "男", "はい", "(+)", "45383"])),
                         min_size=len(HEADERS), max_size=len(HEADERS)), max_size=8))
def test_arbitrary_cells_give_issues_never_an_exception(tmp_path, table):
    path = tmp_path / "arbitrary.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([HEADERS, *table])
    frame, issues = read_canonical(path, CHECKUPS)
    for field in CHECKUPS.fields:
        assert str(frame[field.name].dtype) == pandas_dtype(field)
    if any(i.code == "unreadable_file" for i in issues):
        assert frame.empty and any("\x00" in text for cells in table for text in cells)
        return
    flagged = {(i.row, i.column) for i in issues}
    rows_read = set(frame[SOURCE_ROW])
    for row, cells in enumerate(table, start=2):
        if row not in rows_read:
            assert all(text == "" for text in cells), "a row with text was lost"
            continue
        record = frame[frame[SOURCE_ROW] == row].iloc[0]
        for header, text in zip(HEADERS, cells, strict=True):
            name = auto_map([header], CHECKUPS).assigned[header]
            blank = text.strip() in MISSING_MARKERS
            if pd.isna(record[name]) and not blank:
                assert (row, header) in flagged, (header, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_issues_never_an_exception(tmp_path, data):
    path = tmp_path / "bytes.csv"
    path.write_bytes(data)
    frame, issues = read_canonical(path, CHECKUPS)
    assert list(frame.columns) == [*CHECKUPS.names, SOURCE_ROW]
    assert frame.empty or issues
