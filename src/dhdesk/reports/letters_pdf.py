"""Notice letters as PDF (通知文書): A4 folded in three for a 長3窓付き封筒, the address inside the window.

Each letter starts on a new page. Page 1 carries the address block, fitted into the envelope window
(`WindowSpec`, mm from the sheet's top-left corner), 親展 inside the window so it shows through, the
date and the sender top right; the body flows below and onto further pages, which repeat the
addressee's name so a page that comes loose can be put back. Nothing of the wording is chosen here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, NextPageTemplate,
                                PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle)

from dhdesk.core.letters import Address, FieldsBlock, Letter, ReplySlip, TableBlock
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.reports import fonts
from dhdesk.reports.base import (HEADER_GREY, RULE_GREY, TABLE_CELL_PADDING, TABLE_HEAD_FILL, TABLE_STRIPE_FILL,
                                 BaseRenderer)
from dhdesk.reports.glyphs import coverage, uncovered
from dhdesk.reports.textfit import (PAGE_HEIGHT_MM, AddressOverflowError, PlacedLine, TextPart, draw_placed,
                                    fit_lines, text_width, wrap)

__all__ = ["AddressOverflowError", "LetterRenderer", "PlacedLine", "TextPart", "WindowSpec", "draw_placed",
           "fit_lines", "layout_address", "render_letters", "text_width", "unprintable", "wrap", "write_letters"]
"""The text-fitting names stay importable from here (labels_pdf and the tests use them); they live in textfit."""

PAGE_WIDTH_MM = 210.0
FOLD_PANEL_MM = 99.0
"""A4 folded in three for 長3 (120×235 mm): panels of 99 mm; fold marks are printed at 99 and 198 mm."""


@dataclass(frozen=True)
class WindowSpec:
    """The envelope window on the folded sheet, in mm from the sheet's top-left corner.

    `padding` keeps the text that far inside the window on every side: the folded sheet moves in the
    envelope, and 日本郵便 asks that the address never slip out of sight.
    """

    left: float = 23.0
    top: float = 13.0
    width: float = 90.0
    height: float = 45.0
    padding: float = 3.0

    def problems(self) -> list[str]:
        """Japanese messages when the window cannot be on the first panel of an A4 sheet."""
        found = []
        if min(self.width, self.height) <= 2 * self.padding:
            found.append("窓の幅と高さは余白の2倍より大きくしてください。")
        if self.left < 0 or self.left + self.width > PAGE_WIDTH_MM:
            found.append("窓が用紙の左右からはみ出しています。")
        if self.top < 0 or self.top + self.height > FOLD_PANEL_MM:
            found.append(f"窓は三つ折りの一番上の面（上から{FOLD_PANEL_MM:g}mm以内）に収めてください。")
        return found


def layout_address(address: Address, confidential: str, window: WindowSpec) -> tuple[list[PlacedLine], PlacedLine]:
    """The address lines and the 親展 box, placed inside the window's padded area (mm, top-left origin)."""
    inner_left, inner_top = window.left + window.padding, window.top + window.padding
    inner_width, inner_height = window.width - 2 * window.padding, window.height - 2 * window.padding
    mark_size = 10.0
    mark_width = text_width(confidential, mark_size) / mm + 3.0
    mark = PlacedLine(confidential, mark_size, inner_left + inner_width - mark_width, inner_top, mark_width,
                      mark_size * 1.5 / mm)
    parts = [TextPart(address.postal_code, 10.5), *(TextPart(line, 11.0) for line in address.lines),
             TextPart(address.name, 14.0, space_before=0.3), TextPart(f"加入者番号 {address.member_id}", 8.0)]
    lines = fit_lines(parts, inner_left, inner_top, inner_width, inner_height)
    if lines[0].right > mark.left - 1.0:
        lines = fit_lines(parts, inner_left, mark.bottom + 0.5, inner_width, inner_height - mark.height - 0.5)
    return lines, mark


def _form_name(kind: str, *parts: str) -> str:
    """A PDF form name for content drawn once and reused on every letter that shows the same thing."""
    return f"{kind}{hashlib.sha1(chr(0).join(parts).encode()).hexdigest()[:16]}"


class _LetterStart(Flowable):
    """A zero-height marker at the start of each letter: draws the first page's address, date and sender."""

    def __init__(self, renderer: LetterRenderer, index: int) -> None:
        super().__init__()
        self.renderer, self.index = renderer, index
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802 (reportlab API)
        self.renderer.draw_first_page(canvas, self.index)


class _SharedParagraph(Flowable):
    """A paragraph that many letters of the batch print word for word (greetings, notes, headings).

    Laid out once per width and drawn once as a PDF form, then placed on every letter: the paragraph
    layout of reportlab is the dearest part of a letter. Splitting across pages falls back to a fresh
    paragraph, so a shared text behaves exactly like a plain one.
    """

    def __init__(self, renderer: LetterRenderer, text: str, style: str) -> None:
        super().__init__()
        self.renderer, self.text, self.style_name = renderer, text, style
        self.style = renderer.style[style]

    def _laid_out(self, available_width: float) -> tuple[Paragraph, float, float]:
        key = (self.text, self.style_name, available_width)
        if key not in self.renderer.shared_layouts:
            paragraph = self.renderer.paragraph(self.text, self.style_name)
            width, height = paragraph.wrap(available_width, 1e9)
            self.renderer.shared_layouts[key] = (paragraph, width, height)
        return self.renderer.shared_layouts[key]

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        _, self.width, self.height = self._laid_out(available_width)
        self.available_width = available_width
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        return self.renderer.paragraph(self.text, self.style_name).split(available_width, available_height)

    def getSpaceBefore(self) -> float:  # noqa: N802 (reportlab API)
        return self.style.spaceBefore

    def getSpaceAfter(self) -> float:  # noqa: N802 (reportlab API)
        return self.style.spaceAfter

    def draw(self) -> None:
        paragraph = self._laid_out(self.available_width)[0]
        name = _form_name("para", self.text, self.style_name, str(self.available_width))
        if not self.canv.hasForm(name):
            self.canv.beginForm(name)
            paragraph.drawOn(self.canv, 0, 0)
            self.canv.endForm()
        self.canv.doForm(name)


class _ReplySlipBox(Flowable):
    """The 受診報告書 drawn at the foot of the letter's last page, under a dashed cut-off line.

    Drawn straight on the canvas (no nested tables: ten thousand letters must stay fast). It takes the
    rest of the frame and sits at its bottom; when less than its own height is left it moves to a new page.
    """

    cut_label = "切り取り線"
    title_size, text_size, field_size = 12.0, 8.5, 9.5
    row_mm, label_mm = 11.0, 40.0

    def __init__(self, slip: ReplySlip, width: float) -> None:
        super().__init__()
        self.slip = slip
        self.width = width
        self.text_lines = wrap(slip.text, self.text_size, width)
        self.slip_height = (10 * mm + self.title_size * 1.6 + len(self.text_lines) * self.text_size * 1.5 + 2 * mm
                            + len(slip.fields) * self.row_mm * mm + 2 * mm + 2 * 9 * 1.5)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, max(self.slip_height, available_height)

    def draw(self) -> None:
        """The member's own line is drawn per letter; the rest once per batch as a PDF form (XObject)."""
        canvas = self.canv
        name = _form_name("slip", self.slip.title, self.slip.text, *self.slip.fields, self.slip.return_to,
                          str(self.width))
        if not canvas.hasForm(name):
            canvas.beginForm(name, 0, 0, self.width, self.slip_height)
            self._draw_static(canvas)
            canvas.endForm()
        canvas.doForm(name)
        y = self.slip_height - 10 * mm - self.title_size * 1.6 - len(self.text_lines) * self.text_size * 1.5 - 2 * mm
        y -= len(self.slip.fields) * self.row_mm * mm
        y -= 9 * 1.5
        line = self.slip.member_line
        BaseRenderer.draw_text(canvas, self.width - text_width(line, 9), y + 3, line, 9)

    def _draw_static(self, canvas: Canvas) -> None:
        width = self.width
        y = self.slip_height
        canvas.saveState()
        y -= 4 * mm
        label_width = text_width(self.cut_label, 7.5) + 4 * mm
        canvas.setStrokeColor(RULE_GREY)
        canvas.setDash(3, 2)
        canvas.line(0, y, (width - label_width) / 2, y)
        canvas.line((width + label_width) / 2, y, width, y)
        canvas.setDash()
        canvas.setFillColor(HEADER_GREY)
        BaseRenderer.draw_text(canvas, (width - label_width) / 2 + 2 * mm, y - 2.5, self.cut_label, 7.5)
        canvas.setFillColor(colors.black)
        y -= 6 * mm + self.title_size
        BaseRenderer.draw_text(canvas, 0, y, self.slip.title, self.title_size)
        y -= self.title_size * 0.6
        for line in self.text_lines:
            y -= self.text_size * 1.5
            BaseRenderer.draw_text(canvas, 0, y, line, self.text_size)
        y -= 2 * mm
        top = y
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(0.6)
        for name in self.slip.fields:
            canvas.setFillColor(TABLE_HEAD_FILL)
            canvas.rect(0, y - self.row_mm * mm, self.label_mm * mm, self.row_mm * mm, stroke=0, fill=1)
            canvas.setFillColor(colors.black)
            BaseRenderer.draw_text(canvas, 2 * mm, y - self.row_mm * mm / 2 - self.field_size * 0.35, name,
                                   self.field_size)
            y -= self.row_mm * mm
        canvas.rect(0, y, width, top - y)
        for row in range(1, len(self.slip.fields)):
            canvas.line(0, top - row * self.row_mm * mm, width, top - row * self.row_mm * mm)
        canvas.line(self.label_mm * mm, y, self.label_mm * mm, top)
        line = f"返送先：{self.slip.return_to}"
        y -= 2 * 9 * 1.5
        canvas.setFillColor(colors.black)
        BaseRenderer.draw_text(canvas, width - text_width(line, 9), y + 3, line, 9)
        canvas.restoreState()


class LetterRenderer(BaseRenderer):
    """Prints finished `Letter`s; `address_layouts` records where each address block was drawn (mm)."""

    margin_left_mm = 20.0
    margin_right_mm = 20.0
    margin_top_mm = 20.0
    margin_bottom_mm = 15.0
    page_numbers = False
    sender_size = 8.0
    sender_min_width_mm = 55.0
    gap_mm = 5.0

    progress_every = 25
    """Letters between two progress calls (a call may raise Cancelled: the build stops there)."""

    def __init__(self, letters: Sequence[Letter], window: WindowSpec | None = None, *,
                 show_window: bool = False, progress: ProgressFn = no_progress) -> None:
        super().__init__()
        self.progress = progress
        self.letters = list(letters)
        self.window = window or WindowSpec()
        problems = self.window.problems()
        if problems:
            raise ValueError("".join(problems))
        self.show_window = show_window
        self.address_layouts: list[list[PlacedLine]] = []
        self.shared_layouts: dict[tuple[str, str, float], tuple[Paragraph, float, float]] = {}
        self._shared_texts: set[tuple[str, str]] = set()
        self._current = 0

    def document_title(self) -> str:
        return self.letters[0].title if self.letters else "通知"

    def styles(self) -> dict[str, ParagraphStyle]:
        styles = super().styles()
        body = styles["body"]
        styles["body"] = ParagraphStyle("letter_body", body, fontSize=10.5, leading=17.5, spaceAfter=1.5 * mm)
        styles["title"] = ParagraphStyle("letter_title", styles["title"], fontSize=14.5, leading=21, spaceAfter=4 * mm)
        styles["note"] = ParagraphStyle("letter_note", styles["note"], leftIndent=9, firstLineIndent=-9, spaceBefore=1)
        styles["field_label"] = ParagraphStyle("field_label", body, fontName=fonts.BOLD, fontSize=9.5, leading=13)
        styles["field_value"] = ParagraphStyle("field_value", body, fontSize=10.5, leading=14)
        styles["heading2"] = ParagraphStyle("block_heading", styles["heading2"], keepWithNext=False)
        return styles

    # ---- first page ---------------------------------------------------------------------------------

    def _sender_box(self) -> tuple[float, float, float]:
        """(left, top, width) in mm of the date and sender: right of the window, or under it when too narrow."""
        right_edge = PAGE_WIDTH_MM - self.margin_right_mm
        beside = self.window.left + self.window.width + self.gap_mm
        if right_edge - beside >= self.sender_min_width_mm:
            return beside, self.window.top, right_edge - beside
        return self.margin_left_mm, self.window.top + self.window.height + self.gap_mm, right_edge - self.margin_left_mm

    def _sender_lines(self, letter: Letter) -> list[PlacedLine]:
        left, top, width = self._sender_box()
        parts = [TextPart(letter.date, 9.0), *(TextPart(line, self.sender_size, space_before=0.4 if i == 0 else 0)
                                             for i, line in enumerate(letter.sender.lines()))]
        return fit_lines(parts, left, top, width, FOLD_PANEL_MM - top)

    def _first_frame_top_mm(self) -> float:
        """Where the body starts on page 1: under the window and under the sender (the same on every letter)."""
        bottoms = [self.window.top + self.window.height]
        bottoms += [max(line.bottom for line in self._sender_lines(letter)) for letter in self.letters[:1]]
        return max(bottoms) + self.gap_mm

    def draw_first_page(self, canvas: Canvas, index: int) -> None:
        letter = self.letters[index]
        if index % self.progress_every == 0:
            self.progress(index / len(self.letters), f"通知文を作成しています（{index:,}/{len(self.letters):,}通）")
        self._current = index
        lines, mark = layout_address(letter.address, letter.confidential, self.window)
        self.address_layouts.append(lines)
        canvas.saveState()
        for line in lines:
            draw_placed(canvas, line)
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(0.8)
        x, y = mark.left * mm, (PAGE_HEIGHT_MM - mark.bottom) * mm
        canvas.rect(x, y, mark.width * mm, mark.height * mm)
        self.draw_text(canvas, x + 1.5 * mm, y + mark.height * mm * 0.28, mark.text, mark.size)
        self._draw_sender(canvas, letter)
        if self.show_window:
            canvas.setStrokeColor(colors.red)
            canvas.setLineWidth(0.3)
            canvas.setDash(2, 2)
            w = self.window
            canvas.rect(w.left * mm, (PAGE_HEIGHT_MM - w.top - w.height) * mm, w.width * mm, w.height * mm)
        canvas.restoreState()

    # ---- page furniture -----------------------------------------------------------------------------

    def _draw_sender(self, canvas: Canvas, letter: Letter) -> None:
        """Date and sender, right-aligned; the same on every letter of a batch, so drawn once as a form."""
        name = _form_name("sender", letter.date, *letter.sender.lines())
        if not canvas.hasForm(name):
            canvas.beginForm(name)
            right = (PAGE_WIDTH_MM - self.margin_right_mm) * mm
            for line in self._sender_lines(letter):
                baseline = (PAGE_HEIGHT_MM - line.top) * mm - line.size * 1.05
                self.draw_text(canvas, right - line.width * mm, baseline, line.text, line.size)
            canvas.endForm()
        canvas.doForm(name)

    def _fold_marks(self, canvas: Canvas) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE_GREY)
        canvas.setLineWidth(0.4)
        for fold in (FOLD_PANEL_MM, 2 * FOLD_PANEL_MM):
            y = (PAGE_HEIGHT_MM - fold) * mm
            canvas.line(0, y, 5 * mm, y)
            canvas.line(PAGE_WIDTH_MM * mm - 5 * mm, y, PAGE_WIDTH_MM * mm, y)
        canvas.restoreState()

    def _on_first(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self._fold_marks(canvas)

    def _on_later(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Continuation pages name the addressee, so a loose page finds its letter again."""
        self._fold_marks(canvas)
        letter = self.letters[self._current]
        canvas.saveState()
        canvas.setFillColor(HEADER_GREY)
        text = f"{letter.address.name}（加入者番号 {letter.member_id}）　{letter.title}（つづき）"
        self.draw_text(canvas, self.margin_left_mm * mm, (PAGE_HEIGHT_MM - 12) * mm, text, self.furniture_font_size)
        canvas.restoreState()

    # ---- story --------------------------------------------------------------------------------------

    def _texts_by_style(self, letter: Letter) -> set[tuple[str, str]]:
        texts = {(letter.title, "title"), *((p, "body") for p in letter.paragraphs)}
        for block in letter.blocks:
            texts |= {(block.heading, "heading2"), *((f"※{note}", "note") for note in block.notes)}
        return texts

    def _text(self, text: str, style: str = "body") -> Flowable:
        """A shared paragraph when other letters of the batch print the same text, else a plain one."""
        if (text, style) in self._shared_texts:
            return _SharedParagraph(self, text, style)
        return self.paragraph(text, style)

    def story(self) -> list[Flowable]:
        seen: set[tuple[str, str]] = set()
        for letter in self.letters:
            texts = self._texts_by_style(letter)
            self._shared_texts |= texts & seen
            seen |= texts
        story: list[Flowable] = []
        for index, letter in enumerate(self.letters):
            story.append(NextPageTemplate("later"))
            if index:
                story[-1:] = [NextPageTemplate("first"), PageBreak(), NextPageTemplate("later")]
            story.append(_LetterStart(self, index))
            story += self._letter_body(letter)
        return story

    def _letter_body(self, letter: Letter) -> list[Flowable]:
        out: list[Flowable] = [self._text(letter.title, "title")]
        out += [self._text(text) for text in letter.paragraphs]
        for block in letter.blocks:
            out.append(Spacer(0, 2 * mm))
            out += self._table_block(block) if isinstance(block, TableBlock) else self._fields_block(block)
        if letter.reply is not None:
            out.append(_ReplySlipBox(letter.reply, self.frame_width))
        return out

    def _notes(self, notes: Iterable[str]) -> list[Flowable]:
        return [self._text(f"※{note}", "note") for note in notes]

    def _table_block(self, block: TableBlock) -> list[Flowable]:
        rows = [*block.rows, *((block.total,) if block.total else ())]
        table = self._plain_table(block.header, rows, block.label_columns)
        if table is None:
            table = self.table(block.header, rows, label_columns=block.label_columns)
        if block.total:
            table.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), TABLE_HEAD_FILL)]))
        heading = [self._text(block.heading, "heading2")] if block.heading else []
        return [CondPageBreak(30 * mm), *heading, table, Spacer(0, 1 * mm), *self._notes(block.notes)]

    def _plain_table(self, header: Sequence[str], rows: Sequence[Sequence[str]], label_columns: int) -> Table | None:
        """The table with plain-string cells when every cell fits on one line in the regular font.

        Ten times cheaper than a paragraph per cell (what makes 10,000 letters fast); None when a cell
        needs wrapping or a fallback glyph, and the caller uses the wrapping table of BaseRenderer.
        """
        cell_size, head_size, pad = 9.0, 8.5, 2 * TABLE_CELL_PADDING + 2
        regular = coverage(fonts.REGULAR)
        texts = [*header, *(cell for row in rows for cell in row)]
        if any(char not in regular for text in texts for char in text):
            return None
        widths = [max(text_width(header[i], head_size), *(text_width(row[i], cell_size) for row in rows)) + pad
                  for i in range(len(header))]
        spare = self.frame_width - sum(widths)
        if spare < 0:
            return None
        grow = range(label_columns) if label_columns else range(len(widths))
        widths = [w + (spare / len(grow) if i in grow else 0) for i, w in enumerate(widths)]
        table = Table([list(header), *(list(row) for row in rows)], colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
            ("FONTSIZE", (0, 0), (-1, -1), cell_size),
            ("FONTNAME", (0, 0), (-1, 0), fonts.BOLD),
            ("FONTSIZE", (0, 0), (-1, 0), head_size),
            ("ALIGN", (0, 0), (-1, 0), "CENTER"),
            ("ALIGN", (label_columns, 1), (-1, -1), "RIGHT"),
            ("GRID", (0, 0), (-1, -1), 0.4, RULE_GREY),
            ("BACKGROUND", (0, 0), (-1, 0), TABLE_HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), TABLE_CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), TABLE_CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            *(("BACKGROUND", (0, r), (-1, r), TABLE_STRIPE_FILL) for r in range(2, len(rows) + 1, 2)),
        ]))
        return table

    def _fields_block(self, block: FieldsBlock) -> list[Flowable]:
        data = [[self.paragraph(label, "field_label"), self.paragraph(value, "field_value")]
                for label, value in block.fields]
        table = Table(data, colWidths=[45 * mm, self.frame_width - 45 * mm], hAlign="LEFT")
        table.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 1.0, colors.black),
            ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE_GREY),
            ("BACKGROUND", (0, 0), (0, -1), TABLE_HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        heading = [self._text(block.heading, "heading2")] if block.heading else []
        return [*heading, table, Spacer(0, 1 * mm), *self._notes(block.notes)]

    # ---- output -------------------------------------------------------------------------------------

    def write(self, out: BinaryIO) -> None:
        doc = BaseDocTemplate(out, pagesize=self.page_size, title=self.document_title(), creator="dhdesk",
                              lang="ja-JP", invariant=True, initialFontName=fonts.REGULAR)
        left = self.margin_left_mm * mm
        width = self.frame_width
        bottom = self.margin_bottom_mm * mm
        first_top = (PAGE_HEIGHT_MM - self._first_frame_top_mm()) * mm
        later_top = (PAGE_HEIGHT_MM - self.margin_top_mm) * mm

        def frame(top: float, name: str) -> Frame:
            return Frame(left, bottom, width, top - bottom, id=name, leftPadding=0, rightPadding=0, topPadding=0,
                         bottomPadding=0)

        doc.addPageTemplates([PageTemplate(id="first", frames=[frame(first_top, "first")], onPage=self._on_first),
                              PageTemplate(id="later", frames=[frame(later_top, "later")], onPage=self._on_later)])
        self.address_layouts = []
        doc.build(self.story() or [Spacer(0, 0)])


def render_letters(letters: Sequence[Letter], window: WindowSpec | None = None, *, show_window: bool = False) -> bytes:
    """One PDF, letters in list order, each starting on a new page."""
    return LetterRenderer(letters, window, show_window=show_window).render()


def write_letters(letters: Sequence[Letter], path: Path, window: WindowSpec | None = None, *,
                  progress: ProgressFn = no_progress) -> Path:
    """Write the letters' PDF to `path` (a module-level function, so a worker process can run it for one
    part of a big batch); the file is complete when this returns, and removed when it fails."""
    path = Path(path)
    try:
        with path.open("wb") as out:
            LetterRenderer(letters, window, progress=progress).write(out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def unprintable(letters: Iterable[Letter]) -> dict[str, set[str]]:
    """Member id → characters of that letter no bundled font has (checked before any PDF is made)."""
    found = {}
    for letter in letters:
        missing = uncovered(letter.texts())
        if missing:
            found[letter.member_id] = missing
    return found
