"""Plausibility checks: ranges from check_ranges.toml, BMI, dates, 資格期間 and repeated keys, each by row and column."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhdesk.core.checks import (
    CheckRules,
    SourceFile,
    check_checkups,
    check_members,
    check_receipts,
    fiscal_year_of,
    load_check_rules,
)
from dhdesk.core.fields import MEMBERS, RECEIPTS, pandas_dtype
from dhdesk.core.issues import Severity
from typed_rows import HEALTHY_MAN, checkups

TODAY = date(2025, 1, 15)
FILE = SourceFile("センター.csv", {"height": "身長(cm)", "exam_date": "受診日"})


@pytest.fixture(scope="module")
def rules() -> CheckRules:
    return load_check_rules()


def _rows(frame: pd.DataFrame, first: int = 2) -> pd.DataFrame:
    """The reader's `source_row`: the file's header is row 1."""
    return frame.assign(source_row=range(first, first + len(frame)))


def _found(rules, *rows, **options):
    issues = check_checkups(_rows(checkups(*rows)), FILE, rules, today=TODAY, **options)
    return [(i.row, i.column, i.code, i.severity) for i in issues]


def test_shipped_rules_keep_the_jma_ranges_and_physical_limits(rules):
    items = {item.name: item for item in rules.items}
    assert items["height"].jma == (50, 300) and items["height"].possible == (50, 272)
    assert items["weight"].jma == (30, 200) and items["hba1c"].possible == (2, 25)
    assert items["egfr"].jma is None
    assert all(i.possible[0] <= i.possible[1] for i in rules.items)
    assert "日医特定健診システム" in rules.sources["jma"]


def test_a_healthy_row_has_no_issue(rules):
    assert _found(rules, HEALTHY_MAN) == []


@pytest.mark.parametrize(("height", "expected"), [
    (272.0, []),
    (272.1, [(2, "身長(cm)", "check.impossible", Severity.ERROR)]),
    (300.0, [(2, "身長(cm)", "check.impossible", Severity.ERROR)]),
    (50.0, []),
    (49.9, [(2, "身長(cm)", "check.impossible", Severity.ERROR)]),
])
def test_height_beyond_what_a_body_can_be_is_an_error(rules, height, expected):
    row = HEALTHY_MAN | {"height": height, "bmi": None}
    assert _found(rules, row) == expected


@pytest.mark.parametrize(("weight", "expected"), [
    (30.0, []),
    (29.9, [(2, "体重", "check.out_of_range", Severity.WARNING)]),
    (10.0, [(2, "体重", "check.out_of_range", Severity.WARNING)]),
    (9.9, [(2, "体重", "check.impossible", Severity.ERROR)]),
    (200.0, []),
    (200.1, [(2, "体重", "check.out_of_range", Severity.WARNING)]),
])
def test_weight_outside_the_jma_input_range_is_a_warning(rules, weight, expected):
    assert _found(rules, HEALTHY_MAN | {"weight": weight, "bmi": None}) == expected


def test_range_messages_name_the_value_and_the_bounds(rules):
    issues = check_checkups(_rows(checkups(HEALTHY_MAN | {"hba1c": 56.0})), FILE, rules, today=TODAY)
    assert [i.message for i in issues] == ["HbA1c 56% はありえない値です（2〜25% の範囲外）。単位や桁を確認してください"]


@pytest.mark.parametrize(("bmi", "flagged"), [(22.2, False), (22.3, True), (21.81, False), (21.7, True)])
def test_bmi_disagreeing_with_height_and_weight_is_a_warning(rules, bmi, flagged):
    # 63.6 kg / (1.70 m)² = 22.007
    expected = [(2, "BMI", "check.bmi_mismatch", Severity.WARNING)] if flagged else []
    assert _found(rules, HEALTHY_MAN | {"bmi": bmi}) == expected


def test_bmi_tolerance_is_inclusive(rules):
    exact = 63.6 / 1.7**2
    at = checkups(HEALTHY_MAN | {"bmi": exact + rules.bmi_tolerance})
    above = checkups(HEALTHY_MAN | {"bmi": exact + rules.bmi_tolerance + 0.01})
    assert check_checkups(_rows(at), FILE, rules, today=TODAY) == []
    assert [i.code for i in check_checkups(_rows(above), FILE, rules, today=TODAY)] == ["check.bmi_mismatch"]


def test_diastolic_not_below_systolic_is_a_warning(rules):
    assert _found(rules, HEALTHY_MAN | {"sbp": 80.0, "dbp": 80.0}) == [(2, "拡張期血圧", "check.bp_order", Severity.WARNING)]
    assert _found(rules, HEALTHY_MAN | {"sbp": 80.0, "dbp": 79.0}) == []


def test_exam_dates_in_the_future_or_outside_the_fiscal_year(rules):
    rows = [
        HEALTHY_MAN | {"member_id": "1", "exam_date": "2025-01-15"},  # today
        HEALTHY_MAN | {"member_id": "2", "exam_date": "2025-01-16"},  # tomorrow
        HEALTHY_MAN | {"member_id": "3", "exam_date": "2024-03-31"},  # FY2023
        HEALTHY_MAN | {"member_id": "4", "exam_date": "2024-04-01"},
    ]
    found = _found(rules, *rows, fiscal_year=2024)
    assert found == [
        (3, "受診日", "check.exam_in_future", Severity.ERROR),
        (4, "受診日", "check.outside_fiscal_year", Severity.WARNING),
    ]


def test_without_a_fiscal_year_the_year_of_most_exams_is_taken(rules):
    rows = [HEALTHY_MAN | {"member_id": str(n), "exam_date": day}
            for n, day in enumerate(["2023-06-01", "2023-07-01", "2024-05-01"])]
    assert _found(rules, *rows) == [(4, "受診日", "check.outside_fiscal_year", Severity.WARNING)]
    assert fiscal_year_of(pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01"]))).tolist() == [2023, 2024]


def test_implausible_dates_of_birth_are_errors(rules):
    rows = [
        HEALTHY_MAN | {"member_id": "1", "birth_date": "2024-06-02"},  # born after the exam
        HEALTHY_MAN | {"member_id": "2", "birth_date": "1904-06-01"},  # 120 on the exam day
        HEALTHY_MAN | {"member_id": "3", "birth_date": "1904-05-31"},  # over 120
    ]
    assert _found(rules, *rows) == [
        (2, "生年月日", "check.birth_after_event", Severity.ERROR),
        (4, "生年月日", "check.too_old", Severity.ERROR),
    ]


def test_the_same_member_and_exam_day_twice_flags_both_rows(rules):
    rows = [HEALTHY_MAN, HEALTHY_MAN | {"member_id": "0002"}, HEALTHY_MAN]
    issues = check_checkups(_rows(checkups(*rows)), FILE, rules, today=TODAY)
    assert [(i.row, i.code) for i in issues] == [(2, "check.duplicate_key"), (4, "check.duplicate_key")]
    assert issues[0].message == "加入者番号・健診日（0001、2024-06-01）が同じ行が 4行目にもあります"
    assert issues[0].column == "受診日"


ROSTER = pd.DataFrame({
    "member_id": pd.array(["0001", "0002", "0002"], dtype="string"),
    "acquired_date": pd.to_datetime(["2000-04-01", "2010-04-01", "2024-07-01"]),
    "lost_date": pd.to_datetime(["2024-06-01", "2024-05-01", None]),
})
"""0001 lost on 2024-06-01 (資格喪失日 = the first day not insured); 0002 has a gap May–June 2024."""


@pytest.mark.parametrize(("member", "exam", "expected"), [
    ("0001", "2024-05-31", None),
    ("0001", "2024-06-01", "資格喪失日 2024-06-01 以後です（資格喪失後の受診）"),
    ("0002", "2024-06-15", "資格喪失日 2024-05-01 以後です（資格喪失後の受診）"),
    ("0002", "2024-07-01", None),
    ("0002", "2010-03-31", "資格取得日 2010-04-01 より前です（資格取得前の受診）"),
])
def test_exams_outside_the_members_periods_are_warnings(rules, member, exam, expected):
    row = HEALTHY_MAN | {"member_id": member, "exam_date": exam}
    issues = check_checkups(_rows(checkups(row)), FILE, rules, today=TODAY, fiscal_year=int(exam[:4]) - (exam[5:7] < "04"),
                            roster=ROSTER)
    if expected is None:
        assert issues == []
    else:
        assert [(i.code, i.severity, i.column) for i in issues] == [("check.not_insured", Severity.WARNING, "受診日")]
        assert issues[0].message.endswith(expected)


def test_a_member_the_roster_lacks_is_an_error_and_an_empty_roster_checks_nothing(rules):
    row = HEALTHY_MAN | {"member_id": "9999"}
    issues = check_checkups(_rows(checkups(row)), FILE, rules, today=TODAY, roster=ROSTER)
    assert [(i.code, i.severity, i.column, i.message) for i in issues] == [
        ("check.unknown_member", Severity.ERROR, "加入者番号", "加入者番号 9999 が加入者台帳にありません")]
    assert check_checkups(_rows(checkups(row)), FILE, rules, today=TODAY, roster=ROSTER.iloc[:0]) == []


def _typed(layout, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        dtype = pandas_dtype(layout.field(name))
        frame[name] = pd.to_datetime(frame[name]) if dtype.startswith("datetime") else frame[name].astype(dtype)
    return _rows(frame)


def test_member_periods_and_births(rules):
    frame = _typed(MEMBERS, [
        {"member_id": "1", "birth_date": "1980-01-01", "acquired_date": "2000-04-01", "lost_date": "2000-03-31"},
        {"member_id": "2", "birth_date": "2010-01-01", "acquired_date": "2000-04-01", "lost_date": None},
        {"member_id": "3", "birth_date": "2026-01-01", "acquired_date": "2026-01-01", "lost_date": None},
        {"member_id": "3", "birth_date": "2026-01-01", "acquired_date": "2026-01-01", "lost_date": None},
    ])
    issues = check_members(frame, SourceFile("台帳.csv"), rules, today=TODAY)
    assert [(i.row, i.column, i.code, i.severity) for i in issues] == [
        (2, "資格喪失日", "check.lost_before_acquired", Severity.ERROR),
        (3, "生年月日", "check.birth_after_event", Severity.WARNING),
        (4, "生年月日", "check.birth_in_future", Severity.ERROR),
        (4, "資格取得日", "check.duplicate_key", Severity.ERROR),
        (5, "生年月日", "check.birth_in_future", Severity.ERROR),
        (5, "資格取得日", "check.duplicate_key", Severity.ERROR),
    ]


def test_receipts_repeated_or_of_unknown_members(rules):
    frame = _typed(RECEIPTS, [
        {"receipt_id": "R1", "member_id": "0001"}, {"receipt_id": "R1", "member_id": "0001"},
        {"receipt_id": "R2", "member_id": "7777"},
    ])
    issues = check_receipts(frame, SourceFile("レセプト.csv", {"receipt_id": "レセ番号"}), roster=ROSTER)
    assert [(i.row, i.column, i.code) for i in issues] == [
        (2, "レセ番号", "check.duplicate_key"), (3, "レセ番号", "check.duplicate_key"),
        (4, "加入者番号", "check.unknown_member")]


def test_a_union_can_ship_its_own_ranges(tmp_path):
    own = tmp_path / "ranges.toml"
    own.write_text('[cross]\nbmi_tolerance = 0.5\nmax_age_years = 110\nexam_future_days = 0\n'
                   '[items.height]\npossible = [100, 220]\n', encoding="utf-8")
    rules = load_check_rules(own)
    assert rules.bmi_tolerance == 0.5 and [(i.name, i.possible, i.jma) for i in rules.items] == [("height", (100, 220), None)]
    bad = tmp_path / "bad.toml"
    bad.write_text('[cross]\nbmi_tolerance = 0.5\nmax_age_years = 110\nexam_future_days = 0\n'
                   '[items.height]\npossible = [220, 100]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="lower bound"):
        load_check_rules(bad)


def test_ten_thousand_flagged_rows_are_checked_quickly(rules):
    import time

    frame = _rows(checkups(*[HEALTHY_MAN | {"member_id": f"{n:05d}", "height": 300.0, "bmi": None} for n in range(10_000)]))
    started = time.perf_counter()
    issues = check_checkups(frame, FILE, rules, today=TODAY)
    assert len(issues) == 10_000 and time.perf_counter() - started < 5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({
    "member_id": st.sampled_from(["0001", "0002", None]),
    "exam_date": st.sampled_from(["2024-06-01", "2030-01-01", "1900-01-01", None]),
    "birth_date": st.sampled_from(["1970-01-01", "2031-01-01", "1800-01-01", None]),
    "height": st.one_of(st.none(), st.floats(-1e6, 1e6)),
    "weight": st.one_of(st.none(), st.floats(0, 1e6)),
    "bmi": st.one_of(st.none(), st.floats(-10, 1e4)),
    "sbp": st.one_of(st.none(), st.floats(0, 1e4)),
    "dbp": st.one_of(st.none(), st.floats(0, 1e4)),
}), max_size=8))
def test_any_values_give_issues_with_rows_never_an_exception(rules, rows):
    frame = _rows(checkups(*rows)) if rows else _rows(checkups(HEALTHY_MAN).iloc[:0])
    issues = check_checkups(frame, FILE, rules, today=TODAY, roster=ROSTER)
    assert all(i.row in set(frame["source_row"]) and i.column and i.message for i in issues)


def test_issues_quote_the_cell_as_the_file_has_it(rules):
    """With the file's cells at hand the clinic sees its own spelling, not the value as dhdesk read it."""
    frame = _rows(checkups(HEALTHY_MAN | {"height": 300.0, "bmi": None},
                           HEALTHY_MAN | {"exam_date": "2030-01-01"}))
    cells = pd.DataFrame({"身長(cm)": pd.array(["３００ｃｍ", "170"], dtype="string"),
                          "受診日": pd.array(["R6.6.1", "令和12年1月1日"], dtype="string")}, index=[2, 3])
    source = SourceFile(FILE.name, FILE.headers, cells)
    issues = check_checkups(frame, source, rules, today=TODAY, fiscal_year=2024)
    assert [(i.row, i.column, i.code, i.value) for i in issues] == [
        (2, "身長(cm)", "check.impossible", "３００ｃｍ"),
        (3, "受診日", "check.exam_in_future", "令和12年1月1日"),
    ]


def test_duplicates_quote_the_cell_of_each_repeated_row(rules):
    frame = _rows(checkups(HEALTHY_MAN, HEALTHY_MAN))
    cells = pd.DataFrame({"受診日": pd.array(["2024/6/1", "R6.6.1"], dtype="string")}, index=[2, 3])
    issues = check_checkups(frame, SourceFile(FILE.name, FILE.headers, cells), rules, today=TODAY)
    assert [(i.row, i.code, i.value) for i in issues] == [(2, "check.duplicate_key", "2024/6/1"),
                                                          (3, "check.duplicate_key", "R6.6.1")]


def test_without_the_files_text_no_value_is_made_up(rules):
    """A blank cell, a column the cells lack, or no cells at all: the normalised value is not the clerk's text."""
    frame = _rows(checkups(HEALTHY_MAN | {"height": 300.0, "bmi": None},
                           HEALTHY_MAN | {"member_id": "0002", "weight": 9.0, "bmi": None}))
    cells = pd.DataFrame({"身長(cm)": pd.array([pd.NA, "170"], dtype="string")}, index=[2, 3])
    issues = check_checkups(frame, SourceFile(FILE.name, FILE.headers, cells), rules, today=TODAY)
    assert [(i.column, i.value) for i in issues] == [("身長(cm)", None), ("体重", None)]
    assert [i.value for i in check_checkups(frame, FILE, rules, today=TODAY)] == [None, None]
