"""Japanese era dates (和暦): reading every date spelling a clerk meets, and printing 令和 dates.

Input comes from rosters, clinics and レセ電 files in many spellings (令和6年4月1日, R06.04.01,
GYYMMDD 5060401, yyyymmdd, Excel serials); output is what a letter prints (令和元年5月1日, R1.5.1).
Text is NFKC-normalised here only to READ it (全角 digits, ㍻); nothing read here is printed back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Era:
    """One era: names, the レセ電 元号区分 code and the first day (Gregorian)."""

    name: str
    letter: str
    code: int
    start: date


ERAS: tuple[Era, ...] = (
    Era("明治", "M", 1, date(1868, 10, 23)),
    Era("大正", "T", 2, date(1912, 7, 30)),
    Era("昭和", "S", 3, date(1926, 12, 25)),
    Era("平成", "H", 4, date(1989, 1, 8)),
    Era("令和", "R", 5, date(2019, 5, 1)),
)
"""Oldest first. 明治 dates before 1873 were lunisolar; they are read as Gregorian (nobody insured is that old)."""

_BY_TOKEN = {token: era for era in ERAS for token in (era.name, era.name[0], era.letter)}
_BY_CODE = {era.code: era for era in ERAS}

_ERA = r"(?P<era>明治|大正|昭和|平成|令和|[明大昭平令]|[MTSHR])"
_ERA_YEAR = r"(?P<ey>\d{1,2}|元)"
_YMD_SEP = r"[./\-]"
_TIME = r"(?:T?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"

_ERA_DATE = (
    re.compile(rf"{_ERA}{_ERA_YEAR}年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日?"),
    re.compile(rf"{_ERA}{_ERA_YEAR}{_YMD_SEP}(?P<m>\d{{1,2}}){_YMD_SEP}(?P<d>\d{{1,2}})"),
    re.compile(rf"{_ERA}(?P<ey>\d{{2}})(?P<m>\d{{2}})(?P<d>\d{{2}})"),
)
_ERA_MONTH = (
    re.compile(rf"{_ERA}{_ERA_YEAR}年(?P<m>\d{{1,2}})月?"),
    re.compile(rf"{_ERA}{_ERA_YEAR}{_YMD_SEP}(?P<m>\d{{1,2}})"),
    re.compile(rf"{_ERA}(?P<ey>\d{{2}})(?P<m>\d{{2}})"),
)
_WESTERN_DATE = (
    re.compile(rf"(?P<y>\d{{4}}){_YMD_SEP}(?P<m>\d{{1,2}}){_YMD_SEP}(?P<d>\d{{1,2}}){_TIME}"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
_WESTERN_MONTH = (
    re.compile(rf"(?P<y>\d{{4}}){_YMD_SEP}(?P<m>\d{{1,2}})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})"),
)
_CODED_DATE = re.compile(r"(?P<code>[1-5])(?P<ey>\d{2})(?P<m>\d{2})(?P<d>\d{2})")
_CODED_MONTH = re.compile(r"(?P<code>[1-5])(?P<ey>\d{2})(?P<m>\d{2})")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")

EXCEL_SERIAL_MIN = 1
EXCEL_SERIAL_MAX = 73050  # 2099-12-31: later serials in a date column are a mistake, not a date
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY = 60  # Excel's 1900-02-29, a day that never existed (Lotus 1-2-3 bug)


def parse_date(value: str | int | float | date) -> date:
    """Read one date in any spelling a clerk meets; `ValueError` with a Japanese message otherwise.

    Strings: ISO (2024-04-01, 2024/4/1), yyyymmdd, 2024年4月1日, 令和6年4月1日, R6.4.1, R06.04.01,
    H300501, 元年, 全角 digits, レセ電 GYYMMDD (5060401) and five-digit Excel serials ("45383").
    Numbers are Excel serials (1900 date system, the fictitious 1900-02-29 rejected).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"「{value}」を日付として読めません")
    if isinstance(value, int | float):
        return _from_excel_serial(value, str(value))
    text = _normalise(value)
    if not text:
        raise ValueError("日付が空欄です")
    for pattern in _ERA_DATE:
        if match := pattern.fullmatch(text):
            return _era_date(match, value)
    for pattern in _WESTERN_DATE:
        if match := pattern.fullmatch(text):
            return _checked_date(int(match["y"]), int(match["m"]), int(match["d"]), value)
    if match := _CODED_DATE.fullmatch(text):
        return _era_date(match, value, _BY_CODE[int(match["code"])])
    if _SERIAL_TEXT.fullmatch(text):
        return _from_excel_serial(float(text), value)
    raise ValueError(f"「{value}」を日付として読めません")


def parse_year_month(value: str | int | date) -> tuple[int, int]:
    """Read a 診療年月 (yyyymm, 2024/4, R6.4, 令和6年4月, GYYMM 50604, or a full date) as (year, month)."""
    if isinstance(value, date):
        return value.year, value.month
    text = _normalise(str(value))
    if not text:
        raise ValueError("年月が空欄です")
    for pattern in _ERA_MONTH:
        if match := pattern.fullmatch(text):
            return _era_month(match, value)
    for pattern in _WESTERN_MONTH:
        if match := pattern.fullmatch(text):
            return _checked_month(int(match["y"]), int(match["m"]), value)
    if match := _CODED_MONTH.fullmatch(text):
        return _era_month(match, value, _BY_CODE[int(match["code"])])
    if not _SERIAL_TEXT.fullmatch(text):
        try:
            day = parse_date(text)
        except ValueError:
            pass
        else:
            return day.year, day.month
    raise ValueError(f"「{value}」を年月として読めません")


def era_of(day: date) -> Era:
    """The era in effect on `day` (ValueError before 明治)."""
    for era in reversed(ERAS):
        if day >= era.start:
            return era
    raise ValueError(f"{day.isoformat()} は明治より前の日付のため和暦にできません")


def format_wareki(day: date, *, style: str = "long") -> str:
    """Print a date in 和暦: style "long" 「令和8年11月22日」 (元年 for year 1), "short" 「R8.11.22」,
    "padded" 「R08.11.22」 (the fixed-width form membership systems export)."""
    era = era_of(day)
    year = day.year - era.start.year + 1
    if style == "long":
        return f"{era.name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    if style == "short":
        return f"{era.letter}{year}.{day.month}.{day.day}"
    if style == "padded":
        return f"{era.letter}{year:02d}.{day.month:02d}.{day.day:02d}"
    raise ValueError(f"unknown wareki style {style!r} (use 'long', 'short' or 'padded')")


def format_fiscal_year(fiscal_year: int) -> str:
    """Print a 年度 (April–March) as 「令和6年度」; FY2019 is 令和元年度 as in official documents.

    The era is the one in effect at the end of the calendar year the 年度 starts in, which gives
    昭和63年度 (1988), 平成元年度 (1989) and 令和元年度 (2019).
    """
    end_of_year = date(fiscal_year, 12, 31)
    era = era_of(end_of_year)
    year = fiscal_year - era.start.year + 1
    return f"{era.name}{'元' if year == 1 else year}年度"


def _normalise(text: str) -> str:
    """NFKC (全角→半角, ㍻→平成) and no spaces: for matching only."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def _era_year(match: re.Match[str], era: Era, original: object) -> int:
    ey = match["ey"]
    year_in_era = 1 if ey == "元" else int(ey)
    if year_in_era < 1:
        raise ValueError(f"「{original}」: {era.name}0年はありません")
    return era.start.year + year_in_era - 1


def _era_date(match: re.Match[str], original: object, era: Era | None = None) -> date:
    era = era or _BY_TOKEN[match["era"]]
    day = _checked_date(_era_year(match, era, original), int(match["m"]), int(match["d"]), original)
    _check_in_era(day, day, era, original)
    return day


def _era_month(match: re.Match[str], original: object, era: Era | None = None) -> tuple[int, int]:
    era = era or _BY_TOKEN[match["era"]]
    year, month = _checked_month(_era_year(match, era, original), int(match["m"]), original)
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    _check_in_era(first, last, era, original)
    return year, month


def _check_in_era(first: date, last: date, era: Era, original: object) -> None:
    """The span [first, last] must touch the era: 平成31年5月1日 and 令和元年4月 do not exist."""
    following = next((e for e in ERAS if e.start > era.start), None)
    if last < era.start:
        raise ValueError(f"「{original}」は{era.name}の始まり（{format_wareki(era.start)}）より前です")
    if following is not None and first >= following.start:
        end = following.start - timedelta(days=1)
        raise ValueError(f"「{original}」は{era.name}の終わり（{format_wareki(end)}）より後です")


def _checked_date(year: int, month: int, day: int, original: object) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"「{original}」は存在しない日付です") from None


def _checked_month(year: int, month: int, original: object) -> tuple[int, int]:
    if not 1 <= month <= 12 or year < 1:
        raise ValueError(f"「{original}」は存在しない年月です")
    return year, month


def _from_excel_serial(serial: float, original: object) -> date:
    """Excel 1900 date system: serial 1 = 1900-01-01, 60 = the fictitious 1900-02-29."""
    if serial != serial or not EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX:
        raise ValueError(f"「{original}」を日付として読めません（Excelの日付の範囲外です）")
    whole = int(serial)
    if whole == _EXCEL_FAKE_LEAP_DAY:
        raise ValueError(f"「{original}」はExcelの存在しない日付（1900年2月29日）です")
    if whole < _EXCEL_FAKE_LEAP_DAY:
        whole += 1
    return _EXCEL_EPOCH + timedelta(days=whole)
