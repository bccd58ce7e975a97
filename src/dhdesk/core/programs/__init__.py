"""保健事業の対象者抽出 (programs): who gets which notice, why, and who was left out and why.

A program is a plain function `extract(inputs, fiscal_year, params) -> Candidates` registered with its
definition (id, title, parameters read from `resources/rules/programs/<id>.toml`). It finds the members
who meet the program's criteria, ranks them and explains each one; the common exclusions (資格喪失,
通知不要, 死亡, 通知済み) and the clerk's own exclusions are applied afterwards by
`dhdesk.core.programs.exclusions`, so every program gets them the same way and the funnel is complete.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from dhdesk.core.rules import RuleSet

CANDIDATE_COLUMNS: dict[str, str] = {
    "member_id": "加入者番号",
    "tier": "区分",
    "rank": "優先順位",
    "reason": "抽出理由",
    "explanation": "説明",
    "values": "通知内容",
    "warnings": "注意",
}
"""Columns of `Candidates.targets`, with their review-table headers.

- `member_id` string; `tier` string (e.g. 「①すぐに受診」, 「積極的支援」, 「A」); `rank` Int64, smaller first
  (the list and the letters follow it; ties keep member order).
- `reason` string: one line for the review table (e.g. 「収縮期血圧 168 mmHg（≥160）ほか2項目・受診なし」).
- `explanation` object: tuple[str, ...], the answer to "why am I here?": every value with its unit, the
  cut-off with 以上/未満, the rule and its source, the claims window looked at.
- `values` object: dict[str, Any] of what the letter prints (shapes in LETTER_VALUES), JSON-serialisable
  (str, int, float, bool, None, list, dict; dates as "YYYY-MM-DD").
- `warnings` object: tuple[str, ...] for the clerk (e.g. 「服薬中の可能性: 降圧薬のレセプトあり（2025-06）」).
"""

LETTER_VALUES: dict[str, str] = {
    "hokenshido": "level (積極的支援/動機付け支援), exam_date, voucher_number (set at approval), "
                  "risks: list[{label, value, unit, criterion}]",
    "jushin": "exam_date, items: list[{label, value, unit, criterion, tier}] (every exceeded 受診勧奨判定値), "
              "window_months",
    "chudan": "conditions: list[str] (糖尿病…), last_visit_month (YYYY-MM), last_facility, months_since",
    "jinsho": "group (A–E), action (受診勧奨/保健指導), stage (腎症病期 or ''), exam_date, "
              "items: list[{label, value, unit, criterion}]",
    "mijushin": "pattern (e.g. 「3年連続未受診」), years: list[{fiscal_year, attended}]",
    "generic": "month (YYYY-MM), share (自己負担割合 0.3…), drugs: list[{brand_name, brand_price, quantity, unit, "
               "generic_name, generic_price, brand_cost, generic_cost, difference}] (円/月, 自己負担後), "
               "total_difference, comparison_rule",
    "tazai": "month (YYYY-MM), drugs: list[{name, days, facility}], drug_count",
}
"""What each program puts in `values` for its letter (core/letters reads exactly these keys)."""


@dataclass(frozen=True)
class ProgramInputs:
    """What a program reads, as typed frames (dhdesk.core.fields), plus the send history.

    - `members`: every 資格期間 row (history included).
    - `checkups`: the 年度 run and the `Program.checkup_years - 1` before it, with `fiscal_year`.
    - `receipts` / `diagnoses` / `drug_lines`: the claims months the program needs, every detail row
      carrying `member_id`, `service_month` (yyyymm) and `claim_type` like the analyses' frames.
    - `drug_masters`: every loaded master version, DRUG_MASTER layout plus `version_date`; a claim month
      uses the latest version dated on or before the month's first day (`master_for_month`).
    - `history`: notices already sent (member_id, program, sent_date, batch_status 'issued'/'cancelled').
    - `as_of`: the day the list is made (資格 and look-back windows are counted from it).
    """

    members: pd.DataFrame
    checkups: pd.DataFrame
    receipts: pd.DataFrame
    diagnoses: pd.DataFrame
    drug_lines: pd.DataFrame
    drug_masters: pd.DataFrame
    history: pd.DataFrame
    as_of: date
    insured_label: str = "組合員"
    stratification_rules: RuleSet | None = None
    """The 階層化 rule set in force for the 年度 with the office's overrides; None = the official one."""
    referral_rules: RuleSet | None = None
    """The 受診勧奨判定値 in force with the office's overrides; None = the official ones."""


@dataclass(frozen=True)
class Parameter:
    """One clerk-adjustable setting of a program, with the official or customary default and its source."""

    name: str
    label: str
    default: Any
    unit: str = ""
    choices: tuple[str, ...] = ()
    source: str = ""
    confidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class Candidates:
    """The result of a program's extraction, before the common exclusions.

    `eligible` is the population the program looked at (e.g. 40–74歳で健診を受けた加入者) and its count
    starts the funnel; `targets` has CANDIDATE_COLUMNS, one row per member who meets the criteria;
    `excluded` has the same columns plus `exclusion_reason` for members the program itself set aside
    (e.g. 受診あり within the window, 服薬中) so nothing disappears silently; `steps` are the program's own
    funnel steps after `eligible` as (label, count). `detail_lines` is an optional per-line table for
    the review and the xlsx (the 差額通知 per-drug sheet), with Japanese headers.
    """

    eligible_label: str
    eligible: int
    targets: pd.DataFrame
    excluded: pd.DataFrame
    steps: tuple[tuple[str, int], ...] = ()
    detail_lines: pd.DataFrame | None = None


Extract = Callable[[ProgramInputs, int, Mapping[str, Any]], Candidates]


@dataclass(frozen=True)
class Program:
    """A registered program: its id (CLI name), title, rule file and extraction function."""

    id: str
    title: str
    extract: Extract
    monthly: bool = False
    """True when a run covers one claim month (差額通知, 多剤) rather than a whole 年度."""
    claims_months: int = 12
    """How many months of claims before `as_of` (or the chosen month) the program reads."""
    checkup_years: int = 1
    """How many 年度 of checkups the program reads, ending with the 年度 run (3 for 3-year patterns)."""
    claims_from_fiscal_year_start: bool = False
    """Read claims from April of the 年度 to the 基準日 instead (受診勧奨: every visit after any exam of the year)."""
    months_parameter: str = ""
    """A parameter that can widen the claims window (治療中断の遡及期間): the longer of the two is read."""
    reads: Mapping[str, tuple[str, ...] | None] = field(
        default_factory=lambda: {"receipts": None, "diagnoses": None, "drug_lines": None})
    """The claims tables the program looks at, each with the columns it uses (None = all); other tables are
    not read at all. At 300k members reading claims is most of a run."""

    @property
    def rules(self) -> dict[str, Any]:
        return program_rules(self.id)

    @property
    def rule_version(self) -> str:
        return str(self.rules["version"])

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return parameters(self.id)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The parameters in force: defaults, then the office's or the run's overrides (unknown names refused)."""
        values = self.defaults()
        for name, value in (overrides or {}).items():
            if name not in values:
                raise KeyError(f"{self.title}に「{name}」という設定はありません。")
            values[name] = value
        return values


def empty_candidates_frame(*, excluded: bool = False) -> pd.DataFrame:
    """An empty frame with CANDIDATE_COLUMNS (and `exclusion_reason` for the excluded frame), typed."""
    frame = pd.DataFrame({
        "member_id": pd.Series(dtype="string"),
        "tier": pd.Series(dtype="string"),
        "rank": pd.Series(dtype="Int64"),
        "reason": pd.Series(dtype="string"),
        "explanation": pd.Series(dtype=object),
        "values": pd.Series(dtype=object),
        "warnings": pd.Series(dtype=object),
    })
    if excluded:
        frame["exclusion_reason"] = pd.Series(dtype="string")
    return frame


@cache
def program_rules(program_id: str) -> dict[str, Any]:
    """The parsed rule file `resources/rules/programs/<id>.toml` (version, sources, parameters, code lists)."""
    path = resources.files("dhdesk") / "resources" / "rules" / "programs" / f"{program_id}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def parameters(program_id: str) -> tuple[Parameter, ...]:
    """The `[parameters.<name>]` tables of a program's rule file, in file order."""
    table = program_rules(program_id).get("parameters", {})
    return tuple(
        Parameter(name=name, label=spec["label"], default=spec["default"], unit=spec.get("unit", ""),
                  choices=tuple(spec.get("choices", ())), source=spec.get("source", ""),
                  confidence=spec.get("confidence", ""), note=spec.get("note", ""))
        for name, spec in table.items()
    )


def master_for_month(drug_masters: pd.DataFrame, month: str) -> pd.DataFrame:
    """The drug master in force in claim month `month` (yyyymm): the latest version dated on or before
    its first day, else the oldest loaded version (a claim older than every master still gets prices)."""
    if drug_masters.empty:
        return drug_masters
    first_day = pd.Timestamp(int(month[:4]), int(month[4:6]), 1)
    versions = drug_masters["version_date"]
    in_force = versions[versions <= first_day]
    chosen = in_force.max() if len(in_force) else versions.min()
    return drug_masters[versions == chosen].reset_index(drop=True)


@dataclass(frozen=True)
class TargetList:
    """A finished run: the candidates after every exclusion, the funnel, and what it was run with.

    `targets` has CANDIDATE_COLUMNS plus `excluded` (bool), `exclusion_reason` (string), `excluded_by`
    ('rule' / 'clerk' / NA) and `voucher_number` (string, 特定保健指導 only); excluded members stay in
    it. `funnel` is (label, count) from the eligible population to the final list.
    """

    program: str
    fiscal_year: int
    month: str | None
    rule_version: str
    params: dict[str, Any]
    targets: pd.DataFrame
    funnel: tuple[tuple[str, int], ...]
    detail_lines: pd.DataFrame | None = None
    as_of: date = field(default_factory=date.today)

    @property
    def final(self) -> pd.DataFrame:
        """The members who will get a letter, in list order."""
        return self.targets[~self.targets["excluded"]]
