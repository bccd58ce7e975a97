"""The reviewed target list (対象者一覧) as xlsx: the members, the conditions it was made with, per-line details.

Content is decided upstream (services): this module only lays out the frames it is given. Every text
cell is written as text, so 加入者番号 and 利用券番号 keep their leading zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

MEMBERS_SHEET = "対象者"
CONDITIONS_SHEET = "抽出条件"
DETAIL_SHEET = "明細"


def write_targets_xlsx(
    path: Path,
    *,
    members: pd.DataFrame,
    conditions: Sequence[tuple[str, str]],
    parameters: pd.DataFrame,
    funnel: Sequence[tuple[str, int]],
    detail_lines: pd.DataFrame | None = None,
) -> Path:
    """Write the list (one row per member, headers as given), its 抽出条件 and, when given, the 明細 sheet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with xlsxwriter.Workbook(str(temporary), {"nan_inf_to_errors": True}) as book:
        formats = _Formats(book)
        _table(book.add_worksheet(MEMBERS_SHEET), formats, members, top=0, freeze=True)
        _conditions(book.add_worksheet(CONDITIONS_SHEET), formats, conditions, parameters, funnel)
        if detail_lines is not None:
            _table(book.add_worksheet(DETAIL_SHEET), formats, detail_lines, top=0, freeze=True)
    temporary.replace(path)
    return path


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 12})
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                       "valign": "vcenter"})
        self.text = book.add_format({"valign": "top"})
        self.integer = book.add_format({"valign": "top", "num_format": "#,##0"})
        self.decimal = book.add_format({"valign": "top", "num_format": "#,##0.0#"})


def _conditions(sheet, formats: _Formats, conditions: Sequence[tuple[str, str]], parameters: pd.DataFrame,
                funnel: Sequence[tuple[str, int]]) -> None:
    row = 0
    sheet.write_string(row, 0, "抽出の条件", formats.title)
    for offset, (label, value) in enumerate(conditions, start=1):
        sheet.write_string(row + offset, 0, label, formats.header)
        sheet.write_string(row + offset, 1, value, formats.text)
    row += len(conditions) + 2
    sheet.write_string(row, 0, "設定値", formats.title)
    row = _table(sheet, formats, parameters, top=row + 1, freeze=False) + 1
    sheet.write_string(row, 0, "絞り込みの経過", formats.title)
    steps = pd.DataFrame({"段階": [label for label, _ in funnel], "人数": [int(n) for _, n in funnel]})
    _table(sheet, formats, steps, top=row + 1, freeze=False)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 6, 18)


def _table(sheet, formats: _Formats, frame: pd.DataFrame, *, top: int, freeze: bool) -> int:
    """Write `frame` with its header at row `top`; returns the first row after it."""
    for column, label in enumerate(frame.columns):
        sheet.write_string(top, column, str(label), formats.header)
        values = frame.iloc[:, column].tolist()
        for offset, value in enumerate(values, start=1):
            _cell(sheet, top + offset, column, value, formats)
        if freeze:
            width = max([len(str(label))] + [len(str(v)) for v in values[:200]]) * 1.6 + 2
            sheet.set_column(column, column, min(max(width, 8), 60))
    if freeze:
        sheet.freeze_panes(top + 1, 1)
        if len(frame.columns):
            sheet.autofilter(top, 0, top + len(frame), len(frame.columns) - 1)
    return top + len(frame) + 1


def _cell(sheet, row: int, column: int, value: object, formats: _Formats) -> None:
    """One cell, text as text; blanks are left unwritten (a list of 100k members has many)."""
    if isinstance(value, str):
        if value:
            sheet.write_string(row, column, value, formats.text)
    elif isinstance(value, bool):
        if value:
            sheet.write_string(row, column, "○", formats.text)
    elif isinstance(value, int):
        sheet.write_number(row, column, value, formats.integer)
    elif isinstance(value, float):
        if value == value:
            sheet.write_number(row, column, value, formats.decimal)
    elif isinstance(value, (list, tuple)):
        if value:
            sheet.write_string(row, column, "／".join(str(v) for v in value), formats.text)
    elif isinstance(value, pd.Timestamp):
        sheet.write_string(row, column, f"{value:%Y-%m-%d}", formats.text)
    elif value is not None and not pd.isna(value):
        sheet.write_string(row, column, str(value), formats.text)
