"""Which cells of each plan table are counts of people (公表時の秘匿の対象), for small-cell suppression.

Tables whose totals are known get an explicit layout (so complementary suppression protects the total);
any other table falls back to its people-count columns (人数・者数・件数) and its 合計/全体 row, with
every other number of an affected row hidden too — more hiding than needed, never less.
"""

from __future__ import annotations

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.suppression import CountCells, suppress

COUNT_WORDS = ("人数", "者数", "件数")
NOT_COUNTS = ("増減", "差", "%", "率")
TOTAL_LABELS = ("合計", "全体", "計", "全レセプト")
KNOWN: dict[str, tuple[CountCells, ...]] = {
    "population_pyramid": (CountCells(("{insured} 男性", "{insured} 女性", "被扶養者 男性", "被扶養者 女性"),
                                      total_row="合計", total_column="合計"),),
    "membership_trend": (CountCells(("{insured} 加入者数", "被扶養者 加入者数"), total_column="加入者数 計",
                                    dependent=("扶養率", "{insured} 平均年齢", "被扶養者 平均年齢")),),
    "cost_by_age": (CountCells(("{insured} 加入者数", "被扶養者 加入者数"), total_row="合計",
                               total_column="全体 加入者数", dependent=("*",)),),
    "jisshiritsu_kenshin": (CountCells(("受診者数", "未受診者数"), total_row="全体", total_column="対象者数",
                                       dependent=("実施率(%)", "目標との差(ポイント)")),),
    "jisshiritsu_shido": (CountCells(("積極的支援", "動機付け支援"), total_row="全体", total_column="対象者数",
                                     dependent=("対象者率(%)",)),
                          CountCells(("健診受診者数",), total_row="全体", dependent=("対象者率(%)",)),
                          CountCells(("判定不能",), total_row="全体")),
    "shido_ryunyushutsu": (CountCells(("{insured}", "被扶養者"), total_column="人数", dependent=("*",)),),
    "未受診×有所見": (CountCells(("患者予備群（受診勧奨域）", "治療放置群（治療域）"), total_row="計"),),
    "jinsho_risk": (CountCells(("人数",), total_row="2型糖尿病治療中患者", dependent=("*",)),),
    "jinsho_stage": (CountCells(("*",), total_row="合計", total_column="合計"),),
    "jinsho_trend": (CountCells(("*",), count_rows="(人)"),),
    "リスク分布": (CountCells(("*",), count_rows="者数"),),
    "plan_tokutei": (CountCells(("*",), count_rows="(人)", hide_other_rows=False),),
}
ROW_LAYOUT_PREFIXES = ("健診スコア", "問診スコア")


def publish(table: AnalysisTable, insured: str) -> AnalysisTable:
    """`table` with small counts suppressed as its layout says (unchanged when it counts nobody)."""
    for cells in layouts(table, insured):
        table = suppress(table, cells)
    return table


def layouts(table: AnalysisTable, insured: str) -> tuple[CountCells, ...]:
    """The count layout(s) of `table`: the known one for its key, else the generic one."""
    frame = table.table
    numbers = [str(c) for c in frame.columns[1:] if pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if table.key.startswith(ROW_LAYOUT_PREFIXES):
        return (CountCells(tuple(numbers), count_rows="者数"),)
    known = KNOWN.get(table.key)
    if known is None:
        counts = tuple(c for c in numbers
                       if any(w in c for w in COUNT_WORDS) and not any(w in c for w in NOT_COUNTS))
        if not counts:
            return ()
        labels = set(frame.iloc[:, 0].astype("string").fillna(""))
        total = next((label for label in TOTAL_LABELS if label in labels), None)
        return (CountCells(counts, total_row=total, dependent=tuple(c for c in numbers if c not in counts)),)
    return tuple(_filled(cells, numbers, insured) for cells in known)


def _filled(cells: CountCells, numbers: list[str], insured: str) -> CountCells:
    """A known layout with 組合員/被保険者 filled in and 「*」 expanded to the table's number columns."""
    def fill(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(numbers) if names == ("*",) else tuple(n.format(insured=insured) for n in names)

    columns = fill(cells.columns)
    total_column = cells.total_column.format(insured=insured) if cells.total_column else None
    dependent = tuple(c for c in fill(cells.dependent) if c not in columns and c != total_column)
    return CountCells(columns, cells.total_row, total_column, dependent, cells.count_rows, cells.hide_other_rows)
