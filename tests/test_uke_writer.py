"""Tests for the レセ電 (UKE) writer: what it writes, io.uke reads back unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.fields import DIAGNOSES, DRUG_LINES, MEMBERS, PROCEDURES, RECEIPTS
from dhdesk.core.issues import Severity
from dhdesk.core.synthetic import generate_union
from dhdesk.core.synthetic.typed import typed_frame
from dhdesk.io.uke import match_members, read_uke
from dhdesk.io.uke_writer import write_uke

FACILITY = "2311234567"
PREFIX = f"{FACILITY}-202407"
"""Receipt ids of a read file: 医療機関コード-請求年月:レセプト番号 (the writer bills the service month)."""


def frame(layout, **columns):
    length = len(next(iter(columns.values())))
    return typed_frame(layout, columns, length)


def tiny_claims(**receipt_changes):
    """Two 医科外来 receipts of one clinic-month: 本人 with HO only, 家族 公費併用 with HO + KO."""
    receipts = frame(
        RECEIPTS, receipt_id=["A", "B"], member_id=["0001", "0002"], service_month=["202406", "202406"],
        claim_type=[2, 2], receipt_kind=["1112", "1126"], facility_code=[FACILITY] * 2,
        facility_name=["みなと内科 Clinic"] * 2, days=[2, 1], points=[450, 162], public_expense=[2, 1],
    )
    for name, values in receipt_changes.items():
        receipts[name] = pd.Series(values, dtype=receipts[name].dtype)
    diagnoses = frame(
        DIAGNOSES, receipt_id=["A", "A", "B", "OTHER"], disease_code=["8833421", None, "2500013", "1234567"],
        disease_name=["高血圧症", "胃炎,慢性", None, None],
        start_date=np.array(["2024-06-01", "2019-04-30", "1989-01-08", "2024-06-01"], dtype="datetime64[ns]"),
        is_main=[1, 2, 1, 1], is_suspected=[2, 1, 2, 2],
    )
    drugs = frame(DRUG_LINES, receipt_id=["A", "B"], drug_code=["620098801", "610406079"], quantity=[1.5, 3.0],
                  days=[7, 14], points=[12, 30])
    procedures = frame(PROCEDURES, receipt_id=["A", "B", "B"], procedure_code=["111000110", "112007410", "120002910"],
                       points=[288, 73, 68], times=[1, 2, 1])
    members = frame(
        MEMBERS, member_id=["0001", "0002"], kigo=["101", "101"], bango=["2221", "2221"], name=["伊藤　大翔", "伊藤　凛"],
        name_kana=["イトウ　ヒロト", "イトウ　リン"], sex=[1, 2],
        birth_date=np.array(["1989-01-07", "2019-05-01"], dtype="datetime64[ns]"), relation=[1, 2],
        acquired_date=np.array(["2010-04-01"] * 2, dtype="datetime64[ns]"),
    )
    return receipts, diagnoses, drugs, procedures, members


def write(tmp_path, claims, name="RECEIPTC.UKE", **options):
    path = tmp_path / name
    options = {"insurer_number": "32239014", "public_payer": "21230008"} | options
    issues = write_uke(path, *claims, **options)
    return path, issues


def records(path):
    return [line.split(",") for line in path.read_bytes().decode("cp932").split("\r\n")[:-1]]


def test_the_file_is_cp932_crlf_with_each_record_in_place(tmp_path):
    path, issues = write(tmp_path, tiny_claims())
    assert issues == []
    data = path.read_bytes()
    assert data.endswith(b"GO,2,612,99\r\n") and data.count(b"\r\n") == data.count(b"\n")
    assert [r[0] for r in records(path)] == ["IR", "RE", "HO", "SY", "SY", "SI", "IY",
                                            "RE", "HO", "KO", "SY", "SI", "SI", "IY", "GO"]
    widths = {r[0]: len(r) for r in records(path)}
    assert widths == {"IR": 10, "RE": 38, "HO": 15, "KO": 12, "SY": 8, "SI": 44, "IY": 44, "GO": 4}
    ir, re_ = records(path)[0], records(path)[1]
    assert ir[1:5] == ["1", "23", "1", "1234567"] and ir[6] == "みなと内科　Ｃｌｉｎｉｃ"
    assert ir[7] == "50607"  # 請求年月: the month after
    assert re_[1:7] == ["1", "1112", "50606", "伊藤　大翔", "1", "3640107"] and re_[36] == "イトウ　ヒロト"


def test_round_trip_gives_the_same_receipts_and_lines(tmp_path):
    claims = tiny_claims()
    receipts, diagnoses, drugs, procedures, members = claims
    path, _ = write(tmp_path, claims)
    frames, issues = read_uke(path)
    assert issues == []
    read = frames["receipts"]
    assert read["receipt_id"].tolist() == [f"{PREFIX}:1", f"{PREFIX}:2"]
    for name in ("service_month", "claim_type", "receipt_kind", "facility_code", "days", "points", "public_expense"):
        assert read[name].tolist() == receipts[name].tolist(), name
    assert read["facility_name"].tolist() == ["みなと内科　Ｃｌｉｎｉｃ"] * 2
    assert read["insurer_number"].tolist() == ["32239014"] * 2
    assert read["insured_kigo"].tolist() == ["１０１"] * 2 and read["insured_bango"].tolist() == ["２２２１"] * 2
    assert read["patient_name"].tolist() == ["伊藤　大翔", "伊藤　凛"]
    assert read["patient_birth_date"].tolist() == members["birth_date"].tolist()
    matched, unmatched = match_members(read, members)
    assert unmatched == [] and matched["member_id"].tolist() == ["0001", "0002"]

    read_dx = frames["diagnoses"]
    assert read_dx["receipt_id"].tolist() == [f"{PREFIX}:1", f"{PREFIX}:1", f"{PREFIX}:2"]
    assert read_dx["disease_code"].tolist() == ["8833421", "0000999", "2500013"]
    assert read_dx["disease_name"].tolist()[1] == "胃炎，慢性"  # 全角: a comma cannot split the record
    assert read_dx["start_date"].tolist() == diagnoses["start_date"].tolist()[:3]
    assert read_dx["is_main"].tolist() == [1, 2, 1] and read_dx["is_suspected"].tolist() == [2, 1, 2]
    read_drugs = frames["drug_lines"]
    for name in ("drug_code", "quantity", "days", "points"):
        assert read_drugs[name].tolist() == drugs[name].tolist(), name
    read_procedures = frames["procedures"]
    for name in ("procedure_code", "points", "times"):
        assert read_procedures[name].tolist() == procedures[name].tolist(), name
    assert read_procedures["receipt_id"].tolist() == [f"{PREFIX}:1", f"{PREFIX}:2", f"{PREFIX}:2"]


def test_go_totals_equal_the_receipts_and_ko_carries_the_same_claim(tmp_path):
    path, _ = write(tmp_path, tiny_claims(points=[99_999, 1]))
    lines = records(path)
    assert lines[-1][:4] == ["GO", "2", "100000", "99"]
    ho = [r for r in lines if r[0] == "HO"]
    ko = [r for r in lines if r[0] == "KO"]
    assert [r[4:6] for r in ho] == [["2", "99999"], ["1", "1"]]
    assert ko == [["KO", "21230008", "", "", "1", "1", "", "", "", "", "", ""]]
    assert [r[2] for r in lines if r[0] in ("SI", "IY")] == ["1", "1", "5", "5", "5"]  # 負担区分 医保 / 医保+公費
    _, issues = read_uke(path)
    assert issues == []


@pytest.mark.parametrize(("month", "written"), [("201904", "43104"), ("201905", "50105"), ("198901", "36401")])
def test_service_month_is_gyymm_across_an_era_change(tmp_path, month, written):
    claims = tiny_claims(service_month=[month, month])
    path, _ = write(tmp_path, claims)
    assert [r[3] for r in records(path) if r[0] == "RE"] == [written, written]
    assert read_uke(path)[0]["receipts"]["service_month"].tolist() == [month, month]


def test_start_dates_either_side_of_an_era_change(tmp_path):
    path, _ = write(tmp_path, tiny_claims())
    assert [r[2] for r in records(path) if r[0] == "SY"] == ["5060601", "4310430", "4010108"]


def test_a_character_cp932_lacks_becomes_geta_with_a_warning(tmp_path):
    receipts, diagnoses, drugs, procedures, members = tiny_claims()
    members["name"] = pd.array(["\U00020bb7田　太郎", "伊藤　凛"], dtype="string")
    path, issues = write(tmp_path, (receipts, diagnoses, drugs, procedures, members))
    assert [(i.row, i.column, i.code, i.severity) for i in issues] == [
        (2, "RE 氏名", "substitute_char", Severity.WARNING)]
    assert "\U00020bb7" in issues[0].message and "〓" in issues[0].message
    frames, read_issues = read_uke(path)
    assert read_issues == []
    assert frames["receipts"]["patient_name"].tolist() == ["〓田　太郎", "伊藤　凛"]


def test_quantities_keep_five_decimals_and_the_spec_limit(tmp_path):
    receipts, diagnoses, drugs, procedures, members = tiny_claims()
    drugs["quantity"] = [0.00001, 99_999.99999]
    path, _ = write(tmp_path, (receipts, diagnoses, drugs, procedures, members))
    assert [r[4] for r in records(path) if r[0] == "IY"] == ["0.00001", "99999.99999"]
    assert read_uke(path)[0]["drug_lines"]["quantity"].tolist() == [0.00001, 99_999.99999]
    drugs["quantity"] = [1.0, 100_000.0]
    with pytest.raises(ValueError, match="使用量"):
        write(tmp_path, (receipts, diagnoses, drugs, procedures, members))


@pytest.mark.parametrize(("changes", "message"), [
    ({"service_month": ["202406", "202407"]}, "one 医療機関 and one 診療年月"),
    ({"facility_code": ["1234567", "1234567"]}, "10-digit"),
    ({"facility_code": ["2341234567", "2341234567"]}, "10-digit"),
    ({"claim_type": [2, 5]}, "医科"),
    ({"receipt_kind": ["1112", None]}, "receipt_kind"),
    ({"points": [450, None]}, "points"),
    ({"member_id": ["0001", "9999"]}, "9999"),
])
def test_frames_that_do_not_make_one_medical_uke_file_are_refused(tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        write(tmp_path, tiny_claims(**changes))


def test_public_expense_needs_the_payer_number(tmp_path):
    with pytest.raises(ValueError, match="public_payer"):
        write(tmp_path, tiny_claims(), public_payer="")
    path, _ = write(tmp_path, tiny_claims(public_expense=[2, 2]), public_payer="")
    assert not any(r[0] == "KO" for r in records(path))


def test_a_synthetic_clinic_month_round_trips(tmp_path):
    union = generate_union(members=300, seed=5)
    medical = union.receipts[union.receipts["claim_type"].isin([1, 2])]
    busiest = medical.groupby(["facility_code", "service_month"]).size().idxmax()
    receipts = medical[(medical["facility_code"] == busiest[0]) & (medical["service_month"] == busiest[1])]
    receipts = receipts.assign(facility_code="231" + receipts["facility_code"])
    path, issues = write(tmp_path, (receipts, union.diagnoses, union.drug_lines, union.procedures, union.members))
    frames, read_issues = read_uke(path)
    assert issues == [] and read_issues == []
    billed = pd.Period(f"{busiest[1][:4]}-{busiest[1][4:]}", freq="M") + 1  # billed the month after
    prefix = f"231{busiest[0]}-{billed:%Y%m}"
    numbers = pd.Series([f"{prefix}:{n}" for n in range(1, len(receipts) + 1)], index=receipts["receipt_id"])
    read = frames["receipts"]
    assert read["points"].tolist() == receipts["points"].tolist()
    assert read["days"].tolist() == receipts["days"].tolist()
    matched, unmatched = match_members(read, union.members)
    assert unmatched == [] and matched["member_id"].tolist() == receipts["member_id"].tolist()
    for key, columns in (("diagnoses", ["start_date", "is_main", "is_suspected"]),
                         ("drug_lines", ["drug_code", "quantity", "days", "points"]),
                         ("procedures", ["procedure_code", "points", "times"])):
        source = getattr(union, key)
        expected = source[source["receipt_id"].isin(numbers.index)]
        assert frames[key]["receipt_id"].tolist() == numbers[expected["receipt_id"]].tolist(), key
        for column in columns:
            assert frames[key][column].tolist() == expected[column].tolist(), (key, column)
    expected_dx = union.diagnoses[union.diagnoses["receipt_id"].isin(numbers.index)]
    assert frames["diagnoses"]["disease_code"].tolist() == expected_dx["disease_code"].fillna("0000999").tolist()
