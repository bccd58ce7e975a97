"""Typed frames (型付きフレーム) in and out of DuckDB through Arrow, checked against the table's types.

Frames cross the store boundary only through Arrow: `.df()` on big results costs five times more
time and memory. The checks here catch a caller that hands the wrong pandas dtype for a column
(e.g. text for a measured value) before DuckDB would silently cast it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api import types as ptypes

_DUCKDB_TO_ARROW: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "DOUBLE": pa.float64(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "BOOLEAN": pa.bool_(),
}


def arrow_type(duckdb_type: str) -> pa.DataType:
    """The Arrow type a frame column is converted to before it is inserted into a DuckDB column."""
    return _DUCKDB_TO_ARROW[duckdb_type]


def to_arrow(frame: pd.DataFrame, columns: dict[str, pa.DataType], *, what: str) -> pa.Table:
    """`frame` as an Arrow table with exactly `columns` (absent ones all-null), types checked.

    Raises ValueError for a column the table does not have or a dtype that does not fit: these are
    programming errors of the caller (readers hand over typed frames), not problems in a clerk's file.
    """
    unknown = [str(name) for name in frame.columns if name not in columns]
    if unknown:
        raise ValueError(f"{what}: unknown columns {unknown}")
    arrays = []
    for name, target in columns.items():
        if name in frame.columns:
            arrays.append(_column_to_arrow(frame[name], target, what=f"{what}.{name}"))
        else:
            arrays.append(pa.nulls(len(frame), target))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _column_to_arrow(series: pd.Series, target: pa.DataType, *, what: str) -> pa.Array:
    if not series.isna().all():
        _check_dtype(series, target, what)
    try:
        return pa.Array.from_pandas(series, type=target)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ValueError(f"{what}: cannot store {series.dtype} as {target}: {exc}") from exc


def _check_dtype(series: pd.Series, target: pa.DataType, what: str) -> None:
    dtype = series.dtype
    if pa.types.is_string(target):
        ok = ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype)
    elif pa.types.is_date(target) or pa.types.is_timestamp(target):
        ok = ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_object_dtype(dtype)
    elif pa.types.is_boolean(target):
        ok = ptypes.is_bool_dtype(dtype)
    else:
        ok = ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype)
    if not ok:
        raise ValueError(f"{what}: dtype {dtype} does not fit a {target} column")


def _pandas_type(arrow: pa.DataType) -> object:
    """The pandas dtype of the typed-frame convention for an Arrow column coming out of DuckDB."""
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow) or pa.types.is_string_view(arrow):
        return pd.StringDtype()
    if arrow in (pa.int8(), pa.int16()):  # SMALLINT holds sex, answers and coded choices
        return pd.Int8Dtype()
    if pa.types.is_integer(arrow):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow):
        return pd.BooleanDtype()
    return None


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A DuckDB result as a typed frame: text `string`, dates `datetime64[ns]`, codes `Int8`, counts `Int64`.

    Integer and boolean columns are built straight from their Arrow buffers (one values array and one
    null mask per column): pandas' own conversion casts and copies chunk by chunk, seconds on the tens
    of millions of claims rows the analyses read.
    """
    direct = {name: _masked(column, _pandas_type(column.type)) for name, column in zip(table.column_names, table.columns)
              if pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)}
    rest = table.drop_columns(list(direct))
    converted = rest.to_pandas(types_mapper=_pandas_type, date_as_object=False)
    for name, column in zip(rest.column_names, rest.columns):
        if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
            converted[name] = converted[name].astype("datetime64[ns]")
    return pd.DataFrame({name: direct[name] if name in direct else converted[name] for name in table.column_names},
                        index=converted.index, copy=False)


def _masked(column: pa.ChunkedArray, dtype: object) -> pd.api.extensions.ExtensionArray:
    """An Arrow integer or boolean column as a pandas masked array of `dtype` (Int8, Int64, boolean)."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if array.null_count:
        mask = array.is_null().to_numpy(zero_copy_only=False)
        array = array.fill_null(False if pa.types.is_boolean(array.type) else 0)
    else:
        mask = np.zeros(len(array), dtype=bool)
    values = np.array(array.to_numpy(zero_copy_only=False), dtype=dtype.numpy_dtype)
    if isinstance(dtype, pd.BooleanDtype):
        return pd.arrays.BooleanArray(values, mask)
    return pd.arrays.IntegerArray(values, mask)
