"""糖尿病性腎症 重症化予防 (jinsho): the program's groups A–E with their action (受診勧奨 / 保健指導).

Who is diabetic, the 腎症病期 a checkup shows and the group are decided by `core/analyses/kidney.py`
(the same definitions as the published 腎症 tables), judged on the list's day: claims up to `as_of`,
治療中断 = no diabetes claim in the last `interruption_months`. Members on dialysis (第5期) are set
aside with that reason; diabetics in no group are counted in the funnel only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.claims_base import month_numbers
from dhdesk.core.analyses.kidney import GROUPS, STAGE_UNKNOWN, kidney_status, load_rules
from dhdesk.core.programs import Candidates, ProgramInputs, master_for_month, program_rules
from dhdesk.core.programs.common import address_warnings, candidate_frame, month_number, roster

PROGRAM_ID = "jinsho"
URINE_TEXT = {1: "(−)", 2: "(±)", 3: "(+)", 4: "(++)", 5: "(+++)"}


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """腎症 candidates of `fiscal_year`; `params` = interruption_months, lookback_months."""
    groups = program_rules(PROGRAM_ID)["groups"]
    status = kidney_status(_analysis_inputs(inputs, int(params["lookback_months"])), fiscal_year,
                           as_of=inputs.as_of, interruption_months=int(params["interruption_months"]))
    grouped = status[status["group"] != ""]
    order = pd.DataFrame({"group": [groups["order"].index(g) for g in grouped["group"]],
                          "egfr": grouped["egfr"].to_numpy()})
    order = order.sort_values(["group", "egfr"], na_position="last", kind="stable").index.to_numpy()
    grouped = grouped.iloc[order].reset_index(drop=True)
    dialysis = status[status["diabetes"] & status["dialysis"]].reset_index(drop=True)

    describe = _Describer(groups["actions"])
    warnings = address_warnings(roster(inputs.members), grouped["member_id"].astype(str).tolist())
    targets = [describe.member(row, rank, warning)
               for rank, (row, warning) in enumerate(zip(grouped.itertuples(index=False), warnings, strict=True), 1)]
    excluded = [describe.member(row, None, ()) | {"exclusion_reason": "透析中（腎症第5期）のため重症化予防の対象外"}
                for row in dialysis.itertuples(index=False)]
    return Candidates(
        eligible_label=f"{fiscal_year}年度の健診または糖尿病のレセプトがある在籍者",
        eligible=len(status),
        targets=candidate_frame(targets),
        excluded=candidate_frame(excluded, excluded=True),
        steps=(("糖尿病に該当", int(status["diabetes"].sum())),),
    )


def _analysis_inputs(inputs: ProgramInputs, lookback_months: int) -> AnalysisInputs:
    """The frames kidney_status reads: claims of the look-back window, the drug master in force at `as_of`."""
    last = month_number(pd.Timestamp(inputs.as_of))

    def window(frame: pd.DataFrame) -> pd.DataFrame:
        months = month_numbers(frame["service_month"])
        return frame[(months > last - lookback_months) & (months <= last)]

    month = f"{inputs.as_of.year:04d}{inputs.as_of.month:02d}"
    return AnalysisInputs(inputs.members, inputs.checkups, window(inputs.receipts), window(inputs.diagnoses),
                          window(inputs.drug_lines), master_for_month(inputs.drug_masters, month),
                          inputs.insured_label)


class _Describer:
    """Builds one member's values, reason and explanation from a kidney_status row."""

    def __init__(self, actions: Mapping[str, str]) -> None:
        self.actions = actions
        rules = load_rules()
        self.rules = rules
        self.criteria = {
            "egfr": (f"{rules['stage.stage4_egfr_lt']}mL/min/1.73m2未満で第4期", rules.cite("stage.stage4_egfr_lt")),
            "urine_protein": (f"{URINE_TEXT[rules['stage.stage3_urine_protein_ge']]}以上で第3期",
                              rules.cite("stage.stage3_urine_protein_ge")),
            "hba1c": (f"{rules['diabetes.hba1c_ge']}%以上で糖尿病型", rules.cite("diabetes.hba1c_ge")),
            "fbg": (f"{rules['diabetes.fbg_ge']}mg/dL以上で糖尿病型", rules.cite("diabetes.fbg_ge")),
        }

    def items(self, row: Any) -> list[dict[str, Any]]:
        """eGFR, 尿蛋白, HbA1c, 空腹時血糖 as measured (unmeasured ones left out)."""
        out = []
        for name, label, unit in (("egfr", "eGFR", "mL/min/1.73m2"), ("urine_protein", "尿蛋白", ""),
                                  ("hba1c", "HbA1c", "%"), ("fbg", "空腹時血糖", "mg/dL")):
            value = getattr(row, name)
            if value != value:
                continue
            shown: Any = URINE_TEXT.get(int(value), str(int(value))) if name == "urine_protein" else float(value)
            out.append({"label": label, "value": shown, "unit": unit, "criterion": self.criteria[name][0]})
        return out

    def member(self, row: Any, rank: int | None, warnings: tuple[str, ...]) -> dict[str, Any]:
        group = row.group or ""
        action = self.actions.get(group, "")
        stage = row.kidney_stage if isinstance(row.kidney_stage, str) and row.kidney_stage != STAGE_UNKNOWN else ""
        exam = "" if pd.isna(row.exam_date) else f"{row.exam_date:%Y-%m-%d}"
        definition = f"区分{group}: {GROUPS[group][0]} → {action}（{self.cite_groups()}）" if group else ""
        sources = "; ".join(dict.fromkeys(source for _, source in self.criteria.values()))
        explanation = tuple(part for part in (
            *(sentence for sentence in str(row.reason).split("。") if sentence and not sentence.startswith("区分")),
            definition,
            f"判定基準: 糖尿病・腎症病期 {sources}; 治療中断 {self.rules.cite('treatment.interruption_months')}",
        ) if part)
        egfr = "" if row.egfr != row.egfr else f"・eGFR {row.egfr:.1f}"
        return {
            "member_id": str(row.member_id),
            "tier": group,
            "rank": rank,
            "reason": f"区分{group} {action}: {stage or '病期不明'}・{row.treatment}{egfr}" if group
            else f"{stage}・{row.treatment}",
            "explanation": explanation,
            "values": {"group": group, "action": action, "stage": stage, "exam_date": exam, "items": self.items(row)},
            "warnings": warnings,
        }

    @staticmethod
    def cite_groups() -> str:
        source = program_rules(PROGRAM_ID)["sources"]["program_p55"]
        return f"{source['short']} [OK]"
