"""The summary plan (データヘルス計画): its content model, decided here and only printed by reports.

A `PlanDocument` is a list of numbered sections, each a list of blocks — headings, paragraphs, tables
with finished cell text, figures (a chart kind and the table it draws) — so the PDF, the xlsx and the
GUI preview show the same words and figures. Sections follow seed 004 and the 第3期 手引き (RULES §8.1).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from dhdesk.core.analyses import AnalysisTable


@cache
def plan_resource(name: str) -> dict[str, Any]:
    """A parsed `resources/plan/<name>.toml` (drafts, indicators, suggestion thresholds)."""
    path = resources.files("dhdesk") / "resources" / "plan" / f"{name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Heading:
    """A numbered sub-heading inside a section (「2.1 加入者構成」)."""

    text: str


@dataclass(frozen=True)
class Text:
    """Paragraphs of prose; `bullets` prints each line as a list item."""

    text: str
    bullets: bool = False


@dataclass(frozen=True)
class TableBlock:
    """A table ready to print: caption (「表2-1 …」), header, rows of cell text, notes.

    A table with no header counted nobody: its first note says so and nothing else is printed."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    label_columns: int = 1
    notes: tuple[str, ...] = ()
    key: str = ""


@dataclass(frozen=True)
class FigureBlock:
    """A chart: `chart` names the drawing (reports.figures), `table` holds the figures it draws."""

    caption: str
    chart: str
    table: AnalysisTable
    options: dict[str, Any] = field(default_factory=dict)


Block = Heading | Text | TableBlock | FigureBlock


@dataclass(frozen=True)
class PlanSection:
    number: int
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class PlanDocument:
    """The whole plan of one 年度: cover lines, sections, and the published tables (for the xlsx)."""

    title: str
    union_name: str
    fiscal_year: int
    subtitle: str
    dateline: str
    internal: bool
    sections: tuple[PlanSection, ...]
    tables: tuple[AnalysisTable, ...]
