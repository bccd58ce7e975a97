"""Hand-built program inputs for the program tests: a roster, claims by month and code, send history."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dhdesk.core.fields import DIAGNOSES, DRUG_LINES, DRUG_MASTER, MEMBERS, RECEIPTS
from dhdesk.core.programs import ProgramInputs
from dhdesk.core.synthetic.typed import typed_frame
from typed_rows import HEALTHY_MAN


def members(ids: list[str], **columns: list) -> pd.DataFrame:
    """A roster of `ids` (50-year-old 本人 with an address) with any column overridden per member."""
    n = len(ids)
    base = {"member_id": ids, "name": ids, "sex": [1] * n, "birth_date": ["1974-10-01"] * n, "relation": [1] * n,
            "acquired_date": ["2000-04-01"] * n, "postal_code": ["100-0001"] * n, "address1": ["東京都千代田区1"] * n}
    return typed_frame(MEMBERS, base | columns, n)


def claims(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(receipts, diagnoses, drug_lines) from {member_id, month, icd10? | yj?, facility?, suspected?}."""
    ids = [f"R{i}" for i in range(len(rows))]
    receipts = typed_frame(RECEIPTS, {
        "receipt_id": ids, "member_id": [r["member_id"] for r in rows], "service_month": [r["month"] for r in rows],
        "claim_type": [r.get("claim_type", 2) for r in rows], "points": [100] * len(rows),
        "facility_name": [r.get("facility", "中央内科") for r in rows]}, len(rows))
    dx = [(rid, r) for rid, r in zip(ids, rows) if "icd10" in r]
    diagnoses = typed_frame(DIAGNOSES, {"receipt_id": [rid for rid, _ in dx], "icd10": [r["icd10"] for _, r in dx],
                                        "is_suspected": [r.get("suspected", 2) for _, r in dx]}, len(dx))
    drug = [(rid, r) for rid, r in zip(ids, rows) if "yj" in r]
    lines = typed_frame(DRUG_LINES, {"receipt_id": [rid for rid, _ in drug], "yj_code": [r["yj"] for _, r in drug]},
                        len(drug))
    keys = receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    return receipts, diagnoses.merge(keys, on="receipt_id"), lines.merge(keys, on="receipt_id")


def history(rows: list[dict] | None = None) -> pd.DataFrame:
    rows = rows or []
    return pd.DataFrame({"member_id": pd.Series([r["member_id"] for r in rows], dtype="string"),
                         "program": pd.Series([r["program"] for r in rows], dtype="string"),
                         "sent_date": pd.to_datetime(pd.Series([r["sent_date"] for r in rows], dtype=object)),
                         "batch_status": pd.Series([r.get("batch_status", "issued") for r in rows], dtype="string")})


def program_inputs(roster: pd.DataFrame, exams: pd.DataFrame, claim_rows: list[dict] | None = None,
                   as_of: date = date(2025, 3, 31), sent: list[dict] | None = None) -> ProgramInputs:
    receipts, diagnoses, lines = claims(claim_rows or [])
    master = typed_frame(DRUG_MASTER, {}, 0).assign(version_date=pd.Series(dtype="datetime64[ns]"))
    return ProgramInputs(roster, exams, receipts, diagnoses, lines, master, history(sent), as_of)


def person(member_id: str, **values) -> dict:
    return HEALTHY_MAN | {"member_id": member_id} | values
