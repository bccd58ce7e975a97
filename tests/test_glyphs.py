"""Glyph coverage: characters no bundled font has are found before printing, others get a fallback."""

from __future__ import annotations

import pandas as pd
import pytest

from dhdesk.reports import fonts
from dhdesk.reports.glyphs import (
    FALLBACK_CHAIN,
    UncoveredGlyphsError,
    coverage,
    font_runs,
    missing_glyphs,
    uncovered,
)

TSUCHIYOSHI = "\U00020BB7"  # 𠮷 (土よし): in no bundled font
KANGXI_ONE = "\u2F00"  # ⼀ KANGXI RADICAL ONE: IPAex has it, BIZ UD does not


def test_chain_is_biz_ud_then_ipaex():
    assert FALLBACK_CHAIN == (fonts.REGULAR, fonts.FALLBACK)


def test_bold_covers_exactly_what_regular_covers():
    """Bold text is checked against the regular face's coverage, so the two must agree."""
    assert coverage(fonts.BOLD) == coverage(fonts.REGULAR)


@pytest.mark.parametrize("char", ["髙", "﨑", "①", "㈱", "㍻", "〒", "様", "　"])
def test_hard_but_covered_characters_are_in_both_fonts(char):
    assert all(char in coverage(name) for name in FALLBACK_CHAIN)


def test_a_name_with_tsuchiyoshi_is_reported_for_every_font():
    missing = missing_glyphs(["吉田 花子", f"{TSUCHIYOSHI}田 太郎", "髙﨑 一郎"])
    assert missing == {fonts.REGULAR: {TSUCHIYOSHI}, fonts.FALLBACK: {TSUCHIYOSHI}}
    assert uncovered(["吉田 花子", f"{TSUCHIYOSHI}田 太郎"]) == {TSUCHIYOSHI}


def test_a_character_only_the_fallback_has_is_not_uncovered():
    missing = missing_glyphs([f"山{KANGXI_ONE}"])
    assert missing == {fonts.REGULAR: {KANGXI_ONE}, fonts.FALLBACK: set()}
    assert uncovered([f"山{KANGXI_ONE}"]) == set()


def test_line_breaks_tabs_and_missing_values_are_ignored():
    names = pd.Series(["東京都\n千代田区", pd.NA, "a\tb", None], dtype="object")
    assert uncovered(names) == set()
    assert missing_glyphs([]) == {name: set() for name in FALLBACK_CHAIN}


def test_font_runs_switch_only_for_characters_the_first_font_lacks():
    assert font_runs(f"山{KANGXI_ONE}田") == [
        (fonts.REGULAR, "山"), (fonts.FALLBACK, KANGXI_ONE), (fonts.REGULAR, "田"),
    ]
    assert font_runs("髙橋\n様") == [(fonts.REGULAR, "髙橋\n様")]
    assert font_runs("") == []


def test_font_runs_refuse_a_character_no_font_has():
    with pytest.raises(UncoveredGlyphsError) as caught:
        font_runs(f"{TSUCHIYOSHI}田 太郎")
    assert caught.value.chars == {TSUCHIYOSHI}
    assert "U+20BB7" in str(caught.value)
