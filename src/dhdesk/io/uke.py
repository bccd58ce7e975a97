"""レセ電 (UKE, レセプト電算処理 CSV) files to the typed claim frames, and their patients to our members.

A UKE file is cp932, CRLF, unquoted CSV, one record per line whose first field is the record type.
Field positions follow the 記録条件仕様 (医科; DPC shares them): RE 1–7, HO/KO 1–6, SY, SI, IY, IR, GO.
A 調剤 file (YK first) shares RE/HO/KO/GO; its drugs come as 剤 groups: SH 処方基本 opens a 剤, each CZ
調剤情報 is one dispensing of it (調剤月日, 調剤数量 = days or times), each IY its drug (code, 使用量 per
day or time). Every IY is one drug line per CZ of its 剤. Positions per the 記録条件仕様（調剤用）as public
parsers transcribe it (SSK iryokikan_in_07.pdf); YK, unlike IR, has no 予備 before its name.
Every issue carries the field's text as the file has it (or the whole record when the record itself is
wrong), so the clinic can find it with its own software.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.fields import DIAGNOSES, DRUG_LINES, PROCEDURES, RECEIPTS, Layout, pandas_dtype
from dhdesk.core.issues import Issue, Severity
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.core.wareki import parse_date, parse_year_month
from dhdesk.io.canonical import SOURCE_ROW

ENCODING = "cp932"

PATIENT_COLUMNS: dict[str, str] = {
    "insurer_number": "string",
    "insured_kigo": "string",
    "insured_bango": "string",
    "patient_name": "string",
    "patient_birth_date": "datetime64[ns]",
    "patient_sex": "Int8",
}
"""Extra receipts columns: how a UKE file names the patient (HO 保険者番号・記号・番号, RE 氏名・生年月日・男女)."""

UNMATCHED_MEMBER = "uke_member_unmatched"

_UNCODED_DISEASE = "0000999"
_SUSPECTED_MODIFIER = "8002"  # 修飾語 「の疑い」
_MAIN_DISEASE = "01"
_DENTAL_TABLE = "3"  # IR 点数表 3 = 歯科
_DPC_RECORDS = frozenset({"BU", "SB", "KK", "SK", "GA", "HH", "GT", "CD"})
_SILENT_RECORDS = frozenset(
    {"SN", "JD", "MF", "CO", "TO", "SJ", "NI", "MN", "RC", "JY", "EX", "KH", "TI", "TK", "KI", "ST"}
)
"""Known records dhdesk has no table for (資格確認, 受診日, 窓口負担, コメント, 特定器材, 症状詳記…): skipped quietly."""
_PROGRESS_EVERY = 50_000
_DECIMAL = re.compile(r"[0-9]{1,5}(?:\.[0-9]{1,5})?")  # 使用量: 整数5桁.小数5桁

_CLAIM_INPATIENT, _CLAIM_OUTPATIENT, _CLAIM_DPC, _CLAIM_DENTAL, _CLAIM_PHARMACY = 1, 2, 3, 4, 5
_YES, _NO = 1, 2


@dataclass
class _Receipt:
    """One RE and what its following records add, until the next RE."""

    receipt_id: str
    row: int
    number: str
    kind: str
    service_month: str | None
    patient_name: str
    birth_date: date | None
    sex: int | None
    insurer_number: str | None = None
    kigo: str | None = None
    bango: str | None = None
    days: int | None = None
    points: int | None = None
    public_days: int | None = None
    public_points: int | None = None
    public_expense: bool = False
    dpc: bool = False


@dataclass
class _Preparation:
    """One 剤 of a 調剤 receipt (SH, then its CZ dispensings and IY drugs), held until the next SH or RE."""

    receipt_id: str
    dispensings: list[tuple[date | None, int | None]] = field(default_factory=list)
    drugs: list[tuple[str | None, float | None, int]] = field(default_factory=list)


@dataclass
class _Reader:
    """The state of one pass over a file: the current receipt and the rows collected so far."""

    source: str
    stem: str
    issues: list[Issue] = field(default_factory=list)
    pharmacy: bool = False
    dental: bool = False
    facility_code: str | None = None
    facility_name: str | None = None
    billing_month: str | None = None
    receipts: list[_Receipt] = field(default_factory=list)
    diagnoses: list[tuple] = field(default_factory=list)
    drugs: list[tuple] = field(default_factory=list)
    procedures: list[tuple] = field(default_factory=list)
    reported_types: set[str] = field(default_factory=set)
    receipt_ids: set[str] = field(default_factory=set)
    go: tuple[int, list[str]] | None = None
    preparation: _Preparation | None = None

    @property
    def receipt_prefix(self) -> str:
        """医療機関コード-請求年月: one file per facility and billing month, whatever the file is called
        (clinics name every month's file RECEIPTC.UKE); the file name only when the IR record is unreadable."""
        if self.facility_code and self.billing_month:
            return f"{self.facility_code}-{self.billing_month}"
        return self.stem

    def issue(self, row: int | None, column: str | None, code: str, message: str,
              severity: Severity = Severity.ERROR, value: str | None = None) -> None:
        self.issues.append(Issue(self.source, row, column, code, message, severity, value or None))

    def line(self, row: int, fields: list[str]) -> None:
        record = fields[0]
        handler = (_PHARMACY_HANDLERS.get(record) if self.pharmacy else None) or _HANDLERS.get(record)
        if handler is not None:
            handler(self, row, fields)
        elif record in _DPC_RECORDS:
            if self.in_receipt(row, fields):
                self.receipts[-1].dpc = True
        elif record not in _SILENT_RECORDS:
            self._report_type_once(row, fields, f"不明なレコード種別「{record}」の行を読み飛ばしました")

    def _report_type_once(self, row: int, fields: list[str], message: str) -> None:
        record = fields[0]
        if record not in self.reported_types:
            self.reported_types.add(record)
            self.issue(row, record, "uke_record_skipped", message + "（同じ種別の2行目以降は報告しません）",
                       Severity.WARNING, ",".join(fields))

    def open_preparation(self, receipt_id: str | None) -> None:
        """Close the current 剤 (its drug lines are then known) and start the next one, if any."""
        current = self.preparation
        if current is not None:
            self.drugs.extend(_dispensed(self, current))
        self.preparation = _Preparation(receipt_id) if receipt_id is not None else None

    def preparation_of(self, row: int, fields: list[str]) -> _Preparation:
        """The 剤 a CZ or IY belongs to; one without an SH before it in its receipt starts one, with a warning."""
        receipt_id = self.receipts[-1].receipt_id
        if self.preparation is None or self.preparation.receipt_id != receipt_id:
            self.issue(row, fields[0], "uke_before_prescription",
                       f"{fields[0]} レコードの前に処方基本レコード(SH)がありません", Severity.WARNING, ",".join(fields))
            self.open_preparation(receipt_id)
        return self.preparation

    def in_receipt(self, row: int, fields: list[str]) -> bool:
        if self.receipts:
            return True
        self.issue(row, fields[0], "uke_before_receipt", f"{fields[0]} レコードがレセプト共通レコード(RE)より前にあります",
                   value=",".join(fields))
        return False

    def has_fields(self, row: int, fields: list[str], count: int) -> bool:
        if len(fields) >= count:
            return True
        self.issue(row, fields[0], "uke_short_record",
                   f"{fields[0]} レコードの項目数が {len(fields)} 個しかありません（{count} 個以上必要）",
                   value=",".join(fields))
        return False

    def integer(self, row: int, fields: list[str], index: int, label: str) -> int | None:
        text = fields[index]
        if text.isdigit() and text.isascii():
            return int(text)
        text = text.strip()
        if not text:
            return None
        digits = unicodedata.normalize("NFKC", text)
        if digits.isascii() and digits.isdigit():
            return int(digits)
        self.issue(row, f"{fields[0]} {label}", "uke_bad_number", f"「{text}」を数値として読めません",
                   value=fields[index])
        return None

    def number(self, row: int, fields: list[str], index: int, label: str) -> float | None:
        text = fields[index].strip()
        if not text:
            return None
        if _DECIMAL.fullmatch(text):
            return float(text)
        self.issue(row, f"{fields[0]} {label}", "uke_bad_number", f"「{text}」を数値として読めません",
                   value=fields[index])
        return None

    def day(self, row: int, fields: list[str], index: int, label: str) -> date | None:
        text = fields[index].strip()
        if not text:
            return None
        try:
            return _parse_date(text)
        except ValueError as error:
            self.issue(row, f"{fields[0]} {label}", "uke_bad_date", str(error), value=fields[index])
            return None


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> date:
    """Dates repeat across a file's receipts (birth dates, 診療開始日): parse each spelling once."""
    return parse_date(text)


@lru_cache(maxsize=256)
def _service_month(text: str) -> str:
    """診療年月 GYYMM or yyyymm → "yyyymm"; a file has only a few distinct months."""
    year, month = parse_year_month(text)
    return f"{year:04d}{month:02d}"


def _facility(reader: _Reader, row: int, fields: list[str]) -> None:
    """IR 医療機関情報 / YK 薬局情報: 都道府県 + 点数表 + 機関コード = the 10-digit code unique nationwide.

    IR has a 予備 field before 名称 and 請求年月; YK has none, so its name and month sit one field earlier.
    """
    if not reader.has_fields(row, fields, 7):
        return
    reader.pharmacy = fields[0] == "YK"
    reader.dental = fields[3].strip() == _DENTAL_TABLE
    reader.facility_code = fields[2].strip() + fields[3].strip() + fields[4].strip()
    name = 5 if reader.pharmacy else 6
    reader.facility_name = fields[name].strip() or None
    try:
        reader.billing_month = _service_month(fields[name + 1].strip()) if len(fields) > name + 1 else None
    except ValueError:
        reader.billing_month = None


def _receipt(reader: _Reader, row: int, fields: list[str]) -> None:
    """RE レセプト共通: レセプト番号, 種別, 診療年月 (GYYMM or yyyymm), 氏名, 男女区分, 生年月日."""
    if not reader.has_fields(row, fields, 7):
        return
    reader.open_preparation(None)
    number = fields[1].strip()
    receipt_id = f"{reader.receipt_prefix}:{number}"
    if receipt_id in reader.receipt_ids:
        reader.issue(row, "RE レセプト番号", "uke_duplicate_receipt", f"レセプト番号「{number}」が重複しています",
                     value=fields[1])
        receipt_id = f"{receipt_id}@{row}"
    reader.receipt_ids.add(receipt_id)
    kind = fields[2].strip()
    if not (len(kind) == 4 and kind.isascii() and kind.isdigit()):
        reader.issue(row, "RE レセプト種別", "uke_bad_receipt_kind", f"レセプト種別「{kind}」は4桁の数字ではありません",
                     value=fields[2])
    month = fields[3].strip()
    try:
        service_month = _service_month(month)
    except ValueError as error:
        reader.issue(row, "RE 診療年月", "uke_bad_date", str(error), value=fields[3])
        service_month = None
    sex = reader.integer(row, fields, 5, "男女区分")
    if sex not in (None, 1, 2):
        reader.issue(row, "RE 男女区分", "uke_bad_sex", f"男女区分「{sex}」は 1 か 2 ではありません", value=fields[5])
        sex = None
    reader.receipts.append(_Receipt(receipt_id, row, number, kind, service_month, fields[4].strip(),
                                    reader.day(row, fields, 6, "生年月日"), sex))


def _insurer(reader: _Reader, row: int, fields: list[str]) -> None:
    """HO 保険者: 保険者番号, 記号, 番号 (kept as written, often 全角), 診療実日数, 合計点数."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 6)):
        return
    receipt = reader.receipts[-1]
    receipt.insurer_number = fields[1].strip() or None
    receipt.kigo = fields[2].strip() or None
    receipt.bango = fields[3].strip() or None
    receipt.days = reader.integer(row, fields, 4, "診療実日数")
    receipt.points = reader.integer(row, fields, 5, "合計点数")


def _public(reader: _Reader, row: int, fields: list[str]) -> None:
    """KO 公費: its 合計点数 is the claim when there is no HO (公費単独); the first KO counts."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 6)):
        return
    receipt = reader.receipts[-1]
    days = reader.integer(row, fields, 4, "診療実日数")
    points = reader.integer(row, fields, 5, "合計点数")
    if not receipt.public_expense:
        receipt.public_expense = True
        receipt.public_days, receipt.public_points = days, points
        if receipt.insurer_number is None:
            receipt.insurer_number = fields[1].strip() or None


def _diagnosis(reader: _Reader, row: int, fields: list[str]) -> None:
    """SY 傷病名: コード, 診療開始日, 転帰, 修飾語 (4桁の連なり), 傷病名称 (未コード化のみ), 主傷病."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 7)):
        return
    code = fields[1].strip()
    if not (len(code) == 7 and code.isascii() and code.isdigit()):
        reader.issue(row, "SY 傷病名コード", "uke_bad_code", f"傷病名コード「{code}」は7桁の数字ではありません",
                     value=fields[1])
    modifiers = fields[4].strip()
    suspected = any(modifiers[i:i + 4] == _SUSPECTED_MODIFIER for i in range(0, len(modifiers), 4))
    name = fields[5].strip() if code == _UNCODED_DISEASE else ""
    reader.diagnoses.append((
        reader.receipts[-1].receipt_id, code or None, name or None, None,
        reader.day(row, fields, 2, "診療開始日"),
        _YES if fields[6].strip() == _MAIN_DISEASE else _NO,
        _YES if suspected else _NO, row,
    ))


def _procedure(reader: _Reader, row: int, fields: list[str]) -> None:
    """SI 診療行為: 診療識別, 負担区分, コード(9桁), 数量データ, 点数, 回数."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 7)):
        return
    code = _code9(reader, row, fields, 3, "診療行為コード")
    reader.procedures.append((
        reader.receipts[-1].receipt_id, code, None,
        reader.integer(row, fields, 5, "点数"), reader.integer(row, fields, 6, "回数"), row,
    ))


def _drug(reader: _Reader, row: int, fields: list[str]) -> None:
    """IY 医薬品 (医科): 診療識別, 負担区分, コード(9桁), 使用量, 点数, 回数."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 7)):
        return
    code = _code9(reader, row, fields, 3, "医薬品コード")
    reader.drugs.append((
        reader.receipts[-1].receipt_id, code, None, None,
        reader.number(row, fields, 4, "使用量"), reader.integer(row, fields, 6, "回数"),
        reader.integer(row, fields, 5, "点数"), None, row,
    ))


def _prescription(reader: _Reader, row: int, fields: list[str]) -> None:
    """SH 処方基本 (調剤): 処方No, 剤形, 用法, 単位薬剤料 — dhdesk needs only that a new 剤 starts here."""
    if reader.in_receipt(row, fields):
        reader.open_preparation(reader.receipts[-1].receipt_id)


def _dispensing(reader: _Reader, row: int, fields: list[str]) -> None:
    """CZ 調剤情報 (調剤): 医師No, 処方月日, 調剤月日, 処方箋受付回, 調剤数量 (日数 or 回数), then the fees."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 6)):
        return
    reader.preparation_of(row, fields).dispensings.append(
        (reader.day(row, fields, 3, "調剤月日"), reader.integer(row, fields, 5, "調剤数量")))


def _pharmacy_drug(reader: _Reader, row: int, fields: list[str]) -> None:
    """IY 医薬品 (調剤): 負担区分, コード(9桁), 使用量 (1日量・1回量, or the whole amount for 外用); no 点数."""
    if not (reader.in_receipt(row, fields) and reader.has_fields(row, fields, 4)):
        return
    code = _code9(reader, row, fields, 2, "医薬品コード")
    reader.preparation_of(row, fields).drugs.append((code, reader.number(row, fields, 3, "使用量"), row))


def _dispensed(reader: _Reader, preparation: _Preparation) -> list[tuple]:
    """A closed 剤's drug lines: each IY once per CZ (the 剤 was dispensed that day for that many days/times).

    Points stay blank: 調剤 prices the 剤 as a whole (CZ 薬剤料), not each drug. An IY whose 剤 has no CZ
    still counts as a drug, without days or date, and is reported.
    """
    dispensings = preparation.dispensings or [(None, None)]
    if not preparation.dispensings:
        for _, _, row in preparation.drugs:
            reader.issue(row, "IY", "uke_no_dispensing",
                         "この医薬品の剤に調剤情報レコード(CZ)がないため、日数と調剤日が分かりません", Severity.WARNING)
    return [
        (preparation.receipt_id, code, None, None, quantity, days, None, day, row)
        for code, quantity, row in preparation.drugs
        for day, days in dispensings
    ]


def _code9(reader: _Reader, row: int, fields: list[str], index: int, label: str) -> str | None:
    code = fields[index].strip()
    if not (len(code) == 9 and code.isascii() and code.isdigit()):
        reader.issue(row, f"{fields[0]} {label}", "uke_bad_code", f"{label}「{code}」は9桁の数字ではありません",
                     value=fields[index])
    return code or None


def _total(reader: _Reader, row: int, fields: list[str]) -> None:
    """GO 請求書: 総件数 and 総合計点数, checked against the receipts once the file is read."""
    if reader.has_fields(row, fields, 3):
        reader.go = (row, fields)


_HANDLERS = {
    "IR": _facility, "YK": _facility, "RE": _receipt, "HO": _insurer, "KO": _public,
    "SY": _diagnosis, "SI": _procedure, "IY": _drug, "GO": _total,
}
_PHARMACY_HANDLERS = {"SH": _prescription, "CZ": _dispensing, "IY": _pharmacy_drug}
"""Records a 調剤 file (YK first) lays out its own way."""


def read_uke(path: str | Path, *, progress: ProgressFn = no_progress) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """Read one レセ電 file into frames receipts/diagnoses/drug_lines/procedures (+ `source_row`) and issues.

    Receipts carry the PATIENT_COLUMNS and no member_id (see `match_members`). Bad lines and fields are
    issues with their line number; the rest of the file is still read. An unreadable file gives empty
    frames and one error.
    """
    path = Path(path)
    reader = _Reader(path.name, path.stem)
    progress(0.0, f"{path.name} を読み込んでいます")
    try:
        data = path.read_bytes()
    except OSError as error:
        reader.issue(None, None, "unreadable_file", f"ファイルを開けません: {error}")
        return _frames(reader), reader.issues
    lines = _decoded_lines(data, reader)
    total = len(lines)
    for index, text in enumerate(lines):
        if index % _PROGRESS_EVERY == 0 and index:
            progress(0.9 * index / total, f"{path.name}: {index:,} / {total:,} 行")
        if text:
            reader.line(index + 1, text.split(","))
    reader.open_preparation(None)
    _check_totals(reader)
    progress(1.0, f"{path.name}: レセプト {len(reader.receipts):,} 件")
    return _frames(reader), reader.issues


def _decoded_lines(data: bytes, reader: _Reader) -> list[str]:
    """The file's lines as text ("" for blank or undecodable ones, so numbering holds); CR and EOF (0x1A) dropped.

    The whole file is decoded at once; only a file with a bad byte is decoded line by line to find it.
    """
    try:
        lines = data.decode(ENCODING).split("\n")
    except UnicodeDecodeError:
        lines = []
        for index, raw in enumerate(data.split(b"\n")):
            try:
                lines.append(raw.decode(ENCODING))
            except UnicodeDecodeError:
                reader.issue(index + 1, None, "uke_bad_encoding",
                             "Shift_JIS (cp932) として読めない文字がある行です（読めない文字は � で表示）",
                             value=raw.decode(ENCODING, errors="replace").rstrip("\r\x1a"))
                lines.append("")
    return [line.rstrip("\r\x1a") if line.strip() else "" for line in lines]


def _check_totals(reader: _Reader) -> None:
    """Points per receipt must exist; the GO record must agree with the receipts read (a warning if not)."""
    if not reader.receipts and reader.go is None:
        reader.issue(None, None, "uke_empty", "レセプト(RE)が1件もありません。レセ電ファイルか確認してください")
        return
    for receipt in reader.receipts:
        if receipt.points is None and receipt.public_points is None:
            reader.issue(receipt.row, "HO 合計点数", "uke_missing_points",
                         f"レセプト番号「{receipt.number}」に合計点数(HO または KO)がありません")
    if reader.go is None:
        reader.issue(None, "GO", "uke_missing_go", "請求書レコード(GO)がありません。ファイルが途中で切れていないか確認してください",
                     Severity.WARNING)
        return
    row, fields = reader.go
    count = reader.integer(row, fields, 1, "総件数")
    points = reader.integer(row, fields, 2, "総合計点数")
    read_count = len(reader.receipts)
    read_points = sum(_points(r) or 0 for r in reader.receipts)
    if count is not None and count != read_count:
        reader.issue(row, "GO 総件数", "uke_go_count", f"請求書レコードの総件数は {count:,} 件ですが、"
                     f"ファイルにはレセプトが {read_count:,} 件あります", Severity.WARNING, fields[1])
    if points is not None and points != read_points:
        reader.issue(row, "GO 総合計点数", "uke_go_points", f"請求書レコードの総合計点数は {points:,} 点ですが、"
                     f"レセプトの合計は {read_points:,} 点です", Severity.WARNING, fields[2])


def _points(receipt: _Receipt) -> int | None:
    return receipt.points if receipt.points is not None else receipt.public_points


def _claim_type(reader: _Reader, receipt: _Receipt) -> int | None:
    """入院/入院外 from the last digit of レセプト種別 (odd = 入院); 調剤/歯科 from the file, DPC from its records."""
    if reader.pharmacy:
        return _CLAIM_PHARMACY
    if reader.dental:
        return _CLAIM_DENTAL
    if receipt.dpc:
        return _CLAIM_DPC
    if len(receipt.kind) == 4 and receipt.kind.isascii() and receipt.kind.isdigit():
        return _CLAIM_INPATIENT if int(receipt.kind[3]) % 2 else _CLAIM_OUTPATIENT
    return None


def _frames(reader: _Reader) -> dict[str, pd.DataFrame]:
    receipts = [
        (r.receipt_id, None, r.service_month, _claim_type(reader, r), r.kind or None, reader.facility_code,
         reader.facility_name, r.days if r.points is not None else r.public_days, _points(r),
         _YES if r.public_expense else _NO,
         r.insurer_number, r.kigo, r.bango, r.patient_name or None, r.birth_date, r.sex, r.row)
        for r in reader.receipts
    ]
    return {
        "receipts": _typed(RECEIPTS, receipts, PATIENT_COLUMNS),
        "diagnoses": _typed(DIAGNOSES, reader.diagnoses),
        "drug_lines": _typed(DRUG_LINES, reader.drugs),
        "procedures": _typed(PROCEDURES, reader.procedures),
    }


def _typed(layout: Layout, rows: list[tuple], extra: dict[str, str] | None = None) -> pd.DataFrame:
    """Row tuples (layout fields, then `extra`, then the line number) to a typed frame."""
    dtypes = {f.name: pandas_dtype(f) for f in layout.fields} | (extra or {}) | {SOURCE_ROW: "int64"}
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(dtypes)
    return pd.DataFrame({
        name: pd.Series(list(values), dtype=dtype) for (name, dtype), values in zip(dtypes.items(), columns, strict=True)
    })


def match_members(receipts: pd.DataFrame, members: pd.DataFrame, source: str | None = None
                  ) -> tuple[pd.DataFrame, list[Issue]]:
    """Fill receipts' member_id from the roster by 記号・番号 (全角/半角 alike) + 生年月日 + 性別.

    `source` is the file name the warnings name (default: the receipt ids' 医療機関コード-請求年月).

    The UKE has no 枝番 to rely on, so birth date and sex tell a family apart. A receipt with no roster
    row, or with several members matching, keeps member_id NA and gets a warning (資格喪失後の受診 or a
    roster not yet imported are common, and must not block the rest of the file).
    """
    keys = ["_kigo", "_bango", "_birth", "_sex"]
    left = pd.DataFrame({
        "_kigo": _id_key(receipts["insured_kigo"]), "_bango": _id_key(receipts["insured_bango"]),
        "_birth": receipts["patient_birth_date"].astype("datetime64[ns]"),
        "_sex": receipts["patient_sex"].astype("Int8"), "_position": range(len(receipts)),
    })
    roster = pd.DataFrame({
        "_kigo": _id_key(members["kigo"]), "_bango": _id_key(members["bango"]),
        "_birth": members["birth_date"].astype("datetime64[ns]"), "_sex": members["sex"].astype("Int8"),
        "_member": members["member_id"].astype("string"),
    }).dropna(subset=keys).drop_duplicates()
    found = left.dropna(subset=keys).merge(roster, on=keys, how="inner")
    counts = found.groupby("_position")["_member"].nunique()
    unique = found[found["_position"].isin(counts.index[counts == 1])].drop_duplicates("_position")
    member_id = pd.Series(pd.NA, index=range(len(receipts)), dtype="string")
    member_id[unique["_position"].to_numpy()] = unique["_member"].to_numpy()
    result = receipts.copy()
    result["member_id"] = member_id.set_axis(result.index)
    return result, _unmatched_issues(receipts, member_id.isna().to_numpy(), set(counts.index[counts > 1]), source)


def _id_key(values: pd.Series) -> pd.Series:
    """記号・番号 compared as text: NFKC (全角 → 半角) without spaces; blank → NA."""
    key = values.astype("string").str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    return key.mask(key == "")


def _unmatched_issues(receipts: pd.DataFrame, missing: np.ndarray, ambiguous: set[int], source: str | None
                      ) -> list[Issue]:
    """One warning per receipt left without member_id, naming the patient as the file does."""
    rows = receipts[missing]
    positions = missing.nonzero()[0]
    source_rows = rows[SOURCE_ROW] if SOURCE_ROW in rows else pd.Series(pd.NA, index=rows.index)
    issues = []
    for position, receipt_id, kigo, bango, name, source_row in zip(
        positions, rows["receipt_id"], rows["insured_kigo"], rows["insured_bango"], rows["patient_name"],
        source_rows, strict=True,
    ):
        reason = ("加入者台帳の複数の人に当てはまります" if position in ambiguous
                  else "加入者台帳に見つかりません（記号・番号・生年月日・性別で照合）")
        issues.append(Issue(
            source or str(receipt_id).rsplit(":", 1)[0], None if pd.isna(source_row) else int(source_row), "被保険者証記号・番号",
            UNMATCHED_MEMBER, f"記号「{_text(kigo)}」番号「{_text(bango)}」 {_text(name)}: {reason}", Severity.WARNING,
            "・".join(str(part) for part in (kigo, bango) if not pd.isna(part)) or None,
        ))
    return issues


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)
