"""The error report (取込エラー一覧) as xlsx: one row per problem, for the clinic that sent the file.

Every issue is written, none summarised away: a summary sheet counts them per file, column and severity,
then the list sheet has ファイル・行・列・値・内容・重要度 per issue (continued on further sheets past Excel's
row limit). The 値 column is the issue's own value (the text as the file has it), else the text found for
its cell in `values`. Written row by row in xlsxwriter's constant-memory mode so 10,000s of issues stay fast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import xlsxwriter

from dhdesk.core.issues import Issue, Severity

HEADERS = ("ファイル", "行", "列", "値", "内容", "重要度")
WIDTHS = (24, 8, 20, 16, 80, 8)
ROWS_PER_SHEET = 1_048_575
"""Excel's row limit less the header row."""

CellKey = tuple[str, int, str]
"""(file, row, column) of the cell an issue points at."""


def write_issues_xlsx(path: str | Path, issues: Sequence[Issue], values: Mapping[CellKey, str] | None = None, *,
                      title: str = "取込エラー・警告一覧", rows_per_sheet: int = ROWS_PER_SHEET) -> Path:
    """Write the summary and every issue to `path` (replaced only once complete); returns `path`.

    `values` maps (file, row, column) to a cell's text for issues that carry no `value` of their own.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    values = values or {}
    with xlsxwriter.Workbook(str(temporary), {"constant_memory": True}) as book:
        formats = _Formats(book)
        _summary(book.add_worksheet("集計"), formats, title, issues)
        chunks = range(0, max(len(issues), 1), rows_per_sheet)
        for number, start in enumerate(chunks, start=1):
            name = "一覧" if number == 1 else f"一覧_{number}"
            _list(book.add_worksheet(name), formats, issues[start:start + rows_per_sheet], values)
    temporary.replace(path)
    return path


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.error = book.add_format({"font_color": "#C00000", "bold": True})
        self.warning = book.add_format({"font_color": "#9C5700"})
        self.count = book.add_format({"num_format": "#,##0"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})


def _summary(sheet, formats: _Formats, title: str, issues: Sequence[Issue]) -> None:
    """Totals, then counts per (file, column, severity) with the first row, most frequent first."""
    errors = sum(i.severity is Severity.ERROR for i in issues)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 20)
    sheet.set_column(2, 4, 10)
    sheet.write_string(0, 0, title, formats.title)
    sheet.write_string(1, 0, f"作成 {datetime.now():%Y-%m-%d %H:%M}")
    sheet.write_string(3, 0, "エラー（取り込まれない行）")
    sheet.write_number(3, 1, errors, formats.count)
    sheet.write_string(4, 0, "警告（取り込まれ、確認が必要）")
    sheet.write_number(4, 1, len(issues) - errors, formats.count)
    sheet.write_string(5, 0, "合計")
    sheet.write_number(5, 1, len(issues), formats.count)
    counts: Counter[tuple[str, str, Severity]] = Counter()
    first_row: dict[tuple[str, str, Severity], int] = {}
    for issue in issues:
        key = (issue.source, issue.column or "（ファイル全体）", issue.severity)
        counts[key] += 1
        if issue.row is not None and key not in first_row:
            first_row[key] = issue.row
    sheet.write_row(7, 0, ("ファイル", "列", "重要度", "件数", "最初の行"), formats.header)
    ordered = sorted(counts.items(), key=lambda item: (item[0][0], item[0][2] is not Severity.ERROR, -item[1]))
    for row, ((source, column, severity), count) in enumerate(ordered, start=8):
        sheet.write_string(row, 0, source)
        sheet.write_string(row, 1, column)
        sheet.write_string(row, 2, severity.value, _severity_format(formats, severity))
        sheet.write_number(row, 3, count, formats.count)
        if (source, column, severity) in first_row:
            sheet.write_number(row, 4, first_row[(source, column, severity)])


def _list(sheet, formats: _Formats, issues: Sequence[Issue], values: Mapping[CellKey, str]) -> None:
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width, formats.wrap if HEADERS[column] == "内容" else None)
    sheet.write_row(0, 0, HEADERS, formats.header)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(issues), 1), len(HEADERS) - 1)
    for row, issue in enumerate(issues, start=1):
        sheet.write_string(row, 0, issue.source)
        if issue.row is not None:
            sheet.write_number(row, 1, issue.row)
        if issue.column:
            sheet.write_string(row, 2, issue.column)
        value = _value(issue, values)
        if value is not None:
            sheet.write_string(row, 3, value)
        sheet.write_string(row, 4, issue.message)
        sheet.write_string(row, 5, issue.severity.value, _severity_format(formats, issue.severity))


def _value(issue: Issue, values: Mapping[CellKey, str]) -> str | None:
    if issue.value is not None:
        return issue.value
    if issue.row is None or not issue.column:
        return None
    return values.get((issue.source, issue.row, issue.column))


def _severity_format(formats: _Formats, severity: Severity) -> object:
    return formats.error if severity is Severity.ERROR else formats.warning
