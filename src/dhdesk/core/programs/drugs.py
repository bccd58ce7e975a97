"""医薬品明細の月次抽出: what 差額通知 and 多剤服用 share — the claim month a run covers and its drug lines.

Both programs read one 診療月 of drug lines with the receipt they belong to (医療機関, レセプト種別, 公費併用)
and the member's row in the year's population, so they count the same lines the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import positions
from dhdesk.core.programs import ProgramInputs

RECEIPT_COLUMNS = ["facility_code", "facility_name", "receipt_kind", "public_expense"]
"""What a drug line takes from its receipt."""


def claim_month(inputs: ProgramInputs, params: Mapping[str, Any]) -> str:
    """The run's 診療年月 as yyyymm: `params["month"]` (yyyymm or YYYY-MM), else the latest month loaded."""
    chosen = "".join(ch for ch in str(params.get("month") or "") if ch.isdigit())
    if chosen:
        if len(chosen) != 6 or not 1 <= int(chosen[4:]) <= 12:
            raise ValueError(f"診療年月「{params['month']}」が読めません（例: 202507 または 2025-07）。")
        return chosen
    months = inputs.drug_lines["service_month"].dropna()
    if months.empty:
        raise ValueError("医薬品の明細が取り込まれていないため、診療年月を決められません。")
    return str(months.max())


def month_label(month: str) -> str:
    """yyyymm → YYYY-MM, as letters and lists print a month."""
    return f"{month[:4]}-{month[4:6]}"


def month_lines(inputs: ProgramInputs, month: str, pop: pd.DataFrame,
                claim_types: list[int] | None = None) -> pd.DataFrame:
    """The drug lines of `month` (optionally of some レセプト区分 only) of members in `pop`, with `pop_row`,
    their position in the source frame (`line_id`) and the receipt's RECEIPT_COLUMNS."""
    lines = inputs.drug_lines
    keep = (lines["service_month"] == month).fillna(False).to_numpy(dtype=bool)
    if claim_types is not None:
        keep &= lines["claim_type"].astype("Int64").isin(claim_types).fillna(False).to_numpy(dtype=bool)
    chosen = lines.loc[keep, ["receipt_id", "member_id", "service_month", "claim_type", "yj_code", "drug_name",
                              "quantity", "days"]]
    row = positions(chosen["member_id"], pop.index)
    chosen = chosen.loc[row >= 0].assign(pop_row=row[row >= 0], line_id=np.flatnonzero(keep)[row >= 0])
    receipts = inputs.receipts
    in_month = receipts.loc[(receipts["service_month"] == month).fillna(False).to_numpy(dtype=bool),
                            ["receipt_id", *RECEIPT_COLUMNS]]
    return chosen.merge(in_month, on="receipt_id", how="left").reset_index(drop=True)
