"""Chronic conditions (慢性疾患) with their months of treatment and each patient's drug regimen (処方内容).

高血圧・糖尿病・脂質異常症 come from the latent health (so claims agree with checkup 服薬); the others are
drawn by age and sex. A regimen is fixed per patient: the same products month after month, brand or generic by
the patient's habit, which is what 差額通知 and 後発医薬品使用割合 are computed from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dhdesk.core.synthetic.catalogue import Catalogue
from dhdesk.core.synthetic.health import NEVER, Health
from dhdesk.core.synthetic.people import FEMALE, MALE, Population
from dhdesk.core.synthetic.period import Window, age_on

# condition: (disease key, [(therapy, probability the patient takes a drug of it, max drugs)])
REGIMENS = {
    "bp": ("hypertension", [("bp", 1.0, 3)]),
    "glucose": ("diabetes_type2", [("glucose", 1.0, 3)]),
    "lipid": ("dyslipidemia", [("lipid", 1.0, 2)]),
    "uric": ("hyperuricemia", [("uric", 1.0, 1)]),
    "gerd": ("gerd", [("acid", 1.0, 1), ("stomach", 0.3, 1)]),
    "insomnia": ("insomnia", [("sleep", 1.0, 1)]),
    "depression": ("depression", [("depression", 1.0, 1), ("anxiety", 0.4, 1), ("sleep", 0.3, 1)]),
    "angina": ("angina", [("antiplatelet", 1.0, 1), ("acid", 0.5, 1)]),
    "af": ("atrial_fibrillation", [("anticoagulant", 1.0, 1)]),
    "breast_cancer": ("breast_cancer", [("breast_cancer", 1.0, 1)]),
    "prostate_cancer": ("prostate_cancer", [("prostate_cancer", 1.0, 1)]),
    "ra": ("rheumatoid_arthritis", [("immunosuppressant", 1.0, 1), ("pain", 0.5, 1)]),
    "joint": ("knee_oa", [("pain", 1.0, 1), ("patch", 0.6, 1), ("stomach", 0.5, 1)]),
    "allergy": ("rhinitis", [("allergy", 1.0, 2)]),
}
# Number of drugs of the main therapy (1, 2, 3): from seed §3.4.5 (多剤 ≈ 8% of 組合員 with drugs).
DRUG_COUNT = {"bp": (0.35, 0.4, 0.25), "glucose": (0.3, 0.4, 0.3), "lipid": (0.7, 0.3, 0.0), "allergy": (0.7, 0.3, 0.0)}
# Prevalence of the other conditions: (minimum age, maximum age, probability, female factor).
PREVALENCE = {
    "uric": (30, 200, 0.06, 0.1),
    "gerd": (35, 200, 0.05, 1.0),
    "insomnia": (35, 200, 0.04, 1.3),
    "depression": (20, 65, 0.025, 1.2),
    "angina": (55, 200, 0.025, 0.6),
    "af": (60, 200, 0.012, 0.6),
    "breast_cancer": (40, 75, 0.008, 1.0),
    "prostate_cancer": (60, 200, 0.008, 1.0),
    "ra": (30, 200, 0.004, 2.5),
    "joint": (50, 200, 0.05, 1.2),
    "allergy": (5, 200, 0.14, 1.0),
}
COMORBID = ("uric", "gerd", "insomnia", "angina", "joint")
COMORBIDITY_FACTOR = 2.5  # prevalence × (1 + factor × number of 生活習慣病 treated)
SEX_ONLY = {"breast_cancer": FEMALE, "prostate_cancer": MALE}
# Symptomatic add-ons prescribed alongside long-term treatment: Poisson(rate × conditions treated), capped.
ADDON_RATE = 1.6
ADDON_MAX = 5
ADDON_THERAPIES = ("acid", "stomach", "sleep", "pain", "patch", "allergy", "anxiety", "cough")
ALLERGY_MONTHS = (2, 3, 4)  # 花粉症: prescriptions from February to April
ONSET_BEFORE_WINDOW = 0.8
BRAND_LOYAL_SHARE = 0.22  # patients who keep their 先発品 (others take 後発品 almost always)
BRAND_LOYAL_P = 0.6
GENERIC_MINDED_P = 0.06


@dataclass(frozen=True)
class Conditions:
    """Treatment months per condition and the regimen lines (sorted by person; CSR offsets per person)."""

    treated_from: dict[str, np.ndarray]
    treated_until: dict[str, np.ndarray]
    names: tuple[str, ...]
    line_person: np.ndarray
    line_condition: np.ndarray  # index into `names`
    line_product: np.ndarray
    offsets: np.ndarray
    brand_p: np.ndarray  # per person: chance of receiving the 先発品 when a 後発品 exists

    def active(self, condition: str, month: int | np.ndarray, person: np.ndarray, month_of_year: np.ndarray) -> np.ndarray:
        """Whether the condition is being treated for these persons in this month (season-aware)."""
        on = (self.treated_from[condition][person] <= month) & (month < self.treated_until[condition][person])
        if condition == "allergy":
            on &= np.isin(month_of_year, ALLERGY_MONTHS)
        return on


def _other_conditions(pop: Population, metabolic: np.ndarray, window: Window, rng: np.random.Generator
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Conditions drawn by age and sex; the common ones cluster in patients with 生活習慣病 (multimorbidity)."""
    n = pop.size
    months = 12 * window.years
    age = age_on(pop.birth, window.start + 365 * window.years // 2)
    start, until = {}, {}
    for condition, (lo, hi, p, female_factor) in PREVALENCE.items():
        factor = np.where(pop.sex == FEMALE, female_factor, 1.0)
        if condition in COMORBID:
            factor = factor * (1 + COMORBIDITY_FACTOR * metabolic)
        prob = np.where((age >= lo) & (age < hi), p * factor, 0.0)
        if condition in SEX_ONLY:
            prob = np.where(pop.sex == SEX_ONLY[condition], prob, 0.0)
        has = rng.random(n) < prob
        onset = np.where(rng.random(n) < ONSET_BEFORE_WINDOW, -1, rng.integers(0, months, n))
        start[condition] = np.where(has, onset, NEVER).astype(np.int64)
        until[condition] = np.full(n, NEVER, dtype=np.int64)
    return start, until


def generate_conditions(pop: Population, health: Health, catalogue: Catalogue, window: Window,
                        rng: np.random.Generator) -> Conditions:
    """Every chronic condition's months and a fixed regimen per patient."""
    treated_from = dict(health.treated_from)
    treated_until = dict(health.treated_until)
    metabolic = sum((health.treated_from[d] < NEVER).astype(int) for d in ("bp", "glucose", "lipid"))
    others_from, others_until = _other_conditions(pop, metabolic, window, rng)
    treated_from.update(others_from)
    treated_until.update(others_until)
    names = tuple(REGIMENS)
    loyal = rng.random(pop.size) < BRAND_LOYAL_SHARE
    p_brand = np.where(loyal, BRAND_LOYAL_P, GENERIC_MINDED_P)

    persons, conditions, groups = [], [], []
    for c, name in enumerate(names):
        patients = np.flatnonzero(treated_from[name] < NEVER)
        for t, (therapy, probability, most) in enumerate(REGIMENS[name][1]):
            options = catalogue.groups_for(therapy)
            takes = patients[rng.random(len(patients)) < probability]
            if t == 0 and name in DRUG_COUNT:
                count = 1 + (rng.random(len(takes))[:, None] > np.cumsum(DRUG_COUNT[name])[:-1]).sum(axis=1)
            else:
                count = np.ones(len(takes), dtype=int)
            count = np.minimum(count, min(most, len(options)))
            ranked = np.argsort(rng.random((len(takes), len(options))), axis=1)  # distinct drugs per patient
            chosen = np.arange(len(options))[None, :] < count[:, None]
            persons.append(np.repeat(takes, count))
            conditions.append(np.full(int(count.sum()), c))
            groups.append(options[ranked[chosen]])
    year_round = [name for name in names if name != "allergy"]
    treated = np.stack([treated_from[name] < NEVER for name in year_round])
    count = treated.sum(axis=0)
    addons = np.minimum(rng.poisson(ADDON_RATE * count), ADDON_MAX)
    who = np.repeat(np.arange(pop.size), addons)
    persons.append(who)
    conditions.append(np.array([names.index(name) for name in year_round])[treated.argmax(axis=0)[who]])
    therapy = rng.integers(0, len(ADDON_THERAPIES), len(who))
    addon_group = np.zeros(len(who), dtype=np.int64)
    for t, name in enumerate(ADDON_THERAPIES):
        options = catalogue.groups_for(name)
        mine = therapy == t
        addon_group[mine] = options[rng.integers(0, len(options), int(mine.sum()))]
    groups.append(addon_group)
    person = np.concatenate(persons)
    condition = np.concatenate(conditions)
    group = np.concatenate(groups)
    _, first = np.unique(person.astype(np.int64) * 10_000 + group, return_index=True)
    person, condition, group = person[first], condition[first], group[first]
    order = np.argsort(person, kind="stable")
    person, condition, group = person[order], condition[order], group[order]
    product = catalogue.pick_product(group, rng.random(len(person)) < p_brand[person], rng.random(len(person)))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(person, minlength=pop.size))])
    return Conditions(treated_from, treated_until, names, person, condition, product, offsets, p_brand)
