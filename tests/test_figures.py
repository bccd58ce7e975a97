"""Plan charts: OO-API Figures in the bundled Japanese font, drawn from analysis tables, hidden cells left out."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan import FigureBlock
from dhdesk.reports import figures

PYRAMID = pd.DataFrame({
    "年齢階層": ["40-44歳", "45-49歳", "合計"], "組合員 男性": [30, 20, 50], "組合員 女性": [25, "<10", 25],
    "被扶養者 男性": [1, 0, 1], "被扶養者 女性": [12, 10, 22], "合計": [68, 30, 98]})


def _texts(figure: Figure) -> list[str]:
    figure.canvas.draw()  # tick labels exist once drawn
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


def test_the_pyramid_puts_men_left_women_right_and_skips_hidden_cells():
    figure = figures.pyramid(PYRAMID)
    axes = figure.axes[0]
    widths = sorted(round(p.get_width()) for p in axes.patches)
    assert widths == [-30, -20, -1, 0, 0, 10, 12, 25]     # the 「<10」 woman cell is drawn as nothing
    texts = _texts(figure)
    assert {"男性", "女性", "40-44歳", "組合員", "被扶養者"} <= set(texts)


def test_japanese_text_uses_the_bundled_font():
    figure = figures.pyramid(PYRAMID)
    figure.canvas.draw()
    label = figure.axes[0].get_yticklabels()[0]
    assert label.get_fontproperties().get_name() == "BIZ UDGothic"


def test_bars_stack_or_group_the_chosen_columns():
    table = pd.DataFrame({"年度": ["2024年度", "2025年度"], "a": [1.0, 2.0], "b": [3.0, 4.0]})
    stacked = figures.bars(table, label="年度", columns=("a", "b"), stacked=True, unit="人")
    bottoms = [p.get_y() for p in stacked.axes[0].patches]
    assert bottoms == [0, 0, 1.0, 2.0]
    grouped = figures.bars(table, label="年度", columns="*", unit="人")
    assert len({round(p.get_x(), 3) for p in grouped.axes[0].patches}) == 4


def test_numbers_treat_marks_as_missing():
    assert np.isnan(figures.numbers(pd.Series(["<10", 3, "X"]))).tolist() == [True, False, True]


def test_draw_dispatches_a_plan_block_and_the_figure_saves_as_png():
    table = AnalysisTable("jisshiritsu_trend", "t", pd.DataFrame({
        "年度": ["2024年度", "2025年度"], "全体 実施率(%)": [80.0, 85.0], "目標(%)": [90.0, 90.0]}))
    figure = figures.draw(FigureBlock("図3-1", "rates", table))
    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    assert buffer.getvalue()[:4] == b"\x89PNG"
    assert "目標" in _texts(figure)


def test_drawing_a_chart_never_loads_pyplot():
    import subprocess
    import sys

    code = ("import io, sys, pandas as pd; from dhdesk.reports import figures; "
            "table = pd.DataFrame({'年度': ['2025年度'], 'a': [1.0]}); "
            "figures.bars(table, label='年度', columns=('a',)).savefig(io.BytesIO(), format='png'); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
