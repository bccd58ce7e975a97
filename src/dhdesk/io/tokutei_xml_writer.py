"""Writing 特定健診 XML (電子的な標準様式, HL7 CDA) documents and archives from a CHECKUPS typed frame.

Follows the MHLW CDA template (reference-data/tokutei-xml/CDAtemplate-hc18) and the item master
XMLhc24tab.csv: namespace urn:hl7-org:v3, `xsi:type` PQ/CD/CO/ST, the OIDs of the header ids, and the archive
layout `{sender}_{receiver}_{date}{split}_{kind}/ix08_V08.xml + DATA/h….xml` (zipped or as a folder). The demo
writes the archive a clinic would deliver; tests write malformed variants through the same functions.
A row carries the card's 記号・番号・枝番 in `insured_kigo`, `insured_bango`, `insured_edaban`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS, Field, Kind

SENDER = "1311111111"
RECEIVER = "06139999"
DATE = "20240601"

# Coded items: value type and result code system, from XMLhc24tab.csv (XMLITEM_TYPE, XMLITEM_CODEOID).
CODED: dict[str, tuple[str, str]] = {
    "blood_timing": ("CD", "1.2.392.200119.6.2202"),
    "urine_glucose": ("CO", "1.2.392.200119.6.2102"),
    "urine_protein": ("CO", "1.2.392.200119.6.2102"),
    "ecg": ("CD", "1.2.392.200119.6.2002"),
    "fundus_kw": ("CO", "1.2.392.200119.6.2110"),
    "history": ("CD", "1.2.392.200119.6.2001"),
    "symptoms": ("CD", "1.2.392.200119.6.2001"),
    "signs": ("CD", "1.2.392.200119.6.2001"),
    "smoking": ("CD", "1.2.392.200119.6.24060"),
    "chewing": ("CD", "1.2.392.200119.6.18030"),
    "eating_speed": ("CD", "1.2.392.200119.6.2004"),
    "snacking": ("CD", "1.2.392.200119.6.18040"),
    "drinking_freq": ("CD", "1.2.392.200119.6.24040"),
    "drinking_amount": ("CO", "1.2.392.200119.6.24050"),
    "willingness": ("CD", "1.2.392.200119.6.2007"),
    "clinic_metabo": ("CD", "1.2.392.200119.6.1008"),
    "clinic_level": ("CD", "1.2.392.200119.6.3001"),
}
YES_NO_OID = "1.2.392.200119.6.2003"


def document_name(serial: int, sender: str = SENDER, date: str = DATE) -> str:
    """`h{機関番号10桁}{yyyymmdd}{分割1桁}{実施区分1桁}{連番6桁}.xml`."""
    return f"h{sender}{date}11{serial:06d}.xml"


def document_xml(row: Mapping[str, object], *, methods: Mapping[str, int] | None = None,
                 flags: Mapping[str, str] | None = None, null: Iterable[str] = (),
                 extra: Iterable[tuple[str, str]] = (), report_code: str = "10",
                 sender: str = SENDER, receiver: str = RECEIVER) -> bytes:
    """One person's CDA document from a typed-frame row (missing values are left out).

    `methods` picks the n-th JLAC10 method code of a field, `flags` adds H/L interpretation codes, `null`
    writes those fields as nullFlavor="NI", and `extra` adds raw (code, PQ value) observations.
    """
    methods, flags = methods or {}, flags or {}
    entries = []
    for f in CHECKUPS.fields:
        if not f.jlac10:
            continue
        code = f.jlac10[methods.get(f.name, 0)]
        if f.name in null:
            entries.append(_observation(code, f.label, f'<value xsi:type="{_xsi_type(f)}" nullFlavor="NI"/>'))
        elif not _missing(row.get(f.name)):
            flag = flags.get(f.name)
            entries.append(_observation(code, f.label, _value(f, row[f.name]), flag))
    entries += [_observation(code, "追加項目", f'<value xsi:type="PQ" value="{value}" unit="1"/>') for code, value in extra]
    ids = "".join(f'<id extension={quoteattr(str(row.get(col) or ""))} root="1.2.392.200119.6.{oid}"/>'
                  for col, oid in (("insured_kigo", 204), ("insured_bango", 205), ("insured_edaban", 211))
                  if not _missing(row.get(col)))
    exam = _ymd(row["exam_date"])
    clinic = escape(str(row.get("clinic") or ""))
    organization = (f'<representedOrganization><id extension="{sender}" root="1.2.392.200119.6.102"/>'
                    f"<name>{clinic}</name></representedOrganization>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="urn:hl7-org:v3 ../XSD/hc08_V08.xsd">'
        '<typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/><id nullFlavor="NI"/>'
        f'<code code="{report_code}" codeSystem="1.2.392.200119.6.1001"/>'
        f'<effectiveTime value="{exam}"/><confidentialityCode code="N"/>'
        f'<recordTarget><patientRole><id extension="{receiver}" root="1.2.392.200119.6.101"/>'
        f"{ids}<addr><postalCode>100-0001</postalCode>東京都千代田区</addr><patient><name>テスト　太郎</name>"
        f'<administrativeGenderCode code="{row["sex"]}" codeSystem="1.2.392.200119.6.1104"/>'
        f'<birthTime value="{_ymd(row["birth_date"])}"/></patient></patientRole></recordTarget>'
        f'<author><time value="{exam}"/><assignedAuthor><id nullFlavor="NI"/>{organization}</assignedAuthor></author>'
        "<custodian><assignedCustodian><representedCustodianOrganization><id nullFlavor=\"NI\"/>"
        "</representedCustodianOrganization></assignedCustodian></custodian>"
        '<documentationOf><serviceEvent><code code="1" codeSystem="1.2.392.200119.6.1002"/>'
        f'<effectiveTime value="{exam}"/><performer typeCode="PRF"><assignedEntity><id nullFlavor="NI"/>'
        f"{organization}</assignedEntity></performer></serviceEvent></documentationOf>"
        '<component><structuredBody><component><section>'
        '<code code="01010" codeSystem="1.2.392.200119.6.1010" displayName="特定健診情報"/>'
        f'<title>特定健診情報</title><text><list><item>特定健診</item></list></text>{"".join(entries)}'
        "</section></component></structuredBody></component></ClinicalDocument>"
    ).encode("utf-8")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def _ymd(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y%m%d")


def _xsi_type(f: Field) -> str:
    if f.kind is Kind.NUMBER:
        return "PQ"
    if f.kind is Kind.TEXT:
        return "ST"
    return CODED.get(f.name, ("CD", YES_NO_OID))[0]


def _value(f: Field, value: object) -> str:
    kind = _xsi_type(f)
    if kind == "PQ":
        return f'<value xsi:type="PQ" value="{float(value):.{f.decimals or 0}f}" unit={quoteattr(f.unit)}/>'
    if kind == "ST":
        return f'<value xsi:type="ST">{escape(str(value))}</value>'
    system = CODED.get(f.name, ("CD", YES_NO_OID))[1]
    return f'<value xsi:type="{kind}" code="{value}" codeSystem="{system}"/>'


def _observation(code: str, label: str, value: str, flag: str | None = None) -> str:
    interpretation = f'<interpretationCode code="{flag}" codeSystem="1.2.392.200119.6.2101"/>' if flag else ""
    return (f'<entry><observation classCode="OBS" moodCode="EVN"><code code="{code}" codeSystem="1.2.392.200119.6.1005"'
            f" displayName={quoteattr(label)}/>{value}{interpretation}</observation></entry>")


def index_xml(count: int, sender: str = SENDER, receiver: str = RECEIVER, date: str = DATE) -> bytes:
    """The ix08 index: 種別, 作成日, 送信機関, 受信機関, 実施区分, 総件数."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<index xmlns="https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/0000161103.html">'
        f'<interactionType code="1"/><creationTime value="{date}"/>'
        f'<sender><id root="1.2.392.200119.6.102" extension="{sender}"/></sender>'
        f'<receiver><id root="1.2.392.200119.6.101" extension="{receiver}"/></receiver>'
        f'<serviceEventType code="1"/><totalRecordCount value="{count}"/></index>'
    ).encode("utf-8")


def archive_root(sender: str = SENDER, receiver: str = RECEIVER, date: str = DATE) -> str:
    """`{提出元10桁}_{提出先8桁}_{yyyymmdd}{同日分割回数1桁}_{実施区分1桁}`."""
    return f"{sender}_{receiver}_{date}1_1"


def archive_files(frame: pd.DataFrame, *, documents: Mapping[str, bytes] | None = None,
                  with_index: bool = True, index_count: int | None = None, sender: str = SENDER,
                  receiver: str = RECEIVER, date: str = DATE) -> dict[str, bytes]:
    """Every file of an archive (POSIX paths under the root folder): index + one DATA document per row.

    `documents` adds or replaces DATA files by name (a malformed one, a hand-made one).
    """
    root = archive_root(sender, receiver, date)
    data = {document_name(n, sender, date): document_xml(row, sender=sender, receiver=receiver)
            for n, row in enumerate(frame.to_dict("records"), start=1)}
    data.update(documents or {})
    files = {f"{root}/DATA/{name}": body for name, body in data.items()}
    if with_index:
        files[f"{root}/ix08_V08.xml"] = index_xml(len(data) if index_count is None else index_count, sender, receiver, date)
    return files


def write_archive(files: Mapping[str, bytes], folder: Path, *, zipped: bool = False) -> Path:
    """Write archive files under `folder` as the delivered root folder, or as `{root}.zip` when `zipped`."""
    root = next(iter(files)).split("/", 1)[0]
    if zipped:
        target = folder / f"{root}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in files.items():
                archive.writestr(name, body)
        return target
    for name, body in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    return folder / root
