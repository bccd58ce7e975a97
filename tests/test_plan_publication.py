"""Which cells of plan tables are counts: known layouts and the generic fallback."""

from __future__ import annotations

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan.publication import layouts, publish


def test_a_known_layout_names_the_totals_and_fills_in_the_insured_label():
    table = AnalysisTable("population_pyramid", "p", pd.DataFrame({
        "年齢階層": ["0-4歳", "合計"], "被保険者 男性": [1, 1], "被保険者 女性": [0, 0], "被扶養者 男性": [0, 0],
        "被扶養者 女性": [0, 0], "合計": [1, 1]}))
    (cells,) = layouts(table, "被保険者")
    assert cells.columns[0] == "被保険者 男性" and cells.total_row == "合計" and cells.total_column == "合計"


def test_the_generic_layout_takes_people_counts_and_hides_the_rest_of_their_row():
    table = AnalysisTable("new", "n", pd.DataFrame({
        "区分": ["a", "b", "合計"], "対象者数": [5, 40, 45], "割合(%)": [11.1, 88.9, 100.0],
        "医療費(円)": [100, 200, 300], "人数 増減": [2, 3, 5]}))
    (cells,) = layouts(table, "組合員")
    assert cells.columns == ("対象者数",) and cells.total_row == "合計"
    out = publish(table, "組合員").table
    assert out.iloc[0].tolist() == ["a", "<10", "X", "X", "X"]
    assert out.iloc[1, 1] == "X"            # complementary: the column total would give the 5 back
    assert out.iloc[2].tolist() == ["合計", 45, 100.0, 300, 5]


def test_a_table_without_counts_of_people_is_left_alone():
    table = AnalysisTable("icd10_top10", "t", pd.DataFrame({"順位": [1], "ICD10大分類": ["新生物"], "医療費(円)": [5]}))
    assert layouts(table, "組合員") == ()
    assert publish(table, "組合員") is table
