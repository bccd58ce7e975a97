"""Reading any table a clerk receives (表形式ファイル): CSV/TSV/TXT and Excel, every cell as text.

Offices send cp932 CSV from membership systems, UTF-8 from web tools and Excel books with title rows
above the header. This module finds the encoding, the delimiter, the sheet and the header row, and hands
back every cell as the text the clerk sees: IDs keep their leading zeros, whole Excel numbers read "85"
(not "85.0"), Excel dates read as ISO text. Each data row keeps the row number the clerk sees in Excel,
so a problem report points at the right line. What the text means is decided later (values.py).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from dhdesk.core.fields import Layout
from dhdesk.io.columns import match_count
from dhdesk.io.values import number_text

HEADER_SCAN_ROWS = 30
"""How far down title rows may push the header row."""

CHUNK_ROWS = 200_000
"""Rows per chunk of `read_table_chunks`: a few tens of MB of text however large the file."""

_SAMPLE_CHARS = 256 * 1024
_DELIMITERS = (",", "\t", ";", "|")
_NUMERIC = re.compile(r"[\d\s.,/:+\-年月日]+")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_BLOCK_BYTES = 1 << 20


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a table; the message is Japanese, for the clerk."""


@dataclass(frozen=True)
class RawTable:
    """A file's table as text: one "string" column per header, NA for blank cells.

    `data.index` holds the 1-based row number of each row as the clerk sees it (Excel row, or the
    record number of a CSV opened in Excel); rows with no text at all are dropped.
    """

    source: str
    headers: tuple[str, ...]
    data: pd.DataFrame
    header_row: int
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def row_numbers(self) -> np.ndarray:
        return self.data.index.to_numpy()


def read_table(path: str | Path, *, sheet: str | None = None, layout: Layout | None = None) -> RawTable:
    """Read a .csv/.tsv/.txt/.xlsx/.xls file; `layout` (when known) picks the sheet and header row
    whose headers feed the most fields. Raises `UnreadableFile` for a file that is not a table."""
    path = Path(path)
    if _is_workbook(path):
        return _read_workbook(path, sheet, layout)
    return _read_text(path, layout)


def read_table_chunks(path: str | Path, *, layout: Layout | None = None,
                      chunk_rows: int = CHUNK_ROWS) -> Iterator[RawTable]:
    """`read_table` in pieces of at most `chunk_rows` rows, for files too large to hold as text at once.

    Every chunk has the first chunk's headers (an unnamed column is kept when the first chunk has text in
    it) and the file's own row numbers. A text file is decoded as it is read; a workbook is read whole and
    then cut. A CSV whose rows turn out wider than its header row is read again whole (as `read_table`
    does) and the rows not yet given follow. Raises `UnreadableFile` like `read_table`.
    """
    path = Path(path)
    if _is_workbook(path):
        yield from _cut(read_table(path, layout=layout), chunk_rows)
        return
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as stream:
        sample_text = stream.read(_SAMPLE_CHARS)
    delimiter = _sniff_delimiter(sample_text, path.suffix.lower())
    sample, lines_before = _sample_records(sample_text, delimiter)
    if not any(any(c.strip() for c in row) for row in sample):
        raise UnreadableFile(f"「{path.name}」に表がありません（空のファイルです）")
    header_index, _ = _find_header(sample, layout)
    details = {"encoding": encoding, "delimiter": delimiter}
    first: RawTable | None = None
    given = 0  # the last file row number handed out
    with path.open(encoding=encoding, newline="") as stream:
        for _ in range(lines_before[header_index]):
            stream.readline()
        reader = pd.read_csv(stream, sep=delimiter, header=None, dtype="string", keep_default_na=False,
                             na_values=[""], skip_blank_lines=False, engine="c", chunksize=chunk_rows)
        try:
            for records in reader:
                if first is None:
                    header_cells = list(records.iloc[0].fillna(""))
                    records = records.iloc[1:]
                numbers = header_index + 1 + records.index.to_numpy()
                texts = {i: records[col].reset_index(drop=True) for i, col in enumerate(records.columns)}
                table = _finish(path, header_cells, texts, numbers, header_index + 1, keep=first, **details)
                first = first or table
                given = int(numbers[-1]) if len(numbers) else given
                yield table
        except (pd.errors.ParserError, ValueError):
            whole = read_table(path, layout=layout)
            headers = first.headers if first is not None else whole.headers
            rest = whole.data[whole.data.index > given].reindex(columns=list(headers))
            yield from _cut(RawTable(whole.source, headers, rest, whole.header_row, **details), chunk_rows)


def sheet_names(path: str | Path) -> list[str]:
    """The visible sheets of a workbook (empty for a text file)."""
    path = Path(path)
    return list(_visible_sheets(_open_workbook(path))) if _is_workbook(path) else []


def cell_text(value: object) -> str:
    """One Excel cell as the text the clerk sees: 85.0 → "85", dates → ISO, 0.1+0.2 → "0.3"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _is_workbook(path: Path) -> bool:
    """Excel by content, not name: clinics send .xls books renamed .csv and the reverse."""
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except OSError as error:
        raise UnreadableFile(f"ファイル「{path.name}」を開けません（{error.strerror}）") from None
    return head.startswith((_ZIP_MAGIC, _OLE_MAGIC)) or (not head and path.suffix.lower() in _WORKBOOK_SUFFIXES)


def _open_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise UnreadableFile(f"Excelファイル「{path.name}」を読めません（{error}）") from None


def _read_workbook(path: Path, sheet: str | None, layout: Layout | None) -> RawTable:
    book = _open_workbook(path)
    names = _visible_sheets(book)
    if sheet is not None and sheet not in book.sheet_names:
        raise UnreadableFile(f"「{path.name}」にシート「{sheet}」がありません（{'、'.join(names)}）")
    candidates = [sheet] if sheet is not None else list(names)
    best: tuple[int, str, int, CalamineSheet] | None = None
    for name in candidates:
        loaded = _load_sheet(book, name)
        head = loaded.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
        sample = [[cell_text(v) for v in row] for row in head]
        if not any(any(c.strip() for c in row) for row in sample):
            continue
        index, score = _find_header(sample, layout)
        if best is None or score > best[0]:
            best = (score, name, index, loaded)
    if best is None:
        raise UnreadableFile(f"「{path.name}」に表がありません（すべてのシートが空です）")
    _, name, header_index, loaded = best
    rows = loaded.to_python(skip_empty_area=False)  # from A1: index = Excel row − 1
    width = max(len(r) for r in rows)
    header_cells = [cell_text(v) for v in rows[header_index]] + [""] * (width - len(rows[header_index]))
    body = rows[header_index + 1:]
    columns = list(zip_longest(*body, fillvalue="")) if body else [() for _ in range(width)]
    texts = {i: _column_text(col) for i, col in enumerate(columns)}
    numbers = np.arange(header_index + 2, header_index + 2 + len(body))
    return _finish(path, header_cells, texts, numbers, header_index + 1, sheet=name, sheets=names)


def _visible_sheets(book: CalamineWorkbook) -> tuple[str, ...]:
    """Worksheets the clerk can see (hidden helper sheets and chart sheets are not tables)."""
    return tuple(
        m.name for m in book.sheets_metadata
        if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
    )


def _load_sheet(book: CalamineWorkbook, name: str) -> CalamineSheet:
    """Parse one sheet (the costly step: each sheet is parsed once)."""
    try:
        return book.get_sheet_by_name(name)
    except (CalamineError, ValueError) as error:
        raise UnreadableFile(f"シート「{name}」を読めません（{error}）") from None


def _column_text(column: Sequence[object]) -> pd.Series:
    """A column of Excel cell values as text, converting each distinct value once."""
    codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    texts = [cell_text(v) for v in uniques]
    table = pd.array([t if t != "" else None for t in texts] + [None], dtype="string")
    return pd.Series(table.take(codes))  # code −1 (a missing cell) takes the trailing None


def _read_text(path: Path, layout: Layout | None) -> RawTable:
    text, encoding = _decode(path)
    sample_text = text[:_SAMPLE_CHARS]
    delimiter = _sniff_delimiter(sample_text, path.suffix.lower())
    sample, lines_before = _sample_records(sample_text, delimiter)
    if not any(any(c.strip() for c in row) for row in sample):
        raise UnreadableFile(f"「{path.name}」に表がありません（空のファイルです）")
    header_index, _ = _find_header(sample, layout)
    start = _offset_after_lines(sample_text, lines_before[header_index])
    records = _parse_records(text[start:], delimiter)
    header_cells = list(records.iloc[0].fillna(""))
    body = records.iloc[1:]
    texts = {i: body[col].reset_index(drop=True) for i, col in enumerate(records.columns)}
    numbers = np.arange(header_index + 2, header_index + 2 + len(body))
    return _finish(path, header_cells, texts, numbers, header_index + 1, encoding=encoding, delimiter=delimiter)


def _cut(table: RawTable, chunk_rows: int) -> Iterator[RawTable]:
    """A table already read, as chunks of `chunk_rows` rows (at least one chunk, even when empty)."""
    for start in range(0, max(len(table.data), 1), chunk_rows):
        yield RawTable(table.source, table.headers, table.data.iloc[start:start + chunk_rows], table.header_row,
                       table.sheet, table.sheets, table.encoding, table.delimiter)


def _detect_encoding(path: Path) -> str:
    """`_decode`'s choice of encoding, made block by block so a large file is never held whole."""
    with path.open("rb") as stream:
        head = stream.read(3)
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        for encoding in ("utf-8", "cp932"):
            stream.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while block := stream.read(_BLOCK_BYTES):
                    if b"\x00" in block:
                        raise UnreadableFile(f"「{path.name}」は表のファイルではありません（バイナリデータです）")
                    decoder.decode(block)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                continue
    raise UnreadableFile(f"「{path.name}」の文字コードを判別できません（UTF-8 でも Shift_JIS(cp932) でもありません）")


def _decode(path: Path) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel 'Unicode text'), else cp932; never shift_jis,
    which fails on 髙, 﨑 and the other NEC/IBM extension characters Japanese Windows writes."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data, candidates = data[3:], ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    elif b"\x00" in data:
        raise UnreadableFile(f"「{path.name}」は表のファイルではありません（バイナリデータです）")
    else:
        candidates = ("utf-8", "cp932")
    for encoding in candidates:
        try:
            return data.decode(encoding.removesuffix("-sig")), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"「{path.name}」の文字コードを判別できません（UTF-8 でも Shift_JIS(cp932) でもありません）")


def _sniff_delimiter(sample: str, suffix: str) -> str:
    """The delimiter that splits the most sample records into one same width (> 1 field), then the widest.

    Consistency comes first: a tab inside one comma-separated cell must not win over the comma.
    """
    best, best_key = ("\t" if suffix == ".tsv" else ","), (0, 0)
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            widths = [len(r) for r, _ in zip(reader, range(50)) if len(r) > 1]
        except csv.Error:
            continue
        if not widths:
            continue
        modal = max(set(widths), key=lambda w: (widths.count(w), w))
        key = (widths.count(modal), modal)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _sample_records(sample: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The first records and, for each, how many physical lines precede it (quoted newlines count)."""
    cut = sample.rfind("\n") + 1 if len(sample) == _SAMPLE_CHARS else len(sample)
    reader = csv.reader(io.StringIO(sample[:cut], newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    lines_before: list[int] = []
    try:
        while len(records) < HEADER_SCAN_ROWS:
            consumed = reader.line_num
            records.append(next(reader))
            lines_before.append(consumed)
    except (StopIteration, csv.Error):
        pass
    return records, lines_before


def _offset_after_lines(text: str, lines: int) -> int:
    """Where line `lines` starts, counting lines as the csv module does (\n, \r\n and a lone \r)."""
    stream = io.StringIO(text, newline="")
    return sum(len(stream.readline()) for _ in range(lines))


def _parse_records(text: str, delimiter: str) -> pd.DataFrame:
    """All records from the header row on, as string columns; blank lines kept (they are Excel rows).

    pandas' C parser is fast but refuses rows wider than the header row; such files go through the csv module.
    """
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype="string", keep_default_na=False,
                           na_values=[""], skip_blank_lines=False, engine="c")
    except (pd.errors.ParserError, ValueError):
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as error:
            raise UnreadableFile(f"CSVの形式が壊れています（{error}）") from None
        width = max(len(r) for r in rows)
        padded = [r + [""] * (width - len(r)) for r in rows]
        frame = pd.DataFrame(padded, dtype="string")
        return frame.mask(frame == "")


def _find_header(sample: list[list[str]], layout: Layout | None) -> tuple[int, int]:
    """(index of the header row in `sample`, how many fields it feeds).

    With a layout: the row whose headers feed the most fields (at least 2). Otherwise, or when no row
    does: the first row filled at least 60% as wide as the widest row and mostly words, not numbers or
    dates (title rows have one cell; 「作成日, 2024/5/1」 is half numbers).
    """
    cells = [[c.strip() for c in row] for row in sample]
    if layout is not None:
        scores = [match_count(row, layout) for row in cells]
        best = max(scores, default=0)
        if best >= min(2, len(layout.fields)):
            return scores.index(best), best
    filled = [[c for c in row if c] for row in cells]
    widest = max((len(row) for row in filled), default=0)
    threshold = max(min(2, widest), math.ceil(0.6 * widest), 1)
    wide = [index for index, row in enumerate(filled) if len(row) >= threshold]
    for index in wide:
        if 2 * sum(bool(_NUMERIC.fullmatch(c)) for c in filled[index]) < len(filled[index]):
            return index, 0
    return (wide[0] if wide else 0), 0


def _unique_headers(cells: Sequence[str]) -> list[str]:
    """Header text as written (line breaks as spaces); blank → 「E列」, repeats → 「備考（F列）」."""
    headers: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(cells):
        text = " ".join(str(raw).split()) if raw is not None else ""
        letter = _column_letter(position)
        if not text:
            text = f"{letter}列"
        elif text in seen:
            text = f"{text}（{letter}列）"
        seen.add(text)
        headers.append(text)
    return headers


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _finish(path: Path, header_cells: list[str], texts: dict[int, pd.Series], numbers: np.ndarray,
            header_row: int, keep: RawTable | None = None, **details: object) -> RawTable:
    """Name the columns, index rows by their file row number, drop empty rows and unnamed empty columns
    (or, for a later chunk, keep exactly the columns of the first chunk `keep`)."""
    index = pd.Index(numbers, name="row")
    blank = pd.Series(pd.NA, index=index, dtype="string")
    columns = {}
    for position, header in enumerate(_unique_headers(header_cells)):
        column = texts[position].set_axis(index) if position in texts else blank
        unnamed = not str(header_cells[position] or "").strip()
        wanted = header in keep.headers if keep is not None else not (unnamed and column.isna().all())
        if wanted:
            columns[header] = column
    data = pd.DataFrame(columns, index=index)
    if len(data.columns):
        data = data[data.notna().any(axis=1)]
    return RawTable(path.name, tuple(data.columns), data, header_row, **details)
