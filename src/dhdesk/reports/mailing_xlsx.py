"""The mailing list as xlsx (発送リスト): one sheet, every cell written as text, problems highlighted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from dhdesk.core.letters.mailing import CHECK_COLUMN

SHEET_NAME = "発送リスト"


def write_mailing(rows: pd.DataFrame, path: Path, *, title: str = "") -> Path:
    """Write `rows` (from `core.letters.mailing.mailing_rows`) to `path`; returns `path`.

    Cells are strings (`write_string`), so Excel never turns 00012345 into 12345 or 460-0001 into a date.
    Rows whose 住所確認 is not blank are filled yellow. The file appears only when complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with xlsxwriter.Workbook(str(temporary), {"strings_to_numbers": False}) as book:
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter"})
        text = book.add_format({"border": 1, "num_format": "@"})
        flagged = book.add_format({"border": 1, "num_format": "@", "bg_color": "#FFF2CC"})
        sheet = book.add_worksheet(SHEET_NAME)
        first = 0
        if title:
            sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
            first = 2
        sheet.write_row(first, 0, list(rows.columns), header)
        problems = rows[CHECK_COLUMN].fillna("").ne("").tolist() if CHECK_COLUMN in rows else [False] * len(rows)
        for offset, (values, problem) in enumerate(zip(rows.itertuples(index=False), problems, strict=True), 1):
            style = flagged if problem else text
            for column, value in enumerate(values):
                sheet.write_string(first + offset, column, "" if pd.isna(value) else str(value), style)
        for column, label in enumerate(rows.columns):
            sample = rows.iloc[:200, column].fillna("").map(len)
            width = max(len(str(label)), int(sample.max()) if len(sample) else 0) * 1.8 + 2
            sheet.set_column(column, column, min(max(width, 8), 60), text)
        sheet.freeze_panes(first + 1, 0)
        sheet.autofilter(first, 0, first + len(rows), max(len(rows.columns) - 1, 0))
    temporary.replace(path)
    return path
