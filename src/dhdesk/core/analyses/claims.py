"""医療費 analyses: cost ranges (医療費レンジ), cost by age band and receipt type, ICD-10 大分類 and disease trends.

医療費 = レセプト合計点数 × 10円 (10割, 本人負担を含む), the seed's convention (§2.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.claims_base import (
    CLAIM_TYPES,
    DEPENDANT_LABEL,
    TOTAL_LABEL,
    age_band_labels,
    band_names,
    chapter_labels,
    definitions,
    distinct_codes,
    in_ranges,
    linked,
    main_diagnoses,
    member_tuple,
    of_year,
    per_person,
    percent,
    setting,
    year_population,
    year_receipts,
    years_present,
)

COST_NOTE = "医療費はレセプト合計点数×10円 (本人負担分を含む10割)。"
ALLOCATION_NOTE = ("各レセプトの医療費は、そのレセプトの主傷病 (主傷病の印がなければ最初に記載された傷病名) の"
                   "ICD-10 に全額を計上しています。傷病名のないレセプト (主に調剤) は大分類に計上せず、その金額を注記します。")


def cost_ranges(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """加入者 by yearly cost band with their share of members and of cost (seed §2.2.7), this year and last."""
    years = [y for y in years_present(inputs.receipts, fiscal_year) if y >= fiscal_year - 1]
    bounds = setting("cost", "range_lower_bounds_yen")
    labels = _range_labels(bounds)
    counts, costs, notes, member_ids = {}, {}, [COST_NOTE], {}
    for year in years:
        pop = year_population(inputs, year)
        receipts, note = year_receipts(inputs, year)
        person_cost = _person_cost(receipts, pop)
        band = pd.Series(np.array(labels, dtype=object)[np.searchsorted(bounds, person_cost.to_numpy(), side="right")],
                         index=person_cost.index)
        counts[year] = band.value_counts().reindex(labels, fill_value=0)
        costs[year] = person_cost.groupby(band).sum().reindex(labels, fill_value=0)
        notes += [note] if note else []
        if year == fiscal_year:
            member_ids = {label: member_tuple(pop, np.flatnonzero(band.to_numpy() == label)) for label in labels}
    table = pd.DataFrame({"年間医療費レンジ": labels + [TOTAL_LABEL]})
    for year in years:
        table[f"加入者数 {year}年度"] = _with_total(counts[year])
    if len(years) == 2:
        table["加入者数 増減"] = table[f"加入者数 {years[1]}年度"] - table[f"加入者数 {years[0]}年度"]
    for year in years:
        table[f"加入者割合(%) {year}年度"] = np.append(percent(counts[year], counts[year].sum()), np.nan)
    for year in years:
        table[f"医療費(円) {year}年度"] = _with_total(costs[year])
    if len(years) == 2:
        table["医療費(円) 増減"] = table[f"医療費(円) {years[1]}年度"] - table[f"医療費(円) {years[0]}年度"]
    for year in years:
        table[f"医療費割合(%) {year}年度"] = np.append(percent(costs[year], costs[year].sum()), np.nan)
    notes.append("加入者は年度内に1日でも資格のあった人 (医療費0円の人を含む)。レンジは1人の年度内医療費の合計で分けています。")
    return [AnalysisTable("cost_ranges", "医療費レンジ別加入者数・医療費", table, tuple(notes), "2.2.7", member_ids)]


def cost_by_age_and_type(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """Cost per person by 5-year age band × 組合員/被扶養者, and cost by receipt type (seed §2.2.3–2.2.4)."""
    pop = year_population(inputs, fiscal_year)
    receipts, excluded = year_receipts(inputs, fiscal_year)
    width, open_from = setting("cost", "age_band_years"), setting("cost", "age_band_open_from")
    band = age_band_labels(pop["age"], width, open_from)
    person_cost = _person_cost(receipts, pop)
    rows = band_names(width, open_from) + (["年齢不明"] if (band == "年齢不明").any() else [])
    by_age = pd.DataFrame({"年齢階層": rows + [TOTAL_LABEL]})
    for group in (inputs.insured_label, DEPENDANT_LABEL, "全体"):
        mask = np.ones(len(pop), dtype=bool) if group == "全体" else (pop["group"] == group).to_numpy()
        people = band[mask].value_counts().reindex(rows, fill_value=0)
        cost = person_cost[mask].groupby(band[mask]).sum().reindex(rows, fill_value=0)
        by_age[f"{group} 加入者数"] = _with_total(people)
        by_age[f"{group} 医療費(円)"] = _with_total(cost)
        by_age[f"{group} 1人あたり医療費(円)"] = per_person(by_age[f"{group} 医療費(円)"], by_age[f"{group} 加入者数"])
    notes = [COST_NOTE, "年齢は年度末年齢 (翌年3月31日時点の満年齢)。加入者は年度内に1日でも資格のあった人。"]
    notes += [excluded] if excluded else []
    age_table = AnalysisTable("cost_by_age", "年齢階層別 1人あたり医療費", by_age, tuple(notes), "2.2.3")

    kinds = list(CLAIM_TYPES.values())
    by_type = pd.DataFrame({"レセプト種別": kinds + [TOTAL_LABEL]})
    by_type["件数"] = _with_total(pd.Series(_per_claim_type(receipts)))
    by_type["医療費(円)"] = _with_total(pd.Series(_per_claim_type(receipts, "yen")))
    by_type["1人あたり医療費(円)"] = per_person(by_type["医療費(円)"], len(pop))
    for year in years_present(inputs.receipts, fiscal_year):
        year_cost = _per_claim_type(year_receipts(inputs, year)[0], "yen")
        total = year_cost.sum()
        by_type[f"構成割合(%) {year}年度"] = np.append(percent(year_cost, total), percent(total, total))
    type_notes = (COST_NOTE, f"1人あたり医療費は{fiscal_year}年度の加入者 {len(pop):,}人で割った値。", *notes[2:])
    type_table = AnalysisTable("cost_by_type", "レセプト種別 医療費構成", by_type, type_notes, "2.2.4")
    return [age_table, type_table]


def icd10_top10(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """ICD-10 大分類 top 10 by cost per 加入者 (§2.2.8) and lifestyle-disease / cancer cost by year (§2.2.5–2.2.6)."""
    pop = year_population(inputs, fiscal_year)
    coded, excluded = _main_codes(inputs, fiscal_year)
    chapter_code, chapter_names = pd.factorize(chapter_labels(coded.distinct))
    row_chapter = np.where(coded.rows >= 0, np.append(chapter_code, -1)[coded.rows], -1)
    allocated = row_chapter >= 0
    by_chapter = pd.Series(np.bincount(row_chapter[allocated], weights=coded.yen[allocated],
                                       minlength=len(chapter_names)), index=range(len(chapter_names)))
    cost = by_chapter.sort_values(ascending=False, kind="stable").head(10)
    total = coded.yen.sum()
    labels = [str(chapter_names[k]) for k in cost.index]
    top = pd.DataFrame({
        "順位": np.arange(1, len(cost) + 1),
        "ICD10大分類": labels,
        "医療費(円)": cost.to_numpy().round().astype("int64"),
        "加入者あたり医療費(円)": per_person(cost.to_numpy(), len(pop)),
        "医療費割合(%)": percent(cost.to_numpy(), total),
    })
    member_ids = {label: member_tuple(pop, coded.pop_rows[row_chapter == k]) for label, k in zip(labels, cost.index)}
    notes = [COST_NOTE, ALLOCATION_NOTE,
             f"傷病名なし・ICD-10なし: {total - by_chapter.sum():,.0f}円 (割合の分母には含めています)。",
             f"加入者あたり医療費は{fiscal_year}年度の加入者 {len(pop):,}人で割った値。"]
    notes += [excluded] if excluded else []
    top_table = AnalysisTable("icd10_top10", "ICD10大分類別 加入者あたり医療費 上位10", top, tuple(notes), "2.2.8",
                              member_ids)

    groups = definitions()["disease_groups"]
    trend = pd.DataFrame({"疾病": [f"{g['label']} ({_ranges_text(g['ranges'])})" for g in groups]})
    trend_notes = [COST_NOTE, ALLOCATION_NOTE]
    for year in years_present(inputs.receipts, fiscal_year):
        year_coded, year_excluded = (coded, excluded) if year == fiscal_year else _main_codes(inputs, year)
        per_code = year_coded.cost_per_code()
        trend[f"医療費(円) {year}年度"] = [int(round(per_code[in_ranges(year_coded.distinct, g["ranges"]).to_numpy()].sum()))
                                       for g in groups]
        trend_notes += [year_excluded] if year_excluded else []
    trend_table = AnalysisTable("disease_cost_trend", "主な生活習慣病・がんの医療費推移", trend,
                                tuple(trend_notes), "2.2.5")
    return [top_table, trend_table]


@dataclass(frozen=True)
class _MainCodes:
    """A year's receipts reduced to what the disease tables need: cost, member and main-diagnosis code."""

    yen: np.ndarray
    pop_rows: np.ndarray
    rows: np.ndarray  # position in `distinct` of the receipt's main diagnosis, -1 = none
    distinct: pd.Series  # the distinct ICD-10 3桁 codes

    def cost_per_code(self) -> np.ndarray:
        known = self.rows >= 0
        return np.bincount(self.rows[known], weights=self.yen[known], minlength=len(self.distinct))


def _main_codes(inputs: AnalysisInputs, year: int) -> tuple[_MainCodes, str]:
    """The year's receipts of enrolled members with the ICD-10 3桁 code of their main diagnosis."""
    receipts, excluded = year_receipts(inputs, year)
    diagnoses = of_year(inputs.diagnoses, year, linked(inputs.diagnoses, ["receipt_id", "icd10", "is_main"]))
    receipt_row, diagnosis_row = main_diagnoses(receipts, diagnoses)
    codes, distinct = distinct_codes(diagnoses["icd10"].iloc[diagnosis_row])
    rows = np.full(len(receipts), -1, dtype="int64")
    rows[receipt_row] = codes
    coded = _MainCodes(receipts["yen"].to_numpy(dtype="float64"), receipts["pop_row"].to_numpy(), rows, distinct)
    return coded, excluded


def _per_claim_type(receipts: pd.DataFrame, column: str | None = None) -> np.ndarray:
    """Per レセプト種別 of CLAIM_TYPES, in its order: the number of receipts, or the sum of the integer
    `column`; receipts of another or no type count nowhere. Integer bins, not a text label per receipt."""
    codes = receipts["claim_type"].astype("Int64").fillna(0).to_numpy(dtype="int64")
    types = np.array(list(CLAIM_TYPES), dtype="int64")
    known = np.isin(codes, types)
    weights = None if column is None else receipts[column].to_numpy(dtype="int64")[known]
    sums = np.bincount(codes[known], weights=weights, minlength=int(types.max()) + 1)
    return np.round(sums[types]).astype("int64")


def _person_cost(receipts: pd.DataFrame, pop: pd.DataFrame) -> pd.Series:
    """Each enrolled member's yearly cost in 円 (0 for members without receipts)."""
    total = np.bincount(receipts["pop_row"].to_numpy(), weights=receipts["yen"].to_numpy(), minlength=len(pop))
    return pd.Series(total.round().astype("int64"), index=pop.index)


def _range_labels(bounds: list[int]) -> list[str]:
    """`0円`, `1円～10万円未満`, …, `500万円～` from the lower bounds of the bands."""
    names = [_yen_text(b) for b in bounds]
    return ["0円"] + [f"{low}～{high}未満" for low, high in zip(names, names[1:])] + [f"{names[-1]}～"]


def _ranges_text(ranges: list[list[str]]) -> str:
    return ", ".join(first if first == last else f"{first}–{last}" for first, last in ranges)


def _yen_text(value: int) -> str:
    return f"{value // 10000:,}万円" if value >= 10000 and value % 10000 == 0 else f"{value:,}円"


def _with_total(values: pd.Series) -> np.ndarray:
    return np.append(values.to_numpy(), values.sum())
