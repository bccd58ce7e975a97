"""What every screen (画面) shares: the context it works in and a heading with a short explanation."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from dhdesk.gui.session import WorkspaceSession
from dhdesk.gui.settings import Settings
from dhdesk.gui.tasks import TaskRunner


@dataclass(frozen=True)
class WindowActions:
    """The main window's workspace actions, so pages can offer them as buttons."""

    new_workspace: QAction
    open_workspace: QAction
    try_demo: QAction


@dataclass(frozen=True)
class PageContext:
    """Everything a page may use; nothing global."""

    session: WorkspaceSession
    runner: TaskRunner
    settings: Settings
    actions: WindowActions


class Page(QWidget):
    """A screen: heading, one-paragraph explanation, then the page's own content in `self.body`.

    `refresh()` re-reads the open workspace; the window calls it when the page is shown after the
    workspace changed, so hidden pages cost nothing.
    """

    title = ""
    explanation = ""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        heading = QLabel(self.title)
        heading.setObjectName("pageHeading")
        intro = QLabel(self.explanation)
        intro.setWordWrap(True)
        intro.setObjectName("pageIntro")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.addWidget(heading)
        if self.explanation:
            outer.addWidget(intro)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)

    @property
    def workspace(self):
        return self.context.session.workspace

    def refresh(self) -> None:
        """Re-read what the page shows from the open workspace (override)."""

    def keep_edits(self) -> None:
        """Store what the clerk typed but did not save yet (override); called before the workspace closes."""


def scrolling(widget: QWidget) -> QScrollArea:
    """`widget` inside a frameless scroll area (long pages on small laptop screens)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area
