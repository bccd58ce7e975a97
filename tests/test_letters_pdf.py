"""Letters PDF: one letter per page-1, list order, address inside the envelope window, fonts embedded."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from dhdesk.core.letters import Address, Letter, ReplySlip, Sender, TableBlock
from dhdesk.reports.glyphs import UncoveredGlyphsError
from dhdesk.reports.letters_pdf import (AddressOverflowError, LetterRenderer, WindowSpec, layout_address,
                                        render_letters, text_width, unprintable, wrap)

SENDER = Sender("テスト共済組合", "〒460-0001", "愛知県名古屋市中区三の丸1-1 みなと会館", "052-000-0000", "保健事業課")


def letter(member_id: str, name: str, *, drugs: int = 2, reply: bool = True, address2: str = "") -> Letter:
    rows = tuple((f"先発薬{i}", f"後発薬{i}", "1,370円", "910円", "460円") for i in range(drugs))
    table = TableBlock("お薬代の比較", ("先発", "後発", "現在", "切替後", "差額"), rows, label_columns=2,
                       total=("合計", "", "", "", "920円"), notes=("技術料の注意",))
    slip = ReplySlip("受診報告書", "ご記入ください。", ("受診日", "医療機関名"), f"加入者番号：{member_id}", "テスト共済組合")
    lines = ("愛知県一宮市三丹町1-2", *((address2,) if address2 else ()))
    return Letter(member_id=member_id, program="generic",
                  address=Address("〒491-0066", lines, f"{name}　様", member_id), sender=SENDER,
                  confidential="親展", date="令和8年11月22日", title="お知らせ", paragraphs=(f"{name}　様", "本文です。"),
                  blocks=(table,), reply=slip if reply else None)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_each_letter_starts_on_a_new_page_in_list_order():
    letters = [letter("001", "山田　花子"), letter("002", "髙﨑　一郎"), letter("003", "佐藤　次郎")]
    texts = pages_text(render_letters(letters))
    assert len(texts) == 3
    for text, expected in zip(texts, letters, strict=True):
        assert expected.address.name in text and "〒491-0066" in text and "親展" in text
        assert "先発薬1" in text and "920円" in text and "受診報告書" in text
        assert "本文です。" in text and "※技術料の注意" in text  # texts shared by the batch are drawn once as forms


def test_long_drug_table_continues_with_the_address_only_on_page_one():
    texts = pages_text(render_letters([letter("001", "山田　花子", drugs=60), letter("002", "鈴木　一郎")]))
    starts = [i for i, text in enumerate(texts) if "〒491-0066" in text]
    assert starts[0] == 0 and len(starts) == 2 and starts[1] >= 2  # letter 1 runs over pages, letter 2 starts anew
    for continuation in texts[1:starts[1]]:
        assert "（つづき）" in continuation and "山田　花子" in continuation  # a loose page names its letter
    first_letter = "".join(texts[:starts[1]])
    assert "先発薬0" in texts[0] and all(f"先発薬{i}" in first_letter for i in range(60))
    assert "鈴木　一郎" in texts[starts[1]] and "山田" not in texts[starts[1]]


def test_fonts_are_embedded():
    reader = PdfReader(io.BytesIO(render_letters([letter("001", "山田　花子")])))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor.get_object()


def test_address_layout_lies_inside_the_window_padding():
    window = WindowSpec()
    long = letter("001", "長谷川　由紀子", address2="サンプルマンション一宮駅前ステーションタワー　1203号室")
    lines, mark = layout_address(long.address, "親展", window)
    inner = (window.left + window.padding, window.top + window.padding,
             window.left + window.width - window.padding, window.top + window.height - window.padding)
    for line in [*lines, mark]:
        assert inner[0] - 1e-6 <= line.left and line.right <= inner[2] + 1e-6
        assert inner[1] - 1e-6 <= line.top and line.bottom <= inner[3] + 1e-6
    assert [line.text for line in lines][-2:] == ["長谷川　由紀子　様", "加入者番号 001"]
    assert lines[0].right < mark.left  # 〒 never runs under 親展


def test_drawn_address_text_is_inside_the_window_in_the_pdf():
    """Read the text positions back from the PDF (not from our own layout) and check them against the window."""
    window = WindowSpec(left=20, top=15, width=95, height=45)
    renderer = LetterRenderer([letter("001", "山田　花子")], window)
    reader = PdfReader(io.BytesIO(renderer.render()))
    drawn: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size):
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip():
            drawn.setdefault(text.strip(), (x / 72 * 25.4, 297 - y / 72 * 25.4))

    reader.pages[0].extract_text(visitor_text=visit)
    widths = {line.text: line.width for line in renderer.address_layouts[0]}
    for text in ("〒491-0066", "愛知県一宮市三丹町1-2", "山田　花子　様", "加入者番号 001"):
        left, baseline = drawn[text]
        assert window.left <= left and left + widths[text] <= window.left + window.width
        assert window.top < baseline <= window.top + window.height
    left, baseline = drawn["本文です。"]
    assert baseline > window.top + window.height  # the body starts below the window


def test_long_address_shrinks_and_wraps_but_never_overflows():
    window = WindowSpec(height=30)
    very_long = letter("001", "山田　花子", address2="とても長い建物の名前" * 6)
    lines, _ = layout_address(very_long.address, "親展", window)
    assert lines[0].size < 10.5  # shrunk
    assert max(line.bottom for line in lines) <= window.top + window.height - window.padding + 1e-6
    assert "".join(line.text for line in lines if line.text.startswith("とても") or "建物" in line.text).count("建物") == 6
    with pytest.raises(AddressOverflowError):
        layout_address(replace(very_long.address, lines=("長" * 400,)), "親展", window)


def test_window_must_sit_on_the_first_panel():
    assert WindowSpec().problems() == []
    assert WindowSpec(top=70).problems()
    with pytest.raises(ValueError, match="三つ折り"):
        LetterRenderer([], WindowSpec(top=70))


def test_wrap_keeps_numbers_whole_and_breaks_at_spaces():
    width = text_width("愛知県一宮市中島通4-28", 11)
    assert wrap("愛知県一宮市中島通4-28-7", 11, width) == ("愛知県一宮市中島通", "4-28-7")
    assert wrap("サンプルマンション　101号室", 11, text_width("サンプルマンション　10", 11)) == ("サンプルマンション", "101号室")
    assert wrap("東京都（港区）、", 11, text_width("東京都（港区", 11)) == ("東京都（港", "区）、")  # 禁則


def test_unprintable_names_are_reported_and_never_drawn():
    good, bad = letter("001", "山田　花子"), letter("002", "𠮷田　太郎")
    assert unprintable([good, bad]) == {"002": {"𠮷"}}
    with pytest.raises(UncoveredGlyphsError):
        render_letters([bad])


def test_window_outline_only_when_asked():
    plain = render_letters([letter("001", "山田　花子", reply=False)])
    outlined = render_letters([letter("001", "山田　花子", reply=False)], show_window=True)
    assert plain != outlined and render_letters([letter("001", "山田　花子", reply=False)]) == plain
