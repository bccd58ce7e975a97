"""The screenshot script keeps working: one non-empty PNG per screen, window-sized."""

from __future__ import annotations

from PySide6.QtGui import QImage
from screenshots import SIZE, capture_all


def test_every_page_is_captured(window, demo_workspace, tmp_path):
    window.resize(*SIZE)
    window.open_workspace(demo_workspace)
    saved = capture_all(window, tmp_path / "shots", tmp_path)
    assert [p.stem for p in saved] == list(window.pages)
    for path in saved:
        image = QImage(str(path))
        assert (image.width(), image.height()) == (window.width(), window.height())
    assert window.pages["analysis"].explanation_view.toPlainText()
    assert window.pages["import"].issue_model.rowCount() >= 2
