"""The Qt binding keeps Python's reference counts right: a long session must not end in a crash.

PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of a Qt method returning nothing;
after a few thousand calls Python aborts with "none_dealloc". dhdesk pins a binding without the defect
(pyproject.toml); this test keeps a future upgrade from bringing it back.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_calls_returning_nothing_keep_the_reference_count_of_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("受診勧奨")
    assert sys.getrefcount(None) >= before - 10
