"""受診勧奨 program: cut-offs at their boundaries, the visit window day by day, per-領域 visits, ranking."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.programs import Program, ProgramInputs
from dhdesk.core.programs.common import ADDRESS_WARNING
from dhdesk.core.programs.jushin import extract
from dhdesk.core.synthetic import generate_union
from program_rows import history, members, person, program_inputs
from typed_rows import checkups

FY = 2024
PARAMS = Program("jushin", "受診勧奨", extract).resolve()


def run(exams: list[dict], claim_rows: list[dict] | None = None, as_of: date = date(2025, 3, 31), **params):
    ids = sorted({e["member_id"] for e in exams})
    return extract(program_inputs(members(ids), checkups(*exams), claim_rows, as_of), FY, PARAMS | params)


def test_referral_cut_off_just_below_at_and_above():
    result = run([person("a", sbp=139.0), person("b", sbp=140.0), person("c", sbp=160.0)])
    targets = result.targets.set_index("member_id")
    assert list(targets.index) == ["c", "b"]  # ① first
    assert targets.loc["b", "tier"] == "②受診勧奨" and targets.loc["c", "tier"] == "①すぐに受診"
    assert targets.loc["b", "values"]["items"] == [
        {"label": "収縮期血圧", "value": 140.0, "unit": "mmHg", "criterion": "140mmHg以上", "tier": "②受診勧奨"}]
    assert targets.loc["c", "values"]["items"][0]["criterion"] == "160mmHg以上"
    assert targets.loc["b", "reason"] == "収縮期血圧 140mmHg（140mmHg以上）・受診なし"
    assert result.eligible == 3 and result.steps == (("受診勧奨判定値以上の項目あり", 2),)
    assert list(result.targets["rank"]) == [1, 2]


@pytest.mark.parametrize(("month", "visited"), [("202405", False), ("202406", True), ("202409", True),
                                                ("202410", False)])
def test_visit_window_runs_from_the_exam_month_to_three_months_later(month, visited):
    result = run([person("a", sbp=150.0)], [{"member_id": "a", "month": month, "icd10": "I10"}])
    assert len(result.excluded) == int(visited) and len(result.targets) == int(not visited)
    if visited:
        reason = result.excluded["exclusion_reason"].iloc[0]
        assert reason == f"健診後に受診あり（血圧: {month[:4]}-{month[4:]} 中央内科）"


def test_a_related_drug_or_suspected_diagnosis_counts_as_a_visit_unrelated_ones_do_not():
    result = run([person("drug", sbp=150.0), person("suspected", sbp=150.0), person("other", sbp=150.0)],
                 [{"member_id": "drug", "month": "202407", "yj": "2149040F1018"},
                  {"member_id": "suspected", "month": "202407", "icd10": "I10", "suspected": 1},
                  {"member_id": "other", "month": "202407", "icd10": "J20"}])
    assert set(result.excluded["member_id"]) == {"drug", "suspected"}
    assert list(result.targets["member_id"]) == ["other"]


def test_a_visit_for_one_domain_leaves_the_other_items_on_the_letter():
    result = run([person("a", sbp=150.0, hba1c=7.0)], [{"member_id": "a", "month": "202406", "icd10": "I10"}])
    target = result.targets.iloc[0]
    assert [i["label"] for i in target["values"]["items"]] == ["HbA1c"]
    assert target["tier"] == "①すぐに受診" and target["reason"] == "HbA1c 7.0%（6.5%以上）・受診なし"
    assert any(line.startswith("血圧: 2024-06 中央内科で関連する") for line in target["explanation"])


def test_ranking_puts_urgent_first_then_more_items():
    result = run([person("one", sbp=150.0), person("three", sbp=150.0, ldl=150.0, ast=60.0),
                  person("urgent", hba1c=6.5)])
    assert list(result.targets["member_id"]) == ["urgent", "three", "one"]
    assert result.targets.set_index("member_id").loc["three", "reason"].endswith("ほか2項目・受診なし")


@pytest.mark.parametrize(("as_of", "open_"), [(date(2024, 9, 29), True), (date(2024, 9, 30), False),
                                              (date(2024, 10, 1), False)])
def test_window_still_open_urgent_is_notified_with_a_warning_recommended_waits(as_of, open_):
    result = run([person("urgent", sbp=170.0), person("later", sbp=145.0)], as_of=as_of)
    targets = result.targets.set_index("member_id")
    if not open_:
        assert set(targets.index) == {"urgent", "later"} and targets.loc["later", "reason"].endswith("受診なし")
        return
    assert list(targets.index) == ["urgent"]
    assert targets.loc["urgent", "warnings"][0].startswith("受診確認期間中（2024-09-30まで）")
    excluded = result.excluded.set_index("member_id")
    assert excluded.loc["later", "exclusion_reason"].startswith("受診確認期間中（2024-09-30まで）")


def test_urgent_can_wait_too_when_the_office_says_so():
    result = run([person("urgent", sbp=170.0)], as_of=date(2024, 7, 1), notify_urgent_in_window=False)
    assert result.targets.empty and len(result.excluded) == 1


def test_window_months_is_read_from_params():
    claim = [{"member_id": "a", "month": "202408", "icd10": "I10"}]
    assert len(run([person("a", sbp=150.0)], claim, window_months=1).targets) == 1
    assert len(run([person("a", sbp=150.0)], claim, window_months=2).targets) == 0


def test_only_the_last_checkup_of_the_year_counts():
    result = run([person("a", sbp=150.0, exam_date="2024-05-01"), person("a", sbp=120.0, exam_date="2024-11-01"),
                  person("b", sbp=150.0, exam_date="2024-03-31")])
    assert result.targets.empty and result.eligible == 1


def test_missing_address_is_a_warning():
    exams = checkups(person("a", sbp=150.0))
    result = extract(program_inputs(members(["a"], address1=[None]), exams), FY, PARAMS)
    assert result.targets["warnings"].iloc[0] == (ADDRESS_WARNING,)
    assert "受診の確認" in result.targets["explanation"].iloc[0][1]


def test_plausible_on_the_demo_union():
    union = generate_union(3000, seed=5)
    keys = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    master = union.drug_master.assign(version_date=pd.Timestamp("2024-04-01"))
    inputs = ProgramInputs(union.members, union.checkups, union.receipts, union.diagnoses.merge(keys, on="receipt_id"),
                           union.drug_lines.merge(keys, on="receipt_id"), master, history(), date(2025, 6, 30))
    result = extract(inputs, FY, PARAMS)
    exceeded = result.steps[0][1]
    assert 0.15 * result.eligible < exceeded < 0.6 * result.eligible
    assert len(result.targets) + len(result.excluded) == exceeded and len(result.excluded) > 0
    assert result.targets["member_id"].is_unique and (result.targets["tier"] == "①すぐに受診").sum() > 0
    assert all(v["items"] for v in result.targets["values"])
    json.dumps([*result.targets["values"], *result.excluded["values"]])  # the store keeps them as JSON
