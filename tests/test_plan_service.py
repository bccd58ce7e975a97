"""The plan from a workspace: complete on the demo union, the same figures as `dhdesk analyze`, text per 年度."""

from __future__ import annotations

import pytest

from dhdesk.core.plan import FigureBlock, Heading, TableBlock, Text
from dhdesk.core.plan.cells import cell_text
from dhdesk.core.plan.text import PlanText
from dhdesk.core.suppression import load_rules
from dhdesk.services import analyses, demo, plan, workspaces

SAMPLE = ("population_pyramid", "cost_trend", "cost_ranges", "icd10_top10", "jisshiritsu_kenshin", "polypharmacy",
          "generic_share_by_type", "jinsho_stage")


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    return demo.build_demo(tmp_path_factory.mktemp("plan"), members=800, seed=11).workspace_path


@pytest.fixture(scope="module")
def plans(demo_workspace):
    with workspaces.open_workspace(demo_workspace) as workspace:
        internal, _ = plan.build_plan(workspace, 2025, internal=True)
        published, skipped = plan.build_plan(workspace, 2025)
        analysed = analyses.analyze(workspace, 2025)
    assert skipped == []
    return internal, published, {t.key: t for t in analysed.tables}


def _blocks(document, kind):
    return [b for s in document.sections for b in s.blocks if isinstance(b, kind)]


def _table_rows(document, key):
    """Rows of a table as printed, its column pieces joined back by label."""
    pieces = [b for b in _blocks(document, TableBlock) if b.key == key]
    assert pieces, key
    rows: dict[str, dict[str, str]] = {}
    for piece in pieces:
        for row in piece.rows:
            rows.setdefault(row[0], {}).update(dict(zip(piece.header, row, strict=True)))
    return rows


def test_the_internal_plan_prints_exactly_the_figures_of_analyze(plans):
    internal, _, analysed = plans
    for key in SAMPLE:
        printed = _table_rows(internal, key)
        frame = analysed[key].table
        for values in frame.astype(object).itertuples(index=False):
            label = cell_text(values[0], str(frame.columns[0]))
            expected = {str(c): cell_text(v, str(c)) for c, v in zip(frame.columns, values, strict=True)}
            assert printed[label] == expected, (key, label)


def test_kpi_actuals_are_the_analysed_rates_of_the_year(plans):
    internal, _, analysed = plans
    kpi = _table_rows(internal, "plan_kpi")
    rates = analysed["jisshiritsu_kenshin"].table.set_index("区分")["実施率(%)"]
    actual_rows = [b for b in _blocks(internal, TableBlock) if b.key == "plan_kpi"][0].rows
    checkup = [r for r in actual_rows if r[0] == "特定健診実施率(%)" and r[2] == "実績"]
    by_group = {r[1]: r[-1 - (2029 - 2025)] for r in checkup}
    assert by_group["全体"] == f"{rates['全体']:.1f}"
    assert by_group["被扶養者"] == f"{rates['被扶養者']:.1f}"
    assert kpi


def test_every_section_has_content_and_no_placeholder_is_left(plans):
    _, published, _ = plans
    assert [s.number for s in published.sections] == [1, 2, 3, 4, 5, 6, 7]
    for section in published.sections:
        assert any(not isinstance(b, Heading) for b in section.blocks), section.title
        for before, after in zip(section.blocks, section.blocks[1:] + (None,)):
            assert not (isinstance(before, Heading) and (after is None or isinstance(after, Heading))), before
    texts = [b.text for b in _blocks(published, Text)]
    assert all("{" not in t and t.strip() for t in texts)
    assert "通知の実績はまだありません。" in texts
    assert len(_blocks(published, FigureBlock)) >= 8
    issues = [b for b in _blocks(published, TableBlock) if b.key == "plan_issues"][0]
    assert issues.rows and all(row[2].startswith("表") for row in issues.rows)


def test_the_published_plan_shows_no_count_between_1_and_9(plans):
    _, published, _ = plans
    rules = load_rules()
    pyramid = [b for b in _blocks(published, TableBlock) if b.key == "population_pyramid"][0]
    cells = [cell for row in pyramid.rows for cell in row[1:]]
    assert rules.primary_mark in cells
    assert not [c for c in cells if c.replace(",", "").isdigit() and 1 <= int(c.replace(",", "")) < rules.minimum]
    assert any(rules.note in b.notes for b in _blocks(published, TableBlock))


def test_text_is_kept_per_year_and_carried_over_to_the_next(demo_workspace):
    text = PlanText(narrative={"purpose": "当組合独自の目的。"}, issues=("課題X",), targets={"kenshin_total": {2026: 95.0}})
    with workspaces.open_workspace(demo_workspace) as workspace:
        assert plan.plan_text(workspace, 2031) == PlanText()
        plan.save_plan_text(workspace, 2030, text)
        assert plan.plan_text(workspace, 2031) == text
        assert plan.plan_text(workspace, 2030) == text
        assert plan.plan_text(workspace, 2029) == PlanText()
