"""Latent health (体質) of each person and the months in which drug treatment (服薬) of 高血圧・糖尿病・脂質異常症 runs.

One persistent latent per domain, correlated with adiposity, drifts a little each year; checkup values and
claims are both derived from it, so 服薬 answers, checkup values and prescriptions agree (mostly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dhdesk.core.synthetic.period import Window, age_on

DOMAINS = ("fat", "bp", "lipid", "glucose", "liver", "kidney")
# Correlation of each latent with adiposity (fat); the others share a small common factor.
FAT_LOADING = {"fat": 1.0, "bp": 0.45, "lipid": 0.5, "glucose": 0.45, "liver": 0.55, "kidney": 0.15}
YEARLY_DRIFT = 0.22  # sd of the yearly random-walk step on the latent scale

TREATED = ("bp", "glucose", "lipid")
# Treatment starts once latent + slope × (age − 50) + sex shift crosses threshold + noise (seen from the claims side).
TREATMENT = {
    "bp": {"threshold": 1.55, "slope": 0.055, "male": 0.25, "noise": 0.6},
    "glucose": {"threshold": 2.25, "slope": 0.045, "male": 0.3, "noise": 0.5},
    "lipid": {"threshold": 1.7, "slope": 0.045, "male": 0.0, "noise": 0.7},
}
INTERRUPTION_SHARE = 0.07  # 治療中断: treatment (and its claims) stops for good within the window
MIN_TREATMENT_AGE = 20
NEVER = 10_000  # month index standing for "not within reach"


@dataclass(frozen=True)
class Health:
    """Latents per person (n) and year (n × years); treatment months per domain as indices into the window.

    `treated_from[d]` < 0 means the person was already on drugs when the window opened; `NEVER` means not
    treated; `treated_until[d]` is the first month without drugs (`NEVER` when treatment goes on).
    """

    latent: dict[str, np.ndarray]
    treated_from: dict[str, np.ndarray]
    treated_until: dict[str, np.ndarray]

    def on_drugs(self, domain: str, month: np.ndarray, person: np.ndarray) -> np.ndarray:
        """Whether each (person, month index) is within that person's treatment of the domain."""
        return (self.treated_from[domain][person] <= month) & (month < self.treated_until[domain][person])


def _latents(n: int, years: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    fat = rng.standard_normal(n)
    common = rng.standard_normal(n)
    steps = rng.standard_normal((len(DOMAINS), n, years)) * YEARLY_DRIFT
    steps[:, :, 0] = 0.0
    drift = np.cumsum(steps, axis=2)
    latent = {}
    for i, domain in enumerate(DOMAINS):
        loading = FAT_LOADING[domain]
        if domain == "fat":
            base = fat
        else:
            own = rng.standard_normal(n)
            rest = np.sqrt(1 - loading**2)
            base = loading * fat + rest * (0.3 * common + np.sqrt(1 - 0.09) * own)
        latent[domain] = base[:, None] + drift[i]
    return latent


def generate_health(birth: np.ndarray, sex: np.ndarray, window: Window, rng: np.random.Generator) -> Health:
    """Latents for everyone and, per treated domain, the month treatment starts (and for a few, stops)."""
    n = len(birth)
    latent = _latents(n, window.years, rng)
    age0 = (window.start - birth).astype(int) / 365.25
    months = 12 * window.years
    treated_from, treated_until = {}, {}
    for domain in TREATED:
        p = TREATMENT[domain]
        noise = p["noise"] * rng.standard_normal(n)
        need = p["threshold"] + noise - latent[domain][:, 0] - p["male"] * (sex == 1)
        years_to_start = need / p["slope"] - (age0 - 50)
        start = np.floor(years_to_start * 12)
        start = np.where(start < 0, -1, start)
        start = np.where((start >= months) | (age_on(birth, window.end - 1) < MIN_TREATMENT_AGE), NEVER, start)
        first = np.maximum(start, 0)
        latest_stop = months - 7
        stops = (start < NEVER) & (first + 2 < latest_stop) & (rng.random(n) < INTERRUPTION_SHARE)
        stop_at = first + 2 + np.floor(rng.random(n) * np.maximum(latest_stop - first - 2, 1))
        treated_from[domain] = start.astype(np.int64)
        treated_until[domain] = np.where(stops, stop_at, NEVER).astype(np.int64)
    return Health(latent=latent, treated_from=treated_from, treated_until=treated_until)
