"""Bundled fonts: found through the package, registered once as embeddable TrueType fonts."""

from __future__ import annotations

import io
import threading

from reportlab.lib.fonts import tt2ps
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from dhdesk.reports import fonts


def test_every_bundled_font_file_is_in_the_package():
    for font in fonts.BUNDLED:
        data = fonts.font_file(font.filename).read_bytes()
        assert data[:4] in (b"\x00\x01\x00\x00", b"true"), font.filename  # TrueType outlines, not CFF


def test_registration_gives_truetype_fonts_and_a_bold_mapping():
    fonts.register_fonts()
    for name in (fonts.REGULAR, fonts.BOLD, fonts.FALLBACK):
        assert isinstance(pdfmetrics.getFont(name), TTFont)
    assert tt2ps(fonts.REGULAR.lower(), 1, 0) == fonts.BOLD
    assert tt2ps(fonts.FALLBACK.lower(), 1, 0) == fonts.FALLBACK


def test_registration_is_idempotent_and_thread_safe():
    errors: list[Exception] = []

    def register() -> None:
        try:
            fonts.register_fonts()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fonts.register_fonts()
    assert errors == []
    assert pdfmetrics.getFont(fonts.REGULAR) is pdfmetrics.getFont(fonts.REGULAR)


def test_text_drawn_with_the_fonts_is_embedded_as_a_subset():
    fonts.register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setFont(fonts.REGULAR, 12)
    canvas.drawString(100, 700, "髙橋 﨑 ① ㈱")
    canvas.setFont(fonts.BOLD, 12)
    canvas.drawString(100, 680, "積極的支援")
    canvas.save()
    pdf = buffer.getvalue()
    assert pdf.count(b"/FontFile2") == 2
    assert b"HeiseiKakuGo" not in pdf and b"/CIDFontType0" not in pdf
    assert len(pdf) < 200_000  # a subset, not the 4.6 MB face
