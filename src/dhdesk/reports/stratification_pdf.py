"""PDF of the 階層化 summary (階層化結果の概要): A4, tables that split across pages under a repeated header."""

from __future__ import annotations

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from dhdesk.core.summaries import SummaryTable
from dhdesk.core.summaries.stratification import StratificationSummary
from dhdesk.reports.base import BaseRenderer


class StratificationSummaryRenderer(BaseRenderer):
    """Prints a `StratificationSummary` exactly as built by the content layer."""

    def __init__(self, summary: StratificationSummary) -> None:
        super().__init__()
        self.summary = summary

    def document_title(self) -> str:
        return f"{self.summary.title} {self.summary.fiscal_year_label}"

    def header_text(self) -> str:
        s = self.summary
        return f"{s.title}　{s.union_name}　{s.fiscal_year_label}"

    def styles(self) -> dict[str, ParagraphStyle]:
        styles = super().styles()
        styles["dateline"] = ParagraphStyle("dateline", styles["body"], fontSize=9, alignment=TA_RIGHT)
        styles["lead"] = ParagraphStyle("lead", styles["body"], keepWithNext=True)
        note = styles["note"]
        styles["note"] = ParagraphStyle("note_item", note, leftIndent=note.fontSize, firstLineIndent=-note.fontSize)
        styles["caption"] = ParagraphStyle("caption", styles["heading2"], fontSize=9.5, spaceBefore=3 * mm)
        return styles

    def story(self) -> list[Flowable]:
        s = self.summary
        story: list[Flowable] = [
            self.paragraph(s.title, "title"),
            self.paragraph(s.union_name, "subtitle"),
            self.paragraph(s.fiscal_year_label, "subtitle"),
            Spacer(0, 2 * mm),
            self.paragraph(s.generated_label, "dateline"),
        ]
        for section in s.sections:
            story.append(self.paragraph(section.heading, "heading1"))
            lead = "lead" if section.tables else "body"
            story += [self.paragraph(text, lead) for text in section.paragraphs]
            for table in section.tables:
                story += self._captioned(table)
        story.append(self.paragraph(s.notes_heading, "heading1"))
        story += [self.paragraph(f"・{note}", "note") for note in s.notes]
        return story

    def _captioned(self, table: SummaryTable) -> list[Flowable]:
        return [
            self.paragraph(table.caption, "caption"),
            self.table(table.header, table.rows, label_columns=table.label_columns, header_groups=table.header_groups),
        ]
