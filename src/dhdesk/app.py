"""The desktop app's composition root (アプリの起動): Qt application, fonts, settings, main window.

`main(workspace=...)` opens that workspace; without one it reopens the last workspace if the file
is still there. `--quit-after-show` closes the window as soon as it is up: the seam a subprocess
smoke test (and a packaged-app check) uses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from dhdesk.gui.fonts import apply_app_font
from dhdesk.gui.main_window import MainWindow
from dhdesk.gui.settings import Settings

ORGANIZATION = "dhdesk"
APPLICATION = "dhdesk"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dhdesk.app", description="dhdesk の画面を開きます。")
    parser.add_argument("workspace", nargs="?", type=Path, help="開くワークスペース (*.dhdesk)")
    parser.add_argument("--quit-after-show", action="store_true", help="画面を出したらすぐ閉じる(動作確認用)")
    return parser


def main(argv: Sequence[str] | None = None, workspace: Path | None = None) -> int:
    """Run the app until its window closes; the process exit code.

    `argv` holds this module's own options only (none when called from the `dhdesk` command).
    """
    args = _parser().parse_args(list(argv or []))
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "dhdesk"])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    settings = Settings()
    apply_app_font(app, int(settings.get("ui/font_point_size")))
    data_dir = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation))
    window = MainWindow(settings, data_dir)
    window.show()
    target = workspace or args.workspace or _last_existing_workspace(settings)
    if target is not None:
        QTimer.singleShot(0, lambda: window.open_workspace(target))
    if args.quit_after_show:
        QTimer.singleShot(0, window.close)
    return app.exec()


def _last_existing_workspace(settings: Settings) -> Path | None:
    """The workspace open when the app last closed; a file since moved or deleted is forgotten quietly."""
    last = settings.last_workspace()
    if last is None:
        return None
    if not last.exists():
        settings.forget_workspace(last)
        return None
    return last


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
