"""Claims (レセプト): receipts, diagnoses (傷病名), drug lines (医薬品) and procedures (診療行為) from encounters.

A prescription from a clinic without its own dispensary becomes a 調剤 receipt at the pharmacy it usually goes
to; receipts of one person, month, facility and type are merged into one, as a real claim would be.
レセプト種別 follows the 記録条件仕様 code table (e.g. 1112 医科・医保単独・本人・入院外, 1114 未就学者,
1116 家族, 1118 高齢受給者一般, 4116 調剤・家族).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.fields import DIAGNOSES, DRUG_LINES, PROCEDURES, RECEIPTS
from dhdesk.core.synthetic.catalogue import Catalogue
from dhdesk.core.synthetic.conditions import REGIMENS, Conditions
from dhdesk.core.synthetic.encounters import (ACUTE, ACUTE_DISEASES, CHRONIC, DENTAL, INPATIENT, INPATIENT_DISEASES,
                                              Encounters)
from dhdesk.core.synthetic.facilities import Facilities
from dhdesk.core.synthetic.health import NEVER, Health
from dhdesk.core.synthetic.people import Population
from dhdesk.core.synthetic.period import Window, age_on, fiscal_year_of, make_dates, ymd
from dhdesk.core.synthetic.reference import Reference
from dhdesk.core.synthetic.typed import typed_frame

MEDICAL_INPATIENT, MEDICAL_OUTPATIENT, DPC, DENTAL_CLAIM, PHARMACY = 1, 2, 3, 4, 5
# Acute drugs: disease key → [(therapy, probability)]; children only get CHILD_THERAPIES (cough → child_cough).
ACUTE_DRUGS = {
    "urti": (("cough", 0.7), ("pain", 0.35)), "influenza": (("cough", 0.5), ("pain", 0.4)),
    "bronchitis": (("cough", 0.8), ("antibiotic", 0.5)), "otitis_media": (("cough", 0.3),),
    "gastroenteritis": (("acid", 0.25),), "asthma": (("allergy", 0.9),), "atopic_dermatitis": (("allergy", 0.4),),
    "eczema": (("allergy", 0.3),), "conjunctivitis": (), "low_back_pain": (("pain", 0.8), ("patch", 0.6), ("stomach", 0.4)),
    "gastritis": (("acid", 0.7), ("stomach", 0.5)), "rhinitis": (("allergy", 0.9),), "knee_oa": (("pain", 0.6), ("patch", 0.7)),
}
CHILD_THERAPIES = {"cough": "child_cough", "allergy": "allergy"}
INPATIENT_POINTS = {"pneumonia": 45_000, "appendicitis": 50_000, "fracture": 60_000, "threatened_preterm": 55_000,
                    "cerebral_infarction": 90_000, "gastric_cancer": 80_000, "colon_cancer": 80_000, "lung_cancer": 80_000}
HEAVY_POINTS = 150_000
DIABETES_UNSPECIFIED = 0.3  # diabetics whose clinic records 糖尿病 (coded 2500013) rather than 2型糖尿病
NEPHROPATHY_LATENT = 1.0
CKD_LATENT = 1.8
DENTAL_KEYS = ("dental_caries", "periodontitis", "pulpitis")
FIRST_VISIT = 0.6
CHRONIC_DAYS = 28  # long-term prescriptions: 4 weeks per month of supply
WEEKLY_DOSES = 5  # catalogue usual_days below this are doses per 4 weeks (e.g. methotrexate), kept as is
MANAGEMENT_POINTS = 225  # 特定疾患療養管理料 etc. on a chronic visit (not itemised)


@dataclass(frozen=True)
class Claims:
    """The four claim tables, joined by レセプト番号."""

    receipts: pd.DataFrame
    diagnoses: pd.DataFrame
    drug_lines: pd.DataFrame
    procedures: pd.DataFrame


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR ranges: the owner row of every element and the element's position."""
    owner = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, starts[owner] + within


def _points(yen: np.ndarray) -> np.ndarray:
    """Yen to points, 五捨五超入 with a floor of 1 point (15 円以下 = 1 点)."""
    return np.maximum(np.ceil(yen / 10 - 0.5), 1).astype(np.int64)


@dataclass(frozen=True)
class _Lines:
    encounter: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    days: np.ndarray
    points: np.ndarray


def _drug_lines(pop: Population, enc: Encounters, conditions: Conditions, catalogue: Catalogue, window: Window,
                rng: np.random.Generator) -> _Lines:
    """Regimen lines at chronic visits (while each condition is treated) and short courses for acute episodes."""
    chronic = np.flatnonzero(enc.kind == CHRONIC)
    person = enc.person[chronic]
    starts = conditions.offsets[person]
    owner, line = _expand(starts, conditions.offsets[person + 1] - starts)
    encounter = chronic[owner]
    month = enc.month[encounter]
    month_of_year = (month + window.start.astype("datetime64[M]").astype(int)) % 12 + 1
    keep = np.zeros(len(line), dtype=bool)
    for c, name in enumerate(conditions.names):
        mine = conditions.line_condition[line] == c
        keep[mine] = conditions.active(name, month[mine], enc.person[encounter[mine]], month_of_year[mine])
    encounter, product = encounter[keep], conditions.line_product[line[keep]]
    supply = enc.cycle[encounter]
    n_chronic = len(encounter)

    acute = np.flatnonzero(enc.kind == ACUTE)
    child = age_on(pop.birth[enc.person[acute]], window.month_starts[enc.month[acute]]) < 15
    extra_encounter, extra_product = [], []
    keys = [key for key, *_ in ACUTE_DISEASES]
    for d, key in enumerate(keys):
        for therapy, probability in ACUTE_DRUGS[key]:
            kid_therapy = CHILD_THERAPIES.get(therapy)
            for is_child, use in ((False, therapy), (True, kid_therapy)):
                if use is None:
                    continue
                chosen = acute[(enc.disease[acute] == d) & (child == is_child) & (rng.random(len(acute)) < probability)]
                options = catalogue.groups_for(use)
                group = options[rng.integers(0, len(options), len(chosen))]
                brand = rng.random(len(chosen)) < conditions.brand_p[enc.person[chosen]]
                extra_encounter.append(chosen)
                extra_product.append(catalogue.pick_product(group, brand, rng.random(len(chosen))))
    encounter = np.concatenate([encounter, *extra_encounter])
    product = np.concatenate([product, *extra_product])
    supply = np.concatenate([supply, np.ones(len(encounter) - len(supply), dtype=int)])

    usual = catalogue.usual_days[product]
    long_term = np.arange(len(product)) < n_chronic
    per_course = usual == 1
    daily = np.where(long_term & (usual >= WEEKLY_DOSES), np.maximum(usual, CHRONIC_DAYS), usual)
    quantity = catalogue.units_per_day[product] * np.where(per_course, supply, 1)
    days = np.where(per_course, 1, daily * supply)
    points = _points(catalogue.price[product] * quantity) * days
    return _Lines(encounter, product, quantity, days, points)


def generate_claims(pop: Population, health: Health, conditions: Conditions, enc: Encounters,
                    facilities: Facilities, catalogue: Catalogue, reference: Reference, window: Window,
                    rng: np.random.Generator) -> Claims:
    """The RECEIPTS, DIAGNOSES, DRUG_LINES and PROCEDURES frames."""
    lines = _drug_lines(pop, enc, conditions, catalogue, window, rng)
    n_enc = len(enc.person)
    dispensed_outside = ~facilities.in_house[enc.facility]
    has_drugs = np.bincount(lines.encounter, minlength=n_enc) > 0
    to_pharmacy = has_drugs & dispensed_outside & np.isin(enc.kind, (CHRONIC, ACUTE))

    # raw receipts: every encounter, then one pharmacy receipt per prescribing encounter
    hospital_dpc = (np.arange(len(facilities.kind)) % 2 == 0) & (facilities.kind == "hospital")
    claim_type = np.select(
        [enc.kind == DENTAL, enc.kind == INPATIENT],
        [DENTAL_CLAIM, np.where(hospital_dpc[enc.facility], DPC, MEDICAL_INPATIENT)], MEDICAL_OUTPATIENT)
    pharmacy_of = np.flatnonzero(to_pharmacy)
    raw_person = np.concatenate([enc.person, enc.person[pharmacy_of]])
    raw_month = np.concatenate([enc.month, enc.month[pharmacy_of]])
    raw_facility = np.concatenate([enc.facility, facilities.pharmacy[enc.facility[pharmacy_of]]])
    raw_type = np.concatenate([claim_type, np.full(len(pharmacy_of), PHARMACY)])
    raw_day = np.concatenate([enc.day, np.minimum(enc.day[pharmacy_of] + (rng.random(len(pharmacy_of)) < 0.1), 27)])
    raw_visits = np.concatenate([enc.visits, np.ones(len(pharmacy_of), dtype=int)])
    pharmacy_raw = np.full(n_enc, -1)
    pharmacy_raw[pharmacy_of] = n_enc + np.arange(len(pharmacy_of))
    line_raw = np.where(to_pharmacy[lines.encounter], pharmacy_raw[lines.encounter], lines.encounter)

    proc = _procedures(enc, to_pharmacy, facilities, reference, rng)
    raw_points = _raw_points(enc, reference, lines, line_raw, proc, n_enc, len(raw_person), rng)

    key = ((raw_person.astype(np.int64) * len(window.month_starts) + raw_month) * len(facilities.kind)
           + raw_facility) * 8 + raw_type
    unique_keys, first, receipt_of_raw = np.unique(key, return_index=True, return_inverse=True)
    n_receipts = len(unique_keys)
    r_person, r_month, r_type = raw_person[first], raw_month[first], raw_type[first]
    month_days = ymd((window.month_starts + 31).astype("datetime64[M]").astype("datetime64[D]") - 1)[2]
    days = np.minimum(np.bincount(receipt_of_raw, weights=raw_visits, minlength=n_receipts), month_days[r_month])
    points = np.bincount(receipt_of_raw, weights=raw_points, minlength=n_receipts).astype(np.int64)

    order = np.lexsort((r_person, r_type, r_month))
    rank = np.empty(n_receipts, dtype=np.int64)
    rank[order] = np.arange(n_receipts)
    yyyymm = pd.Series(window.month_starts.astype("datetime64[M]")).dt.strftime("%Y%m").to_numpy(dtype=object)
    receipt_id = yyyymm[r_month] + pd.Series(rank + 1).map("{:08d}".format).to_numpy(dtype=object)
    public = _public_expense(conditions, r_person, r_month, r_type, rng.random(pop.size) < 0.5)

    receipts = typed_frame(RECEIPTS, {
        "receipt_id": receipt_id, "member_id": pop.member_id[r_person], "service_month": yyyymm[r_month],
        "claim_type": r_type, "receipt_kind": _receipt_kind(pop, r_person, r_month, r_type, public, window),
        "facility_code": facilities.code[raw_facility[first]], "facility_name": facilities.name[raw_facility[first]],
        "days": days, "points": points, "public_expense": np.where(public, 1, 2),
    }, n_receipts).iloc[order].reset_index(drop=True)

    visit_date = window.month_starts[raw_month] + raw_day
    drug_lines = typed_frame(DRUG_LINES, {
        "receipt_id": receipt_id[receipt_of_raw[line_raw]], "drug_code": catalogue.receipt_code[lines.product],
        "yj_code": catalogue.products["yj_code"].to_numpy(dtype=object)[lines.product],
        "drug_name": catalogue.products["product_name"].to_numpy(dtype=object)[lines.product],
        "quantity": lines.quantity, "days": lines.days, "points": lines.points,
        "dispensed_date": visit_date[line_raw],
    }, len(line_raw))
    procedures = typed_frame(PROCEDURES, {
        "receipt_id": receipt_id[receipt_of_raw[proc["raw"]]], "procedure_code": proc["code"],
        "procedure_name": proc["name"], "points": proc["points"], "times": proc["times"],
    }, len(proc["raw"]))
    diagnoses = _diagnoses(pop, health, conditions, enc, reference, window, receipt_id[receipt_of_raw[:n_enc]],
                           visit_date[:n_enc], rng)
    return Claims(receipts, diagnoses, drug_lines.sort_values("receipt_id", kind="stable").reset_index(drop=True),
                  procedures.sort_values("receipt_id", kind="stable").reset_index(drop=True))


def _public_expense(conditions: Conditions, person: np.ndarray, month: np.ndarray, claim_type: np.ndarray,
                    entitled: np.ndarray) -> np.ndarray:
    """自立支援医療 (精神通院) for entitled depression patients, on their 医科 and 調剤 outpatient receipts."""
    until = conditions.treated_until["depression"][person]
    treated = (conditions.treated_from["depression"][person] <= month) & (month < until)
    return treated & entitled[person] & np.isin(claim_type, (MEDICAL_OUTPATIENT, PHARMACY))


def _receipt_kind(pop: Population, person: np.ndarray, month: np.ndarray, claim_type: np.ndarray,
                  public: np.ndarray, window: Window) -> np.ndarray:
    """4-digit レセプト種別: 医科1/歯科3/調剤4, 医保, 単独1/公費併用2, then 本人・未就学者・家族・高齢受給者 × 入院/外来."""
    month_start = window.month_starts[month]
    birth = pop.birth[person]
    by, bm, bd = ymd(birth)
    sixth = make_dates(by + 6, bm, bd) - 1
    school = make_dates(fiscal_year_of(sixth) + 1, np.full(len(person), 4))
    seventy = make_dates(by + 70, bm, bd)
    elderly_from = np.where(bd == 1, seventy, (seventy.astype("datetime64[M]") + 1).astype("datetime64[D]"))
    head_birth = pop.birth[pop.head[person]]
    full_share = age_on(head_birth, month_start) >= 70  # 現役並み: a working 組合員 aged 70–74
    category = np.select(
        [month_start < school, month_start >= elderly_from, pop.relation[person] == 1],
        [1, np.where(full_share, 4, 3), 0], 2)
    inpatient = np.isin(claim_type, (MEDICAL_INPATIENT, DPC))
    last_digit = np.where(inpatient, np.array([1, 3, 5, 7, 9])[category], np.array([2, 4, 6, 8, 0])[category])
    first_digit = np.select([claim_type == DENTAL_CLAIM, claim_type == PHARMACY], [3, 4], 1)
    code = first_digit * 1000 + 100 + np.where(public, 20, 10) + last_digit
    return code.astype(str).astype(object)


def _procedures(enc: Encounters, to_pharmacy: np.ndarray, facilities: Facilities, reference: Reference,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Itemised 診療行為 on 医科外来 receipts: 初診/再診, 処方箋料, periodic labs, CRP, X-ray, injections."""
    table = reference.procedures
    role = table["role"].to_numpy(dtype=object)
    code = table["procedure_code"].to_numpy(dtype=object)
    name = table["procedure_name"].to_numpy(dtype=object)
    points = table["points"].astype(int).to_numpy()
    index = {r: np.flatnonzero(role == r) for r in np.unique(role)}
    n = len(enc.person)
    u = rng.random((4, n))
    outpatient = np.isin(enc.kind, (CHRONIC, ACUTE))
    first_visit = (enc.kind == ACUTE) & (u[0] < FIRST_VISIT)
    acute_key = np.array([key for key, *_ in ACUTE_DISEASES] + [""], dtype=object)[np.where(enc.kind == ACUTE, enc.disease, -1)]
    kind = facilities.kind[enc.facility]
    lab_month = (enc.kind == CHRONIC) & ((enc.month + enc.person) % 3 == 0)
    parts = [
        (outpatient & first_visit, index["first_visit"], 1),
        (outpatient & ~first_visit, index["return_visit"], None),
        (to_pharmacy, index["prescription"], 1),
        (lab_month, np.concatenate([index["lab"], index["lab_judgement"]]), 1),
        ((enc.kind == ACUTE) & np.isin(kind, ("internal", "pediatric")) & (u[1] < 0.25), index["acute_lab"], 1),
        ((enc.kind == ACUTE) & (kind == "orthopedic") & (u[2] < 0.5), index["xray"], 1),
        ((enc.kind == ACUTE) & (u[3] < 0.05) & (acute_key != "conjunctivitis"), index["injection"], 1),
    ]
    raws, items, times = [], [], []
    for mask, rows, fixed in parts:
        raw = np.repeat(np.flatnonzero(mask), len(rows))
        item = np.tile(rows, int(mask.sum()))
        raws.append(raw)
        items.append(item)
        times.append(np.ones(len(raw), dtype=int) if fixed else enc.visits[raw])
    raw = np.concatenate(raws)
    item = np.concatenate(items)
    return {"raw": raw, "code": code[item], "name": name[item], "points": points[item],
            "times": np.concatenate(times), "line_points": points[item] * np.concatenate(times)}


def _raw_points(enc: Encounters, reference: Reference, lines: _Lines, line_raw: np.ndarray,
                proc: dict[str, np.ndarray], n_enc: int, n_raw: int, rng: np.random.Generator) -> np.ndarray:
    """Total points per raw receipt: itemised lines plus what is not itemised, with a long tail for admissions."""
    drug = np.bincount(line_raw, weights=lines.points, minlength=n_raw)
    procedures = np.bincount(proc["raw"], weights=proc["line_points"], minlength=n_raw)
    total = drug + procedures
    noise = rng.lognormal(0.0, 0.6, n_raw)
    kind = np.concatenate([enc.kind, np.full(n_raw - n_enc, -1)])
    keys = np.array([key for key, *_ in INPATIENT_DISEASES], dtype=object)
    inpatient = kind == INPATIENT
    median = np.zeros(n_raw)
    disease = np.concatenate([enc.disease, np.full(n_raw - n_enc, -1)])
    median[inpatient] = [INPATIENT_POINTS[k] for k in keys[disease[inpatient]]]
    heavy = np.concatenate([enc.heavy, np.zeros(n_raw - n_enc, dtype=bool)])
    median = np.where(heavy, HEAVY_POINTS, median)
    visits = np.concatenate([enc.visits, np.ones(n_raw - n_enc, dtype=int)])
    extra = np.select(
        [kind == CHRONIC, kind == ACUTE, kind == DENTAL, inpatient],
        [MANAGEMENT_POINTS + 150 * noise, 180 * noise * np.sqrt(visits), 700 * noise * np.sqrt(visits), median * noise],
        114 + 100 * rng.random(n_raw))
    return np.round(total + extra)


def _diagnoses(pop: Population, health: Health, conditions: Conditions, enc: Encounters, reference: Reference,
               window: Window, receipt_id: np.ndarray, visit_date: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """傷病名 rows: treated chronic conditions at chronic visits, the episode's disease otherwise (調剤 has none)."""
    n = len(enc.person)
    month_of_year = (enc.month + window.start.astype("datetime64[M]").astype(int)) % 12 + 1
    keys_out, enc_out, start_out, suspected_out = [], [], [], []
    chronic = np.flatnonzero(enc.kind == CHRONIC)
    kidney = health.latent["kidney"][:, 0]
    plain_diabetes = rng.random(pop.size) < DIABETES_UNSPECIFIED
    onsets = {name: _onset_dates(conditions.treated_from[name], window, rng) for name in conditions.names}
    for name in conditions.names:
        on = chronic[conditions.active(name, enc.month[chronic], enc.person[chronic], month_of_year[chronic])]
        person = enc.person[on]
        onset = onsets[name][person]
        disease = np.full(len(on), REGIMENS[name][0], dtype=object)
        if name == "glucose":
            disease = np.where(plain_diabetes[person], "diabetes", disease)
            nephropathy = on[kidney[person] > NEPHROPATHY_LATENT]
            keys_out.append(np.full(len(nephropathy), "diabetic_nephropathy", dtype=object))
            enc_out.append(nephropathy)
            start_out.append(onset[kidney[person] > NEPHROPATHY_LATENT])
            suspected_out.append(np.zeros(len(nephropathy), dtype=bool))
        if name == "bp":
            ckd = on[(kidney[person] > CKD_LATENT)]
            keys_out.append(np.full(len(ckd), "ckd", dtype=object))
            enc_out.append(ckd)
            start_out.append(onset[kidney[person] > CKD_LATENT])
            suspected_out.append(np.zeros(len(ckd), dtype=bool))
        keys_out.append(disease)
        enc_out.append(on)
        start_out.append(onset)
        suspected_out.append(np.zeros(len(on), dtype=bool))

    acute_keys = np.array([key for key, *_ in ACUTE_DISEASES], dtype=object)
    inpatient_keys = np.array([key for key, *_ in INPATIENT_DISEASES], dtype=object)
    acute = np.flatnonzero(enc.kind == ACUTE)
    inpatient = np.flatnonzero(enc.kind == INPATIENT)
    dental = np.flatnonzero(enc.kind == DENTAL)
    second = acute[rng.random(len(acute)) < 0.25]
    dental_two = dental[rng.random(len(dental)) < 0.4]
    dental_all = np.concatenate([dental, dental_two])
    for keys, rows, suspected in (
        (acute_keys[enc.disease[acute]], acute, np.zeros(len(acute), dtype=bool)),
        (acute_keys[rng.integers(0, 3, len(second))], second, rng.random(len(second)) < 0.4),
        (inpatient_keys[enc.disease[inpatient]], inpatient, np.zeros(len(inpatient), dtype=bool)),
        (np.array(DENTAL_KEYS, dtype=object)[rng.integers(0, len(DENTAL_KEYS), len(dental_all))], dental_all,
         np.zeros(len(dental_all), dtype=bool)),
    ):
        keys_out.append(keys)
        enc_out.append(rows)
        start_out.append(visit_date[rows] - np.where(enc.kind[rows] == DENTAL, rng.integers(0, 60, len(rows)), 0))
        suspected_out.append(suspected)

    keys = np.concatenate(keys_out)
    rows = np.concatenate(enc_out)
    frame = pd.DataFrame({"receipt": receipt_id[rows], "key": keys, "start": np.concatenate(start_out),
                          "suspected": np.concatenate(suspected_out), "raw": rows})
    frame = frame.drop_duplicates(["receipt", "key"]).reset_index(drop=True)
    is_main = ~frame["receipt"].duplicated()
    table = reference.diseases.loc[frame["key"].to_numpy()]
    code = table["disease_code"].to_numpy(dtype=object)
    return typed_frame(DIAGNOSES, {
        "receipt_id": frame["receipt"].to_numpy(dtype=object), "disease_code": np.where(code == "", None, code),
        "disease_name": table["disease_name"].to_numpy(dtype=object), "icd10": table["icd10"].to_numpy(dtype=object),
        "start_date": frame["start"].to_numpy(), "is_main": np.where(is_main, 1, 2),
        "is_suspected": np.where(frame["suspected"], 1, 2),
    }, len(frame)).sort_values("receipt_id", kind="stable").reset_index(drop=True)


def _onset_dates(treated_from: np.ndarray, window: Window, rng: np.random.Generator) -> np.ndarray:
    """診療開始日 of a condition per person: in the first treated month, or up to ten years before the window."""
    persons = len(treated_from)
    before = window.start - (30 + rng.integers(0, 3650, persons))
    first_month = window.month_starts[np.clip(treated_from, 0, len(window.month_starts) - 1)]
    in_window = (treated_from >= 0) & (treated_from < NEVER)
    return np.where(in_window, first_month + rng.integers(0, 28, persons), before)
