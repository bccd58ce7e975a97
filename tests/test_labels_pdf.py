"""Address labels: A4 12面/24面 geometry, text inside each label, sheets and offsets."""

from __future__ import annotations

import io

from pypdf import PdfReader

from dhdesk.core.letters import Address
from dhdesk.reports.labels_pdf import SHEET_12, SHEET_24, LabelRenderer, layout_label, render_labels


def address(i: int, building: str = "") -> Address:
    lines = ("愛知県一宮市三丹町1-2", *((building,) if building else ()))
    return Address("〒491-0066", lines, f"山田　花子{i}　様", f"{i:08d}")


def test_default_sheets_fit_on_a4():
    for sheet in (SHEET_12, SHEET_24):
        right = sheet.left + (sheet.columns - 1) * sheet.pitch_x + sheet.label_width
        bottom = sheet.top + (sheet.rows - 1) * sheet.pitch_y + sheet.label_height
        assert 0 <= sheet.left and right <= 210 + 1e-6 and 0 <= sheet.top and bottom <= 297 + 1e-6
    assert (SHEET_12.per_sheet, SHEET_24.per_sheet) == (12, 24)


def test_label_origins_row_by_row_and_offsets():
    assert SHEET_12.origin(0) == (18.6, 21.6)
    assert SHEET_12.origin(1) == (18.6 + 86.4, 21.6)
    assert SHEET_12.origin(2) == (18.6, 21.6 + 42.3)
    assert SHEET_12.origin(12) == SHEET_12.origin(0)  # next sheet
    assert SHEET_12.shifted(1.5, -2.0).origin(0) == (20.1, 19.6)


def test_every_line_stays_inside_its_label():
    long = "サンプルマンション一宮駅前ステーションタワー　1203号室"
    for sheet in (SHEET_12, SHEET_24):
        for index in range(sheet.per_sheet):
            left, top = sheet.origin(index)
            right, bottom = left + sheet.label_width - sheet.padding, top + sheet.label_height - sheet.padding
            lines = layout_label(address(index, long), sheet, index)
            for line in lines:
                assert left + sheet.padding - 1e-6 <= line.left and line.right <= right + 1e-6
                assert top + sheet.padding - 1e-6 <= line.top and line.bottom <= bottom + 1e-6
            assert lines[-1].text == f"加入者番号 {index:08d}"
            texts = [line.text for line in lines]
            assert f"山田　花子{index}　様" in texts and texts[0] == "〒491-0066"


def test_sheets_and_text_per_page():
    pdf = render_labels([address(i) for i in range(30)], SHEET_24)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    assert "山田　花子0　様" in pages[0].extract_text() and "山田　花子23　様" in pages[0].extract_text()
    assert "山田　花子24　様" in pages[1].extract_text() and "00000029" in pages[1].extract_text()


def test_renderer_records_one_layout_per_label():
    renderer = LabelRenderer([address(i) for i in range(13)], SHEET_12)
    assert renderer.render().startswith(b"%PDF")
    assert len(renderer.layouts) == 13
    assert renderer.layouts[12][0].top == renderer.layouts[0][0].top  # label 13 is the first on sheet 2
