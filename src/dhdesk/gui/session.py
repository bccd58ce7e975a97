"""The open workspace (開いているワークスペース) of this window, and the signal that it changed.

Pages never open or close workspaces themselves: they read `session.workspace` and refresh when
`changed` fires (opened, closed, or data imported).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from dhdesk.core.union import UnionInfo
from dhdesk.services import workspaces


class WorkspaceSession(QObject):
    """Owns at most one open Workspace; opening another closes the previous one."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace: workspaces.Workspace | None = None

    @property
    def path(self) -> Path | None:
        return None if self.workspace is None else Path(self.workspace.path)

    def open(self, path: Path) -> None:
        """Open `path` (raises WorkspaceOpenError); the previous workspace stays open if this fails."""
        if self.path is not None and self.path.resolve() == Path(path).resolve():
            self.changed.emit()
            return
        self._replace(workspaces.open_workspace(Path(path)))

    def create(self, path: Path, union: UnionInfo) -> None:
        self._replace(workspaces.create_workspace(Path(path), union))

    def close(self) -> None:
        if self.workspace is not None:
            workspaces.close_workspace(self.workspace)
            self.workspace = None
            self.changed.emit()

    def notify_changed(self) -> None:
        """Data in the open workspace changed (an import, new union details)."""
        self.changed.emit()

    def _replace(self, opened: workspaces.Workspace) -> None:
        if self.workspace is not None:
            workspaces.close_workspace(self.workspace)
        self.workspace = opened
        self.changed.emit()
