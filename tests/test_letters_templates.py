"""Letter templates: shipped defaults, JSON round trip, placeholder validation and filling."""

from __future__ import annotations

import json

import pytest

from dhdesk.core.letters import LetterTemplate, TemplateError, default_template, placeholders
from dhdesk.core.letters.templates import PROGRAM_PLACEHOLDERS, fill
from dhdesk.core.programs import LETTER_VALUES


def test_every_program_has_a_valid_default_template():
    assert set(PROGRAM_PLACEHOLDERS) == set(LETTER_VALUES)
    for program in LETTER_VALUES:
        template = default_template(program)
        assert template.program == program
        assert template.title and template.paragraphs
        assert template.problems() == []


def test_reply_slip_only_for_visit_programs():
    with_slip = {p for p in LETTER_VALUES if default_template(p).reply_title}
    assert with_slip == {"jushin", "jinsho", "chudan"}
    assert default_template("jushin").reply_fields == ("受診日", "医療機関名", "診断・指導内容")


def test_generic_template_carries_both_caveats():
    notes = "".join(default_template("generic").notes)
    assert "技術料" in notes and "総額が下がらない" in notes
    assert "令和6年10月" in notes and "選定療養" in notes


def test_json_round_trip_keeps_every_field():
    template = default_template("hokenshido")
    stored = json.loads(json.dumps(template.to_dict(), ensure_ascii=False))
    assert LetterTemplate.from_dict(stored) == template
    assert stored["voucher_valid_months"] == 6


def test_unknown_key_in_stored_template_is_refused():
    data = default_template("jushin").to_dict() | {"titel": "x"}
    with pytest.raises(TemplateError, match="titel"):
        LetterTemplate.from_dict(data)


def test_unknown_placeholder_is_reported_with_the_allowed_ones():
    template = LetterTemplate.from_toml('program = "generic"\ntitle = "{差額}のお知らせ"\nparagraphs = ["{氏名}様"]\n')
    [problem] = template.problems()
    assert "「{差額}」は使えません" in problem
    assert "{差額合計}" in problem and "{氏名}" in problem
    assert "{健診日}" not in problem  # not a placeholder of 差額通知


def test_fill_replaces_known_and_refuses_unknown():
    assert fill("{氏名}様 {年度}", "jushin", {"氏名": "山田　花子", "年度": "令和8年度"}) == "山田　花子様 令和8年度"
    with pytest.raises(TemplateError, match="利用券番号"):
        fill("{利用券番号}", "jushin", {})


def test_braces_without_a_name_are_plain_text():
    assert fill("{ } と {}", "jushin", {}) == "{ } と {}"


def test_unknown_program_is_refused():
    with pytest.raises(KeyError):
        placeholders("nope")
