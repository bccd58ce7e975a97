"""PDF preview: page n/N, 前へ/次へ, fit to the page or the width, and the page's own pixels."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from dhdesk.gui.pdf_preview import FIT_PAGE, FIT_WIDTH, MARGIN_PX, PdfPreview


def two_page_pdf() -> bytes:
    """Page 1: left half black; page 2: right half black (A4 portrait)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    for left in (0, width / 2):
        pdf.setFillColorRGB(0, 0, 0)
        pdf.rect(left, 0, width / 2, height, stroke=0, fill=1)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture
def preview(qtbot):
    widget = PdfPreview("見本はありません。")
    qtbot.addWidget(widget)
    widget.resize(500, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def darkness(image, x_share: float) -> int:
    """Lightness (0 black … 255 white) at mid-height, `x_share` across the image."""
    return image.pixelColor(int(image.width() * x_share), image.height() // 2).lightness()


def test_pages_are_counted_and_stepped_through(preview):
    preview.set_pdf(two_page_pdf())
    assert preview.page_count() == 2
    assert preview.page_label.text() == "1 / 2 ページ"
    assert not preview.previous_button.isEnabled() and preview.next_button.isEnabled()
    preview.next_button.click()
    assert preview.current_page() == 1
    assert preview.page_label.text() == "2 / 2 ページ"
    assert preview.previous_button.isEnabled() and not preview.next_button.isEnabled()
    preview.show_page(5)
    assert preview.current_page() == 1


def test_the_rendered_image_is_the_page(preview):
    preview.set_pdf(two_page_pdf())
    first = preview.image()
    assert darkness(first, 0.25) < 30 and darkness(first, 0.75) > 225
    preview.show_page(1)
    second = preview.image()
    assert darkness(second, 0.25) > 225 and darkness(second, 0.75) < 30


def test_fit_page_shows_the_whole_page_and_fit_width_fills_the_width(preview):
    preview.set_pdf(two_page_pdf())
    view = preview.scroll.viewport().size()
    ratio = preview.devicePixelRatioF()
    page_fit = preview.image()
    assert page_fit.height() / ratio <= view.height() - 2 * MARGIN_PX + 1
    assert page_fit.width() / ratio <= view.width() - 2 * MARGIN_PX + 1
    assert page_fit.height() / page_fit.width() == pytest.approx(A4[1] / A4[0], rel=0.01)
    preview.set_fit(FIT_WIDTH)
    wide = preview.image()
    assert wide.width() / ratio == pytest.approx(view.width() - 2 * MARGIN_PX, abs=2)
    assert wide.width() > page_fit.width()
    preview.set_fit(FIT_PAGE)
    assert preview.image().size() == page_fit.size()


def test_no_pdf_shows_the_reason_instead(preview):
    preview.set_pdf(two_page_pdf())
    preview.set_pdf(None, "この事業の対象者リストがまだありません。")
    assert preview.page_count() == 0
    assert preview.image().isNull()
    assert preview.image_label.text() == "この事業の対象者リストがまだありません。"
    assert preview.page_label.text() == ""
    assert not preview.next_button.isEnabled() and not preview.fit_combo.isEnabled()
