"""Letter content (通知文): model, editable templates, per-program bodies, building and mailing order.

Content only (stdlib + pandas): renderers in `dhdesk.reports` place these strings and choose no wording.
"""

from __future__ import annotations

from dhdesk.core.letters.build import ROUTES, build_letters, order_for_route, ordered, render_text
from dhdesk.core.letters.mailing import mailing_rows
from dhdesk.core.letters.model import Address, Block, FieldsBlock, Letter, ReplySlip, Sender, TableBlock
from dhdesk.core.letters.templates import LetterTemplate, TemplateError, default_template, placeholders

__all__ = [
    "ROUTES", "Address", "Block", "FieldsBlock", "Letter", "LetterTemplate", "ReplySlip", "Sender", "TableBlock",
    "TemplateError", "build_letters", "default_template", "mailing_rows", "order_for_route", "ordered", "placeholders",
    "render_text",
]
