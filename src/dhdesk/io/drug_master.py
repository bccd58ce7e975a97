"""The MHLW drug lists (医薬品マスター) joined into the DRUG_MASTER typed frame.

厚生労働省 publishes the 薬価基準収載品目リスト (price list) and 後発医薬品に関する情報 (brand/generic status) as
Excel, and they circulate as CSV; both are read as published. They are joined on the 12-digit
薬価基準収載医薬品コード. A version is the date the prices apply from: given, or read from the file name
(…_20250716.csv), because a claim month must be priced with the list in force then. The optional
支払基金 医薬品マスター adds the 9-digit code used on claims.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pandas as pd

from dhdesk.core.fields import DRUG_MASTER
from dhdesk.core.issues import Issue, Severity
from dhdesk.io.canonical import empty_frame, typed_frame
from dhdesk.io.columns import ColumnMapping, auto_map
from dhdesk.io.tabular import UnreadableFile, read_table

VERSION_DATE = "version_date"
"""Extra column: the date the list applies from (適用開始日)."""

GENERIC_STATUS_HEADER = "各先発医薬品の後発医薬品の有無に関する情報"
_TRANSITION_SUFFIX = re.compile(r"\s*まで\s*$")
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_SSK_RECEIPT_CODE, _SSK_YJ_CODE = 2, 31  # columns of the 支払基金 基本マスター 医薬品 (y) file


def version_from_name(path: str | Path) -> date | None:
    """The yyyymmdd date in a file name (mhlw_yakka_list_20250716.csv → 2025-07-16), if any."""
    for match in _DATE_IN_NAME.finditer(Path(path).name):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def read_drug_master(price_list: str | Path, generic_info: str | Path | None = None, *,
                     receipt_codes: str | Path | None = None,
                     version: date | None = None) -> tuple[pd.DataFrame, list[Issue]]:
    """Read the price list (CSV or Excel as published), add 後発医薬品情報 and claim codes when given.

    A price list that itself carries the 後発医薬品の有無 column (as `office_files.write_drug_lists` writes
    it) needs no second file. Returns the DRUG_MASTER frame + `source_row` + `version_date`, and the issues
    (a duplicate code or an unreadable price is an error; codes only one list knows are a warning).
    """
    price_list = Path(price_list)
    version = version or version_from_name(price_list)
    frame, issues = _read_price_list(price_list)
    if generic_info is not None:
        frame, more = _join_generic_info(frame, Path(generic_info))
        issues += more
    if receipt_codes is not None:
        frame, more = _join_receipt_codes(frame, Path(receipt_codes))
        issues += more
    if version is None:
        issues.append(Issue(price_list.name, None, None, "unknown_version",
                            "薬価基準の適用開始日が分かりません（ファイル名に日付 yyyymmdd を含めるか、日付を指定してください）"))
    frame[VERSION_DATE] = pd.Series(pd.Timestamp(version) if version else pd.NaT, index=frame.index,
                                    dtype="datetime64[ns]")
    return frame, issues


def _read_published(path: Path) -> tuple[pd.DataFrame, list[Issue], ColumnMapping | None]:
    """One MHLW list as DRUG_MASTER fields (「R8.3.31まで」 read as a date) and its mapping (None when the
    file is unreadable). The published columns dhdesk does not use (局, 麻, 備考…) are not reported."""
    try:
        raw = read_table(path, layout=DRUG_MASTER)
    except UnreadableFile as error:
        return empty_frame(DRUG_MASTER), [Issue(path.name, None, None, "unreadable_file", str(error))], None
    mapping = auto_map(raw.headers, DRUG_MASTER)
    column = mapping.header_of("transition_until")
    if column is not None:
        cleaned = raw.data.copy()
        cleaned[column] = cleaned[column].str.replace(_TRANSITION_SUFFIX, "", regex=True)
        raw = dataclasses.replace(raw, data=cleaned)
    frame, issues = typed_frame(raw, DRUG_MASTER, mapping)
    return frame, [i for i in issues if i.code != "unused_column"], mapping


def _read_price_list(path: Path) -> tuple[pd.DataFrame, list[Issue]]:
    frame, issues, mapping = _read_published(path)
    code_header = mapping.header_of("yj_code") if mapping else None
    duplicated = frame["yj_code"].duplicated(keep="first") & frame["yj_code"].notna()
    for row, code in zip(frame.loc[duplicated, "source_row"], frame.loc[duplicated, "yj_code"], strict=True):
        issues.append(Issue(path.name, int(row), code_header, "duplicate_code",
                            f"薬価基準収載医薬品コード「{code}」が重複しています"))
    return frame, issues


def _join_generic_info(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[Issue]]:
    """Take 後発医薬品の有無 (1, 2, ☆, 3, ★) from MHLW's 後発医薬品に関する情報, by 薬価基準収載医薬品コード.

    That file repeats 成分名・品名 but not the price: only its status column is taken.
    """
    info, issues, mapping = _read_published(path)
    if mapping is None:
        return frame, issues
    used = (mapping.header_of("yj_code"), mapping.header_of("generic_info"))
    if None in used:
        missing = DRUG_MASTER.field("yj_code").label if used[0] is None else GENERIC_STATUS_HEADER
        return frame, [Issue(path.name, None, missing, "missing_column", f"必須の列「{missing}」がありません")]
    issues = [i for i in issues if i.column in used]
    status = info.dropna(subset=["yj_code"]).drop_duplicates("yj_code").set_index("yj_code")["generic_info"]
    frame = frame.copy()
    frame["generic_info"] = frame["yj_code"].map(status).astype("string")
    unknown = int((~frame["yj_code"].isin(status.index)).sum())
    extra = int((~status.index.isin(frame["yj_code"])).sum())
    if unknown:
        issues.append(Issue(path.name, None, None, "generic_info_missing",
                            f"薬価基準の{unknown}品目が後発医薬品情報にありません（後発医薬品情報は空欄になります）",
                            Severity.WARNING))
    if extra:
        issues.append(Issue(path.name, None, None, "generic_info_unknown_code",
                            f"後発医薬品情報の{extra}品目は薬価基準にありません（版の違う2つのファイルではありませんか）",
                            Severity.WARNING))
    return frame, issues


def _join_receipt_codes(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[Issue]]:
    """Add the 9-digit claim code from the 支払基金 医薬品マスター (headerless cp932 CSV, one row per code)."""
    try:
        master = pd.read_csv(path, header=None, dtype="string", encoding="cp932", keep_default_na=False,
                             usecols=[_SSK_RECEIPT_CODE, _SSK_YJ_CODE])
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as error:
        return frame, [Issue(path.name, None, None, "unreadable_file",
                             f"支払基金 医薬品マスター「{path.name}」を読めません（{error}）")]
    master.columns = ["receipt_code", "yj_code"]
    master = master[master["yj_code"].str.len() == 12].drop_duplicates("yj_code")
    frame = frame.copy()
    frame["receipt_code"] = frame["yj_code"].map(master.set_index("yj_code")["receipt_code"]).astype("string")
    return frame, []
