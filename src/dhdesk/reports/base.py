"""Base of every PDF renderer (帳票): page geometry, Japanese styles, header/footer, render to bytes.

A renderer is a template-method class: subclasses set the geometry as class attributes in mm,
extend `styles()`, override `story()` (and `on_page()` when the page furniture differs) and never
choose wording: every word that lands on paper comes finished from the content layer.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle

from dhdesk.reports import fonts
from dhdesk.reports.glyphs import FALLBACK_CHAIN, font_runs

PAGE_TOTAL_FORM = "dhdeskPageTotal"
HEADER_GREY = colors.HexColor("#555555")
RULE_GREY = colors.HexColor("#999999")
TABLE_HEAD_FILL = colors.HexColor("#E4E9F0")
TABLE_STRIPE_FILL = colors.HexColor("#F6F7F9")
TABLE_CELL_PADDING = 3.0
NUMBER_COLUMN_MAX_MM = 24.0


def _page_total_canvas(font_name: str, font_size: float) -> type[Canvas]:
    """A canvas class that writes the page total into the form every footer referenced before it was known."""

    class PageTotalCanvas(Canvas):
        def save(self) -> None:
            self.beginForm(PAGE_TOTAL_FORM)
            self.setFont(font_name, font_size)
            self.drawString(0, 0, str(self.getPageNumber() - 1))
            self.endForm()
            super().save()

    return PageTotalCanvas


class BaseRenderer(ABC):
    """Renders `story()` on A4 pages with a running header and "n / N" page numbers."""

    page_size: tuple[float, float] = A4
    margin_top_mm = 22.0
    margin_bottom_mm = 20.0
    margin_left_mm = 18.0
    margin_right_mm = 18.0
    header_from_top_mm = 12.0
    footer_from_bottom_mm = 10.0
    furniture_font_size = 8.0
    header_on_first_page = False
    page_numbers = True
    doc_template = BaseDocTemplate
    """The platypus document class (the plan's records its headings for the 目次)."""

    def __init__(self) -> None:
        fonts.register_fonts()

    # ---- hooks for subclasses -------------------------------------------------------------------

    def document_title(self) -> str:
        """The PDF's title (document properties); also the running header unless `header_text` says otherwise."""
        return ""

    def document_author(self) -> str:
        """The PDF's author (document properties); none unless a renderer has one."""
        return ""

    def header_text(self) -> str:
        return self.document_title()

    @abstractmethod
    def story(self) -> list[Flowable]:
        """The flowables of the document, built from finished content."""

    def styles(self) -> dict[str, ParagraphStyle]:
        """Japanese paragraph styles; `wordWrap="CJK"` breaks lines between any two characters (with 禁則)."""
        base = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=10, leading=16, wordWrap="CJK")
        return {
            "body": base,
            "title": ParagraphStyle("title", base, fontName=fonts.BOLD, fontSize=18, leading=26, alignment=TA_CENTER,
                                    spaceAfter=3 * mm),
            "subtitle": ParagraphStyle("subtitle", base, fontSize=11, leading=17, alignment=TA_CENTER),
            "heading1": ParagraphStyle("heading1", base, fontName=fonts.BOLD, fontSize=13, leading=19,
                                       spaceBefore=7 * mm, spaceAfter=3 * mm, keepWithNext=True),
            "heading2": ParagraphStyle("heading2", base, fontName=fonts.BOLD, fontSize=10.5, leading=16,
                                       spaceBefore=4 * mm, spaceAfter=1.5 * mm, keepWithNext=True),
            "note": ParagraphStyle("note", base, fontSize=8.5, leading=13),
            "cell": ParagraphStyle("cell", base, fontSize=9, leading=12),
            "cell_number": ParagraphStyle("cell_number", base, fontSize=9, leading=12, alignment=TA_RIGHT),
            "cell_head": ParagraphStyle("cell_head", base, fontName=fonts.BOLD, fontSize=8.5, leading=11,
                                        alignment=TA_CENTER),
        }

    def on_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Page furniture: the running header with a rule under it, and the page number."""
        width, height = self.page_size
        left, right = self.margin_left_mm * mm, width - self.margin_right_mm * mm
        canvas.saveState()
        canvas.setFillColor(HEADER_GREY)
        header = self.header_text()
        if header and (doc.page > 1 or self.header_on_first_page):
            y = height - self.header_from_top_mm * mm
            self.draw_text(canvas, left, y, header, self.furniture_font_size)
            canvas.setStrokeColor(RULE_GREY)
            canvas.setLineWidth(0.4)
            canvas.line(left, y - 1.8 * mm, right, y - 1.8 * mm)
        if self.page_numbers:
            y = self.footer_from_bottom_mm * mm
            centre = width / 2
            canvas.setFont(fonts.REGULAR, self.furniture_font_size)
            canvas.drawRightString(centre + 1.5 * mm, y, f"{doc.page} / ")
            canvas.translate(centre + 1.5 * mm, y)
            canvas.doForm(PAGE_TOTAL_FORM)
        canvas.restoreState()

    # ---- building blocks --------------------------------------------------------------------------

    @cached_property
    def style(self) -> dict[str, ParagraphStyle]:
        return self.styles()

    @property
    def frame_width(self) -> float:
        return self.page_size[0] - (self.margin_left_mm + self.margin_right_mm) * mm

    @staticmethod
    def markup(text: str) -> str:
        """Paragraph markup for plain text: escaped, line breaks kept, each run in a font that has its glyphs."""
        parts = []
        for font, run in font_runs(text):
            piece = escape(run).replace("\n", "<br/>")
            parts.append(piece if font == FALLBACK_CHAIN[0] else f'<font face="{font}">{piece}</font>')
        return "".join(parts)

    def paragraph(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(self.markup(text), self.style[style])

    @staticmethod
    def draw_text(canvas: Canvas, x: float, y: float, text: str, size: float) -> None:
        """Draw one line on the canvas, switching font for characters only the fallback font has."""
        for font, run in font_runs(text):
            canvas.setFont(font, size)
            canvas.drawString(x, y, run)
            x += stringWidth(run, font, size)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], *, label_columns: int = 1,
              header_groups: Sequence[tuple[str, int]] = ()) -> Table:
        """A full-width table whose header rows repeat on every page it splits onto.

        The first `label_columns` columns are text (left-aligned); the others are numbers (right-aligned).
        `header_groups` adds a row of (label, span) above `header`; under an empty label the column's
        header fills both rows.
        """
        head_rows, spans = self._header_rows(header, header_groups)
        data = head_rows + [[self.paragraph(cell, "cell" if i < label_columns else "cell_number")
                             for i, cell in enumerate(row)] for row in rows]
        table = Table(data, colWidths=self._column_widths(header, rows, label_columns),
                      repeatRows=len(head_rows), hAlign="LEFT")
        first_body = len(head_rows)
        commands: list[tuple] = [
            ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),  # merged-away header cells are plain strings
            ("GRID", (0, 0), (-1, -1), 0.4, RULE_GREY),
            ("BACKGROUND", (0, 0), (-1, first_body - 1), TABLE_HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), TABLE_CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), TABLE_CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            *spans,
        ]
        commands += [("BACKGROUND", (0, r), (-1, r), TABLE_STRIPE_FILL) for r in range(first_body + 1, len(data), 2)]
        table.setStyle(TableStyle(commands))
        return table

    def _header_rows(self, header: Sequence[str], groups: Sequence[tuple[str, int]]
                     ) -> tuple[list[list[Flowable | str]], list[tuple]]:
        """The header row(s) and the SPAN commands that merge grouped and ungrouped header cells."""
        bottom: list[Flowable | str] = [self.paragraph(h, "cell_head") for h in header]
        if not groups:
            return [bottom], []
        top: list[Flowable | str] = [""] * len(header)
        spans: list[tuple] = []
        column = 0
        for label, width in groups:
            if label:
                top[column] = self.paragraph(label, "cell_head")
                spans.append(("SPAN", (column, 0), (column + width - 1, 0)))
            else:
                for c in range(column, column + width):
                    top[c], bottom[c] = bottom[c], ""
                    spans.append(("SPAN", (c, 0), (c, 1)))
            column += width
        if column != len(header):
            raise ValueError(f"header groups span {column} columns, the header has {len(header)}")
        return [top, bottom], spans

    def _column_widths(self, header: Sequence[str], rows: Sequence[Sequence[str]], label_columns: int) -> list[float]:
        """Each column's natural width (a header may wrap onto two lines) plus a share of the spare.

        Number columns grow to at most `NUMBER_COLUMN_MAX_MM`; labels take the rest, and wrap within
        what the numbers leave when they do not fit.
        """
        pad = 2 * TABLE_CELL_PADDING + 2

        def natural(i: int) -> float:
            style = self.style["cell" if i < label_columns else "cell_number"]
            body = max((stringWidth(row[i], style.fontName, style.fontSize) for row in rows), default=0.0)
            head = self.style["cell_head"]
            return max(body, stringWidth(header[i], head.fontName, head.fontSize) / 2) + pad

        widths = [natural(i) for i in range(len(header))]
        spare = self.frame_width - sum(widths)
        if spare >= 0:
            share = spare / len(widths)
            numbers = [max(w, min(w + share, NUMBER_COLUMN_MAX_MM * mm)) for w in widths[label_columns:]]
            left = self.frame_width - sum(numbers) - sum(widths[:label_columns])
            labels = [w + left / label_columns for w in widths[:label_columns]] if label_columns else []
            return labels + numbers
        numbers = sum(widths[label_columns:])
        room = self.frame_width - numbers
        labels = sum(widths[:label_columns])
        if room <= 0 or labels == 0:
            return [w * self.frame_width / sum(widths) for w in widths]
        return [w * room / labels for w in widths[:label_columns]] + widths[label_columns:]

    # ---- output -----------------------------------------------------------------------------------

    def write(self, out: BinaryIO) -> None:
        """Build the PDF into `out` (a file for big batches, so the bytes never sit in memory twice)."""
        doc = self.doc_template(
            out,
            pagesize=self.page_size,
            leftMargin=self.margin_left_mm * mm,
            rightMargin=self.margin_right_mm * mm,
            topMargin=self.margin_top_mm * mm,
            bottomMargin=self.margin_bottom_mm * mm,
            title=self.document_title(),
            author=self.document_author(),
            creator="dhdesk",
            lang="ja-JP",
            invariant=True,
            initialFontName=fonts.REGULAR,
        )
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self.on_page)])
        canvasmaker = _page_total_canvas(fonts.REGULAR, self.furniture_font_size) if self.page_numbers else Canvas
        self.build(doc, canvasmaker)

    def build(self, doc: BaseDocTemplate, canvasmaker: type[Canvas]) -> None:
        """Lay out the story once (override for a 目次, which needs as many passes as page numbers move)."""
        doc.build(self.story(), canvasmaker=canvasmaker)

    def render(self) -> bytes:
        """The finished PDF. `invariant=True` makes equal content give equal bytes (reprints can be verified)."""
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()
