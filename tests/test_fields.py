"""The canonical layouts: contract headers, uniqueness, and docs/formats.md kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhdesk.core.fields import CHECKUPS, LAYOUTS, QUESTIONS, Kind
from dhdesk.core.fields_doc import render_formats_markdown

CONTRACT_CHECKUP_HEADERS = (
    "加入者番号, 性別, 生年月日, 健診日, 身長, 体重, BMI, 腹囲, 収縮期血圧, 拡張期血圧, 空腹時中性脂肪, "
    "随時中性脂肪, HDLコレステロール, LDLコレステロール, 空腹時血糖, 随時血糖, HbA1c, 服薬_血圧, 服薬_血糖, "
    "服薬_脂質, 喫煙"
).split(", ")


def test_checkup_layout_has_every_contract_header():
    assert set(CONTRACT_CHECKUP_HEADERS) <= set(CHECKUPS.labels)


def test_questionnaire_has_the_22_items_of_the_4th_term():
    assert len(QUESTIONS) == 22
    assert [q.label for q in QUESTIONS[:3]] == ["服薬_血圧", "服薬_血糖", "服薬_脂質"]
    assert QUESTIONS[7].label == "喫煙" and QUESTIONS[7].choices[0].label == "はい"


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=lambda layout: layout.key)
def test_names_and_labels_are_unique(layout):
    assert len(set(layout.names)) == len(layout.names)
    assert len(set(layout.labels)) == len(layout.labels)


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=lambda layout: layout.key)
def test_measured_values_declare_their_precision(layout):
    for field in layout.fields:
        if field.kind is Kind.NUMBER:
            assert field.decimals is not None, field.name


def test_docs_formats_md_is_generated_from_the_layouts():
    doc = Path(__file__).resolve().parents[1] / "docs" / "formats.md"
    assert doc.read_text(encoding="utf-8") == render_formats_markdown(), (
        "docs/formats.md is stale: run `python -m dhdesk.core.fields_doc > docs/formats.md`"
    )
    for header in CONTRACT_CHECKUP_HEADERS:
        assert f"| {header} |" in doc.read_text(encoding="utf-8")
