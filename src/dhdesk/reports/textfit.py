"""Text fitting (文字の割り付け) for drawn PDF text: widths, wrapping with 禁則, shrinking a block into a box.

Shared by the letters' address block (inside the envelope window) and the labels: text is placed in
mm from the sheet's top-left corner, each character in the first bundled font that has it, so what
is measured is exactly what is drawn.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from dhdesk.reports.base import BaseRenderer
from dhdesk.reports.glyphs import FALLBACK_CHAIN, UncoveredGlyphsError, coverage

PAGE_HEIGHT_MM = 297.0
"""A4: placed lines are measured from the sheet's top, PDF coordinates from its bottom."""

MIN_SCALE = 0.5
"""A block shrinks down to half its normal size before giving up (at 5.5 pt addresses are still legible)."""


@dataclass(frozen=True)
class PlacedLine:
    """One drawn line: text, size in pt, and its box in mm from the sheet's top-left corner."""

    text: str
    size: float
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


class AddressOverflowError(ValueError):
    """An address block too long for its box (envelope window or label) even at the smallest size."""


@cache
def _char_width(char: str) -> float:
    """Width of one character at 1 pt in the first font of the chain that has it (CJK text has no kerning)."""
    for font in FALLBACK_CHAIN:
        if char in coverage(font):
            return stringWidth(char, font, 1000) / 1000
    raise UncoveredGlyphsError({char})


def text_width(text: str, size: float) -> float:
    """Width in pt, each character in the font that will print it."""
    return size * sum(_char_width(char) for char in text)


_NO_BREAK = re.compile(r"[0-9０-９A-Za-zＡ-Ｚａ-ｚ\-－‐−ー―の]")
_NO_LINE_START = set("、。，．・ー－）」』】〕ゝゞ々")


@lru_cache(maxsize=8192)
def wrap(text: str, size: float, width: float) -> tuple[str, ...]:
    """Lines of at most `width` pt: break at a space in the second half of the line, else between any two
    characters but not inside a number such as 「4-28-7」, and never before 、。） (禁則).

    Cached: a batch wraps the same sender, notes and many of the same addresses again and again.
    """
    lines: list[str] = []
    rest = text
    while rest:
        ends = list(accumulate(_char_width(char) * size for char in rest))
        cut = max(bisect_right(ends, width + 1e-6), 1)
        space = max(rest.rfind(" ", 0, cut + 1), rest.rfind("　", 0, cut + 1))
        if cut < len(rest) and space > cut // 2:
            cut = space
        elif cut < len(rest):
            back = cut
            while back > 0 and _NO_BREAK.match(rest[back - 1]) and _NO_BREAK.match(rest[back]):
                back -= 1
            while 1 < back and rest[back] in _NO_LINE_START:
                back -= 1
            if back > cut // 2:
                cut = back
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" 　")
    return tuple(lines) or ("",)


@dataclass(frozen=True)
class TextPart:
    """A piece of the address block: text and its size at scale 1, and the space above it (in lines)."""

    text: str
    size: float
    space_before: float = 0.0


def fit_lines(parts: Sequence[TextPart], left: float, top: float, width: float, height: float,
              leading: float = 1.3) -> list[PlacedLine]:
    """Wrap and place `parts` in the box (mm), shrinking all of them together until they fit."""
    scale = 1.0
    while scale >= MIN_SCALE - 1e-9:
        placed: list[PlacedLine] = []
        y = top
        for part in parts:
            size = part.size * scale
            line_height = size * leading / mm
            y += part.space_before * line_height
            for line in wrap(part.text, size, width * mm):
                placed.append(PlacedLine(line, size, left, y, text_width(line, size) / mm, line_height))
                y += line_height
        if y <= top + height + 1e-6:
            return placed
        scale -= 0.05
    raise AddressOverflowError(f"宛名が窓に収まりません: {parts[0].text}…")


def draw_placed(canvas: Canvas, line: PlacedLine) -> None:
    """Draw a placed line on an A4 canvas: its top in mm from the sheet's top, the baseline just under the ascent."""
    BaseRenderer.draw_text(canvas, line.left * mm, (PAGE_HEIGHT_MM - line.top) * mm - line.size * 1.05, line.text,
                           line.size)
