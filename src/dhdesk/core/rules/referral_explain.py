"""Per-person explanations (理由) of 受診勧奨判定: each item past its cut-off with value, cut-off and source.

The conclusions (which items, which tier) are read from the `referral` rows, so the text can never
disagree with the judgement; this module adds the rounded values and the cut-offs behind them.
A cut-off changed by the office is shown with its official value so no override goes unnoticed.
Texts are built a column at a time (item by item, never row by row), so 300k rows stay fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.core.rules import measures
from dhdesk.core.rules.referral import RECOMMENDED, SEX_LABEL, TIERS, URGENT, Criterion, criteria, item_order
from dhdesk.core.rules.ruleset import RuleSet, Threshold

CODE_TEXT = {"urine_protein": {1: "(−)", 2: "(±)", 3: "(+)", 4: "(++)", 5: "(+++)"}}
"""How a coded result is printed (尿蛋白 code 3 = (+)), for values and cut-offs alike."""

NONE_TEXT = "受診勧奨判定値以上の項目なし"


def referral_reason(checkup: Mapping[str, Any], flags: Mapping[str, Any], rules: RuleSet) -> str:
    """The 理由 of one person from a checkup row and its `referral` row."""
    return referral_reasons(pd.DataFrame([dict(checkup)]), pd.DataFrame([dict(flags)]), rules).iloc[0]


def referral_reasons(
    checkups: pd.DataFrame, flags: pd.DataFrame, rules: RuleSet, progress: ProgressFn = no_progress
) -> pd.Series:
    """The 理由 of every row (index aligned), e.g.

    「収縮期血圧 168 ≥ 160mmHg → ①すぐに受診 [R6プログラム p.164]; 保健指導判定値以上: …; 未測定: …」.
    ① items read from `urgent_items`, ② and 保健指導判定値 from the `referral_*`/`guidance_*` columns.
    """
    found = criteria(rules)
    items = item_order(found)
    short = {s.key: s.short for s in rules.sources}
    sex = measures.numbers(checkups, "sex")
    size = len(checkups)
    urgent_codes, urgent_sets = pd.factorize(flags["urgent_items"])
    texts = {part: _Texts(size) for part in ("referral", "guidance", "undecided")}
    for step, item in enumerate(items):
        progress(step / len(items), "受診勧奨の理由を作成しています")
        value = measures.measured(checkups, item)
        head = _heads(item, value)
        urgent = found["urgent"].get(item)
        done = np.zeros(size, dtype=bool)
        if urgent is not None:
            done = np.array([urgent.label in labels for labels in urgent_sets], dtype=bool)[urgent_codes]
            texts["referral"].add(done, head, _endings(urgent, sex, TIERS[URGENT], short), "; ")
        for kind, tier in (("referral", TIERS[RECOMMENDED]), ("guidance", None)):
            criterion = found[kind].get(item)
            if criterion is None:
                continue
            states = pd.array(flags[criterion.column], dtype="boolean")
            met = states.to_numpy(dtype=bool, na_value=False) & ~done
            unknown = states.isna() & ~np.isnan(value) & ~done
            texts["undecided"].add(unknown, head, "", ", ")
            texts["referral" if tier else "guidance"].add(met, head, _endings(criterion, sex, tier, short),
                                                          "; " if tier else ", ")
            done |= met | unknown
    progress(1.0, "受診勧奨の理由を作成しました")

    text = texts["referral"].text
    text[~texts["referral"].filled] = NONE_TEXT
    for part, lead in (("guidance", "保健指導判定値以上: "), ("undecided", f"{SEX_LABEL}なしのため判定不能: ")):
        rows = np.flatnonzero(texts[part].filled)
        text[rows] = text[rows] + f"; {lead}" + texts[part].text[rows]
    missing_codes, missing_sets = pd.factorize(flags["referral_missing"])
    notes = [", ".join(label for label in labels if label != SEX_LABEL) for labels in missing_sets]
    missing = np.array(["; 未測定: " + note if note else "" for note in notes], dtype=object)
    # object dtype: converting 300k long Japanese texts to the arrow string dtype costs seconds
    return pd.Series(text + missing[missing_codes], index=checkups.index, dtype=object)


def _heads(item: str, value: np.ndarray) -> np.ndarray:
    """「収縮期血圧 168」 per row ("" where unmeasured), formatting each distinct value once."""
    heads = np.full(len(value), "", dtype=object)
    measured = ~np.isnan(value)
    distinct, inverse = np.unique(value[measured], return_inverse=True)
    label = CHECKUPS.field(item).label
    shown = np.array([f"{label} {_shown(item, v)}" for v in distinct], dtype=object)
    heads[measured] = shown[inverse.reshape(-1)]
    return heads


def _endings(criterion: Criterion, sex: np.ndarray, tier: str | None, short: Mapping[str, str]) -> np.ndarray | str:
    """「 ≥ 160mmHg → ①すぐに受診 [R6プログラム p.164]」: one text, or per row for a sex-specific item.

    With sex unknown a sex-specific item is met only when both cut-offs agree, so both are shown.
    """

    def ending(used: tuple[Threshold, ...]) -> str:
        tests = ", ".join(f"{t.comparison.symbol} {_cutoff(t)}" for t in used)
        sources = "; ".join(dict.fromkeys(short[t.source] for t in used))
        return f" {tests}" + (f" → {tier}" if tier else "") + f" [{sources}]"

    if len(criterion.thresholds) == 1:
        return ending(criterion.thresholds)
    male, female = (ending((t,)) for t in criterion.male_female)
    return np.where(sex == 1, male, np.where(sex == 2, female, ending(criterion.thresholds))).astype(object)


class _Texts:
    """One part of every row's 理由, grown item by item: the text so far and whether it has any."""

    def __init__(self, size: int) -> None:
        self.text = np.full(size, "", dtype=object)
        self.filled = np.zeros(size, dtype=bool)

    def add(self, rows: np.ndarray, head: np.ndarray, ending: np.ndarray | str, sep: str) -> None:
        """Append 「head + ending」 on `rows`, after `sep` where the row already has text."""
        where = np.flatnonzero(rows)
        piece = head[where] + (ending if isinstance(ending, str) else ending[where])
        follow = self.filled[where]
        self.text[where[follow]] = self.text[where[follow]] + sep + piece[follow]
        self.text[where[~follow]] = piece[~follow]
        self.filled[where] = True


def _shown(item: str, value: float | int) -> str:
    """A value as printed: coded results by their symbol, numbers at the field's precision."""
    if item in CODE_TEXT:
        return CODE_TEXT[item].get(int(value), f"コード{int(value)}")
    return f"{value:.{CHECKUPS.field(item).decimals or 0}f}"


def _cutoff(t: Threshold) -> str:
    """「160mmHg」, 「12.0g/dL(男性)」, 「(+)」, with the official value when the office changed it."""
    if t.item in CODE_TEXT:
        text, official = _shown(t.item, t.value), _shown(t.item, t.official)
    else:
        text, official = t.cutoff(), t.number(t.official)
    return f"{text}(事務所設定; 公式 {official})" if t.overridden else text
