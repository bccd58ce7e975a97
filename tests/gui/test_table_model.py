"""DataFrameModel: formatting (dates, blanks, numbers), headers, alignment, sorting."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt

from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_count, format_value

DISPLAY = Qt.ItemDataRole.DisplayRole


def frame():
    return pd.DataFrame(
        {
            "加入者番号": pd.array(["0001", "0002", None], dtype="string"),
            "生年月日": pd.to_datetime(["1963-02-13", None, "1990-12-01"]),
            "腹囲": [85.0, float("nan"), 91.5],
            "年齢": pd.array([62, None, 35], dtype="Int64"),
        }
    )


def texts(model, column):
    return [model.data(model.index(r, column), DISPLAY) for r in range(model.rowCount())]


def test_dates_are_yyyy_mm_dd_and_missing_values_blank():
    model = DataFrameModel(frame())
    assert texts(model, 0) == ["0001", "0002", ""]
    assert texts(model, 1) == ["1963-02-13", "", "1990-12-01"]
    assert texts(model, 2) == ["85", "", "91.5"]
    assert texts(model, 3) == ["62", "", "35"]


def test_headers_are_the_labels_and_numbers_align_right():
    model = DataFrameModel(frame())
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == ["加入者番号", "生年月日", "腹囲", "年齢"]
    align = Qt.ItemDataRole.TextAlignmentRole
    assert model.data(model.index(0, 2), align) & int(Qt.AlignmentFlag.AlignRight.value)
    assert model.data(model.index(0, 0), align) & int(Qt.AlignmentFlag.AlignLeft.value)


def test_column_specs_choose_columns_labels_and_formatters():
    df = pd.DataFrame({"level": ["積極的支援", "動機付け支援"], "n": [1234, 56]})
    model = DataFrameModel(df, [ColumnSpec("n", "人数", format_count), ColumnSpec("level", "保健指導レベル")])
    assert model.columnCount() == 2
    assert model.headerData(0, Qt.Orientation.Horizontal) == "人数"
    assert texts(model, 0) == ["1,234", "56"]


def test_sort_is_by_value_not_text_and_blanks_stay_last():
    model = DataFrameModel(frame())
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert texts(model, 2) == ["91.5", "85", ""]
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert texts(model, 1) == ["1963-02-13", "1990-12-01", ""]
    assert model.row(0)["加入者番号"] == "0001"


def test_format_value_edges():
    assert format_value(pd.NA) == ""
    assert format_value(None) == ""
    assert format_value(pd.NaT) == ""
    assert format_value(1234567.0) == "1234567"
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_count(2710) == "2,710"


def test_a_large_frame_is_shown_without_touching_every_row():
    big = pd.DataFrame({"加入者番号": pd.array([f"{i:07d}" for i in range(200_000)], dtype="string")})
    model = DataFrameModel(big)
    assert model.rowCount() == 200_000
    assert model.data(model.index(199_999, 0), DISPLAY) == "0199999"
