"""Per-person 受診勧奨判定値 and 保健指導判定値 exceedances and the 受診勧奨 tier, vectorised.

Each item of the rule set (`guidance.<item>`, `referral.<item>`, `urgent.<item>` in
jushin_kankoku.toml) is compared after rounding the value half-up to the field's recorded precision.
An unmeasured value is never an exceedance, so a person is tiered on what was measured and the
missing items are listed beside the tier. ① すぐに受診 outranks ② 受診勧奨 (RULES.md §2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules import measures
from dhdesk.core.rules.ruleset import RuleSet, RuleSetError, Threshold
from dhdesk.core.rules.tristate import NO, UNKNOWN, YES, by_sex, compare, to_boolean

KINDS = ("guidance", "referral", "urgent")
"""Threshold id prefixes: 保健指導判定値, 受診勧奨判定値, ①すぐに受診."""

TIERS = ("①すぐに受診", "②受診勧奨")
URGENT, RECOMMENDED = range(2)

ALTERNATIVES = {"tg_fasting": "tg_random", "tg_random": "tg_fasting", "fbg": "rbg", "rbg": "fbg",
                "ldl": "non_hdl", "non_hdl": "ldl"}
"""A clinic measures one of each pair; an item counts as missing only when its partner is missing too."""

SEX_LABEL = CHECKUPS.field("sex").label


@dataclass(frozen=True)
class Criterion:
    """One item's cut-off of one kind: a single threshold, or a male/female pair (血色素量)."""

    kind: str
    item: str
    thresholds: tuple[Threshold, ...]

    @property
    def label(self) -> str:
        return CHECKUPS.field(self.item).label

    @property
    def column(self) -> str:
        return f"{self.kind}_{self.item}"

    @property
    def male_female(self) -> tuple[Threshold, Threshold]:
        """The male and the female threshold of a sex-specific item."""
        male, female = sorted(self.thresholds, key=lambda t: t.sex or 0)
        return male, female

    def test(self, values: np.ndarray, sex: np.ndarray) -> np.ndarray:
        """YES/NO/UNKNOWN per row (UNKNOWN when unmeasured, or sex unknown and the cut-offs disagree)."""
        if len(self.thresholds) == 1:
            return compare(values, self.thresholds[0])
        return by_sex(values, sex, *self.male_female)


def criteria(rules: RuleSet) -> dict[str, dict[str, Criterion]]:
    """kind → item → Criterion, items in rule-file order; RuleSetError when the set has no 受診勧奨判定値."""
    grouped: dict[tuple[str, str], list[Threshold]] = {}
    for t in rules.thresholds:
        kind = t.id.split(".", 1)[0]
        if kind in KINDS:
            grouped.setdefault((kind, t.item), []).append(t)
    result: dict[str, dict[str, Criterion]] = {kind: {} for kind in KINDS}
    problems = []
    for (kind, item), thresholds in grouped.items():
        sexes = sorted(t.sex or 0 for t in thresholds)
        if sexes not in ([0], [1, 2]):
            problems.append(f"{kind}.{item}: 男女共通の1件か、男性・女性の2件で指定してください。")
        result[kind][item] = Criterion(kind, item, tuple(thresholds))
    if not result["referral"]:
        problems.append(f"ルールセット {rules.id} には受診勧奨判定値 (referral.*) がありません。")
    if problems:
        raise RuleSetError("\n".join(problems))
    return result


def item_order(found: Mapping[str, Mapping[str, Criterion]]) -> list[str]:
    """Every item of the rule set once, in rule-file order (the order of 理由 and of the item tuples)."""
    return list(dict.fromkeys(item for kind in KINDS for item in found[kind]))


def referral(checkups: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """The 受診勧奨 judgement of every checkup row (index aligned).

    Columns: `guidance_<item>` (保健指導判定値以上) and `referral_<item>` (受診勧奨判定値以上) as
    nullable booleans (NA = not measured, or sex unknown where the cut-off depends on it);
    `referral_items` (labels at or past 受診勧奨判定値 or ①), `urgent_items` (labels at ①),
    `guidance_items`, `referral_count`, `tier` (①すぐに受診 / ②受診勧奨 / NA) and
    `referral_missing` (labels not measured; 性別 when an unknown sex left an item undecided).
    """
    found = criteria(rules)
    items = item_order(found)
    values = {item: measures.measured(checkups, item) for item in items}
    sex = measures.numbers(checkups, "sex")
    size = len(checkups)
    never = np.full(size, NO, dtype=np.int8)
    states = {
        kind: {item: c.test(values[item], sex) for item, c in found[kind].items()} for kind in KINDS
    }
    urgent = {item: states["urgent"].get(item, never) == YES for item in items}
    exceeded = {item: (states["referral"].get(item, never) == YES) | urgent[item] for item in items}
    guidance = {item: states["guidance"].get(item, never) == YES for item in items}

    labels = [CHECKUPS.field(item).label for item in items]
    referral_bits = measures.flag_bits(exceeded, items)
    urgent_bits = measures.flag_bits(urgent, items)
    count = np.zeros(size, dtype=np.int8)
    for flags in exceeded.values():
        count += flags
    tier = np.where(urgent_bits != 0, URGENT, np.where(referral_bits != 0, RECOMMENDED, -1))

    columns: dict[str, object] = {}
    for kind in ("guidance", "referral"):
        for item, criterion in found[kind].items():
            columns[criterion.column] = to_boolean(states[kind][item])
    columns |= {
        "referral_items": measures.label_tuples(referral_bits, labels),
        "urgent_items": measures.label_tuples(urgent_bits, labels),
        "guidance_items": measures.label_tuples(measures.flag_bits(guidance, items), labels),
        "referral_count": count,
        "tier": pd.Categorical.from_codes(tier, categories=TIERS),
        "referral_missing": measures.label_tuples(_missing_bits(values, states, items), [SEX_LABEL, *labels]),
    }
    return pd.DataFrame(columns, index=checkups.index)


def _missing_bits(
    values: Mapping[str, np.ndarray], states: Mapping[str, Mapping[str, np.ndarray]], items: list[str]
) -> np.ndarray:
    """Bit 0 = 性別 (a measured item left undecided by it), bit i+1 = item i unmeasured with no partner value."""
    size = len(next(iter(values.values())))
    bits = np.zeros(size, dtype=np.int32)
    for i, item in enumerate(items):
        absent = np.isnan(values[item])
        partner = ALTERNATIVES.get(item)
        if partner in values:
            absent &= np.isnan(values[partner])
        bits |= absent.astype(np.int32) << (i + 1)
        for kind in KINDS:
            state = states[kind].get(item)
            if state is not None:
                bits |= ((state == UNKNOWN) & ~np.isnan(values[item])).astype(np.int32)
    return bits
