"""Small-cell suppression: 1–9 → 「<10」, complementary cells so totals cannot give them back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.suppression import CountCells, hidden_cells, load_rules, suppress


def _table(rows, columns):
    return AnalysisTable("t", "表", pd.DataFrame(rows, columns=columns), ("注",))


def test_below_at_and_above_the_cut_off():
    primary, complementary = hidden_cells(np.array([[0, 1, 9, 10, 11]]), total_row=False, total_column=False,
                                          minimum=10)
    assert primary.tolist() == [[False, True, True, False, False]]
    assert not complementary.any()


def test_one_hidden_cell_in_a_row_with_a_total_hides_the_smallest_other_non_zero_cell():
    table = _table([["a", 0, 3, 40, 12, 55]], ["区分", "x", "y", "z", "w", "計"])
    out = suppress(table, CountCells(("x", "y", "z", "w"), total_column="計")).table
    assert out.iloc[0].tolist() == ["a", 0, "<10", 40, "X", 55]


def test_zeros_are_never_hidden_so_the_total_is_hidden_when_nothing_else_can_be():
    table = _table([["a", 0, 4, 4], ["b", 20, 30, 50], ["計", 20, 34, 54]], ["区分", "x", "y", "計"])
    out = suppress(table, CountCells(("x", "y"), total_row="計", total_column="計")).table
    assert out.iloc[0].tolist() == ["a", 0, "<10", "<10"]
    # column y and the total column now each have one hidden cell: a second one is hidden in each
    assert out.iloc[1].tolist() == ["b", 20, "X", "X"]
    assert out.iloc[2].tolist() == ["計", 20, 34, 54]


def test_no_line_is_left_with_exactly_one_hidden_cell():
    rng = np.random.default_rng(3)
    body = rng.integers(0, 40, size=(8, 5))
    values = np.vstack([np.column_stack([body, body.sum(1)]), np.append(body.sum(0), body.sum())])
    primary, complementary = hidden_cells(values, total_row=True, total_column=True, minimum=10)
    hidden = primary | complementary
    assert primary.any()
    assert all(hidden[r].sum() != 1 for r in range(hidden.shape[0]))
    assert all(hidden[:, c].sum() != 1 for c in range(hidden.shape[1]))
    assert not hidden[values == 0].any()


def test_rates_of_a_row_with_a_hidden_count_are_hidden_and_a_note_is_added():
    table = _table([["全体", 120, 100, 83.3], ["被扶養者", 8, 5, 62.5]], ["区分", "対象者数", "受診者数", "実施率(%)"])
    out = suppress(table, CountCells(("対象者数", "受診者数"), dependent=("実施率(%)",)))
    assert out.table.iloc[1].tolist() == ["被扶養者", "<10", "<10", "X"]
    assert out.table.iloc[0].tolist() == ["全体", 120, 100, 83.3]
    assert out.notes[-1] == load_rules().note and out.member_ids == {}


def test_a_table_without_small_counts_is_returned_as_is():
    table = _table([["a", 0, 10]], ["区分", "x", "y"])
    assert suppress(table, CountCells(("x", "y"))) is table


def test_a_table_laid_out_by_rows_hides_counts_and_the_rates_below_them():
    table = _table([["該当者数", "2025年度", 88, 4], ["割合(%)", "2025年度", 95.7, 4.3]], ["指標", "年度", "正常", "重症"])
    out = suppress(table, CountCells(("正常", "重症"), count_rows="者数")).table
    assert out.iloc[0].tolist() == ["該当者数", "2025年度", 88, "<10"]
    assert out.iloc[1].tolist() == ["割合(%)", "2025年度", 95.7, "X"]
