"""Building letters from a target list and the roster; render_text; mailing order per route."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dhdesk.core.letters import (LetterTemplate, TemplateError, build_letters, default_template, order_for_route,
                                 ordered, render_text)
from dhdesk.core.union import UnionInfo

UNION = UnionInfo(name="テスト共済組合", insurer_number="32239014", postal_code="4600001",
                  address="愛知県名古屋市中区三の丸1-1", phone="052-000-0000", department="保健事業課")
ISSUED = date(2026, 11, 22)
JUSHIN = {"exam_date": "2025-06-10", "window_months": 3,
          "items": [{"label": "収縮期血圧", "value": 168.0, "unit": "mmHg", "criterion": "160以上", "tier": "①"}]}


def members(*rows: tuple) -> pd.DataFrame:
    """(member_id, name, postal_code, address1, address2, office, acquired_date) rows as a typed roster."""
    frame = pd.DataFrame(rows, columns=["member_id", "name", "postal_code", "address1", "address2", "office",
                                        "acquired_date"])
    for column in frame.columns[:-1]:
        frame[column] = frame[column].astype("string")
    frame["acquired_date"] = pd.to_datetime(frame["acquired_date"])
    return frame


def targets(ids: list[str], values: list[dict], **extra: list) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"member_id": pd.Series(ids, dtype="string"), "tier": pd.Series(["①"] * n, dtype="string"),
                         "rank": pd.Series(range(1, n + 1), dtype="Int64"), "reason": "", "explanation": [()] * n,
                         "values": values, "warnings": [()] * n, **extra})


ROSTER = members(
    ("00012", "山田　花子", "4910066", "愛知県一宮市三丹町1-2", None, "一宮市役所", "2010-04-01"),
    ("00034", "髙﨑　一郎", "100-0001", "東京都千代田区千代田1-1", "千代田ハイツ　101号室", "本庁", "2015-04-01"),
    ("00034", "髙﨑　一郎", "491-0066", "愛知県一宮市三丹町9", None, "一宮市役所", "2024-04-01"),
    ("00056", "佐藤　次郎", "", "愛知県一宮市三丹町5", None, None, "2020-04-01"),
)


def test_letters_follow_target_order_with_address_from_latest_period():
    letters = build_letters("jushin", targets(["00034", "00012"], [JUSHIN, JUSHIN]), ROSTER, UNION,
                            default_template("jushin"), ISSUED)
    assert [letter.member_id for letter in letters] == ["00034", "00012"]
    first = letters[0]
    assert first.address.postal_code == "〒491-0066"
    assert first.address.lines == ("愛知県一宮市三丹町9",)
    assert first.address.name == "髙﨑　一郎　様" and first.address.member_id == "00034"
    assert first.confidential == "親展" and first.date == "令和8年11月22日"
    assert first.paragraphs[0] == "髙﨑　一郎　様"
    assert "令和7年6月10日" in first.paragraphs[2] and "1項目" in first.paragraphs[2]
    assert first.reply is not None and first.reply.member_line == "加入者番号：00034　氏名：髙﨑　一郎"
    assert first.sender.lines()[:2] == ("テスト共済組合", "〒460-0001　愛知県名古屋市中区三の丸1-1")
    assert first.sender.lines()[2] == "担当：保健事業課　電話：052-000-0000"
    assert first.placeholders["年度"] == "令和8年度"


def test_fiscal_year_can_be_given():
    [letter] = build_letters("jushin", targets(["00012"], [JUSHIN]), ROSTER, UNION, default_template("jushin"),
                             ISSUED, fiscal_year=2025)
    assert letter.placeholders["年度"] == "令和7年度"


def test_voucher_number_column_wins_over_values():
    values = {"level": "積極的支援", "exam_date": "2025-06-10", "risks": []}
    letters = build_letters("hokenshido", targets(["00012", "00034"], [values, values],
                                                  voucher_number=pd.Series(["V-1", pd.NA], dtype="string")),
                            ROSTER, UNION, default_template("hokenshido"), ISSUED)
    assert letters[0].blocks[0].fields[0] == ("利用券番号", "V-1")
    assert letters[1].blocks[0].fields[0] == ("利用券番号", "（未発行）")
    assert "V-1" not in str(letters[1])


def test_member_missing_from_roster_is_an_error():
    with pytest.raises(KeyError, match="99999"):
        build_letters("jushin", targets(["99999"], [JUSHIN]), ROSTER, UNION, default_template("jushin"), ISSUED)


def test_template_of_another_program_is_refused():
    with pytest.raises(TemplateError, match="generic"):
        build_letters("jushin", targets(["00012"], [JUSHIN]), ROSTER, UNION, default_template("generic"), ISSUED)


def test_render_text_fills_and_reports_unknown_placeholders():
    [letter] = build_letters("jushin", targets(["00012"], [JUSHIN]), ROSTER, UNION, default_template("jushin"), ISSUED)
    text = render_text(default_template("jushin"), letter)
    assert text.startswith("健診結果に基づく医療機関受診のおすすめ\n\n山田　花子　様")
    edited = LetterTemplate.from_dict(default_template("jushin").to_dict() | {"title": "{差額合計}"})
    with pytest.raises(TemplateError, match="使える項目"):
        render_text(edited, letter)


def test_edited_template_changes_the_letter():
    edited = LetterTemplate.from_dict(default_template("jushin").to_dict()
                                      | {"title": "{年度}健診のお知らせ", "reply_title": "", "sender_lines": ["窓口 2階"]})
    [letter] = build_letters("jushin", targets(["00012"], [JUSHIN]), ROSTER, UNION, edited, ISSUED)
    assert letter.title == "令和8年度健診のお知らせ"
    assert letter.reply is None and letter.sender.extra == ("窓口 2階",)


def test_order_home_sorts_by_postal_code_stably_blank_last():
    frame = targets(["00056", "00034", "00012"], [JUSHIN] * 3)
    assert order_for_route(frame, ROSTER, "home") == ["00034", "00012", "00056"]


def test_order_office_groups_by_office_keeping_list_order():
    frame = targets(["00056", "00012", "00034"], [JUSHIN] * 3)
    assert order_for_route(frame, ROSTER, "office") == ["00012", "00034", "00056"]
    with pytest.raises(ValueError, match="送付方法"):
        order_for_route(frame, ROSTER, "fax")


def test_ordered_rearranges_letters():
    letters = build_letters("jushin", targets(["00012", "00034"], [JUSHIN] * 2), ROSTER, UNION,
                            default_template("jushin"), ISSUED)
    assert [x.member_id for x in ordered(letters, ["00034", "00012"])] == ["00034", "00012"]
