"""特定保健指導 利用案内: levels and ranking, 利用券発行済み, the claims re-check of 服薬 at its window edges."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.programs import Program, ProgramInputs
from dhdesk.core.programs.hokenshido import extract
from dhdesk.core.rules import load_ruleset
from dhdesk.core.synthetic import generate_union
from program_rows import history, members, person, program_inputs
from typed_rows import checkups

FY = 2024
PARAMS = Program("hokenshido", "特定保健指導", extract).resolve()
ACTIVE = {"waist": 90.0, "sbp": 135.0, "hdl": 39.0}  # 腹囲 + 2 risks → 積極的支援


def run(exams: list[dict], claim_rows: list[dict] | None = None, sent: list[dict] | None = None,
        as_of: date = date(2025, 3, 31), **params):
    ids = sorted({e["member_id"] for e in exams})
    inputs = program_inputs(members(ids), checkups(*exams), claim_rows, as_of, sent)
    return extract(inputs, FY, PARAMS | params)


@pytest.mark.parametrize(("waist", "level"), [(84.9, None), (85.0, "動機付け支援"), (85.1, "動機付け支援")])
def test_waist_cut_off_with_one_risk(waist, level):
    result = run([person("a", waist=waist, sbp=130.0)])
    assert list(result.targets["tier"]) == ([level] if level else [])


def test_levels_rank_active_first_then_more_risks_and_values_name_each_risk():
    result = run([person("m1", waist=90.0, sbp=130.0), person("m2", **ACTIVE),
                  person("m3", **ACTIVE, fbg=100.0), person("none")])
    assert list(result.targets["member_id"]) == ["m3", "m2", "m1"]
    assert list(result.targets["tier"]) == ["積極的支援", "積極的支援", "動機付け支援"]
    values = result.targets.set_index("member_id").loc["m2", "values"]
    assert values["level"] == "積極的支援" and values["exam_date"] == "2024-06-01" and values["voucher_number"] is None
    assert values["risks"] == [
        {"label": "腹囲", "value": 90.0, "unit": "cm", "criterion": "85cm(男性)以上"},
        {"label": "収縮期血圧", "value": 135.0, "unit": "mmHg", "criterion": "130mmHg以上"},
        {"label": "HDLコレステロール", "value": 39.0, "unit": "mg/dL", "criterion": "40mg/dL未満"},
    ]
    assert result.targets["reason"].iloc[1] == "積極的支援: 腹囲 90.0cm・追加リスク2"
    assert result.eligible == 4 and result.steps == (("積極的支援・動機付け支援に該当", 3),)


def test_bmi_route_and_smoking_are_listed():
    result = run([person("a", waist=80.0, bmi=25.0, sbp=130.0, smoking=1)])
    risks = result.targets["values"].iloc[0]["risks"]
    assert [r["label"] for r in risks] == ["BMI", "収縮期血圧", "喫煙"]
    assert risks[0]["criterion"] == "25kg/m2以上"


def test_questionnaire_medication_is_not_a_target_and_senior_is_motivational():
    result = run([person("med", **ACTIVE, med_bp=1), person("senior", **ACTIVE, birth_date="1955-01-01")])
    assert list(result.targets["member_id"]) == ["senior"]
    assert result.targets["tier"].iloc[0] == "動機付け支援"


@pytest.mark.parametrize(("sent_date", "excluded"), [("2024-05-31", False), ("2024-06-01", True), ("2024-12-01", True)])
def test_already_invited_after_this_checkup_is_set_aside(sent_date, excluded):
    result = run([person("a", **ACTIVE)], sent=[{"member_id": "a", "program": "hokenshido", "sent_date": sent_date}])
    assert len(result.excluded) == int(excluded) and len(result.targets) == int(not excluded)
    if excluded:
        assert result.excluded["exclusion_reason"].iloc[0] == f"利用券発行済み（{sent_date} 送付）"


def test_cancelled_or_other_program_notices_do_not_count():
    sent = [{"member_id": "a", "program": "hokenshido", "sent_date": "2024-07-01", "batch_status": "cancelled"},
            {"member_id": "a", "program": "jushin", "sent_date": "2024-07-01"}]
    assert len(run([person("a", **ACTIVE)], sent=sent).targets) == 1


@pytest.mark.parametrize(("month", "flagged"), [("202403", False), ("202404", True), ("202503", True),
                                                ("202504", False)])
def test_drug_claims_in_the_twelve_months_up_to_as_of_raise_a_recheck(month, flagged):
    result = run([person("a", **ACTIVE)], [{"member_id": "a", "month": month, "yj": "2149040F1018",
                                            "facility": "駅前薬局"}])
    target = result.targets.iloc[0]
    assert target["values"]["medication_recheck"] is flagged
    if flagged:
        assert target["warnings"][0] == (f"服薬中の可能性（再確認）: 降圧薬のレセプトあり（{month[:4]}-{month[4:]} "
                                         "駅前薬局）。質問票は服薬ありではありません")
        assert target["reason"].endswith("服薬要確認")
    else:
        assert target["warnings"] == ()


def test_medication_months_is_read_from_params():
    claim = [{"member_id": "a", "month": "202501", "yj": "3962002F1071"}]
    assert run([person("a", **ACTIVE)], claim, medication_months=3).targets["values"].iloc[0]["medication_recheck"]
    assert not run([person("a", **ACTIVE)], claim, medication_months=2).targets["values"].iloc[0]["medication_recheck"]


def test_explanation_cites_the_rule():
    explanation = run([person("a", **ACTIVE)]).targets["explanation"].iloc[0]
    assert explanation[0].startswith("2024-06-01の健診: 保健指導: 腹囲 90.0cm ≥ 85cm(男性)")
    assert "tokutei_4ki" in explanation[1]


def test_plausible_on_the_demo_union():
    union = generate_union(3000, seed=5)
    keys = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    inputs = ProgramInputs(union.members, union.checkups, union.receipts, union.diagnoses.merge(keys, on="receipt_id"),
                           union.drug_lines.merge(keys, on="receipt_id"),
                           union.drug_master.assign(version_date=pd.Timestamp("2024-04-01")), history(),
                           date(2025, 6, 30))
    result = extract(inputs, FY, PARAMS)
    share = len(result.targets) / result.eligible  # seed 004: 特定保健指導対象者率 13.3% (令和4年度)
    assert 0.05 < share < 0.3
    assert set(result.targets["tier"]) == {"積極的支援", "動機付け支援"}
    assert result.targets["rank"].is_monotonic_increasing and result.targets["member_id"].is_unique
    json.dumps([*result.targets["values"], *result.excluded["values"]])  # the store keeps them as JSON


def test_an_unmeasured_item_that_cannot_change_the_level_shows_the_count_as_at_least():
    result = run([person("a", **ACTIVE, fbg=None, hba1c=None)])
    assert result.targets["tier"].iloc[0] == "積極的支援"
    assert result.targets["reason"].iloc[0] == "積極的支援: 腹囲 90.0cm・追加リスク2以上"


def test_the_rule_set_in_force_with_an_office_override_decides():
    official = run([person("a", waist=84.0, sbp=130.0)])
    assert official.targets.empty
    office = load_ruleset("tokutei_4ki").with_overrides({"hokenshido.step1.waist.male": 84.0})
    inputs = program_inputs(members(["a"]), checkups(person("a", waist=84.0, sbp=130.0)))
    result = extract(dataclasses.replace(inputs, stratification_rules=office), FY, PARAMS)
    assert list(result.targets["tier"]) == ["動機付け支援"]
    assert "事務所設定" in " ".join(result.targets["explanation"].iloc[0])
