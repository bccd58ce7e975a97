"""The rule sets in force for a 年度, with the office overrides (事務所設定) kept in the workspace.

Overrides are stored per rule set under `rules.overrides.<rule_id>` as
{threshold_id: {"value", "reason", "changed_at"}}. Every service that judges checkups takes its rules
from `rule_sets(workspace, fiscal_year)`, so an override applies everywhere at once and is always
shown beside the official value. A run keeps `RulesInForce.record()`; `RulesInForce.from_record`
(through `rule_set_for`) rebuilds exactly those rules later, even after the shipped file or the
office values have changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from dhdesk.core.rules import RuleSet, RuleSetError, load_ruleset
from dhdesk.core.rules.versions import (
    REFERRAL_RULE_IDS,
    STRATIFICATION_RULE_IDS,
    in_force,
    load_version,
    referral_rules,
    stratification_rules,
)
from dhdesk.store.workspace import Workspace

OVERRIDE_KEY = "rules.overrides."
"""Settings key prefix; the rule id follows (`rules.overrides.tokutei_4ki`)."""

SHIPPED_RULE_IDS = (*STRATIFICATION_RULE_IDS, *REFERRAL_RULE_IDS)
_SEX = {1: "男性", 2: "女性"}


@dataclass(frozen=True)
class Override:
    """An office value for one threshold, with why and when it was set."""

    threshold_id: str
    value: float | int
    reason: str
    changed_at: str


@dataclass(frozen=True)
class OverrideDifference:
    """One office value beside the official one, with the official source and the office's reason."""

    rule_id: str
    rule_title: str
    version: str
    threshold_id: str
    label: str
    official: float | int
    value: float | int
    source: str
    reason: str
    changed_at: str
    text: str


@dataclass(frozen=True)
class RulesInForce:
    """The rule sets a 年度 is judged with: 階層化・メタボ判定 and 受診勧奨判定値."""

    fiscal_year: int
    stratification: RuleSet
    referral: RuleSet

    @property
    def all(self) -> tuple[RuleSet, ...]:
        return (self.stratification, self.referral)

    @property
    def override_count(self) -> int:
        return sum(len(rules.diff()) for rules in self.all)

    @property
    def label(self) -> str:
        """「第3期 … （tokutei_3ki 版 2018.1）・事務所設定あり（1件）」: printed on every result."""
        text = rule_label(self.stratification)
        if not self.referral.covers(self.fiscal_year):
            text += f"。受診勧奨判定値は{self.referral.short_title}の値（{self.fiscal_year}年度の値は未収録）"
        if self.override_count:
            text += f"・事務所設定あり（{self.override_count}件）"
        return text

    def differences(self) -> list[str]:
        """Each office value as 「収縮期血圧 [id]: 公式 130mmHg以上 → 事務所設定 135mmHg以上」."""
        return [d.describe() for rules in self.all for d in rules.diff()]

    def record(self) -> dict[str, Any]:
        """What a run keeps (JSON) to be repeated: each rule set's id, version and office values."""
        return {
            "fiscal_year": self.fiscal_year,
            "stratification": _record(self.stratification),
            "referral": _record(self.referral),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RulesInForce:
        """The rules of a past run, rebuilt from `record()` (RuleSetError when a version is not kept)."""
        strat, referral = (rule_set_for(r["id"], r["version"], r["overrides"])
                           for r in (record["stratification"], record["referral"]))
        return cls(int(record["fiscal_year"]), strat, referral)


def rule_label(rules: RuleSet) -> str:
    return f"{rules.title}（{rules.id} 版 {rules.version}）"


def rule_set_for(rule_id: str, version: str, overrides: Mapping[str, float | int]) -> RuleSet:
    """The rule set `rule_id` at `version` with `overrides` (threshold id → value) applied."""
    return load_version(rule_id, version).with_overrides(overrides)


def official_rule_sets(fiscal_year: int) -> RulesInForce:
    """The shipped rule sets for `fiscal_year`, without office values (file mode, comparisons)."""
    return RulesInForce(fiscal_year, stratification_rules(fiscal_year), referral_rules(fiscal_year))


def rule_sets(workspace: Workspace, fiscal_year: int) -> RulesInForce:
    """The rule sets in force for `fiscal_year` with this workspace's office values applied."""
    official = official_rule_sets(fiscal_year)
    strat, referral = (_with_office_values(workspace, rules) for rules in official.all)
    return RulesInForce(fiscal_year, strat, referral)


def overrides(workspace: Workspace, rule_id: str) -> dict[str, Override]:
    """The office values stored for `rule_id`, by threshold id."""
    stored = workspace.get_setting(OVERRIDE_KEY + rule_id, {})
    return {
        threshold_id: Override(threshold_id, entry["value"], entry.get("reason", ""), entry.get("changed_at", ""))
        for threshold_id, entry in stored.items()
    }


def set_override(
    workspace: Workspace,
    rule_id: str,
    threshold_id: str,
    value: float | int,
    reason: str,
    *,
    now: datetime | None = None,
) -> Override | None:
    """Store an office value for one threshold; the official value itself removes the override.

    Refused (RuleSetError, in Japanese) without a reason, for an unknown id or a value of the wrong kind.
    """
    rules = load_ruleset(rule_id)
    checked = rules.with_overrides({threshold_id: value}).threshold(threshold_id)
    if not checked.overridden:
        reset_override(workspace, rule_id, threshold_id)
        return None
    if not reason.strip():
        raise RuleSetError("事務所設定には理由を入力してください（結果の説明に公式の値と並べて表示します）。")
    changed_at = (now or datetime.now()).isoformat(timespec="seconds")
    override = Override(threshold_id, checked.value, reason.strip(), changed_at)
    stored = workspace.get_setting(OVERRIDE_KEY + rule_id, {})
    stored[threshold_id] = {"value": override.value, "reason": override.reason, "changed_at": changed_at}
    workspace.set_setting(OVERRIDE_KEY + rule_id, stored)
    return override


def reset_override(workspace: Workspace, rule_id: str, threshold_id: str) -> None:
    """既定に戻す: the official value applies again to this threshold."""
    stored = workspace.get_setting(OVERRIDE_KEY + rule_id, {})
    if threshold_id in stored:
        del stored[threshold_id]
        workspace.set_setting(OVERRIDE_KEY + rule_id, stored)


def reset_overrides(workspace: Workspace, rule_id: str) -> None:
    """すべて既定に戻す for one rule set."""
    if workspace.get_setting(OVERRIDE_KEY + rule_id, {}):
        workspace.set_setting(OVERRIDE_KEY + rule_id, {})


def override_differences(workspace: Workspace) -> list[OverrideDifference]:
    """Every office value of every shipped rule set, official value, source and reason beside it."""
    out = []
    for rule_id in SHIPPED_RULE_IDS:
        stored = overrides(workspace, rule_id)
        if not stored:
            continue
        rules = _with_office_values(workspace, load_ruleset(rule_id))
        for difference in rules.diff():
            threshold, override = rules.threshold(difference.id), stored[difference.id]
            source = rules.source(threshold.source)
            out.append(OverrideDifference(
                rule_id, rules.title, rules.version, difference.id, difference.label, difference.official,
                difference.value, f"{source.short}: {source.document}", override.reason, override.changed_at,
                difference.describe(),
            ))
    return out


def editable_rule_sets(fiscal_year: int | None = None) -> list[RuleSet]:
    """Every shipped rule set, those in force for `fiscal_year` (default: this 年度) first."""
    if fiscal_year is None:
        today = date.today()
        fiscal_year = today.year if today.month >= 4 else today.year - 1
    stratification = in_force(STRATIFICATION_RULE_IDS, fiscal_year)
    used = {referral_rules(fiscal_year).id, *([stratification.id] if stratification else [])}
    newest_first = [*reversed(STRATIFICATION_RULE_IDS), *REFERRAL_RULE_IDS]
    ordered = sorted(newest_first, key=lambda rule_id: rule_id not in used)
    return [load_ruleset(rule_id) for rule_id in ordered]


def thresholds_table(workspace: Workspace | None, rule_id: str) -> pd.DataFrame:
    """Every threshold of `rule_id`: official value, office value, reason, source; one row each.

    `value_number` is the office value as the clerk types it (no unit); without a workspace every
    value is the official one.
    """
    official = load_ruleset(rule_id)
    rules = _with_office_values(workspace, official) if workspace is not None else official
    stored = overrides(workspace, rule_id) if workspace is not None else {}
    rows = []
    for t in rules.thresholds:
        override = stored.get(t.id) if t.overridden else None
        rows.append({
            "threshold_id": t.id,
            "label": t.label + (f"({_SEX[t.sex]})" if t.sex else ""),
            "comparison": t.comparison.label,
            "official": t.number(t.official) + t.unit,
            "value": t.number(t.value) + t.unit,
            "value_number": t.number(t.value),
            "overridden": t.overridden,
            "reason": override.reason if override else "",
            "changed_at": override.changed_at if override else "",
            "confidence": t.confidence.value,
            "source": rules.source(t.source).short,
            "note": t.note,
        })
    frame = pd.DataFrame(rows, columns=[
        "threshold_id", "label", "comparison", "official", "value", "value_number", "overridden", "reason",
        "changed_at", "confidence", "source", "note",
    ])
    for name in frame.columns:
        if name != "overridden":
            frame[name] = frame[name].astype("string")
    return frame


def _with_office_values(workspace: Workspace, rules: RuleSet) -> RuleSet:
    stored = overrides(workspace, rules.id)
    if not stored:
        return rules
    try:
        return rules.with_overrides({threshold_id: o.value for threshold_id, o in stored.items()})
    except RuleSetError as exc:
        raise RuleSetError(
            f"{rules.title}（版 {rules.version}）の事務所設定が使えません。設定画面の「判定基準」で確認してください。\n{exc}"
        ) from exc


def _record(rules: RuleSet) -> dict[str, Any]:
    return {"id": rules.id, "version": rules.version, "overrides": rules.overrides}


__all__ = [
    "OVERRIDE_KEY",
    "Override",
    "OverrideDifference",
    "RulesInForce",
    "editable_rule_sets",
    "official_rule_sets",
    "override_differences",
    "overrides",
    "reset_override",
    "reset_overrides",
    "rule_label",
    "rule_set_for",
    "rule_sets",
    "set_override",
    "thresholds_table",
]
