"""The content of one notice letter (通知文): every word that lands on paper, decided before rendering.

Renderers (reports/letters_pdf, labels_pdf, mailing_xlsx) only place these strings; they never
choose wording, so the preview in the app, the PDF and the stored copy of a letter agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Address:
    """宛名ブロック: what shows through the envelope window and goes on a label."""

    postal_code: str
    """「〒123-4567」 (the roster's own text when it is not 7 digits)."""
    lines: tuple[str, ...]
    """住所1, then 住所2 when present."""
    name: str
    """氏名 + 「様」."""
    member_id: str


@dataclass(frozen=True)
class Sender:
    """差出人: the union's name, address, phone and 担当, plus the template's extra lines."""

    name: str
    postal_code: str
    address: str
    phone: str
    department: str
    extra: tuple[str, ...] = ()

    def lines(self) -> tuple[str, ...]:
        """The printed lines, blank parts left out."""
        contact = "　".join(part for part in (self.department and f"担当：{self.department}",
                                               self.phone and f"電話：{self.phone}") if part)
        where = "　".join(part for part in (self.postal_code, self.address) if part)
        return tuple(line for line in (self.name, where, contact, *self.extra) if line)


@dataclass(frozen=True)
class TableBlock:
    """A table of the letter (健診結果の項目, 薬剤の差額…): header, rows, an optional total row, notes under it.

    The first `label_columns` columns are text; the others are numbers (right-aligned when printed).
    """

    heading: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    label_columns: int = 1
    total: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldsBlock:
    """Label–value pairs printed as a boxed card (利用券, 最後の受診…)."""

    heading: str
    fields: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()


Block = TableBlock | FieldsBlock


@dataclass(frozen=True)
class ReplySlip:
    """受診報告書: cut off along the line and returned; carries the member's id so it can be matched."""

    title: str
    text: str
    fields: tuple[str, ...]
    member_line: str
    return_to: str


@dataclass(frozen=True)
class Letter:
    """One member's letter, in the order of the mailing list."""

    member_id: str
    program: str
    address: Address
    sender: Sender
    confidential: str
    date: str
    title: str
    paragraphs: tuple[str, ...]
    blocks: tuple[Block, ...] = ()
    reply: ReplySlip | None = None
    placeholders: dict[str, str] = field(default_factory=dict)
    """The placeholder values this letter was filled with (for the template editor's preview)."""

    def texts(self) -> list[str]:
        """Every string of the letter, for the glyph check before printing."""
        out = [self.confidential, self.date, self.title, *self.paragraphs, self.address.postal_code,
               *self.address.lines, self.address.name, self.address.member_id, *self.sender.lines()]
        for block in self.blocks:
            out += [block.heading, *block.notes]
            if isinstance(block, TableBlock):
                out += [*block.header, *block.total, *(cell for row in block.rows for cell in row)]
            else:
                out += [text for pair in block.fields for text in pair]
        if self.reply is not None:
            out += [self.reply.title, self.reply.text, *self.reply.fields, self.reply.member_line,
                    self.reply.return_to]
        return out
