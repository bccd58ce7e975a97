"""The data-health analyses (データヘルス分析): tables a union publishes, built from its own data.

Every analysis is a plain function `(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]`,
so the CLI (`dhdesk analyze` → xlsx), the GUI (tables with charts) and the summary plan print the
same figures. Wording, row order and notes are decided here; writers and screens only show them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")


@cache
def definitions(name: str) -> dict[str, Any]:
    """A parsed definitions file `resources/rules/analyses/<name>.toml` (cut-offs, code lists, sources)."""
    path = resources.files("dhdesk") / "resources" / "rules" / "analyses" / f"{name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class AnalysisInputs:
    """What the analyses read, as typed frames (dhdesk.core.fields), for the years they need.

    `members` holds every 資格期間 row (history included); `checkups` every 年度 loaded; claims frames
    carry the store's `fiscal_year`, `service_month` (yyyymm), `member_id` and `claim_type` on every
    detail row. Receipts and their lines are linked by `receipt_id`, or, as a workspace hands them out, by
    the store's integer `claim_id` instead (claims_base.receipt_key); `drug_master` is the master in force
    for the year (DRUG_MASTER layout).
    """

    members: pd.DataFrame
    checkups: pd.DataFrame
    receipts: pd.DataFrame
    diagnoses: pd.DataFrame
    drug_lines: pd.DataFrame
    drug_master: pd.DataFrame
    insured_label: str = "組合員"
    derived: dict[tuple[object, ...], Any] = field(default_factory=dict, init=False, compare=False, repr=False)
    """What several analyses derive alike from these frames (a year's 加入者, its receipts), kept by `shared`;
    never passed in, so that `dataclasses.replace` with other frames starts afresh."""

    def shared(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """`compute()` once per key for these inputs: a run of every analysis reads the same year of
        millions of claims rows many times over. Callers treat the result as read-only."""
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]


@dataclass(frozen=True)
class AnalysisTable:
    """One published table: a stable key (sheet name), a Japanese title, the table with Japanese
    headers (first columns are labels, the rest figures), and notes citing definitions and sources."""

    key: str
    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    seed_section: str = ""
    member_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Drill-down: for a cell label (e.g. 「未受診・有所見3以上」) the members counted in it."""
