"""What the claims analyses (レセプト分析) share: their definitions file, the year's 加入者 and code lookups.

Definitions (bands, day counts, ICD-10 ranges) live in `resources/rules/analyses/claims.toml` with their
source, so an office can read where each cut-off comes from and the code holds none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses import definitions as analysis_definitions

DEPENDANT_LABEL = "被扶養者"
TOTAL_LABEL = "合計"
CLAIM_TYPES = {1: "医科入院", 2: "医科入院外", 3: "DPC", 4: "歯科", 5: "調剤"}


def definitions() -> dict[str, Any]:
    """The parsed claims definitions file (read once)."""
    return analysis_definitions("claims")


def setting(section: str, key: str) -> Any:
    """One defined value, e.g. `setting("polypharmacy", "min_drugs")`."""
    return definitions()[section][key]["value"]


def yen(points: pd.Series) -> pd.Series:
    """医療費 in 円 from レセプト点数 (10割, 本人負担を含む)."""
    return points.astype("Int64").fillna(0).astype("int64") * int(setting("cost", "yen_per_point"))


def population(members: pd.DataFrame, fiscal_year: int, insured_label: str, *,
               held_on: date | None = None) -> pd.DataFrame:
    """One row per member enrolled on any day of the fiscal year, or holding 資格 on `held_on` when given
    (保健事業 lists are made after the year: a member who joined since is still reached), index member_id, sorted.

    Columns: relation (1 本人 / 2 家族, from the latest 資格期間), group (組合員/被扶養者 label),
    age (年度末年齢: completed years on 31 March of FY+1, as 階層化 counts it), birth_date.
    """
    return _population(members, roster_order(members), fiscal_year, insured_label, held_on)


def roster_order(members: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """The 資格期間 rows sorted by member_id, then 取得日 (blank first), then file order; each row's member as a
    position in the sorted distinct ids; and those ids. A year's population is then a filter of this order
    with no text sort or hashing (`year_population` computes it once per run)."""
    codes, ids = pd.factorize(members["member_id"], sort=True)
    acquired = members["acquired_date"].to_numpy(dtype="datetime64[ns]").view("int64")  # NaT: the smallest
    return np.lexsort((acquired, codes)), codes, ids


def latest_rows(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Of `rows` (資格期間 rows in `roster_order`), each member's last one: their latest 資格期間. A row
    without 加入者番号 (code -1) belongs to nobody and is left out."""
    member = codes[rows]
    latest = rows[np.append(member[1:] != member[:-1], True)] if len(rows) else rows
    return latest[codes[latest] >= 0]


def _population(members: pd.DataFrame, roster: tuple[np.ndarray, np.ndarray, pd.Index], fiscal_year: int,
                insured_label: str, held_on: date | None) -> pd.DataFrame:
    start, end = pd.Timestamp(fiscal_year, 4, 1), pd.Timestamp(fiscal_year + 1, 3, 31)
    acquired, lost = members["acquired_date"], members["lost_date"]
    inside = (acquired.isna() | (acquired <= end)) & (lost.isna() | (lost > start))
    if held_on is not None:
        day = pd.Timestamp(held_on)
        inside |= (acquired.isna() | (acquired <= day)) & (lost.isna() | (lost > day))
    order, codes, ids = roster
    latest = latest_rows(order[inside.to_numpy(dtype=bool)[order]], codes)
    index = pd.Index(ids.take(codes[latest]), name="member_id")
    rows = members.iloc[latest][["relation", "birth_date"]].set_axis(index)
    birth = rows["birth_date"]
    birth_number = (birth.dt.year * 10000 + birth.dt.month * 100 + birth.dt.day).to_numpy(dtype="float64")
    age = np.floor(((fiscal_year + 1) * 10000 + 331 - birth_number) / 10000)
    relation = rows["relation"].astype("Int8")
    return pd.DataFrame({
        "relation": relation,
        "group": np.where(relation.fillna(1).to_numpy() == 2, DEPENDANT_LABEL, insured_label),
        "age": pd.array(age, dtype="Int64"),
        "birth_date": birth,
    }, index=rows.index)


def shared_roster_order(inputs: AnalysisInputs) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """`roster_order` of the inputs' 加入者, computed once per run (read-only)."""
    return inputs.shared(("roster_order",), lambda: roster_order(inputs.members))


def year_population(inputs: AnalysisInputs, fiscal_year: int) -> pd.DataFrame:
    """`population` of the inputs' 加入者 for the year, computed once per run (read-only)."""
    return inputs.shared(("population", fiscal_year), lambda: _population(
        inputs.members, shared_roster_order(inputs), fiscal_year, inputs.insured_label, None))


def year_receipts(inputs: AnalysisInputs, fiscal_year: int) -> tuple[pd.DataFrame, str]:
    """`members_receipts` of the year against `year_population`, computed once per run (read-only)."""
    return inputs.shared(("receipts", fiscal_year), lambda: members_receipts(
        inputs.receipts, year_population(inputs, fiscal_year), fiscal_year,
        locate=lambda part: member_rows(inputs, "receipts", part, fiscal_year)))


def member_rows(inputs: AnalysisInputs, frame: str, part: pd.DataFrame, fiscal_year: int) -> np.ndarray:
    """Position in `year_population(inputs, fiscal_year)` of the member of each row of `part` (rows of the
    inputs' claims frame `frame`, e.g. "receipts", as `of_year` selects them: index kept), -1 when absent.

    Same as `positions(part["member_id"], pop.index)`, but the frame's member ids are hashed once per run
    and looked up in the year's 加入者 once per year, rather than once per analysis: three years of claims
    are tens of millions of text ids.
    """
    pop = year_population(inputs, fiscal_year)
    whole = getattr(inputs, frame)
    index = whole.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        return positions(part["member_id"], pop.index)
    codes, ids = inputs.shared(("member_codes", frame), lambda: pd.factorize(whole["member_id"]))
    found = inputs.shared(("member_rows", frame, fiscal_year), lambda: np.append(
        pop.index.get_indexer(ids) if len(ids) else np.empty(0, dtype="int64"), -1))
    return found[codes[part.index.to_numpy()]]


def age_band_labels(ages: pd.Series, width: int, open_from: int) -> pd.Series:
    """Age band label (`40-44歳`, `75歳以上`) for each age; unknown ages → `年齢不明`."""
    names = np.array(band_names(width, open_from) + ["年齢不明"], dtype=object)
    return pd.Series(names[band_index(ages, width, open_from)], index=ages.index, dtype="string")


def band_index(ages: pd.Series, width: int, open_from: int) -> np.ndarray:
    """Position of each age's band in `band_names(width, open_from)`; unknown ages → -1."""
    values = ages.astype("float64").to_numpy()
    last = open_from // width
    index = np.clip(np.floor(np.nan_to_num(values) / width), 0, last).astype("int64")
    return np.where(np.isnan(values), -1, index)


def band_names(width: int, open_from: int) -> list[str]:
    """The age band labels in order, the last one open-ended."""
    return [f"{low}-{low + width - 1}歳" for low in range(0, open_from, width)] + [f"{open_from}歳以上"]


def elderly_labels(ages: pd.Series) -> pd.Series:
    """`65歳未満` / `前期高齢者` (年度末年齢 65 以上) as the seed's §3.4.6–3.4.7 tables split members."""
    old = ages.astype("float64").to_numpy() >= setting("elderly", "min_age")
    return pd.Series(np.where(old, "前期高齢者", "65歳未満"), index=ages.index, dtype="string")


def icd3(codes: pd.Series) -> pd.Series:
    """The ICD-10 3桁分類 (`E11.9` / `E119` → `E11`), upper case; blank → NA."""
    text = codes.astype("string").str.strip().str.upper().str.replace(".", "", regex=False).str[:3]
    return text.where(text.str.fullmatch(r"[A-Z][0-9]{2}").fillna(False))


def distinct_codes(icd10: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the distinct ICD-10 values (-1 = blank) and those values' 3桁 codes.

    A year of claims has millions of diagnoses but a few thousand distinct codes: string work runs on those.
    """
    codes, uniques = pd.factorize(icd10)
    return codes, icd3(pd.Series(np.asarray(uniques, dtype=object), dtype="string"))


def in_ranges(codes3: pd.Series, ranges: list[list[str]]) -> pd.Series:
    """True where a 3桁 code lies in one of the inclusive [first, last] ranges (same letter ordering)."""
    hit = pd.Series(False, index=codes3.index)
    for first, last in ranges:
        hit |= ((codes3 >= first) & (codes3 <= last)).fillna(False).astype(bool)
    return hit


def chapter_labels(codes3: pd.Series) -> pd.Series:
    """ICD-10 大分類 (章) name of each 3桁 code; codes outside every chapter → NA."""
    chapters = definitions()["icd10_chapters"]
    firsts = np.array([c["first"] for c in chapters])
    lasts = np.array([c["last"] for c in chapters])
    names = np.array([c["label"] for c in chapters], dtype=object)
    values = codes3.fillna("").to_numpy(dtype=str)
    pos = np.searchsorted(firsts, values, side="right") - 1
    valid = (pos >= 0) & (values != "")
    pos = np.clip(pos, 0, len(firsts) - 1)
    valid &= values <= lasts[pos]
    return pd.Series(np.where(valid, names[pos], None), index=codes3.index, dtype="string")


def receipt_key(*frames: pd.DataFrame) -> str:
    """The column linking a receipt and its lines: the store's integer `claim_id` when every frame has it
    (frames read from a workspace), else the レセプト番号 (frames built by hand or by the generator).
    Joining millions of rows on an integer is several times faster than on text."""
    return "claim_id" if all("claim_id" in frame.columns for frame in frames) else "receipt_id"


def linked(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """`columns` (which name `receipt_id`) with `claim_id` in its place when the frame carries it: the
    workspace's frames leave the text レセプト番号 out (see services.analyses), `receipt_key` joins on the id."""
    return [("claim_id" if c == "receipt_id" else c) for c in columns] if "claim_id" in frame.columns else columns


def main_diagnoses(receipts: pd.DataFrame, diagnoses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each receipt that has diagnoses, its main one: the first 主傷病 row, else its first row (file order).

    Returns (receipt positions, diagnosis row positions), paired: integer work only.
    """
    key = receipt_key(receipts, diagnoses)
    receipt_row = receipt_rows(receipts[key], diagnoses[key])
    diagnosis_row = np.flatnonzero(receipt_row >= 0)
    receipt_row = receipt_row[diagnosis_row]
    not_main = diagnoses["is_main"].fillna(2).to_numpy()[diagnosis_row] != 1
    order = np.lexsort((diagnosis_row, not_main, receipt_row))
    ordered = receipt_row[order]
    first = order[np.flatnonzero(np.append(True, ordered[1:] != ordered[:-1]))] if len(order) else order
    return receipt_row[first], diagnosis_row[first]


def receipt_rows(receipt_keys: pd.Series, line_keys: pd.Series) -> np.ndarray:
    """Position in `receipt_keys` (unique) of each line's receipt; -1 for a line whose receipt is not there.

    The store's claim ids are integers from one sequence, so a table indexed by id finds every line's
    receipt in one pass over millions of lines; text レセプト番号 (hand-built frames) are hashed once each.
    """
    if len(receipt_keys) and ptypes.is_integer_dtype(receipt_keys) and ptypes.is_integer_dtype(line_keys) \
            and not receipt_keys.isna().any():
        ids = receipt_keys.to_numpy(dtype="int64")
        low, high = int(ids.min()), int(ids.max())
        if high - low <= 8 * len(ids) + 1_000_000:
            table = np.full(high - low + 2, -1, dtype="int64")  # the last slot stays -1: lines outside the range
            table[ids - low] = np.arange(len(ids))
            lines = line_keys.to_numpy(dtype="int64", na_value=high + 1) - low
            return table[np.where((lines >= 0) & (lines <= high - low), lines, high - low + 1)]
    return positions(line_keys, pd.Index(receipt_keys))


def member_tuple(pop: pd.DataFrame, rows: np.ndarray) -> tuple[str, ...]:
    """The member ids at the given `pop` rows, sorted and once each (drill-down lists)."""
    return tuple(pop.index.take(np.unique(rows)).tolist())


def distinct_rows(rows: np.ndarray, size: int) -> np.ndarray:
    """`np.unique(rows)` for positions in a frame of `size` rows (e.g. `pop_row`), without sorting millions
    of claims rows."""
    return np.flatnonzero(np.bincount(rows, minlength=size))


def years_present(receipts: pd.DataFrame, fiscal_year: int) -> list[int]:
    """The fiscal years up to `fiscal_year` that have receipts (always including `fiscal_year`)."""
    years = pd.unique(receipts["fiscal_year"].dropna().astype("int64"))
    return sorted({int(y) for y in years if y <= fiscal_year} | {fiscal_year})


def positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in `index` (-1 when absent), hashing each distinct value once.

    Faster than `isin`/`map` on Arrow-backed strings: ids repeat (one member, many receipts).
    """
    codes, uniques = pd.factorize(values)
    found = index.get_indexer(uniques) if len(uniques) else np.empty(0, dtype="int64")
    return np.where(codes >= 0, np.append(found, -1)[codes], -1)


def month_numbers(service_month: pd.Series) -> np.ndarray:
    """診療年月 yyyymm → months since year 0 (consecutive months differ by 1 across a year end); blank → -1.

    Converts each distinct month once: a year of claims has millions of rows but a dozen months.
    """
    codes, months = pd.factorize(service_month.astype("string"))
    numbers = np.array([int(m[:4]) * 12 + int(m[4:6]) - 1 if m[:6].isdigit() else -1 for m in months] + [-1],
                       dtype="int64")
    return numbers[codes]


def year_rows(frame: pd.DataFrame, fiscal_year: int) -> slice | np.ndarray:
    """The rows the store filed under `fiscal_year`: a slice when the frame is in 年度 order (as the store
    hands claims out), so that selecting a year of millions of rows copies nothing; else a boolean mask."""
    column = frame["fiscal_year"]
    years = column.to_numpy(dtype="int64", na_value=-1)  # no copy when nothing is missing (float64 copies)
    if len(years) and not column.isna().any() and (years[1:] >= years[:-1]).all():
        first, end = np.searchsorted(years, fiscal_year, "left"), np.searchsorted(years, fiscal_year, "right")
        return slice(int(first), int(end))
    return years == fiscal_year


def of_year(frame: pd.DataFrame, fiscal_year: int, columns: list[str], claim_type: int | None = None
            ) -> pd.DataFrame:
    """`columns` of the rows the store filed under `fiscal_year` (every claims frame carries `fiscal_year`),
    optionally of one レセプト区分 only (filtered before copying: these frames have millions of rows)."""
    rows = year_rows(frame, fiscal_year)
    year = frame.iloc[rows] if isinstance(rows, slice) else frame
    keep = np.ones(len(year), dtype=bool) if isinstance(rows, slice) else rows
    if claim_type is not None:
        keep &= (year["claim_type"].astype("Int64") == claim_type).fillna(False).to_numpy()
    return year[columns] if keep.all() else year.loc[keep, columns]


def members_receipts(receipts: pd.DataFrame, pop: pd.DataFrame, fiscal_year: int, *,
                     locate: Callable[[pd.DataFrame], np.ndarray] | None = None) -> tuple[pd.DataFrame, str]:
    """The year's receipts of enrolled members (receipt key, member_id, claim_type, points: what the cost tables
    read, copied for millions of receipts) with their cost in 円 (`yen`) and the member's row in `pop`
    (`pop_row`), and a note on those left out.

    Receipts of people not enrolled in the year (e.g. claims arriving after 資格喪失) are left out so that
    every figure has the same 加入者 behind it; the note says how many and how much. `locate` finds
    the rows' members in `pop` (default: `positions` on their ids).
    """
    year = of_year(receipts, fiscal_year, linked(receipts, ["receipt_id", "member_id", "claim_type", "points"]))
    row = locate(year) if locate else positions(year["member_id"], pop.index)
    known = row >= 0
    kept = year.loc[known].assign(yen=lambda f: yen(f["points"]), pop_row=row[known])
    dropped = year.loc[~known]
    note = ""
    if len(dropped):
        note = (f"{fiscal_year}年度に資格のない加入者番号のレセプト {len(dropped):,}件"
                f" (医療費 {yen(dropped['points']).sum():,.0f}円) は集計から除いています。")
    return kept, note


def per_person(total: pd.Series | np.ndarray | float, people: pd.Series | np.ndarray | int) -> np.ndarray:
    """total / people rounded to the 円; NaN where nobody is counted."""
    total_values = np.asarray(total, dtype="float64")
    people_values = np.asarray(people, dtype="float64")
    safe = np.where(people_values > 0, people_values, 1.0)
    return np.where(people_values > 0, np.round(total_values / safe), np.nan)


def percent(part: pd.Series | np.ndarray | float, whole: pd.Series | np.ndarray | float) -> np.ndarray:
    """part / whole in % rounded to 0.1 (tables print 割合 as the seed does); NaN where the whole is 0."""
    part_values = np.asarray(part, dtype="float64")
    whole_values = np.asarray(whole, dtype="float64")
    safe = np.where(whole_values > 0, whole_values, 1.0)
    return np.where(whole_values > 0, np.round(part_values / safe * 100, 1), np.nan)
