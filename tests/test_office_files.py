"""Office-style files: what each sender writes, and the round trip back through auto_map to the same frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from dhdesk.core.fields import (
    CHECKUPS, DIAGNOSES, DRUG_LINES, DRUG_MASTER, MEMBERS, PROCEDURES, RECEIPTS, Kind, Layout, pandas_dtype,
)
from dhdesk.core.issues import Severity
from dhdesk.io.canonical import SOURCE_ROW, read_canonical
from dhdesk.io.columns import auto_map
from dhdesk.io.detect import detect_kind
from dhdesk.io.disease_master import read_disease_master
from dhdesk.io.drug_master import VERSION_DATE, read_drug_master
from dhdesk.io.office_files import (
    CLAIM_FILES,
    CLINIC_A_HEADERS,
    CLINIC_B_HEADERS,
    ROSTER_HEADERS,
    write_canonical_csv,
    write_claims_csv,
    write_clinic_a_xlsx,
    write_clinic_b_csv,
    write_clinic_files,
    write_disease_master,
    write_drug_lists,
    write_roster_csv,
)
from dhdesk.io.tabular import read_table
from dhdesk.io.values import QUALITATIVE_FIELDS


def typed(layout: Layout, rows: int, seed: int = 0) -> pd.DataFrame:
    """A random frame in the typed convention; optional fields have gaps, required ones none."""
    rng = np.random.default_rng(seed)
    gaps = rng.random((len(layout.fields), rows)) < 0.15
    columns = {}
    for position, field in enumerate(layout.fields):
        gap = gaps[position] & (not field.required)
        if field.kind is Kind.TEXT:
            values = [f"{i:08d}" if field.name.endswith("_id") else f"{field.label}{i}" for i in rng.permutation(rows)]
            column = pd.Series(values, dtype="string")
        elif field.kind is Kind.DATE:
            start = np.datetime64("1935-01-01") if field.name == "birth_date" else np.datetime64("2023-04-01")
            column = pd.Series(start + rng.integers(0, 3 * 365, rows).astype("timedelta64[D]")).astype("datetime64[ns]")
        elif field.kind is Kind.NUMBER:
            column = pd.Series(rng.normal(100, 40, rows).round(field.decimals))
        elif field.kind is Kind.INTEGER:
            column = pd.Series(rng.integers(0, 5000, rows))
        elif field.kind is Kind.SEX:
            column = pd.Series(rng.integers(1, 3, rows))
        elif field.choices:
            column = pd.Series(rng.choice([c.code for c in field.choices], rows))
        else:
            top = 6 if field.name in QUALITATIVE_FIELDS else 5
            column = pd.Series(rng.integers(1, top, rows).astype(str), dtype="string")
        column = column.astype(pandas_dtype(field))
        columns[field.name] = column.mask(pd.Series(gap)) if gap.any() else column
    return pd.DataFrame(columns)


def assert_same(expected: pd.DataFrame, frame: pd.DataFrame, layout: Layout) -> None:
    for field in layout.fields:
        pd.testing.assert_series_equal(frame[field.name], expected[field.name], check_names=False, obj=field.name)


@pytest.fixture(scope="module")
def checkups():
    return typed(CHECKUPS, 300, seed=1)


def test_clinic_a_excel_round_trips(tmp_path, checkups):
    path = tmp_path / "clinic_a.xlsx"
    write_clinic_a_xlsx(checkups, path)
    raw = read_table(path, layout=CHECKUPS)
    assert raw.header_row == 4 and raw.row_numbers[0] == 5
    assert raw.headers == tuple(CLINIC_A_HEADERS.values())
    assert "＊" in set(raw.data["腹囲(cm)"]) and {"はい", "いいえ"} <= set(raw.data["服薬1(血圧)"].dropna())
    frame, issues = read_canonical(path, CHECKUPS)
    assert issues == []
    assert_same(checkups, frame, CHECKUPS)
    assert frame[SOURCE_ROW].tolist() == list(range(5, 5 + len(checkups)))


def test_clinic_a_title_names_the_fiscal_year(tmp_path, checkups):
    path = tmp_path / "clinic_a.xlsx"
    write_clinic_a_xlsx(checkups.head(1).assign(exam_date=pd.Timestamp("2024-05-01")), path)
    first = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(nrows=2)
    assert first[0][0] == "令和6年度 特定健康診査 結果一覧"
    assert first[1][0] == "みなと健診センター　出力件数 1件"


def test_clinic_b_csv_is_cp932_with_its_own_conventions(tmp_path, checkups):
    path = tmp_path / "clinic_b.csv"
    assert write_clinic_b_csv(checkups, path) == []
    text = path.read_bytes().decode("cp932")
    header, first = text.split("\r\n")[:2]
    assert header.split(",")[:4] == ["受診者番号", "健診年月日", "性別", "生年月日"]
    cells = dict(zip(header.split(","), first.split(","), strict=True))
    assert cells["健診年月日"].startswith("令和") and cells["性別"] in ("男", "女")
    raw = read_table(path, layout=CHECKUPS)
    assert raw.data["身長"].str.contains("[０-９]").any() and (raw.data["体重"] == "未実施").any()
    assert set(raw.data["質問1"].dropna()) <= {"1", "2"}
    frame, issues = read_canonical(path, CHECKUPS)
    assert issues == []
    assert_same(checkups, frame, CHECKUPS)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_canonical_csv_round_trips(tmp_path, checkups, encoding):
    path = tmp_path / "checkups.csv"
    assert write_canonical_csv(checkups, CHECKUPS, path, encoding=encoding) == []
    frame, issues = read_canonical(path, CHECKUPS)
    assert issues == []
    assert_same(checkups, frame, CHECKUPS)


def test_roster_round_trips_and_reports_names_cp932_cannot_hold(tmp_path):
    members = typed(MEMBERS, 200, seed=2)
    members.loc[3, "name"] = "𠮷田 花子"
    members.loc[4, "name"] = "髙﨑 一郎"
    path = tmp_path / "roster.csv"
    written = write_roster_csv(members, path)
    assert [(i.row, i.column, i.code, i.severity) for i in written] == [(5, "氏名", "substitute_char", Severity.WARNING)]
    assert "𠮷" in written[0].message
    text = path.read_bytes().decode("cp932")
    assert text.startswith(",".join(ROSTER_HEADERS.values()) + "\r\n")
    assert "〓田 花子" in text and "髙﨑 一郎" in text
    frame, issues = read_canonical(path, MEMBERS)
    assert [(i.row, i.column, i.code) for i in issues] == [(5, "氏名", "substitute_char")]
    expected = members.copy()
    expected.loc[3, "name"] = "〓田 花子"
    assert_same(expected, frame, MEMBERS)


def test_roster_dates_look_like_a_membership_system(tmp_path):
    members = typed(MEMBERS, 1, seed=3).assign(birth_date=pd.Timestamp("1975-01-01"),
                                              acquired_date=pd.Timestamp("2019-05-01"), no_mail=1)
    path = tmp_path / "roster.csv"
    write_roster_csv(members, path)
    row = dict(zip(*[line.split(",") for line in path.read_bytes().decode("cp932").splitlines()[:2]], strict=True))
    assert row["生年月日"] == "S50.01.01" and row["資格取得年月日"] == "20190501" and row["通知不要"] == "○"


def test_claims_files_round_trip(tmp_path):
    frames = {"receipts": typed(RECEIPTS, 120, 4), "diagnoses": typed(DIAGNOSES, 150, 5),
              "drug_lines": typed(DRUG_LINES, 200, 6), "procedures": typed(PROCEDURES, 90, 7)}
    assert write_claims_csv(**frames, folder=tmp_path / "claims") == []
    for key, (layout, name) in CLAIM_FILES.items():
        path = tmp_path / "claims" / name
        path.read_bytes().decode("cp932")
        frame, issues = read_canonical(path, layout)
        assert issues == [], key
        assert_same(frames[key], frame, layout)


@pytest.mark.parametrize(("headers", "layout"), [(CLINIC_A_HEADERS, CHECKUPS), (CLINIC_B_HEADERS, CHECKUPS),
                                                 (ROSTER_HEADERS, MEMBERS)])
def test_every_office_header_is_resolved_by_auto_map(headers, layout):
    mapping = auto_map(headers.values(), layout)
    assert mapping.assigned == {header: name for name, header in headers.items()}
    assert mapping.unmapped == ()


def test_clinic_files_are_one_per_clinic_and_fiscal_year(tmp_path, checkups):
    frame = checkups.assign(
        clinic=pd.Series(["みなと健診センター", "東海ヘルスケア協会"] * 150, dtype="string"),
        exam_date=pd.Series([pd.Timestamp("2024-03-31"), pd.Timestamp("2024-04-01")] * 150).iloc[
            np.random.default_rng(0).permutation(300)].reset_index(drop=True).astype("datetime64[ns]"))
    paths, issues = write_clinic_files(frame, tmp_path)
    assert issues == []
    assert [p.name for p in paths] == ["みなと健診センター_令和5年度.xlsx", "みなと健診センター_令和6年度.xlsx",
                                       "東海ヘルスケア協会_令和5年度.csv", "東海ヘルスケア協会_令和6年度.csv"]
    read = pd.concat([read_canonical(p, CHECKUPS)[0] for p in paths], ignore_index=True)
    assert len(read) == 300
    key = ["member_id"]
    assert_same(frame.sort_values(key, ignore_index=True), read.sort_values(key, ignore_index=True), CHECKUPS)


def test_drug_lists_read_back_as_the_same_master(tmp_path):
    master = typed(DRUG_MASTER, 80, seed=8)
    master["receipt_code"] = pd.Series(pd.NA, index=master.index, dtype="string")  # only the 支払基金 master has it
    master["generic_info"] = pd.Series(np.resize(["1", "2", "☆", "3", "★", pd.NA], 80), dtype="string")
    master[VERSION_DATE] = pd.Series(np.resize([pd.Timestamp("2024-04-01"), pd.Timestamp("2025-07-16")], 80))
    paths = write_drug_lists(master, tmp_path)
    assert [p.name for p in paths] == ["mhlw_yakka_list_20240401.csv", "mhlw_yakka_list_20250716.csv"]
    header = paths[0].read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("区分,薬価基準収載医薬品コード,成分名,規格,日本薬局方")
    for path, version in zip(paths, ["2024-04-01", "2025-07-16"], strict=True):
        frame, issues = read_drug_master(path)
        assert issues == []
        expected = master[master[VERSION_DATE] == pd.Timestamp(version)].reset_index(drop=True)
        assert_same(expected, frame, DRUG_MASTER)
        assert (frame[VERSION_DATE] == pd.Timestamp(version)).all()


def test_disease_master_is_a_b_all_file_the_reader_reads_back(tmp_path):
    diseases = pd.DataFrame({
        "disease_code": pd.array(["8833421", "", pd.NA, "2500013", "8833421", "4659007"], dtype="string"),
        "disease_name": pd.array(["高血圧症", "2型糖尿病", "脂質異常症", "糖尿病", "高血圧症", "𠮷性上気道炎"],
                                 dtype="string"),
        "icd10": pd.array(["I10", "E11.9", "E78.5", "E14.9", "I10", "J06.9"], dtype="string"),
    })
    path = write_disease_master(diseases, tmp_path / "傷病名マスター" / "b_ALL_demo.csv")
    lines = path.read_bytes().decode("cp932").split("\r\n")
    assert lines[-1] == "" and len(lines) == 4  # one row per code, none for the uncoded
    items = lines[1].split(",")
    assert len(items) == 46 and all(item.startswith('"') and item.endswith('"') for item in items)
    assert [items[i] for i in (1, 2, 4, 5, 15, 23)] == ['"B"', '"2500013"', '"3"', '"糖尿病"', '"E149"', '"99999999"']
    assert detect_kind(path) == "diseases"
    frame, issues = read_disease_master(path)
    assert issues == []
    assert frame["disease_code"].tolist() == ["8833421", "2500013", "4659007"]
    assert frame["icd10"].tolist() == ["I10", "E14.9", "J06.9"]
    assert frame["disease_name"].tolist() == ["高血圧症", "糖尿病", "〓性上気道炎"]  # cp932 lacks 𠮷
    assert frame["abolished_date"].isna().all()


def test_canonical_csv_of_a_frame_without_some_columns_leaves_them_blank(tmp_path):
    frame = pd.DataFrame({"member_id": pd.Series(["00000001"], dtype="string"),
                          "exam_date": pd.to_datetime(["2025-06-01"])})
    path = tmp_path / "checkups.csv"
    assert write_canonical_csv(frame, CHECKUPS, path) == []
    read, issues = read_canonical(path, CHECKUPS)
    assert read.loc[0, "member_id"] == "00000001" and pd.isna(read.loc[0, "waist"])
