"""Drug analyses from claims: 後発医薬品使用割合 (数量シェア) and 多剤服用 (ポリファーマシー).

Drug lines are joined to the drug master on 薬価基準コード (yj_code); quantity = 使用量 × 日数.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.claims_base import (
    CLAIM_TYPES,
    DEPENDANT_LABEL,
    TOTAL_LABEL,
    band_index,
    band_names,
    distinct_rows,
    linked,
    member_rows,
    member_tuple,
    month_numbers,
    of_year,
    percent,
    positions,
    receipt_key,
    receipt_rows,
    setting,
    year_population,
    years_present,
)

OTHER, GENERIC, BRAND = 0, 1, 2
"""後発医薬品情報 classes of a drug line (small integers: comparing millions of lines on text is slow)."""


def generic_share(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """数量シェア by receipt type for every year present (seed §3.4.3) and by age band × 組合員/被扶養者 (§3.4.4)."""
    years = years_present(inputs.receipts, fiscal_year)
    kinds = list(CLAIM_TYPES.values())
    by_type = pd.DataFrame({"レセプト種別": kinds + ["全レセプト"]})
    notes = list(_generic_notes())
    for year in years:
        lines, note = _classified_lines(inputs, year)
        notes += [note] if note else []
        kind = lines["claim_type"].astype("Int64").fillna(0).to_numpy(dtype="int64") - 1
        generic, brand = _quantities(lines["class"].to_numpy(), lines["qty"].to_numpy(), kind, len(kinds))
        by_type[f"数量シェア(%) {year}年度"] = percent(generic, generic + brand)
    by_type[f"後発医薬品数量 {fiscal_year}年度"] = generic  # years end with fiscal_year
    by_type[f"後発品のある先発医薬品数量 {fiscal_year}年度"] = brand
    type_table = AnalysisTable("generic_share_by_type", "レセプト種別 後発医薬品数量割合", by_type,
                               tuple(notes), "3.4.3")

    current, pop = lines, year_population(inputs, fiscal_year)
    width, open_from = setting("generic", "age_band_years"), setting("generic", "age_band_open_from")
    row = current["pop_row"].to_numpy()
    band = band_index(pop["age"], width, open_from)[row]
    group_code, group_names = pd.factorize(pop["group"])
    group = group_code[row]
    line_class, quantity = current["class"].to_numpy(), current["qty"].to_numpy()
    rows = band_names(width, open_from)
    by_age = pd.DataFrame({"年齢階層": rows + [TOTAL_LABEL]})
    member_ids = {}
    for label in (inputs.insured_label, DEPENDANT_LABEL, "全体"):
        code = group_names.get_loc(label) if label in group_names else -2
        mask = np.ones(len(current), dtype=bool) if label == "全体" else group == code
        generic, brand = _quantities(line_class[mask], quantity[mask], band[mask], len(rows))
        by_age[f"{label} 後発医薬品数量"] = generic
        by_age[f"{label} 後発品のある先発医薬品数量"] = brand
        by_age[f"{label} 数量シェア(%)"] = percent(generic, generic + brand)
        users = row[mask & (line_class == BRAND)]
        member_ids[f"{label} 後発品のある先発医薬品の使用者"] = member_tuple(pop, users)
    age_notes = (*_generic_notes(), "年齢は年度末年齢。年度内に資格のない加入者番号の明細は年齢階層に入らず合計にも含めません。")
    age_table = AnalysisTable("generic_share_by_age", "年齢階層別 後発医薬品使用状況", by_age, age_notes, "3.4.4",
                              member_ids)
    return [type_table, age_table]


def polypharmacy(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """多剤服用者 among members with drugs, 組合員/被扶養者 (seed §3.4.5).

    Per member and 診療月, one drug = one (医療機関, 成分) whose days add up to at least the defined minimum;
    a member is 多剤 when some month reaches the defined drug count.
    """
    min_days, min_drugs = setting("polypharmacy", "min_days_per_drug"), setting("polypharmacy", "min_drugs")
    pop = year_population(inputs, fiscal_year)
    lines = _enrolled_lines(inputs, fiscal_year)
    key = receipt_key(inputs.receipts, lines)
    receipts = of_year(inputs.receipts, fiscal_year, [key, "facility_code"])
    rows = receipt_rows(receipts[key], lines[key])
    facility = pd.Series(receipts["facility_code"].array.take(rows, allow_fill=True))
    ingredient = ingredient_codes(inputs.drug_master, lines["yj_code"])
    drugs = counted_drugs(lines, facility, ingredient, min_days)
    heavy = distinct_rows(heavy_months(drugs, min_drugs)["pop_row"].to_numpy(), len(pop))
    users = distinct_rows(lines["pop_row"].to_numpy(), len(pop))
    table = pd.DataFrame({"区分": [inputs.insured_label, DEPENDANT_LABEL, TOTAL_LABEL]})
    member_ids = {}
    user_counts, heavy_counts, people = [], [], []
    for label in table["区分"]:
        in_group = np.ones(len(pop), dtype=bool) if label == TOTAL_LABEL else (pop["group"] == label).to_numpy()
        people.append(int(in_group.sum()))
        user_counts.append(int(in_group[users].sum()))
        heavy_counts.append(int(in_group[heavy].sum()))
        member_ids[f"{label} 多剤服用者"] = member_tuple(pop, heavy[in_group[heavy]])
    table["加入者数"] = people
    table["服薬者数"] = user_counts
    table["多剤服用者数"] = heavy_counts
    table["多剤服用者割合(%)"] = percent(np.array(heavy_counts), np.array(user_counts))
    notes = (
        f"多剤服用者: 同月内・同一医療機関・同一成分の処方が{min_days}日以上のものを1剤とし、"
        f"{min_drugs}剤以上の月がある人 (seed §3.4.5 の定義)。",
        "日数は同じ月・医療機関・成分の明細の日数 (投与日数・回数) の合計。医療機関は明細のレセプトの医療機関"
        " (調剤レセプトでは薬局) です。成分は医薬品マスターの成分名、マスターにない薬価基準コードは先頭7桁で代用。",
        "服薬者数: 年度内に医薬品の明細がある加入者。割合の分母は服薬者数。",
    )
    return [AnalysisTable("polypharmacy", "ポリファーマシー (多剤服用) 状況", table, notes, "3.4.5", member_ids)]


def ingredient_codes(master: pd.DataFrame, yj_codes: pd.Series) -> np.ndarray:
    """Each line's 成分 as an integer code: the master's 成分名, else the 薬価基準コード's first 7 characters
    (薬効分類 + 成分, the same for every product of the ingredient); -1 when the code is blank."""
    ingredient, known = _master_column(master, yj_codes, "ingredient")
    missing = ingredient < 0
    fallback = pd.factorize(yj_codes.astype("string").str[:7][missing])[0]
    ingredient[missing] = np.where(fallback >= 0, len(known) + fallback, -1)
    return ingredient


def counted_drugs(lines: pd.DataFrame, facility: pd.Series, ingredient: np.ndarray, min_days: int) -> pd.DataFrame:
    """The drugs of the seed's 多剤 definition (§3.4.5): one row per (member, 診療月, 医療機関, 成分) whose days
    add up to at least `min_days`.

    `lines` carries `pop_row`, `service_month` and `days`; `facility` and `ingredient` are per line. Columns:
    pop_row, month (months since year 0), days (the sum) and line (position in `lines` of the drug's first line).
    """
    month_number = month_numbers(lines["service_month"])
    month, months = pd.factorize(month_number)
    facility_code = pd.factorize(facility.fillna(""))[0]
    n_months, n_facilities, n_ingredients = (int(a.max(initial=0)) + 1 for a in (month, facility_code, ingredient))
    # One int64 key per (member, month, 医療機関, 成分): grouping on one integer is several times faster than
    # on four columns.
    member_month = lines["pop_row"].to_numpy().astype("int64") * n_months + month
    drug, drug_keys = pd.factorize((member_month * n_facilities + facility_code) * n_ingredients + ingredient)
    days = lines["days"].astype("Int64").fillna(0).astype("int64").to_numpy()
    identified = ingredient >= 0
    total = np.bincount(drug[identified], weights=days[identified], minlength=len(drug_keys))
    counted = np.flatnonzero(total >= min_days)
    first_line = np.unique(drug, return_index=True)[1]  # factorize numbers drugs in order of first line
    keys = np.asarray(drug_keys)[counted] // (n_facilities * n_ingredients)
    return pd.DataFrame({
        "pop_row": keys // n_months,
        "month": np.asarray(months, dtype="int64")[keys % n_months] if len(keys) else np.empty(0, "int64"),
        "days": total[counted].astype("int64"),
        "line": first_line[counted],
    })


def heavy_months(drugs: pd.DataFrame, min_drugs: int) -> pd.DataFrame:
    """The (member, 診療月) pairs with at least `min_drugs` counted drugs: pop_row, month, drug_count."""
    counts = drugs.groupby(["pop_row", "month"], sort=True).size()
    heavy = counts[counts >= min_drugs]
    return pd.DataFrame({"pop_row": heavy.index.get_level_values(0).to_numpy(dtype="int64"),
                         "month": heavy.index.get_level_values(1).to_numpy(dtype="int64"),
                         "drug_count": heavy.to_numpy(dtype="int64")})


def line_quantity(lines: pd.DataFrame) -> np.ndarray:
    """数量 in 規格単位 = 使用量 × 日数 (a line without 日数 counts once), as the share and the 差額 count it."""
    days = lines["days"].astype("Int64").fillna(1).astype("float64").to_numpy()
    return lines["quantity"].astype("float64").fillna(0.0).to_numpy() * days


def _classified_lines(inputs: AnalysisInputs, year: int) -> tuple[pd.DataFrame, str]:
    """The year's drug lines of enrolled members with `class` (GENERIC/BRAND/OTHER) and `qty` (使用量 × 日数)."""
    lines = _enrolled_lines(inputs, year)
    info, values = _master_column(inputs.drug_master, lines["yj_code"], "generic_info")
    generic = np.append(values.isin(setting("generic", "generic_codes")), False)[info]
    brand = np.append(values.isin(setting("generic", "brand_with_generic_codes")), False)[info]
    out = lines.assign(**{"class": np.select([generic, brand], [GENERIC, BRAND], OTHER).astype("int8"),
                          "qty": line_quantity(lines)})
    unknown = int((info < 0).sum())
    note = (f"{year}年度: 医薬品マスターにない、または後発医薬品情報が空欄の明細 {unknown:,}件は数量シェアに含めていません。"
            if unknown else "")
    return out, note


def _enrolled_lines(inputs: AnalysisInputs, year: int) -> pd.DataFrame:
    """The year's drug lines of enrolled members, with the member's row in the year's `year_population`
    (`pop_row`); derived once per run (read-only): the share and 多剤 read the same millions of lines."""
    return inputs.shared(("drug_lines", year), lambda: _select_enrolled_lines(inputs, year))


def _select_enrolled_lines(inputs: AnalysisInputs, year: int) -> pd.DataFrame:
    lines = of_year(inputs.drug_lines, year, linked(inputs.drug_lines, [
        "receipt_id", "member_id", "service_month", "claim_type", "yj_code", "quantity", "days"]))
    row = member_rows(inputs, "drug_lines", lines, year)
    return lines.loc[row >= 0].assign(pop_row=row[row >= 0])


def _master_column(master: pd.DataFrame, yj_codes: pd.Series, column: str) -> tuple[np.ndarray, pd.Index]:
    """For each line, the position of its master `column` value among the distinct values (-1 when the master
    lacks the 薬価基準コード or the value), and those distinct values: string work stays on the small master."""
    latest = master.drop_duplicates("yj_code", keep="last")
    value_code, values = pd.factorize(latest[column])
    row = positions(yj_codes, pd.Index(latest["yj_code"]))
    return np.append(value_code, -1)[row], values


def _quantities(line_class: np.ndarray, quantity: np.ndarray, row: np.ndarray, rows: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Generic and brand-with-generic quantities per table row (`row` = each line's position, -1 = none),
    total appended; `line_class` and `quantity` are the lines' `class` and `qty`."""
    out = []
    for kind in (GENERIC, BRAND):
        hit = (line_class == kind) & (row >= 0)
        sums = np.bincount(row[hit], weights=quantity[hit], minlength=rows)[:rows]
        out.append(np.append(sums, sums.sum()))
    return out[0], out[1]


def _generic_notes() -> tuple[str, ...]:
    generic = "・".join(setting("generic", "generic_codes"))
    brand = "・".join(setting("generic", "brand_with_generic_codes"))
    return (
        "数量シェア = 後発医薬品の数量 ÷ (後発医薬品のある先発医薬品の数量 + 後発医薬品の数量) (RULES.md §4.2)。",
        "数量 = 使用量 (規格単位) × 日数 (日数が空欄の明細は1)。医薬品マスターとは薬価基準コードで結合。",
        f"後発医薬品情報 {generic} を後発医薬品、{brand} を後発医薬品のある先発医薬品として数えます"
        " (☆は「後発品がある先発品」、★は「後発品」の内訳として読む扱い。国の集計での☆★の扱いは未確認 [NC])。"
        "1 (後発品のない先発品) と空欄は対象外。",
    )
