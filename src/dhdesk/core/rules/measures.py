"""Checkup values as the rules read them (測定値): rounded half-up to the recorded precision.

Rules compare the value a clinic would print: 収縮期 129.5 is recorded as 130, HbA1c 5.55 as 5.6.
A column absent from the frame reads as "never measured" so partial files still stratify.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS

_EPSILON = 1e-9  # 5.55 * 10 is 55.4999… in binary; the nudge restores the decimal half-up


def round_half_up(values: np.ndarray | float, decimals: int) -> np.ndarray | float:
    """Round half-up (四捨五入) to `decimals`, safe for binary floats; NaN stays NaN."""
    scale = 10.0**decimals
    return np.floor(values * scale + 0.5 + _EPSILON) / scale


def numbers(checkups: pd.DataFrame, item: str) -> np.ndarray:
    """A column as float64 with NaN for blanks (answer codes too); all NaN when the column is absent."""
    if item not in checkups.columns:
        return np.full(len(checkups), np.nan)
    return checkups[item].to_numpy(dtype="float64", na_value=np.nan)


def measured(checkups: pd.DataFrame, item: str) -> np.ndarray:
    """A measured item rounded half-up to its `Field.decimals`."""
    values = numbers(checkups, item)
    decimals = CHECKUPS.field(item).decimals
    return values if decimals is None else round_half_up(values, decimals)


def bmi(checkups: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The BMI the rules use and whether it was computed: the file's BMI, else 体重/身長² to 0.1."""
    recorded = measured(checkups, "bmi")
    height_m = measured(checkups, "height") / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = round_half_up(measured(checkups, "weight") / (height_m * height_m), 1)
    computed[~np.isfinite(computed)] = np.nan
    use_computed = np.isnan(recorded) & ~np.isnan(computed)
    return np.where(use_computed, computed, recorded), use_computed


def ymd(checkups: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as yyyymmdd numbers (NaN when blank): date order is number order."""
    if column not in checkups.columns:
        return np.full(len(checkups), np.nan)
    dates = pd.to_datetime(checkups[column])
    parts = (dates.dt.year * 10000 + dates.dt.month * 100 + dates.dt.day)
    return parts.to_numpy(dtype="float64", na_value=np.nan)


def flag_bits(flags: Mapping[str, np.ndarray], order: Sequence[str]) -> np.ndarray:
    """Pack named boolean columns into one int32 mask; the bit of a name is its place in `order`."""
    bits = np.zeros(len(next(iter(flags.values()))) if flags else 0, dtype=np.int32)
    for name, values in flags.items():
        bits |= values.astype(np.int32) << order.index(name)
    return bits


def label_tuples(bits: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Per row, the labels whose bit is set, as a tuple (one shared tuple per distinct mask)."""
    distinct, inverse = np.unique(bits, return_inverse=True)
    table = np.empty(len(distinct), dtype=object)
    for i, mask in enumerate(distinct):
        table[i] = tuple(label for bit, label in enumerate(labels) if int(mask) >> bit & 1)
    return table[inverse.reshape(-1)]
