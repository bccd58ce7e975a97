"""The bundled Japanese fonts (同梱フォント), registered with Qt at start and set as the app font.

A clerk's PC or a CI machine may have no CJK font at all, which turns every kanji into a box.
BIZ UDGothic is the UI font; IPAexGothic follows it as a fallback for the rarer JIS X 0213 kanji.
Fonts are read through importlib.resources so the frozen app finds them too.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

FONT_FILES = ("BIZUDGothic-Regular.ttf", "BIZUDGothic-Bold.ttf", "ipaexg.ttf")


class FontError(RuntimeError):
    """A bundled font could not be loaded (a broken installation)."""


@cache
def register_fonts() -> tuple[str, ...]:
    """Register the bundled fonts once per process; the family names, UI font first.

    Needs a QGuiApplication.
    """
    families: list[str] = []
    for name in FONT_FILES:
        data = (files("dhdesk") / "resources" / "fonts" / name).read_bytes()
        font_id = QFontDatabase.addApplicationFontFromData(QByteArray(data))
        if font_id < 0:
            raise FontError(f"フォント {name} を読み込めません。dhdesk を入れ直してください。")
        for family in QFontDatabase.applicationFontFamilies(font_id):
            if family not in families:
                families.append(family)
    return tuple(families)


def apply_app_font(app: QApplication, point_size: int) -> QFont:
    """Make the bundled fonts the default for every widget, at `point_size`."""
    font = QFont()
    font.setFamilies(list(register_fonts()))
    font.setPointSize(point_size)
    app.setFont(font)
    return font
