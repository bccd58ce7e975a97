"""Our judgement beside the clinic's own (健診機関判定): where the 保健指導レベル or メタボ判定 differ.

The 特定健診 XML carries the clinic's 保健指導レベル (9N506) and メタボ判定 (9N501) as codes; a difference
usually means a value the clinic judged before correcting, a different 年度 age, or a rule applied
differently — each one is worth a look before letters go out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CLINIC_LEVELS = {"1": "積極的支援", "2": "動機付け支援", "3": "情報提供", "4": "判定不能"}
"""支援レベルコード (OID 1.2.392.200119.6.3001): 3 = なし, i.e. 情報提供 in dhdesk's words."""
CLINIC_METABO = {"1": "基準該当", "2": "予備群該当", "3": "非該当", "4": "判定不能"}
"""メタボリックシンドローム判定コード (OID 1.2.392.200119.6.1008)."""


def clinic_differences(checkups: pd.DataFrame, judged: pd.DataFrame) -> pd.Series:
    """Per row, 「健診機関 動機付け支援 ≠ dhdesk 積極的支援」 for each judgement that differs; "" when they agree
    or the clinic gave none. 対象外 rows are not compared (the clinic codes only those it judged)."""
    parts = []
    for column, codes, ours, label in (
        ("clinic_level", CLINIC_LEVELS, "level", "保健指導レベル"),
        ("clinic_metabo", CLINIC_METABO, "metabo", "メタボ判定"),
    ):
        if column not in checkups.columns:
            continue
        theirs = checkups[column].astype("string").map(codes).astype("string")
        mine = judged[ours].astype("string")
        differs = (theirs.notna() & (mine != "対象外") & (theirs != mine)).fillna(False).to_numpy(dtype=bool)
        text = np.where(differs, label + ": 健診機関 " + theirs.fillna("") + " ≠ dhdesk " + mine.fillna(""), "")
        parts.append(pd.Series(text, index=checkups.index, dtype=object))
    if not parts:
        return pd.Series("", index=checkups.index, dtype=object)
    joined = parts[0]
    for part in parts[1:]:
        joined = np.where((joined != "") & (part != ""), joined + "; " + part, joined + part)
    return pd.Series(joined, index=checkups.index, dtype=object)
