"""The MHLW drug lists as published (reference-data/drug-master) into the DRUG_MASTER frame."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from dhdesk.core.fields import DRUG_MASTER, pandas_dtype
from dhdesk.core.issues import Severity
from dhdesk.io.drug_master import VERSION_DATE, read_drug_master, version_from_name


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
PRICES_2025 = REFERENCE / "drug-master" / "mhlw_yakka_list_20250716.csv"
PRICES_2024 = REFERENCE / "drug-master" / "mhlw_yakka_list_20240401.csv"
GENERIC_2025 = REFERENCE / "drug-master" / "mhlw_generic_info_20250716.csv"
SSK_DRUGS = REFERENCE / "uke" / "ssk_master_excerpt_2022_y_ALL00000000.csv"

pytestmark = pytest.mark.skipif(not PRICES_2025.exists(), reason="shared reference data not available")


@pytest.fixture(scope="module")
def master_2025():
    return read_drug_master(PRICES_2025, GENERIC_2025, receipt_codes=SSK_DRUGS)


def test_the_2025_lists_join_without_issues(master_2025):
    frame, issues = master_2025
    assert issues == []
    assert len(frame) == 12434 and frame["yj_code"].is_unique
    for field in DRUG_MASTER.fields:
        assert str(frame[field.name].dtype) == pandas_dtype(field), field.name
    assert (frame[VERSION_DATE] == pd.Timestamp("2025-07-16")).all()
    assert set(frame["generic_info"].dropna()) == {"1", "2", "☆", "3", "★"}
    assert set(frame["category"]) == {"内用薬", "注射薬", "外用薬", "歯科用薬剤"}


def test_a_brand_with_generics_reads_as_published(master_2025):
    frame, _ = master_2025
    gaster = frame.set_index("yj_code").loc["2325003B2029"]
    assert gaster["product_name"] == "ガスター散２％" and gaster["ingredient"] == "ファモチジン"
    assert gaster["strength"] == "２％１ｇ" and gaster["maker"] == "ＬＴＬファーマ"
    assert gaster["price"] == 15.1 and gaster["generic_info"] == "2"
    assert gaster["receipt_code"] == "610406079"
    assert gaster["source_row"] == 3095


def test_transition_deadlines_read_as_dates(master_2025):
    frame, _ = master_2025
    assert set(frame["transition_until"].dropna()) == {pd.Timestamp("2026-03-31"), pd.Timestamp("2025-09-30")}
    assert frame["transition_until"].notna().sum() == 310


def test_lists_of_different_dates_warn_about_codes_only_one_knows():
    frame, issues = read_drug_master(PRICES_2024, GENERIC_2025)
    assert len(frame) == 12917
    assert [(i.code, i.severity) for i in issues] == [("generic_info_missing", Severity.WARNING),
                                                      ("generic_info_unknown_code", Severity.WARNING)]
    assert "1012品目" in issues[0].message and "529品目" in issues[1].message
    assert (frame[VERSION_DATE] == pd.Timestamp("2024-04-01")).all()
    assert frame.loc[frame["yj_code"] == "2325003B2029", "price"].item() == 16.5


def test_the_excel_form_reads_like_the_csv(tmp_path):
    published = pd.read_csv(PRICES_2025, dtype=str, keep_default_na=False).head(300)
    path = tmp_path / "tp20250716-01_01.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("内用薬")
        sheet.write_string(0, 0, "使用薬剤の薬価（薬価基準）に収載されている医薬品について（令和7年7月16日適用）")
        sheet.write_row(2, 0, list(published.columns))
        for row, values in enumerate(published.itertuples(index=False), start=3):
            for column, value in enumerate(values):
                if published.columns[column] == "薬価":
                    sheet.write_number(row, column, float(value))
                elif value:
                    sheet.write_string(row, column, value)
    from_excel, issues = read_drug_master(path)
    from_csv, _ = read_drug_master(PRICES_2025)
    assert issues == []
    expected = from_csv.head(300)
    for field in DRUG_MASTER.fields:
        pd.testing.assert_series_equal(from_excel[field.name], expected[field.name], obj=field.name)
    assert from_excel["source_row"].iloc[0] == 4


def test_version_is_given_or_read_from_the_file_name(tmp_path):
    assert version_from_name(PRICES_2025) == date(2025, 7, 16)
    assert version_from_name("tp20250716-01_01.xlsx") == date(2025, 7, 16)
    assert version_from_name("list_20251399.csv") is None and version_from_name("list.csv") is None
    path = tmp_path / "薬価基準.csv"
    path.write_bytes(PRICES_2025.read_bytes()[:2000].rsplit(b"\n", 1)[0] + b"\n")
    frame, issues = read_drug_master(path)
    assert [i.code for i in issues] == ["unknown_version"] and frame[VERSION_DATE].isna().all()
    frame, issues = read_drug_master(path, version=date(2025, 8, 1))
    assert issues == [] and (frame[VERSION_DATE] == pd.Timestamp("2025-08-01")).all()


def test_duplicate_codes_and_bad_prices_are_errors(tmp_path):
    text = ("区分,薬価基準収載医薬品コード,成分名,規格,品名,メーカー名,薬価\n"
            "内用薬,2325003B2029,ファモチジン,２％１ｇ,ガスター散２％,ＬＴＬファーマ,15.1\n"
            "内用薬,2325003B2029,ファモチジン,２％１ｇ,ガスター散２％,ＬＴＬファーマ,15.1\n"
            "内用薬,1121001X1018,ブロモバレリル尿素,１ｇ,ブロモバレリル尿素,,未定\n")
    path = tmp_path / "list_20250716.csv"
    path.write_text(text, encoding="cp932")
    _, issues = read_drug_master(path)
    assert [(i.row, i.code) for i in issues] == [(4, "invalid_value"), (3, "duplicate_code")]
    assert issues[1].message == "薬価基準収載医薬品コード「2325003B2029」が重複しています"


def test_a_generic_list_without_its_status_column_is_reported(tmp_path):
    _, issues = read_drug_master(PRICES_2025, PRICES_2024)
    assert [(i.code, i.column) for i in issues] == [("missing_column", "各先発医薬品の後発医薬品の有無に関する情報")]
