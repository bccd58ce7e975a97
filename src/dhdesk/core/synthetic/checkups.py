"""Yearly checkups (特定健診・事業者健診): who attends when and where, correlated values, the 22 questions.

Calibrated on seed 004 §3.1 and §3.6: 組合員 attend ≈ 96%, 被扶養者 ≈ 66% with ≈ 25% never attending in
three years; among 組合員 40+ the risk rates are ≈ 肥満 32.7%, 血圧 31.2%, 脂質 14.7%, 血糖 27.1%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.synthetic.health import Health
from dhdesk.core.synthetic.people import HEAD, MALE, Population
from dhdesk.core.synthetic.period import OPEN_END, Window, age_on, make_dates
from dhdesk.core.synthetic.questionnaire import answers
from dhdesk.core.synthetic.sampling import categorical
from dhdesk.core.synthetic.typed import typed_frame

CLINIC_A, BUS, DOCK = 0, 1, 2
CLINICS = ("みなと健診センター", "東海ヘルスケア協会 巡回健診", "みなと中央病院 人間ドック")
# Exam month weights, April first (職員健診 in early summer, 巡回バス健診 in autumn, 人間ドック all year).
EXAM_MONTHS = {
    CLINIC_A: (2, 10, 14, 12, 4, 8, 10, 8, 6, 3, 2, 1),
    BUS: (0, 0, 0, 0, 0, 25, 30, 30, 15, 0, 0, 0),
    DOCK: (6, 8, 9, 9, 7, 9, 10, 10, 9, 8, 8, 7),
}
# Share of draws that are 空腹時 (2), 随時 (3), 食直後 (4) by venue.
BLOOD_TIMING = {CLINIC_A: (0.78, 0.19, 0.03), BUS: (0.62, 0.35, 0.03), DOCK: (0.98, 0.02, 0.0)}
# Attendance classes (always, sometimes, never) and the yearly chance of "sometimes" (seed §3.1.2, §3.1.5).
ATTENDANCE = {"member": (0.93, 0.06, 0.01), "dependant": (0.55, 0.22, 0.23)}
SOMETIMES = 0.5
YOUNG_MEMBER_RECORD = ((35, 0.15), (40, 0.5))  # 事業者健診 results received for 組合員 under 40
DOCK_SHARE = {"member_40": 0.35, "member_young": 0.05, "dependant": 0.2}

NO_BLOOD = 0.01
HBA1C_ONLY = 0.06
NO_HBA1C = 0.1
ANAEMIA_TESTED = 0.3
CREATININE_TESTED = 0.75
WAIST_MISSING = 0.005


def _schedule(pop: Population, window: Window, rng: np.random.Generator) -> pd.DataFrame:
    """One row per (person, fiscal year) with an exam: person index, year index, exam date and venue."""
    n = pop.size
    member = pop.relation == 1
    kind = np.where(member, 0, 1)
    probabilities = np.array([ATTENDANCE["member"], ATTENDANCE["dependant"]])[kind]
    attendance_class = categorical(rng.random(n), probabilities)
    young_draw = rng.random(n)
    age_end0 = age_on(pop.birth, window.start + 364)
    dock_p = np.where(member, np.where(age_end0 >= 40, DOCK_SHARE["member_40"], DOCK_SHARE["member_young"]),
                      DOCK_SHARE["dependant"])
    venue = np.where(rng.random(n) < dock_p, DOCK, np.where(member, CLINIC_A, BUS))
    venue = np.where((pop.role == HEAD) & (pop.voluntary_from <= window.start), BUS, venue)

    frames = []
    for k, year in enumerate(window.fiscal_years):
        fy_start = window.fiscal_year_start(year)
        fy_end = window.fiscal_year_start(year + 1)
        age_fy_end = age_on(pop.birth, fy_end - 1)
        young_p = np.select([age_fy_end < YOUNG_MEMBER_RECORD[0][0], age_fy_end < YOUNG_MEMBER_RECORD[1][0]],
                            [YOUNG_MEMBER_RECORD[0][1], YOUNG_MEMBER_RECORD[1][1]], 1.0)
        eligible = (age_fy_end >= 40) | (member & (age_fy_end >= 18) & (young_draw < young_p))
        attends = (attendance_class == 1) | ((attendance_class == 2) & (rng.random(n) < SOMETIMES))
        month_weights = np.array([EXAM_MONTHS[v] for v in (CLINIC_A, BUS, DOCK)], dtype=float)
        month_weights /= month_weights.sum(axis=1, keepdims=True)
        month_index = categorical(rng.random(n), month_weights[venue]) - 1
        month = (month_index + 3) % 12 + 1
        exam = make_dates(year + (month < 4), month, rng.integers(1, 29, n))
        lo = np.maximum(pop.start + 14, fy_start)
        hi = np.minimum(np.where(pop.end == OPEN_END, fy_end, pop.end) - 14, fy_end - 1)
        exam = np.clip(exam, lo, np.maximum(lo, hi))
        sunday = exam.astype(int) % 7 == 3  # 1970-01-04 was a Sunday: clinics are closed
        exam = np.where(sunday, np.where(exam + 1 <= hi, exam + 1, exam - 1), exam)
        ok = eligible & attends & (lo <= hi) & (age_on(pop.birth, exam) < 75)
        person = np.flatnonzero(ok)
        frames.append(pd.DataFrame({"person": person, "year": k, "exam": exam[person], "venue": venue[person]}))
    return pd.concat(frames, ignore_index=True)


def _round(values: np.ndarray, decimals: int) -> np.ndarray:
    """Half-up rounding as printed on a result sheet."""
    scale = 10.0**decimals
    return np.floor(values * scale + 0.5) / scale


def _values(rows: pd.DataFrame, pop: Population, health: Health, window: Window,
            rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Body measures and laboratory values from latent health, age, sex and current treatment."""
    p = rows["person"].to_numpy()
    k = rows["year"].to_numpy()
    exam = rows["exam"].to_numpy()
    m = len(p)
    male = pop.sex[p] == MALE
    age = age_on(pop.birth[p], exam).astype(float)
    a = age - 45
    lat = {d: health.latent[d][p, k] for d in health.latent}
    month = (exam.astype("datetime64[M]") - window.start.astype("datetime64[M]")).astype(int)
    on = {d: health.on_drugs(d, month, p) for d in ("bp", "glucose", "lipid")}
    noise = rng.standard_normal((16, m))

    person_rng = np.random.default_rng(rng.integers(1 << 62))
    height_z = person_rng.standard_normal(pop.size)[p]
    height = np.where(male, 171.5 - 0.1 * a + 5.8 * height_z, 158.3 - 0.1 * a + 5.3 * height_z) + 0.3 * noise[0]
    height = np.where(age < 18, height - 3, height)
    bmi_true = np.where(male, 23.1, 21.8) * np.exp(0.0015 * a + np.where(male, 0.135, 0.155) * lat["fat"])
    weight = _round(bmi_true * (height / 100) ** 2 + 0.3 * noise[1], 1)
    height = _round(height, 1)
    bmi = _round(weight / (height / 100) ** 2, 1)
    waist = np.where(male, 85.0 + 2.7 * (bmi - 24.3), 81.0 + 2.5 * (bmi - 22.8)) + np.where(male, 2.8, 3.4) * noise[2]
    waist = _round(waist, 1)

    sbp = np.where(male, 119.8, 114.5) + 0.85 * a + 13.0 * lat["bp"] + 5.0 * noise[3] - 13.0 * on["bp"]
    dbp = 0.58 * sbp + np.where(male, 8.0, 5.0) - 0.12 * a + 5.0 * noise[4]
    sbp, dbp = _round(sbp, 0), _round(dbp, 0)

    tg = np.where(male, 92.0, 66.0) * np.exp(0.5 * lat["lipid"] + 0.003 * a + 0.2 * noise[5]) * np.where(on["lipid"], 0.85, 1)
    hdl = np.where(male, 57.0, 69.0) - 6.5 * lat["lipid"] - 2.0 * lat["fat"] + 6.0 * noise[6]
    ldl_latent = 0.35 * lat["lipid"] + 0.94 * noise[7]
    ldl = 118 + 0.5 * a + np.where(~male & (age >= 50), 12, 0) + 28 * ldl_latent - 35 * on["lipid"]
    non_hdl = ldl + tg / 5 + 4 * noise[8]
    # Floors: far Gaussian tails would give values no body has (LDL −9), which the import checks refuse.
    hdl, ldl, non_hdl = np.maximum(hdl, 15.0), np.maximum(ldl, 20.0), np.maximum(non_hdl, 30.0)

    excess = np.maximum(lat["glucose"] - 1.5, 0)
    fbg = np.where(male, 95.3, 91.2) + 0.28 * a + 7.0 * lat["glucose"] + 28.0 * excess**1.5 + 3.5 * noise[9]
    fbg = np.where(on["glucose"], fbg * 0.85, fbg)
    hba1c = 5.35 + 0.009 * a + 0.2 * lat["glucose"] + 0.75 * excess**1.3 + 0.12 * noise[10]
    hba1c = np.where(on["glucose"], hba1c - 0.6, hba1c)
    rbg = fbg * 1.18 + 8 * noise[11]

    liver = lat["liver"]
    ast = np.where(male, 21.0, 18.0) * np.exp(0.2 * liver + 0.15 * noise[12])
    alt = np.where(male, 23.0, 15.5) * np.exp(0.45 * liver + 0.2 * noise[12])
    ggt = np.where(male, 35.0, 20.0) * np.exp(0.5 * liver + 0.35 * noise[13])
    creatinine = np.where(male, 0.84, 0.62) * np.exp(0.004 * a + 0.09 * lat["kidney"] + 0.05 * noise[14])
    creatinine = _round(creatinine, 2)
    egfr = 194 * creatinine**-1.094 * np.maximum(age, 18) ** -0.287 * np.where(male, 1.0, 0.739)
    hb = np.where(male, 15.0, 13.0) + 1.0 * noise[15]
    protein_score = 0.6 * lat["kidney"] + 0.4 * excess + 0.8 * rng.standard_normal(m)
    urine_protein = 1 + (protein_score > 1.9).astype(int) + (protein_score > 2.4) + (protein_score > 3.0)
    urine_glucose = np.where(fbg > 180, np.where(rng.random(m) < 0.6, 3, 1), 1)

    venue = rows["venue"].to_numpy()
    timing_p = np.array([BLOOD_TIMING[v] for v in (CLINIC_A, BUS, DOCK)])[venue]
    timing = 1 + categorical(rng.random(m), timing_p)
    fasting = timing == 2
    u = rng.random((8, m))
    blood = u[0] >= NO_BLOOD
    fbg_measured = blood & fasting & (u[1] >= HBA1C_ONLY)
    hba1c_measured = blood & ((u[2] >= NO_HBA1C) | ~fbg_measured)
    ldl_measured = blood & fasting & (tg < 400)
    non_hdl_measured = blood & (~ldl_measured | (u[3] < 0.3))
    waist_omitted = ((age < 40) & (bmi < 20) & (u[4] < 0.5)) | (u[4] > 1 - WAIST_MISSING)

    def keep(values: np.ndarray, mask: np.ndarray, decimals: int = 0) -> np.ndarray:
        return np.where(mask, _round(values, decimals), np.nan)

    return {
        "height": height, "weight": weight, "bmi": bmi, "waist": np.where(waist_omitted, np.nan, waist),
        "sbp": sbp, "dbp": dbp, "blood_timing": np.where(blood, timing, np.nan),
        "tg_fasting": keep(tg, blood & fasting), "tg_random": keep(tg * np.exp(0.18 + 0.1 * noise[5]), blood & ~fasting),
        "hdl": keep(hdl, blood), "ldl": keep(ldl, ldl_measured), "non_hdl": keep(non_hdl, non_hdl_measured),
        "fbg": keep(fbg, fbg_measured), "rbg": keep(rbg, blood & (timing == 3) & (u[5] < 0.7)),
        "hba1c": keep(hba1c, hba1c_measured, 1),
        "ast": keep(ast, blood), "alt": keep(alt, blood), "ggt": keep(ggt, blood),
        "creatinine": np.where(blood & (u[6] < CREATININE_TESTED), creatinine, np.nan),
        "egfr": np.where(blood & (u[6] < CREATININE_TESTED), _round(egfr, 1), np.nan),
        "urine_glucose": urine_glucose.astype(str).astype(object), "urine_protein": urine_protein.astype(str).astype(object),
        "hb": keep(hb, blood & ((venue == DOCK) | (u[7] < ANAEMIA_TESTED)), 1),
        "hematocrit": keep(hb * 3.0 + rng.standard_normal(m), blood & ((venue == DOCK) | (u[7] < ANAEMIA_TESTED)), 1),
        "rbc": keep(hb * 32.5 + 12 * rng.standard_normal(m), blood & ((venue == DOCK) | (u[7] < ANAEMIA_TESTED))),
    }


def generate_checkups(pop: Population, health: Health, window: Window, rng: np.random.Generator) -> pd.DataFrame:
    """The CHECKUPS frame for every fiscal year of the window, ordered by exam date and 加入者番号."""
    rows = _schedule(pop, window, rng)
    p = rows["person"].to_numpy()
    columns: dict[str, object] = {
        "member_id": pop.member_id[p], "sex": pop.sex[p], "birth_date": pop.birth[p],
        "exam_date": rows["exam"].to_numpy(), "clinic": np.array(CLINICS, dtype=object)[rows["venue"].to_numpy()],
    }
    values = _values(rows, pop, health, window, rng)
    columns.update(values)
    columns.update(answers(rows, pop, health, values, window, rng))
    frame = typed_frame(CHECKUPS, columns, len(rows))
    return frame.sort_values(["exam_date", "member_id"], kind="stable").reset_index(drop=True)
