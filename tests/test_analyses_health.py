"""Checkup analyses: リスク分布 (§3.2.3), 有所見×未受診 (§3.2.4), 予備群コントロール (§3.2.7–3.2.9), スコアリング (§3.6)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.health import (
    findings_without_treatment,
    health_risks,
    judged_rows,
    health_scoring,
    risk_band,
    risk_distribution,
    lifestyle_non_risks,
    reserve_control,
)
from dhdesk.core.fields import CHECKUPS, DIAGNOSES, DRUG_LINES, DRUG_MASTER, MEMBERS, RECEIPTS
from dhdesk.core.rules.ruleset import load_ruleset
from dhdesk.core.synthetic import generate_union
from dhdesk.core.synthetic.typed import typed_frame

FY = 2025


def _frame(layout, rows: list[dict]) -> pd.DataFrame:
    names = set().union(*rows) if rows else set()
    columns = {name: [row.get(name, np.nan) for row in rows] for name in names}
    return typed_frame(layout, columns, len(rows))


def _member(member_id: str, relation: int = 1, sex: int = 1, acquired: str = "2000-04-01", lost=None,
            birth: str = "1970-05-01") -> dict:
    return {"member_id": member_id, "name": member_id, "sex": sex, "birth_date": np.datetime64(birth),
            "relation": relation, "acquired_date": np.datetime64(acquired),
            "lost_date": np.datetime64(lost) if lost else np.datetime64("NaT")}


def _checkup(member_id: str, year: int = FY, birth: str = "1970-05-01", sex: int = 1, **values) -> dict:
    return {"member_id": member_id, "sex": sex, "birth_date": np.datetime64(birth),
            "exam_date": np.datetime64(f"{year}-06-01"), **values}


def _inputs(members: list[dict], checkups: list[dict], diagnoses: list[dict] = (), drugs: list[dict] = (),
            receipts: list[dict] = ()) -> AnalysisInputs:
    def claims(layout, rows):
        frame = _frame(layout, [{k: v for k, v in row.items() if k in layout.names} for row in rows]) if rows else \
            typed_frame(layout, {}, 0)
        frame["member_id"] = pd.array([row["member_id"] for row in rows], dtype="string")
        frame["claim_type"] = pd.array([row.get("claim_type", 2) for row in rows], dtype="Int8")
        frame["fiscal_year"] = np.full(len(rows), FY, dtype=np.int64)
        return frame

    return AnalysisInputs(
        members=_frame(MEMBERS, members), checkups=_frame(CHECKUPS, checkups),
        receipts=claims(RECEIPTS, list(receipts)), diagnoses=claims(DIAGNOSES, list(diagnoses)),
        drug_lines=claims(DRUG_LINES, list(drugs)), drug_master=typed_frame(DRUG_MASTER, {}, 0),
    )


def _cells(table) -> dict[str, tuple[str, ...]]:
    return {k: v for k, v in table.member_ids.items() if v}


# ── §3.2.3 ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("values", "band"), [
    ({"hba1c": 5.5, "sbp": 129, "dbp": 84, "ldl": 119, "hdl": 40, "tg_fasting": 149, "fbg": 99}, 0),
    ({"hba1c": 5.6}, 1), ({"hba1c": 5.9}, 1), ({"hba1c": 6.0}, 2), ({"hba1c": 6.4}, 2), ({"hba1c": 6.5}, 3),
    ({"fbg": 109}, 1), ({"fbg": 110}, 2), ({"fbg": 125}, 2), ({"fbg": 126}, 3),
    ({"sbp": 130}, 1), ({"sbp": 139}, 1), ({"dbp": 90}, 2), ({"sbp": 159}, 2), ({"dbp": 100}, 3),
    ({"ldl": 120}, 1), ({"ldl": 140}, 2), ({"ldl": 180}, 3), ({"tg_random": 299}, 1), ({"tg_fasting": 500}, 3),
    ({"hdl": 39}, 2), ({"hdl": 35}, 2), ({"hdl": 34}, 3), ({"sbp": 129.5}, 1),
])
def test_risk_band_boundaries(values, band):
    assert risk_band(_frame(CHECKUPS, [_checkup("a", **values)])).tolist() == [band]


def test_risk_distribution_groups_shares_and_cost():
    members = ["unknown", "normal", "reserve", "neglected", "treated", "complicated", "severe", "dialysis", "young"]
    checkups = [_checkup("normal", sbp=120), _checkup("reserve", sbp=145), _checkup("neglected", fbg=130),
                _checkup("treated", sbp=170), _checkup("young", birth="1990-01-01", sbp=170)]
    diagnoses = [{"member_id": "treated", "icd10": "I10"}, {"member_id": "complicated", "icd10": "E112"},
                 {"member_id": "complicated", "icd10": "I10"},
                 {"member_id": "severe", "icd10": "I639", "claim_type": 1},
                 {"member_id": "dialysis", "icd10": "Z992"},
                 {"member_id": "normal", "icd10": "I639", "claim_type": 2, "is_suspected": 1}]
    receipts = [{"member_id": "treated", "points": 1000}, {"member_id": "treated", "points": 500, "claim_type": 4},
                {"member_id": "normal", "points": 300}]
    people = [_member(m) for m in members[:-1]] + [_member("young", birth="1990-01-01")]
    inputs = _inputs(people, checkups, diagnoses=diagnoses, receipts=receipts)
    (table,) = risk_distribution(inputs, FY)
    assert {k: v for k, v in table.member_ids.items() if v} == {
        "未把握（健診未受診）": ("unknown",), "正常群": ("normal",), "患者予備群": ("reserve",),
        "治療放置群": ("neglected",), "生活習慣病群": ("treated",), "重症化群": ("complicated",),
        "生活機能低下群": ("severe", "dialysis"),
    }
    rows = table.table.set_index("指標")
    assert rows.loc["割合(%)", "生活機能低下群"] == pytest.approx(28.6)  # 2 of 7, 未把握 excluded
    assert np.isnan(rows.loc["割合(%)", "未把握（健診未受診）"])
    assert rows.loc["医療費(円/人)", "生活習慣病群"] == 10000  # 1000点 × 10円, dental excluded
    assert rows.loc["医療費(円/人)", "正常群"] == 3000
    assert table.table["年度"].tolist() == [f"{FY}年度"] * 3  # no other year has checkups


# ── §3.2.4 ──────────────────────────────────────────────────────────────────────────────────


def test_findings_counts_each_untreated_member_once_at_the_referral_boundaries():
    people = {"below": {"sbp": 139}, "at": {"sbp": 140}, "above_urgent": {"sbp": 160},
              "three_urgent": {"sbp": 160, "fbg": 126, "ldl": 180},
              "mixed": {"sbp": 160, "ldl": 140, "hba1c": 6.4}, "two_referral": {"dbp": 90, "hdl": 34}}
    inputs = _inputs([_member(m) for m in people], [_checkup(m, **v) for m, v in people.items()])
    (table,) = findings_without_treatment(inputs, FY)
    assert _cells(table) == {
        "患者予備群（受診勧奨域）・有所見1": ("at",),
        "患者予備群（受診勧奨域）・有所見2": ("two_referral",),
        "治療放置群（治療域）・有所見1": ("above_urgent", "mixed"),
        "治療放置群（治療域）・有所見3": ("three_urgent",),
    }
    assert table.table["治療放置群（治療域）"].tolist() == [2, 0, 1, 3]
    assert table.seed_section == "3.2.4"


def test_findings_excludes_lifestyle_patients_but_not_other_claims():
    ids = ["by_icd", "suspected", "by_drug", "dental_only", "cold_only"]
    inputs = _inputs(
        [_member(m) for m in ids], [_checkup(m, sbp=150) for m in ids],
        diagnoses=[{"member_id": "by_icd", "icd10": "E119"},
                   {"member_id": "suspected", "icd10": "E78", "is_suspected": 1},
                   {"member_id": "dental_only", "icd10": "I10", "claim_type": 4},
                   {"member_id": "cold_only", "icd10": "J06"}],
        drugs=[{"member_id": "by_drug", "yj_code": "2149044F1020", "claim_type": 5}],
    )
    (table,) = findings_without_treatment(inputs, FY)
    assert _cells(table) == {"患者予備群（受診勧奨域）・有所見1": ("dental_only", "cold_only")}


def test_findings_population_is_continuously_enrolled_and_40_plus():
    inputs = _inputs(
        [_member("age39"), _member("age40"), _member("joined_may", acquired=f"{FY}-05-01"),
         _member("left_march", lost=f"{FY + 1}-03-31"), _member("left_april", lost=f"{FY + 1}-04-01")],
        [_checkup("age39", birth="1986-04-01", sbp=150), _checkup("age40", birth="1986-03-31", sbp=150),
         _checkup("joined_may", sbp=150), _checkup("left_march", sbp=150), _checkup("left_april", sbp=150)],
    )
    (table,) = findings_without_treatment(inputs, FY)
    assert _cells(table) == {"患者予備群（受診勧奨域）・有所見1": ("age40", "left_april")}


def test_findings_reads_the_drug_master_when_a_drug_line_has_no_yj_code():
    inputs = _inputs([_member("m")], [_checkup("m", sbp=150)], drugs=[{"member_id": "m", "drug_code": "610443047"}])
    master = _frame(DRUG_MASTER, [{"yj_code": "2149044F1020", "receipt_code": "610443047", "ingredient": "x",
                                   "product_name": "x", "price": 10.0}])
    assert _cells(findings_without_treatment(inputs, FY)[0]) == {"患者予備群（受診勧奨域）・有所見1": ("m",)}
    (table,) = findings_without_treatment(replace(inputs, drug_master=master), FY)
    assert _cells(table) == {}


# ── §3.2.7–3.2.9 ────────────────────────────────────────────────────────────────────────────


def test_reserve_control_cohort_and_next_year_states():
    before = {"normal": {"sbp": 129}, "to_referral": {"sbp": 130}, "to_reserve_drug": {"sbp": 139},
              "to_normal": {"dbp": 85}, "unknown_drug": {"sbp": 135}, "no_checkup": {"sbp": 135},
              "was_referral": {"sbp": 140}, "was_treated": {"sbp": 135, "med_bp": 1}}
    after = {"normal": {"sbp": 120, "med_bp": 2}, "to_referral": {"sbp": 140, "med_bp": 2},
             "to_reserve_drug": {"sbp": 135, "med_bp": 1}, "to_normal": {"sbp": 129, "dbp": 84, "med_bp": 2},
             "unknown_drug": {"sbp": 131}, "was_referral": {"sbp": 120, "med_bp": 2},
             "was_treated": {"sbp": 120, "med_bp": 2}}
    checkups = [_checkup(m, year=FY - 1, **({"med_bp": 2} | v)) for m, v in before.items()]
    checkups += [_checkup(m, **v) for m, v in after.items()]
    (table,) = reserve_control(_inputs([_member(m) for m in before], checkups), FY)
    bp = table.table.set_index("疾病").loc["高血圧症予備群"]
    assert bp["対象者数"] == 5
    assert (bp["受診勧奨対象群"], bp["予備群（服薬あり）"], bp["正常値群（服薬なし）"], bp["判定不能"]) == (1, 1, 1, 1)
    assert bp["健診未受診"] == 1
    assert bp["状態コントロール割合(%)"] == pytest.approx(33.3)
    assert table.member_ids["高血圧症・受診勧奨対象群"] == ("to_referral",)
    assert table.member_ids["高血圧症・健診未受診"] == ("no_checkup",)


def test_reserve_control_lipid_hdl_is_reserve_only_and_glucose_boundaries():
    before = {"hdl39": {"hdl": 39, "tg_fasting": 100}, "hdl40": {"hdl": 40, "tg_fasting": 100},
              "tg299": {"tg_fasting": 299, "hdl": 50}, "tg300": {"tg_fasting": 300, "hdl": 50},
              "a1c5.6": {"hba1c": 5.6}, "a1c5.5": {"hba1c": 5.5}, "fbg125": {"fbg": 125}, "fbg126": {"fbg": 126}}
    meds = {"med_bp": 2, "med_glucose": 2, "med_lipid": 2}
    checkups = [_checkup(m, year=FY - 1, **(meds | v)) for m, v in before.items()]
    checkups += [_checkup(m, **(meds | {"hdl": 34, "tg_fasting": 100, "hba1c": 5.0})) for m in before]
    (table,) = reserve_control(_inputs([_member(m) for m in before], checkups), FY)
    rows = table.table.set_index("疾病")
    assert rows.loc["脂質異常症予備群", "対象者数"] == 2
    assert table.member_ids["脂質異常症・予備群（服薬なし）"] == ("hdl39", "tg299")
    assert rows.loc["糖尿病予備群", "対象者数"] == 2
    assert table.member_ids["糖尿病・正常値群（服薬なし）"] == ("a1c5.6", "fbg125")


# ── §3.6.3–3.6.6 ────────────────────────────────────────────────────────────────────────────


def _judged(rows: list[dict]):
    frame = _frame(CHECKUPS, rows)
    rules = load_ruleset("tokutei_4ki")
    return frame, judged_rows(frame, FY, rules, load_ruleset("jushin_kankoku")), rules


def test_health_risks_at_the_guidance_boundaries_and_glucose_priority():
    frame, judged, rules = _judged([
        _checkup("a", sbp=129, dbp=84, ast=30, hdl=40, fbg=99, hba1c=6.0, bmi=24.9, waist=84.9),
        _checkup("b", sbp=130, ast=31, hdl=39, hba1c=5.6, bmi=25.0, waist=80),
        _checkup("c", sex=2, waist=90, bmi=22, ggt=51, tg_fasting=150, fbg=100),
        _checkup("d", sex=2, waist=89.9, bmi=24.9, tg_random=174),
        _checkup("e"),
    ])
    risks = health_risks(frame, judged, rules)
    assert risks["blood_pressure"].positive.tolist() == [False, True, False, False, False]
    assert risks["blood_pressure"].decided.tolist() == [True, True, False, False, False]
    assert risks["liver"].positive.tolist() == [False, True, True, False, False]
    assert risks["lipid"].positive.tolist() == [False, True, True, False, False]
    assert risks["lipid"].decided.tolist() == [True, True, True, True, False]
    assert risks["glucose"].positive.tolist() == [False, True, True, False, False]
    assert risks["obesity"].positive.tolist() == [False, True, True, False, False]
    assert risks["obesity"].decided.tolist() == [True, True, True, True, False]


def test_lifestyle_non_risks_definitions():
    rows = _frame(CHECKUPS, [
        _checkup("daily2go", drinking_freq=1, drinking_amount=3),
        _checkup("daily1go", drinking_freq=1, drinking_amount=2),
        _checkup("weekly2go", drinking_freq=2, drinking_amount=3),
        _checkup("weekly3go", drinking_freq=5, drinking_amount=4),
        _checkup("daily_only", drinking_freq=1), _checkup("never_only", drinking_freq=8),
        _checkup("light_only", drinking_amount=1),
    ])
    drinking = lifestyle_non_risks(rows)["drinking"]
    assert drinking.positive.tolist() == [False, True, True, False, False, True, True]
    assert drinking.decided.tolist() == [True, True, True, True, False, True, True]

    rows = _frame(CHECKUPS, [
        _checkup("ex2", exercise=1, activity=1, walk_speed=2, smoking=1, sleep=1),
        _checkup("ex1_open", exercise=1, activity=2, smoking=2, sleep=2),
        _checkup("ex1", exercise=1, activity=2, walk_speed=2, smoking=3),
        _checkup("diet3", eating_speed=2, late_dinner=2, snacking=3, skip_breakfast=1),
        _checkup("diet2", eating_speed=1, late_dinner=2, snacking=1, skip_breakfast=2),
    ])
    habits = lifestyle_non_risks(rows)
    assert habits["exercise"].positive.tolist() == [True, False, False, False, False]
    assert habits["exercise"].decided.tolist() == [True, False, True, False, False]
    assert habits["smoking"].positive.tolist() == [False, True, True, False, False]
    assert habits["smoking"].decided.tolist() == [True, True, True, False, False]
    assert habits["sleep"].positive.tolist() == [True, False, False, False, False]
    assert habits["diet"].positive.tolist() == [False, False, False, True, False]
    assert habits["diet"].decided.tolist() == [False, False, False, True, True]


def test_health_scoring_rates_scores_and_groups():
    people = {"m1": (1, 1, 140), "m2": (1, 1, 120), "f1": (1, 2, 120), "f2": (1, 2, 120), "d1": (2, 2, 150)}
    inputs = _inputs([_member(m, relation=r, sex=s) for m, (r, s, _) in people.items()],
                     [_checkup(m, sex=s, sbp=sbp, sleep=1 if m != "f2" else 2) for m, (r, s, sbp) in people.items()])
    tables = {t.key: t for t in health_scoring(inputs, FY)}
    assert len(tables) == 8
    insured = tables["健診スコア_組合員"].table.set_index("指標")["血圧"]
    assert insured.iloc[:4].tolist() == [151.0, 3, 1, 25.0]
    assert insured.iloc[4] == 37.7  # 他組合 (seed §3.6.3)
    assert tables["健診スコア_男性組合員"].table["血圧"].tolist()[:4] == [84.0, 1, 1, 50.0]
    women = tables["健診スコア_女性組合員"].table["血圧"].tolist()
    assert np.isnan(women[0]) and women[1:4] == [2, 0, 0.0]  # no リスク者: the score is undefined
    assert tables["健診スコア_被扶養者"].member_ids["血圧・リスク者"] == ("d1",)
    sleep = tables["問診スコア_組合員"].table.set_index("指標")["睡眠"]
    assert sleep.iloc[:4].tolist() == [121.0, 3, 1, 75.0]  # 75.0 / 62.2 × 100 = 120.6 → 121


# ── smoke ───────────────────────────────────────────────────────────────────────────────────


def test_smoke_on_the_synthetic_union():
    union = generate_union(members=2000, seed=7)
    keys = union.receipts[["receipt_id", "member_id", "service_month", "claim_type"]].copy()
    month = keys["service_month"].astype(int)
    keys["fiscal_year"] = month // 100 - (month % 100 < 4)

    def joined(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.merge(keys, on="receipt_id", how="left")

    inputs = AnalysisInputs(union.members, union.checkups, union.receipts.assign(fiscal_year=keys["fiscal_year"]),
                            joined(union.diagnoses), joined(union.drug_lines), union.drug_master)
    (findings,) = findings_without_treatment(inputs, FY)
    assert findings.table.iloc[-1, 1:].sum() > 0
    (distribution,) = risk_distribution(inputs, FY)
    assert distribution.table.iloc[0, 2:].sum() > 0
    (reserve,) = reserve_control(inputs, FY)
    assert (reserve.table["対象者数"] > 0).all()
    scoring = health_scoring(inputs, FY)
    rates = scoring[0].table.set_index("指標").loc["リスク者割合(%)"]
    assert ((rates.iloc[0, 1:] > 0) & (rates.iloc[0, 1:] < 100)).all()
