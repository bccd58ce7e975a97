"""Three-valued rule inputs (該当/非該当/不明) and the completion enumeration behind 判定不能.

A criterion on a missing value is neither met nor unmet: it is UNKNOWN. With NO < UNKNOWN < YES,
Kleene's "or" is the maximum and "and" the minimum, so whole columns combine with numpy.
`resolve` decides a level only when every completion of the unknowns gives the same one, and
records which unknowns could change it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.rules.ruleset import Threshold

NO, UNKNOWN, YES = np.int8(0), np.int8(1), np.int8(2)

Decide = Callable[[Mapping[str, np.ndarray], np.ndarray], np.ndarray]
"""`decide(values, rows)`: complete yes/no inputs (bool arrays) for `rows` → an int8 outcome per row."""


def compare(values: np.ndarray, threshold: Threshold) -> np.ndarray:
    """YES/NO by the threshold, UNKNOWN where the value is missing (NaN)."""
    with np.errstate(invalid="ignore"):
        result = np.where(threshold.holds(values), YES, NO).astype(np.int8)
    result[np.isnan(values)] = UNKNOWN
    return result


def by_sex(values: np.ndarray, sex: np.ndarray, male: Threshold, female: Threshold) -> np.ndarray:
    """A sex-specific cut-off; with sex unknown the answer is known only when both cut-offs agree."""
    as_male, as_female = compare(values, male), compare(values, female)
    either = np.where(as_male == as_female, as_male, UNKNOWN).astype(np.int8)
    return np.where(sex == 1, as_male, np.where(sex == 2, as_female, either)).astype(np.int8)


def any_of(*parts: np.ndarray) -> np.ndarray:
    """Kleene "or": YES if any part is YES, NO if all are NO, else UNKNOWN."""
    return np.maximum.reduce(parts).astype(np.int8)


def all_of(*parts: np.ndarray) -> np.ndarray:
    """Kleene "and": NO if any part is NO, YES if all are YES, else UNKNOWN."""
    return np.minimum.reduce(parts).astype(np.int8)


def to_boolean(values: np.ndarray) -> pd.arrays.BooleanArray:
    """A pandas nullable boolean column (UNKNOWN → NA)."""
    return pd.arrays.BooleanArray(values == YES, values == UNKNOWN)


@dataclass(frozen=True)
class Resolution:
    """Per row: the outcome (or `undetermined`) and a bit mask of the inputs that could change it."""

    outcome: np.ndarray
    decisive: np.ndarray


def resolve(inputs: Mapping[str, np.ndarray], decide: Decide, undetermined: int) -> Resolution:
    """Evaluate `decide` on every completion of the UNKNOWN inputs, row-wise and vectorised.

    Rows are grouped by which inputs are unknown; a group with k unknowns costs 2**k numpy passes
    over its rows only. Bit i of `decisive` is set when flipping input i (the i-th key of `inputs`)
    alone, for some completion of the others, changes the outcome.
    """
    names = list(inputs)
    size = len(next(iter(inputs.values()))) if names else 0
    pattern = np.zeros(size, dtype=np.int32)
    for bit, name in enumerate(names):
        pattern |= (inputs[name] == UNKNOWN).astype(np.int32) << bit
    outcome = np.empty(size, dtype=np.int8)
    decisive = np.zeros(size, dtype=np.int32)
    for unknown in np.unique(pattern):
        rows = np.flatnonzero(pattern == unknown)
        free = [bit for bit in range(len(names)) if unknown >> bit & 1]
        known = {name: inputs[name][rows] == YES for name in names}
        outcomes = np.empty((1 << len(free), len(rows)), dtype=np.int8)
        for combo in range(1 << len(free)):
            values = dict(known)
            for j, bit in enumerate(free):
                values[names[bit]] = np.full(len(rows), bool(combo >> j & 1))
            outcomes[combo] = decide(values, rows)
        agreed = outcomes.min(axis=0) == outcomes.max(axis=0)
        outcome[rows] = np.where(agreed, outcomes[0], undetermined)
        combos = np.arange(1 << len(free))
        for j, bit in enumerate(free):
            low = combos[(combos >> j & 1) == 0]
            flips = (outcomes[low] != outcomes[low | 1 << j]).any(axis=0)
            decisive[rows[flips]] |= 1 << bit
    return Resolution(outcome, decisive)


def spread(decisive: np.ndarray, covers: Sequence[int]) -> np.ndarray:
    """Map a mask over inputs to a mask over items: input i stands for the item bits `covers[i]`."""
    items = np.zeros(len(decisive), dtype=np.int32)
    for bit, mask in enumerate(covers):
        items |= np.where(decisive >> bit & 1, mask, 0).astype(np.int32)
    return items
