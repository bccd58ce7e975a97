"""Monthly encounters (受診): chronic visits, acute episodes, dental care and admissions, per person-month.

Frequencies by age follow the seed's picture (seed 004 §2.2.4, §2.2.7): about 7% of 加入者 without any claim in
a year, most below 10万円, a long tail of admissions (a few cancer patients above 500万円).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dhdesk.core.synthetic.conditions import Conditions
from dhdesk.core.synthetic.facilities import Facilities
from dhdesk.core.synthetic.people import FEMALE, Population
from dhdesk.core.synthetic.period import OPEN_END, Window, age_on

CHRONIC, ACUTE, DENTAL, INPATIENT = 0, 1, 2, 3
SEASON = {1: 1.35, 2: 1.3, 3: 1.1, 4: 0.95, 5: 0.9, 6: 0.85, 7: 0.9, 8: 0.85, 9: 0.9, 10: 0.95, 11: 1.05, 12: 1.3}
ACUTE_RATE = ((6, 0.7), (15, 0.4), (40, 0.21), (65, 0.26), (200, 0.32))  # per person-month
DENTAL_RATE = ((3, 0.0), (16, 0.08), (200, 0.1))
INPATIENT_RATE = ((6, 0.005), (40, 0.0025), (60, 0.005), (200, 0.011))
CHRONIC_MISS = 0.05
HEAVY_SHARE = 0.004  # 40+ with months of costly cancer treatment (the 500万円+ tail)
# Acute diagnoses: (disease key, facility kind for adults, share among children < 15, share among adults).
ACUTE_DISEASES = (
    ("urti", "internal", 0.40, 0.28), ("influenza", "internal", 0.05, 0.05), ("bronchitis", "internal", 0.10, 0.06),
    ("otitis_media", "ent", 0.10, 0.01), ("gastroenteritis", "internal", 0.10, 0.08), ("asthma", "internal", 0.05, 0.02),
    ("atopic_dermatitis", "dermatology", 0.10, 0.03), ("eczema", "dermatology", 0.04, 0.10),
    ("conjunctivitis", "eye", 0.06, 0.06), ("low_back_pain", "orthopedic", 0.0, 0.12),
    ("gastritis", "internal", 0.0, 0.08), ("rhinitis", "ent", 0.0, 0.06), ("knee_oa", "orthopedic", 0.0, 0.05),
)
# Admissions: (disease key, share by age band <15, 15–39, 40+).
INPATIENT_DISEASES = (
    ("pneumonia", 0.5, 0.15, 0.2), ("appendicitis", 0.3, 0.3, 0.0), ("fracture", 0.2, 0.3, 0.2),
    ("threatened_preterm", 0.0, 0.25, 0.0), ("cerebral_infarction", 0.0, 0.0, 0.2),
    ("gastric_cancer", 0.0, 0.0, 0.15), ("colon_cancer", 0.0, 0.0, 0.15), ("lung_cancer", 0.0, 0.0, 0.1),
)


@dataclass(frozen=True)
class Encounters:
    """One entry per encounter; `disease` indexes ACUTE_DISEASES or INPATIENT_DISEASES (−1 for chronic/dental)."""

    person: np.ndarray
    month: np.ndarray
    kind: np.ndarray
    facility: np.ndarray
    day: np.ndarray
    visits: np.ndarray
    disease: np.ndarray
    cycle: np.ndarray  # months of drugs handed out at a chronic visit
    heavy: np.ndarray


def _rate(table: tuple[tuple[int, float], ...], age: np.ndarray) -> np.ndarray:
    bounds = np.array([b for b, _ in table])
    values = np.array([v for _, v in table])
    return values[np.searchsorted(bounds, age, side="right").clip(max=len(values) - 1)]


def _choose(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Index into `shares` (n × K, rows summing to 1) by uniforms."""
    return (u[:, None] > np.cumsum(shares, axis=1)[:, :-1]).sum(axis=1)


def generate_encounters(pop: Population, conditions: Conditions, facilities: Facilities, window: Window,
                        rng: np.random.Generator) -> Encounters:
    """All encounters of the window, month by month (each month is one vectorised step over the population)."""
    n = pop.size
    frailty = rng.gamma(1.5, 1 / 1.5, n)
    dental_habit = rng.gamma(1.2, 1 / 1.2, n)
    cycle = np.where(rng.random(n) < 0.6, 1, 2)
    phase = rng.integers(0, 2, n)
    home = {kind: rng.choice(idx, n) for kind, idx in facilities.of_kind.items()}
    other_internal = rng.choice(facilities.of_kind["internal"], n)
    age_mid = age_on(pop.birth, window.start + 365 * window.years // 2)
    heavy = (age_mid >= 40) & (rng.random(n) < HEAVY_SHARE)
    heavy_from = rng.integers(0, 12 * window.years, n)
    heavy_length = rng.integers(3, 7, n)
    acute_kind = np.array([kind for _, kind, _, _ in ACUTE_DISEASES], dtype=object)
    acute_shares = np.array([[child, adult] for _, _, child, adult in ACUTE_DISEASES]).T
    inpatient_shares = np.array([[a, b, c] for _, a, b, c in INPATIENT_DISEASES]).T
    inpatient_shares = inpatient_shares / inpatient_shares.sum(axis=1, keepdims=True)

    parts: list[tuple[np.ndarray, ...]] = []
    for t, month_start in enumerate(window.month_starts):
        month_end = (month_start.astype("datetime64[M]") + 1).astype("datetime64[D]")
        month_of_year = (t + window.start.astype("datetime64[M]").astype(int)) % 12 + 1
        enrolled = (pop.start < month_end) & ((pop.end == OPEN_END) | (pop.end > month_start))
        age = age_on(pop.birth, month_start)
        person = np.arange(n)
        moy = np.full(n, month_of_year)

        year_round = np.zeros(n, dtype=bool)
        for name in conditions.names:
            if name != "allergy":
                year_round |= conditions.active(name, t, person, moy)
        seasonal = conditions.active("allergy", t, person, moy) & ~year_round
        due = (t - phase) % cycle == 0
        chronic = enrolled & ((year_round & due) | seasonal) & (rng.random(n) >= CHRONIC_MISS)

        acute = enrolled & (rng.random(n) < _rate(ACUTE_RATE, age) * frailty * SEASON[month_of_year])
        dental = enrolled & (rng.random(n) < _rate(DENTAL_RATE, age) * dental_habit)
        in_heavy = heavy & (heavy_from <= t) & (t < heavy_from + heavy_length)
        inpatient = enrolled & ((rng.random(n) < _rate(INPATIENT_RATE, age) * frailty) | in_heavy)

        for kind, mask in ((CHRONIC, chronic), (ACUTE, acute), (DENTAL, dental), (INPATIENT, inpatient)):
            who = np.flatnonzero(mask)
            m = len(who)
            disease = np.full(m, -1)
            if kind == CHRONIC:
                facility = home["internal"][who]
                visits = 1 + (rng.random(m) < 0.1)
            elif kind == ACUTE:
                child = age[who] < 15
                disease = _choose(rng.random(m), acute_shares[np.where(child, 0, 1)])
                facility_kind = acute_kind[disease]
                facility = np.where(facility_kind == "internal", np.where(child, home["pediatric"][who], other_internal[who]), -1)
                for k in ("ent", "dermatology", "eye", "orthopedic"):
                    facility = np.where(facility_kind == k, home[k][who], facility)
                visits = 1 + rng.geometric(0.6, m) - 1 + child
            elif kind == DENTAL:
                facility = home["dental"][who]
                visits = rng.integers(1, 4, m)
            else:
                band = np.select([age[who] < 15, age[who] < 40], [0, 1], 2)
                disease = _choose(rng.random(m), inpatient_shares[band])
                male = pop.sex[who] != FEMALE
                preterm = disease == 3
                disease = np.where(preterm & male, 2, disease)
                disease = np.where(in_heavy[who], 5 + rng.integers(0, 3, m), disease)
                facility = home["hospital"][who]
                visits = np.minimum(rng.integers(3, 21, m) * np.where(in_heavy[who], 1.5, 1), 30).astype(int)
            supply = np.where(year_round[who], cycle[who], 1) if kind == CHRONIC else np.ones(m, dtype=int)
            parts.append((who, np.full(m, t), np.full(m, kind), facility, rng.integers(0, 28, m), visits,
                          disease, supply, in_heavy[who]))
    columns = [np.concatenate(c) for c in zip(*parts)]
    return Encounters(*columns)

