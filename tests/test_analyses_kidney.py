"""糖尿病性腎症: per-person classification at its boundaries, the plan's 3.2.5–3.2.6 tables, groups A–E."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.kidney import (INTERRUPTED, STAGE_1_2, STAGE_3, STAGE_4, STAGE_5, STAGE_UNKNOWN, TREATED,
                                         UNTREATED, diabetic_nephropathy, kidney_status, load_rules)
from dhdesk.core.fields import CHECKUPS, DIAGNOSES, DRUG_LINES, DRUG_MASTER, MEMBERS, RECEIPTS
from dhdesk.core.synthetic import generate_union
from dhdesk.core.synthetic.typed import typed_frame

FY = 2024


def _members(ids: list[str], lost: dict[str, str] | None = None) -> pd.DataFrame:
    lost = lost or {}
    return typed_frame(MEMBERS, {
        "member_id": ids, "name": ids, "sex": [1] * len(ids), "birth_date": ["1970-01-01"] * len(ids),
        "relation": [1] * len(ids), "acquired_date": ["2000-04-01"] * len(ids),
        "lost_date": [lost.get(i, "NaT") for i in ids]}, len(ids))


def _checkups(rows: list[dict]) -> pd.DataFrame:
    columns = {name: [row.get(name) for row in rows] for name in
               ("member_id", "hba1c", "fbg", "rbg", "egfr", "urine_protein", "sbp", "dbp")}
    columns["exam_date"] = [row.get("exam_date", "2024-06-01") for row in rows]
    columns["urine_protein"] = [None if v is None else str(v) for v in columns["urine_protein"]]
    for name in ("hba1c", "fbg", "rbg", "egfr", "sbp", "dbp"):
        columns[name] = [np.nan if v is None else v for v in columns[name]]
    return typed_frame(CHECKUPS, columns, len(rows))


def _claims(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(receipts, diagnoses, drug_lines) with the store's member_id / service_month / claim_type on details."""
    ids = [f"R{i}" for i in range(len(rows))]
    receipts = typed_frame(RECEIPTS, {
        "receipt_id": ids, "member_id": [r["member_id"] for r in rows], "service_month": [r["month"] for r in rows],
        "claim_type": [r.get("claim_type", 2) for r in rows], "points": [100] * len(rows)}, len(rows))
    dx_rows = [(rid, r) for rid, r in zip(ids, rows) if "icd10" in r]
    diagnoses = typed_frame(DIAGNOSES, {
        "receipt_id": [rid for rid, _ in dx_rows], "icd10": [r["icd10"] for _, r in dx_rows],
        "disease_name": [r.get("name", "") for _, r in dx_rows],
        "is_suspected": [r.get("suspected", 2) for _, r in dx_rows]}, len(dx_rows))
    drug_rows = [(rid, r) for rid, r in zip(ids, rows) if "yj" in r]
    drugs = typed_frame(DRUG_LINES, {"receipt_id": [rid for rid, _ in drug_rows],
                                     "yj_code": [r["yj"] for _, r in drug_rows]}, len(drug_rows))
    keys = receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    return receipts, diagnoses.merge(keys, on="receipt_id"), drugs.merge(keys, on="receipt_id")


def _inputs(ids: list[str], checkups: list[dict], claims: list[dict], lost: dict[str, str] | None = None,
            master: pd.DataFrame | None = None) -> AnalysisInputs:
    receipts, diagnoses, drugs = _claims(claims)
    master = typed_frame(DRUG_MASTER, {}, 0) if master is None else master
    return AnalysisInputs(_members(ids, lost), _checkups(checkups), receipts, diagnoses, drugs, master)


def _status(inputs: AnalysisInputs) -> pd.DataFrame:
    return kidney_status(inputs, FY).set_index("member_id")


@pytest.mark.parametrize(("item", "below", "at", "above"), [
    ("hba1c", 6.4, 6.5, 6.6), ("fbg", 125, 126, 127), ("rbg", 125, 126, 127)])
def test_diabetes_criterion_from_checkup_at_its_boundary(item, below, at, above):
    rows = [{"member_id": m, item: v} for m, v in (("b", below), ("a", at), ("o", above))]
    status = _status(_inputs(["b", "a", "o"], rows, []))
    assert status["diabetes_checkup"].to_dict() == {"a": True, "b": False, "o": True}
    assert status.loc["b", "kidney_stage"] is pd.NA
    assert status.loc["a", "treatment"] == UNTREATED


def test_hba1c_is_rounded_half_up_before_comparing():
    status = _status(_inputs(["x", "y"], [{"member_id": "x", "hba1c": 6.45}, {"member_id": "y", "hba1c": 6.44}], []))
    assert status["diabetes_checkup"].to_dict() == {"x": True, "y": False}


def test_stage_from_egfr_and_urine_protein_boundaries():
    base = {"hba1c": 7.0}
    rows = [{"member_id": "e29", "egfr": 29.9, "urine_protein": 1, **base},
            {"member_id": "e30", "egfr": 30.0, "urine_protein": 1, **base},
            {"member_id": "u2", "egfr": 70.0, "urine_protein": 2, **base},
            {"member_id": "u3", "egfr": 70.0, "urine_protein": 3, **base},
            {"member_id": "none", **base}]
    status = _status(_inputs([r["member_id"] for r in rows], rows, []))
    assert status["kidney_stage"].to_dict() == {"e29": STAGE_4, "e30": STAGE_1_2, "u2": STAGE_1_2, "u3": STAGE_3,
                                                "none": STAGE_UNKNOWN}
    assert status["kidney_disease"].to_dict() == {"e29": True, "e30": False, "u2": False, "u3": True, "none": False}
    assert "区別" in status.loc["u2", "reason"]


def test_dialysis_diagnosis_is_stage_5_and_not_extracted():
    claims = [{"member_id": "d", "month": "202410", "icd10": "E11.2"},
              {"member_id": "d", "month": "202410", "icd10": "Z99.2"},
              {"member_id": "n", "month": "202410", "icd10": "E11.9", "name": "慢性腎不全（透析）"}]
    status = _status(_inputs(["d", "n"], [{"member_id": "d", "hba1c": 7.5, "egfr": 8.0}], claims))
    assert status.loc["d", "kidney_stage"] == STAGE_5
    assert status.loc["n", "dialysis"]
    assert status.loc["d", "group"] == "" and "第5期" in status.loc["d", "reason"]


@pytest.mark.parametrize(("last_month", "expected"), [("202410", TREATED), ("202409", INTERRUPTED)])
def test_interruption_after_six_months_without_diabetes_claims(last_month, expected):
    assert load_rules()["treatment.interruption_months"] == 6
    status = _status(_inputs(["m"], [], [{"member_id": "m", "month": last_month, "icd10": "E11.9"}]))
    assert status.loc["m", "treatment"] == expected
    assert status.loc["m", "last_diabetes_month"] == last_month


def test_drug_alone_counts_as_diabetes_care_and_suspected_diagnosis_does_not():
    claims = [{"member_id": "drug", "month": "202503", "claim_type": 5, "yj": "3962002F1010"},
              {"member_id": "sus", "month": "202503", "icd10": "E11.9", "suspected": 1}]
    status = _status(_inputs(["drug", "sus"], [{"member_id": "sus", "hba1c": 5.5}], claims))
    assert status.loc["drug", "treatment"] == TREATED and status.loc["drug", "diabetes"]
    assert status.loc["sus", "treatment"] == UNTREATED and not status.loc["sus", "diabetes"]


def test_glp1_injection_found_by_ingredient():
    master = typed_frame(DRUG_MASTER, {"yj_code": ["2499410G1020"], "ingredient": ["リラグルチド"],
                                       "product_name": ["ビクトーザ"], "price": [1000.0]}, 1)
    status = _status(_inputs(["g"], [], [{"member_id": "g", "month": "202502", "yj": "2499410G1020"}], master=master))
    assert status.loc["g", "treatment"] == TREATED


def test_history_does_not_count_when_this_years_checkup_is_below_criteria():
    claims = [{"member_id": m, "month": "202405", "icd10": "E11.9"} for m in ("ok", "nock")]
    status = _status(_inputs(["ok", "nock"], [{"member_id": "ok", "hba1c": 5.8, "fbg": 95}], claims))
    assert not status.loc["ok", "diabetes"] and status.loc["ok", "group"] == ""
    assert status.loc["nock", "diabetes"] and status.loc["nock", "group"] == "E"


def test_program_groups_a_to_e():
    checkups = [{"member_id": "A", "hba1c": 7.0, "urine_protein": 3},
                {"member_id": "B", "hba1c": 6.0, "egfr": 25.0},
                {"member_id": "C", "fbg": 130, "urine_protein": 1, "egfr": 80.0},
                {"member_id": "T", "hba1c": 6.0, "egfr": 80.0}]
    claims = [{"member_id": "B", "month": "202503", "icd10": "E11.9"},
              {"member_id": "D", "month": "202503", "icd10": "E11.2"},
              {"member_id": "E", "month": "202403", "icd10": "E14.9"},
              {"member_id": "T", "month": "202503", "icd10": "E11.9"}]
    status = _status(_inputs(["A", "B", "C", "D", "E", "T"], checkups, claims))
    assert status["group"].to_dict() == {"A": "A", "B": "B", "C": "C", "D": "D", "E": "E", "T": ""}
    assert "受診勧奨" in status.loc["A", "reason"] and "尿蛋白(+)" in status.loc["A", "reason"]
    assert "医師の推薦" in status.loc["D", "reason"]
    assert "2024年3月" in status.loc["E", "reason"]


def test_members_who_left_before_the_year_end_are_not_listed():
    status = _status(_inputs(["in", "out"], [{"member_id": m, "hba1c": 8.0} for m in ("in", "out")], [],
                             lost={"out": "2025-03-31"}))
    assert list(status.index) == ["in"]


def _seed_case() -> AnalysisInputs:
    """Treated type-2 diabetics at the seed's control and 腎症リスク boundaries."""
    cases = {  # member: (checkup this year, previous-year eGFR)
        "unk": ({}, None), "c64": ({"hba1c": 6.4, "fbg": 125}, None),
        "u65": ({"hba1c": 6.5, "egfr": 45.0, "urine_protein": 1}, None),
        "f126": ({"fbg": 126, "egfr": 44.9, "urine_protein": 1}, None),
        "e30": ({"hba1c": 8.0, "egfr": 30.0}, None), "e29": ({"hba1c": 8.0, "egfr": 29.9}, None),
        "up3": ({"hba1c": 8.0, "urine_protein": 3}, None), "up4": ({"hba1c": 8.0, "urine_protein": 4}, None),
        "drop5": ({"hba1c": 8.0, "egfr": 55.0}, 60.0), "drop4": ({"hba1c": 8.0, "egfr": 55.0}, 59.0),
        "sbp139": ({"hba1c": 8.0, "egfr": 70.0, "sbp": 139}, None),
        "sbp140": ({"hba1c": 8.0, "egfr": 70.0, "sbp": 140}, None),
        "none": ({"hba1c": 8.0, "sbp": 150}, None),
    }
    checkups = [{"member_id": m, "exam_date": "2024-06-01", **c} for m, (c, _) in cases.items() if c]
    checkups += [{"member_id": m, "exam_date": "2023-06-01", "egfr": prev} for m, (_, prev) in cases.items() if prev]
    claims = [{"member_id": m, "month": "202501", "icd10": "E11.9"} for m in cases]
    claims += [{"member_id": "nov", "month": "202411", "icd10": "E11.9"},
               {"member_id": "inpatient", "month": "202501", "icd10": "E11.9", "claim_type": 1},
               {"member_id": "type1", "month": "202501", "icd10": "E10.9"},
               {"member_id": "type1", "month": "202502", "icd10": "E11.9"},
               {"member_id": "dial", "month": "202502", "icd10": "E11.9"},
               {"member_id": "dial", "month": "202502", "icd10": "Z49.1"},
               {"member_id": "y23", "month": "202402", "icd10": "E11.9"}]
    ids = [*cases, "nov", "inpatient", "type1", "dial", "y23"]
    return _inputs(ids, checkups, claims)


def test_seed_risk_table_counts_each_definition_at_its_boundary():
    risk = diabetic_nephropathy(_seed_case(), FY)[0]
    counts = dict(zip(risk.table["区分"], risk.table["人数"]))
    assert counts["2型糖尿病治療中患者"] == 13
    assert risk.member_ids["不明者"] == ("unk",)
    assert risk.member_ids["コントロール者"] == ("c64",)
    assert counts["アンコントロール者"] == 11
    assert risk.member_ids["アンコントロール者のうち 尿蛋白(++以上)またはeGFR30未満 ※2"] == ("e29", "up4")
    assert risk.member_ids["アンコントロール者のうち 腎機能低下疑い ※1"] == ("drop5", "e30", "f126", "sbp140", "up3")
    assert risk.member_ids["アンコントロール者のうち 糖尿病のみ"] == ("drop4", "sbp139", "u65")
    assert risk.member_ids["アンコントロール者のうち 不明（eGFR・尿蛋白の検査値無し）"] == ("none",)
    assert risk.seed_section == "3.2.5" and any("※1" in note for note in risk.notes)


def test_stage_cross_table_and_trend():
    tables = {t.key: t for t in diabetic_nephropathy(_seed_case(), FY)}
    stage = tables["jinsho_stage"].table.set_index("血糖コントロール")
    assert stage.loc["アンコントロール者", STAGE_4] == 1 and stage.loc["アンコントロール者", STAGE_3] == 2
    assert stage.loc["合計", "合計"] == 13
    assert tables["jinsho_stage"].member_ids[f"アンコントロール者・{STAGE_4}"] == ("e29",)
    trend = tables["jinsho_trend"].table.set_index("区分")
    assert list(trend.columns) == ["2023年度", "2024年度"]
    assert trend.loc["2型糖尿病治療中患者(人)", "2023年度"] == 1
    assert trend.loc["アンコントロール者割合(%)", "2024年度"] == round(100 * 11 / 13, 1)


def test_group_table_drills_down_to_members():
    groups = diabetic_nephropathy(_seed_case(), FY)[3]
    assert list(groups.table["区分"]) == list("ABCDE")
    counts = dict(zip(groups.table["区分"], groups.table["人数"]))
    assert counts["B"] == len(groups.member_ids["B"]) and "e29" in groups.member_ids["B"]
    assert "y23" in groups.member_ids["E"]


def test_smoke_on_the_demo_union():
    union = generate_union(members=2000, seed=3)
    keys = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]]
    inputs = AnalysisInputs(union.members, union.checkups, union.receipts,
                            union.diagnoses.merge(keys, on="receipt_id"), union.drug_lines.merge(keys, on="receipt_id"),
                            union.drug_master)
    status = kidney_status(inputs, FY)
    assert status["member_id"].is_unique and status["diabetes"].sum() > 0
    assert status["reason"].str.len().min() > 0
    tables = diabetic_nephropathy(inputs, FY)
    assert [t.key for t in tables] == ["jinsho_risk", "jinsho_stage", "jinsho_trend", "jinsho_groups"]
    risk = tables[0].table.set_index("区分")["人数"]
    assert risk["2型糖尿病治療中患者"] > 0
    assert risk["2型糖尿病治療中患者"] == risk["不明者"] + risk["コントロール者"] + risk["アンコントロール者"]
    assert tables[3].table["人数"].sum() == (status["group"] != "").sum()


def test_rule_file_cites_source_and_confidence():
    rules = load_rules()
    assert rules["stage.stage4_egfr_lt"] == 30 and rules["stage.stage3_urine_protein_ge"] == 3
    assert rules.cite("stage.stage4_egfr_lt") == "腎症プログラムR6 p.34 [OK]"
    assert rules.cite("treatment.interruption_months").endswith("[NC]")


def test_no_claims_gives_empty_seed_tables_and_checkup_groups_only():
    tables = {t.key: t for t in diabetic_nephropathy(_inputs(["a"], [{"member_id": "a", "hba1c": 7.0}], []), FY)}
    assert tables["jinsho_risk"].table["人数"].sum() == 0
    assert list(tables["jinsho_trend"].table.columns) == ["区分"]
    assert tables["jinsho_groups"].member_ids["C"] == ("a",)
