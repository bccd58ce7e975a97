"""Claims analyses (医療費・後発医薬品・多剤・頻回・はしご): each definition at its boundaries, plus a smoke run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.claims import cost_by_age_and_type, cost_ranges, icd10_top10
from dhdesk.core.analyses.claims_base import (
    distinct_rows,
    member_rows,
    month_numbers,
    of_year,
    population,
    positions,
    year_population,
    year_receipts,
    year_rows,
)
from dhdesk.core.analyses.claims_drugs import generic_share, polypharmacy
from dhdesk.core.analyses.claims_visits import doctor_shopping, frequent_visits
from dhdesk.core.synthetic import generate_union

FY = 2024
CARRIED = ["receipt_id", "member_id", "service_month", "claim_type", "fiscal_year"]


def _members(*rows: tuple) -> pd.DataFrame:
    """rows: (member_id, relation, birth, acquired, lost or None)."""
    ids, relation, birth, acquired, lost = zip(*rows)
    return pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "relation": pd.array(relation, dtype="Int8"),
        "birth_date": pd.to_datetime(list(birth)),
        "acquired_date": pd.to_datetime(list(acquired)),
        "lost_date": pd.to_datetime(list(lost)),
    })


def _adult(member_id: str, relation: int = 1, birth: str = "1980-06-01") -> tuple:
    return (member_id, relation, birth, "2000-04-01", None)


def _receipts(*rows: tuple) -> pd.DataFrame:
    """rows: (receipt_id, member_id, yyyymm, claim_type, points[, facility, days])."""
    rows = [r + ("F1", 1)[len(r) - 5:] if len(r) < 7 else r for r in rows]
    rid, mid, month, kind, points, facility, days = zip(*rows)
    months = pd.Series(month, dtype="string")
    year = months.str[:4].astype(int) - (months.str[4:].astype(int) < 4)
    return pd.DataFrame({
        "receipt_id": pd.array(rid, dtype="string"), "member_id": pd.array(mid, dtype="string"),
        "service_month": pd.array(month, dtype="string"), "claim_type": pd.array(kind, dtype="Int8"),
        "facility_code": pd.array(facility, dtype="string"), "days": pd.array(days, dtype="Int64"),
        "points": pd.array(points, dtype="Int64"), "fiscal_year": pd.array(year, dtype="Int64"),
    })


def _carry(detail: pd.DataFrame, receipts: pd.DataFrame) -> pd.DataFrame:
    """Detail rows with the receipt's member/month/type/year, as the store returns them."""
    return detail.merge(receipts[CARRIED], on="receipt_id", how="left")


def _diagnoses(receipts: pd.DataFrame, *rows: tuple) -> pd.DataFrame:
    """rows: (receipt_id, icd10, is_main[, disease_name])."""
    rows = [r if len(r) == 4 else r + (f"病名{r[1]}",) for r in rows]
    rid, icd, main, name = zip(*rows) if rows else ((), (), (), ())
    frame = pd.DataFrame({
        "receipt_id": pd.array(rid, dtype="string"), "disease_code": pd.array([None] * len(rid), dtype="string"),
        "disease_name": pd.array(name, dtype="string"), "icd10": pd.array(icd, dtype="string"),
        "is_main": pd.array(main, dtype="Int8"),
    })
    return _carry(frame, receipts)


def _drugs(receipts: pd.DataFrame, *rows: tuple) -> pd.DataFrame:
    """rows: (receipt_id, yj_code, quantity, days)."""
    rid, yj, qty, days = zip(*rows) if rows else ((), (), (), ())
    frame = pd.DataFrame({
        "receipt_id": pd.array(rid, dtype="string"), "yj_code": pd.array(yj, dtype="string"),
        "quantity": np.array(qty, dtype="float64"), "days": pd.array(days, dtype="Int64"),
    })
    return _carry(frame, receipts)


def _master(*rows: tuple) -> pd.DataFrame:
    """rows: (yj_code, ingredient, generic_info)."""
    yj, ingredient, info = zip(*rows)
    return pd.DataFrame({"yj_code": pd.array(yj, dtype="string"), "ingredient": pd.array(ingredient, dtype="string"),
                         "generic_info": pd.array(info, dtype="string")})


def _inputs(members, receipts, diagnoses=None, drug_lines=None, master=None) -> AnalysisInputs:
    return AnalysisInputs(members, pd.DataFrame(), receipts,
                          diagnoses if diagnoses is not None else _diagnoses(receipts),
                          drug_lines if drug_lines is not None else _drugs(receipts),
                          master if master is not None else _master(("X", "x", "3")))


def _row(table: pd.DataFrame, label: str) -> pd.Series:
    return table.set_index(table.columns[0]).loc[label]


# --- 加入者 ------------------------------------------------------------------------------------------

def test_population_enrolment_boundaries_and_fiscal_year_end_age():
    members = _members(
        ("lost_on_first_day", 1, "1980-01-01", "2000-04-01", "2024-04-01"),
        ("lost_next_day", 1, "1980-01-01", "2000-04-01", "2024-04-02"),
        ("joins_last_day", 1, "1985-03-31", "2025-03-31", None),
        ("joins_next_year", 1, "1985-04-01", "2025-04-01", None),
        ("born_april_first", 2, "1985-04-01", "2000-04-01", None),
    )
    pop = population(members, FY, "組合員")
    assert set(pop.index) == {"lost_next_day", "joins_last_day", "born_april_first"}
    assert pop.loc["joins_last_day", "age"] == 40  # 40 on 2025-03-31
    assert pop.loc["born_april_first", "age"] == 39
    assert pop.loc["born_april_first", "group"] == "被扶養者"


def test_population_takes_the_latest_period_in_the_year():
    members = _members(("m", 1, "1980-01-01", "2000-04-01", "2024-06-01"), ("m", 2, "1980-01-01", "2024-06-01", None))
    assert population(members, FY, "組合員").loc["m", "group"] == "被扶養者"


def test_month_numbers_are_consecutive_across_the_year_end():
    months = month_numbers(pd.Series(["202412", "202501", None], dtype="string"))
    assert months[1] - months[0] == 1 and months[2] == -1


# --- 医療費レンジ (§2.2.7) ---------------------------------------------------------------------------

def test_cost_ranges_band_boundaries_in_yen():
    points = {"zero": None, "one_yen_band": 1, "below_100k": 9_999, "at_100k": 10_000, "below_500k": 49_999,
              "at_500k": 50_000, "at_5m": 500_000, "below_5m": 499_999}
    members = _members(*(_adult(m) for m in points))
    receipts = _receipts(*((f"r{i}", m, "202406", 2, p) for i, (m, p) in enumerate(points.items()) if p))
    [result] = cost_ranges(_inputs(members, receipts), FY)
    table = result.table
    assert result.member_ids["0円"] == ("zero",)
    assert set(result.member_ids["1円～10万円未満"]) == {"one_yen_band", "below_100k"}
    assert set(result.member_ids["10万円～50万円未満"]) == {"at_100k", "below_500k"}
    assert result.member_ids["50万円～100万円未満"] == ("at_500k",)
    assert result.member_ids["400万円～500万円未満"] == ("below_5m",)
    assert result.member_ids["500万円～"] == ("at_5m",)
    assert _row(table, "合計")[f"加入者数 {FY}年度"] == 8
    assert _row(table, "合計")[f"医療費(円) {FY}年度"] == 10 * sum(p for p in points.values() if p)
    assert _row(table, "500万円～")[f"医療費(円) {FY}年度"] == 5_000_000
    assert _row(table, "0円")[f"加入者割合(%) {FY}年度"] == 12.5
    assert f"加入者数 {FY - 1}年度" not in table.columns  # no claims last year → one year only


def test_cost_ranges_sums_a_member_year_compares_last_year_and_drops_unenrolled():
    members = _members(_adult("a"), _adult("b"))
    receipts = _receipts(("r1", "a", "202404", 2, 6_000), ("r2", "a", "202503", 5, 4_000),
                         ("r3", "a", "202403", 2, 100), ("r4", "ghost", "202405", 2, 7))
    [result] = cost_ranges(_inputs(members, receipts), FY)
    table = result.table
    assert result.member_ids["10万円～50万円未満"] == ("a",)  # 60,000 + 40,000 円 = 10万円
    assert _row(table, "0円")[f"加入者数 {FY - 1}年度"] == 1
    assert _row(table, "1円～10万円未満")["加入者数 増減"] == -1
    assert _row(table, "合計")["医療費(円) 増減"] == 100_000 - 1_000
    assert any("1件" in note and "70円" in note for note in result.notes)


# --- 年齢階層・レセプト種別 (§2.2.3–2.2.4) ------------------------------------------------------------

def test_cost_by_age_bands_groups_and_zero_cost_members():
    members = _members(_adult("m39", 1, "1985-04-01"), _adult("m40", 1, "1985-03-31"),
                       _adult("d40", 2, "1985-03-31"), _adult("d40_free", 2, "1985-01-01"))
    receipts = _receipts(("r1", "m39", "202406", 2, 1_000), ("r2", "m40", "202406", 1, 3_000),
                         ("r3", "d40", "202406", 5, 500))
    by_age, by_type = cost_by_age_and_type(_inputs(members, receipts), FY)
    assert _row(by_age.table, "35-39歳")["組合員 医療費(円)"] == 10_000
    assert _row(by_age.table, "40-44歳")["組合員 1人あたり医療費(円)"] == 30_000
    assert _row(by_age.table, "40-44歳")["被扶養者 加入者数"] == 2
    assert _row(by_age.table, "40-44歳")["被扶養者 1人あたり医療費(円)"] == 2_500
    assert np.isnan(_row(by_age.table, "0-4歳")["全体 1人あたり医療費(円)"])
    assert _row(by_age.table, "合計")["全体 医療費(円)"] == 45_000
    assert list(by_type.table["レセプト種別"]) == ["医科入院", "医科入院外", "DPC", "歯科", "調剤", "合計"]
    assert _row(by_type.table, "医科入院")["件数"] == 1
    assert _row(by_type.table, "調剤")[f"構成割合(%) {FY}年度"] == pytest.approx(100 * 5_000 / 45_000, abs=0.05)
    assert _row(by_type.table, "合計")["1人あたり医療費(円)"] == 11_250


# --- ICD-10 大分類・生活習慣病 (§2.2.5–2.2.8) ------------------------------------------------------------

def test_icd10_allocation_to_main_else_first_diagnosis():
    members = _members(_adult("a"), _adult("b"))
    receipts = _receipts(("main", "a", "202406", 2, 1_000), ("first", "b", "202406", 2, 300),
                         ("pharmacy", "a", "202406", 5, 50))
    diagnoses = _diagnoses(receipts, ("main", "J06.9", 2), ("main", "K29.7", 1),
                           ("first", "D48", 2), ("first", "D50", 2))
    top, _ = icd10_top10(_inputs(members, receipts, diagnoses), FY)
    table = top.table.set_index("ICD10大分類")
    assert table.loc["消化器系の疾患", "医療費(円)"] == 10_000
    assert table.loc["新生物", "医療費(円)"] == 3_000  # D48 closes 新生物; the receipt's first row
    assert "呼吸器系の疾患" not in table.index and "血液及び造血器の疾患並びに免疫機構の障害" not in table.index
    assert table.loc["消化器系の疾患", "加入者あたり医療費(円)"] == 5_000
    assert list(top.table["順位"]) == [1, 2]
    assert top.member_ids["新生物"] == ("b",)
    assert any("500円" in note for note in top.notes)  # the 調剤 receipt without 傷病名


@pytest.mark.parametrize(("code", "group"), [
    ("E10", "糖尿病"), ("E14.9", "糖尿病"), ("E15", None), ("E78.5", "脂質異常症"), ("E77", None),
    ("I10", "高血圧症"), ("I15", "高血圧症"), ("I16", None), ("I19", None), ("I20", "虚血性心疾患"),
    ("I25", "虚血性心疾患"), ("I59", None), ("I60", "脳血管疾患"), ("I69", "脳血管疾患"), ("N16", None),
    ("N17", "腎不全"), ("N19", "腎不全"), ("C00", "がん"), ("C97", "がん"), ("D00", None),
])
def test_disease_group_ranges(code, group):
    members = _members(_adult("a"))
    receipts = _receipts(("r", "a", "202406", 2, 100))
    _, trend = icd10_top10(_inputs(members, receipts, _diagnoses(receipts, ("r", code, 1))), FY)
    costs = trend.table.set_index("疾病")[f"医療費(円) {FY}年度"]
    hit = {label.split(" ")[0] for label, value in costs.items() if value == 1_000}
    assert hit == ({group} if group else set())


def test_disease_trend_has_a_column_per_year_present():
    members = _members(_adult("a"))
    receipts = _receipts(("old", "a", "202306", 2, 100), ("new", "a", "202406", 2, 200))
    diagnoses = _diagnoses(receipts, ("old", "E11", 1), ("new", "E11", 1))
    _, trend = icd10_top10(_inputs(members, receipts, diagnoses), FY)
    diabetes = trend.table.set_index("疾病").iloc[0]
    assert (diabetes[f"医療費(円) {FY - 1}年度"], diabetes[f"医療費(円) {FY}年度"]) == (1_000, 2_000)


# --- 後発医薬品 数量シェア (§3.4.3–3.4.4) ---------------------------------------------------------------

MASTER = _master(("G", "x", "3"), ("GB", "x", "★"), ("B", "x", "2"), ("BW", "x", "☆"), ("N", "y", "1"))


def test_generic_share_counts_quantity_times_days_and_the_star_classes():
    members = _members(_adult("a"))
    receipts = _receipts(("p", "a", "202406", 5, 100), ("o", "a", "202406", 2, 100))
    drugs = _drugs(receipts, ("p", "G", 2.0, 14), ("p", "GB", 1.0, 2), ("p", "B", 1.0, 5), ("p", "BW", 1.0, 1),
                   ("p", "N", 9.0, 30), ("o", "B", 3.0, 1), ("o", "UNKNOWN", 5.0, 5))
    by_type, by_age = generic_share(_inputs(members, receipts, drug_lines=drugs, master=MASTER), FY)
    pharmacy = _row(by_type.table, "調剤")
    assert pharmacy[f"後発医薬品数量 {FY}年度"] == 30  # 2×14 + ★ 1×2
    assert pharmacy[f"後発品のある先発医薬品数量 {FY}年度"] == 6  # 1×5 + ☆ 1×1
    assert pharmacy[f"数量シェア(%) {FY}年度"] == round(100 * 30 / 36, 1)
    assert _row(by_type.table, "医科入院外")[f"数量シェア(%) {FY}年度"] == 0.0
    assert np.isnan(_row(by_type.table, "歯科")[f"数量シェア(%) {FY}年度"])
    assert _row(by_type.table, "全レセプト")[f"数量シェア(%) {FY}年度"] == round(100 * 30 / 39, 1)
    assert any("1件" in note for note in by_type.notes)  # the line missing from the master
    assert _row(by_age.table, "40-49歳")["組合員 数量シェア(%)"] == round(100 * 30 / 39, 1)
    assert by_age.member_ids["組合員 後発品のある先発医薬品の使用者"] == ("a",)


def test_generic_share_by_age_band_edges_and_groups():
    members = _members(_adult("m59", 1, "1965-04-01"), _adult("d60", 2, "1965-03-31"))
    receipts = _receipts(("r1", "m59", "202406", 5, 1), ("r2", "d60", "202406", 5, 1))
    drugs = _drugs(receipts, ("r1", "G", 1.0, 10), ("r2", "B", 1.0, 10))
    _, by_age = generic_share(_inputs(members, receipts, drug_lines=drugs, master=MASTER), FY)
    assert _row(by_age.table, "50-59歳")["組合員 数量シェア(%)"] == 100.0
    assert _row(by_age.table, "60-69歳")["被扶養者 数量シェア(%)"] == 0.0
    assert _row(by_age.table, "合計")["全体 数量シェア(%)"] == 50.0


# --- 多剤 (§3.4.5) -------------------------------------------------------------------------------------

def _poly_inputs(lines_by_member: dict[str, list[tuple]]) -> AnalysisInputs:
    """lines: (facility, ingredient, days, yyyymm) per member; one receipt per member, facility and month."""
    members = _members(*(_adult(m, 2 if m.startswith("d") else 1) for m in lines_by_member), _adult("no_drugs"))
    receipt_rows, drug_rows, ingredients = {}, [], set()
    for member, lines in lines_by_member.items():
        for facility, ingredient, days, month in lines:
            rid = f"{member}-{facility}-{month}"
            receipt_rows[rid] = (rid, member, month, 5, 100, facility, 1)
            drug_rows.append((rid, f"YJ{ingredient}", 1.0, days))
            ingredients.add(ingredient)
    receipts = _receipts(*receipt_rows.values())
    master = _master(*((f"YJ{i}", f"成分{i}", "3") for i in sorted(ingredients)))
    return _inputs(members, receipts, drug_lines=_drugs(receipts, *drug_rows), master=master)


def test_polypharmacy_boundaries():
    month = "202406"
    six = [("F1", i, 14, month) for i in range(6)]
    inputs = _poly_inputs({
        "at_six": six,
        "five_and_13_days": [("F1", i, 14, month) for i in range(5)] + [("F1", 5, 13, month)],
        "split_same_place": [("F1", i, 14, month) for i in range(5)] + [("F1", 5, 7, month), ("F1", 5, 7, month)],
        "split_two_places": [("F1", i, 14, month) for i in range(5)] + [("F1", 5, 7, month), ("F2", 5, 7, month)],
        "two_months": [("F1", i, 14, "202406") for i in range(3)] + [("F1", i, 14, "202407") for i in range(3, 6)],
        "d_seven": [("F2", i, 30, month) for i in range(7)],
    })
    [result] = polypharmacy(inputs, FY)
    assert set(result.member_ids["組合員 多剤服用者"]) == {"at_six", "split_same_place"}
    assert result.member_ids["被扶養者 多剤服用者"] == ("d_seven",)
    total = _row(result.table, "合計")
    assert (total["加入者数"], total["服薬者数"], total["多剤服用者数"]) == (7, 6, 3)
    assert _row(result.table, "組合員")["多剤服用者割合(%)"] == 40.0


# --- 頻回受診 (§3.4.6) -------------------------------------------------------------------------------

def test_frequent_visits_boundaries():
    rows = []
    for member, plan in {
        "three_at_12": [("F1", "202406", 12), ("F1", "202407", 12), ("F1", "202408", 12)],
        "one_at_11": [("F1", "202406", 12), ("F1", "202407", 11), ("F1", "202408", 12)],
        "other_place": [("F1", "202406", 12), ("F2", "202407", 12), ("F1", "202408", 12)],
        "gap": [("F1", "202404", 15), ("F1", "202405", 15), ("F1", "202407", 15)],
        "across_year": [("F1", "202402", 12), ("F1", "202403", 12), ("F1", "202404", 12)],
        "before_year": [("F1", "202401", 20), ("F1", "202402", 20), ("F1", "202403", 20)],
        "two_receipts": [("F1", "202410", 6), ("F1", "202410", 6), ("F1", "202411", 12), ("F1", "202412", 12)],
        "old_inpatient": [("F1", "202406", 12), ("F1", "202407", 12), ("F1", "202408", 12)],
    }.items():
        rows += [(f"{member}{i}", member, month, 1 if member == "old_inpatient" else 2, 10, facility, days)
                 for i, (facility, month, days) in enumerate(plan)]
    members = _members(*(_adult(m) for m in ("three_at_12", "one_at_11", "other_place", "gap", "before_year",
                                             "two_receipts", "old_inpatient")),
                       ("across_year", 1, "1959-04-01", "2000-04-01", None))
    [result] = frequent_visits(_inputs(members, _receipts(*rows)), FY)
    assert set(result.member_ids["合計 頻回受診者"]) == {"three_at_12", "across_year", "two_receipts"}
    assert result.member_ids["前期高齢者 頻回受診者"] == ("across_year",)  # 65 at the year end
    assert _row(result.table, "合計")["外来受診者数"] == 6  # not before_year, not old_inpatient


# --- はしご受診 (§3.4.7) -----------------------------------------------------------------------------

def test_doctor_shopping_boundaries_and_ranking():
    plan = {
        "three_places": [("F1", "202406", "J06.9"), ("F2", "202406", "J069"), ("F3", "202406", "J06.0")],
        "two_places": [("F1", "202406", "J06.9"), ("F2", "202406", "J06.9")],
        "two_months": [("F1", "202406", "J06.9"), ("F2", "202406", "J06.9"), ("F3", "202407", "J06.9")],
        "other_disease": [("F1", "202406", "J06.9"), ("F2", "202406", "J06.9"), ("F3", "202406", "K29")],
        "elder": [("F1", "202406", "M17"), ("F2", "202406", "M17"), ("F3", "202406", "M17.1")],
    }
    receipt_rows, diagnosis_rows = [], []
    for member, visits in plan.items():
        for i, (facility, month, code) in enumerate(visits):
            receipt_rows.append((f"{member}{i}", member, month, 2, 10, facility, 1))
            diagnosis_rows.append((f"{member}{i}", code, 1, "急性上気道炎" if code.startswith("J") else "膝関節症"))
    receipt_rows.append(("pharmacy", "two_places", "202406", 5, 10, "P1", 1))
    diagnosis_rows.append(("pharmacy", "J06.9", 1, "急性上気道炎"))
    members = _members(*(_adult(m) for m in plan if m != "elder"), ("elder", 1, "1955-01-01", "2000-04-01", None))
    receipts = _receipts(*receipt_rows)
    table, ranking = doctor_shopping(_inputs(members, receipts, _diagnoses(receipts, *diagnosis_rows)), FY)
    assert table.member_ids["合計 はしご受診者"] == ("elder", "three_places")
    assert _row(table.table, "65歳未満")["はしご受診者割合(%)"] == 25.0
    assert ranking.table.to_dict("records") == [
        {"区分": "65歳未満", "順位": 1, "同一傷病": "J06", "主な傷病名": "急性上気道炎", "実患者数": 1},
        {"区分": "前期高齢者", "順位": 1, "同一傷病": "M17", "主な傷病名": "膝関節症", "実患者数": 1},
    ]


def test_doctor_shopping_without_icd10_falls_back_to_the_disease_name():
    members = _members(_adult("a"))
    receipts = _receipts(*((f"r{i}", "a", "202406", 2, 10, f"F{i}", 1) for i in range(3)))
    diagnoses = _diagnoses(receipts, ("r0", None, 1, "腰痛症"), ("r1", None, 1, "腰痛症"), ("r2", None, 1, "頭痛"))
    table, _ = doctor_shopping(_inputs(members, receipts, diagnoses), FY)
    assert _row(table.table, "合計")["はしご受診者数"] == 0
    diagnoses = _diagnoses(receipts, ("r0", None, 1, "腰痛症"), ("r1", None, 1, "腰痛症"), ("r2", None, 1, "腰痛症"))
    table, ranking = doctor_shopping(_inputs(members, receipts, diagnoses), FY)
    assert table.member_ids["合計 はしご受診者"] == ("a",)
    assert ranking.table["同一傷病"].tolist() == ["腰痛症"]


# --- smoke run on the demo union ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_inputs() -> AnalysisInputs:
    union = generate_union(members=2000, seed=11)
    months = union.receipts["service_month"]
    receipts = union.receipts.assign(fiscal_year=pd.array(
        months.str[:4].astype(int) - (months.str[4:].astype(int) < 4), dtype="Int64"))
    return AnalysisInputs(union.members, union.checkups, receipts, _carry(union.diagnoses, receipts),
                          _carry(union.drug_lines, receipts), union.drug_master)


def test_smoke_on_the_demo_union(demo_inputs):
    analyses = [cost_ranges, cost_by_age_and_type, icd10_top10, generic_share, polypharmacy, frequent_visits,
                doctor_shopping]
    tables = [t for analysis in analyses for t in analysis(demo_inputs, 2024)]
    assert [t.key for t in tables] == [
        "cost_ranges", "cost_by_age", "cost_by_type", "icd10_top10", "disease_cost_trend", "generic_share_by_type",
        "generic_share_by_age", "polypharmacy", "frequent_visits", "doctor_shopping", "doctor_shopping_diseases"]
    by_key = {t.key: t for t in tables}
    ranges_total = _row(by_key["cost_ranges"].table, "合計")["医療費(円) 2024年度"]
    assert ranges_total == _row(by_key["cost_by_type"].table, "合計")["医療費(円)"] > 0
    assert ranges_total == _row(by_key["cost_by_age"].table, "合計")["全体 医療費(円)"]
    assert len(by_key["icd10_top10"].table) == 10
    assert 50 < _row(by_key["generic_share_by_type"].table, "全レセプト")["数量シェア(%) 2024年度"] <= 100
    assert 0 < _row(by_key["polypharmacy"].table, "合計")["多剤服用者数"]
    assert all(t.notes and t.seed_section for t in tables)


# --- the workspace's shape: claim_id instead of receipt_id, years in any order, shared derivations ----

def _as_the_store_hands_them(frame: pd.DataFrame, receipts: pd.DataFrame) -> pd.DataFrame:
    """The frame with the store's integer claim_id in place of the text receipt_id."""
    claim_ids = pd.Series(np.arange(1, len(receipts) + 1) * 10, index=receipts["receipt_id"].to_numpy())
    return frame.assign(claim_id=pd.array(claim_ids[frame["receipt_id"].to_numpy()].to_numpy(), dtype="Int64")
                        ).drop(columns="receipt_id")


def _two_year_claims():
    members = _members(_adult("a"), _adult("b"), ("old", 1, "1950-01-01", "2000-04-01", "2024-04-01"))
    receipts = _receipts(("r1", "a", "202406", 2, 1_000, "F1", 3), ("r2", "b", "202406", 2, 300, "F2", 1),
                         ("r3", "a", "202306", 2, 700, "F1", 2), ("r4", "old", "202406", 5, 50, "F3", 1),
                         ("r5", "a", "202407", 5, 90, "F3", 1))
    diagnoses = _diagnoses(receipts, ("r1", "J06.9", 2), ("r1", "K29.7", 1), ("r2", "D48", 2),
                           ("r3", "E11.9", 1), ("r4", "I10", 1))
    drugs = _drugs(receipts, ("r5", "2149001F1", 2.0, 28), ("r5", "3969001F1", 1.0, 28), ("r4", "2149001F1", 1.0, 7))
    master = _master(("2149001F1", "x", "2"), ("3969001F1", "y", "1"))
    return members, receipts, diagnoses, drugs, master


@pytest.mark.parametrize("analysis", [cost_ranges, cost_by_age_and_type, icd10_top10, generic_share, polypharmacy,
                                      frequent_visits, doctor_shopping])
def test_the_workspace_shape_gives_the_same_tables(analysis):
    members, receipts, diagnoses, drugs, master = _two_year_claims()
    by_text = analysis(AnalysisInputs(members, pd.DataFrame(), receipts, diagnoses, drugs, master), FY)
    shuffled = receipts.iloc[[4, 2, 0, 3, 1]]  # 年度 not in order: the rows are selected by mask, not sliced
    stored = AnalysisInputs(members, pd.DataFrame(), _as_the_store_hands_them(shuffled, receipts),
                            _as_the_store_hands_them(diagnoses, receipts), _as_the_store_hands_them(drugs, receipts),
                            master)
    by_id = analysis(stored, FY)
    assert [t.key for t in by_id] == [t.key for t in by_text]
    for ours, theirs in zip(by_id, by_text, strict=True):
        pd.testing.assert_frame_equal(ours.table, theirs.table)
        assert ours.member_ids == theirs.member_ids and ours.notes == theirs.notes


def test_of_year_slices_a_frame_in_year_order_and_masks_one_out_of_order():
    _, receipts, _, _, _ = _two_year_claims()
    ordered = receipts.sort_values("fiscal_year", kind="stable")
    assert year_rows(ordered, 2024) == slice(1, 5) and year_rows(ordered, 2022) == slice(0, 0)
    assert year_rows(receipts, 2024).tolist() == [True, True, False, True, True]
    assert of_year(ordered, 2024, ["receipt_id"], claim_type=5)["receipt_id"].tolist() == ["r4", "r5"]
    assert of_year(receipts, 2023, ["receipt_id"])["receipt_id"].tolist() == ["r3"]


def test_a_years_population_and_receipts_are_derived_once_per_inputs():
    members, receipts, diagnoses, drugs, master = _two_year_claims()
    inputs = AnalysisInputs(members, pd.DataFrame(), receipts, diagnoses, drugs, master)
    assert year_population(inputs, FY) is year_population(inputs, FY)
    kept, note = year_receipts(inputs, FY)
    assert kept is year_receipts(inputs, FY)[0]
    assert kept["receipt_id"].tolist() == ["r1", "r2", "r5"] and "1件" in note  # r4: 資格喪失 before the year
    assert year_population(inputs, FY - 1).index.tolist() == ["a", "b", "old"]


def test_member_rows_find_a_years_members_like_positions_and_hash_the_ids_once():
    members, receipts, diagnoses, drugs, master = _two_year_claims()
    inputs = AnalysisInputs(members, pd.DataFrame(), receipts, diagnoses, drugs, master)
    pop = year_population(inputs, FY)
    part = of_year(receipts, FY, ["member_id"])
    found = member_rows(inputs, "receipts", part, FY)
    assert found.tolist() == positions(part["member_id"], pop.index).tolist()
    assert sorted(set(found.tolist())) == [-1, 0, 1]  # r4's member lost 資格 before the year
    assert ("member_codes", "receipts") in inputs.derived  # the frame's ids, hashed once for every year
    shuffled = AnalysisInputs(members, pd.DataFrame(), receipts.iloc[::-1], diagnoses, drugs, master)
    part = of_year(shuffled.receipts, FY, ["member_id"])
    assert member_rows(shuffled, "receipts", part, FY).tolist() == positions(part["member_id"], pop.index).tolist()


def test_distinct_rows_is_np_unique_of_positions():
    rows = np.array([4, 0, 4, 2, 0])
    assert distinct_rows(rows, 6).tolist() == np.unique(rows).tolist() == [0, 2, 4]
    assert distinct_rows(np.empty(0, dtype="int64"), 3).tolist() == []
