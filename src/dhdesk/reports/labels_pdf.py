"""Address labels as PDF (宛名ラベル): A4 sheets of 12 or 24 labels, text shrunk and wrapped to fit each label.

The sheet geometry (`LabelSheet`) is in mm and adjustable, because printers feed sheets with a small
offset and label makers differ; the defaults are the common A4 12面 (86.4×42.3 mm) and 24面
(70×33.9 mm) layouts without gaps, centred on the sheet (see docs/letters.md).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from dhdesk.core.letters import Address
from dhdesk.reports import fonts
from dhdesk.reports.letters_pdf import PlacedLine, TextPart, draw_placed, fit_lines, text_width


@dataclass(frozen=True)
class LabelSheet:
    """One label sheet: grid, label size, the first label's top-left corner and the pitch, all in mm.

    `offset_x` / `offset_y` shift everything to correct a printer's feed (positive = right / down).
    """

    name: str
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float
    padding: float = 4.0
    offset_x: float = 0.0
    offset_y: float = 0.0

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def shifted(self, offset_x: float, offset_y: float) -> LabelSheet:
        return replace(self, offset_x=offset_x, offset_y=offset_y)

    def origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm from the sheet's top-left) of label `index` on its sheet, row by row."""
        row, column = divmod(index % self.per_sheet, self.columns)
        return (self.left + column * self.pitch_x + self.offset_x, self.top + row * self.pitch_y + self.offset_y)


SHEET_12 = LabelSheet("A4 12面", 2, 6, 86.4, 42.3, left=18.6, top=21.6, pitch_x=86.4, pitch_y=42.3)
SHEET_24 = LabelSheet("A4 24面", 3, 8, 70.0, 33.9, left=0.0, top=12.9, pitch_x=70.0, pitch_y=33.9, padding=5.0)
SHEETS: dict[str, LabelSheet] = {"12": SHEET_12, "24": SHEET_24}


MEMBER_ID_SIZE = 6.5


def layout_label(address: Address, sheet: LabelSheet, index: int) -> list[PlacedLine]:
    """The lines of one label placed inside its padded area (mm from the sheet's top-left); the 加入者番号
    goes small in the bottom-right corner, in a strip the address never reaches."""
    left, top = sheet.origin(index)
    small = sheet.label_height < 38
    parts = [TextPart(address.postal_code, 9.0 if small else 10.0),
             *(TextPart(line, 9.0 if small else 10.0) for line in address.lines),
             TextPart(address.name, 11.5 if small else 13.0, space_before=0.2)]
    inner_width = sheet.label_width - 2 * sheet.padding
    member = f"加入者番号 {address.member_id}"
    width, height = text_width(member, MEMBER_ID_SIZE) / mm, MEMBER_ID_SIZE * 1.25 / mm
    member_line = PlacedLine(member, MEMBER_ID_SIZE, left + sheet.label_width - sheet.padding - width,
                             top + sheet.label_height - sheet.padding - height, width, height)
    inner_height = sheet.label_height - 2 * sheet.padding - height
    lines = fit_lines(parts, left + sheet.padding, top + sheet.padding, inner_width, inner_height, leading=1.25)
    return [*lines, member_line]


class LabelRenderer:
    """Draws labels straight on the canvas (no flowing text): one address per label, sheets in list order.

    `layouts` records each label's drawn lines (mm) for the geometry tests.
    """

    def __init__(self, addresses: Sequence[Address], sheet: LabelSheet = SHEET_12) -> None:
        fonts.register_fonts()
        self.addresses = list(addresses)
        self.sheet = sheet
        self.layouts: list[list[PlacedLine]] = []

    def render(self) -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A4, invariant=True, initialFontName=fonts.REGULAR)
        canvas.setTitle(f"宛名ラベル（{self.sheet.name}）")
        canvas.setCreator("dhdesk")
        self.layouts = []
        for index, address in enumerate(self.addresses):
            if index and index % self.sheet.per_sheet == 0:
                canvas.showPage()
            lines = layout_label(address, self.sheet, index)
            self.layouts.append(lines)
            for line in lines:
                draw_placed(canvas, line)
        canvas.showPage()
        canvas.save()
        return out.getvalue()


def render_labels(addresses: Sequence[Address], sheet: LabelSheet = SHEET_12) -> bytes:
    """One label per address, in list order, as many sheets as needed."""
    return LabelRenderer(addresses, sheet).render()
