"""Analysis tables to xlsx: one sheet per table with its title, the table and its notes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

from dhdesk.core.analyses import AnalysisTable

SHEET_NAME_LIMIT = 31
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def write_tables(tables: Sequence[AnalysisTable], path: Path, *, heading: str = "") -> Path:
    """Write every table to its own sheet (named by its key) after a contents sheet; returns `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with xlsxwriter.Workbook(str(temporary), {"nan_inf_to_errors": True}) as book:
        formats = _Formats(book)
        names = _sheet_names([t.key for t in tables])
        _contents(book, formats, heading, tables, names)
        for table, name in zip(tables, names, strict=True):
            _sheet(book.add_worksheet(name), formats, table)
    temporary.replace(path)
    return path


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                       "valign": "vcenter"})
        self.text = book.add_format({"border": 1})
        self.integer = book.add_format({"border": 1, "num_format": "#,##0"})
        self.decimal = book.add_format({"border": 1, "num_format": "#,##0.0"})
        self.note = book.add_format({"font_color": "#404040"})


def _sheet_names(keys: Sequence[str]) -> list[str]:
    names: list[str] = []
    for key in keys:
        base = key.translate(_FORBIDDEN)[:SHEET_NAME_LIMIT]
        name, n = base, 2
        while name.lower() in (x.lower() for x in names) or name.lower() == "目次":
            suffix = f"_{n}"
            name, n = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, n + 1
        names.append(name)
    return names


def _contents(book, formats: _Formats, heading: str, tables: Sequence[AnalysisTable], names: list[str]) -> None:
    sheet = book.add_worksheet("目次")
    sheet.write_string(0, 0, heading or "分析表", formats.title)
    sheet.write_row(2, 0, ["シート", "表", "計画書の節"], formats.header)
    for row, (table, name) in enumerate(zip(tables, names, strict=True), start=3):
        sheet.write_url(row, 0, f"internal:'{name}'!A1", string=name)
        sheet.write_string(row, 1, table.title)
        sheet.write_string(row, 2, table.seed_section)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 2, 14)


def _sheet(sheet, formats: _Formats, table: AnalysisTable) -> None:
    sheet.write_string(0, 0, table.title, formats.title)
    frame = table.table
    header_row = 2
    for column, label in enumerate(frame.columns):
        sheet.write_string(header_row, column, str(label), formats.header)
        values = frame.iloc[:, column]
        for offset, value in enumerate(values.tolist(), start=1):
            _cell(sheet, header_row + offset, column, value, formats)
        width = max([len(str(label))] + [len(str(v)) for v in values.head(200).tolist()]) * 1.6 + 2
        sheet.set_column(column, column, min(max(width, 8), 60))
    sheet.freeze_panes(header_row + 1, 1)
    for offset, note in enumerate(table.notes, start=len(frame) + header_row + 2):
        sheet.write_string(offset, 0, f"※ {note}", formats.note)


def _cell(sheet, row: int, column: int, value: object, formats: _Formats) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        sheet.write_blank(row, column, None, formats.text)
    elif isinstance(value, bool):
        sheet.write_string(row, column, "○" if value else "", formats.text)
    elif isinstance(value, int):
        sheet.write_number(row, column, value, formats.integer)
    elif isinstance(value, float):
        sheet.write_number(row, column, value, formats.decimal)
    else:
        sheet.write_string(row, column, str(value), formats.text)
