"""Three-valued inputs and the completion enumeration (resolve) behind 判定不能."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.rules import load_ruleset
from dhdesk.core.rules.tristate import NO, UNKNOWN, YES, all_of, any_of, by_sex, compare, resolve, spread, to_boolean

RULES = load_ruleset()
N, U, Y = int(NO), int(UNKNOWN), int(YES)


def test_compare_marks_missing_values_unknown():
    sbp = RULES.threshold("hokenshido.risk.bp.sbp")
    assert compare(np.array([129.0, 130.0, np.nan]), sbp).tolist() == [N, Y, U]


def test_kleene_or_and():
    a = np.array([N, N, N, U, U, Y], dtype=np.int8)
    b = np.array([N, U, Y, U, Y, Y], dtype=np.int8)
    assert any_of(a, b).tolist() == [N, U, Y, U, Y, Y]
    assert all_of(a, b).tolist() == [N, N, N, U, U, Y]


def test_by_sex_with_unknown_sex_is_known_only_when_both_cut_offs_agree():
    male, female = RULES.threshold("metabo.waist.male"), RULES.threshold("metabo.waist.female")
    waist = np.array([87.0, 87.0, 87.0, 80.0, 95.0, np.nan])
    sex = np.array([1.0, 2.0, np.nan, np.nan, np.nan, 1.0])
    assert by_sex(waist, sex, male, female).tolist() == [Y, N, U, N, Y, U]


def test_to_boolean():
    result = to_boolean(np.array([N, U, Y], dtype=np.int8))
    assert str(result.dtype) == "boolean"
    assert result.tolist() == [False, pd.NA, True]


def test_resolve_gives_an_outcome_only_when_all_completions_agree():
    inputs = {
        "a": np.array([Y, U, U, N], dtype=np.int8),
        "b": np.array([U, N, U, U], dtype=np.int8),
    }

    def decide(values, rows):
        return (values["a"] | values["b"]).astype(np.int8)  # outcome 1 when either input holds

    result = resolve(inputs, decide, undetermined=9)
    assert result.outcome.tolist() == [1, 9, 9, 9]
    assert result.decisive.tolist() == [0b00, 0b01, 0b11, 0b10]


def test_resolve_calls_decide_with_the_rows_of_each_pattern():
    seen = []

    def decide(values, rows):
        seen.append(rows.tolist())
        return np.zeros(len(rows), dtype=np.int8)

    resolve({"a": np.array([Y, U, Y], dtype=np.int8)}, decide, undetermined=9)
    assert sorted(seen) == [[0, 2], [1], [1]]


def test_spread_maps_inputs_to_items():
    assert spread(np.array([0b01, 0b10, 0b11]), [0b0011, 0b0100]).tolist() == [0b0011, 0b0100, 0b0111]
