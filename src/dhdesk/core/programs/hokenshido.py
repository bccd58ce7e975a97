"""特定保健指導 利用案内 (hokenshido): 積極的支援・動機付け支援 of the 年度, from the 階層化 of each member's last checkup.

Members invited after this checkup already (an issued 特定保健指導 notice dated on or after the exam) are
「利用券発行済み」 and set aside. A 質問票 that says 服薬なし while a 降圧薬/糖尿病薬/脂質異常症薬 claim exists
in the look-back window does not drop the member: the law excludes those taking the drugs, but the
office must re-check first (保険者再確認), so the member stays with a warning and `medication_recheck`.
The 利用券番号 is not set here: the store assigns it when the list is approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.programs import Candidates, ProgramInputs, program_rules
from dhdesk.core.programs.common import (
    ClaimCodes,
    address_warnings,
    candidate_frame,
    latest_checkups,
    month_number,
    month_text,
    roster,
    value_text,
)
from dhdesk.core.rules import RuleSet, Threshold, measures
from dhdesk.core.rules.explain import reasons
from dhdesk.core.rules.stratify import ACTIVE, LEVELS, MOTIVATIONAL, stratify
from dhdesk.core.rules.versions import stratification_rules

PROGRAM_ID = "hokenshido"
LEVEL_ORDER = (LEVELS[ACTIVE], LEVELS[MOTIVATIONAL])
"""The target levels in rank order: 積極的支援 before 動機付け支援."""


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """特定保健指導 candidates of `fiscal_year`; `params` = medication_months."""
    rules = inputs.stratification_rules or stratification_rules(fiscal_year)
    checkups = latest_checkups(inputs.checkups, fiscal_year)
    strat = stratify(checkups, fiscal_year, rules)
    eligible = strat["eligible"].fillna(False).to_numpy(dtype=bool)
    level = strat["level"].astype(object).to_numpy()
    chosen = eligible & np.isin(level, LEVEL_ORDER)
    order = pd.DataFrame({"level": [LEVEL_ORDER.index(x) for x in level[chosen]],
                          "risks": _confirmed_risks(strat[chosen]).to_numpy()})
    order = order.sort_values(["level", "risks"], ascending=[True, False], kind="stable").index  # ties: member order
    rows = checkups[chosen].reset_index(drop=True).iloc[order].reset_index(drop=True)
    judged = strat[chosen].reset_index(drop=True).iloc[order].reset_index(drop=True)
    texts = reasons(rows, judged, None, rules)
    notified = _notified(inputs.history, rows)
    medication = _medication_claims(inputs, rows, int(params["medication_months"]))
    describe = _Describer(rules)
    people = roster(inputs.members)
    warnings = address_warnings(people, rows["member_id"].astype(str).tolist())
    targets, excluded = [], []
    facts = _facts(rows, judged)
    for row in range(len(rows)):
        outcome = describe.member(facts, row, texts.iloc[row], medication[row], warnings[row])
        if notified[row] is not None:
            outcome["exclusion_reason"] = f"利用券発行済み（{notified[row]:%Y-%m-%d} 送付）"
            excluded.append(outcome)
        else:
            targets.append(outcome)
    for position, target in enumerate(targets, start=1):
        target["rank"] = position
    return Candidates(
        eligible_label=f"{fiscal_year}年度に健診を受けた40〜74歳の加入者（年度末年齢）",
        eligible=int(eligible.sum()),
        targets=candidate_frame(targets),
        excluded=candidate_frame(excluded, excluded=True),
        steps=(("積極的支援・動機付け支援に該当", int(chosen.sum())),),
    )


def _confirmed_risks(judged: pd.DataFrame) -> pd.Series:
    """Risks ①–④ known to be present (the count may be higher when an item was not measured)."""
    risks = judged[["risk_bp", "risk_lipid", "risk_glucose", "risk_smoking"]]
    return risks.fillna(False).astype(bool).sum(axis=1)


def _notified(history: pd.DataFrame, rows: pd.DataFrame) -> list[pd.Timestamp | None]:
    """Per row, the last issued 特定保健指導 notice dated on or after this checkup (None when there is none)."""
    sent = history[(history["program"] == PROGRAM_ID) & (history["batch_status"] == "issued")]
    last = pd.to_datetime(sent["sent_date"]).groupby(sent["member_id"].astype(str).to_numpy()).max()
    dates = pd.Series(last.reindex(rows["member_id"].astype(str)).to_numpy(dtype="datetime64[ns]"), index=rows.index)
    hit = (dates >= rows["exam_date"]).fillna(False).to_numpy(dtype=bool)
    return [pd.Timestamp(d) if h else None for d, h in zip(dates, hit, strict=True)]


def _medication_claims(inputs: ProgramInputs, rows: pd.DataFrame, months: int) -> list[tuple[str, ...]]:
    """Per row, 「降圧薬のレセプトあり（2025-06 ○○薬局）」 for each drug class claimed in the window
    while the 質問票 does not say 服薬あり for it."""
    last = month_number(pd.Timestamp(inputs.as_of))
    found: list[list[str]] = [[] for _ in range(len(rows))]
    codes = ClaimCodes(inputs, rows["member_id"].astype(str).tolist())
    for item, spec in program_rules(PROGRAM_ID)["medication"].items():
        claims = codes.matching((), spec["drug_yj"], include_suspected=False)
        claims = claims[claims["month"].between(last - months + 1, last)]
        latest = claims.sort_values("month", kind="stable").drop_duplicates("row", keep="last")
        answered_yes = measures.numbers(rows, item) == 1
        for row, month, facility in zip(latest["row"], latest["month"], latest["facility"], strict=True):
            if not answered_yes[row]:
                found[row].append(f"{spec['label']}のレセプトあり（{month_text(int(month))} {facility}）")
    return [tuple(items) for items in found]


def _facts(rows: pd.DataFrame, judged: pd.DataFrame) -> dict[str, list[Any]]:
    """The values the judgement used, as plain lists for the per-member loop."""
    facts = {name: measures.measured(rows, name).tolist()
             for name in ("waist", "sbp", "dbp", "tg_fasting", "tg_random", "hdl", "fbg", "hba1c", "rbg")}
    facts["bmi"] = measures.bmi(rows)[0].tolist()
    facts["sex"] = measures.numbers(rows, "sex").tolist()
    facts["member_id"] = rows["member_id"].astype(str).tolist()
    facts["exam_date"] = rows["exam_date"].tolist()
    for name in ("level", "step1", "risk_bp", "risk_lipid", "risk_glucose", "risk_smoking"):
        facts[name] = judged[name].astype(object).tolist()
    confirmed = _confirmed_risks(judged).tolist()
    certain = judged["risk_count"].notna().tolist()
    facts["risk_count"] = [f"{n}" if sure else f"{n}以上" for n, sure in zip(confirmed, certain, strict=True)]
    return facts


class _Describer:
    """Builds one member's values, reason and explanation from the judged facts."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.t = {t.id: t for t in rules.thresholds}

    def risk(self, label: str, value: Any, rule_id: str) -> dict[str, Any]:
        t: Threshold = self.t[f"hokenshido.{rule_id}"]
        return {"label": label, "value": value, "unit": t.unit, "criterion": f"{t.cutoff()}{t.comparison.label}"}

    def risks(self, f: Mapping[str, list[Any]], row: int) -> list[dict[str, Any]]:
        """腹囲 or BMI (step 1), then every value that made a counted risk, then 喫煙."""

        def met(name: str, rule_id: str) -> bool:
            value = f[name][row]
            return value == value and bool(self.t[f"hokenshido.{rule_id}"].holds(value))

        out = []
        if f["step1"][row] == "腹囲":
            sex = "male" if f["sex"][row] == 1 else "female"
            out.append(self.risk("腹囲", f["waist"][row], f"step1.waist.{sex}"))
        else:
            out.append(self.risk("BMI", f["bmi"][row], "step1.bmi"))
        candidates = []
        if f["risk_bp"][row] is True:
            candidates += [("収縮期血圧", "sbp", "risk.bp.sbp"), ("拡張期血圧", "dbp", "risk.bp.dbp")]
        if f["risk_lipid"][row] is True:
            tg = ("空腹時中性脂肪", "tg_fasting", "risk.lipid.tg_fasting") if f["tg_fasting"][row] == f["tg_fasting"][row] \
                else ("随時中性脂肪", "tg_random", "risk.lipid.tg_random")
            candidates += [tg, ("HDLコレステロール", "hdl", "risk.lipid.hdl")]
        if f["risk_glucose"][row] is True:
            for label, name, rule_id in (("空腹時血糖", "fbg", "risk.glucose.fbg"), ("HbA1c", "hba1c", "risk.glucose.hba1c"),
                                         ("随時血糖", "rbg", "risk.glucose.rbg")):
                if f[name][row] == f[name][row]:  # the first measured one is the one the judgement used
                    candidates.append((label, name, rule_id))
                    break
        out += [self.risk(label, f[name][row], rule_id) for label, name, rule_id in candidates if met(name, rule_id)]
        if f["risk_smoking"][row] is True:
            out.append({"label": "喫煙", "value": "はい", "unit": "",
                        "criterion": "喫煙あり（血圧・脂質・血糖のリスクが1つ以上のとき数える）"})
        return out

    def member(self, f: Mapping[str, list[Any]], row: int, reason_text: str, medication: tuple[str, ...],
               address: tuple[str, ...]) -> dict[str, Any]:
        level, exam = f["level"][row], f["exam_date"][row]
        risks = self.risks(f, row)
        count = f["risk_count"][row]
        step1 = risks[0]
        shown = f"{step1['label']} {value_text('waist', step1['value'])}{step1['unit']}"  # 腹囲 and BMI: 0.1
        recheck = tuple(f"服薬中の可能性（再確認）: {text}。質問票は服薬ありではありません" for text in medication)
        explanation = (
            f"{exam:%Y-%m-%d}の健診: {reason_text}",
            f"判定基準: {self.rules.title}（{self.rules.id} 版 {self.rules.version}）",
            *recheck,
        )
        return {
            "member_id": f["member_id"][row],
            "tier": level,
            "reason": f"{level}: {shown}・追加リスク{count}" + ("・服薬要確認" if medication else ""),
            "explanation": explanation,
            "values": {"level": level, "exam_date": f"{exam:%Y-%m-%d}", "voucher_number": None, "risks": risks,
                       "medication_recheck": bool(medication)},
            "warnings": recheck + address,
        }
