"""受診行動 analyses from outpatient claims: 頻回受診 (seed §3.4.6) and はしご受診 (seed §3.4.7).

Both read 医科入院外 receipts only (the seed states it for はしご受診; 入院日数 are not visits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.claims_base import (
    TOTAL_LABEL,
    elderly_labels,
    linked,
    distinct_codes,
    distinct_rows,
    member_rows,
    member_tuple,
    month_numbers,
    of_year,
    percent,
    receipt_key,
    receipt_rows,
    setting,
    year_population,
)

OUTPATIENT = 2
AGE_GROUPS = ("65歳未満", "前期高齢者")


def frequent_visits(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """頻回受診者: 同一医療機関で月の受診日数が基準以上の月が基準月数以上連続した人, by 65歳未満/前期高齢者."""
    min_days = setting("frequent_visits", "min_days_in_month")
    min_months = setting("frequent_visits", "min_consecutive_months")
    pop = year_population(inputs, fiscal_year)
    receipts = pd.concat([_outpatient(inputs, fiscal_year, year) for year in (fiscal_year - 1, fiscal_year)])
    month = month_numbers(receipts["service_month"])
    first, last = fiscal_year * 12 + 3, fiscal_year * 12 + 14
    window = (month >= first - (min_months - 1)) & (month <= last)
    visits = _visit_days(receipts["pop_row"].to_numpy()[window],
                         pd.factorize(receipts["facility_code"].fillna(""))[0][window], month[window],
                         receipts["days"].astype("Int64").fillna(0).astype("int64").to_numpy()[window])
    heavy = visits.loc[visits["days"] >= min_days].reset_index(drop=True)
    member, facility, heavy_month = (heavy[c].to_numpy() for c in ("member", "facility", "month"))
    continues = np.zeros(len(heavy), dtype=bool)
    continues[1:] = (member[1:] == member[:-1]) & (facility[1:] == facility[:-1]) & (np.diff(heavy_month) == 1)
    run = np.cumsum(~continues)
    position = pd.Series(run).groupby(run).cumcount().to_numpy() + 1
    qualifies = (position >= min_months) & (heavy_month >= first)
    frequent = member[qualifies]
    in_year = receipts["pop_row"].to_numpy()[(month >= first) & (month <= last)]
    table, member_ids = _by_age(pop, in_year, frequent, "頻回受診者")
    notes = (
        f"頻回受診者: 同一医療機関での月内の受診日数が{min_days}日以上の月が、同一医療機関で{min_months}か月以上"
        "連続した人 (seed §3.4.6 の定義)。受診日数は医科入院外レセプトの診療実日数。",
        f"連続が{fiscal_year}年度の月に達した人を数えます (前年度の月から続く連続も含む)。",
        "外来受診者数: 年度内に医科入院外レセプトのある加入者。年齢は年度末年齢、前期高齢者 = 65歳以上。",
        "seed の表は診療科別ですが、レセプトの標準レイアウトに診療科がないため区分別の人数を示します。",
    )
    return [AnalysisTable("frequent_visits", "頻回受診状況", table, notes, "3.4.6", member_ids)]


def doctor_shopping(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """はしご受診者: 同一傷病で同月内に基準以上の医療機関を受診した人, and their main 傷病 (3桁分類)."""
    min_facilities = setting("doctor_shopping", "min_facilities")
    pop = year_population(inputs, fiscal_year)
    receipts = _outpatient(inputs, fiscal_year, fiscal_year)
    diagnoses = of_year(inputs.diagnoses, fiscal_year,
                        linked(inputs.diagnoses, ["receipt_id", "icd10", "disease_code", "disease_name"]), OUTPATIENT)
    key = receipt_key(receipts, diagnoses)
    rows = receipt_rows(receipts[key], diagnoses[key])
    matched = np.flatnonzero(rows >= 0)
    pairs = diagnoses.iloc[matched].reset_index(drop=True).join(
        receipts[["pop_row", "service_month", "facility_code"]].iloc[rows[matched]].reset_index(drop=True))
    disease, disease_names = _disease_keys(pairs)
    facility = pd.factorize(pairs["facility_code"])[0]
    valid = (disease >= 0) & (facility >= 0)
    keys = pd.DataFrame({"member": pairs["pop_row"].to_numpy()[valid],
                         "month": month_numbers(pairs["service_month"])[valid],
                         "disease": disease[valid], "facility": facility[valid]}).drop_duplicates()
    places = keys.groupby(["member", "month", "disease"], sort=False).size()
    found = places[places >= min_facilities].reset_index()[["member", "disease"]].drop_duplicates()
    table, member_ids = _by_age(pop, receipts["pop_row"].to_numpy(), found["member"].to_numpy(), "はしご受診者")

    hits = pd.DataFrame({"age_group": elderly_labels(pop["age"]).to_numpy()[found["member"].to_numpy()],
                         "disease": found["disease"].to_numpy()})
    patients = hits.groupby(["age_group", "disease"]).size().rename("実患者数").reset_index()
    patients = patients.assign(label=disease_names[patients["disease"].to_numpy()])
    patients = patients.sort_values(["age_group", "実患者数", "label"], ascending=[True, False, True], kind="stable")
    top = patients.groupby("age_group", sort=False).head(5)
    in_top = np.isin(disease, top["disease"].to_numpy())
    named = pd.DataFrame({"disease": disease[in_top],
                          "name": pairs["disease_name"].take(np.flatnonzero(in_top)).to_numpy()}).dropna()
    names = named.value_counts().reset_index().drop_duplicates("disease").set_index("disease")["name"]
    ranking = pd.DataFrame({
        "区分": pd.Categorical(top["age_group"], categories=AGE_GROUPS),
        "順位": top.groupby("age_group").cumcount().to_numpy() + 1,
        "同一傷病": top["label"].to_numpy(),
        "主な傷病名": top["disease"].map(names).to_numpy(),
        "実患者数": top["実患者数"].to_numpy(),
    }).sort_values(["区分", "順位"], kind="stable").astype({"区分": "string"}).reset_index(drop=True)
    notes = (
        f"はしご受診: 同一傷病での同月内の受診医療機関数が{min_facilities}施設以上 (seed §3.4.7 の定義)。"
        "対象レセプトは医科入院外、疑い傷病を含む。",
        "同一傷病 = ICD-10 の3桁分類が同じ傷病名 (ICD-10 がなければ傷病名コード、なければ傷病名)。",
        "外来受診者数: 年度内に医科入院外レセプトのある加入者。年齢は年度末年齢、前期高齢者 = 65歳以上。",
    )
    ranking_notes = (*notes[:2], "seed は ICD10中分類で示しますが、ここでは ICD-10 の3桁分類で上位5位までを示します。")
    return [AnalysisTable("doctor_shopping", "はしご受診状況", table, notes, "3.4.7", member_ids),
            AnalysisTable("doctor_shopping_diseases", "はしご受診者の主な傷病", ranking, ranking_notes, "3.4.7")]


def _disease_keys(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """同一傷病 key per diagnosis row (-1 = none) and each key's label: the ICD-10 3桁分類, else the 傷病名コード,
    else the 傷病名. String work runs on distinct values only."""
    rows, distinct = distinct_codes(pairs["icd10"])
    key_of_code, code_names = pd.factorize(distinct)
    key = np.append(key_of_code, -1)[rows]
    missing = np.flatnonzero(key < 0)
    fallback = (pairs["disease_code"].take(missing).astype("string")
                .fillna(pairs["disease_name"].take(missing).astype("string")))
    fallback_key, fallback_names = pd.factorize(fallback)
    key[missing] = np.where(fallback_key >= 0, fallback_key + len(code_names), -1)
    names = np.concatenate([np.asarray(code_names, dtype=object), np.asarray(fallback_names, dtype=object)])
    return key, names


def _visit_days(member: np.ndarray, facility: np.ndarray, month: np.ndarray, days: np.ndarray) -> pd.DataFrame:
    """診療実日数 summed per (member, 医療機関, 月), in that order: columns member, facility, month, days.

    One int64 key per triple, summed with bincount: a three-column groupby over millions of receipts is
    several times slower."""
    low = int(month.min()) if len(month) else 0
    n_months, n_facilities = int(month.max(initial=low)) - low + 1, int(facility.max(initial=0)) + 1
    key = (member.astype("int64") * n_facilities + facility) * n_months + (month - low)
    keys, group = np.unique(key, return_inverse=True)
    return pd.DataFrame({"member": keys // (n_facilities * n_months), "facility": keys // n_months % n_facilities,
                         "month": keys % n_months + low,
                         "days": np.bincount(group, weights=days, minlength=len(keys)).round().astype("int64")})


def _outpatient(inputs: AnalysisInputs, fiscal_year: int, year: int) -> pd.DataFrame:
    """医科入院外 receipts of `year` of the members enrolled in `fiscal_year`, with the member's row in its
    `year_population` (`pop_row`)."""
    receipts = inputs.receipts
    rows = of_year(receipts, year, linked(receipts, ["receipt_id", "member_id", "service_month", "facility_code",
                                                     "days"]), OUTPATIENT)
    row = member_rows(inputs, "receipts", rows, fiscal_year)
    return rows.loc[row >= 0].assign(pop_row=row[row >= 0])


def _by_age(pop: pd.DataFrame, visitors: np.ndarray, flagged: np.ndarray, label: str
            ) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """Visitors and flagged members (`pop` rows) by 65歳未満 / 前期高齢者, with the flagged share and their ids."""
    age_group = elderly_labels(pop["age"]).to_numpy()
    visitors, flagged = distinct_rows(visitors, len(pop)), distinct_rows(flagged, len(pop))
    rows = [*AGE_GROUPS, TOTAL_LABEL]
    seen, found, member_ids = [], [], {}
    for row in rows:
        in_row = np.ones(len(pop), dtype=bool) if row == TOTAL_LABEL else age_group == row
        seen.append(int(in_row[visitors].sum()))
        found.append(int(in_row[flagged].sum()))
        member_ids[f"{row} {label}"] = member_tuple(pop, flagged[in_row[flagged]])
    table = pd.DataFrame({"区分": rows, "外来受診者数": seen, f"{label}数": found})
    table[f"{label}割合(%)"] = percent(np.array(found), np.array(seen))
    return table, member_ids
