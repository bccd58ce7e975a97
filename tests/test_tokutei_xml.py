"""Tests for the 特定健診 XML reader (dhdesk.io.tokutei_xml), on archives written by tokutei_xml_fixtures."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokutei_xml_fixtures import (
    archive_files,
    archive_root,
    document_name,
    document_xml,
    sample_frame,
    write_archive,
)

from dhdesk.core.fields import CHECKUPS, Kind, pandas_dtype
from dhdesk.core.issues import Severity
from dhdesk.core.progress import Cancelled
from dhdesk.io.tokutei_xml import COLUMNS, read_tokutei_archive, read_tokutei_document


def _row(**changes: object) -> dict[str, object]:
    """The first (fasting, fully filled) sample person with some fields changed."""
    return {**sample_frame().iloc[0].to_dict(), **changes}


def _codes(issues) -> list[tuple[str, str | None, Severity]]:
    return [(i.code, i.column, i.severity) for i in issues]


# ---- archives ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_archive_round_trips_to_the_same_typed_frame(tmp_path, zipped):
    frame = sample_frame()
    path = write_archive(archive_files(frame), tmp_path, zipped=zipped)
    got, issues = read_tokutei_archive(path)
    assert issues == []
    pd.testing.assert_frame_equal(got, frame)


def test_frame_follows_the_typed_frame_convention(tmp_path):
    got, _ = read_tokutei_archive(write_archive(archive_files(sample_frame()), tmp_path))
    assert list(got.columns) == list(COLUMNS)
    expected = {f.name: pandas_dtype(f) for f in CHECKUPS.fields}
    assert {name: str(got[name].dtype) for name in expected} == expected
    assert got.loc[0, "member_id"] == "000123" and got.loc[0, "insured_edaban"] == "01"
    assert got.loc[1, "insured_kigo"] == "34" and got.loc[1, "sex"] == 2


def test_index_one_folder_down_is_found(tmp_path):
    write_archive(archive_files(sample_frame()), tmp_path)
    got, issues = read_tokutei_archive(tmp_path)  # the folder that holds the delivered root folder
    assert issues == [] and len(got) == 3


def test_missing_index_is_an_error_but_documents_are_still_read(tmp_path):
    path = write_archive(archive_files(sample_frame(), with_index=False), tmp_path)
    got, issues = read_tokutei_archive(path)
    assert _codes(issues) == [("index_missing", "ix08_V08.xml", Severity.ERROR)]
    assert len(got) == 3


def test_index_count_must_match_the_documents(tmp_path):
    path = write_archive(archive_files(sample_frame(), index_count=4), tmp_path, zipped=True)
    _, issues = read_tokutei_archive(path)
    assert _codes(issues) == [("index_count", "totalRecordCount", Severity.ERROR)]
    assert "4 件" in issues[0].message and "3 件" in issues[0].message


def test_malformed_document_is_an_issue_and_the_others_are_read(tmp_path):
    broken = document_xml(_row())[:-40]
    files = archive_files(sample_frame(), documents={document_name(9): broken})
    got, issues = read_tokutei_archive(write_archive(files, tmp_path, zipped=True))
    assert _codes(issues) == [("xml_unreadable", None, Severity.ERROR)]
    assert issues[0].source == document_name(9)
    assert len(got) == 3


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_unreadable_zip_is_an_issue(tmp_path, content):
    path = tmp_path / f"{archive_root()}.zip"
    path.write_bytes(content)
    got, issues = read_tokutei_archive(path)
    assert got.empty and list(got.columns) == list(COLUMNS)
    assert _codes(issues) == [("archive_unreadable", None, Severity.ERROR)]


def test_missing_path_is_an_issue(tmp_path):
    got, issues = read_tokutei_archive(tmp_path / "nothing.zip")
    assert got.empty and [i.code for i in issues] == ["archive_unreadable"]


def test_unknown_codes_give_one_warning_per_code_per_archive(tmp_path):
    extra = [("3F050000002327101", "210")]  # 総コレステロール: in the master, not read by dhdesk
    documents = {document_name(n): document_xml(_row(), extra=extra) for n in (7, 8)}
    got, issues = read_tokutei_archive(write_archive(archive_files(sample_frame(), documents=documents), tmp_path))
    assert _codes(issues) == [("unknown_code", "3F050000002327101", Severity.WARNING)]
    assert "2件" in issues[0].message
    assert len(got) == 5


def test_progress_reports_start_and_end(tmp_path):
    seen = []
    read_tokutei_archive(write_archive(archive_files(sample_frame()), tmp_path), progress=lambda f, _: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0


def test_cancel_from_progress_propagates(tmp_path):
    def cancel(fraction: float, message: str) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        read_tokutei_archive(write_archive(archive_files(sample_frame()), tmp_path, zipped=True), progress=cancel)


def test_empty_archive_gives_an_empty_typed_frame(tmp_path):
    got, issues = read_tokutei_archive(write_archive(archive_files(sample_frame().iloc[:0]), tmp_path))
    assert issues == [] and got.empty
    assert str(got["exam_date"].dtype) == "datetime64[ns]" and str(got["sbp"].dtype) == "float64"


# ---- one document -----------------------------------------------------------------------------------------


def test_document_from_path_names_the_file(tmp_path):
    path = tmp_path / "h0000000001.xml"
    path.write_bytes(document_xml(_row()))
    row, issues = read_tokutei_document(path)
    assert issues == [] and row["source_file"] == "h0000000001.xml" and row["waist"] == 88.5
    assert list(row) == list(COLUMNS) and row["tg_random"] is None


@pytest.mark.parametrize("name", [f.name for f in CHECKUPS.fields if f.kind is Kind.ANSWER])
def test_every_questionnaire_answer_is_read_as_its_code(name):
    choices = CHECKUPS.field(name).choices
    for choice in choices:
        row, issues = read_tokutei_document(document_xml(_row(**{name: choice.code})))
        assert issues == [] and row[name] == choice.code


def test_answer_outside_the_choices_is_an_error():
    xml = document_xml(_row(smoking=1)).replace(b'code="1" codeSystem="1.2.392.200119.6.24060"',
                                       b'code="9" codeSystem="1.2.392.200119.6.24060"')
    row, issues = read_tokutei_document(xml)
    assert row["smoking"] is None
    assert _codes(issues) == [("bad_value", "喫煙", Severity.ERROR)]


@pytest.mark.parametrize("method", [0, 1, 2, 3])
def test_every_method_code_maps_to_its_item(method):
    fields = [f for f in CHECKUPS.fields if len(f.jlac10) > method and f.kind is Kind.NUMBER]
    row, _ = read_tokutei_document(document_xml(_row(), methods={f.name: method for f in fields}))
    expected = sample_frame().iloc[0]
    for f in fields:
        if not pd.isna(expected[f.name]):
            assert row[f.name] == pytest.approx(expected[f.name]), f.name


def test_two_method_codes_of_one_item_are_an_error():
    row, issues = read_tokutei_document(document_xml(_row(), extra=[("9N016160200000001", "90.0")]))
    assert row["waist"] == 88.5
    assert _codes(issues) == [("duplicate_item", "腹囲", Severity.ERROR)]
    assert "9N016160100000001" in issues[0].message and "9N016160200000001" in issues[0].message


def test_null_flavor_is_missing_without_an_issue():
    row, issues = read_tokutei_document(document_xml(_row(), null={"hdl", "smoking", "urine_protein"}))
    assert issues == []
    assert row["hdl"] is None and row["smoking"] is None and row["urine_protein"] is None


@pytest.mark.parametrize("flag, word", [("H", "上限"), ("L", "下限")])
def test_out_of_range_flag_keeps_the_value_and_warns(flag, word):
    row, issues = read_tokutei_document(document_xml(_row(hba1c=16.2), flags={"hba1c": flag}))
    assert row["hba1c"] == 16.2
    assert _codes(issues) == [("out_of_range", "HbA1c", Severity.WARNING)]
    assert word in issues[0].message


def test_clinic_judgements_and_urine_codes_are_kept_as_text():
    row, _ = read_tokutei_document(document_xml(_row()))
    kept = ("clinic_level", "clinic_metabo", "urine_glucose", "urine_protein")
    assert [row[name] for name in kept] == ["2", "2", "1", "2"]


def test_pq_value_that_is_not_a_number_is_an_error():
    xml = document_xml(_row()).replace(b'value="170.2"', b'value="170,2"')
    row, issues = read_tokutei_document(xml)
    assert row["height"] is None
    assert _codes(issues) == [("xsd_invalid", "XSD", Severity.ERROR), ("bad_value", "身長", Severity.ERROR)]
    assert "170,2" in issues[0].message and "hc08_V08" in issues[0].message


def test_every_generated_document_and_index_satisfy_the_mhlw_schemas(tmp_path):
    frame, issues = read_tokutei_archive(write_archive(archive_files(sample_frame()), tmp_path))
    assert issues == [] and len(frame) == 3


def test_an_element_out_of_place_is_reported_against_the_schema():
    xml = document_xml(_row()).replace(b"<recordTarget>", b"<recordTargetX>").replace(b"</recordTarget>", b"</recordTargetX>")
    _, issues = read_tokutei_document(xml)
    schema = [i for i in issues if i.code == "xsd_invalid"]
    assert schema and "recordTargetX" in schema[0].message and schema[0].severity is Severity.ERROR


def test_header_problems_are_errors():
    xml = (document_xml(_row()).replace(b'root="1.2.392.200119.6.205"', b'root="1.2.392.200119.6.999"')
           .replace(b'<birthTime value="19700401"/>', b'<birthTime value="19700231"/>')
           .replace(b'administrativeGenderCode code="1"', b'administrativeGenderCode code="3"'))
    row, issues = read_tokutei_document(xml)
    assert row["member_id"] is None and row["birth_date"] is None and row["sex"] is None
    assert [i.column for i in issues] == ["被保険者証等番号", "性別", "生年月日"]


def test_guidance_document_is_refused():
    row, issues = read_tokutei_document(document_xml(_row(), report_code="21"))
    assert row == {} and _codes(issues) == [("not_checkup", "報告区分", Severity.ERROR)]


def test_other_xml_is_refused():
    row, issues = read_tokutei_document(b"<?xml version='1.0'?><index/>")
    assert row == {} and [i.code for i in issues] == ["not_cda"]


# ---- 採血時間 --------------------------------------------------------------------------------------------------


def test_fasting_draw_with_fasting_codes_is_clean():
    row, issues = read_tokutei_document(document_xml(_row()))
    assert issues == [] and (row["blood_timing"], row["tg_fasting"], row["fbg"]) == (2, 150.0, 104.0)


@pytest.mark.parametrize("timing", [3, 4])
def test_random_draw_with_random_codes_is_clean(timing):
    xml = document_xml(_row(blood_timing=timing, tg_fasting=None, fbg=None, tg_random=180.0, rbg=131.0))
    row, issues = read_tokutei_document(xml)
    assert issues == [] and (row["tg_random"], row["rbg"], row["tg_fasting"]) == (180.0, 131.0, None)


def test_fasting_code_on_a_random_draw_is_kept_and_warned():
    row, issues = read_tokutei_document(document_xml(_row(blood_timing=3)))
    assert row["tg_fasting"] == 150.0 and row["fbg"] == 104.0
    assert _codes(issues) == [("timing_mismatch", "空腹時中性脂肪", Severity.WARNING),
                              ("timing_mismatch", "空腹時血糖", Severity.WARNING)]


def test_random_code_on_a_fasting_draw_is_kept_and_warned():
    row, issues = read_tokutei_document(document_xml(_row(tg_fasting=None, tg_random=99.0)))
    assert row["tg_random"] == 99.0
    assert _codes(issues) == [("timing_mismatch", "随時中性脂肪", Severity.WARNING)]


def test_blood_values_without_timing_are_warned():
    row, issues = read_tokutei_document(document_xml(_row(blood_timing=None)))
    assert row["tg_fasting"] == 150.0
    assert _codes(issues) == [("timing_missing", "採血時間", Severity.WARNING)]


# ---- corruption never raises ------------------------------------------------------------------------------

_VALID = document_xml(_row())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
       st.one_of(st.just(len(_VALID)), st.integers(0, len(_VALID))))
def test_corrupted_bytes_give_issues_never_an_exception(edits, cut):
    data = bytearray(_VALID[:cut])
    for position, byte in edits:
        if position < len(data):
            data[position] = byte
    row, issues = read_tokutei_document(bytes(data), name="h.xml")
    assert row or issues
    assert row == {} or set(row) == set(COLUMNS)
    assert all(i.source == "h.xml" and i.message for i in issues)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6))
def test_corrupted_zip_gives_issues_never_an_exception(tmp_path, edits):
    path = write_archive(archive_files(sample_frame()), tmp_path, zipped=True)
    data = bytearray(path.read_bytes())
    for position, byte in edits:
        data[position % len(data)] = byte
    path.write_bytes(bytes(data))
    got, issues = read_tokutei_archive(path)
    assert list(got.columns) == list(COLUMNS)
    assert len(got) == 3 or issues


# ---- the value as written ---------------------------------------------------------------------------------


def test_issues_carry_the_value_as_the_document_writes_it():
    xml = (document_xml(_row(hba1c=16.2), flags={"hba1c": "H"}).replace(b'value="170.2"', b'value="170,2"')
           .replace(b'<birthTime value="19700401"/>', b'<birthTime value="1970-04-01"/>')
           .replace(b'administrativeGenderCode code="1"', b'administrativeGenderCode code=" M "'))
    _, issues = read_tokutei_document(xml)
    found = {(i.code, i.column): i.value for i in issues if i.code != "xsd_invalid"}
    assert found == {("bad_sex", "性別"): " M ", ("bad_date", "生年月日"): "1970-04-01",
                     ("bad_value", "身長"): "170,2", ("out_of_range", "HbA1c"): "16.2"}


def test_a_second_method_code_and_a_timing_mismatch_quote_their_values():
    _, issues = read_tokutei_document(document_xml(_row(blood_timing=3), extra=[("9N016160200000001", "90.0")]))
    assert [(i.code, i.column, i.value) for i in issues] == [
        ("duplicate_item", "腹囲", "90.0"), ("timing_mismatch", "空腹時中性脂肪", "150"),
        ("timing_mismatch", "空腹時血糖", "104")]


def test_a_guidance_document_quotes_its_report_code():
    _, issues = read_tokutei_document(document_xml(_row(), report_code="21"))
    assert [(i.column, i.value) for i in issues] == [("報告区分", "21")]


def test_index_count_issue_quotes_the_count_written(tmp_path):
    files = archive_files(sample_frame())
    index = next(name for name in files if name.endswith("ix08_V08.xml"))
    files[index] = files[index].replace(b'<totalRecordCount value="3"/>', b'<totalRecordCount value="4"/>')
    _, issues = read_tokutei_archive(write_archive(files, tmp_path))
    assert [(i.code, i.value) for i in issues] == [("index_count", "4")]


_WRITTEN = [  # (as the valid document writes it, with {} where the value goes, the item's column, its field)
    ('value="170.2" unit="cm"', "value={} unit=\"cm\"", "身長", "height"),
    ('<birthTime value="19700401"/>', "<birthTime value={}/>", "生年月日", "birth_date"),
    ('administrativeGenderCode code="1"', "administrativeGenderCode code={}", "性別", "sex"),
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_WRITTEN),
       st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFFFD, exclude_categories=("Cc", "Cs")), max_size=12))
def test_any_written_value_is_read_or_reported_with_that_value(written, text):
    original, template, column, name = written
    xml = _VALID.replace(original.encode(), template.format(quoteattr(text)).encode())
    row, issues = read_tokutei_document(xml, name="h.xml")
    assert set(row) == set(COLUMNS)
    assert all(i.column and i.row is None for i in issues)
    if row[name] is None:
        assert any(i.column == column and i.value == (text or None) for i in issues)


def test_schema_errors_quote_the_attribute_value_they_are_about():
    xml = document_xml(_row()).replace(b'<birthTime value="19700401"/>', b'<birthTime value="1970-04-01"/>')
    _, issues = read_tokutei_document(xml)
    assert [(i.code, i.column, i.value) for i in issues] == [
        ("xsd_invalid", "XSD", "1970-04-01"), ("bad_date", "生年月日", "1970-04-01")]
    misplaced = document_xml(_row()).replace(b"<title>", b"<title><b/>")
    assert [(i.code, i.value) for i in read_tokutei_document(misplaced)[1]] == [("xsd_invalid", None)]
