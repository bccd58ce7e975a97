"""分析表 tab: 集計 on the worker, table list, formatted figures, notes, drill-down, xlsx through ask()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from dhdesk.core.analyses import AnalysisTable
from dhdesk.gui.pages import analysis_tables
from dhdesk.gui.pages.analysis_tables import format_figure, table_chart, table_columns


@pytest.fixture(scope="module")
def tables_workspace(tmp_path_factory):
    """A 400-member demo workspace shared by this module's tests (none of them writes to it)."""
    from dhdesk.services import demo

    return demo.build_demo(tmp_path_factory.mktemp("tables-demo"), members=400, seed=3).workspace_path


@pytest.fixture
def panel(window, qtbot, tables_workspace):
    """The 分析表 tab after 集計 of the latest 年度."""
    window.open_workspace(tables_workspace)
    page = window.show_page("analysis")
    page.tabs.setCurrentWidget(page.tables_panel)
    panel = page.tables_panel
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        panel.run_button.click()
    return panel


def shown(model, row, column):
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


def test_figures_get_thousands_separators_and_na_is_blank():
    assert format_figure(1234567) == "1,234,567"
    assert format_figure(np.int64(2710)) == "2,710"
    assert format_figure(12345.0) == "12,345"
    assert format_figure(32.1) == "32.1"
    assert format_figure(-1234.5) == "-1,234.5"
    assert format_figure(np.float64("nan")) == ""
    assert format_figure(pd.NA) == ""
    assert format_figure("有所見3以上") == "有所見3以上"


def test_number_columns_are_right_aligned_and_labels_left():
    frame = pd.DataFrame({"区分": ["組合員", "被扶養者"], "人数": [1200, 30], "割合(%)": [97.6, np.nan]})
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert [spec.alignment == right for spec in table_columns(frame)] == [False, True, True]


def test_collect_lists_every_table_with_its_section(panel):
    result = panel.result
    assert result.tables and panel.table_list.count() == len(result.tables)
    first = result.tables[0]
    assert panel.table_list.item(0).text() == f"{first.seed_section}  {first.title}"
    assert panel.skipped_label.isHidden() == (not result.skipped)


def test_selected_table_shows_headers_figures_and_notes(panel):
    table = next(t for t in panel.result.tables if t.key == "cost_ranges")
    panel.select_table("cost_ranges")
    model = panel.table_model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == list(table.table.columns)
    column = headers.index("医療費(円) 2025年度")
    row = int(table.table[headers[column]].to_numpy().argmax())
    figure = int(table.table.iloc[row, column])
    assert figure >= 1000
    assert shown(model, row, column) == f"{figure:,}"
    assert model.rowCount() == len(table.table)
    assert panel.title_label.text().startswith(table.title)
    assert panel.notes_label.text() == "\n".join(f"※ {note}" for note in table.notes)


def test_a_table_the_plan_charts_shows_that_chart_under_it(panel):
    table = next(t for t in panel.result.tables if t.key == "population_pyramid")
    panel.select_table("population_pyramid")
    assert panel.chart_view.isVisibleTo(panel)
    axes = panel.chart_view.figure().axes[0]
    bands = [b for b in table.table.iloc[:, 0] if b not in ("合計", "年齢不明")]
    assert [label.get_text() for label in axes.get_yticklabels()] == bands
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["組合員", "被扶養者"]


def test_a_table_without_a_chart_hides_the_chart(panel):
    panel.select_table("population_pyramid")
    panel.select_table("shido_ryunyushutsu")  # 区分 repeats (継続/新規/脱出 and their 内訳): no honest chart
    assert not panel.chart_view.isVisibleTo(panel)
    assert panel.chart_view.figure() is None


def test_table_chart_names_the_series_after_the_unions_insured():
    frame = pd.DataFrame({"年度": ["2024年度", "2025年度"], "被保険者 加入者数": [100, 110],
                          "被扶養者 加入者数": [50, 40], "被保険者 平均年齢": [44.1, 44.6]})
    figure = table_chart(AnalysisTable("membership_trend", "加入者数・平均年齢の推移", frame), "被保険者")
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["被保険者 加入者数", "被扶養者 加入者数"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["2024年度", "2025年度"]
    assert table_chart(AnalysisTable("other", "加入者数", frame.iloc[:1]), "被保険者") is None  # not a plan chart


def test_drill_down_lists_the_member_ids_of_a_label(panel):
    table = next(t for t in panel.result.tables if t.key == "cost_ranges")
    panel.select_table("cost_ranges")
    assert not panel.drill.isHidden()
    assert panel.drill_combo.count() == len(table.member_ids)
    label = next(label for label, ids in table.member_ids.items() if ids)
    panel.drill_combo.setCurrentIndex(panel.drill_combo.findData(label))
    assert panel.member_model.stringList() == list(table.member_ids[label])
    assert panel.drill_count.text() == f"加入者番号 {len(table.member_ids[label]):,}人"


def test_a_table_without_members_hides_the_drill_down(panel):
    key = next(t.key for t in panel.result.tables if not t.member_ids)
    panel.select_table(key)
    assert panel.drill.isHidden()
    assert panel.member_model.stringList() == []


def test_save_to_xlsx_through_the_ask_seam(panel, window, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "分析表.xlsx"
    monkeypatch.setattr(analysis_tables, "ask_save_path", lambda parent, suggested: target)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        panel.save_button.click()
    assert target.is_file() and target.stat().st_size > 0
    assert str(target) in panel.status_label.text()


def test_cancelling_the_save_dialog_starts_nothing(panel, window, monkeypatch):
    monkeypatch.setattr(analysis_tables, "ask_save_path", lambda parent, suggested: None)
    panel.save_button.click()
    assert not window.runner.is_running()


def test_closing_the_workspace_drops_the_tables(panel, window):
    window.session.close()
    assert panel.result is None
    assert panel.table_list.count() == 0 and panel.table_model.rowCount() == 0
    assert not panel.run_button.isEnabled()
    assert panel.status_label.text() == "ワークスペースを開くと集計できます。"


def test_screenshot_shows_the_tables_tab_with_a_table(window, tables_workspace, tmp_path):
    from PySide6.QtGui import QImage
    from screenshots import SIZE, TABLES_SHOWN, capture_analysis_tables

    window.resize(*SIZE)
    window.open_workspace(tables_workspace)
    saved = capture_analysis_tables(window, tmp_path)
    image = QImage(str(saved))
    assert (saved.name, image.width(), image.height()) == ("analysis_tables.png", window.width(), window.height())
    panel = window.pages["analysis"].tables_panel
    assert panel.isVisible()
    assert panel.result.tables[panel.table_list.currentRow()].key == TABLES_SHOWN


def test_screenshot_shows_a_table_with_its_chart(window, tables_workspace, tmp_path):
    from screenshots import CHART_SHOWN, SIZE, capture_analysis_chart

    window.resize(*SIZE)
    window.open_workspace(tables_workspace)
    saved = capture_analysis_chart(window, tmp_path)
    panel = window.pages["analysis"].tables_panel
    assert saved.name == "analysis_chart.png" and saved.stat().st_size > 0
    assert panel.result.tables[panel.table_list.currentRow()].key == CHART_SHOWN
    assert panel.chart_view.figure() is not None


def chart_of(frame: pd.DataFrame, key: str = "not_in_the_plan"):
    """The chart a table without a plan figure gets: (bar categories, series names, value-axis label)."""
    figure = table_chart(AnalysisTable(key, "表", frame), "組合員")
    if figure is None:
        return None
    axes = figure.axes[0]
    figure.canvas.draw()
    horizontal = axes.get_xlabel() != ""  # bars() names the value axis: x when the bars lie down
    ticks = axes.get_yticklabels() if horizontal else axes.get_xticklabels()
    legend = axes.get_legend()
    series = [t.get_text() for t in legend.get_texts()] if legend else [c.get_label() for c in axes.containers]
    return [t.get_text() for t in ticks], series, axes.get_xlabel() if horizontal else axes.get_ylabel()


def test_a_table_with_a_rate_is_charted_by_that_rate_without_its_total_row():
    frame = pd.DataFrame({"区分": ["組合員", "被扶養者", "合計"], "加入者数": [300, 120, 420],
                          "多剤服用者数": [12, 3, 15], "多剤服用者割合(%)": [4.0, 2.5, 3.6]})
    assert chart_of(frame) == (["組合員", "被扶養者"], ["多剤服用者割合(%)"], "多剤服用者割合(%)")


def test_the_same_rate_per_year_or_per_group_is_drawn_side_by_side():
    frame = pd.DataFrame({"レセプト種別": ["医科入院", "調剤", "合計"], "件数": [10, 50, 60],
                          "構成割合(%) 2024年度": [40.0, 60.0, 100.0], "構成割合(%) 2025年度": [35.0, 65.0, 100.0],
                          "医療費割合(%) 2025年度": [70.0, 30.0, 100.0]})
    assert chart_of(frame) == (["医科入院", "調剤"], ["構成割合(%) 2024年度", "構成割合(%) 2025年度"], "構成割合(%)")
    groups = pd.DataFrame({"年齢階層": ["0-9歳", "10-19歳"], "組合員 数量シェア(%)": [80.0, 82.0],
                           "被扶養者 数量シェア(%)": [85.0, 84.0], "全体 数量シェア(%)": [83.0, 83.5]})
    assert chart_of(groups)[1] == ["組合員 数量シェア(%)", "被扶養者 数量シェア(%)", "全体 数量シェア(%)"]


def test_without_a_rate_the_first_count_is_charted_and_a_cross_table_is_stacked():
    counts = pd.DataFrame({"区分": ["A", "B", "C"], "対象者": ["治療中", "未治療", "不明"], "人数": [4, 0, 2]})
    assert chart_of(counts) == (["A", "B", "C"], ["人数"], "人数")
    cross = pd.DataFrame({"血糖コントロール": ["コントロール者", "不明者", "合計"], "第3期": [1, 0, 1], "第4期": [0, 2, 2],
                          "合計": [1, 2, 3]})
    categories, series, axis = chart_of(cross)
    assert (categories, series, axis) == (["コントロール者", "不明者"], ["第3期", "第4期"], "合計の内訳")


def test_long_labels_or_many_rows_are_drawn_as_horizontal_bars():
    long = pd.DataFrame({"区分": ["アンコントロール者のうち 糖尿病のみ", "コントロール者"], "割合(%)": [40.0, 60.0]})
    many = pd.DataFrame({"年齢階層": [f"{a}-{a + 4}歳" for a in range(0, 45, 5)], "人数": range(1, 10)})
    short = pd.DataFrame({"区分": ["12345678", "B"], "割合(%)": [40.0, 60.0]})
    lying = {name: table_chart(AnalysisTable("x", "表", frame), "組合員").axes[0].get_xlabel() != ""
             for name, frame in (("long", long), ("many", many), ("short", short))}
    assert lying == {"long": True, "many": True, "short": False}
    assert chart_of(long)[0] == ["アンコントロール者のうち 糖尿病のみ", "コントロール者"]


@pytest.mark.parametrize(("why", "frame"), [
    ("one row besides the total", pd.DataFrame({"区分": ["組合員", "合計"], "実施率(%)": [50.0, 50.0]})),
    ("a repeated label mixes measures", pd.DataFrame({"区分": ["自組合", "自組合", "他組合"], "指標": ["a", "b", "a"],
                                                       "肥満": [1.0, 2.0, 3.0]})),
    ("every value is 0", pd.DataFrame({"区分": ["65歳未満", "前期高齢者"], "外来受診者数": [30, 15],
                                      "頻回受診者割合(%)": [0.0, 0.0]})),
    ("no number column", pd.DataFrame({"区分": ["a", "b"], "2024年度": ["1", "<10"]})),
    ("no label column", pd.DataFrame({"順位": [1, 2], "人数": [3, 4]})),
    ("no rows", pd.DataFrame({"区分": pd.Series([], dtype="string"), "人数": pd.Series([], dtype="int64")})),
])
def test_no_default_chart_where_it_would_mislead_or_say_nothing(why, frame):
    assert chart_of(frame) is None, why


def test_every_demo_table_gets_the_expected_chart(panel):
    charted = {t.key for t in panel.result.tables
               if table_chart(t, "組合員") is not None}
    assert {"cost_ranges", "cost_by_type", "jisshiritsu_kenshin", "jisshiritsu_shido", "予備群コントロール",
            "jinsho_stage", "jinsho_groups", "generic_share_by_age", "polypharmacy"} <= charted
    assert not charted & {"shido_ryunyushutsu", "リスク分布", "jinsho_trend", "健診スコア_組合員", "問診スコア_組合員"}
    panel.select_table("cost_ranges")
    assert panel.chart_view.isVisibleTo(panel)
    legend = panel.chart_view.figure().axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [c for c in panel.result.tables[
        panel.table_list.currentRow()].table.columns if str(c).startswith("加入者割合(%)")]


def test_screenshot_shows_a_table_with_its_default_chart(window, tables_workspace, tmp_path):
    from screenshots import DEFAULT_CHART_SHOWN, SIZE, capture_analysis_default_chart

    window.resize(*SIZE)
    window.open_workspace(tables_workspace)
    saved = capture_analysis_default_chart(window, tmp_path)
    panel = window.pages["analysis"].tables_panel
    assert saved.name == "analysis_default_chart.png" and saved.stat().st_size > 0
    assert panel.result.tables[panel.table_list.currentRow()].key == DEFAULT_CHART_SHOWN
    legend = panel.chart_view.figure().axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [f"構成割合(%) {y}年度" for y in (2023, 2024, 2025)]
