"""Summaries (集計表): finished content — sections of captioned tables and notes — that renderers print as-is.

Every cell is already a string here, formatted the way it is printed, so a PDF, an xlsx export
and the GUI show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

NOT_APPLICABLE = "—"


@dataclass(frozen=True)
class SummaryTable:
    """A captioned table; the first `label_columns` columns are text, the others numbers.

    `header_groups` is an optional row above `header` of (label, column span) pairs, e.g.
    (("", 1), ("組合員", 2), …): an empty label leaves the columns below it one tall header cell.
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    label_columns: int = 1
    header_groups: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class SummarySection:
    """A headed section: lead paragraphs, then tables."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[SummaryTable, ...] = ()


def count_text(count: int) -> str:
    """A head count as printed: 「1,234」."""
    return f"{count:,}"


def percent_text(part: int, whole: int) -> str:
    """`part / whole` in percent, one decimal rounded half-up (「12.5」); 「—」 when `whole` is 0."""
    if whole == 0:
        return NOT_APPLICABLE
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}"
