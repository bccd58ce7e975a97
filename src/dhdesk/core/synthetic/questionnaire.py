"""The 22 questions of the 標準的な質問票: plausible, person-persistent answers with realistic gaps.

服薬 follows the treatment months (with a few contradictions: forgetting, or answering for a stopped
drug); 喫煙 and lifestyle answers are calibrated on seed 004 §3.6.3–3.6.5 (組合員 40+: 喫煙 13%, 運動 非リスク 32%,
食事 非リスク 73%, 多量飲酒 6%, 睡眠 良好 64%). 組合員 under 40 (事業者健診) answer only 服薬 and 喫煙.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.synthetic.health import Health
from dhdesk.core.synthetic.people import HEAD, MALE, Population
from dhdesk.core.synthetic.period import Window, age_on
from dhdesk.core.synthetic.sampling import categorical, normal_cdf

REDRAW = 0.15  # yearly chance that a lifestyle answer is given afresh
MEDICATION_DENIED = 0.04  # on drugs but answers いいえ
MEDICATION_CLAIMED = 0.004  # not on drugs (e.g. stopped) but answers はい
UNANSWERED = 0.012  # 服薬 / 喫煙 left blank
QUESTIONNAIRE_MISSING = 0.01  # the whole lifestyle part left blank
SMOKER = {"male_member": 0.22, "female_member": 0.045, "male_dependant": 0.2, "female_dependant": 0.025}
FORMER = {"male": 0.22, "female": 0.05}
QUIT_PER_YEAR = 0.06
# Drinking frequency codes 1..8 and amount codes 1..5 (drinkers only), by sex.
DRINKING_FREQ = {MALE: (0.20, 0.08, 0.08, 0.10, 0.10, 0.08, 0.04, 0.32), 2: (0.07, 0.04, 0.05, 0.09, 0.12, 0.12, 0.02, 0.49)}
DRINKING_AMOUNT = {MALE: (0.38, 0.40, 0.16, 0.05, 0.01), 2: (0.62, 0.29, 0.07, 0.02, 0.0)}
WILLINGNESS = (0.25, 0.30, 0.14, 0.09, 0.22)

class _Uniforms:
    """Per-person uniforms that persist across years (redrawn with a small yearly chance)."""

    def __init__(self, persons: int, person: np.ndarray, year: np.ndarray, rng: np.random.Generator) -> None:
        self._persons, self._person, self._year, self._rng = persons, person, year, rng

    def draw(self) -> np.ndarray:
        base = self._rng.random(self._persons)[self._person]
        fresh = self._rng.random(len(self._person))
        redraw = (self._rng.random(len(self._person)) < REDRAW) & (self._year > 0)
        return np.where(redraw, fresh, base)


def answers(rows: pd.DataFrame, pop: Population, health: Health, values: dict[str, np.ndarray], window: Window,
            rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Question answers (codes as floats, NaN = unanswered) for each exam row."""
    p = rows["person"].to_numpy()
    k = rows["year"].to_numpy()
    exam = rows["exam"].to_numpy()
    m = len(p)
    male = pop.sex[p] == MALE
    member = pop.role[p] == HEAD
    age = age_on(pop.birth[p], exam)
    uniforms = _Uniforms(pop.size, p, k, rng)
    month = (exam.astype("datetime64[M]") - window.start.astype("datetime64[M]")).astype(int)

    out: dict[str, np.ndarray] = {}
    for field, domain in (("med_bp", "bp"), ("med_glucose", "glucose"), ("med_lipid", "lipid")):
        on = health.on_drugs(domain, month, p)
        ever = health.treated_from[domain][p] <= month
        u = rng.random(m)
        yes = np.where(on, u >= MEDICATION_DENIED, ever & (u < 0.3) | (u < MEDICATION_CLAIMED))
        out[field] = np.where(rng.random(m) < UNANSWERED, np.nan, np.where(yes, 1.0, 2.0))

    smoker_p = np.where(member, np.where(male, SMOKER["male_member"], SMOKER["female_member"]),
                        np.where(male, SMOKER["male_dependant"], SMOKER["female_dependant"]))
    former_p = np.where(male, FORMER["male"], FORMER["female"])
    u = uniforms.draw()
    status = np.where(u < smoker_p, 1.0, np.where(u < smoker_p + former_p, 2.0, 3.0))
    quit_now = (status == 1) & (rng.random(m) < 1 - (1 - QUIT_PER_YEAR) ** k)
    status = np.where(quit_now, 2.0, status)
    out["smoking"] = np.where(rng.random(m) < UNANSWERED, np.nan, status)

    fat = health.latent["fat"][p, k]
    older = (age - 40) / 30
    out["hx_stroke"] = 1.0 + (uniforms.draw() >= 0.003 + 0.02 * np.clip(older, 0, 1))
    out["hx_heart"] = 1.0 + (uniforms.draw() >= 0.006 + 0.04 * np.clip(older, 0, 1))
    out["hx_kidney"] = 1.0 + (uniforms.draw() >= 0.003 + 0.004 * (health.latent["kidney"][p, k] > 2))
    out["hx_anemia"] = 1.0 + (uniforms.draw() >= np.where(male, 0.03, 0.13))
    out["weight_gain"] = 1.0 + (uniforms.draw() >= normal_cdf(0.9 * fat + np.where(male, 0.0, -0.6)))
    active = rng.standard_normal(pop.size)[p]
    exercise_u = normal_cdf(0.6 * active + 0.8 * rng.standard_normal(m))
    activity_u = normal_cdf(0.6 * active + 0.8 * rng.standard_normal(m))
    speed_u = normal_cdf(0.6 * active + 0.8 * rng.standard_normal(m))
    out["exercise"] = 1.0 + (exercise_u >= 0.17 + 0.004 * (age - 40) + 0.07 * male - 0.03 * fat)
    out["activity"] = 1.0 + (activity_u >= 0.38 + 0.03 * male)
    out["walk_speed"] = 1.0 + (speed_u >= 0.42 + 0.05 * male)
    out["chewing"] = categorical(uniforms.draw(), np.column_stack(
        [0.88 - 0.004 * (age - 40), 0.11 + 0.0038 * (age - 40), np.full(m, 0.01)])).astype(float)
    fast = normal_cdf(0.5 * fat - 0.5)
    out["eating_speed"] = categorical(uniforms.draw(), np.column_stack([fast, 0.88 - fast, np.full(m, 0.12)])).astype(float)
    out["late_dinner"] = 1.0 + (uniforms.draw() >= np.where(male, 0.36, 0.2))
    out["snacking"] = categorical(uniforms.draw(), np.column_stack(
        [np.where(male, 0.15, 0.33), np.full(m, 0.55), np.where(male, 0.30, 0.12)])).astype(float)
    out["skip_breakfast"] = 1.0 + (uniforms.draw() >= np.where(age < 40, 0.22, 0.13))
    freq = categorical(uniforms.draw(), np.where(male[:, None], DRINKING_FREQ[MALE], DRINKING_FREQ[2])).astype(float)
    amount = categorical(uniforms.draw(), np.where(male[:, None], DRINKING_AMOUNT[MALE], DRINKING_AMOUNT[2])).astype(float)
    out["drinking_freq"] = freq
    out["drinking_amount"] = np.where(freq >= 7, np.nan, amount)
    out["sleep"] = 1.0 + (uniforms.draw() >= 0.64)
    out["willingness"] = categorical(uniforms.draw(), np.array(WILLINGNESS)).astype(float)
    out["guidance_before"] = 1.0 + (uniforms.draw() >= 0.08 + 0.12 * (fat > 1) * (age >= 40))

    lifestyle_blank = (age < 40) | (rng.random(m) < QUESTIONNAIRE_MISSING)
    for field in out:
        if field not in ("med_bp", "med_glucose", "med_lipid", "smoking"):
            out[field] = np.where(lifestyle_blank, np.nan, out[field])
    return out
