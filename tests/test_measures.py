"""Values as the rules read them: half-up rounding, BMI, dates, missing-item masks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.rules.measures import bmi, flag_bits, label_tuples, measured, numbers, round_half_up, ymd


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (129.5, 0, 130.0), (129.49, 0, 129.0), (130.0, 0, 130.0), (5.55, 1, 5.6), (5.549, 1, 5.5),
        (84.95, 1, 85.0), (0.285, 2, 0.29), (1.005, 2, 1.01),
    ],
)
def test_round_half_up_is_decimal_safe(value, decimals, expected):
    assert round_half_up(np.array([value]), decimals)[0] == expected


def test_round_half_up_keeps_nan():
    assert np.isnan(round_half_up(np.array([np.nan]), 1)[0])


def test_measured_rounds_to_the_field_precision_and_absent_columns_are_blank():
    frame = pd.DataFrame({"sbp": [129.5, np.nan], "hba1c": [5.55, 6.04]})
    assert measured(frame, "sbp")[0] == 130.0
    assert np.isnan(measured(frame, "sbp")[1])
    assert measured(frame, "hba1c").tolist() == [5.6, 6.0]
    assert np.isnan(measured(frame, "waist")).all()


def test_numbers_reads_nullable_codes():
    frame = pd.DataFrame({"smoking": pd.array([1, None, 3], dtype="Int8")})
    assert np.array_equal(numbers(frame, "smoking"), [1.0, np.nan, 3.0], equal_nan=True)


def test_bmi_prefers_the_recorded_value_else_computes_it():
    frame = pd.DataFrame(
        {
            "bmi": [22.04, np.nan, np.nan, np.nan],
            "height": [170.0, 160.0, np.nan, 0.0],
            "weight": [80.0, 63.9, 60.0, 60.0],
        }
    )
    values, computed = bmi(frame)
    assert np.array_equal(values, [22.0, 25.0, np.nan, np.nan], equal_nan=True)
    assert computed.tolist() == [False, True, False, False]


def test_ymd_orders_dates_as_numbers():
    frame = pd.DataFrame({"exam_date": pd.to_datetime(["2024-04-01", None])})
    assert np.array_equal(ymd(frame, "exam_date"), [20240401.0, np.nan], equal_nan=True)


def test_flag_bits_and_label_tuples():
    bits = flag_bits({"b": np.array([True, False, True]), "a": np.array([False, False, True])}, ["a", "b"])
    assert bits.tolist() == [0b10, 0b00, 0b11]
    assert label_tuples(bits, ["腹囲", "喫煙"]).tolist() == [("喫煙",), (), ("腹囲", "喫煙")]
