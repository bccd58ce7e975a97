"""Printed cell text and column order of plan tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dhdesk.core.plan.cells import MAX_FIGURE_COLUMNS, cell_text, column_chunks, printed_order, rows_text


def test_numbers_are_printed_as_the_seed_prints_them():
    assert cell_text(1234567, "医療費(円)") == "1,234,567"
    assert cell_text(12345.4, "1人あたり医療費(円)") == "12,345"
    assert cell_text(90.0, "実施率(%)") == "90.0"
    assert cell_text(0.64, "扶養率") == "0.64"
    assert cell_text(44.0, "組合員 平均年齢") == "44.0"
    assert cell_text(np.int64(12), "人数") == "12"
    assert cell_text(math.nan, "人数") == cell_text(None, "人数") == cell_text(pd.NA, "x") == "－"
    assert cell_text("<10", "人数") == "<10"


def test_text_columns_are_printed_as_labels_before_the_numbers():
    frame = pd.DataFrame({"項目": ["a"], "実績(%)": [1.0], "判定": ["x"], "出典": ["y"], "率": [2.0]})
    assert printed_order(frame) == (["項目", "判定", "出典", "実績(%)", "率"], 3)


def test_a_wide_table_is_split_with_its_labels_repeated():
    columns = ["区分"] + [f"c{i}" for i in range(MAX_FIGURE_COLUMNS + 3)]
    chunks = column_chunks(columns, 1)
    assert len(chunks) == 2
    assert all(chunk[0] == "区分" for chunk in chunks)
    assert sum(len(c) - 1 for c in chunks) == MAX_FIGURE_COLUMNS + 3
    assert column_chunks(columns[:MAX_FIGURE_COLUMNS + 1], 1) == [columns[:MAX_FIGURE_COLUMNS + 1]]


def test_a_row_labelled_as_a_rate_prints_its_figures_as_rates():
    frame = pd.DataFrame({"区分": ["人数(人)", "割合(%)"], "2025年度": [76.0, 10.0]})
    assert rows_text(frame, ["区分", "2025年度"]) == (("人数(人)", "76"), ("割合(%)", "10.0"))
