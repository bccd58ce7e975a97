"""多剤服用 (tazai): members taking many drugs in one claim month, for the 服薬情報通知.

The definition is the seed's (§3.4.5) and the 多剤服用 analysis's, computed by the same functions
(`claims_drugs.counted_drugs` / `heavy_months`): one drug = one (医療機関, 成分) whose days in the month add
up to at least `min_days`; a member is a target with at least `min_drugs` such drugs in the month.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import population
from dhdesk.core.analyses.claims_drugs import counted_drugs, heavy_months, ingredient_codes
from dhdesk.core.programs import (
    Candidates,
    ProgramInputs,
    empty_candidates_frame,
    master_for_month,
    program_rules,
)
from dhdesk.core.programs.common import ADDRESS_WARNING, address_missing, ranked_candidates
from dhdesk.core.programs.drugs import claim_month, month_label, month_lines

PROGRAM_ID = "tazai"


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """The members with at least `min_drugs` drugs of at least `min_days` days in the month, most drugs first."""
    rules = program_rules(PROGRAM_ID)
    month = claim_month(inputs, params)
    min_drugs, min_days = int(params["min_drugs"]), int(params["min_days"])
    pop = population(inputs.members, fiscal_year, inputs.insured_label, held_on=inputs.as_of)
    lines = month_lines(inputs, month, pop)
    master = master_for_month(inputs.drug_masters, month)
    drugs = counted_drugs(lines, lines["facility_code"], ingredient_codes(master, lines["yj_code"]), min_days)
    heavy = heavy_months(drugs, min_drugs).sort_values(["drug_count", "pop_row"], ascending=[False, True],
                                                       kind="stable")
    criterion = f"{min_days}日以上の薬が{min_drugs}剤以上"
    return Candidates(
        eligible_label=f"{month_label(month)}診療分に医薬品の明細がある加入者",
        eligible=int(lines["pop_row"].nunique()),
        targets=_targets(heavy, drugs, lines, master, pop, inputs, month, params, rules),
        excluded=empty_candidates_frame(excluded=True),
        steps=((criterion, int(len(heavy))),),
    )


def _targets(heavy: pd.DataFrame, drugs: pd.DataFrame, lines: pd.DataFrame, master: pd.DataFrame,
             pop: pd.DataFrame, inputs: ProgramInputs, month: str, params: Mapping[str, Any],
             rules: Mapping[str, Any]) -> pd.DataFrame:
    if heavy.empty:
        return empty_candidates_frame()
    min_drugs, min_days, high = int(params["min_drugs"]), int(params["min_days"]), int(params["high_drugs"])
    ids = pop.index[heavy["pop_row"].to_numpy()]
    no_address = address_missing(inputs.members, ids)
    drugs_of = _drug_records(drugs[drugs["pop_row"].isin(heavy["pop_row"]).to_numpy()], lines, master)
    source = rules["sources"]["seed"]["short"]
    tiers, reasons, explanations, values = [], [], [], []
    for row, count in zip(heavy["pop_row"].tolist(), heavy["drug_count"].tolist(), strict=True):
        taken = drugs_of[row]
        facilities = len({d["facility"] for d in taken})
        tiers.append(f"{high}剤以上" if count >= high else f"{min_drugs}〜{high - 1}剤")
        reasons.append(f"{count}剤（{min_days}日以上の薬）・{facilities}医療機関")
        explanations.append((
            f"{month_label(month)}診療分のレセプトで、同じ医療機関・同じ成分の処方の日数を合計し"
            f"{min_days}日以上のものを1剤と数えました（{source}の定義）。",
            f"{count}剤: 基準 {min_drugs}剤以上に該当（{high}剤以上は区分「{high}剤以上」）。",
            *(f"{d['name']}（{d['facility']}）{d['days']}日" for d in taken),
            "医療機関は明細のレセプトの医療機関（院外処方では調剤した薬局）です。",
        ))
        values.append({"month": month_label(month), "drugs": taken, "drug_count": int(count)})
    warnings = [(ADDRESS_WARNING,) if missing else () for missing in no_address]
    return ranked_candidates(ids, tiers, reasons, explanations, values, warnings)


def _drug_records(drugs: pd.DataFrame, lines: pd.DataFrame, master: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """Each target's drugs as {name, days, facility}, by facility then name: the name is the first line's 医薬品名
    (else the master's 品名, else the 薬価基準コード), the facility its receipt's 医療機関名 (else the code)."""
    first = lines.iloc[drugs["line"].to_numpy()][["yj_code", "drug_name", "facility_name", "facility_code"]]
    first = first.reset_index(drop=True).astype("string")
    product = first[["yj_code"]].merge(master.drop_duplicates("yj_code", keep="last")[["yj_code", "product_name"]],
                                       on="yj_code", how="left")["product_name"].astype("string")
    name = first["drug_name"].fillna(product).fillna(first["yj_code"]).fillna("名称不明")
    facility = first["facility_name"].fillna(first["facility_code"]).fillna("医療機関不明")
    table = pd.DataFrame({"pop_row": drugs["pop_row"].to_numpy(), "name": name.to_numpy(dtype=object),
                          "days": drugs["days"].to_numpy(), "facility": facility.to_numpy(dtype=object)})
    table = table.sort_values(["pop_row", "facility", "name"], kind="stable")
    out: dict[int, list[dict[str, Any]]] = {}
    for row, drug, days, place in zip(table["pop_row"].tolist(), table["name"].tolist(), table["days"].tolist(),
                                      table["facility"].tolist(), strict=True):
        out.setdefault(row, []).append({"name": drug, "days": days, "facility": place})
    return out
