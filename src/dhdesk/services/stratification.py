"""Use cases of 階層化・メタボ判定: a checkup file on its own (`dhdesk stratify`) or a workspace's 年度."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.issues import Issue, Severity
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.core.rules import RuleSet, RuleSetError, stratification_rules
from dhdesk.core.rules.explain import explain_row
from dhdesk.core.rules.judgement import MEMBER_TABLE_LABELS, judge, output_table
from dhdesk.core.rules.metabo import METABO_LEVELS
from dhdesk.core.rules.stratify import LEVELS
from dhdesk.core.union import DEPENDANT_LABEL, UnionInfo, insured_label
from dhdesk.core.summaries.stratification import StratificationSummary, build_stratification_summary
from dhdesk.io.canonical import read_canonical
from dhdesk.io.exports import write_csv
from dhdesk.reports.stratification_pdf import StratificationSummaryRenderer
from dhdesk.services.rulesets import RulesInForce, official_rule_sets, rule_sets
from dhdesk.store.workspace import Workspace

RULE_LABEL_COLUMN = "判定基準"
"""The CSV column naming the rule set, its version and the office values a result was judged with."""


def rules_for(fiscal_year: int) -> RuleSet:
    """The official rule set covering `fiscal_year` (第3期 FY2018–2023, 第4期 FY2024–2029).

    Raises RuleSetError (a ValueError) naming the years covered for any other year.
    """
    return stratification_rules(fiscal_year)


def rules_for_or_none(fiscal_year: int) -> RuleSet | None:
    """The rule set covering `fiscal_year`, or None for years no shipped rule set covers."""
    try:
        return stratification_rules(fiscal_year)
    except RuleSetError:
        return None


def level_counts(judged: pd.DataFrame) -> dict[str, int]:
    """Rows per 保健指導レベル, every level listed (zeros included)."""
    counts = judged["level"].value_counts()
    return {level: int(counts.get(level, 0)) for level in LEVELS}


@dataclass(frozen=True)
class StratifyFileResult:
    """What `stratify_file` did: written or refused, with every problem found in the input."""

    written: bool
    out_path: Path | None
    rows: int
    counts: dict[str, int]
    issues: list[Issue] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if not self.written:
            return "入力に読めない箇所があるため、結果は書き出していません。"
        parts = "、".join(f"{level} {n:,}" for level, n in self.counts.items() if n)
        return f"{self.rows:,} 行を判定し {self.out_path} に書き出しました（{parts}）。"


def stratify_file(
    path: Path, fiscal_year: int, out_path: Path, *, progress: ProgressFn = no_progress
) -> StratifyFileResult:
    """Judge every row of a canonical checkup file and write one output row per input row.

    Cells that cannot be read are reported and treated as not measured, so every input row still
    gets its row (often 判定不能, with the item named); a file without a required column is refused.
    """
    rules = official_rule_sets(fiscal_year)
    progress(0.0, "健診結果を読み込んでいます")
    checkups, issues = read_canonical(Path(path), CHECKUPS)
    missing_columns = [i for i in issues if i.severity is Severity.ERROR and i.row is None]
    if missing_columns:
        return StratifyFileResult(False, None, 0, {}, issues)
    progress(0.4, "階層化・メタボ判定をしています")
    judged = judge(checkups, fiscal_year, rules.stratification, rules.referral)
    progress(0.8, "結果を書き出しています")
    write_csv(output_table(checkups, judged), Path(out_path))
    progress(1.0, "完了")
    return StratifyFileResult(True, Path(out_path), len(judged), level_counts(judged), issues)


@dataclass(frozen=True)
class StratificationResult:
    """A 年度 of a workspace judged: one row per checkup, counts by 本人/家族, and explanations.

    `rules_in_force` is what the run used, office values included; `rules_in_force.record()` is
    what to keep to repeat the run (`stratify_workspace(..., rules=RulesInForce.from_record(r))`).
    """

    fiscal_year: int
    rules_in_force: RulesInForce
    table: pd.DataFrame
    counts: pd.DataFrame
    checkups: pd.DataFrame
    judged: pd.DataFrame

    @property
    def rules(self) -> RuleSet:
        """The 階層化・メタボ判定 rule set used (office values applied)."""
        return self.rules_in_force.stratification

    @property
    def rule_text(self) -> str:
        """「判定基準: 第4期 …（tokutei_4ki 版 2024.1）・事務所設定あり（1件）」 for the screen."""
        return f"{RULE_LABEL_COLUMN}: {self.rules_in_force.label}"

    def explain(self, member_id: str) -> str:
        """理由 of a member's checkup(s) this 年度, values and cut-offs included."""
        rows = self.checkups.index[self.checkups["member_id"] == member_id]
        if len(rows) == 0:
            return f"加入者番号 {member_id} の {self.fiscal_year}年度の健診結果はありません。"
        texts = []
        for index in rows:
            checkup = self.checkups.loc[index].to_dict()
            judged = self.judged.loc[index].to_dict()
            text = explain_row(checkup, judged, judged, self.rules) + "\n受診勧奨: " + judged["referral_reason"]
            if judged["clinic_difference"]:
                text += "\n健診機関の判定との違い: " + judged["clinic_difference"]
            texts.append(text)
        return "\n\n".join(texts)


def stratify_workspace(
    workspace: Workspace, fiscal_year: int, *, rules: RulesInForce | None = None, progress: ProgressFn = no_progress
) -> StratificationResult:
    """Judge every checkup of `fiscal_year` in the workspace, joined to the roster for 本人/家族 and 氏名.

    `rules` defaults to the rule sets in force with the office values (`rulesets.rule_sets`); pass
    `RulesInForce.from_record(...)` to repeat a past run with the versions and values it recorded.
    """
    rules = rules if rules is not None else rule_sets(workspace, fiscal_year)
    progress(0.0, f"{fiscal_year}年度の健診結果を読み込んでいます")
    checkups = workspace.checkups(fiscal_year).reset_index(drop=True)
    roster = _roster_on(workspace, date(fiscal_year, 4, 1), checkups)
    relation_labels = {1: insured_label(workspace.union_info().union_type), 2: DEPENDANT_LABEL}
    progress(0.3, "階層化・メタボ判定をしています")
    judged = judge(checkups, fiscal_year, rules.stratification, rules.referral)
    progress(0.9, "集計しています")
    table = pd.DataFrame(
        {
            "member_id": checkups["member_id"],
            "name": roster["name"],
            "relation": roster["relation"],
            "relation_label": roster["relation"].map(relation_labels).astype("string"),
            "sex": checkups["sex"],
            "fy_end_age": judged["fy_end_age"],
            "level": judged["level"].astype("string"),
            "metabo": judged["metabo"].astype("string"),
            "reason": judged["reason"],
            "tier": judged["tier"].astype("string"),
            "referral_reason": pd.Series(judged["referral_reason"], dtype="string"),
            "clinic_difference": pd.Series(judged["clinic_difference"], dtype="string"),
        }
    )
    counts = pd.crosstab(
        pd.Categorical(table["level"], categories=LEVELS),
        table["relation_label"].fillna("台帳になし"),
        margins=True,
        margins_name="計",
        dropna=False,
    )
    counts.index.name = "保健指導レベル"
    progress(1.0, "完了")
    return StratificationResult(fiscal_year, rules, table, counts, checkups, judged)


def _roster_on(workspace: Workspace, day: date, checkups: pd.DataFrame) -> pd.DataFrame:
    """Name and 本人/家族 of each checkup's member: the 資格期間 in force on `day`, else the latest one."""
    members = workspace.members()
    members = members.sort_values(["member_id", "acquired_date"])
    in_force = members[(members["acquired_date"] <= pd.Timestamp(day))]
    latest = pd.concat([in_force, members]).drop_duplicates("member_id", keep="last")
    looked_up = checkups[["member_id"]].merge(latest[["member_id", "name", "relation"]], on="member_id", how="left")
    looked_up.index = checkups.index
    return looked_up


def summary_of(result: StratificationResult, union: UnionInfo, *, today: date | None = None) -> StratificationSummary:
    """The printable content of a workspace result (see core.summaries.stratification)."""
    return build_stratification_summary(
        result.table,
        union_name=union.name,
        fiscal_year=result.fiscal_year,
        rule_label="。".join([result.rules_in_force.label, *result.rules_in_force.differences()]),
        generated_on=today or date.today(),
        sources=[f"{s.short}: {s.document}" for s in result.rules.sources],
        insured_label=insured_label(union.union_type),
    )


def write_table_csv(result: StratificationResult, out_path: Path) -> Path:
    """The per-member result of a workspace 年度 as CSV (UTF-8 BOM), Japanese headers.

    The last column names the rule set, version and office values on every row, so a copied
    or filtered extract still says how it was judged.
    """
    table = result.table[list(MEMBER_TABLE_LABELS)].rename(columns=MEMBER_TABLE_LABELS)
    table[RULE_LABEL_COLUMN] = pd.Series(result.rules_in_force.label, index=table.index, dtype="string")
    return write_csv(table, Path(out_path))


def write_summary_pdf(result: StratificationResult, union: UnionInfo, out_path: Path) -> Path:
    """Render the 階層化結果の概要 PDF of a workspace result."""
    pdf = StratificationSummaryRenderer(summary_of(result, union)).render()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(pdf)
    return out_path


__all__ = [
    "METABO_LEVELS",
    "StratificationResult",
    "StratifyFileResult",
    "stratify_file",
    "stratify_workspace",
    "summary_of",
    "write_summary_pdf",
]
