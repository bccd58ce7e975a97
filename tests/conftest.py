"""Test-wide setup: headless Qt and per-test settings.

`QT_QPA_PLATFORM=offscreen` must be set before anything imports Qt, otherwise the pytest process
aborts on a machine without a display. The offscreen screen is an office monitor (1600×1000,
tests/offscreen_screen.json), not Qt's default 800×600, which is narrower than the main window may be.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path_factory):
    """Every test gets its own empty QSettings store in a temp folder (never the clerk's real settings)."""
    from PySide6.QtCore import QCoreApplication, QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("dhdesk-tests")
    QCoreApplication.setApplicationName("dhdesk")
    yield folder
