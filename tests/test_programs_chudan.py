"""治療中断者: the gap and look-back windows at their boundaries, conditions one by one, list order and values."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.programs import Program, ProgramInputs
from dhdesk.core.programs import chudan
from dhdesk.core.synthetic import generate_union

PROGRAM = Program("chudan", "治療中断者", chudan.extract)
FY, AS_OF = 2025, date(2025, 10, 15)   # the list month is 2025-10
LATEST = "202509"                      # a claim of another member keeps the loaded data current


def _members(*ids: str, no_address: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "birth_date": pd.to_datetime(["1970-05-05"] * len(ids)),
        "relation": pd.array([1] * len(ids), dtype="Int8"),
        "acquired_date": pd.to_datetime(["2000-04-01"] * len(ids)),
        "lost_date": pd.to_datetime([None] * len(ids)),
        "postal_code": pd.array([None if i in no_address else "460-0001" for i in ids], dtype="string"),
        "address1": pd.array(["愛知県名古屋市中区"] * len(ids), dtype="string"),
    })


def _inputs(members: pd.DataFrame, diagnoses: list[tuple], drugs: list[tuple] = (),
            latest: str = LATEST) -> ProgramInputs:
    """diagnoses: (member_id, yyyymm, icd10[, suspected, facility]); drugs: (member_id, yyyymm, yj_code).

    Each claim is its own receipt (医科入院外 for diagnoses, 調剤 for drugs)."""
    diagnoses = [d + (2, "内科クリニック")[len(d) - 3:] for d in diagnoses]
    claims = ([(f"D{n}", d[0], d[1], 2, d[4]) for n, d in enumerate(diagnoses)]
              + [(f"P{n}", d[0], d[1], 5, "さくら薬局") for n, d in enumerate(drugs)]
              + [("LATEST", "other", latest, 2, "他院")])
    ids, member, month, kind, facility = zip(*claims)
    receipts = pd.DataFrame({
        "receipt_id": pd.array(ids, dtype="string"), "member_id": pd.array(member, dtype="string"),
        "service_month": pd.array(month, dtype="string"), "claim_type": pd.array(kind, dtype="Int8"),
        "facility_code": pd.array([f"C{n}" for n in range(len(ids))], dtype="string"),
        "facility_name": pd.array(facility, dtype="string"),
    })
    carried = receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    diagnosis_frame = carried.iloc[:len(diagnoses)].assign(
        icd10=pd.array([d[2] for d in diagnoses], dtype="string"),
        is_suspected=pd.array([d[3] for d in diagnoses], dtype="Int8"))
    drug_frame = carried.iloc[len(diagnoses):len(diagnoses) + len(drugs)].assign(
        yj_code=pd.array([d[2] for d in drugs], dtype="string"))
    return ProgramInputs(members, pd.DataFrame(), receipts, diagnosis_frame.reset_index(drop=True),
                         drug_frame.reset_index(drop=True), pd.DataFrame(), pd.DataFrame(), AS_OF)


def _run(inputs: ProgramInputs, **overrides):
    return chudan.extract(inputs, FY, PROGRAM.resolve(overrides))


def _row(result, member_id: str) -> pd.Series:
    return result.targets.set_index("member_id").loc[member_id]


@pytest.mark.parametrize(("last", "target"), [("202504", True), ("202505", False)])
def test_six_months_without_a_claim_make_an_interruption(last, target):
    result = _run(_inputs(_members("a"), [("a", "202401", "E11.9"), ("a", last, "E11.9")]))
    assert (result.targets["member_id"].tolist() == ["a"]) is target
    assert result.excluded.empty and result.eligible == 1
    if target:
        assert _row(result, "a")["values"]["months_since"] == 6


@pytest.mark.parametrize(("first_seen", "eligible"), [("202311", 1), ("202310", 0)])
def test_the_look_back_window_is_twenty_four_months_including_the_list_month(first_seen, eligible):
    result = _run(_inputs(_members("a"), [("a", first_seen, "E119")]))
    assert result.eligible == eligible and len(result.targets) == eligible
    assert result.eligible_label == "2023-11〜2025-10に糖尿病のレセプトがある加入者"


def test_a_diabetes_drug_is_a_visit_and_a_suspected_diagnosis_is_not():
    diagnoses = [("a", "202401", "E11"), ("b", "202401", "E11"), ("b", "202508", "E11", 1)]
    drugs = [("a", "202507", "3962002F1030")]
    result = _run(_inputs(_members("a", "b"), diagnoses, drugs))
    assert result.targets["member_id"].tolist() == ["b"]
    assert _row(result, "b")["values"]["last_visit_month"] == "2024-01"


def test_conditions_are_checked_one_by_one_and_diabetes_comes_first():
    diagnoses = [("a", "202401", "E11"), ("a", "202509", "I10"),          # 糖尿病 stopped, 高血圧 continues
                 ("b", "202402", "I10"), ("b", "202403", "E78.5"),          # both stopped, no 糖尿病
                 ("c", "202404", "I10"), ("c", "202404", "E11")]            # 糖尿病 and 高血圧 stopped
    inputs = _inputs(_members("a", "b", "c"), diagnoses)
    default = _run(inputs)
    assert default.targets["member_id"].tolist() == ["a", "c"]
    every = _run(inputs, hypertension=True, dyslipidemia=True)
    assert every.targets["member_id"].tolist() == ["a", "b", "c"]   # 21, 19, 18 months: longest first
    assert every.targets["tier"].tolist() == ["糖尿病", "高血圧症", "糖尿病"]
    assert every.targets["rank"].tolist() == [1, 2, 3]
    assert _row(every, "b")["values"]["conditions"] == ["高血圧症", "脂質異常症"]
    assert _row(every, "c")["values"]["conditions"] == ["糖尿病", "高血圧症"]
    assert _run(inputs, diabetes=False, hypertension=True).targets["member_id"].tolist() == ["b", "c"]
    with pytest.raises(ValueError, match="1つ以上"):
        _run(inputs, diabetes=False)


def test_values_name_the_last_visit_and_prefer_the_doctor_over_the_pharmacy():
    diagnoses = [("a", "202403", "E11", 2, "みどり内科")]
    drugs = [("a", "202403", "3961007F1030"), ("a", "202402", "3961007F1030")]
    row = _row(_run(_inputs(_members("a"), diagnoses, drugs)), "a")
    assert row["values"] == {"conditions": ["糖尿病"], "last_visit_month": "2024-03", "last_facility": "みどり内科",
                             "months_since": 19}
    assert row["reason"] == "糖尿病: 最終受診 2024-03から19か月受診なし"
    assert row["explanation"][0].startswith("糖尿病: 最終受診 2024-03（みどり内科）から19か月、糖尿病のレセプトなし（基準 6か月以上）")
    assert row["warnings"] == ()


def test_warnings_for_a_missing_address_and_claims_not_yet_loaded():
    inputs = _inputs(_members("a", no_address=("a",)), [("a", "202401", "E11")], latest="202507")
    assert _row(_run(inputs), "a")["warnings"] == (
        "住所が未登録です（郵便番号または住所1が空欄）",
        "レセプトは2025-07診療分まで: それ以降の受診は確認できません",
    )


def test_the_gap_follows_the_parameter():
    inputs = _inputs(_members("a"), [("a", "202507", "E11")])
    assert _run(inputs).targets.empty
    assert len(_run(inputs, gap_months=3).targets) == 1


def test_plausible_counts_on_the_demo_union():
    union = generate_union(3000, seed=7)
    carried = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    inputs = ProgramInputs(union.members, union.checkups, union.receipts,
                           union.diagnoses.merge(carried, on="receipt_id"),
                           union.drug_lines.merge(carried, on="receipt_id"), union.drug_master, pd.DataFrame(),
                           date(2026, 4, 15))
    result = chudan.extract(inputs, 2025, PROGRAM.resolve({"hypertension": True, "dyslipidemia": True}))
    assert 100 < result.eligible < 1000
    assert 0 < len(result.targets) < result.eligible * 0.3
    assert (np.diff(result.targets["values"].map(lambda v: v["months_since"]).to_numpy()) <= 0).all()
