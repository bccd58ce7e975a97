"""Charts (図) of the plan from analysis tables: pyramid, bars, year lines, 実施率 against target.

`table_default` draws any other table that has a label column and numbers (the 分析 screen charts
every table; the plan prints only its own list).

Each chart is `def <chart>(table, ...) -> Figure`, built with matplotlib's object API (never pyplot's
global state), so the PDF renderer and the GUI embed the very same drawing. Japanese text uses the
bundled font, registered with matplotlib's font manager once and passed explicitly to every text.
Cells a published table hides (「<10」, 「X」) are drawn as missing, never as their value.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from importlib.resources import as_file

import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter, MaxNLocator

from dhdesk.core.plan import FigureBlock
from dhdesk.reports.fonts import BUNDLED, REGULAR, font_file

WIDTH_IN = 6.3
HEIGHT_IN = 3.0
PALETTE = ("#2F5D8A", "#E08A3C", "#6A9F58", "#A05195", "#7F7F7F", "#C44E52", "#4C9BB0")
_lock = threading.Lock()
_font: FontProperties | None = None


def font(size: float = 8.5) -> FontProperties:
    """The bundled Japanese font as matplotlib properties (registered with the font manager once)."""
    global _font
    with _lock:
        if _font is None:
            filename = next(f.filename for f in BUNDLED if f.name == REGULAR)
            with as_file(font_file(filename)) as path:
                font_manager.fontManager.addfont(str(path))
                _font = FontProperties(fname=str(path))
    properties = _font.copy()
    properties.set_size(size)
    return properties


def numbers(values: pd.Series | pd.DataFrame) -> np.ndarray:
    """Cells as floats; hidden or blank cells → NaN (a published table's marks are never drawn)."""
    if isinstance(values, pd.DataFrame):
        return values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")


def _figure(height: float = HEIGHT_IN) -> tuple[Figure, object]:
    figure = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="both", color="#DDDDDD", linewidth=0.5)
    axes.set_axisbelow(True)
    return figure, axes


def _style_ticks(axes) -> None:
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontproperties(font(8))


def _thousands(axes, axis: str) -> None:
    formatter = FuncFormatter(lambda value, _: f"{value:,.0f}")
    (axes.xaxis if axis == "x" else axes.yaxis).set_major_formatter(formatter)


def pyramid(table: pd.DataFrame) -> Figure:
    """Population pyramid: men to the left, women to the right, 組合員 and 被扶養者 stacked, oldest on top."""
    body = table.loc[~table.iloc[:, 0].isin(["合計", "年齢不明"])]
    bands = body.iloc[:, 0].astype(str).tolist()
    groups = [c for c in table.columns[1:] if str(c).endswith("男性")]
    figure, axes = _figure(3.6)
    y = np.arange(len(bands))
    for side, sex in ((-1, "男性"), (1, "女性")):
        left = np.zeros(len(bands))
        for n, male_column in enumerate(groups):
            group = str(male_column).removesuffix(" 男性")
            values = np.nan_to_num(numbers(body[f"{group} {sex}"]))
            label = group if side == 1 else None
            axes.barh(y, side * values, left=side * left, color=PALETTE[n], height=0.8, label=label)
            left += values
    limit = max(1.0, float(np.abs(axes.get_xlim()).max()))
    axes.set_xlim(-limit, limit)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(value):,.0f}"))
    axes.set_yticks(y, bands)
    axes.axvline(0, color="#333333", linewidth=0.6)
    axes.text(0.02, 0.98, "男性", transform=axes.transAxes, va="top", fontproperties=font(9))
    axes.text(0.98, 0.98, "女性", transform=axes.transAxes, va="top", ha="right", fontproperties=font(9))
    axes.set_xlabel("加入者数(人)", fontproperties=font())
    axes.legend(prop=font(8), loc="lower right", frameon=False)
    _style_ticks(axes)
    return figure


def bars(table: pd.DataFrame, *, label: str, columns: Sequence[str] | str, unit: str = "", stacked: bool = False,
         horizontal: bool = False, scale: float = 1.0, scale_label: str = "", skip_rows: Sequence[str] = ()) -> Figure:
    """Bars per row of `table` (categories from column `label`), one series per column, grouped or stacked."""
    body = table.loc[~table[label].isin(list(skip_rows))]
    series = [c for c in table.columns if c != label and pd.api.types.is_numeric_dtype(table[c].dtype)] \
        if columns == "*" else list(columns)
    values = numbers(body[series]) / scale
    categories = body[label].astype(str).tolist()
    figure, axes = _figure(3.4 if horizontal and len(categories) > 6 else HEIGHT_IN)
    positions = np.arange(len(categories))
    width = 0.8 if stacked or len(series) == 1 else 0.8 / len(series)
    base = np.zeros(len(categories))
    for n, name in enumerate(series):
        column = np.nan_to_num(values[:, n])
        offset = 0.0 if stacked or len(series) == 1 else (n - (len(series) - 1) / 2) * width
        draw = axes.barh if horizontal else axes.bar
        kwargs = {"left": base} if horizontal and stacked else {"bottom": base} if stacked else {}
        draw(positions + offset, column, width, color=PALETTE[n % len(PALETTE)], label=name, **kwargs)
        if stacked:
            base = base + column
    axis_label = f"{scale_label or unit}"
    if horizontal:
        axes.set_yticks(positions, categories)
        axes.invert_yaxis()
        _thousands(axes, "x")
        axes.set_xlabel(axis_label, fontproperties=font())
    else:
        axes.set_xticks(positions, categories, rotation=45 if len(categories) > 8 else 0,
                        ha="right" if len(categories) > 8 else "center")
        _thousands(axes, "y")
        axes.set_ylabel(axis_label, fontproperties=font())
    if len(series) > 1:
        axes.legend(prop=font(8), frameon=False, loc="best")
    _style_ticks(axes)
    return figure


def lines(table: pd.DataFrame, *, row: str, unit: str = "") -> Figure:
    """One row of a table with a column per 年度 (「… 2024年度」) drawn as a line over the years."""
    year_columns = [c for c in table.columns if str(c).endswith("年度") and "%" in str(c)]
    values = numbers(table.loc[table.iloc[:, 0] == row, year_columns].iloc[0])
    years = [str(c).split()[-1] for c in year_columns]
    figure, axes = _figure(2.6)
    axes.plot(years, values, marker="o", color=PALETTE[0], label=row)
    for x, v in zip(years, values, strict=True):
        if not np.isnan(v):
            axes.annotate(f"{v:.1f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center",
                          fontproperties=font(8))
    axes.set_ylabel(unit, fontproperties=font())
    axes.set_ylim(0, 100 if unit == "%" else None)
    _style_ticks(axes)
    return figure


def rates(table: pd.DataFrame) -> Figure:
    """特定健診 実施率 by year and group (lines) against the target (dashed)."""
    figure, axes = _figure(2.8)
    years = table["年度"].astype(str).tolist()
    groups = [c for c in table.columns if str(c).endswith("実施率(%)")]
    for n, column in enumerate(groups):
        values = numbers(table[column])
        axes.plot(years, values, marker="o", color=PALETTE[n], label=str(column).removesuffix(" 実施率(%)"))
    axes.plot(years, numbers(table["目標(%)"]), linestyle="--", color="#C44E52", label="目標")
    axes.set_ylim(0, 100)
    axes.set_ylabel("実施率(%)", fontproperties=font())
    axes.legend(prop=font(8), frameon=False, loc="lower right", ncols=4)
    _style_ticks(axes)
    return figure


def kpi(table: pd.DataFrame, *, indicator: str) -> Figure:
    """目標 (bars) and 実績 (line) of one KPI indicator's 全体 row over the plan years."""
    rows = table.loc[(table["指標"] == indicator) & (table["区分"] == "全体")]
    years = [c for c in table.columns if str(c).endswith("年度")]
    goal = numbers(rows.loc[rows[""] == "目標", years].iloc[0])
    actual = numbers(rows.loc[rows[""] == "実績", years].iloc[0])
    figure, axes = _figure(2.6)
    labels = [str(y) for y in years]
    axes.bar(labels, np.nan_to_num(goal), color="#C9D6E6", label="目標")
    axes.plot(labels, actual, marker="o", color=PALETTE[1], label="実績")
    for x, v in zip(labels, actual, strict=True):
        if not np.isnan(v):
            axes.annotate(f"{v:.1f}", (x, v), textcoords="offset points", xytext=(0, 6), ha="center",
                          fontproperties=font(8))
    axes.set_ylim(0, 100)
    axes.set_ylabel(indicator, fontproperties=font())
    axes.legend(prop=font(8), frameon=False, loc="lower right", ncols=2)
    _style_ticks(axes)
    return figure


TOTAL_ROWS = ("合計", "計")
"""Row labels of a table's total row: left out of a default chart, where it would dwarf the rows."""
_PERIOD = re.compile(r"\s*(令和\d+年度\(\d{4}\)|\d{4}年度)")
_GROUP = re.compile(r"^(組合員|被保険者|被扶養者|全体) ")
_LONG_LABEL = 8


def _measure(column: object) -> str:
    """What a column measures without its 年度 or group: 「加入者割合(%) 2024年度」 → 「加入者割合(%)」."""
    return _GROUP.sub("", _PERIOD.sub("", str(column))).strip()


def _is_rate(column: object) -> bool:
    return "%" in str(column) or "率" in str(column)


def table_default(table: pd.DataFrame) -> Figure | None:
    """Bars for a table the plan does not draw: one bar per labelled row, of its rate (「%」 or 「率」 in the
    header; every column of that same rate, per 年度 or per group, side by side), else of its first count;
    a cross-table (a 合計 column) stacks the counts before its 合計, so no column is shown alone.

    The label is the first text column; the numbers are the numeric columns right of it. None when a
    chart would mislead or say nothing: a label repeated (sub-rows mixed with their totals, or measures
    stacked as rows), fewer than two rows besides 合計, or no number other than 0.
    """
    label = next((c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c].dtype)), None)
    if label is None:
        return None
    body = table.loc[~table[label].astype(str).isin(TOTAL_ROWS)]
    if len(body) < 2 or body[label].astype(str).duplicated().any():
        return None
    right = table.columns[table.columns.get_loc(label) + 1:]
    numeric = [c for c in right if pd.api.types.is_numeric_dtype(table[c].dtype)
               and not pd.api.types.is_bool_dtype(table[c].dtype)]
    rate_columns = [c for c in numeric if _is_rate(c)]
    total = next((c for c in numeric if str(c) in TOTAL_ROWS), None)
    crosstab = not rate_columns and total is not None
    if rate_columns:
        series = [c for c in rate_columns if _measure(c) == _measure(rate_columns[0])]
    else:
        series = numeric[:numeric.index(total)] if crosstab else numeric[:1]
    if not series or not np.nan_to_num(numbers(body[series])).any():
        return None
    unit = f"{total}の内訳" if crosstab else _measure(series[0]) if len(series) > 1 else str(series[0])
    horizontal = len(body) > _LONG_LABEL or body[label].astype(str).str.len().max() > _LONG_LABEL
    figure = bars(table, label=label, columns=series, unit=unit, horizontal=horizontal, skip_rows=TOTAL_ROWS,
                  stacked=crosstab)
    if not rate_columns:
        axes = figure.axes[0]
        (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    return figure


CHARTS = {"pyramid": pyramid, "bars": bars, "lines": lines, "rates": rates, "kpi": kpi}


def draw(block: FigureBlock) -> Figure:
    """The chart a plan figure block names, drawn from its table."""
    return CHARTS[block.chart](block.table.table, **block.options)
