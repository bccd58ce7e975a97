"""健診未受診 (被扶養者) (mijushin): 被扶養者 of 40–74 (年度末年齢) with 資格 in the 年度 and no checkup in it.

Each is ranked by the 3-year pattern of the years that count for them: a year counts when they held
資格 in it, were at least `age_from` at its end and the workspace holds checkups for it (a year with no
checkup loaded at all says nothing about a person). Never attended comes first (3年連続 → 2年連続 →
今年度から対象), then those who attended before; within a pattern the older first, since the risk of an
unchecked lifestyle disease grows with age.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import population
from dhdesk.core.programs import Candidates, ProgramInputs, program_rules
from dhdesk.core.programs.common import address_warnings, candidate_frame, fiscal_year_bounds, roster

PROGRAM_ID = "mijushin"
YEARS = 3
DEPENDANT = 2


def patterns() -> dict[str, str]:
    """Pattern key → label, in rank order (mijushin.toml)."""
    return {p["key"]: p["label"] for p in program_rules(PROGRAM_ID)["patterns"]}


def pattern_of(history: list[bool]) -> str:
    """The pattern key of the counted years before this one (oldest first; True = attended), this year unattended."""
    if not history:
        return "first_year"
    if history[-1]:
        return "last_year"
    if len(history) == 1:
        return "never_two"
    return "two_years" if history[-2] else "three_years"


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """未受診の被扶養者 of `fiscal_year`; `params` = age_from, age_to."""
    age_from, age_to = int(params["age_from"]), int(params["age_to"])
    years = list(range(fiscal_year - YEARS + 1, fiscal_year + 1))
    pops = {year: population(inputs.members, year, inputs.insured_label) for year in years}
    current = pops[fiscal_year]
    age = current["age"].astype("float64").to_numpy()
    dependant = (current["relation"].astype("float64").to_numpy() == DEPENDANT) & (age >= age_from) & (age <= age_to)
    eligible = current[dependant]
    attended = {year: _attended(inputs.checkups, year) for year in years}
    missed = eligible[np.array([m not in attended[fiscal_year] for m in eligible.index.astype(str)], dtype=bool)]
    missed_ids = missed.index.astype(str).tolist()

    loaded = {year: len(attended[year]) > 0 for year in years}
    counted = {}
    for year in years[:-1]:
        pop = pops[year]
        old_enough = set(pop.index[(pop["age"].astype("float64") >= age_from).to_numpy()].astype(str))
        counted[year] = [loaded[year] and m in old_enough for m in missed_ids]
    histories = [[missed_ids[i] in attended[y] for y in years[:-1] if counted[y][i]] for i in range(len(missed))]
    labels = patterns()
    keys = [pattern_of(h) for h in histories]
    order = pd.DataFrame({"pattern": [list(labels).index(k) for k in keys],
                          "age": missed["age"].astype("float64").to_numpy()})
    order = order.sort_values(["pattern", "age"], ascending=[True, False], kind="stable").index.to_numpy()

    ages = missed["age"].astype("int64").tolist()
    warnings = address_warnings(roster(inputs.members), [missed_ids[i] for i in order])
    targets = []
    for rank, (i, warning) in enumerate(zip(order, warnings, strict=True), start=1):
        member, label = missed_ids[i], labels[keys[i]]
        years_out = [{"fiscal_year": y, "attended": member in attended[y]} for y in years[:-1] if counted[y][i]]
        years_out.append({"fiscal_year": fiscal_year, "attended": False})
        targets.append({
            "member_id": member,
            "tier": label,
            "rank": rank,
            "reason": f"{ages[i]}歳・{label}",
            "explanation": _explanation(fiscal_year, ages[i], years_out, years, loaded, age_from, age_to),
            "values": {"pattern": label, "years": years_out},
            "warnings": warning,
        })
    return Candidates(
        eligible_label=f"{fiscal_year}年度に資格のある{age_from}〜{age_to}歳（年度末年齢）の被扶養者",
        eligible=len(eligible),
        targets=candidate_frame(targets),
        excluded=candidate_frame([], excluded=True),
        steps=((f"{fiscal_year}年度の健診結果なし", len(missed)),),
    )


def _attended(checkups: pd.DataFrame, fiscal_year: int) -> set[str]:
    """Members with a checkup dated in the 年度."""
    start, end = fiscal_year_bounds(fiscal_year)
    return set(checkups.loc[checkups["exam_date"].between(start, end), "member_id"].astype(str))


def _explanation(fiscal_year: int, age: int, shown: list[dict[str, Any]], years: list[int],
                 loaded: Mapping[int, bool], age_from: int, age_to: int) -> tuple[str, ...]:
    history = "、".join(f"{y['fiscal_year']}年度 {'受診' if y['attended'] else '未受診'}" for y in shown)
    skipped = [f"{y}年度" for y in years[:-1] if not loaded[y]]
    lines = [
        f"被扶養者・年度末年齢 {age}歳（対象 {age_from}歳以上{age_to}歳以下: 省令157号 第1条）・{fiscal_year}年度に資格あり",
        f"{fiscal_year}年度の健診結果が取り込まれていません（未受診）",
        f"受診歴（資格があり{age_from}歳以上だった年度）: {history}",
    ]
    if skipped:
        lines.append(f"{'・'.join(skipped)}は健診結果が1件も取り込まれていないため受診歴に数えていません")
    return tuple(lines)
