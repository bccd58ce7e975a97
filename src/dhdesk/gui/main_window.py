"""The main window (メインウィンドウ): sidebar, page stack, ファイル menu, status bar, window state.

It owns the open workspace (through WorkspaceSession), the single task runner and the progress
presenter, and it is where errors become message boxes. What each screen shows is the pages' job.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMenu, QStackedWidget, QWidget

from dhdesk.gui import messages
from dhdesk.gui.collector import GuiThreadCollector
from dhdesk.gui.dialogs.new_workspace import FILE_FILTER, NewWorkspaceDialog
from dhdesk.gui.pages.analysis import AnalysisPage
from dhdesk.gui.pages.base import Page, PageContext, WindowActions
from dhdesk.gui.pages.browse import BrowsePage
from dhdesk.gui.pages.data_import import ImportPage
from dhdesk.gui.pages.home import HomePage
from dhdesk.gui.pages.notices import NoticesPage
from dhdesk.gui.pages.plan_report import PlanReportPage
from dhdesk.gui.pages.preferences import PreferencesPage
from dhdesk.gui.pages.targets import TargetsPage
from dhdesk.gui.progress import ProgressPresenter
from dhdesk.gui.session import WorkspaceSession
from dhdesk.gui.settings import Settings
from dhdesk.gui.sidebar import Sidebar
from dhdesk.gui.tasks import TaskRunner
from dhdesk.gui.theme import STYLE_SHEET
from dhdesk.services import demo
from dhdesk.services.workspaces import WorkspaceOpenError

PAGES: tuple[tuple[str, type[Page]], ...] = (
    ("home", HomePage),
    ("import", ImportPage),
    ("browse", BrowsePage),
    ("analysis", AnalysisPage),
    ("targets", TargetsPage),
    ("notices", NoticesPage),
    ("plan", PlanReportPage),
    ("settings", PreferencesPage),
)
"""Sidebar order: the order a clerk works in."""


class MainWindow(QMainWindow):
    """`data_dir` is where サンプルデータで試す writes its demo workspaces (the app's data folder)."""

    def __init__(self, settings: Settings, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.data_dir = data_dir
        self.setWindowTitle("dhdesk")
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1200, 780)
        self.session = WorkspaceSession(self)
        self.collector = GuiThreadCollector(self)
        self.runner = TaskRunner(self)
        self.progress = ProgressPresenter(self.runner, self)
        self.window_actions = self._make_actions()
        self._make_menu()
        context = PageContext(self.session, self.runner, settings, self.window_actions)
        self.pages: dict[str, Page] = {key: page_class(context) for key, page_class in PAGES}
        self._stale: set[str] = set(self.pages)
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
        self.sidebar = Sidebar([page.title for page in self.pages.values()])
        self.sidebar.currentRowChanged.connect(self._on_navigate)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.workspace_label = QLabel()
        self.statusBar().addPermanentWidget(self.workspace_label, 1)
        self.session.changed.connect(self._on_session_changed)
        self.runner.started.connect(lambda _title: self._set_busy(True))
        self.runner.finished.connect(lambda: self._set_busy(False))
        self.runner.failed.connect(lambda exc: messages.show_error(self, "処理を完了できませんでした", exc))
        self._restore_window_state()
        self._on_session_changed()

    # navigation -------------------------------------------------------------------------------

    def show_page(self, key: str) -> Page:
        self.sidebar.setCurrentRow(list(self.pages).index(key))
        return self.pages[key]

    def current_page_key(self) -> str:
        return list(self.pages)[self.stack.currentIndex()]

    def _on_navigate(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        self._refresh_if_stale(self.current_page_key())

    def _refresh_if_stale(self, key: str) -> None:
        if key in self._stale:
            self._stale.discard(key)
            self.pages[key].refresh()

    # workspace ------------------------------------------------------------------------------------

    def open_workspace(self, path: Path) -> bool:
        """Open `path`; on failure a Japanese message box explains why and the old workspace stays."""
        try:
            self.session.open(path)
        except WorkspaceOpenError as exc:
            if not Path(path).exists():
                self.settings.forget_workspace(Path(path))
            messages.show_error(self, "ワークスペースを開けません", exc)
            return False
        self.settings.remember_workspace(Path(path))
        return True

    def new_workspace(self) -> None:
        answer = NewWorkspaceDialog.ask(self, self._default_directory())
        if answer is None:
            return
        path, union = answer
        try:
            self.session.create(path, union)
        except (WorkspaceOpenError, OSError) as exc:
            messages.show_error(self, "ワークスペースを作成できません", exc)
            return
        self.settings.remember_workspace(path)
        self.show_page("home")

    def ask_open_workspace(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "ワークスペースを開く", str(self._default_directory()), FILE_FILTER
        )
        if chosen and self.open_workspace(Path(chosen)):
            self.show_page("home")

    def demo_dir(self) -> Path:
        """The one folder サンプルデータで試す rebuilds (the service replaces the previous demo there)."""
        return self.data_dir / "demo"

    def try_demo(self) -> None:
        """Build the demo union in the background, then open it (サンプルデータで試す).

        The demo being rebuilt may be the open workspace: it is closed first and reopened, unchanged,
        when the build is cancelled or fails.
        """
        out_dir = self.demo_dir()
        members = int(self.settings.get("demo/members"))
        previous = self.session.path
        if previous is not None and previous.parent.resolve() == out_dir.resolve():
            self.session.close()
        else:
            previous = None

        def reopen(*_args) -> None:
            if previous is not None and previous.exists():
                self.open_workspace(previous)

        self.runner.start(
            lambda progress: demo.build_demo(out_dir, members=members, progress=progress),
            f"サンプルデータ({members:,}人)を作成しています",
            on_done=self._on_demo_built,
            on_failed=reopen,
            on_cancelled=reopen,
        )

    def _on_demo_built(self, result: demo.DemoResult) -> None:
        if self.open_workspace(Path(result.workspace_path)):
            self.show_page("home")

    def _default_directory(self) -> Path:
        last = self.settings.last_workspace()
        return last.parent if last is not None and last.parent.is_dir() else Path.home()

    def _on_session_changed(self) -> None:
        ws = self.session.workspace
        if ws is None:
            self.setWindowTitle("dhdesk")
            self.workspace_label.setText("ワークスペースが開かれていません")
        else:
            name = ws.union_info().name
            self.setWindowTitle(f"dhdesk — {name}")
            self.workspace_label.setText(f"ワークスペース: {name}  ({ws.path})")
        self._stale = set(self.pages)
        self._refresh_if_stale(self.current_page_key())

    # busy state -----------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        """While a task runs, nothing else may touch the workspace: sidebar, pages and menu wait."""
        self.centralWidget().setEnabled(not busy)
        self.menuBar().setEnabled(not busy)

    # menu -----------------------------------------------------------------------------------------

    def _make_actions(self) -> WindowActions:
        new = QAction("新規ワークスペース…", self)
        new.setShortcut(QKeySequence.StandardKey.New)
        new.triggered.connect(self.new_workspace)
        open_ = QAction("開く…", self)
        open_.setShortcut(QKeySequence.StandardKey.Open)
        open_.triggered.connect(self.ask_open_workspace)
        try_demo = QAction("サンプルデータで試す", self)
        try_demo.triggered.connect(self.try_demo)
        return WindowActions(new, open_, try_demo)

    def _make_menu(self) -> None:
        menu = self.menuBar().addMenu("ファイル")
        menu.addAction(self.window_actions.new_workspace)
        menu.addAction(self.window_actions.open_workspace)
        self.recent_menu = QMenu("最近使ったもの", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        menu.addAction(self.window_actions.try_demo)
        menu.addSeparator()
        quit_ = QAction("終了", self)
        quit_.setShortcut(QKeySequence.StandardKey.Quit)
        quit_.setMenuRole(QAction.MenuRole.QuitRole)
        quit_.triggered.connect(self.close)
        menu.addAction(quit_)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_workspaces()
        for path in recent:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self._open_recent(p))
        if not recent:
            self.recent_menu.addAction("(なし)").setEnabled(False)

    def _open_recent(self, path: Path) -> None:
        if self.open_workspace(path):
            self.show_page("home")

    # window state ---------------------------------------------------------------------------------

    def _restore_window_state(self) -> None:
        geometry = self.settings.get("window/geometry")
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.get("window/state")
        if not state.isEmpty():
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Keep the window's size and place; stop the worker before the workspace closes."""
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        self.runner.shutdown()
        for page in self.pages.values():
            page.keep_edits()
        self.session.close()
        self.collector.stop()
        event.accept()
        super().closeEvent(event)
