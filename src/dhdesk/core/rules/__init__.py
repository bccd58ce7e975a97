"""Rule sets and the judgements built on them: 階層化, メタボ判定 and their explanations (理由)."""

from __future__ import annotations

from dhdesk.core.rules.ruleset import (
    Comparison,
    Confidence,
    Difference,
    RuleSet,
    RuleSetError,
    Source,
    Threshold,
    load_ruleset,
)
from dhdesk.core.rules.versions import load_version, referral_rules, stratification_rules

__all__ = [
    "Comparison",
    "Confidence",
    "Difference",
    "RuleSet",
    "RuleSetError",
    "Source",
    "Threshold",
    "load_ruleset",
    "load_version",
    "referral_rules",
    "stratification_rules",
]
