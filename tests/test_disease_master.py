"""The 支払基金 傷病名マスター reader: layout by position, ICD-10 spelled as diagnoses spell it, refusals."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhdesk.io.detect import detect_kind
from dhdesk.io.disease_master import looks_like_disease_master, normalise_icd10, read_disease_master


def b_row(code: str, name: str, icd10: str = "", icd10_2: str = "", abolished: str = "99999999",
          master_type: str = "B", fields: int = 46) -> str:
    """One row as 支払基金 publishes it: 46 quoted items; 3 code, 6 基本名称, 16/17 ICD-10 (2013), 24 廃止年月日."""
    items = [""] * fields
    items[0], items[1], items[2], items[3] = "0", master_type, code, ""
    items[4], items[5], items[7], items[9] = str(len(name)), name, name, "カナ"
    if fields > 23:
        items[15], items[16], items[21], items[23] = icd10, icd10_2, "20020601", abolished
    return ",".join(f'"{item}"' for item in items)


def write_b(path, *rows: str):
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))
    return path


def test_columns_are_taken_by_their_published_position(tmp_path):
    path = write_b(tmp_path / "b_ALL20240601.csv",
                   b_row("8833421", "高血圧症", "I10"),
                   b_row("8830900", "２型糖尿病性腎症", "E112", "N083"),
                   b_row("8830038", "２型双極性障害", "F318", abolished="20191231"))
    frame, issues = read_disease_master(path)
    assert issues == []
    assert frame["disease_code"].tolist() == ["8833421", "8830900", "8830038"]
    assert frame["disease_name"].tolist() == ["高血圧症", "２型糖尿病性腎症", "２型双極性障害"]
    assert frame["icd10"].tolist() == ["I10", "E11.2", "F31.8"]
    assert frame["icd10_2"].isna().tolist() == [True, False, True] and frame.at[1, "icd10_2"] == "N08.3"
    assert frame["abolished_date"].tolist()[:2] == [pd.NaT, pd.NaT]
    assert frame.at[2, "abolished_date"] == pd.Timestamp("2019-12-31")
    assert frame["source_row"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(("given", "expected"), [
    ("E119", "E11.9"), ("I10", "I10"), (" e11 ", "E11"), ("C349", "C34.9"), ("", None), ("E1", None),
])
def test_icd10_is_dotted_after_the_third_character(given, expected):
    result = normalise_icd10(pd.Series([given], dtype="string"))[0]
    assert (result is pd.NA and expected is None) or result == expected


def test_another_master_is_refused_with_one_clear_message(tmp_path):
    path = write_b(tmp_path / "y_ALL20240601.csv", b_row("620000001", "薬", master_type="Y"))
    frame, issues = read_disease_master(path)
    assert frame.empty
    assert [i.code for i in issues] == ["disease_master.not_b_master"]
    assert "傷病名マスター" in issues[0].message and "「Y」" in issues[0].message


def test_malformed_rows_are_issues_with_row_column_and_text(tmp_path):
    path = write_b(tmp_path / "b_ALL.csv",
                   b_row("8833421", "高血圧症", "I10"),
                   b_row("88334", "短いコード", "I10"),
                   b_row("8830900", "糖尿病", "E11-9"),
                   b_row("8830901", "", "E14"),
                   b_row("8830902", "短い行", fields=10),
                   b_row("8830903", "廃止日不正", "K29", abolished="2019/12/31"),
                   b_row("8833421", "重複", "I10"))
    frame, issues = read_disease_master(path)
    found = {(i.row, i.column, i.value) for i in issues}
    assert found == {
        (2, "傷病名コード", "88334"), (3, "ICD-10-1（2013）", "E11-9"), (4, "傷病名基本名称", ""),
        (6, "廃止年月日", "2019/12/31"), (7, "傷病名コード", "8833421"), (5, None, None),
    }
    assert "項目が 10 個" in next(i.message for i in issues if i.row == 5)
    assert frame["source_row"].tolist() == [1, 2, 3, 4, 6, 7]  # every long-enough row, for "valid rows only"


def test_a_file_that_is_not_cp932_text_is_unreadable(tmp_path):
    path = tmp_path / "b_ALL.csv"
    path.write_bytes(b"\x81\x00\xff\xfe")
    frame, issues = read_disease_master(path)
    assert frame.empty and [i.code for i in issues] == ["unreadable_file"]


def test_the_headerless_b_file_is_detected_by_its_first_line(tmp_path):
    b_file = write_b(tmp_path / "b_ALL20240601.csv", b_row("8833421", "高血圧症", "I10"))
    y_file = write_b(tmp_path / "y_ALL20240601.csv", b_row("8833421", "薬", master_type="Y"))
    assert looks_like_disease_master(b_file) and detect_kind(b_file) == "diseases"
    assert not looks_like_disease_master(y_file) and detect_kind(y_file) != "diseases"


field_text = st.text(alphabet=st.sampled_from(list("0123456789ABEIZ.-/ 高血圧症\"")), max_size=9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(field_text, field_text, field_text, field_text, st.integers(1, 46)), max_size=6))
def test_any_malformed_master_gives_issues_never_a_crash(tmp_path, rows):
    cut = [",".join(b_row(code, name, icd10, "", abolished).split(",")[:fields])
           for code, name, icd10, abolished, fields in rows]  # a row cut short after `fields` items
    path = write_b(tmp_path / "b_ALL.csv", b_row("8833421", "高血圧症", "I10"), *cut)
    frame, issues = read_disease_master(path)
    assert all(issue.row is not None and issue.message for issue in issues)
    good = frame.loc[frame["disease_code"].str.fullmatch(r"\d{7}").fillna(False)
                     & ~frame["disease_code"].duplicated(keep="first")]
    bad_rows = {issue.row for issue in issues}
    assert set(frame["source_row"]) - bad_rows <= set(good["source_row"])
    assert frame["icd10"].dropna().str.fullmatch(r"[A-Z]\d{2}(\.[0-9A-Z]{1,2})?").all()
