"""The clerk's plan text: drafts with the union filled in, and the JSON kept per 年度."""

from __future__ import annotations

from dhdesk.core.plan.text import PlanText, narrative_items


def test_every_section_with_prose_has_a_draft_and_the_drafts_name_the_union():
    items = narrative_items()
    assert {i.section for i in items} == {1, 5, 7}
    assert [i.key for i in items if i.section == 7] == ["structure", "publication", "privacy"]
    purpose = next(i for i in items if i.key == "purpose")
    text = PlanText().passage(purpose, union="みなと共済組合", insured="組合員", fiscal_year="令和7年度")
    assert "みなと共済組合" in text and "{" not in text


def test_written_text_replaces_the_draft_and_blank_text_falls_back_to_it():
    purpose = next(i for i in narrative_items() if i.key == "purpose")
    fill = {"union": "U", "insured": "組合員", "fiscal_year": "令和7年度"}
    assert PlanText(narrative={"purpose": "独自の文"}).passage(purpose, **fill) == "独自の文"
    assert PlanText(narrative={"purpose": "  "}).passage(purpose, **fill).startswith("データヘルス計画は")


def test_the_setting_round_trips_through_json_keys():
    text = PlanText(narrative={"privacy": "規程を守る"}, issues=("課題A", "課題B"), targets={"kenshin_total": {2026: 92.5}})
    value = text.to_setting()
    assert value["targets"] == {"kenshin_total": {"2026": 92.5}}
    assert PlanText.from_setting(value) == text
    assert PlanText.from_setting(None) == PlanText()
