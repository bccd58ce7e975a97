"""The 支払基金 傷病名マスター (基本マスター b_ALL*.csv): レセ電 傷病名コード → name and ICD-10.

レセ電 SY records carry only the 7-digit 傷病名コード; every disease-based analysis matches ICD-10, so this
master is what makes UKE claims count. The file is headerless cp932 CSV with quoted fields, one row per
code, マスター種別 "B". Columns are taken by position from the published layout (支払基金「基本マスター
ファイルレイアウト」傷病名マスター, 46 items): the ICD-10 (2013) codes are items 16 and 17; items 14–15,
which once held ICD-10 (2003), are now 予備 and are not read.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.issues import Issue
from dhdesk.io.canonical import SOURCE_ROW

MASTER_TYPE = "B"
ENCODING = "cp932"
COLUMNS = (SOURCE_ROW, "disease_code", "disease_name", "icd10", "icd10_2", "abolished_date")
"""The frame `read_disease_master` returns (text columns as "string", abolished_date as datetime64)."""

_TYPE, _CODE, _NAME, _ICD10_1, _ICD10_2, _ABOLISHED = 1, 2, 5, 15, 16, 23
"""0-based positions: マスター種別, 傷病名コード, 傷病名基本名称, ICD-10-1 (2013), ICD-10-2 (2013), 廃止年月日."""
_LABELS = {_TYPE: "マスター種別", _CODE: "傷病名コード", _NAME: "傷病名基本名称", _ICD10_1: "ICD-10-1（2013）",
           _ICD10_2: "ICD-10-2（2013）", _ABOLISHED: "廃止年月日"}
_MIN_FIELDS = _ABOLISHED + 1
_CODE_PATTERN = re.compile(r"\d{7}")
_ICD10_PATTERN = r"^([A-Z]\d{2})([0-9A-Z]{0,2})$"
_NO_DATE = frozenset({"", "0", "00000000", "99999999"})


def looks_like_disease_master(path: str | Path) -> bool:
    """True when the first line reads as a b master row: a quoted or bare CSV line whose 2nd field is "B"
    and 3rd a 7-digit code (the file has no header, so its shape is all there is to go on)."""
    try:
        with Path(path).open(encoding=ENCODING, newline="") as handle:
            first = next(csv.reader([handle.readline()]), [])
    except (OSError, UnicodeDecodeError):
        return False
    return len(first) >= _MIN_FIELDS and first[_TYPE] == MASTER_TYPE and bool(_CODE_PATTERN.fullmatch(first[_CODE]))


def normalise_icd10(codes: pd.Series) -> pd.Series:
    """ICD-10 as the diagnoses frames spell it: "E119" → "E11.9", "I10" stays; blank → NA; other text → NA."""
    text = codes.astype("string").str.strip().str.upper().replace("", pd.NA)
    parts = text.str.extract(_ICD10_PATTERN)
    dotted = parts[0].where(parts[1].fillna("") == "", parts[0] + "." + parts[1])
    return dotted.astype("string")


def read_disease_master(path: str | Path) -> tuple[pd.DataFrame, list[Issue]]:
    """Read a b_ALL file into COLUMNS, one row per 傷病名コード, and the problems found.

    A file whose rows are not マスター種別 B (another 基本マスター, or not a master at all) is refused with
    one file-level error. A row that is too short, has a bad code, no name, an ICD-10 that is not a code or
    an unreadable 廃止年月日 is an error with its row, column and text. Every row long enough is returned,
    with its line number in `source_row`, so "valid rows only" can leave the bad ones out.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding=ENCODING)
    except (OSError, UnicodeDecodeError) as error:
        return _empty(), [Issue(path.name, None, None, "unreadable_file",
                                f"傷病名マスター「{path.name}」を読めません（{error}）")]
    rows = [row for row in csv.reader(text.splitlines()) if row]
    numbers = np.arange(1, len(rows) + 1)
    long_enough = np.array([len(row) >= _MIN_FIELDS for row in rows], dtype=bool)
    if not long_enough.any() or not any(row[_TYPE] == MASTER_TYPE for row, ok in zip(rows, long_enough) if ok):
        found = rows[0][_TYPE] if rows and len(rows[0]) > _TYPE else ""
        return _empty(), [Issue(path.name, None, None, "disease_master.not_b_master",
                                f"「{path.name}」は傷病名マスター（マスター種別 B の b_ALL ファイル）ではありません"
                                f"（1行目のマスター種別「{found}」）。支払基金の基本マスター 傷病名を選んでください。")]
    issues = [Issue(path.name, int(n), None, "disease_master.short_row",
                    f"項目が {len(rows[n - 1])} 個しかありません（{_MIN_FIELDS} 個以上必要）")
              for n in numbers[~long_enough]]
    kept = [row for row, ok in zip(rows, long_enough) if ok]
    raw = pd.DataFrame({i: pd.array([row[i] for row in kept], dtype="string") for i in _LABELS})
    raw.index = numbers[long_enough]
    frame = pd.DataFrame({
        "disease_code": raw[_CODE],
        "disease_name": raw[_NAME].replace("", pd.NA),
        "icd10": normalise_icd10(raw[_ICD10_1]),
        "icd10_2": normalise_icd10(raw[_ICD10_2]),
        "abolished_date": pd.to_datetime(raw[_ABOLISHED].where(~raw[_ABOLISHED].isin(_NO_DATE)),
                                         format="%Y%m%d", errors="coerce").astype("datetime64[ns]"),
    })
    checks = (  # (column whose text is quoted, rows in error, message)
        (_TYPE, raw[_TYPE] != MASTER_TYPE, "マスター種別が B ではありません"),
        (_CODE, ~raw[_CODE].str.fullmatch(r"\d{7}"), "傷病名コードは7桁の数字です"),
        (_CODE, raw[_CODE].duplicated(keep="first"), "傷病名コードが重複しています"),
        (_NAME, frame["disease_name"].isna(), "傷病名基本名称が空欄です"),
        (_ICD10_1, frame["icd10"].isna() & (raw[_ICD10_1].str.strip() != ""), "ICD-10 のコードとして読めません"),
        (_ICD10_2, frame["icd10_2"].isna() & (raw[_ICD10_2].str.strip() != ""), "ICD-10 のコードとして読めません"),
        (_ABOLISHED, frame["abolished_date"].isna() & ~raw[_ABOLISHED].isin(_NO_DATE),
         "廃止年月日は yyyymmdd で書かれます"),
    )
    for position, mask, message in checks:
        for row, value in raw.loc[mask.fillna(False).to_numpy(), position].items():
            issues.append(Issue(path.name, int(row), _LABELS[position], "disease_master.bad_value", message,
                                value=str(value)))
    frame.insert(0, SOURCE_ROW, pd.array(raw.index, dtype="Int64"))
    return frame.reset_index(drop=True), sorted(issues, key=lambda issue: issue.row or 0)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        SOURCE_ROW: pd.array([], dtype="Int64"),
        "disease_code": pd.array([], dtype="string"), "disease_name": pd.array([], dtype="string"),
        "icd10": pd.array([], dtype="string"), "icd10_2": pd.array([], dtype="string"),
        "abolished_date": pd.Series([], dtype="datetime64[ns]"),
    })
