"""What the programs share: the year's last checkup, the roster row, the address warning, and claims
matched to code lists (ICD-10 and 薬効分類 prefixes), so every program reads them the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import month_numbers, positions, receipt_key
from dhdesk.core.fields import CHECKUPS
from dhdesk.core.programs import ProgramInputs, empty_candidates_frame
from dhdesk.core.rules.referral_explain import CODE_TEXT

ADDRESS_WARNING = "住所が未登録です（郵便番号または住所1が空欄）"


def fiscal_year_bounds(fiscal_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a 年度 (4/1 – 3/31)."""
    return pd.Timestamp(fiscal_year, 4, 1), pd.Timestamp(fiscal_year + 1, 3, 31)


def latest_checkups(checkups: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Each member's last checkup of the 年度 (by exam date), sorted by member_id, index reset."""
    start, end = fiscal_year_bounds(fiscal_year)
    rows = checkups[checkups["exam_date"].between(start, end)]
    rows = rows.sort_values(["member_id", "exam_date"], kind="stable").drop_duplicates("member_id", keep="last")
    return rows.reset_index(drop=True)


def roster(members: pd.DataFrame) -> pd.DataFrame:
    """One row per member: the latest 資格期間 (by 取得日), indexed by member_id."""
    rows = members.sort_values("acquired_date", kind="stable", na_position="first")
    return rows.drop_duplicates("member_id", keep="last").set_index("member_id")


def address_warnings(people: pd.DataFrame, member_ids: Sequence[str]) -> list[tuple[str, ...]]:
    """Per member, the address warning when 郵便番号 or 住所1 is blank (or the member is not in the roster)."""
    rows = people.reindex(pd.Index(member_ids, dtype=object))
    blank = [rows[c].astype("string").str.strip().fillna("").eq("").to_numpy() for c in ("postal_code", "address1")]
    return [(ADDRESS_WARNING,) if missing else () for missing in blank[0] | blank[1]]


def month_number(day: pd.Timestamp) -> int:
    """A day's month as months since year 0 (the numbering of `claims_base.month_numbers`)."""
    return day.year * 12 + day.month - 1


def month_text(number: int) -> str:
    """Months since year 0 → 「2025-06」."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def normalised_prefixes(codes: Sequence[str]) -> tuple[str, ...]:
    return tuple(code.replace(".", "").strip().upper() for code in codes)


def drug_yj_codes(drug_lines: pd.DataFrame, drug_masters: pd.DataFrame) -> pd.Series:
    """Each drug line's 薬価基準コード, filled from the master by its レセ電 医薬品コード where blank."""
    yj = drug_lines["yj_code"].astype("string")
    if yj.isna().any() and len(drug_masters):
        latest = drug_masters.sort_values("version_date", kind="stable").dropna(subset=["receipt_code"])
        by_code = latest.drop_duplicates("receipt_code", keep="last").set_index("receipt_code")["yj_code"]
        yj = yj.fillna(drug_lines["drug_code"].map(by_code).astype("string"))
    return yj


class ClaimCodes:
    """The claims of some members with their ICD-10 and 薬価基準コード factorised once.

    A year of claims has millions of detail rows but a few thousand distinct codes and, for a program,
    a few thousand members of interest: each code list is tested on the distinct codes only, and only the
    rows of `members` are kept, identified by their position in `members` (no string joins afterwards).
    """

    def __init__(self, inputs: ProgramInputs, members: Sequence[str]) -> None:
        index = pd.Index(list(members), dtype=object)
        self.key = key = receipt_key(inputs.receipts, inputs.diagnoses, inputs.drug_lines)
        self.diagnoses = of_members(inputs.diagnoses, index, [key, "service_month", "icd10", "is_suspected"])
        self.lines = of_members(inputs.drug_lines, index, [key, "service_month", "yj_code", "drug_code"])
        receipts = of_members(inputs.receipts, index, [key, "facility_name", "facility_code"])
        self.dx_codes, self.dx_text = factorised(self.diagnoses["icd10"])
        self.suspected = self.diagnoses["is_suspected"].fillna(2).to_numpy() == 1
        self.drug_codes, self.drug_text = factorised(drug_yj_codes(self.lines, inputs.drug_masters))
        self.receipt_index = pd.Index(receipts[key].to_numpy(dtype=object))
        name = receipts["facility_name"].astype("string").fillna(receipts["facility_code"].astype("string"))
        self.facilities = np.append(name.fillna("医療機関不明").to_numpy(dtype=object), "医療機関不明")

    def matching(self, icd10: Sequence[str], drug_yj: Sequence[str], *, include_suspected: bool) -> pd.DataFrame:
        """Claims showing care for a condition: row (position in `members`), month (months since year 0), facility.

        A diagnosis counts when its ICD-10 starts with one of `icd10` (疑い only with `include_suspected`);
        a drug line when its 薬価基準コード starts with one of `drug_yj` (薬効分類).
        """
        dx = prefixed(self.dx_codes, self.dx_text, icd10)
        if not include_suspected:
            dx &= ~self.suspected
        drug = prefixed(self.drug_codes, self.drug_text, drug_yj)
        found = pd.concat([self.diagnoses.loc[dx, [self.key, "row", "service_month"]],
                           self.lines.loc[drug, [self.key, "row", "service_month"]]], ignore_index=True)
        receipt = self.receipt_index.get_indexer(found[self.key].to_numpy(dtype=object))
        return pd.DataFrame({"row": found["row"].to_numpy(), "month": month_numbers(found["service_month"]),
                             "facility": self.facilities[receipt]})  # -1 (receipt not loaded) → 医療機関不明


def of_members(frame: pd.DataFrame, members: pd.Index, columns: list[str]) -> pd.DataFrame:
    """`columns` of the rows of `members`, with `row` = the member's position in `members`."""
    row = positions(frame["member_id"], members)
    keep = row >= 0
    return frame.loc[keep, columns].assign(row=row[keep])


def factorised(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the distinct codes (-1 = blank) and those codes normalised (no dots, upper)."""
    codes, uniques = pd.factorize(values)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype="string")
    return codes, text.str.replace(".", "", regex=False).str.strip().str.upper()


def prefixed(codes: np.ndarray, text: pd.Series, prefixes: Sequence[str]) -> np.ndarray:
    """Rows whose code starts with one of `prefixes` (dots and case ignored)."""
    wanted = normalised_prefixes(prefixes)
    if not wanted:
        return np.zeros(len(codes), dtype=bool)
    hit = text.str.startswith(wanted).fillna(False).to_numpy(dtype=bool)
    return np.append(hit, False)[codes]


def candidate_frame(rows: list[dict[str, Any]], *, excluded: bool = False) -> pd.DataFrame:
    """CANDIDATE_COLUMNS (plus exclusion_reason) typed like `empty_candidates_frame`, from plain dicts."""
    empty = empty_candidates_frame(excluded=excluded)
    if not rows:
        return empty
    frame = pd.DataFrame(rows, columns=list(empty.columns))
    return frame.astype(empty.dtypes.to_dict())


def address_missing(members: pd.DataFrame, member_ids: pd.Index) -> np.ndarray:
    """True for each member whose latest 資格期間 row has no 郵便番号 or no 住所1 (a letter cannot go out),
    or who is not in the roster at all."""
    wanted = members.loc[members["member_id"].isin(member_ids).fillna(False).to_numpy(dtype=bool),
                         ["member_id", "acquired_date", "postal_code", "address1"]]
    latest = (wanted.sort_values("acquired_date", kind="stable", na_position="first")
              .drop_duplicates("member_id", keep="last").set_index("member_id"))
    blank = (latest["postal_code"].astype("string").str.strip().fillna("") == "") | \
            (latest["address1"].astype("string").str.strip().fillna("") == "")
    return np.append(blank.to_numpy(dtype=bool), True)[positions(pd.Series(member_ids), latest.index)]


def value_text(item: str, value: float) -> str:
    """A measured value as printed: coded results by symbol ((+)), numbers at the field's precision."""
    if item in CODE_TEXT:
        return CODE_TEXT[item].get(int(value), f"コード{int(value)}")
    return f"{value:.{CHECKUPS.field(item).decimals or 0}f}"


def ranked_candidates(ids: Sequence[str], tiers: Sequence[str], reasons: Sequence[str],
                      explanations: Sequence[tuple[str, ...]], values: Sequence[dict[str, Any]],
                      warnings: Sequence[tuple[str, ...]]) -> pd.DataFrame:
    """CANDIDATE_COLUMNS from per-member lists already in list order (rank 1, 2, …)."""
    return pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "tier": pd.array(tiers, dtype="string"),
        "rank": pd.array(np.arange(1, len(ids) + 1), dtype="Int64"),
        "reason": pd.array(reasons, dtype="string"),
        "explanation": pd.Series(explanations, dtype=object),
        "values": pd.Series(values, dtype=object),
        "warnings": pd.Series(warnings, dtype=object),
    })
