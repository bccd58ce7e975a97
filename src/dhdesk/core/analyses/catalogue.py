"""Every data-health analysis, in the order the plan presents them (seed 004 §2–3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses.claims import cost_by_age_and_type, cost_ranges, icd10_top10
from dhdesk.core.analyses.claims_drugs import generic_share, polypharmacy
from dhdesk.core.analyses.claims_visits import doctor_shopping, frequent_visits
from dhdesk.core.analyses.health import findings_without_treatment, health_scoring, reserve_control, risk_distribution
from dhdesk.core.analyses.kidney import diabetic_nephropathy
from dhdesk.core.analyses.population import membership
from dhdesk.core.analyses.reporting import (
    dependant_attendance_patterns,
    guidance_flow,
    implementation_rates,
    support_fund_check,
)
from dhdesk.core.union import UnionType

Run = Callable[[AnalysisInputs, int, UnionType], list[AnalysisTable]]


@dataclass(frozen=True)
class Analysis:
    """One analysis as the catalogue lists it: what the clerk sees while it runs, and how to run it."""

    title: str
    run: Run


def _for_any_union(analysis: Callable[[AnalysisInputs, int], list[AnalysisTable]]) -> Run:
    return lambda inputs, fiscal_year, union_type: analysis(inputs, fiscal_year)


ANALYSES: tuple[Analysis, ...] = (
    Analysis("加入者構成", _for_any_union(membership)),
    Analysis("医療費レンジ", _for_any_union(cost_ranges)),
    Analysis("年齢階層・レセプト種別の医療費", _for_any_union(cost_by_age_and_type)),
    Analysis("疾病分類別の医療費", _for_any_union(icd10_top10)),
    Analysis("特定健診・特定保健指導の実施率", _for_any_union(implementation_rates)),
    Analysis("後期高齢者支援金の加算の確認", support_fund_check),
    Analysis("被扶養者の3か年の受診状況", _for_any_union(dependant_attendance_patterns)),
    Analysis("特定保健指導対象者の流入・流出", _for_any_union(guidance_flow)),
    Analysis("生活習慣病リスク分布", _for_any_union(risk_distribution)),
    Analysis("有所見者の未受診", _for_any_union(findings_without_treatment)),
    Analysis("予備群のコントロール状況", _for_any_union(reserve_control)),
    Analysis("糖尿病性腎症", _for_any_union(diabetic_nephropathy)),
    Analysis("後発医薬品の使用割合", _for_any_union(generic_share)),
    Analysis("多剤服用", _for_any_union(polypharmacy)),
    Analysis("頻回受診", _for_any_union(frequent_visits)),
    Analysis("重複受診（はしご受診）", _for_any_union(doctor_shopping)),
    Analysis("健康スコアリング", _for_any_union(health_scoring)),
)
