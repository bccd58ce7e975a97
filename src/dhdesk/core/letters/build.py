"""Building letters (通知文の作成) from an approved target list, and the order they are mailed in.

`build_letters` joins each target to the member's current roster row (address, name, 所属所), fills
the template's placeholders and adds the program's body; the result is the same list of `Letter`s
for the on-screen preview, the PDF, the labels and the mailing list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from dhdesk.core.letters.bodies import BODIES
from dhdesk.core.letters.model import Address, Letter, ReplySlip, Sender
from dhdesk.core.letters.templates import LetterTemplate, TemplateError, fill
from dhdesk.core.postal import format_code, normalise_code
from dhdesk.core.union import UnionInfo
from dhdesk.core.wareki import format_fiscal_year, format_wareki

HONORIFIC = "様"

ROUTES: dict[str, str] = {"home": "自宅直送", "office": "所属所経由"}
"""Delivery routes (送付方法): to each home sorted by postal code, or in bundles per 所属所 (seed 004 §6.3.4)."""


def current_members(members: pd.DataFrame) -> pd.DataFrame:
    """One row per member: the latest 資格期間 (its address is the one to write to), indexed by member_id."""
    ordered = members.sort_values("acquired_date", kind="stable", na_position="first")
    return ordered.drop_duplicates("member_id", keep="last").set_index("member_id")


def fiscal_year_of(day: date) -> int:
    """年度 (April–March) containing `day`."""
    return day.year if day.month >= 4 else day.year - 1


def text_or_blank(value: object) -> str:
    """A roster cell as printed text: NA, NaN and None become blank."""
    return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def build_letters(program_id: str, targets: pd.DataFrame, members: pd.DataFrame, union: UnionInfo,
                  template: LetterTemplate, issue_date: date, *, fiscal_year: int | None = None) -> list[Letter]:
    """One letter per row of `targets` (CANDIDATE_COLUMNS + voucher_number), in row order.

    `fiscal_year` fills {年度}; by default the 年度 of the issue date. Raises `TemplateError` for a
    placeholder the program does not fill and `KeyError` for a target missing from the roster.
    """
    if template.program != program_id:
        raise TemplateError(f"文面テンプレートは「{template.program}」用で、「{program_id}」には使えません。")
    body = BODIES[program_id]
    roster = current_members(members)
    missing = sorted(set(targets["member_id"].astype(str)) - set(roster.index.astype(str)))
    if missing:
        raise KeyError(f"加入者台帳にない加入者番号があります: {'、'.join(missing[:10])}")
    year = format_fiscal_year(fiscal_year if fiscal_year is not None else fiscal_year_of(issue_date))
    common = {"年度": year, "発行日": format_wareki(issue_date), "組合名": union.name, "担当": union.department,
              "電話番号": union.phone}
    vouchers = targets["voucher_number"] if "voucher_number" in targets else pd.Series(pd.NA, index=targets.index)
    letters = []
    for member_id, values, voucher in zip(targets["member_id"].astype(str), targets["values"], vouchers, strict=True):
        person = roster.loc[member_id]
        content = dict(values)
        if text_or_blank(voucher):
            content["voucher_number"] = text_or_blank(voucher)
        blocks, own = body(content, template, issue_date)
        name = text_or_blank(person["name"])
        filled = {**common, "氏名": name, "加入者番号": member_id, **own}
        letters.append(_letter(program_id, member_id, person, name, template, union, issue_date, blocks, filled))
    return letters


def _letter(program_id: str, member_id: str, person: pd.Series, name: str, template: LetterTemplate,
            union: UnionInfo, issue_date: date, blocks: tuple, filled: dict[str, str]) -> Letter:
    def text(wording: str) -> str:
        return fill(wording, program_id, filled)

    address = Address(
        postal_code=format_code(text_or_blank(person["postal_code"])),
        lines=tuple(line for line in (text_or_blank(person["address1"]), text_or_blank(person["address2"])) if line),
        name=f"{name}　{HONORIFIC}",
        member_id=member_id,
    )
    sender = Sender(union.name, format_code(union.postal_code) if union.postal_code else "", union.address,
                    union.phone, union.department, tuple(text(line) for line in template.sender_lines))
    reply = None
    if template.reply_title:
        reply = ReplySlip(text(template.reply_title), text(template.reply_text), template.reply_fields,
                          f"加入者番号：{member_id}　氏名：{name}", union.name)
    return Letter(
        member_id=member_id, program=program_id, address=address, sender=sender,
        confidential=template.confidential, date=format_wareki(issue_date), title=text(template.title),
        paragraphs=tuple(text(p) for p in template.paragraphs), blocks=blocks, reply=reply, placeholders=filled,
    )


def render_text(template: LetterTemplate, letter: Letter) -> str:
    """The template's wording filled with `letter`'s values, as plain text: the editor's preview.

    Raises `TemplateError` (Japanese, listing the allowed placeholders) for an unknown placeholder.
    """
    parts = [template.title, *template.paragraphs, template.table_heading, *template.notes, template.reply_title,
             template.reply_text]
    return "\n\n".join(fill(part, template.program, letter.placeholders) for part in parts if part)


def order_for_route(targets: pd.DataFrame, members: pd.DataFrame, route: str) -> list[str]:
    """Member ids in mailing order: by postal code for 自宅直送 ("home"), grouped by 所属所 for "office".

    Within a postal code or a 所属所 the list order is kept (stable sort); members without a postal
    code or 所属所 come last so the clerk sees them together.
    """
    if route not in ROUTES:
        raise ValueError(f"送付方法「{route}」はありません（{'、'.join(ROUTES)}）。")
    ids = targets["member_id"].astype(str).reset_index(drop=True)
    roster = current_members(members)
    roster.index = roster.index.astype(str)
    if route == "home":
        key = roster["postal_code"].reindex(ids).map(lambda code: normalise_code(text_or_blank(code)) or None)
    else:
        key = roster["office"].reindex(ids).map(lambda office: text_or_blank(office) or None)
    frame = pd.DataFrame({"id": ids, "key": key.to_numpy(dtype=object)})
    return frame.sort_values("key", kind="stable", na_position="last")["id"].tolist()


def ordered(letters: Sequence[Letter], member_ids: Sequence[str]) -> list[Letter]:
    """`letters` rearranged into `member_ids` order (the mailing order of `order_for_route`)."""
    by_id = {letter.member_id: letter for letter in letters}
    return [by_id[member_id] for member_id in member_ids]
