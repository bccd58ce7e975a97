"""Test-wide setup: headless Qt and per-test settings.

`QT_QPA_PLATFORM=offscreen` must be set before anything imports Qt, otherwise the pytest process
aborts on a machine without a display.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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
