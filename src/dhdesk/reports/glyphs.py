"""Glyph coverage (字形の有無) of the bundled fonts: which characters would print as a box.

Names such as 𠮷 (U+20BB7) exist in no bundled font. They must be found before anything is
printed so that the content layer can substitute text; a renderer never prints a box.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from itertools import groupby

from reportlab.pdfbase import pdfmetrics

from dhdesk.reports import fonts

FALLBACK_CHAIN: tuple[str, ...] = (fonts.REGULAR, fonts.FALLBACK)
"""Fonts tried in order for each character: BIZ UDゴシック, then IPAexゴシック."""


class UncoveredGlyphsError(ValueError):
    """Text reached a renderer with characters that no bundled font has."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = frozenset(chars)
        listed = "、".join(f"{c}(U+{ord(c):04X})" for c in sorted(self.chars))
        super().__init__(f"同梱フォントにない文字があります: {listed}")


@cache
def coverage(font_name: str) -> frozenset[str]:
    """Every character the font's cmap maps to a real glyph (parsed once per process)."""
    fonts.register_fonts()
    char_to_glyph = pdfmetrics.getFont(font_name).face.charToGlyph
    return frozenset(chr(code) for code, glyph in char_to_glyph.items() if glyph)


def _printed_chars(texts: Iterable[str]) -> set[str]:
    """The distinct characters that need a glyph (control characters such as line breaks do not)."""
    chars = set("".join(t for t in texts if isinstance(t, str)))
    return {c for c in chars if unicodedata.category(c) != "Cc"}


def missing_glyphs(texts: Iterable[str], chain: tuple[str, ...] = FALLBACK_CHAIN) -> dict[str, set[str]]:
    """For each font of `chain`, the characters of `texts` it lacks (non-strings such as NA are skipped)."""
    chars = _printed_chars(texts)
    return {name: chars - coverage(name) for name in chain}


def uncovered(texts: Iterable[str], chain: tuple[str, ...] = FALLBACK_CHAIN) -> set[str]:
    """The characters of `texts` that no font of `chain` has: these must be substituted before printing."""
    missing = missing_glyphs(texts, chain)
    return set.intersection(*missing.values()) if missing else set()


def font_runs(text: str, chain: tuple[str, ...] = FALLBACK_CHAIN) -> list[tuple[str, str]]:
    """Split `text` into (font, run) pairs, each character in the first font of `chain` that has it.

    Raises `UncoveredGlyphsError` when a character is in none of them.
    """
    lacking = uncovered([text], chain)
    if lacking:
        raise UncoveredGlyphsError(lacking)

    def first_font(char: str) -> str:
        return next((name for name in chain if char in coverage(name)), chain[0])

    return [(font, "".join(run)) for font, run in groupby(text, key=first_font)]
