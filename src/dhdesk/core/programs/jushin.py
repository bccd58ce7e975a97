"""受診勧奨 (jushin): members past a 受診勧奨判定値 at the year's checkup with no related visit afterwards.

The cut-offs and tiers are the rule set `jushin_kankoku` (core/rules/referral); this module adds the
follow-up: per 領域 (血圧, 脂質, 血糖…) a claim with a related diagnosis or drug from the exam month to
`window_months` months later (claims are monthly) counts as 受診; the window is over after that month's
last day. A member is a target when at least one exceeded 領域 has no such claim; the letter lists only
those items, the explanation names the visits found for the others.
While the window is still open nobody can be said to have "not visited": ①すぐに受診 is notified anyway
with a warning (`notify_urgent_in_window`), ② waits and is set aside with the date the window ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.programs import Candidates, ProgramInputs, program_rules
from dhdesk.core.programs.common import (
    ClaimCodes,
    address_warnings,
    candidate_frame,
    latest_checkups,
    month_number,
    month_text,
    roster,
    value_text,
)
from dhdesk.core.rules import RuleSet, measures
from dhdesk.core.rules.referral import RECOMMENDED, TIERS, URGENT, Criterion, criteria, item_order, referral
from dhdesk.core.rules.referral_explain import CODE_TEXT, referral_reasons
from dhdesk.core.rules.versions import referral_rules

PROGRAM_ID = "jushin"


# ── 受診勧奨 ──────────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Domain:
    """A 領域 of the rule file: its checkup items and the claims that count as a related visit."""

    key: str
    label: str
    items: tuple[str, ...]
    icd10: tuple[str, ...]
    drug_yj: tuple[str, ...]


def domains() -> tuple[Domain, ...]:
    """The 領域 of `jushin.toml`, in file order."""
    table = program_rules(PROGRAM_ID)["domains"]
    return tuple(Domain(key, spec["label"], tuple(spec["items"]), tuple(spec["icd10"]), tuple(spec["drug_yj"]))
                 for key, spec in table.items())


def criterion_text(criterion: Criterion, sex: float) -> str:
    """「140mmHg以上」, 「(+)以上」, 「12.0g/dL以下(男性)」 for the threshold that applies to this sex."""
    thresholds = criterion.thresholds
    if len(thresholds) > 1:
        male, female = criterion.male_female
        thresholds = (male,) if sex == 1 else (female,) if sex == 2 else thresholds
    parts = []
    for t in thresholds:
        cut = CODE_TEXT[t.item].get(int(t.value), str(t.value)) if t.item in CODE_TEXT else t.cutoff()
        parts.append(f"{cut}{t.comparison.label}")
    return "・".join(parts)


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """受診勧奨 candidates of `fiscal_year` (module docstring); `params` = window_months, notify_urgent_in_window."""
    rules = inputs.referral_rules or referral_rules(fiscal_year)
    window = int(params["window_months"])
    checkups = latest_checkups(inputs.checkups, fiscal_year)
    flags = referral(checkups, rules)
    over = flags["tier"].notna().to_numpy()
    exceeded_rows = checkups[over].reset_index(drop=True)
    exceeded_flags = flags[over].reset_index(drop=True)
    found = criteria(rules)
    values = {item: measures.measured(exceeded_rows, item) for item in item_order(found)}
    urgent = {item: _has_label(exceeded_flags["urgent_items"], item) for item in values}
    passed = {item: _has_label(exceeded_flags["referral_items"], item) for item in values}

    exam_month = np.array([month_number(d) for d in exceeded_rows["exam_date"]], dtype="int64")
    window_end = (exceeded_rows["exam_date"].dt.to_period("M") + window).dt.end_time.dt.normalize()
    open_window = (window_end > pd.Timestamp(inputs.as_of)).to_numpy()
    claims = ClaimCodes(inputs, exceeded_rows["member_id"].astype(str).tolist())
    visits = {d.key: _first_visit(claims, d, exam_month, window) for d in domains()}
    reasons_text = referral_reasons(exceeded_rows, exceeded_flags, rules)

    people = roster(inputs.members)
    context = _Context(found, rules, window, params)
    rows = _Rows(member=exceeded_rows["member_id"].astype(str).tolist(),
                 sex=measures.numbers(exceeded_rows, "sex").tolist(),
                 exam=exceeded_rows["exam_date"].tolist(), window_end=window_end.tolist(),
                 window_open=open_window.tolist(), reason=reasons_text.tolist(),
                 values={item: v.tolist() for item, v in values.items()},
                 passed={item: v.tolist() for item, v in passed.items()},
                 urgent={item: v.tolist() for item, v in urgent.items()},
                 visits={key: (v["month"].tolist(), v["facility"].tolist()) for key, v in visits.items()})
    targets, excluded = [], []
    for row in range(len(exceeded_rows)):
        outcome = context.judge(rows, row)
        (targets if outcome.get("exclusion_reason") is None else excluded).append(outcome)
    targets.sort(key=lambda t: (t["tier"] != TIERS[URGENT], -len(t["values"]["items"])))  # stable: member order
    for position, (target, extra) in enumerate(
            zip(targets, address_warnings(people, [t["member_id"] for t in targets]), strict=True), start=1):
        target["warnings"] = target["warnings"] + extra
        target["rank"] = position
    return Candidates(
        eligible_label=f"{fiscal_year}年度に健診を受けた加入者",
        eligible=len(checkups),
        targets=candidate_frame(targets),
        excluded=candidate_frame(excluded, excluded=True),
        steps=(("受診勧奨判定値以上の項目あり", int(over.sum())),),
    )


def _has_label(labels: pd.Series, item: str) -> np.ndarray:
    """Rows whose tuple of item labels contains `item`'s label (tested once per distinct tuple)."""
    label = CHECKUPS.field(item).label
    codes, sets = pd.factorize(labels)
    return np.array([label in s for s in sets], dtype=bool)[codes] if len(sets) else np.zeros(len(labels), bool)


def _first_visit(codes: ClaimCodes, domain: Domain, exam_month: np.ndarray, window: int) -> pd.DataFrame:
    """Per exceeded member (row order), the first related claim month in the window and its facility (or NA)."""
    claims = codes.matching(domain.icd10, domain.drug_yj, include_suspected=True)
    first = exam_month[claims["row"].to_numpy()]
    inside = claims[(claims["month"] >= first) & (claims["month"] <= first + window)]
    inside = inside.sort_values(["row", "month"], kind="stable").drop_duplicates("row")
    return inside.set_index("row")[["month", "facility"]].reindex(range(len(exam_month)))


@dataclass(frozen=True)
class _Rows:
    """The exceeded members' facts as plain lists (row access in the per-member loop stays cheap)."""

    member: list[str]
    sex: list[float]
    exam: list[pd.Timestamp]
    window_end: list[pd.Timestamp]
    window_open: list[bool]
    reason: list[str]
    values: dict[str, list[float]]
    passed: dict[str, list[bool]]
    urgent: dict[str, list[bool]]
    visits: dict[str, tuple[list[float], list[Any]]]


class _Context:
    """What every member's outcome is built from: criteria, rule set, window, parameters."""

    def __init__(self, found: Mapping[str, Mapping[str, Criterion]], rules: RuleSet, window: int,
                 params: Mapping[str, Any]) -> None:
        self.found, self.rules, self.window = found, rules, window
        self.notify_urgent = bool(params["notify_urgent_in_window"])
        self.criteria: dict[tuple[str, float, bool], str] = {}  # criterion texts, built once per item/sex/tier
        self.domains = domains()
        self.claims_rule = "; ".join(
            f"{d.label}: 傷病名 {'・'.join(d.icd10)}" + (f", 薬効分類 {'・'.join(d.drug_yj)}" if d.drug_yj else "")
            for d in self.domains)

    def item(self, item: str, value: float, sex: float, is_urgent: bool) -> dict[str, Any]:
        key = (item, sex, is_urgent)
        if key not in self.criteria:
            self.criteria[key] = criterion_text(self.found["urgent" if is_urgent else "referral"][item], sex)
        field = CHECKUPS.field(item)
        shown: Any = value_text(item, value) if item in CODE_TEXT else float(value)
        return {"label": field.label, "value": shown, "unit": field.unit, "criterion": self.criteria[key],
                "tier": TIERS[URGENT] if is_urgent else TIERS[RECOMMENDED]}

    def judge(self, rows: _Rows, row: int) -> dict[str, Any]:
        """One exceeded member: a target (no exclusion_reason) or set aside with the reason."""
        exam = rows.exam[row]
        remaining, visited = [], []
        for domain in self.domains:
            items = [i for i in domain.items if i in rows.values and rows.passed[i][row]]
            if not items:
                continue
            months, facilities = rows.visits[domain.key]
            if months[row] == months[row]:  # not NaN: a related claim in the window
                visited.append(f"{domain.label}: {month_text(int(months[row]))} {facilities[row]}")
            else:
                remaining += [(i, self.item(i, rows.values[i][row], rows.sex[row], rows.urgent[i][row])) for i in items]
        explanation = (
            f"{exam:%Y-%m-%d}の健診: {rows.reason[row]}",
            f"受診の確認: 健診月から{self.window}か月後まで（{month_text(month_number(exam))}〜"
            f"{month_text(month_number(exam) + self.window)}診療分）のレセプトに関連する傷病名（疑いを含む）"
            f"または薬があれば受診ありとする（{self.claims_rule}）",
            *(f"{line}で関連する傷病名・薬のレセプトあり（受診済みの項目は通知しない）" for line in visited),
            f"判定基準: {self.rules.title}（{self.rules.id} 版 {self.rules.version}）",
        )
        base: dict[str, Any] = {"member_id": rows.member[row], "explanation": explanation, "warnings": ()}
        if not remaining:
            return base | {"tier": TIERS[RECOMMENDED], "reason": "健診後に受診あり", "values": {},
                           "exclusion_reason": f"健診後に受診あり（{'; '.join(visited)}）"}
        urgent = [(i, entry) for i, entry in remaining if entry["tier"] == TIERS[URGENT]]
        name, first = (urgent or remaining)[0]
        more = f"ほか{len(remaining) - 1}項目" if len(remaining) > 1 else ""
        head = (f"{first['label']} {value_text(name, rows.values[name][row])}{first['unit']}"
                f"（{first['criterion']}）{more}")
        tier = TIERS[URGENT] if urgent else TIERS[RECOMMENDED]
        values = {"exam_date": f"{exam:%Y-%m-%d}", "items": [entry for _, entry in remaining],
                  "window_months": self.window}
        if not rows.window_open[row]:
            return base | {"tier": tier, "reason": f"{head}・受診なし", "values": values}
        note = f"受診確認期間中（{rows.window_end[row]:%Y-%m-%d}まで）"
        if urgent and self.notify_urgent:
            return base | {"tier": tier, "reason": f"{head}・{note}", "values": values,
                           "warnings": (f"{note}: ①すぐに受診のため期間の終了を待たずに通知します",)}
        return base | {"tier": tier, "reason": f"{head}・{note}", "values": values,
                       "exclusion_reason": f"{note}: 期間が終わってから再抽出してください"}
