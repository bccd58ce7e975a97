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
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
