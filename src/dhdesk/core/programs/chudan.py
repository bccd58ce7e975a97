"""治療中断者 (chudan): members once treated for a lifestyle disease whose claims for it have stopped.

A member treated for a chosen condition (傷病名 ICD-10 or 薬効分類 of a drug, lists in the rule file) in the
`lookback_months` up to the list date, whose last claim for it is `gap_months` or more months back, is a
治療中断者 for that condition (RULES.md §3.4). Conditions are checked one by one, 糖尿病 first; the longest
interruption comes first in the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import month_numbers, population, positions, receipt_key
from dhdesk.core.programs import Candidates, ProgramInputs, empty_candidates_frame, program_rules
from dhdesk.core.programs.common import ADDRESS_WARNING, address_missing, ranked_candidates

PROGRAM_ID = "chudan"


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """The members whose claims for a chosen condition stopped `gap_months` or more months before `as_of`."""
    rules = program_rules(PROGRAM_ID)
    chosen = [key for key in rules["conditions"] if params[key]]
    if not chosen:
        raise ValueError("治療中断者の抽出には、対象の病気を1つ以上選んでください。")
    now = inputs.as_of.year * 12 + inputs.as_of.month - 1  # the month_numbers() scale
    lookback, gap = int(params["lookback_months"]), int(params["gap_months"])
    pop = population(inputs.members, fiscal_year, inputs.insured_label, held_on=inputs.as_of)
    last = _last_visits(inputs, pop, rules, chosen, now - lookback + 1, now)
    stopped = last[(now - last["month"]).to_numpy() >= gap]
    labels = "・".join(rules["conditions"][key]["label"] for key in chosen)
    latest = _latest_claim_month(inputs)
    context = {"now": now, "lookback": lookback, "gap": gap, "rules": rules, "chosen": chosen, "latest": latest}
    return Candidates(
        eligible_label=f"{_label(now - lookback + 1)}〜{_label(now)}に{labels}のレセプトがある加入者",
        eligible=int(last["pop_row"].nunique()),
        targets=_targets(stopped, pop, inputs, context),
        excluded=empty_candidates_frame(excluded=True),
        steps=((f"最終受診から{gap}か月以上受診なし", int(stopped["pop_row"].nunique())),),
    )


def _last_visits(inputs: ProgramInputs, pop: pd.DataFrame, rules: Mapping[str, Any], chosen: list[str],
                 first: int, now: int) -> pd.DataFrame:
    """One row per (member, condition) with a claim in months first..now: pop_row, condition (its position
    in `chosen`), month (of the last claim) and receipt (the key of that claim's receipt, `receipt_key`; the 医科
    one when the month has both)."""
    key = receipt_key(inputs.receipts, inputs.diagnoses, inputs.drug_lines)
    diagnoses = inputs.diagnoses
    confirmed = ~(diagnoses["is_suspected"] == 1).fillna(False).to_numpy(dtype=bool)
    found = pd.concat([
        _matches(diagnoses, confirmed, "icd10", "icd10_prefixes", rules, chosen, (first, now), key)
        .assign(by_diagnosis=True),
        _matches(inputs.drug_lines, None, "yj_code", "yj_prefixes", rules, chosen, (first, now), key)
        .assign(by_diagnosis=False),
    ], ignore_index=True)
    found["pop_row"] = positions(found["member_id"], pop.index)
    found = found[found["pop_row"].to_numpy() >= 0]
    # The last claim of each condition; in its month a 医科 receipt (the doctor) wins over the 調剤 one (the pharmacy).
    return (found.sort_values(["pop_row", "condition", "month", "by_diagnosis", "receipt"], kind="stable")
            .drop_duplicates(["pop_row", "condition"], keep="last")
            .drop(columns=["member_id", "by_diagnosis"]).reset_index(drop=True))


def _matches(frame: pd.DataFrame, usable: np.ndarray | None, column: str, list_key: str, rules: Mapping[str, Any],
             chosen: list[str], months: tuple[int, int], key: str) -> pd.DataFrame:
    """The rows in the months (first, last) whose code starts with a chosen condition's prefix: member_id,
    receipt (the `key` column's value), condition (position in `chosen`), month. Codes are matched once per distinct value and only
    the matching rows are copied: a year of claims has millions of rows but a few thousand codes."""
    service_month = frame["service_month"]
    keep = ((service_month >= _yyyymm(months[0])) & (service_month <= _yyyymm(months[1]))).fillna(False)
    keep = keep.to_numpy(dtype=bool) & (usable if usable is not None else True)
    codes, uniques = pd.factorize(frame[column])
    text = pd.Series(np.asarray(uniques, dtype=object), dtype="string").str.upper().str.replace(".", "", regex=False)
    parts = []
    for number, condition in enumerate(chosen):
        hit_code = text.str.startswith(tuple(rules["conditions"][condition][list_key])).fillna(False).to_numpy(dtype=bool)
        hit = np.append(hit_code, False)[codes] & keep
        parts.append(frame.loc[hit, ["member_id", key, "service_month"]].rename(columns={key: "receipt"})
                     .assign(condition=number))
    found = pd.concat(parts, ignore_index=True)
    return found.assign(month=month_numbers(found["service_month"])).drop(columns="service_month")


def _targets(stopped: pd.DataFrame, pop: pd.DataFrame, inputs: ProgramInputs, context: Mapping[str, Any]
             ) -> pd.DataFrame:
    """CANDIDATE_COLUMNS, one row per member (every interrupted condition listed), longest interruption first."""
    if stopped.empty:
        return empty_candidates_frame()
    rules, chosen, now = context["rules"], context["chosen"], context["now"]
    facility = _facilities(inputs.receipts, stopped, receipt_key(inputs.receipts, inputs.diagnoses, inputs.drug_lines))
    visits = stopped.assign(facility=facility.to_numpy()).sort_values(["pop_row", "condition"], kind="stable")
    per_member = visits.groupby("pop_row", sort=False).agg(first=("condition", "min"), month=("month", "max"))
    order = per_member.assign(since=now - per_member["month"]).sort_values(
        ["since", "first"], ascending=[False, True], kind="stable")
    ids = pop.index[order.index.to_numpy()]
    no_address = address_missing(inputs.members, ids)
    records: dict[int, list[dict[str, Any]]] = {}
    for record in visits.to_dict("records"):
        records.setdefault(int(record["pop_row"]), []).append(record)
    latest = context["latest"]
    late = latest is not None and now - latest > int(rules["claims"]["expected_lag_months"])
    tiers, reasons, explanations, values, warnings = [], [], [], [], []
    for row, since, no_addr in zip(order.index.tolist(), order["since"].tolist(), no_address, strict=True):
        visits_of = records[row]
        names = [rules["conditions"][chosen[v["condition"]]]["label"] for v in visits_of]
        newest = max(visits_of, key=lambda v: (v["month"], -v["condition"]))
        tiers.append(names[0])
        reasons.append(f"{'・'.join(names)}: 最終受診 {_label(newest['month'])}から{since}か月受診なし")
        explanations.append(_explanation(visits_of, names, context))
        values.append({"conditions": names, "last_visit_month": _label(newest["month"]),
                       "last_facility": newest["facility"], "months_since": int(since)})
        notes = [ADDRESS_WARNING] if no_addr else []
        if late:
            notes.append(f"レセプトは{_label(latest)}診療分まで: それ以降の受診は確認できません")
        warnings.append(tuple(notes))
    return ranked_candidates(ids, tiers, reasons, explanations, values, warnings)


def _explanation(visits: list[dict[str, Any]], names: list[str], context: Mapping[str, Any]) -> tuple[str, ...]:
    rules, chosen, now, gap = context["rules"], context["chosen"], context["now"], context["gap"]
    text = []
    for visit, name in zip(visits, names, strict=True):
        spec = rules["conditions"][chosen[visit["condition"]]]
        text.append(f"{name}: 最終受診 {_label(visit['month'])}（{visit['facility']}）から{now - visit['month']}か月、"
                    f"{name}のレセプトなし（基準 {gap}か月以上）。"
                    f"対象: 傷病名 ICD-10 {'・'.join(spec['icd10_prefixes'])}（疑い病名を除く）、"
                    f"薬効分類 {'・'.join(spec['yj_prefixes'])} の薬。")
    text.append(f"確認した期間: {_label(now - context['lookback'] + 1)}〜{_label(now)}（{context['lookback']}か月）。"
                f"レセプトは{_label(context['latest'])}診療分まで取り込まれています。" if context["latest"] is not None
                else f"確認した期間: {_label(now - context['lookback'] + 1)}〜{_label(now)}。")
    text.append(f"定義: {rules['sources']['rules_3_4']['short']}（前回受診から{gap}か月以上受診がない人）。")
    return tuple(text)


def _facilities(receipts: pd.DataFrame, visits: pd.DataFrame, key: str) -> pd.Series:
    """医療機関名 (else code) of each visit's receipt; 「医療機関不明」 when the receipt is not loaded."""
    needed = pd.unique(visits["receipt"].to_numpy(dtype=object))
    near = receipts.loc[receipts[key].isin(needed).fillna(False).to_numpy(dtype=bool),
                        [key, "facility_name", "facility_code"]].drop_duplicates(key)
    name = near["facility_name"].astype("string").fillna(near["facility_code"].astype("string")).fillna("医療機関不明")
    row = positions(visits["receipt"].reset_index(drop=True), pd.Index(near[key]))
    return pd.Series(np.append(name.to_numpy(dtype=object), "医療機関不明")[row], dtype="string")


def _latest_claim_month(inputs: ProgramInputs) -> int | None:
    """The latest 診療年月 loaded (on the month_numbers() scale), None without receipts."""
    latest = inputs.receipts["service_month"].dropna().max() if len(inputs.receipts) else None
    return int(month_numbers(pd.Series([latest], dtype="string"))[0]) if isinstance(latest, str) else None


def _yyyymm(month_number: int) -> str:
    """Months since year 0 → yyyymm, the store's 診療年月."""
    return f"{month_number // 12:04d}{month_number % 12 + 1:02d}"


def _label(month_number: int) -> str:
    """Months since year 0 → YYYY-MM."""
    return f"{month_number // 12:04d}-{month_number % 12 + 1:02d}"
