"""糖尿病性腎症 重症化予防: groups A–E with their action, 治療中断 at its month boundary, ranking, 透析."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.programs import Program, ProgramInputs
from dhdesk.core.programs.jinsho import extract
from dhdesk.core.synthetic import generate_union
from program_rows import history, members, program_inputs
from program_rows import person as checkup_person
from typed_rows import checkups

FY = 2024
AS_OF = date(2025, 3, 31)
PARAMS = Program("jinsho", "腎症", extract).resolve()


def person(member_id: str, **values) -> dict:
    return checkup_person(member_id, **{"egfr": None, "urine_protein": None} | values)


def run(ids: list[str], exams: list[dict], claim_rows: list[dict] | None = None, **params):
    exams = [*exams, person("not-in-roster")]  # the checkup frame keeps its columns when nobody else has one
    return extract(program_inputs(members(ids), checkups(*exams), claim_rows, AS_OF), FY, PARAMS | params)


def test_groups_actions_and_rank_order():
    exams = [person("a", hba1c=7.0, egfr=25.0), person("b", hba1c=7.0, urine_protein="3", egfr=70.0),
             person("c2", hba1c=6.5, egfr=55.0), person("c1", hba1c=6.8, egfr=40.0), person("no", hba1c=6.4)]
    claims = [{"member_id": "b", "month": "202502", "icd10": "E11.9"},
              {"member_id": "d", "month": "202502", "icd10": "E11.2"},
              {"member_id": "e", "month": "202409", "icd10": "E11.9"}]
    result = run(["a", "b", "c1", "c2", "d", "e", "no"], exams, claims)
    targets = result.targets.set_index("member_id")
    assert list(result.targets["member_id"]) == ["a", "c1", "c2", "e", "b", "d"]  # A, C (eGFR asc), E, B, D
    assert list(result.targets["rank"]) == [1, 2, 3, 4, 5, 6]
    assert dict(targets["tier"]) == {"a": "A", "c1": "C", "c2": "C", "e": "E", "b": "B", "d": "D"}
    assert {m: targets.loc[m, "values"]["action"] for m in targets.index} == {
        "a": "受診勧奨", "c1": "受診勧奨", "c2": "受診勧奨", "e": "受診勧奨", "b": "保健指導", "d": "保健指導"}
    a = targets.loc["a", "values"]
    assert a["group"] == "A" and a["stage"] == "第4期" and a["exam_date"] == "2024-06-01"
    assert a["items"][0] == {"label": "eGFR", "value": 25.0, "unit": "mL/min/1.73m2",
                             "criterion": "30mL/min/1.73m2未満で第4期"}
    assert targets.loc["b", "values"]["stage"] == "第3期" and targets.loc["d", "values"]["exam_date"] == ""
    assert targets.loc["a", "reason"] == "区分A 受診勧奨: 第4期・未治療・eGFR 25.0"
    assert any("腎症プログラムR6 p.55" in line for line in targets.loc["a", "explanation"])
    assert result.steps == (("糖尿病に該当", 6),)


@pytest.mark.parametrize(("month", "group"), [("202409", "E"), ("202410", None)])
def test_interruption_is_six_months_without_a_diabetes_claim(month, group):
    result = run(["e"], [], [{"member_id": "e", "month": month, "icd10": "E11.9"}])
    assert list(result.targets["tier"]) == ([group] if group else [])


def test_interruption_months_and_lookback_are_read_from_params():
    claim = [{"member_id": "e", "month": "202410", "icd10": "E11.9"}]
    assert list(run(["e"], [], claim, interruption_months=5).targets["tier"]) == ["E"]
    assert run(["e"], [], claim, lookback_months=5).targets.empty  # 2024-10 lies before the 5 months


def test_dialysis_is_set_aside_with_the_reason():
    result = run(["x"], [person("x", hba1c=7.0, egfr=10.0)], [{"member_id": "x", "month": "202502", "icd10": "Z49"},
                                                             {"member_id": "x", "month": "202502", "icd10": "E11.2"}])
    assert result.targets.empty
    assert result.excluded["exclusion_reason"].iloc[0] == "透析中（腎症第5期）のため重症化予防の対象外"


def test_plausible_on_the_demo_union():
    union = generate_union(3000, seed=5)
    keys = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    inputs = ProgramInputs(union.members, union.checkups, union.receipts, union.diagnoses.merge(keys, on="receipt_id"),
                           union.drug_lines.merge(keys, on="receipt_id"),
                           union.drug_master.assign(version_date=pd.Timestamp("2024-04-01")), history(), AS_OF)
    result = extract(inputs, FY, PARAMS)
    diabetic = result.steps[0][1]
    assert 0.02 * result.eligible < diabetic < 0.2 * result.eligible
    assert 0 < len(result.targets) <= diabetic and result.targets["member_id"].is_unique
    assert set(result.targets["tier"]) <= set("ABCDE") and "C" in set(result.targets["tier"])
    json.dumps([*result.targets["values"], *result.excluded["values"]])  # the store keeps them as JSON
