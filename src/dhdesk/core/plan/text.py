"""What the clerk writes in the plan (計画の文章): narrative, 健康課題 and KPI targets, stored per 年度.

Stored as one JSON value per 年度 (`plan.<fy>` in the workspace settings); a 年度 with none starts from
the latest earlier one, and a workspace with none from the drafts in resources/plan/narrative.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dhdesk.core.plan import plan_resource


@dataclass(frozen=True)
class NarrativeItem:
    """One editable passage: its key, the section it belongs to, its heading and the draft."""

    key: str
    section: int
    heading: str
    draft: str


def narrative_items() -> tuple[NarrativeItem, ...]:
    """Every editable passage, in print order, with its draft text (placeholders not yet filled)."""
    return tuple(NarrativeItem(i["key"], int(i["section"]), i["heading"], i["text"].strip())
                 for i in plan_resource("narrative")["item"])


@dataclass(frozen=True)
class PlanText:
    """The clerk's part of a 年度's plan. Missing narrative keys print the draft; `issues` empty means
    the data-derived suggestions are printed as the 健康課題; `targets` maps an indicator key to
    {年度: value}."""

    narrative: dict[str, str] = field(default_factory=dict)
    issues: tuple[str, ...] = ()
    targets: dict[str, dict[int, float]] = field(default_factory=dict)

    def to_setting(self) -> dict[str, Any]:
        """The JSON value kept in the workspace (年度 keys as strings: JSON has no integer keys)."""
        return {
            "narrative": dict(self.narrative),
            "issues": list(self.issues),
            "targets": {key: {str(year): value for year, value in years.items()}
                        for key, years in self.targets.items()},
        }

    @classmethod
    def from_setting(cls, value: dict[str, Any] | None) -> PlanText:
        if not value:
            return cls()
        return cls(
            narrative={str(k): str(v) for k, v in value.get("narrative", {}).items()},
            issues=tuple(str(i) for i in value.get("issues", [])),
            targets={str(key): {int(year): float(v) for year, v in years.items() if v is not None}
                     for key, years in value.get("targets", {}).items()},
        )

    def passage(self, item: NarrativeItem, **fill: str) -> str:
        """The clerk's text for `item`, else its draft with the union's name etc. filled in."""
        written = self.narrative.get(item.key, "").strip()
        return written if written else item.draft.format(**fill)
