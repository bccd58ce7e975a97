"""The bundled Japanese TrueType fonts (書体) and their one-time registration with reportlab.

Only TrueType-outline fonts are used, so every PDF embeds a subset of the glyphs it prints: the
built-in CID fonts are not embedded and print blanks on a machine without Japanese fonts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "BIZUDGothic"
BOLD = "BIZUDGothic-Bold"
FALLBACK = "IPAexGothic"


@dataclass(frozen=True)
class BundledFont:
    """A font shipped in `dhdesk/resources/fonts`: the reportlab name and the file."""

    name: str
    filename: str


BUNDLED: tuple[BundledFont, ...] = (
    BundledFont(REGULAR, "BIZUDGothic-Regular.ttf"),
    BundledFont(BOLD, "BIZUDGothic-Bold.ttf"),
    BundledFont(FALLBACK, "ipaexg.ttf"),
)

_lock = threading.Lock()
_registered = False


def font_file(filename: str) -> Traversable:
    """The bundled font file, found through the package so a wheel and a PyInstaller bundle both work."""
    return files("dhdesk") / "resources" / "fonts" / filename


def register_fonts() -> None:
    """Register every bundled font and the bold mapping once per process (safe from any thread)."""
    global _registered
    with _lock:
        if _registered:
            return
        for font in BUNDLED:
            with as_file(font_file(font.filename)) as path:
                pdfmetrics.registerFont(TTFont(font.name, str(path)))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        pdfmetrics.registerFontFamily(FALLBACK, normal=FALLBACK, bold=FALLBACK, italic=FALLBACK, boldItalic=FALLBACK)
        _registered = True
