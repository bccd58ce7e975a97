"""特定健診 XML (HL7 CDA, 電子的な標準様式) archives and documents to the CHECKUPS typed frame.

An archive is a .zip or a folder as delivered (index `ix08_V08.xml` at its root or in one sub-folder,
`DATA/*.xml` one document per person). Every item is read by its JLAC10 code set from
`dhdesk.core.fields.CHECKUPS`, the one mapping shared with the rest of dhdesk. Nothing raises on bad
input: every problem becomes an Issue whose source is the XML file name, whose column is the item and
whose value is the attribute or text as written in the document. A document is one person's row, so
issues inside it name the file, not a line (the service drops the whole document for any error in it).
Reading uses the standard library only; XSD validation is a separate step (it needs a schema package).
"""

from __future__ import annotations

import math
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS, Field, Kind, pandas_dtype
from dhdesk.core.issues import Issue, Severity
from dhdesk.io.xml_schema import schema_issues
from dhdesk.core.progress import ProgressFn, no_progress

HL7 = "{urn:hl7-org:v3}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
INDEX_NAME = "ix08_V08.xml"
DATA_FOLDER = "DATA"

OID_KIGO = "1.2.392.200119.6.204"
OID_BANGO = "1.2.392.200119.6.205"
OID_EDABAN = "1.2.392.200119.6.211"
REPORT_CHECKUP = "10"
"""報告区分 (OID .1001) of a 特定健診 result; 保健指導 documents (21–25) belong to another archive kind."""

SOURCE_FILE = "source_file"
INSURED_COLUMNS = ("insured_kigo", "insured_bango", "insured_edaban")
"""記号・番号・枝番 as written on the card, kept so the service can map them to our 加入者番号."""

COLUMNS = (*CHECKUPS.names, *INSURED_COLUMNS, SOURCE_FILE)

_BY_CODE: dict[str, Field] = {code: f for f in CHECKUPS.fields for code in f.jlac10}
_FASTING_ONLY = ("tg_fasting", "fbg")  # codes valid only when 採血時間 = 2 (食後10時間以上)
_RANDOM_ONLY = ("tg_random", "rbg")  # codes valid only when 採血時間 = 3 or 4
_FASTING = 2
_OUT_OF_RANGE = {"H": "上限", "L": "下限"}
_PROGRESS_EVERY = 500
_OBSERVATION, _CODE, _VALUE, _INTERPRETATION = (HL7 + t for t in ("observation", "code", "value", "interpretationCode"))


@dataclass
class _Document:
    """What one document yields: its row, its issues, and the item codes dhdesk does not read."""

    row: dict[str, object]
    issues: list[Issue]
    unknown: dict[str, str] = field(default_factory=dict)  # code → display name
    codes: dict[str, str] = field(default_factory=dict)  # field name → the method code that filled it
    texts: dict[str, str] = field(default_factory=dict)  # field name → its value as written in the document


def read_tokutei_document(source: bytes | str | Path, *,
                          name: str | None = None) -> tuple[dict[str, object], list[Issue]]:
    """One person's XML document as a row dict (every name in COLUMNS, None = missing) and its issues.

    `source` is the file's bytes or its path; `name` is the file name used in issues (default: the path's).
    An unreadable document gives an empty dict and an error.
    """
    data = source
    if isinstance(source, (str, Path)):
        name = name or Path(source).name
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            return {}, [Issue(name, None, None, "xml_unreadable", f"ファイルを開けません: {exc}")]
    name = name or "(XML)"
    doc = _parse_document(data, name)
    return doc.row, doc.issues + _unknown_issues(doc.unknown, dict.fromkeys(doc.unknown, 1), name)


def read_tokutei_archive(path: str | Path, *, progress: ProgressFn = no_progress) -> tuple[pd.DataFrame, list[Issue]]:
    """Every 特定健診 document of an archive (.zip or folder) as one CHECKUPS typed frame, and all problems.

    Rows of documents with errors are still returned (the service decides what to import); a document
    that cannot be parsed at all gives no row. Unknown item codes give one warning per code per archive.
    """
    path = Path(path)
    issues: list[Issue] = []
    rows: list[dict[str, object]] = []
    unknown_names: dict[str, str] = {}
    unknown_counts: dict[str, int] = {}
    try:
        with _Archive(path) as archive:
            issues += _check_index(archive, path.name)
            names = archive.data_files()
            for done, member in enumerate(names):
                if done % _PROGRESS_EVERY == 0:
                    progress(done / max(len(names), 1), f"特定健診XMLを読み込み中 {done}/{len(names)}")
                try:
                    data = archive.read(member)
                except OSError as exc:
                    issues.append(Issue(posixpath.basename(member), None, None, "xml_unreadable",
                                        f"アーカイブから取り出せません: {exc}"))
                    continue
                doc = _parse_document(data, posixpath.basename(member))
                issues += doc.issues
                if doc.row:
                    rows.append(doc.row)
                for code, display in doc.unknown.items():
                    unknown_names.setdefault(code, display)
                    unknown_counts[code] = unknown_counts.get(code, 0) + 1
    except OSError as exc:
        issues.append(Issue(path.name, None, None, "archive_unreadable", f"アーカイブを開けません: {exc}"))
    progress(1.0, "特定健診XMLの読み込み完了")
    issues += _unknown_issues(unknown_names, unknown_counts, path.name)
    return typed_checkups(rows), issues


def typed_checkups(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Row dicts (as `read_tokutei_document` returns) to the CHECKUPS typed frame + insured_* + source_file."""
    columns = {}
    index = pd.RangeIndex(len(rows))
    for f in CHECKUPS.fields:
        columns[f.name] = _column([r.get(f.name) for r in rows], pandas_dtype(f), index)
    for name in (*INSURED_COLUMNS, SOURCE_FILE):
        columns[name] = _column([r.get(name) for r in rows], "string", index)
    return pd.DataFrame(columns, index=index)


def _column(values: list[object], dtype: str, index: pd.Index) -> pd.Series:
    if dtype == "float64":
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype="float64"), index=index)
    if dtype == "datetime64[ns]":
        return pd.to_datetime(pd.Series(values, index=index, dtype=object)).astype(dtype)
    return pd.Series([pd.NA if v is None else v for v in values], index=index, dtype=object).astype(dtype)


# ---- archive ----------------------------------------------------------------------------------------------


class _Archive:
    """A delivered archive, zip or folder: its files by POSIX path relative to the archive root."""

    def __init__(self, path: Path) -> None:
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self._root = path
            self._names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, EOFError, RuntimeError, ValueError) as exc:
                raise OSError(f"zip として読めません: {exc}") from exc
            self._names = sorted(n for n in self._zip.namelist() if not n.endswith("/"))

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._zip is not None:
            self._zip.close()

    def read(self, name: str) -> bytes:
        """One file's bytes; a damaged, encrypted or unsupported zip member raises OSError like a missing file."""
        if self._zip is None:
            return (self._root / name).read_bytes()
        try:
            return self._zip.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError) as exc:
            raise OSError(str(exc)) from exc

    def index_files(self) -> list[str]:
        """Index files at the root or one folder down (the delivered root folder, often zipped with it)."""
        return [n for n in self._names if posixpath.basename(n).lower() == INDEX_NAME.lower() and n.count("/") <= 1]

    def data_files(self) -> list[str]:
        """`DATA/*.xml` beside the index (or at the root / one folder down when the index is missing)."""
        indexes = self.index_files()
        if len(indexes) == 1:
            bases = {posixpath.dirname(indexes[0])}
        else:
            bases = {"", *(n.split("/", 1)[0] for n in self._names if "/" in n)}
        return [n for n in self._names if n.lower().endswith(".xml") and n.count("/") >= 1
                and posixpath.basename(posixpath.dirname(n)).upper() == DATA_FOLDER
                and posixpath.dirname(posixpath.dirname(n)) in bases]


def _check_index(archive: _Archive, source: str) -> list[Issue]:
    """The index must exist once and its 総件数 must match the documents delivered."""
    indexes = archive.index_files()
    if not indexes:
        return [Issue(source, None, INDEX_NAME, "index_missing",
                      f"インデックスファイル {INDEX_NAME} がありません。送付用アーカイブの形式を確認してください")]
    if len(indexes) > 1:
        return [Issue(source, None, INDEX_NAME, "index_many",
                      f"インデックスファイルが複数あります ({', '.join(indexes)})。1回分ずつ取り込んでください")]
    try:
        root = ET.fromstring(archive.read(indexes[0]))
    except (OSError, ET.ParseError, ValueError, LookupError) as exc:
        return [Issue(INDEX_NAME, None, None, "index_unreadable", f"インデックスファイルが XML として読めません: {exc}")]
    invalid = schema_issues(archive.read(indexes[0]), "ix08", INDEX_NAME)
    if invalid:
        return invalid
    total = root.find("{*}totalRecordCount")
    written = None if total is None else total.get("value")
    count = len(archive.data_files())
    if not (written or "").isdigit():
        return [Issue(INDEX_NAME, None, "totalRecordCount", "index_count", "インデックスに総件数（数字）がありません",
                      Severity.WARNING, written or None)]
    if int(written) != count:
        return [Issue(INDEX_NAME, None, "totalRecordCount", "index_count",
                      f"インデックスの総件数 {written} 件と DATA フォルダの文書 {count} 件が一致しません", value=written)]
    return []


def _unknown_issues(names: dict[str, str], counts: dict[str, int], source: str) -> list[Issue]:
    return [Issue(source, None, code, "unknown_code",
                  f"dhdesk が読まない項目コード {code}{f'（{names[code]}）' if names[code] else ''} は読み飛ばしました"
                  f"（{counts[code]}件の文書）", Severity.WARNING, code)
            for code in sorted(names)]


# ---- one document ------------------------------------------------------------------------------------------


def _parse_document(data: bytes, name: str) -> _Document:
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError) as exc:
        return _Document({}, [Issue(name, None, None, "xml_unreadable", f"XML として読めません（壊れています）: {exc}")])
    if root.tag != f"{HL7}ClinicalDocument":
        return _Document({}, [Issue(name, None, None, "not_cda",
                                    "特定健診の標準様式 (ClinicalDocument, urn:hl7-org:v3) ではありません",
                                    value=root.tag)])
    report = _attr(root, "code", "code")
    if report is not None and report != REPORT_CHECKUP:
        return _Document({}, [Issue(name, None, "報告区分", "not_checkup",
                                    f"報告区分 {report} は特定健診 (10) ではありません。保健指導の文書は別に取り込みます",
                                    value=_raw(root, "code", "code"))])
    doc = _Document({**dict.fromkeys(COLUMNS), SOURCE_FILE: name}, schema_issues(data, "hc08", name))
    _read_header(root, doc, name)
    for obs in root.iter(_OBSERVATION):
        _read_observation(obs, doc, name)
    _check_blood_timing(doc, name)
    return doc


@cache
def _ns(path: str) -> str:
    """`a/b` in the HL7 namespace, as ElementTree spells it."""
    return "/".join(HL7 + step for step in path.split("/"))


def _raw(element: ET.Element, path: str, attribute: str) -> str | None:
    """The attribute exactly as written (for issues), None when the element or attribute is absent."""
    found = element.find(_ns(path))
    return None if found is None else found.get(attribute)


def _attr(element: ET.Element, path: str, attribute: str) -> str | None:
    """The attribute without surrounding spaces; None when absent or blank."""
    value = _raw(element, path, attribute)
    return value.strip() if value and value.strip() else None


def _read_header(root: ET.Element, doc: _Document, name: str) -> None:
    role = root.find(_ns("recordTarget/patientRole"))
    ids = {} if role is None else {i.get("root"): (i.get("extension") or "").strip() or None
                                   for i in role.findall(_ns("id"))}
    doc.row.update(insured_kigo=ids.get(OID_KIGO), insured_bango=ids.get(OID_BANGO), insured_edaban=ids.get(OID_EDABAN),
                   member_id=ids.get(OID_BANGO))
    if doc.row["member_id"] is None:
        doc.issues.append(Issue(name, None, "被保険者証等番号", "no_member",
                                "被保険者証等番号 (OID 1.2.392.200119.6.205) がありません"))
    patient = "recordTarget/patientRole/patient"
    sex = _attr(root, f"{patient}/administrativeGenderCode", "code")
    doc.row["sex"] = int(sex) if sex in ("1", "2") else None
    if doc.row["sex"] is None:
        doc.issues.append(Issue(name, None, "性別", "bad_sex", f"性別コードが 1 (男) / 2 (女) ではありません: {sex or '空欄'}",
                                value=_raw(root, f"{patient}/administrativeGenderCode", "code") or None))
    doc.row["birth_date"] = _date(_raw(root, f"{patient}/birthTime", "value"), "生年月日", doc, name)
    service_time = "documentationOf/serviceEvent/effectiveTime"
    exam_path = service_time if _attr(root, service_time, "value") else "effectiveTime"
    doc.row["exam_date"] = _date(_raw(root, exam_path, "value"), "健診日", doc, name)
    clinic = root.find(_ns("author/assignedAuthor/representedOrganization/name"))
    if clinic is None or not (clinic.text or "").strip():
        clinic = root.find(_ns("documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/name"))
    doc.row["clinic"] = (clinic.text or "").strip() or None if clinic is not None else None


def _date(written: str | None, label: str, doc: _Document, name: str) -> pd.Timestamp | None:
    """HL7 TS `yyyymmdd[hhmm…]` to a date; a required date that is missing or impossible is an error."""
    text = (written or "").strip()
    if len(text) >= 8 and text[:8].isdigit():
        try:
            return pd.Timestamp(year=int(text[:4]), month=int(text[4:6]), day=int(text[6:8]))
        except ValueError:
            pass
    doc.issues.append(Issue(name, None, label, "bad_date", f"{label}が yyyymmdd の日付ではありません: {text or '空欄'}",
                            value=written or None))
    return None


def _read_observation(obs: ET.Element, doc: _Document, name: str) -> None:
    code_el = obs.find(_CODE)
    code = (code_el.get("code") or "").strip() if code_el is not None else ""
    target = _BY_CODE.get(code)
    if target is None:
        if code:
            doc.unknown.setdefault(code, (code_el.get("displayName") or "").strip() if code_el is not None else "")
        return
    if target.name in doc.codes:
        doc.issues.append(Issue(name, None, target.label, "duplicate_item",
                                f"「{target.label}」が2回あります（項目コード {doc.codes[target.name]} と {code}）。"
                                "検査方法コードは1つだけ記録してください", value=_written(obs.find(_VALUE), target)))
        return
    doc.codes[target.name] = code
    value = obs.find(_VALUE)
    if value is None or obs.get("nullFlavor") or value.get("nullFlavor"):
        doc.row[target.name] = None
        return
    written = _written(value, target)
    if written is not None:
        doc.texts[target.name] = written
    doc.row[target.name] = _value(value, target, code, doc, name)
    interpretation = obs.find(_INTERPRETATION)
    flag = None if interpretation is None else interpretation.get("code")
    if flag in _OUT_OF_RANGE and doc.row[target.name] is not None:
        doc.issues.append(Issue(name, None, target.label, "out_of_range",
                                f"「{target.label}」{doc.row[target.name]} は健診機関が入力範囲の{_OUT_OF_RANGE[flag]}外 "
                                f"({flag}) と記録した値です。値はそのまま取り込みます", Severity.WARNING, written))


def _written(value: ET.Element | None, target: Field) -> str | None:
    """An observation's value as the document writes it (PQ `value`, CD/CO `code`, ST text, whichever the
    element has, the field's own kind first); None when it has none."""
    if value is None:
        return None
    if target.kind is Kind.TEXT:
        return value.text or None
    first, second = ("value", "code") if target.kind is Kind.NUMBER else ("code", "value")
    return value.get(first) or value.get(second) or value.text or None


def _value(value: ET.Element, target: Field, code: str, doc: _Document, name: str) -> object:
    """The observation value as the field's kind (PQ → float, CD/CO → code, ST → text); a mismatch is an error."""
    xsi_type = (value.get(XSI_TYPE) or "").split(":")[-1]
    if target.kind is Kind.NUMBER:
        try:
            number = float(value.get("value") or "")
        except ValueError:
            number = float("nan")
        if xsi_type == "PQ" and math.isfinite(number):
            return number
        return _bad(doc, name, target, code, f"数値 (PQ) ではありません: {xsi_type or '型なし'} {value.get('value') or ''}")
    if target.kind is Kind.TEXT:
        return (value.text or "").strip() or None
    text = (value.get("code") or "").strip()
    if xsi_type not in ("CD", "CO") or not text:
        return _bad(doc, name, target, code, f"コード (CD/CO) ではありません: {xsi_type or '型なし'} {text}")
    if not target.choices:
        return text
    allowed = {c.code for c in target.choices}
    if not text.isdigit() or int(text) not in allowed:
        return _bad(doc, name, target, code, f"コード {text} は使えません（{'・'.join(str(c) for c in sorted(allowed))}）")
    return int(text)


def _bad(doc: _Document, name: str, target: Field, code: str, detail: str) -> None:
    doc.issues.append(Issue(name, None, target.label, "bad_value", f"「{target.label}」({code}) の値が読めません: {detail}",
                            value=doc.texts.get(target.name)))
    return None


def _check_blood_timing(doc: _Document, name: str) -> None:
    """空腹時 codes need 採血時間 2 and 随時 codes need 3/4: a mismatch keeps the value as coded and warns."""
    timing = doc.row.get("blood_timing")
    measured = [n for n in (*_FASTING_ONLY, *_RANDOM_ONLY) if doc.row.get(n) is not None]
    if measured and timing is None:
        doc.issues.append(Issue(name, None, "採血時間", "timing_missing",
                                "採血時間（食後）がないため空腹時・随時の区別を確認できません", Severity.WARNING))
        return
    for n in measured:
        fasting_code = n in _FASTING_ONLY
        if fasting_code != (timing == _FASTING):
            label = CHECKUPS.field(n).label
            doc.issues.append(Issue(name, None, label, "timing_mismatch",
                                    f"「{label}」のコードですが採血時間は {timing}"
                                    f"（{'2 空腹時が必要' if fasting_code else '3/4 随時が必要'}）です", Severity.WARNING,
                                    doc.texts.get(n)))
