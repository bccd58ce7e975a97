"""Assembles generated columns into a typed frame (型付きフレーム) following a canonical layout exactly."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from dhdesk.core.fields import Field, Layout, pandas_dtype


def _column(field: Field, values: object, length: int) -> pd.api.extensions.ExtensionArray | np.ndarray:
    dtype = pandas_dtype(field)
    if values is None:
        if dtype == "datetime64[ns]":
            return np.full(length, np.datetime64("NaT"), dtype="datetime64[ns]")
        if dtype == "float64":
            return np.full(length, np.nan)
        return pd.array([pd.NA] * length, dtype=dtype)
    if dtype == "datetime64[ns]":
        return np.asarray(values).astype("datetime64[ns]")
    if dtype == "float64":
        return np.asarray(values, dtype="float64")
    if dtype == "string":
        # Generated text repeats a lot (codes, names, months): convert the distinct values once, then take.
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        return pd.array(np.asarray(uniques, dtype=object), dtype="string").take(codes, allow_fill=True)
    array = np.asarray(values, dtype="float64")
    return pd.array(np.where(np.isnan(array), np.nan, array), dtype=dtype)


def typed_frame(layout: Layout, columns: Mapping[str, object], length: int) -> pd.DataFrame:
    """A frame with exactly the layout's columns, in order; fields not generated are all missing.

    Integer-like inputs may carry NaN for missing values; text inputs may carry None.
    """
    unknown = set(columns) - set(layout.names)
    if unknown:
        raise KeyError(f"not in layout {layout.key}: {sorted(unknown)}")
    return pd.DataFrame(
        {f.name: _column(f, columns.get(f.name), length) for f in layout.fields},
        index=pd.RangeIndex(length),
    )
