"""Screenshots of every screen on the demo workspace, saved as docs/screenshots/<page>.png.

    PYTHONPATH=src .venv/bin/python tests/gui/screenshots.py [--members 3000] [-o docs/screenshots]

Runs headless (offscreen Qt) with throw-away settings; look at the pictures after each UI change.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from dhdesk.gui.fonts import apply_app_font  # noqa: E402
from dhdesk.gui.main_window import MainWindow  # noqa: E402
from dhdesk.gui.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SIZE = (1280, 800)
BROKEN_ROSTER = (
    "加入者番号,氏名,性別,生年月日,本人家族,資格取得日\n"
    "9000001,試験 花子,女,1980-04-01,本人,2020-04-01\n"
    "9000002,試験 太郎,男,1980-13-45,本人,2020-04-01\n"
    "9000003,,X,1981-01-01,本人,2020-04-01\n"
)
"""A roster with three mistakes, so the データ取込 screenshot shows a refused import and its issue table."""
TABLES_SHOWN = "cost_ranges"
"""The 分析表 screenshot shows this table (wide, with notes and a drill-down)."""
CHART_SHOWN = "population_pyramid"
"""The 分析表 chart screenshot shows this table and its chart (the plan's 図2-1)."""


def wait_for_task(window: MainWindow) -> None:
    app = QApplication.instance()
    while window.runner.is_running():
        app.processEvents()
        time.sleep(0.01)
    settle()


def settle() -> None:
    """Let layouts finish: word-wrapped labels need a few event-loop passes to get their height."""
    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.02)


def capture_all(window: MainWindow, out_dir: Path, scratch: Path) -> list[Path]:
    """Visit every page of `window` (a workspace open), set it up to show something real, save a PNG."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for key in window.pages:
        page = window.show_page(key)
        if key == "import":
            broken = scratch / "加入者台帳_2025年4月.csv"
            broken.write_text(BROKEN_ROSTER, encoding="utf-8-sig")
            page.path_edit.setText(str(broken))
            page.start_import()
            wait_for_task(window)
        elif key == "analysis":
            page.start_stratification()
            wait_for_task(window)
            page.select_member(0)
        elif key == "settings":
            page.start_backup()
            wait_for_task(window)
        settle()
        target = out_dir / f"{key}.png"
        window.grab().save(str(target))
        saved.append(target)
    return saved


def capture_analysis_tables(window: MainWindow, out_dir: Path) -> Path:
    """The 分析 screen's 分析表 tab after 集計, one table selected and one drill-down label chosen."""
    page = window.show_page("analysis")
    panel = page.tables_panel
    page.tabs.setCurrentWidget(panel)
    panel.start_analysis()
    wait_for_task(window)
    panel.select_table(TABLES_SHOWN)
    panel.drill_combo.setCurrentIndex(1)
    settle()
    target = out_dir / "analysis_tables.png"
    window.grab().save(str(target))
    return target


TARGETS_SIZE = (1200, 780)
TARGETS_EXCLUSION = "本人から通知不要の申し出（電話）"
"""The 対象者抽出 screenshots: a 受診勧奨 run with one member excluded by the clerk, that member selected."""


def capture_targets(window: MainWindow, out_dir: Path) -> list[Path]:
    """対象者抽出 at 1200×780 after a real 受診勧奨 run: the review (one clerk exclusion shown) and the settings."""
    size = window.size()
    window.resize(*TARGETS_SIZE)
    page = window.show_page("targets")
    page.program_combo.setCurrentIndex(page.program_combo.findData("jushin"))
    page.start_run()
    wait_for_task(window)
    review = page.review_panel.review
    member = review.table.loc[~review.table["excluded"], "加入者番号"].iloc[2]
    page.review_panel.select_member_id(member)
    page.ask_exclusion_reason = lambda _parent, _member: TARGETS_EXCLUSION
    page.exclude_member(member)
    wait_for_task(window)
    saved = []
    for name, tab in (("targets", page.review_panel), ("targets_settings", page.parameters)):
        page.tabs.setCurrentWidget(tab)
        settle()
        target = out_dir / f"{name}.png"
        window.grab().save(str(target))
        saved.append(target)
    window.resize(size)
    return saved


def capture_plan_report(window: MainWindow, out_dir: Path, scratch: Path) -> list[Path]:
    """The 計画レポート screen after 集計 (a suggestion adopted) and PDFを作成: 健康課題, KPI targets, preview."""
    page = window.show_page("plan")
    page.start_collect()
    wait_for_task(window)
    page.issues_editor.suggestions.selectRow(0)
    page.issues_editor.adopt_selected()
    page.tabs.setCurrentIndex(0)
    saved = []
    for section, name in ((4, "plan_issues"), (5, "plan_targets")):
        page.show_section(section)
        settle()
        saved.append(out_dir / f"{name}.png")
        window.grab().save(str(saved[-1]))
    page.show_section(2)
    page.create(scratch / "データヘルス計画.pdf")
    wait_for_task(window)
    saved.append(out_dir / "plan_preview.png")
    window.grab().save(str(saved[-1]))
    return saved


def capture_analysis_chart(window: MainWindow, out_dir: Path) -> Path:
    """The 分析表 tab with a table the plan charts (the chart under the table)."""
    page = window.show_page("analysis")
    panel = page.tables_panel
    page.tabs.setCurrentWidget(panel)
    if panel.result is None:
        panel.start_analysis()
        wait_for_task(window)
    panel.select_table(CHART_SHOWN)
    settle()
    target = out_dir / "analysis_chart.png"
    window.grab().save(str(target))
    return target


def capture_import_wizard(window: MainWindow, out_dir: Path, received: Path, scratch: Path) -> list[Path]:
    """The データ取込 wizard on the demo's received files: a clinic file whose ID and date columns carry
    unknown headers (mapping step, required fields in red), a clinic file with one impossible value (result
    step offering valid rows only), and the 取込履歴 tab."""
    import csv
    import io

    page = window.show_page("import")
    clinic = received / "健診結果" / "みなと健診センター_令和7年度.csv"
    rows = list(csv.reader(io.StringIO(clinic.read_text(encoding="cp932"))))
    renamed = {"受診者番号": "No", "健診年月日": "日付"}
    unknown = scratch / "さくら健診クリニック_令和7年度.csv"
    unknown.write_text("\n".join(",".join(r) for r in [[renamed.get(h, h) for h in rows[0]], *rows[1:]]) + "\n",
                       encoding="cp932")
    page.add_files([unknown, received / "健診結果" / "みなと中央病院 人間ドック_令和7年度.xlsx"])
    wait_for_task(window)
    page.kind_combo.setCurrentIndex(page.kind_combo.findText("健診結果"))
    page.kind_combo.activated.emit(page.kind_combo.currentIndex())
    wait_for_task(window)
    page.mapping.choose("No", "member_id")
    saved = [_grab(window, out_dir / "import_mapping.png")]
    rows[3][rows[0].index("身長")] = "３００"
    wrong = scratch / "みなと健診センター_令和7年度_再送.csv"
    wrong.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="cp932")
    page.add_files([wrong])
    wait_for_task(window)
    page.start_import()
    wait_for_task(window)
    saved.append(_grab(window, out_dir / "import_result.png"))
    page.tabs.setCurrentWidget(page.history)
    saved.append(_grab(window, out_dir / "import_history.png"))
    page.tabs.setCurrentIndex(0)
    return saved


def _grab(window: MainWindow, target: Path) -> Path:
    settle()
    window.grab().save(str(target))
    return target


def capture_member_page(window: MainWindow, out_dir: Path) -> Path:
    """加入者・健診・レセプト with a checkup row selected: the member page beside it, scrolled to its end, of
    someone sent a notice when there is one (after capture_notices), else of someone with a 受診勧奨."""
    page = window.show_page("browse")
    page.tabs.setCurrentWidget(page.checkups_tab)
    rows = range(min(page.checkups_tab.model.rowCount(), 60))

    def select_first(wanted) -> bool:
        for row in rows:
            page.select_row(page.checkups_tab, row)
            if wanted(page.member_view.profile):
                return True
        return False

    if not select_first(lambda p: bool(p.notices)):
        select_first(lambda p: bool(p.checkups and p.checkups[-1].tier))
    page.splitter.setSizes([520, 880])
    settle()
    bar = page.member_view.text.verticalScrollBar()
    bar.setValue(bar.maximum())  # the end: the lists and letters, below the roster and the checkups
    return _grab(window, out_dir / "member_page.png")


DEFAULT_CHART_SHOWN = "cost_by_type"
"""The default-chart screenshot: a table the plan does not draw, charted by its rate per 年度."""


def capture_analysis_default_chart(window: MainWindow, out_dir: Path) -> Path:
    """The 分析表 tab with a table the plan does not chart: the default bars of its rate."""
    page = window.show_page("analysis")
    panel = page.tables_panel
    page.tabs.setCurrentWidget(panel)
    if panel.result is None:
        panel.start_analysis()
        wait_for_task(window)
    panel.select_table(DEFAULT_CHART_SHOWN)
    return _grab(window, out_dir / "analysis_default_chart.png")


NOTICES_PROGRAM, NOTICES_YEAR, NOTICES_SENT = "jushin", 2024, date(2024, 10, 1)
"""The 通知・発送 screenshots: an approved 受診勧奨 list of 2024年度, printed as sent on 2024-10-01 (claims follow)."""


def capture_notices(window: MainWindow, out_dir: Path, scratch: Path) -> list[Path]:
    """通知・発送 on a real approved list: 発送 (preview), then after 作成 発送履歴, 効果測定 (6か月) and 文面の編集."""
    from dhdesk.gui.pages import notices_send
    from dhdesk.services import programs

    ws = window.session.workspace
    run_id, _ = programs.run_program(ws, NOTICES_PROGRAM, NOTICES_YEAR)
    programs.approve(ws, run_id)
    page = window.show_page("notices")
    wait_for_task(window)
    page.refresh()
    wait_for_task(window)
    panel = page.send_panel
    panel.select_run(run_id)
    wait_for_task(window)
    panel.date_edit.setDate(NOTICES_SENT)
    saved = [out_dir / "notices_send.png"]
    window.grab().save(str(saved[-1]))
    folder = scratch / "notices"
    folder.mkdir(exist_ok=True)
    ask_folder = notices_send.ask_folder
    notices_send.ask_folder = lambda *_args: folder
    try:
        panel.generate()
        wait_for_task(window)
    finally:
        notices_send.ask_folder = ask_folder
    page.effect_panel.months_spin.setValue(6)
    page.effect_panel.start_measure()
    wait_for_task(window)
    for name, tab in (("notices_history", page.history_panel), ("notices_effect", page.effect_panel),
                      ("notices_template", page.template_panel)):
        page.tabs.setCurrentWidget(tab)
        if tab is page.template_panel:
            tab.select_program(NOTICES_PROGRAM)
            tab.start_preview()
            wait_for_task(window)
        settle()
        saved.append(out_dir / f"{name}.png")
        window.grab().save(str(saved[-1]))
    page.tabs.setCurrentIndex(0)
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    from dhdesk.services import demo

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
        app = QApplication([])
        app.setOrganizationName("dhdesk-screenshots")
        settings = Settings()
        apply_app_font(app, int(settings.get("ui/font_point_size")))
        result = demo.build_demo(scratch / "demo", members=args.members)
        window = MainWindow(settings, scratch)
        window.resize(*SIZE)
        window.show()
        window.open_workspace(result.workspace_path)
        for path in capture_all(window, args.output, scratch):
            print(path)
        print(capture_analysis_tables(window, args.output))
        for path in capture_import_wizard(window, args.output, scratch / "demo" / "受信ファイル", scratch):
            print(path)
        print(capture_analysis_chart(window, args.output))
        for path in capture_plan_report(window, args.output, scratch):
            print(path)
        for path in capture_targets(window, args.output):
            print(path)
        for path in capture_notices(window, args.output, scratch):
            print(path)
        print(capture_member_page(window, args.output))
        print(capture_analysis_default_chart(window, args.output))
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
