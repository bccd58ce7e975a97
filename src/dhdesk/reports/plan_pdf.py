"""PDF of the データヘルス計画 (計画書): cover, 目次, numbered sections, split tables and embedded charts.

Charts are the same `reports.figures` drawings the GUI shows, embedded as 300 dpi PNG: reportlab
cannot place a vector PDF/SVG without an extra dependency (svglib/pdfrw), and at 300 dpi the charts
print sharp at A4 width for ~100 KB each (docs/plan.md has the measurements).
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Spacer,
)
from reportlab.platypus.tableofcontents import TableOfContents

from dhdesk.core.plan import FigureBlock, Heading, PlanDocument, PlanSection, TableBlock, Text
from dhdesk.reports import fonts
from dhdesk.reports.base import BaseRenderer
from dhdesk.reports.figures import draw

FIGURE_DPI = 300
FIGURE_WIDTH_SHARE = 0.92
CONTENTS_TITLE = "目次"


class _PlanDocTemplate(BaseDocTemplate):
    """Reports every heading that carries a contents entry to the 目次 and to the PDF outline."""

    def afterFlowable(self, flowable: Flowable) -> None:
        entry = getattr(flowable, "contents_entry", None)
        if entry is None:
            return
        level, text, key = entry
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, text, self.page, key))


class PlanRenderer(BaseRenderer):
    """Prints a `PlanDocument` exactly as the content layer built it."""

    doc_template = _PlanDocTemplate

    def __init__(self, document: PlanDocument) -> None:
        super().__init__()
        self.document = document

    def document_title(self) -> str:
        return f"{self.document.union_name} {self.document.title}"

    def header_text(self) -> str:
        return f"{self.document.union_name}　{self.document.title}　{self.document.subtitle}"

    def styles(self) -> dict[str, ParagraphStyle]:
        styles = super().styles()
        body = styles["body"]
        styles["cover_title"] = ParagraphStyle("cover_title", styles["title"], fontSize=26, leading=36,
                                               spaceBefore=70 * mm, spaceAfter=10 * mm)
        styles["cover_union"] = ParagraphStyle("cover_union", styles["subtitle"], fontName=fonts.BOLD, fontSize=16,
                                               leading=24, spaceAfter=6 * mm)
        styles["cover_line"] = ParagraphStyle("cover_line", styles["subtitle"], fontSize=12, leading=20)
        styles["section"] = ParagraphStyle("section", styles["heading1"], fontSize=15, leading=22, spaceBefore=0,
                                           spaceAfter=4 * mm, borderPadding=(0, 0, 2, 0))
        styles["caption"] = ParagraphStyle("caption", styles["heading2"], fontSize=9.5, spaceBefore=4 * mm)
        note = styles["note"]
        styles["note"] = ParagraphStyle("note_item", note, fontSize=8, leading=11.5, leftIndent=note.fontSize,
                                        firstLineIndent=-note.fontSize, spaceBefore=0.5 * mm)
        styles["bullet"] = ParagraphStyle("bullet", body, leftIndent=4 * mm, firstLineIndent=-4 * mm,
                                          spaceBefore=1 * mm)
        styles["text"] = ParagraphStyle("text", body, firstLineIndent=body.fontSize, spaceAfter=1.5 * mm)
        styles["toc1"] = ParagraphStyle("toc1", body, fontName=fonts.BOLD, fontSize=11, leading=20)
        styles["toc2"] = ParagraphStyle("toc2", body, fontSize=9.5, leading=15, leftIndent=8 * mm)
        return styles

    def on_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        if doc.page > 1:
            super().on_page(canvas, doc)

    def story(self) -> list[Flowable]:
        d = self.document
        story: list[Flowable] = [
            self.paragraph(d.title, "cover_title"),
            self.paragraph(d.union_name, "cover_union"),
            self.paragraph(d.subtitle, "cover_line"),
            Spacer(0, 60 * mm),
            self.paragraph(d.dateline, "cover_line"),
            PageBreak(),
            self.paragraph(CONTENTS_TITLE, "section"),
            self._contents(),
        ]
        for section in d.sections:
            story += [PageBreak(), *self._section(section)]
        return story

    def _contents(self) -> TableOfContents:
        contents = TableOfContents(dotsMinLevel=0)
        contents.levelStyles = [self.style["toc1"], self.style["toc2"]]
        return contents

    def _entry(self, text: str, style: str, level: int, key: str) -> Flowable:
        paragraph = self.paragraph(text, style)
        paragraph.contents_entry = (level, text, key)
        return paragraph

    def _section(self, section: PlanSection) -> list[Flowable]:
        out = [self._entry(f"{section.number}. {section.title}", "section", 0, f"s{section.number}")]
        for n, block in enumerate(section.blocks):
            if isinstance(block, Heading):
                out.append(self._entry(block.text, "heading2", 1, f"s{section.number}_{n}"))
            elif isinstance(block, Text):
                style = "bullet" if block.bullets else "text"
                prefix = "・" if block.bullets else ""
                out += [self.paragraph(prefix + line, style) for line in block.text.splitlines() if line.strip()]
            elif isinstance(block, TableBlock):
                out += self._table(block)
            elif isinstance(block, FigureBlock):
                out.append(self._figure(block))
        return out

    def _table(self, block: TableBlock) -> list[Flowable]:
        caption = self.paragraph(block.caption, "caption")
        notes = [self.paragraph(f"※ {note}", "note") for note in block.notes]
        if not block.header:
            return [KeepTogether([caption, *notes])]
        table = self.table(block.header, block.rows, label_columns=block.label_columns)
        return [caption, table, *notes]

    def _figure(self, block: FigureBlock) -> Flowable:
        image = figure_image(draw(block), self.frame_width * FIGURE_WIDTH_SHARE)
        return KeepTogether([self.paragraph(block.caption, "caption"), image])

    def document_author(self) -> str:
        return self.document.union_name

    def build(self, doc: BaseDocTemplate, canvasmaker: type[Canvas]) -> None:
        """As many passes as the 目次 needs to know its page numbers."""
        doc.multiBuild(self.story(), canvasmaker=canvasmaker)


def figure_image(figure: Figure, width: float) -> Image:
    """A matplotlib figure as a 300 dpi PNG flowable `width` points wide (height keeps the aspect)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    buffer.seek(0)
    inches_w, inches_h = figure.get_size_inches()
    return Image(buffer, width=width, height=width * inches_h / inches_w)
