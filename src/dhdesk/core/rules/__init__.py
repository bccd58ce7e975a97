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

__all__ = [
    "Comparison",
    "Confidence",
    "Difference",
    "RuleSet",
    "RuleSetError",
    "Source",
    "Threshold",
    "load_ruleset",
]
