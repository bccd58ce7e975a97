"""The bundled Japanese fonts are registered and become the app font."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from dhdesk.gui.fonts import apply_app_font, register_fonts


def test_bundled_families_are_registered_ui_font_first(qapp):
    families = register_fonts()
    assert families[0] == "BIZ UDGothic"
    assert "IPAexGothic" in families


def test_app_font_renders_kanji_from_the_bundled_font(qapp):
    original = qapp.font()
    try:
        font = apply_app_font(qapp, 12)
        assert qapp.font().families()[0] == "BIZ UDGothic"
        assert qapp.font().pointSize() == 12
        metrics = QFontMetrics(font)
        assert all(metrics.inFontUcs4(ord(ch)) for ch in "健康保険組合髙﨑")
    finally:
        qapp.setFont(original)
