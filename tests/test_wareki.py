"""和暦: every spelling a clerk meets is read, era boundaries are exact, letters print 元年."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dhdesk.core.wareki import era_of, format_fiscal_year, format_wareki, parse_date, parse_year_month


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-01", date(2024, 4, 1)),
        ("2024/4/1", date(2024, 4, 1)),
        ("2024.04.01", date(2024, 4, 1)),
        ("2024-04-01 00:00:00", date(2024, 4, 1)),
        ("20240401", date(2024, 4, 1)),
        ("2024年4月1日", date(2024, 4, 1)),
        ("令和6年4月1日", date(2024, 4, 1)),
        ("令和 6年 4月 1日", date(2024, 4, 1)),
        ("R6.4.1", date(2024, 4, 1)),
        ("R06.04.01", date(2024, 4, 1)),
        ("r6.4.1", date(2024, 4, 1)),
        ("R6年4月1日", date(2024, 4, 1)),
        ("H30/5/1", date(2018, 5, 1)),
        ("H300501", date(2018, 5, 1)),
        ("S50.1.1", date(1975, 1, 1)),
        ("昭50.1.1", date(1975, 1, 1)),
        ("T15.12.24", date(1926, 12, 24)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和６年４月１日", date(2024, 4, 1)),
        ("２０２４／４／１", date(2024, 4, 1)),
        ("㍻31年4月30日", date(2019, 4, 30)),
        ("5060401", date(2024, 4, 1)),
        ("4300501", date(2018, 5, 1)),
        ("3500101", date(1975, 1, 1)),
        ("45383", date(2024, 4, 1)),
        ("45383.75", date(2024, 4, 1)),
    ],
)
def test_parse_date_reads_every_spelling(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("serial", "expected"),
    [(1, date(1900, 1, 1)), (59, date(1900, 2, 28)), (61, date(1900, 3, 1)), (45383, date(2024, 4, 1)),
     (45383.99, date(2024, 4, 1)), (73050, date(2099, 12, 31))],
)
def test_excel_serials_follow_the_1900_date_system(serial, expected):
    assert parse_date(serial) == expected


@pytest.mark.parametrize("serial", [0, 60, 73051, -1, float("nan")])
def test_excel_serials_outside_the_calendar_are_rejected(serial):
    with pytest.raises(ValueError, match="Excel"):
        parse_date(serial)


def test_date_objects_pass_through():
    assert parse_date(date(2024, 4, 1)) == date(2024, 4, 1)
    assert parse_date(datetime(2024, 4, 1, 10, 30)) == date(2024, 4, 1)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("平成31年4月30日", True),
        ("平成31年5月1日", False),
        ("令和元年4月30日", False),
        ("令和元年5月1日", True),
        ("昭和64年1月7日", True),
        ("昭和64年1月8日", False),
        ("平成元年1月7日", False),
        ("平成元年1月8日", True),
        ("大正15年12月24日", True),
        ("大正15年12月25日", False),
    ],
)
def test_era_boundaries_are_exact(text, valid):
    if valid:
        assert parse_date(text)
    else:
        with pytest.raises(ValueError, match="平成|令和|昭和|大正"):
            parse_date(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "存在しない日付"),
        ("R6.13.1", "存在しない日付"),
        ("令和0年1月1日", "令和0年"),
        ("abc", "日付として読めません"),
        ("2024", "日付として読めません"),
        ("60", "日付として読めません"),
        ("6060401", "日付として読めません"),
        ("", "空欄"),
    ],
)
def test_bad_dates_raise_a_japanese_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_bool_is_not_a_serial():
    with pytest.raises(ValueError):
        parse_date(True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("202404", (2024, 4)),
        ("2024/4", (2024, 4)),
        ("2024-04", (2024, 4)),
        ("2024年4月", (2024, 4)),
        ("R6.4", (2024, 4)),
        ("R06.04", (2024, 4)),
        ("R0604", (2024, 4)),
        ("令和6年4月", (2024, 4)),
        ("令和６年４月", (2024, 4)),
        ("50604", (2024, 4)),
        ("43104", (2019, 4)),
        ("2024-04-01", (2024, 4)),
        (date(2024, 4, 30), (2024, 4)),
        ("平成31年4月", (2019, 4)),
        ("令和元年5月", (2019, 5)),
        ("昭和64年1月", (1989, 1)),
        ("平成元年1月", (1989, 1)),
    ],
)
def test_parse_year_month(text, expected):
    assert parse_year_month(text) == expected


@pytest.mark.parametrize("text", ["平成31年5月", "令和元年4月", "202413", "202400", "45383", "x"])
def test_parse_year_month_rejects_months_outside_the_calendar_or_era(text):
    with pytest.raises(ValueError):
        parse_year_month(text)


@pytest.mark.parametrize(
    ("day", "long", "short", "padded"),
    [
        (date(2026, 11, 22), "令和8年11月22日", "R8.11.22", "R08.11.22"),
        (date(2019, 5, 1), "令和元年5月1日", "R1.5.1", "R01.05.01"),
        (date(2019, 4, 30), "平成31年4月30日", "H31.4.30", "H31.04.30"),
        (date(1989, 1, 7), "昭和64年1月7日", "S64.1.7", "S64.01.07"),
        (date(1989, 1, 8), "平成元年1月8日", "H1.1.8", "H01.01.08"),
        (date(1975, 1, 1), "昭和50年1月1日", "S50.1.1", "S50.01.01"),
    ],
)
def test_format_wareki(day, long, short, padded):
    assert format_wareki(day) == long
    assert format_wareki(day, style="short") == short
    assert format_wareki(day, style="padded") == padded
    assert parse_date(long) == parse_date(short) == parse_date(padded) == day


def test_format_wareki_rejects_unknown_style_and_dates_before_meiji():
    with pytest.raises(ValueError):
        format_wareki(date(2024, 1, 1), style="kanji")
    with pytest.raises(ValueError, match="明治"):
        format_wareki(date(1868, 10, 22))
    assert era_of(date(1868, 10, 23)).name == "明治"


@pytest.mark.parametrize(("year", "label"), [(1988, "昭和63年度"), (1989, "平成元年度"), (2018, "平成30年度"),
                                             (2019, "令和元年度"), (2024, "令和6年度")])
def test_format_fiscal_year_uses_the_official_era_of_the_year(year, label):
    assert format_fiscal_year(year) == label
