"""Vectorised sampling helpers (抽出) shared by the generators: category codes and the normal CDF."""

from __future__ import annotations

import numpy as np


def categorical(u: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Codes 1..K from uniforms and category probabilities, shared (K,) or per row (n, K)."""
    cumulative = np.cumsum(np.atleast_2d(probabilities), axis=-1)
    return 1 + (u[:, None] > cumulative[..., :-1]).sum(axis=1)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, error < 2e-7): numpy has no erf."""
    z = np.abs(np.asarray(x, dtype=float)) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)
