"""加入者構成: the population pyramid, 加入者数 and average age by year, and 医療費 by year (seed §2.1.1, §2.2.1–2.2.3).

Every figure counts the same 加入者 as the 医療費 tables: members enrolled on any day of the 年度, aged
at 年度末 (claims_base.population), so a per-person cost and a head count always share a denominator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.claims import COST_NOTE
from dhdesk.core.analyses.claims_base import (
    DEPENDANT_LABEL,
    TOTAL_LABEL,
    age_band_labels,
    band_names,
    latest_rows,
    per_person,
    setting,
    shared_roster_order,
    year_population,
    year_receipts,
    years_present,
)

TREND_YEARS = 5
"""Years shown in the 加入者数・平均年齢 trend (the seed shows five, §2.2.1–2.2.2)."""
SEXES = {1: "男性", 2: "女性"}
POPULATION_NOTE = "加入者は年度内に1日でも資格のあった人。年齢は年度末 (翌年3月31日時点) の満年齢。"


def membership(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """The pyramid of `fiscal_year`, the 加入者数・平均年齢 trend and the 医療費 trend."""
    return [_pyramid(inputs, fiscal_year), _membership_trend(inputs, fiscal_year), _cost_trend(inputs, fiscal_year)]


def people_with_sex(inputs: AnalysisInputs, fiscal_year: int) -> pd.DataFrame:
    """claims_base.population plus `sex` (1 男 / 2 女, from the member's latest 資格期間 row)."""
    pop = year_population(inputs, fiscal_year)
    order, codes, ids = shared_roster_order(inputs)
    latest = latest_rows(order, codes)
    sex = inputs.members["sex"].astype("Int8").take(latest).set_axis(ids.take(codes[latest]))
    return pop.assign(sex=sex.reindex(pop.index))


def _pyramid(inputs: AnalysisInputs, fiscal_year: int) -> AnalysisTable:
    pop = people_with_sex(inputs, fiscal_year)
    width, open_from = setting("cost", "age_band_years"), setting("cost", "age_band_open_from")
    band = age_band_labels(pop["age"], width, open_from)
    rows = band_names(width, open_from) + (["年齢不明"] if (band == "年齢不明").any() else [])
    table = pd.DataFrame({"年齢階層": rows})
    for group in (inputs.insured_label, DEPENDANT_LABEL):
        for code, sex in SEXES.items():
            mask = ((pop["group"] == group) & (pop["sex"] == code)).fillna(False).to_numpy(dtype=bool)
            table[f"{group} {sex}"] = band[mask].value_counts().reindex(rows, fill_value=0).to_numpy()
    table[TOTAL_LABEL] = table.iloc[:, 1:].sum(axis=1)
    totals = table.iloc[:, 1:].sum(axis=0)
    table.loc[len(table)] = [TOTAL_LABEL, *totals.tolist()]
    unknown = int(pop["sex"].isna().sum())
    notes = [POPULATION_NOTE] + ([f"性別が不明な加入者 {unknown:,}人は表に含めていません。"] if unknown else [])
    return AnalysisTable("population_pyramid", f"性・年齢階層・区分別 加入者数（{fiscal_year}年度）", table,
                         tuple(notes), "2.1.1")


def _membership_trend(inputs: AnalysisInputs, fiscal_year: int) -> AnalysisTable:
    groups = (inputs.insured_label, DEPENDANT_LABEL)
    rows = []
    for year in range(fiscal_year - TREND_YEARS + 1, fiscal_year + 1):
        pop = year_population(inputs, year)
        if pop.empty:
            continue
        age = pop["age"].astype("float64")
        row: dict[str, object] = {"年度": f"{year}年度"}
        for group in groups:
            row[f"{group} 加入者数"] = int((pop["group"] == group).sum())
        row["加入者数 計"] = len(pop)
        row["扶養率"] = round(row[f"{DEPENDANT_LABEL} 加入者数"] / row[f"{groups[0]} 加入者数"], 2) \
            if row[f"{groups[0]} 加入者数"] else np.nan
        for group in groups:
            row[f"{group} 平均年齢"] = round(float(age[(pop["group"] == group).to_numpy()].mean()), 1)
        row["全体 平均年齢"] = round(float(age.mean()), 1)
        rows.append(row)
    notes = (POPULATION_NOTE, "扶養率 = 被扶養者数 ÷ " + groups[0] + "数。")
    return AnalysisTable("membership_trend", "加入者数・平均年齢の推移", pd.DataFrame(rows), notes, "2.2.1")


def _cost_trend(inputs: AnalysisInputs, fiscal_year: int) -> AnalysisTable:
    groups = (inputs.insured_label, DEPENDANT_LABEL)
    rows, notes = [], [COST_NOTE, "1人あたり医療費 = 医療費 ÷ 年度内に1日でも資格のあった加入者数。"]
    for year in years_present(inputs.receipts, fiscal_year):
        pop = year_population(inputs, year)
        receipts, excluded = year_receipts(inputs, year)
        group_code, group_names = pd.factorize(pop["group"])
        cost = np.bincount(group_code[receipts["pop_row"].to_numpy()], weights=receipts["yen"].to_numpy(),
                           minlength=len(group_names))
        row: dict[str, object] = {"年度": f"{year}年度"}
        for group in groups:
            row[f"{group} 医療費(円)"] = int(cost[group_names.get_loc(group)]) if group in group_names else 0
        row["医療費 計(円)"] = int(receipts["yen"].sum())
        for group in groups:
            row[f"{group} 1人あたり(円)"] = float(per_person(row[f"{group} 医療費(円)"],
                                                        int((pop["group"] == group).sum())))
        row["全体 1人あたり(円)"] = float(per_person(row["医療費 計(円)"], len(pop)))
        rows.append(row)
        notes += [excluded] if excluded else []
    return AnalysisTable("cost_trend", "医療費総額の推移", pd.DataFrame(rows), tuple(notes), "2.2.3")
