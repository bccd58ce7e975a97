"""Tests for 調剤 (pharmacy) レセ電 files: SH/CZ/IY read into drug lines, and written back by the UKE writer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhdesk.core.fields import DIAGNOSES, DRUG_LINES, MEMBERS, PROCEDURES, RECEIPTS
from dhdesk.core.issues import Severity, has_errors
from dhdesk.core.synthetic.typed import typed_frame
from dhdesk.io.uke import read_uke
from dhdesk.io.uke_writer import write_uke

PHARMACY = "1347654321"
"""都道府県 13 + 点数表 4 (調剤) + 薬局コード 7654321."""
PREFIX = f"{PHARMACY}-202411"

# Field order per the 記録条件仕様（調剤用）(SSK iryokikan_in_07.pdf, as public parsers transcribe it):
#   YK 審査支払機関, 都道府県, 点数表, 薬局コード, 薬局名称, 請求年月, マルチボリューム, 電話番号 (no 予備, unlike IR)
#   SH 処方No, 剤形, 用法, 特別指示, 単位薬剤料…
#   CZ 医師No, 処方月日, 調剤月日, 処方箋受付回, 調剤数量, 調製料 負担区分, 算定区分, 算定先No, コード, 点数,
#      分割区分, 前回までの数量, 薬剤料…
#   IY 負担区分, 医薬品コード, 使用量, 予備, 予備, 混合区分, 混合区分枝番, 配合不適区分, 1回用量
GENERIC = "622224901"  # a 後発 (6-series 9-digit code)
BRAND = "610406079"  # ガスター散２％, a 先発 (SSK 医薬品マスター excerpt in shared/reference-data)
OINTMENT = "620008965"  # アンテベート軟膏, 外用: 使用量 is the whole amount, 調剤数量 1
TWO_RECEIPTS = f"""\
YK,1,13,4,7654321,テスト薬局,50611,00,0312345678
RE,1,4112,50610,調剤　一郎,1,3500101
HO,06131234,１２,３４,2,300
SH,01,1,,,,,,,
CZ,1,5061001,5061002,1,14,1,1,01,,,,,120
CZ,1,5061020,5061021,2,7,1,1,01,,,,,60
IY,1,{BRAND},1.5,,,,,,
IY,1,{GENERIC},2,,,,,,
SH,02,3,,,,,,,
CZ,1,5061001,5061002,1,1,1,1,01,,,,,40
IY,1,{OINTMENT},30,,,,,,
TK,1
RE,2,4116,50610,調剤　花子,2,4100520
HO,06131234,１２,３４,1,80
SH,01,1,,,,,,,
CZ,1,5061015,5061015,1,30,1,1,01,,,,,80
IY,1,{GENERIC},0.5,,,,,,
GO,2,380,99
"""


def write_text(tmp_path: Path, text: str, name: str = "pharmacy.UKE") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("cp932"))
    return path


def lines_of(frames) -> list[tuple]:
    drugs = frames["drug_lines"]
    return list(zip(drugs["receipt_id"], drugs["drug_code"], drugs["quantity"], drugs["days"],
                    drugs["dispensed_date"].dt.date, drugs["source_row"], strict=True))


def test_each_drug_is_a_line_per_dispensing_of_its_preparation(tmp_path):
    frames, issues = read_uke(write_text(tmp_path, TWO_RECEIPTS))
    assert issues == []
    first, second = f"{PREFIX}:1", f"{PREFIX}:2"
    assert lines_of(frames) == [
        (first, BRAND, 1.5, 14, date(2024, 10, 2), 7), (first, BRAND, 1.5, 7, date(2024, 10, 21), 7),
        (first, GENERIC, 2.0, 14, date(2024, 10, 2), 8), (first, GENERIC, 2.0, 7, date(2024, 10, 21), 8),
        (first, OINTMENT, 30.0, 1, date(2024, 10, 2), 11),
        (second, GENERIC, 0.5, 30, date(2024, 10, 15), 17),
    ]
    assert frames["drug_lines"]["points"].isna().all()  # 調剤 prices the 剤 (CZ 薬剤料), not each drug
    assert frames["diagnoses"].empty and frames["procedures"].empty


def test_pharmacy_receipts_are_claim_type_5_with_the_yk_name_and_month(tmp_path):
    frames, _ = read_uke(write_text(tmp_path, TWO_RECEIPTS))
    receipts = frames["receipts"]
    assert receipts["receipt_id"].tolist() == [f"{PREFIX}:1", f"{PREFIX}:2"]
    assert receipts["claim_type"].tolist() == [5, 5]
    assert receipts["receipt_kind"].tolist() == ["4112", "4116"]
    assert receipts["facility_code"].unique().tolist() == [PHARMACY]
    assert receipts["facility_name"].unique().tolist() == ["テスト薬局"]
    assert receipts["service_month"].tolist() == ["202410", "202410"]
    assert receipts["points"].tolist() == [300, 80] and receipts["days"].tolist() == [2, 1]


def test_go_totals_are_checked_for_pharmacy_files(tmp_path):
    _, issues = read_uke(write_text(tmp_path, TWO_RECEIPTS.replace("GO,2,380,99", "GO,2,381,99")))
    assert [(i.code, i.row, i.value) for i in issues] == [("uke_go_points", 18, "381")]


def test_western_dates_of_newer_files_read_alike(tmp_path):
    text = TWO_RECEIPTS.replace("5061015,5061015", "20241015,20241015")
    frames, issues = read_uke(write_text(tmp_path, text))
    assert issues == [] and lines_of(frames)[-1][4] == date(2024, 10, 15)


@pytest.mark.parametrize(("old", "new", "row", "column", "code", "value"), [
    ("CZ,1,5061020,5061021,2,7,1,1,01,,,,,60", "CZ,1,5061020", 6, "CZ", "uke_short_record", "CZ,1,5061020"),
    (f"IY,1,{GENERIC},2,,,,,,", "IY,1,", 8, "IY", "uke_short_record", "IY,1,"),
    ("5061020,5061021", "5061020,5061399", 6, "CZ 調剤月日", "uke_bad_date", "5061399"),
    (f"{BRAND},1.5,", f"{BRAND},1.5錠,", 7, "IY 使用量", "uke_bad_number", "1.5錠"),
    (f"{BRAND},1.5,", "61040607,1.5,", 7, "IY 医薬品コード", "uke_bad_code", "61040607"),
    ("5061021,2,7,", "5061021,2,７日,", 6, "CZ 調剤数量", "uke_bad_number", "７日"),
])
def test_malformed_lines_are_issues_at_their_row_and_field(tmp_path, old, new, row, column, code, value):
    frames, issues = read_uke(write_text(tmp_path, TWO_RECEIPTS.replace(old, new, 1)))
    assert [(i.row, i.column, i.code, i.value) for i in issues if i.severity is Severity.ERROR] == [
        (row, column, code, value)]
    assert frames["receipts"]["receipt_id"].tolist() == [f"{PREFIX}:1", f"{PREFIX}:2"]


def test_a_bad_field_leaves_only_that_value_blank(tmp_path):
    text = TWO_RECEIPTS.replace(f"{BRAND},1.5,", f"{BRAND},1.5錠,").replace("5061021,2,7,", "5061021,2,７日,")
    frames, _ = read_uke(write_text(tmp_path, text))
    brand = frames["drug_lines"][frames["drug_lines"]["drug_code"] == BRAND]
    assert brand["quantity"].isna().all() and brand["days"].tolist()[0] == 14 and pd.isna(brand["days"].tolist()[1])
    assert brand["dispensed_date"].notna().all()


def test_drugs_without_a_preparation_or_a_dispensing_are_kept_and_reported(tmp_path):
    text = """\
YK,1,13,4,7654321,テスト薬局,50611,00,0312345678
RE,1,4112,50610,調剤　一郎,1,3500101
HO,06131234,１２,３４,1,40
IY,1,622224901,2
SH,01,1
IY,1,610406079,1
GO,1,40,99
"""
    frames, issues = read_uke(write_text(tmp_path, text))
    assert [(i.row, i.code, i.severity) for i in issues] == [
        (4, "uke_before_prescription", Severity.WARNING), (4, "uke_no_dispensing", Severity.WARNING),
        (6, "uke_no_dispensing", Severity.WARNING)]
    assert lines_of(frames)[0][:2] == (f"{PREFIX}:1", GENERIC)
    assert frames["drug_lines"]["days"].isna().all() and frames["drug_lines"]["dispensed_date"].isna().all()


def test_lines_before_any_receipt_are_errors_not_crashes(tmp_path):
    text = "YK,1,13,4,7654321,テスト薬局,50611,00\nSH,01,1\nCZ,1,5061001,5061002,1,14\nIY,1,622224901,2\nGO,0,0,99\n"
    frames, issues = read_uke(write_text(tmp_path, text))
    assert [(i.row, i.code) for i in issues] == [(2, "uke_before_receipt"), (3, "uke_before_receipt"),
                                                 (4, "uke_before_receipt")]
    assert frames["drug_lines"].empty


def test_medical_files_still_report_pharmacy_records_as_unknown(tmp_path):
    text = "IR,1,13,1,1234567,,テスト医院,50611,00\nRE,1,1112,50610,健保　太郎,1,3500101\n" \
           "HO,06131234,１２,３４,1,10\nSH,01,1\nGO,1,10,99\n"
    _, issues = read_uke(write_text(tmp_path, text))
    assert [(i.row, i.code) for i in issues] == [(4, "uke_record_skipped")]


def frame(layout, **columns):
    return typed_frame(layout, columns, len(next(iter(columns.values()))))


def pharmacy_claims(drug_rows: list[tuple[str, str, float | None, int, str, int | None]], receipt_count: int = 2):
    """`receipt_count` 調剤 receipts of one pharmacy-month and their drug lines
    (receipt_id, drug_code, quantity, days, dispensed_date, points)."""
    ids, member_ids = [f"R{n}" for n in range(receipt_count)], [f"000{n}" for n in range(receipt_count)]
    receipts = frame(
        RECEIPTS, receipt_id=ids, member_id=member_ids,
        service_month=["202410"] * receipt_count, claim_type=[5] * receipt_count,
        receipt_kind=["4112", "4116", "4118"][:receipt_count], facility_code=[PHARMACY] * receipt_count,
        facility_name=["みなと薬局"] * receipt_count, days=[2, 1, 1][:receipt_count],
        points=[300, 80, 5][:receipt_count], public_expense=[2, 1, 2][:receipt_count],
    )
    receipt_id, code, quantity, days, dispensed, points = (list(column) for column in zip(*drug_rows, strict=True)) \
        if drug_rows else ([], [], [], [], [], [])
    drugs = frame(DRUG_LINES, receipt_id=receipt_id, drug_code=code, quantity=quantity, days=days,
                  dispensed_date=np.array(dispensed, dtype="datetime64[ns]"), points=points)
    members = frame(
        MEMBERS, member_id=member_ids, kigo=["101"] * receipt_count,
        bango=["2221"] * receipt_count, name=["伊藤　大翔", "伊藤　凛", "伊藤　蒼"][:receipt_count],
        name_kana=["イトウ　ヒロト", "イトウ　リン", "イトウ　アオイ"][:receipt_count], sex=[1, 2, 1][:receipt_count],
        birth_date=np.array(["1989-01-07", "2019-05-01", "2020-02-02"][:receipt_count], dtype="datetime64[ns]"),
        relation=[1, 2, 2][:receipt_count], acquired_date=np.array(["2010-04-01"] * receipt_count, dtype="datetime64[ns]"),
    )
    no_lines = {"receipt_id": []}
    return receipts, frame(DIAGNOSES, **no_lines), drugs, frame(PROCEDURES, **no_lines), members


def write_claims(tmp_path: Path, claims, name: str = "RECEIPTY.UKE") -> tuple[Path, list]:
    path = tmp_path / name
    return path, write_uke(path, *claims, insurer_number="06131234", public_payer="21230008")


def records(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_bytes().decode("cp932").split("\r\n")[:-1]]


DRUGS = [
    ("R0", BRAND, 1.5, 14, "2024-10-02", 70), ("R0", GENERIC, 2.0, 14, "2024-10-02", 50),
    ("R0", OINTMENT, 30.0, 1, "2024-10-02", 40), ("R1", GENERIC, 0.5, 30, "2024-10-15", None),
]


def test_the_writer_lays_out_yk_and_one_sh_cz_per_preparation(tmp_path):
    path, issues = write_claims(tmp_path, pharmacy_claims(DRUGS))
    assert issues == []
    written = records(path)
    assert [r[0] for r in written] == ["YK", "RE", "HO", "SH", "CZ", "IY", "IY", "SH", "CZ", "IY",
                                       "RE", "HO", "KO", "SH", "CZ", "IY", "GO"]
    assert {r[0]: len(r) for r in written} == {"YK": 9, "RE": 42, "HO": 14, "KO": 10, "SH": 10, "CZ": 71,
                                               "IY": 10, "GO": 4}
    assert written[0][1:8] == ["1", "13", "4", "7654321", "みなと薬局", "50611", "00"]
    assert written[1][1:7] == ["1", "4112", "50610", "伊藤　大翔", "1", "3640107"] and written[1][41] == "イトウ　ヒロト"
    sh, cz, iy = written[3], written[4], written[5]
    assert sh[1] == "01" and written[7][1] == "02"
    assert (cz[3], cz[5], cz[6], cz[13]) == ("5061002", "14", "1", "120")  # 薬剤料 = the 剤's points
    assert iy[1:4] == ["1", BRAND, "1.5"]
    assert written[14][13] == "" and written[15][1] == "5"  # points unknown; 公費併用 負担区分
    assert written[-1] == ["GO", "2", "380", "99"]


def test_written_pharmacy_file_reads_back(tmp_path):
    path, _ = write_claims(tmp_path, pharmacy_claims(DRUGS))
    frames, issues = read_uke(path)
    assert not has_errors(issues) and issues == []
    assert frames["receipts"]["claim_type"].tolist() == [5, 5]
    assert frames["receipts"]["receipt_kind"].tolist() == ["4112", "4116"]
    assert frames["receipts"]["public_expense"].tolist() == [2, 1]
    got = [(r.split(":")[1], c, q, d, str(t)) for r, c, q, d, t, _ in lines_of(frames)]
    assert got == [(str(int(r[1:]) + 1), c, q, d, t) for r, c, q, d, t, _ in DRUGS]


@pytest.mark.parametrize(("change", "message"), [
    ({"claim_type": [5, 2]}, "mixed"),
    ({"facility_code": ["1317654321", "1317654321"]}, "調剤 薬局コード"),
])
def test_frames_that_do_not_make_one_pharmacy_file_are_refused(tmp_path, change, message):
    receipts, *rest = pharmacy_claims(DRUGS)
    for name, values in change.items():
        receipts[name] = pd.Series(values, dtype=receipts[name].dtype)
    with pytest.raises(ValueError, match=message):
        write_claims(tmp_path, (receipts, *rest))


@pytest.mark.parametrize("column", ["dispensed_date", "days"])
def test_pharmacy_drug_lines_need_their_dispensing(tmp_path, column):
    receipts, diagnoses, drugs, procedures, members = pharmacy_claims(DRUGS)
    drugs.loc[1, column] = None
    with pytest.raises(ValueError, match="調剤月日"):
        write_claims(tmp_path, (receipts, diagnoses, drugs, procedures, members))


def test_pharmacy_receipts_refuse_diagnoses(tmp_path):
    receipts, _, drugs, procedures, members = pharmacy_claims(DRUGS)
    diagnoses = frame(DIAGNOSES, receipt_id=["R0"], disease_code=["8833421"])
    with pytest.raises(ValueError, match="傷病名"):
        write_claims(tmp_path, (receipts, diagnoses, drugs, procedures, members))


_DRUG_LINE = st.tuples(
    st.integers(0, 2), st.sampled_from([BRAND, GENERIC, OINTMENT, "610463147"]),
    st.one_of(st.none(), st.decimals("0.00001", "99999.99999", places=5).map(float)),
    st.integers(1, 999), st.integers(1, 31), st.one_of(st.none(), st.integers(0, 99_999)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_DRUG_LINE, max_size=12), receipt_count=st.integers(1, 3))
def test_random_pharmacy_claims_round_trip(tmp_path, rows, receipt_count):
    rows = [(f"R{r % receipt_count}", code, quantity, days, f"2024-10-{day:02d}", points)
            for r, code, quantity, days, day, points in rows]
    path, issues = write_claims(tmp_path, pharmacy_claims(rows, receipt_count))
    frames, read_issues = read_uke(path)
    assert issues == [] and read_issues == []
    blank = -1.0  # NaN 使用量 sorts and compares as this
    expected = sorted((int(r[1:]) + 1, c, blank if q is None else q, d, date.fromisoformat(t))
                      for r, c, q, d, t, _ in rows)
    got = sorted((int(r.split(":")[1]), c, blank if pd.isna(q) else q, d, t) for r, c, q, d, t, _ in lines_of(frames))
    assert got == expected
    assert frames["receipts"]["points"].tolist() == [300, 80, 5][:receipt_count]
