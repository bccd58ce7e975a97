"""The full judgement of checkup rows: 階層化 + メタボ判定 + 理由, and its table in the clerk's words."""

from __future__ import annotations

import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.rules.clinic_comparison import clinic_differences
from dhdesk.core.rules.explain import reasons
from dhdesk.core.rules.metabo import metabo
from dhdesk.core.rules.referral import referral
from dhdesk.core.rules.referral_explain import referral_reasons
from dhdesk.core.rules.ruleset import RuleSet
from dhdesk.core.rules.stratify import stratify

OUTPUT_LABELS: dict[str, str] = {
    "source_row": "入力行",
    "member_id": CHECKUPS.field("member_id").label,
    "exam_date": CHECKUPS.field("exam_date").label,
    "fy_end_age": "年度末年齢",
    "level": "保健指導レベル",
    "metabo": "メタボ判定",
    "step1": "ステップ1",
    "risk_count": "追加リスク数",
    "reason": "理由",
    "tier": "受診勧奨",
    "referral_reason": "受診勧奨の理由",
    "clinic_difference": "健診機関の判定との違い",
}
"""The columns of the `dhdesk stratify` output, in order: a stable contract (加入者番号 … 理由), then 受診勧奨."""

MEMBER_TABLE_LABELS: dict[str, str] = {
    "member_id": "加入者番号",
    "name": "氏名",
    "relation_label": "本人家族",
    "fy_end_age": "年度末年齢",
    "level": "保健指導レベル",
    "metabo": "メタボ判定",
    "reason": "理由",
    "tier": "受診勧奨",
    "referral_reason": "受診勧奨の理由",
    "clinic_difference": "健診機関の判定との違い",
}
"""The columns of a workspace 年度's per-member result (screen table and CSV export)."""


def judge(checkups: pd.DataFrame, fiscal_year: int, rules: RuleSet, referral_rules: RuleSet) -> pd.DataFrame:
    """Every checkup row judged, index aligned: the `stratify`, `metabo` and `referral` columns,
    `reason` (理由 of 階層化・メタボ), `referral_reason` (受診勧奨判定値 exceeded, with values) and
    `clinic_difference` (where the clinic's own 保健指導レベル / メタボ判定 differ from ours)."""
    strat = stratify(checkups, fiscal_year, rules)
    metabolic = metabo(checkups, rules)
    flags = referral(checkups, referral_rules)
    judged = pd.concat([strat, metabolic, flags], axis=1)
    judged["reason"] = reasons(checkups, strat, metabolic, rules)
    judged["referral_reason"] = referral_reasons(checkups, flags, referral_rules)
    judged["clinic_difference"] = clinic_differences(checkups, judged)
    return judged


def output_table(checkups: pd.DataFrame, judged: pd.DataFrame) -> pd.DataFrame:
    """One row per checkup row with Japanese headers (OUTPUT_LABELS), as written by `dhdesk stratify`."""
    columns = {}
    for name in OUTPUT_LABELS:
        if name in judged.columns:
            columns[name] = judged[name]
        elif name in checkups.columns:
            columns[name] = checkups[name]
    table = pd.DataFrame(columns, index=checkups.index)
    if "exam_date" in table.columns:
        table["exam_date"] = table["exam_date"].dt.strftime("%Y-%m-%d")
    return table.rename(columns=OUTPUT_LABELS)
