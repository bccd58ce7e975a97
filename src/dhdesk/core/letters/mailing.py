"""The mailing list (発送リスト): one row per letter, ready for mail-merge, with the address check.

Rows follow the letters' order (the caller orders them with `order_for_route`). Every cell is text,
so 加入者番号 and 郵便番号 keep their leading zeros in Excel and in a mail-merge.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dhdesk.core.letters.build import current_members, text_or_blank
from dhdesk.core.letters.model import Letter
from dhdesk.core.letters.templates import PROGRAM_PLACEHOLDERS
from dhdesk.core.postal import check_address

BASE_COLUMNS: tuple[str, ...] = ("郵便番号", "住所1", "住所2", "宛名", "加入者番号", "所属所", "区分")
CHECK_COLUMN = "住所確認"


def mailing_rows(letters: Sequence[Letter], targets: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """The list: BASE_COLUMNS, the program's own columns (its placeholders: 差額合計, 受診勧奨項目…),
    then 住所確認 (the postal-code problems joined, blank when the address checks out)."""
    roster = current_members(members)
    roster.index = roster.index.astype(str)
    tiers = dict(zip(targets["member_id"].astype(str), targets["tier"].map(text_or_blank), strict=True))
    program_columns = PROGRAM_PLACEHOLDERS[letters[0].program] if letters else ()
    rows = []
    for letter in letters:
        person = roster.loc[letter.member_id]
        postal, address1 = text_or_blank(person["postal_code"]), text_or_blank(person["address1"])
        rows.append({
            "郵便番号": letter.address.postal_code, "住所1": address1, "住所2": text_or_blank(person["address2"]),
            "宛名": letter.address.name, "加入者番号": letter.member_id, "所属所": text_or_blank(person["office"]),
            "区分": tiers.get(letter.member_id, ""),
            **{column: letter.placeholders.get(column, "") for column in program_columns},
            CHECK_COLUMN: "／".join(check_address(postal, address1)),
        })
    columns = [*BASE_COLUMNS, *program_columns, CHECK_COLUMN]
    return pd.DataFrame(rows, columns=columns, dtype="string")
