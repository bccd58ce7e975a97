"""Canonical files (標準レイアウト) to typed frames, with every problem reported as an Issue.

`read_canonical` reads any table file through a column mapping into the typed-frame convention and returns
all rows plus the issues; the calling service decides whether a file with errors is refused or its valid
rows imported. `write_canonical_template` writes the header-and-example file a clerk downloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import xlsxwriter

from dhdesk.core.fields import Field, Kind, Layout, pandas_dtype
from dhdesk.core.issues import Issue, Severity
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.io.columns import ColumnMapping, auto_map
from dhdesk.io.tabular import CHUNK_ROWS, RawTable, UnreadableFile, read_table, read_table_chunks
from dhdesk.io.values import blank_column, convert, format_column

SOURCE_ROW = "source_row"
"""Extra column of every frame read from a file: the row number the clerk sees in that file."""

SUBSTITUTE_CHAR = "〓"
"""What membership systems write for a character their encoding lacks (外字): the name must be checked."""


def empty_frame(layout: Layout) -> pd.DataFrame:
    """A typed frame with no rows: the layout's columns plus `source_row`."""
    index = pd.RangeIndex(0)
    columns = {f.name: blank_column(f, index) for f in layout.fields}
    return pd.DataFrame({**columns, SOURCE_ROW: pd.Series(index=index, dtype="int64")})


def read_canonical(path: str | Path, layout: Layout, *, mapping: ColumnMapping | None = None,
                   sheet: str | None = None, progress: ProgressFn = no_progress) -> tuple[pd.DataFrame, list[Issue]]:
    """Read `path` as `layout`: the typed frame of all its rows (+ `source_row`) and every problem.

    Without `mapping` the headers are auto-mapped. A file that cannot be read at all gives an empty frame and
    one error. Unreadable cells become missing values with an error; blank required cells an error; columns
    nobody reads a warning.
    """
    path = Path(path)
    progress(0.0, f"{path.name} を読み込んでいます")
    try:
        raw = read_table(path, sheet=sheet, layout=layout)
    except UnreadableFile as error:
        return empty_frame(layout), [Issue(path.name, None, None, "unreadable_file", str(error))]
    if mapping is None:
        mapping = auto_map(raw.headers, layout)
    elif mapping.layout.key != layout.key:
        raise ValueError(f"mapping is for {mapping.layout.key}, not {layout.key}")
    progress(0.5, f"{path.name} の値を確認しています")
    frame, issues = typed_frame(raw, layout, mapping, progress)
    progress(1.0, f"{path.name}: {len(frame)}行")
    return frame, issues


def read_canonical_chunks(path: str | Path, layout: Layout, *, mapping: ColumnMapping | None = None,
                          chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[pd.DataFrame, list[Issue]]]:
    """`read_canonical` chunk by chunk (large claims files): each typed frame with its rows' issues.

    The first chunk also carries the issues about the file as a whole (unreadable, missing and unused
    columns); the headers of the first chunk choose the mapping when none is given.
    """
    path = Path(path)
    chunks = read_table_chunks(path, layout=layout, chunk_rows=chunk_rows)
    try:
        first = next(chunks)
    except UnreadableFile as error:
        yield empty_frame(layout), [Issue(path.name, None, None, "unreadable_file", str(error))]
        return
    if mapping is None:
        mapping = auto_map(first.headers, layout)
    yield typed_frame(first, layout, mapping)
    try:
        for raw in chunks:
            yield _typed_rows(raw, layout, mapping)
    except UnreadableFile as error:
        yield empty_frame(layout), [Issue(path.name, None, None, "unreadable_file", str(error))]


def typed_frame(raw: RawTable, layout: Layout, mapping: ColumnMapping,
                progress: ProgressFn = no_progress) -> tuple[pd.DataFrame, list[Issue]]:
    """Convert an already read table (for readers that clean cells of a known format first)."""
    issues = [
        Issue(raw.source, None, header, "unused_column", f"列「{header}」は使いません（対応する項目がありません）",
              Severity.WARNING)
        for header in mapping.unmapped if header in raw.data
    ]
    issues += [
        Issue(raw.source, None, field.label, "missing_column", f"必須の列「{field.label}」がありません")
        for field in layout.fields
        if field.required and (mapping.header_of(field.name) is None or mapping.header_of(field.name) not in raw.data)
    ]
    frame, row_issues = _typed_rows(raw, layout, mapping, progress)
    return frame, issues + row_issues


def _typed_rows(raw: RawTable, layout: Layout, mapping: ColumnMapping,
                progress: ProgressFn = no_progress) -> tuple[pd.DataFrame, list[Issue]]:
    """The typed frame (+ `source_row`) and the issues of its cells, sorted by row."""
    index = raw.data.index
    issues: list[Issue] = []
    columns: dict[str, pd.Series] = {}
    for position, field in enumerate(layout.fields):
        header = mapping.header_of(field.name)
        if header is None or header not in raw.data:
            columns[field.name] = blank_column(field, index)
        else:
            columns[field.name] = _read_column(raw, field, header, issues)
        progress(0.5 + 0.5 * (position + 1) / len(layout.fields), f"{field.label} を確認しています")
    frame = pd.DataFrame(columns, index=index)
    frame[SOURCE_ROW] = index.to_numpy(dtype="int64")
    issues.sort(key=lambda i: i.row or 0)
    return frame.reset_index(drop=True), issues


def _read_column(raw: RawTable, field: Field, header: str, issues: list[Issue]) -> pd.Series:
    """Convert one column, adding an issue per unreadable cell, blank required cell and 〓 in text."""
    cells = raw.data[header]
    converted = convert(cells, field)
    for row, reason in converted.errors.items():
        issues.append(Issue(raw.source, int(row), header, "invalid_value", f"{field.label}{reason}",
                            value=_cell_text(cells[row])))
    if field.required:
        blank = converted.values.isna() & ~converted.values.index.isin(converted.errors.index)
        for row in blank[blank].index:
            issues.append(Issue(raw.source, int(row), header, "required_blank", f"必須項目「{field.label}」が空欄です"))
    if pandas_dtype(field) == "string":
        substituted = converted.values.str.contains(SUBSTITUTE_CHAR, regex=False).fillna(False)
        for row in substituted[substituted].index:
            message = (f"{field.label}「{converted.values[row]}」に代用文字「{SUBSTITUTE_CHAR}」があります"
                       "（元の文字を確認してください）")
            issues.append(Issue(raw.source, int(row), header, "substitute_char", message, Severity.WARNING,
                                _cell_text(cells[row])))
    return converted.values


def _cell_text(cell: object) -> str | None:
    """The cell as the file has it, for the report the clinic reads."""
    return None if pd.isna(cell) else str(cell)


_EXAMPLES: dict[str, dict[str, object]] = {
    "members": {
        "member_id": "00012345", "kigo": "12", "bango": "3456", "edaban": "00", "name": "山田 太郎",
        "name_kana": "ヤマダ タロウ", "sex": 1, "birth_date": "1975-04-01", "relation": 1, "insured_id": "00012345",
        "shikaku_kubun": "1", "office": "みなと市役所", "postal_code": "460-0001", "address1": "愛知県名古屋市中区三の丸1-1-1",
        "address2": "三の丸ハイツ101", "phone": "052-000-0000", "acquired_date": "2010-04-01", "no_mail": 2,
    },
    "checkups": {
        "member_id": "00012345", "sex": 1, "birth_date": "1975-04-01", "exam_date": "2024-05-20", "clinic": "みなと健診センター",
        "height": 170.2, "weight": 68.5, "bmi": 23.6, "waist": 85.5, "sbp": 128, "dbp": 82, "blood_timing": 2,
        "tg_fasting": 120, "hdl": 55, "ldl": 128, "non_hdl": 150, "fbg": 98, "hba1c": 5.6, "ast": 22, "alt": 25,
        "ggt": 30, "creatinine": 0.85, "egfr": 78.5, "urine_glucose": "1", "urine_protein": "1", "hb": 14.5,
        "hematocrit": 43.0, "rbc": 480, "ecg": 2, "history": 2, "symptoms": 2, "signs": 2,
        "doctor_judgement": "異常なし", "clinic_level": "3", "clinic_metabo": "3",
    },
    "receipts": {
        "receipt_id": "R000001", "member_id": "00012345", "service_month": "202405", "claim_type": 2,
        "receipt_kind": "1112", "facility_code": "2311234567", "facility_name": "みなと内科クリニック", "days": 1,
        "points": 850, "public_expense": 2,
    },
    "diagnoses": {
        "receipt_id": "R000001", "disease_code": "8833421", "disease_name": "高血圧症", "icd10": "I10",
        "start_date": "2020-06-01", "is_main": 1, "is_suspected": 2,
    },
    "drug_lines": {
        "receipt_id": "R000001", "drug_code": "610406079", "yj_code": "2325003B2029", "drug_name": "ガスター散２％",
        "quantity": 1, "days": 14, "points": 2, "dispensed_date": "2024-05-20",
    },
    "procedures": {
        "receipt_id": "R000001", "procedure_code": "111000110", "procedure_name": "初診料", "points": 291, "times": 1,
    },
    "drug_master": {
        "yj_code": "2325003B2029", "receipt_code": "610406079", "category": "内用薬", "ingredient": "ファモチジン",
        "strength": "２％１ｇ", "product_name": "ガスター散２％", "maker": "ＬＴＬファーマ", "price": 15.1,
        "generic_info": "2", "transition_until": None,
    },
}
"""One example row per layout for the downloadable templates; drug, procedure and disease codes are real
(MHLW 薬価基準 2025-07, 支払基金 基本マスター)."""


def template_frame(layout: Layout) -> pd.DataFrame:
    """The template's single example row as canonical cell text (header = labels)."""
    examples = _EXAMPLES.get(layout.key, {})
    row: dict[str, str] = {}
    for field in layout.fields:
        value = examples.get(field.name)
        if value is None and field.choices:
            value = field.choices[0].code
        if value is None:
            row[field.label] = ""
            continue
        typed = pd.Series([value])
        if field.kind is Kind.DATE:
            typed = pd.to_datetime(typed)
        row[field.label] = format_column(typed.astype(pandas_dtype(field)), field).iloc[0]
    return pd.DataFrame([row])


def write_canonical_template(layout: Layout, path: str | Path) -> None:
    """Write the header row and one example row (.xlsx or .csv, UTF-8 with BOM so Excel opens it)."""
    path = Path(path)
    frame = template_frame(layout)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    elif path.suffix.lower() == ".xlsx":
        _write_template_xlsx(frame, layout, path)
    else:
        raise ValueError(f"template must be .xlsx or .csv, not {path.suffix!r}")


def _write_template_xlsx(frame: pd.DataFrame, layout: Layout, path: Path) -> None:
    """Text columns are formatted as text (@) so IDs typed by the clerk keep their leading zeros."""
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet(layout.label)
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        as_text = book.add_format({"num_format": "@"})
        for column, field in enumerate(layout.fields):
            width = max(10, min(40, 2 * len(field.label) + 2))
            sheet.set_column(column, column, width, as_text if pandas_dtype(field) == "string" else None)
            sheet.write_string(0, column, field.label, bold)
            sheet.write_string(1, column, frame.iloc[0, column])
            if field.note:
                sheet.write_comment(0, column, field.note)
        sheet.freeze_panes(1, 0)
