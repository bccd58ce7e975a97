"""Tests for the レセ電 (UKE) reader and the member matching of its receipts."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhdesk.core.fields import DIAGNOSES, DRUG_LINES, PROCEDURES, RECEIPTS, pandas_dtype
from dhdesk.core.issues import Severity, has_errors
from dhdesk.core.progress import Cancelled
from dhdesk.io.uke import PATIENT_COLUMNS, UNMATCHED_MEMBER, match_members, read_uke

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "uke"
SAMPLE = SHARED / "RECEIPTC_GAIRAI_SAMPLE.UKE"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="shared UKE sample not present")

TINY = """\
IR,1,13,1,1234567,,テスト医院,50611,00,0312345678
RE,1,1112,50604,健保　太郎,1,3500101,,,,,,,001
HO,06131234,１２,３４,2,450,,,,,,,,,
SY,2500013,5060401,1,8002,,01,
SY,0000999,5060402,1,,腰がいたい,,
SI,11,1,111000110,,288,1,,,,,,,1
IY,21,1,620098801,1.5,12,7,,,,,,,1
RE,2,1116,50604,健保　花子,2,4100520,,,,,,,002
HO,06131234,１２,３４,1,162,,,,,,,,,
KO,54136015,1234567,,1,162,0,,,,,
SI,12,1,112007410,,73,2,,,,,,,1
GO,2,612,99
"""


def write(tmp_path: Path, text: str, name: str = "tiny.UKE") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("cp932"))
    return path


def by_code(issues, code):
    return [i for i in issues if i.code == code]


# --- the shared real-format sample ------------------------------------------------------------------


@needs_sample
def test_sample_has_75_receipts_with_the_independent_parsers_points():
    frames, _ = read_uke(SAMPLE)
    receipts = frames["receipts"]
    expected = re.findall(r"## 保険者番号 (\d+) 請求点数 (\d+)点",
                          (SHARED / "expected_gairai_cost_list.txt").read_text(encoding="utf-8"))
    assert len(receipts) == 75 == len(expected)
    assert receipts["points"].tolist() == [int(points) for _, points in expected]
    assert receipts["insurer_number"].tolist() == [insurer for insurer, _ in expected]
    assert receipts["receipt_id"].is_unique


@needs_sample
def test_sample_detail_counts_equal_the_flattened_records():
    frames, _ = read_uke(SAMPLE)
    ef = pd.read_csv(SHARED / "expected_gairai_ef_like.csv", header=None, dtype=str, encoding="utf-8")
    kinds = ef[15].value_counts()
    assert len(frames["procedures"]) == kinds["SI"] == 320
    assert len(frames["drug_lines"]) == kinds["IY"] == 32
    assert frames["procedures"]["procedure_code"].tolist() == ef.loc[ef[15] == "SI", 16].tolist()
    assert frames["drug_lines"]["drug_code"].tolist() == ef.loc[ef[15] == "IY", 16].tolist()
    first = frames["diagnoses"][frames["diagnoses"]["receipt_id"] == "1210000000-202111:1"]
    assert len(frames["diagnoses"]) == 9
    assert first["disease_code"].tolist() == ["2500013", "0000999", "0000999"]
    assert pd.isna(first["disease_name"].iloc[0]) and first["disease_name"].iloc[1] == "テスト"


@needs_sample
def test_sample_receipt_fields_and_go_warning():
    frames, issues = read_uke(SAMPLE)
    first = frames["receipts"].iloc[0]
    assert (first["service_month"], first["receipt_kind"], first["claim_type"]) == ("202110", "1122", 2)
    assert (first["insured_kigo"], first["insured_bango"], first["patient_sex"]) == ("１", "１", 1)
    assert first["patient_birth_date"] == pd.Timestamp("1991-11-21")
    assert first["public_expense"] == 1 and first["days"] == 1
    assert pd.isna(first["member_id"])
    go = by_code(issues, "uke_go_count")
    assert len(go) == 1 and go[0].severity is Severity.WARNING and "140" in go[0].message and "75" in go[0].message
    assert not has_errors(issues)


# --- layout details on tiny files ----------------------------------------------------------------


def test_tiny_file_typed_frames(tmp_path):
    frames, issues = read_uke(write(tmp_path, TINY))
    assert issues == []
    for key, layout, extra in (("receipts", RECEIPTS, PATIENT_COLUMNS), ("diagnoses", DIAGNOSES, {}),
                               ("drug_lines", DRUG_LINES, {}), ("procedures", PROCEDURES, {})):
        expected = {f.name: pandas_dtype(f) for f in layout.fields} | extra | {"source_row": "int64"}
        assert {name: str(dtype) for name, dtype in frames[key].dtypes.items()} == expected
    receipts = frames["receipts"]
    assert receipts["receipt_id"].tolist() == ["1311234567-202411:1", "1311234567-202411:2"]
    assert receipts["service_month"].tolist() == ["202404", "202404"]
    assert receipts["facility_code"].tolist() == ["1311234567"] * 2
    assert receipts["facility_name"].iloc[0] == "テスト医院"
    assert receipts["points"].tolist() == [450, 162]
    assert receipts["public_expense"].tolist() == [2, 1]
    assert receipts["patient_birth_date"].tolist() == [pd.Timestamp("1975-01-01"), pd.Timestamp("1998-05-20")]
    assert receipts["source_row"].tolist() == [2, 8]


def test_tiny_file_details(tmp_path):
    frames, _ = read_uke(write(tmp_path, TINY))
    diagnoses = frames["diagnoses"]
    assert diagnoses["start_date"].tolist() == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-04-02")]
    assert diagnoses["is_main"].tolist() == [1, 2]
    assert diagnoses["is_suspected"].tolist() == [1, 2]
    assert pd.isna(diagnoses["disease_name"].iloc[0]) and diagnoses["disease_name"].iloc[1] == "腰がいたい"
    drug = frames["drug_lines"].iloc[0]
    assert (drug["drug_code"], drug["quantity"], drug["days"], drug["points"]) == ("620098801", 1.5, 7, 12)
    procedures = frames["procedures"]
    assert procedures["receipt_id"].tolist() == ["1311234567-202411:1", "1311234567-202411:2"]
    assert procedures["times"].tolist() == [1, 2] and procedures["points"].tolist() == [288, 73]


@pytest.mark.parametrize(("kind", "claim_type"), [("1111", 1), ("1112", 2), ("1125", 1), ("1316", 2), ("1310", 2)])
def test_claim_type_from_receipt_kind_last_digit(tmp_path, kind, claim_type):
    frames, _ = read_uke(write(tmp_path, TINY.replace("RE,1,1112", f"RE,1,{kind}")))
    assert frames["receipts"]["claim_type"].iloc[0] == claim_type


def test_dpc_receipt_is_marked_by_its_bu_record(tmp_path):
    text = TINY.replace("HO,06131234,１２,３４,2,450", "BU,140010xx99x0xx,5060401,,\nHO,06131234,１２,３４,2,450")
    frames, issues = read_uke(write(tmp_path, text))
    assert frames["receipts"]["claim_type"].tolist() == [3, 2]
    assert issues == []


def test_pharmacy_file_reads_receipts_and_its_drugs_per_dispensing(tmp_path):
    text = """\
YK,1,13,4,7654321,テスト薬局,50611,00,0312345678
RE,1,4112,50604,調剤　一郎,1,3500101
HO,06131234,１２,３４,1,300
SH,01,1
CZ,1,5060401,5060402,1,14
IY,1,620098801,1
IY,1,620098802,2
GO,1,300,99
"""
    frames, issues = read_uke(write(tmp_path, text))
    receipt = frames["receipts"].iloc[0]
    assert (receipt["claim_type"], receipt["facility_code"], receipt["points"]) == (5, "1347654321", 300)
    drugs = frames["drug_lines"]
    assert drugs["drug_code"].tolist() == ["620098801", "620098802"] and drugs["days"].tolist() == [14, 14]
    assert drugs["quantity"].tolist() == [1.0, 2.0]
    assert issues == []


def test_unknown_record_type_is_reported_once(tmp_path):
    text = TINY.replace("GO,2", "ZZ,1\nZZ,2\nGO,2")
    _, issues = read_uke(write(tmp_path, text))
    skipped = by_code(issues, "uke_record_skipped")
    assert len(skipped) == 1 and skipped[0].row == 12 and skipped[0].severity is Severity.WARNING


def test_bad_fields_are_issues_with_line_and_field(tmp_path):
    text = TINY.replace("111000110,,288", "111000110,,2x8").replace("RE,2,1116,50604", "RE,2,1116,51399")
    frames, issues = read_uke(write(tmp_path, text))
    assert [(i.row, i.column, i.code) for i in issues if i.severity is Severity.ERROR] == [
        (6, "SI 点数", "uke_bad_number"), (8, "RE 診療年月", "uke_bad_date")]
    assert pd.isna(frames["procedures"]["points"].iloc[0])


def test_structural_problems(tmp_path):
    text = "SI,11,1,111000110,,288,1\n" + TINY.replace("RE,2,1116", "RE,1,1116").replace(
        "HO,06131234,１２,３４,1,162,,,,,,,,,\nKO,54136015,1234567,,1,162,0,,,,,\n", "").replace("GO,2,612,99\n", "")
    frames, issues = read_uke(write(tmp_path, text))
    codes = {(i.row, i.code) for i in issues}
    assert {(1, "uke_before_receipt"), (9, "uke_duplicate_receipt"), (9, "uke_missing_points"),
            (None, "uke_missing_go")} <= codes
    assert frames["receipts"]["receipt_id"].is_unique


def test_undecodable_line_and_empty_file(tmp_path):
    path = tmp_path / "bad.UKE"
    path.write_bytes(TINY.replace("\n", "\r\n").encode("cp932").replace(b"SI,11", b"SI,\x82\xff"))
    frames, issues = read_uke(path)
    assert [(i.row, i.code) for i in issues if i.severity is Severity.ERROR] == [(6, "uke_bad_encoding")]
    assert len(frames["procedures"]) == 1
    _, issues = read_uke(write(tmp_path, "\n", "empty.UKE"))
    assert [i.code for i in issues] == ["uke_empty"]
    _, issues = read_uke(tmp_path / "missing.UKE")
    assert [i.code for i in issues] == ["unreadable_file"]


def test_every_field_issue_carries_the_field_as_written(tmp_path):
    text = (TINY.replace("111000110,,288", "111000110,,２x8").replace("RE,2,1116,50604", "RE,2,111６,51399")
            .replace("SY,2500013", "SY,25000 ").replace("GO,2,612", "GO,2,600"))
    _, issues = read_uke(write(tmp_path, text))
    assert [(i.row, i.column, i.value) for i in issues] == [
        (4, "SY 傷病名コード", "25000 "), (6, "SI 点数", "２x8"), (8, "RE レセプト種別", "111６"),
        (8, "RE 診療年月", "51399"), (12, "GO 総合計点数", "600")]


def test_record_level_issues_carry_the_whole_record(tmp_path):
    text = "SI,11,1,111000110,,288,1\n" + TINY.replace("HO,06131234,１２,３４,2,450,,,,,,,,,", "HO,06131234,１２").replace(
        "GO,2", "ZZ,あ,1\nGO,2")
    _, issues = read_uke(write(tmp_path, text))
    located = {i.code: (i.row, i.column, i.value) for i in issues}
    assert located["uke_before_receipt"] == (1, "SI", "SI,11,1,111000110,,288,1")
    assert located["uke_short_record"] == (4, "HO", "HO,06131234,１２")
    assert located["uke_record_skipped"] == (13, "ZZ", "ZZ,あ,1")
    assert located["uke_missing_points"] == (3, "HO 合計点数", None)


def test_undecodable_line_shows_what_could_be_read(tmp_path):
    path = tmp_path / "bad.UKE"
    path.write_bytes(TINY.replace("\n", "\r\n").encode("cp932").replace(b"SI,11", b"SI,\x82\xff"))
    _, issues = read_uke(path)
    (issue,) = by_code(issues, "uke_bad_encoding")
    assert issue.value.startswith("SI,\ufffd") and issue.value.endswith(",288,1,,,,,,,1")


def test_unmatched_receipts_carry_the_kigo_and_bango_as_written():
    receipts = pd.DataFrame({
        "receipt_id": pd.array(["f:1", "f:2", "f:3"], dtype="string"),
        "insured_kigo": pd.array(["１２", pd.NA, pd.NA], dtype="string"),
        "insured_bango": pd.array(["３４", "56", pd.NA], dtype="string"),
        "patient_name": pd.array(["甲", "乙", "丙"], dtype="string"),
        "patient_birth_date": pd.to_datetime(["1975-01-01"] * 3),
        "patient_sex": pd.array([1, 1, 1], dtype="Int8"),
        "source_row": [2, 9, 15],
    })
    members = pd.DataFrame({"member_id": pd.array([], dtype="string"), "kigo": pd.array([], dtype="string"),
                            "bango": pd.array([], dtype="string"), "birth_date": pd.to_datetime([]),
                            "sex": pd.array([], dtype="Int8")})
    _, issues = match_members(receipts, members)
    assert [(i.row, i.value) for i in issues] == [(2, "１２・３４"), (9, "56"), (15, None)]


def test_eof_marker_and_lf_only_lines_are_accepted(tmp_path):
    path = tmp_path / "eof.UKE"
    path.write_bytes(TINY.encode("cp932") + b"\x1a")
    frames, issues = read_uke(path)
    assert issues == [] and len(frames["receipts"]) == 2


def test_progress_reports_and_cancel_propagates(tmp_path):
    path = write(tmp_path, TINY)
    calls = []
    read_uke(path, progress=lambda fraction, message: calls.append(fraction))
    assert calls[0] == 0.0 and calls[-1] == 1.0

    def cancel(fraction, message):
        raise Cancelled

    with pytest.raises(Cancelled):
        read_uke(path, progress=cancel)


_TINY_LINES = TINY.splitlines()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.integers(0, len(_TINY_LINES) - 1), garbage=st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")))
def test_any_corrupted_line_gives_issues_never_an_exception(tmp_path, line, garbage):
    lines = [text.encode("cp932") for text in _TINY_LINES]
    lines[line] = garbage
    path = tmp_path / "corrupt.UKE"
    path.write_bytes(b"\r\n".join(lines))
    frames, issues = read_uke(path)
    assert set(frames) == {"receipts", "diagnoses", "drug_lines", "procedures"}
    assert all(i.row is None or 1 <= i.row <= len(lines) for i in issues)
    assert len(frames["receipts"]) <= 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.sampled_from([2, 3, 5, 6, 7, 9, 11]), index=st.integers(1, 6),
       junk=st.text(alphabet="ab-+*/.ｘ", min_size=1, max_size=5))
def test_junk_in_a_checked_field_is_an_error_on_that_line(tmp_path, line, index, junk):
    lines = list(_TINY_LINES)
    fields = lines[line - 1].split(",")
    checked = {"RE": {2, 3, 5, 6}, "HO": {4, 5}, "KO": {4, 5}, "SY": {1, 2}, "SI": {3, 5, 6}, "IY": {3, 4, 5, 6}}
    index = sorted(checked[fields[0]])[index % len(checked[fields[0]])]
    fields[index] = fields[index] + junk
    lines[line - 1] = ",".join(fields)
    _, issues = read_uke(write(tmp_path, "\n".join(lines) + "\n", "junk.UKE"))
    assert any(i.row == line and i.severity is Severity.ERROR and i.column.startswith(fields[0])
               and i.value == fields[index] for i in issues)


_LAYOUT_DTYPES = {
    key: {f.name: pandas_dtype(f) for f in layout.fields} | extra | {"source_row": "int64"}
    for key, layout, extra in (("receipts", RECEIPTS, PATIENT_COLUMNS), ("diagnoses", DIAGNOSES, {}),
                               ("drug_lines", DRUG_LINES, {}), ("procedures", PROCEDURES, {}))
}
_RECORDS = st.sampled_from(["IR", "YK", "RE", "HO", "KO", "SY", "SI", "IY", "GO", "BU", "SN", "ZZ"])
_FIELD = st.text(alphabet="0123456789０１２ .-+xあ漢ｶ", max_size=9)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(_RECORDS, st.lists(_FIELD, max_size=14)), max_size=14))
def test_random_records_give_whole_typed_frames_and_issues_at_their_line_with_their_text(tmp_path, records):
    lines = [",".join([record, *fields]) for record, fields in records]
    frames, issues = read_uke(write(tmp_path, "\n".join(lines) + "\n", "random.UKE"))
    assert {key: {name: str(dtype) for name, dtype in frame.dtypes.items()} for key, frame in frames.items()} == \
        _LAYOUT_DTYPES
    assert frames["receipts"]["receipt_id"].is_unique
    for issue in issues:
        assert issue.message and issue.source == "random.UKE"
        if issue.row is not None:
            assert 1 <= issue.row <= len(lines) and issue.column
            assert issue.value is None or issue.value in lines[issue.row - 1]


@needs_sample
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_randomly_corrupted_sample_lines_are_reported_by_line(tmp_path, data):
    lines = SAMPLE.read_bytes().split(b"\r\n")
    detail = [i for i, line in enumerate(lines) if line[:3] in (b"SI,", b"IY,", b"SY,", b"HO,", b"RE,")]
    chosen = data.draw(st.lists(st.sampled_from(detail), min_size=1, max_size=5, unique=True))
    for index in chosen:
        fields = lines[index].split(b",")
        fields = fields[:data.draw(st.integers(1, 3))]  # truncated: every one of these records needs more
        lines[index] = b",".join(fields)
    path = tmp_path / "corrupt_sample.UKE"
    path.write_bytes(b"\r\n".join(lines))
    frames, issues = read_uke(path)
    assert {i + 1 for i in chosen} <= {i.row for i in issues if i.code == "uke_short_record"}
    assert len(frames["receipts"]) == 75 - sum(lines[i].startswith(b"RE") for i in chosen)


# --- matching receipts to the roster -----------------------------------------------------------


def test_match_members_tells_family_apart_and_reports_the_rest():
    receipts = pd.DataFrame({
        "receipt_id": pd.array(["f:1", "f:2", "f:3", "f:4"], dtype="string"),
        "member_id": pd.array([pd.NA] * 4, dtype="string"),
        "insured_kigo": pd.array(["１２", "12", "１２", "99"], dtype="string"),
        "insured_bango": pd.array(["３４", "34", "３４", "1"], dtype="string"),
        "patient_name": pd.array(["本人", "家族", "双子", "不明"], dtype="string"),
        "patient_birth_date": pd.to_datetime(["1975-01-01", "1977-03-03", "2010-06-06", "1980-01-01"]),
        "patient_sex": pd.array([1, 2, 1, 1], dtype="Int8"),
        "source_row": [2, 9, 15, 20],
    })
    members = pd.DataFrame({
        "member_id": pd.array(["M1", "M1", "M2", "M3", "M4"], dtype="string"),
        "kigo": pd.array(["12", "12", "12", "12", "12"], dtype="string"),
        "bango": pd.array(["34", "34", "34", "34", "34"], dtype="string"),
        "birth_date": pd.to_datetime(["1975-01-01", "1975-01-01", "1977-03-03", "2010-06-06", "2010-06-06"]),
        "sex": pd.array([1, 1, 2, 1, 1], dtype="Int8"),
    })
    matched, issues = match_members(receipts, members)
    assert matched["member_id"].tolist()[:2] == ["M1", "M2"] and matched["member_id"].dtype == "string"
    assert matched["member_id"].isna().tolist() == [False, False, True, True]
    assert [(i.row, i.code, i.severity) for i in issues] == [
        (15, UNMATCHED_MEMBER, Severity.WARNING), (20, UNMATCHED_MEMBER, Severity.WARNING)]
    assert "複数" in issues[0].message and "見つかりません" in issues[1].message
    assert receipts["member_id"].isna().all()


def test_files_named_alike_from_two_billing_months_give_distinct_receipt_ids(tmp_path):
    """Clinics call every month's file RECEIPTC.UKE: ids come from the IR record (医療機関コード-請求年月)."""
    ids = []
    for billing in ("50610", "50611"):  # 令和6年10月, 11月
        path = tmp_path / billing / "RECEIPTC.UKE"
        path.parent.mkdir()
        path.write_bytes(TINY.replace(",50611,", f",{billing},", 1).encode("cp932"))
        ids += read_uke(path)[0]["receipts"]["receipt_id"].tolist()
    assert ids == ["1311234567-202410:1", "1311234567-202410:2", "1311234567-202411:1", "1311234567-202411:2"]
