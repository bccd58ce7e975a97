"""Writing a 医科 or 調剤 レセ電 (UKE) file from the typed claim frames: one 医療機関 or 薬局, one 診療年月.

医科: IR, then per receipt RE, HO, (KO), SY…, SI…, IY…, and GO last. 調剤: YK, then per receipt RE, HO, (KO)
and per 剤 (the drug lines sharing a dispensed_date and days) SH, CZ, IY…; GO last. cp932, CRLF, unquoted,
each record with the field count of its 記録条件仕様 (医科 RE 38, HO 15, KO 12, SY 8, SI/IY 44; 調剤 YK 9,
RE 42, HO 14, KO 10, SH 10, CZ 71, IY 10), dates in 和暦 with the 元号区分 digit (GYYMM, GYYMMDD), as
`io.uke` reads them. Text fields are written 全角 as the spec asks (so a comma cannot split a record);
characters cp932 lacks become 〓 with a warning, as the roster writer does. What the typed frames do not
know is left blank: 診療識別, 算定日, 受給者番号, 公費負担金額; for 調剤 also 剤形, 用法, 処方月日 and the fees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.issues import Issue, Severity
from dhdesk.core.wareki import era_of
from dhdesk.io.canonical import SUBSTITUTE_CHAR
from dhdesk.io.office_files import fits_cp932, substitute_for_cp932
from dhdesk.io.values import map_distinct

ENCODING = "cp932"
SSK = "1"
"""審査支払機関 1 = 社会保険診療報酬支払基金, the one a 健保組合・共済組合 is billed through."""
MEDICAL_TABLE, PHARMACY_TABLE = "1", "4"
"""点数表 1 = 医科, 4 = 調剤 (the 3rd digit of the 10-digit 医療機関コード / 薬局コード)."""
UNCODED_DISEASE = "0000999"
SUSPECTED_MODIFIER = "8002"
MAIN_DISEASE = "01"
CONTINUING = "1"
"""転帰区分 1: not 治ゆ・死亡・中止 (a month's claim does not know the outcome)."""
INSURED_ONLY, INSURED_AND_PUBLIC = "1", "5"
"""負担区分 of a line: 医保単独, or 医保 + 第1公費 on a 公費併用 receipt."""

_WIDTH = {"IR": 10, "RE": 38, "HO": 15, "KO": 12, "SY": 8, "SI": 44, "IY": 44, "GO": 4}
_PHARMACY_WIDTH = {"YK": 9, "RE": 42, "HO": 14, "KO": 10, "SH": 10, "CZ": 71, "IY": 10, "GO": 4}
_ORDER = {"RE": 0, "HO": 1, "KO": 2, "SY": 3, "SI": 4, "IY": 5, "SH": 5, "CZ": 5}
_WITHIN_PREPARATION = {"SH": 0, "CZ": 1, "IY": 2}
_MEDICAL_CLAIMS, _PHARMACY_CLAIM = (1, 2), 5
_KANA = {False: 36, True: 41}
"""RE カタカナ氏名 field, 医科 / 調剤."""
_ZENKAKU = str.maketrans({**{chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)},
                          " ": "\u3000", "\t": "\u3000", "\n": "\u3000", "\r": ""})
_MAX_QUANTITY = 100_000  # 使用量: 整数5桁.小数5桁


def write_uke(
    path: str | Path,
    receipts: pd.DataFrame,
    diagnoses: pd.DataFrame,
    drug_lines: pd.DataFrame,
    procedures: pd.DataFrame,
    members: pd.DataFrame,
    *,
    insurer_number: str,
    public_payer: str = "",
    billing_month: str | None = None,
) -> list[Issue]:
    """Write `receipts` and their lines as one レセ電 file; returns a warning per 〓 substitution.

    `receipts` must be claims of one `facility_code` — the 10-digit 医療機関コード (都道府県2 + 点数表1 +
    機関7) the reader gives back — and one `service_month` (yyyymm): 医科 (入院/入院外, 点数表 1) or 調剤
    (claim_type 5, 点数表 4; then `diagnoses` and `procedures` hold none of its lines, and every drug line
    needs its dispensed_date and days). Each receipt's
    レセプト番号 is its position (1…n) in `receipts`; lines of other receipts are ignored. The patient's 氏名・
    男女・生年月日 (RE) and 記号・番号 (HO) come from `members` by member_id. A 公費併用 receipt gets a KO
    record for `public_payer` (公費負担者番号). `billing_month` (請求年月, yyyymm) defaults to the next month.
    ValueError when the frames break these rules: that is a caller's bug, not a problem of a file.
    """
    path = Path(path)
    facility, month = _one_facility_month(receipts)
    pharmacy = facility[2] == PHARMACY_TABLE
    public = (receipts["public_expense"] == 1).fillna(False).to_numpy(dtype=bool)
    if public_payer == "" and public.any():
        raise ValueError("公費併用 receipts need public_payer (公費負担者番号)")
    patients = _patients(receipts, members)
    ids = pd.Index(receipts["receipt_id"].to_numpy(dtype=object))
    burden = np.where(public, INSURED_AND_PUBLIC, INSURED_ONLY)
    text = _Text()
    widths = _PHARMACY_WIDTH if pharmacy else _WIDTH
    if pharmacy:
        body = [_header(receipts, facility, month, billing_month, text, pharmacy=True),
                *_preparation_records(drug_lines, ids, burden, diagnoses, procedures)]
    else:
        body = [_header(receipts, facility, month, billing_month, text, pharmacy=False),
                _diagnosis_records(diagnoses, ids, text),
                _line_records("SI", procedures, "procedure_code", "times", None, ids, burden),
                _line_records("IY", drug_lines, "drug_code", "days", "quantity", ids, burden)]
    lines = pd.concat([
        *body,
        _receipt_records(receipts, patients, month, text, widths["RE"], _KANA[pharmacy]),
        _insurer_records(receipts, patients, insurer_number, text, widths["HO"]),
        _public_records(receipts, public, public_payer, widths["KO"]),
        _total(receipts),
    ], ignore_index=True).sort_values(["receipt", "order", "group", "within"], kind="stable", ignore_index=True)
    path.write_bytes(("\r\n".join(lines["text"]) + "\r\n").encode(ENCODING))
    return text.issues(lines, path.name)


@dataclass
class _Text:
    """Free text bound for 漢字 fields, made 全角 and fit for cp932; remembers each cell that needed 〓."""

    substituted: list[pd.DataFrame] = field(default_factory=list)

    def kanji(self, record: str, label: str, values: pd.Series) -> pd.Series:
        """`values` (one per line of `record`, in order) as written: 全角, blanks "", 〓 where cp932 lacks a character."""
        written = _zenkaku(values)
        fixed, bad = substitute_for_cp932(written)
        if bad.any():
            self.substituted.append(pd.DataFrame({
                "record": record, "key": np.flatnonzero(bad), "label": label, "original": written[bad].to_numpy(),
            }))
        return fixed

    def issues(self, lines: pd.DataFrame, source: str) -> list[Issue]:
        """One warning per substituted cell, at the line the record landed on."""
        if not self.substituted:
            return []
        placed = lines[["record", "key"]].assign(line=np.arange(1, len(lines) + 1))
        found = pd.concat(self.substituted, ignore_index=True).merge(placed, on=["record", "key"])
        return [
            Issue(source, int(line), f"{record} {label}", "substitute_char",
                  f"{label}「{original}」の「{_unwritable(original)}」は Shift_JIS(cp932) で書けないため"
                  f"「{SUBSTITUTE_CHAR}」に置き換えました", Severity.WARNING)
            for record, label, original, line in found[["record", "label", "original", "line"]].itertuples(index=False)
        ]


def _one_facility_month(receipts: pd.DataFrame) -> tuple[str, str]:
    """The file's 医療機関コード and 診療年月, checking the receipts fit one 医科 or one 調剤 UKE file."""
    if receipts.empty:
        raise ValueError("a UKE file needs at least one receipt")
    facilities = receipts["facility_code"].astype("string").unique()
    months = receipts["service_month"].astype("string").unique()
    if len(facilities) != 1 or len(months) != 1 or pd.isna(facilities[0]) or pd.isna(months[0]):
        raise ValueError(f"one UKE file is one 医療機関 and one 診療年月, not {list(facilities)} × {list(months)}")
    facility, month = str(facilities[0]), str(months[0])
    pharmacy = bool((receipts["claim_type"] == _PHARMACY_CLAIM).all())
    if not (pharmacy or receipts["claim_type"].isin(_MEDICAL_CLAIMS).all()):
        raise ValueError("one UKE file holds 医科入院 / 医科入院外 receipts (claim_type 1, 2) or 調剤 ones (5), "
                         "not other or mixed kinds")
    kind, table = ("調剤 薬局コード", PHARMACY_TABLE) if pharmacy else ("医科 医療機関コード", MEDICAL_TABLE)
    if not (len(facility) == 10 and facility.isdigit() and facility[2] == table):
        raise ValueError(f"facility_code {facility!r} is not a 10-digit {kind} (都道府県2 + {table} + 機関7)")
    kinds = receipts["receipt_kind"].astype("string")
    if not kinds.str.fullmatch(r"[0-9]{4}").fillna(False).all():
        raise ValueError("every receipt needs a 4-digit receipt_kind (レセプト種別)")
    if receipts["points"].isna().any():
        raise ValueError("every receipt needs its points (合計点数)")
    return facility, month


def _patients(receipts: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """The roster row of each receipt's member (the latest 資格 row), aligned with `receipts`."""
    roster = members.drop_duplicates("member_id", keep="last").set_index("member_id")
    found = roster.reindex(receipts["member_id"].astype("string"))
    missing = receipts["member_id"][found["birth_date"].isna().to_numpy()]
    if len(missing):
        raise ValueError(f"members missing from the roster (or without 生年月日): {missing.unique()[:5].tolist()}")
    return found.reset_index(drop=True)


def _header(receipts: pd.DataFrame, facility: str, month: str, billing_month: str | None, text: _Text,
            pharmacy: bool) -> pd.DataFrame:
    """IR 医療機関情報 / YK 薬局情報: 支払基金, 都道府県, 点数表, 機関コード, 名称, 請求年月 (the month after, unless
    given). YK has no 予備 field before 名称, so its 名称 and 請求年月 come one field earlier than IR's."""
    billed = billing_month or (pd.Period(f"{month[:4]}-{month[4:]}", "M") + 1).strftime("%Y%m")
    name = receipts["facility_name"].dropna().head(1).reset_index(drop=True).reindex(pd.RangeIndex(1))
    record, label, at = ("YK", "薬局名称", 5) if pharmacy else ("IR", "医療機関名称", 6)
    return _keyed(record, np.array([-1]), _record(record, {
        1: SSK, 2: facility[:2], 3: facility[2], 4: facility[3:], at: text.kanji(record, label, name),
        at + 1: _gyymm(billed), at + 2: "00",
    }, pd.RangeIndex(1), (_PHARMACY_WIDTH if pharmacy else _WIDTH)[record]))


def _receipt_records(receipts: pd.DataFrame, patients: pd.DataFrame, month: str, text: _Text, width: int,
                     kana_field: int) -> pd.DataFrame:
    """RE レセプト共通: 番号, 種別, 診療年月, 氏名, 男女区分, 生年月日, カタカナ氏名 (医科 field 36, 調剤 41)."""
    index = pd.RangeIndex(len(receipts))
    kana = patients["name_kana"] if "name_kana" in patients else pd.Series(pd.NA, index=index)
    return _keyed("RE", np.arange(len(receipts)), _record("RE", {
        1: pd.Series(np.arange(1, len(receipts) + 1).astype(str), index=index),
        2: receipts["receipt_kind"].astype(str).reset_index(drop=True),
        3: _gyymm(month),
        4: text.kanji("RE", "氏名", patients["name"]),
        5: map_distinct(patients["sex"], lambda v: str(int(v))),
        6: map_distinct(patients["birth_date"], lambda v: _gyymmdd(v.date())),
        kana_field: text.kanji("RE", "カタカナ氏名", kana),
    }, index, width))


def _insurer_records(receipts: pd.DataFrame, patients: pd.DataFrame, insurer_number: str,
                     text: _Text, width: int) -> pd.DataFrame:
    """HO 保険者: 保険者番号, 記号, 番号 (全角, as the card prints them), 診療実日数 (調剤: 処方箋受付回数), 合計点数."""
    return _keyed("HO", np.arange(len(receipts)), _record("HO", {
        1: insurer_number, 2: text.kanji("HO", "記号", patients["kigo"]), 3: text.kanji("HO", "番号", patients["bango"]),
        4: _integers(receipts["days"]), 5: _integers(receipts["points"]),
    }, pd.RangeIndex(len(receipts)), width))


def _public_records(receipts: pd.DataFrame, public: np.ndarray, public_payer: str, width: int) -> pd.DataFrame:
    """KO 公費 of each 公費併用 receipt: 公費負担者番号, 診療実日数 (調剤: 受付回数), 合計点数 (the same claim)."""
    rows = np.flatnonzero(public)
    chosen = receipts.iloc[rows]
    return _keyed("KO", rows, _record("KO", {
        1: public_payer, 4: _integers(chosen["days"]), 5: _integers(chosen["points"]),
    }, pd.RangeIndex(len(rows)), width))


def _diagnosis_records(diagnoses: pd.DataFrame, ids: pd.Index, text: _Text) -> pd.DataFrame:
    """SY 傷病名: コード (未コード化 0000999 + 傷病名称), 診療開始日, 転帰, 修飾語 8002 for 疑い, 主傷病 01."""
    receipt, rows = _of_receipts(diagnoses, ids)
    index = pd.RangeIndex(len(rows))
    coded = rows["disease_code"].notna()
    return _keyed("SY", receipt, _record("SY", {
        1: rows["disease_code"].astype(object).where(coded, UNCODED_DISEASE),
        2: map_distinct(rows["start_date"], lambda v: _gyymmdd(v.date())),
        3: CONTINUING,
        4: pd.Series(np.where((rows["is_suspected"] == 1).fillna(False), SUSPECTED_MODIFIER, ""), index=index),
        5: text.kanji("SY", "傷病名称", rows["disease_name"].where(~coded)),
        6: pd.Series(np.where((rows["is_main"] == 1).fillna(False), MAIN_DISEASE, ""), index=index),
    }, index))


def _line_records(record: str, frame: pd.DataFrame, code: str, times: str, quantity: str | None,
                  ids: pd.Index, burden: np.ndarray) -> pd.DataFrame:
    """SI 診療行為 / IY 医薬品: 負担区分, コード(9桁), 数量 or 使用量, 点数, 回数, in the frame's order."""
    receipt, rows = _of_receipts(frame, ids)
    index = pd.RangeIndex(len(rows))
    return _keyed(record, receipt, _record(record, {
        2: pd.Series(burden[receipt], index=index, dtype=object),
        3: rows[code].astype(object).fillna(""),
        4: _quantities(rows[quantity]) if quantity else "",
        5: _integers(rows["points"]),
        6: _integers(rows[times]),
    }, index))


def _preparation_records(drug_lines: pd.DataFrame, ids: pd.Index, burden: np.ndarray, diagnoses: pd.DataFrame,
                         procedures: pd.DataFrame) -> list[pd.DataFrame]:
    """調剤 lines as 剤: per receipt, the drug lines sharing dispensed_date and days become one SH, one CZ
    (調剤月日, 調剤数量, 薬剤料 = their points when all are known) and an IY per drug (コード, 使用量)."""
    if (ids.get_indexer(diagnoses["receipt_id"].to_numpy(dtype=object)) >= 0).any() or \
            (ids.get_indexer(procedures["receipt_id"].to_numpy(dtype=object)) >= 0).any():
        raise ValueError("調剤 receipts have no 傷病名 (SY) or 診療行為 (SI) lines")
    receipt, rows = _of_receipts(drug_lines, ids)
    if rows["dispensed_date"].isna().any() or rows["days"].isna().any():
        raise ValueError("調剤 drug lines need dispensed_date (調剤月日) and days (調剤数量)")
    keys = pd.DataFrame({"receipt": receipt, "date": rows["dispensed_date"], "days": rows["days"]})
    group = keys.groupby(["receipt", "date", "days"], sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    heads = rows.iloc[first].reset_index(drop=True)
    line_points = rows["points"].astype("Int64")
    points = line_points.groupby(group).sum().mask(line_points.isna().groupby(group).any())
    number = pd.Series(group[first]).groupby(receipt[first]).rank(method="first").astype(int).to_numpy()
    head_index = pd.RangeIndex(len(first))
    line_index = pd.RangeIndex(len(rows))
    return [
        _keyed("SH", receipt[first], _record("SH", {
            1: pd.Series([f"{n:02d}" for n in number], index=head_index, dtype=object),
        }, head_index, _PHARMACY_WIDTH["SH"]), group[first]),
        _keyed("CZ", receipt[first], _record("CZ", {
            3: map_distinct(heads["dispensed_date"], lambda v: _gyymmdd(v.date())),
            5: _integers(heads["days"]),
            6: pd.Series(burden[receipt[first]], index=head_index, dtype=object),
            13: _integers(points.reindex(group[first]).reset_index(drop=True)),
        }, head_index, _PHARMACY_WIDTH["CZ"]), group[first]),
        _keyed("IY", receipt, _record("IY", {
            1: pd.Series(burden[receipt], index=line_index, dtype=object),
            2: rows["drug_code"].astype(object).fillna(""),
            3: _quantities(rows["quantity"]),
        }, line_index, _PHARMACY_WIDTH["IY"]), group),
    ]


def _of_receipts(frame: pd.DataFrame, ids: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    """The lines of the file's receipts (others dropped), with the position of each one's receipt."""
    position = ids.get_indexer(frame["receipt_id"].to_numpy(dtype=object))
    kept = position >= 0
    return position[kept], frame[kept].reset_index(drop=True)


def _total(receipts: pd.DataFrame) -> pd.DataFrame:
    """GO 請求書: 総件数 and 総合計点数 (the sum of the HO 合計点数 written), マルチボリューム 99 (the only volume)."""
    total = int(receipts["points"].astype("Int64").sum())
    return _keyed("GO", np.array([len(receipts)]), _record("GO", {
        1: str(len(receipts)), 2: str(total), 3: "99",
    }, pd.RangeIndex(1)))


def _record(record: str, fields: dict[int, pd.Series | str], index: pd.Index, width: int | None = None) -> pd.Series:
    """One record type's lines: its id, then each field by position ("" where not given), comma-joined;
    `width` fields in all (default: the 医科 spec's)."""
    text = pd.Series(record, index=index, dtype=object)
    gap = ""
    for number in range(1, width or _WIDTH[record]):
        gap += ","
        if number in fields:
            value = fields[number]
            text = text + gap + (value.set_axis(index) if isinstance(value, pd.Series) else value)
            gap = ""
    return text + gap


def _keyed(record: str, receipt: np.ndarray, text: pd.Series, group: np.ndarray | int = 0) -> pd.DataFrame:
    """Lines with their place (the receipt they belong to: IR/YK −1, GO after all; then record order, then
    for 調剤 the 剤 `group` and SH → CZ → IY within it) and their record and row within it, by which a 〓
    warning finds its line."""
    return pd.DataFrame({"receipt": receipt, "order": _ORDER.get(record, 0), "group": group,
                         "within": _WITHIN_PREPARATION.get(record, 0), "record": record,
                         "key": np.arange(len(text)), "text": text.to_numpy(dtype=object)})


def _unwritable(text: str) -> str:
    return "".join(dict.fromkeys(c for c in text if not fits_cp932(c)))


def _zenkaku(values: pd.Series) -> pd.Series:
    """Text as the spec's 漢字 fields want it: ASCII and spaces made 全角, blanks ""."""
    return map_distinct(values.astype("string"), lambda v: str(v).translate(_ZENKAKU))


def _integers(values: pd.Series) -> pd.Series:
    return map_distinct(values.astype("Int64"), lambda v: str(int(v)))


def _quantities(values: pd.Series) -> pd.Series:
    """使用量 as 整数5桁.小数5桁 without trailing zeros (1.5, 2); beyond the spec is a caller's bug."""
    finite = values.dropna()
    if ((finite < 0) | (finite.round(5) >= _MAX_QUANTITY)).any():
        raise ValueError(f"使用量 must lie in 0…{_MAX_QUANTITY} (整数5桁.小数5桁)")
    return map_distinct(values.astype("float64"), lambda v: f"{v:.5f}".rstrip("0").rstrip("."))


def _gyymm(month: str) -> str:
    """yyyymm → GYYMM (元号区分 + 和暦年2桁 + 月), the era of the month's first day."""
    return _gyymmdd(date(int(month[:4]), int(month[4:6]), 1))[:5]


def _gyymmdd(day: date) -> str:
    era = era_of(day)
    return f"{era.code}{day.year - era.start.year + 1:02d}{day.month:02d}{day.day:02d}"


__all__ = ["ENCODING", "write_uke"]
