"""`dhdesk analyze`: every analysis of a 年度 from a workspace, one sheet each, figures that agree."""

from __future__ import annotations

import dataclasses

import openpyxl
import pytest

from dhdesk.cli import main
from dhdesk.core.analyses.catalogue import ANALYSES
from dhdesk.services import analyses, demo, workspaces


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analyze")
    return demo.build_demo(folder, members=800, seed=11).workspace_path


def _sheet_rows(path, name):
    book = openpyxl.load_workbook(path, read_only=True)
    return [[c for c in row] for row in book[name].iter_rows(values_only=True)]


def test_every_analysis_runs_on_the_demo_union(demo_workspace):
    with workspaces.open_workspace(demo_workspace) as workspace:
        result = analyses.analyze(workspace, 2025)
    assert result.skipped == []
    keys = [t.key for t in result.tables]
    assert len(keys) == len(set(keys)) >= len(ANALYSES)
    assert all(len(t.table.columns) >= 2 and t.title for t in result.tables)
    published = {"cost_ranges", "jisshiritsu_kenshin", "generic_share_by_type", "jinsho_groups", "polypharmacy"}
    assert published <= set(keys)
    assert all(not t.table.empty for t in result.tables if t.key in published)


def test_a_run_on_inputs_read_before_gives_the_same_tables(demo_workspace):
    with workspaces.open_workspace(demo_workspace) as workspace:
        first = analyses.analyze(workspace, 2025)
        inputs = analyses.load_inputs(workspace, 2025)
        again = analyses.analyze(workspace, 2025, inputs=inputs)
    assert len(inputs.receipts) > 0
    assert [t.key for t in again.tables] == [t.key for t in first.tables]
    for ours, theirs in zip(again.tables, first.tables, strict=True):
        assert ours.table.equals(theirs.table) and ours.member_ids == theirs.member_ids


def test_an_earlier_year_skips_what_its_rules_cannot_judge_and_says_why(demo_workspace):
    with workspaces.open_workspace(demo_workspace) as workspace:
        result = analyses.analyze(workspace, 2024)
    assert len(result.skipped) == 1 and "流入・流出" in result.skipped[0] and "2023年度" in result.skipped[0]
    assert "作成できなかった分析" in result.summary


def test_the_command_writes_a_contents_sheet_and_one_sheet_per_table(demo_workspace, tmp_path, capsys):
    out = tmp_path / "分析.xlsx"
    assert main(["analyze", str(demo_workspace), "--fiscal-year", "2025", "-o", str(out)]) == 0
    contents = _sheet_rows(out, "目次")
    assert contents[0][0] == "みなと市町村職員共済組合 2025年度 分析表"
    listed = [row[0] for row in contents[3:] if row[0]]
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["目次", *listed]
    rates = _sheet_rows(out, "jisshiritsu_kenshin")
    header = rates[2]
    total = dict(zip(header, rates[3], strict=False))
    assert total["区分"] == "全体"
    assert total["対象者数"] == total["受診者数"] + total["未受診者数"]
    assert total["実施率(%)"] == round(100 * total["受診者数"] / total["対象者数"], 1)
    assert "分析表" in capsys.readouterr().out


def test_a_locked_or_missing_workspace_is_refused_with_a_message(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "none.dhdesk"), "--fiscal-year", "2025", "-o", str(tmp_path / "x.xlsx")]) == 1
    assert capsys.readouterr().err.strip()


def test_the_analyses_do_not_depend_on_the_order_of_claims_or_checkups(demo_workspace):
    """load_inputs reads claims unordered (fast); every table and drill-down list must come out the same."""
    with workspaces.open_workspace(demo_workspace) as workspace:
        inputs = analyses.load_inputs(workspace, 2025)
        shuffled = dataclasses.replace(inputs, **{
            name: getattr(inputs, name).sample(frac=1.0, random_state=7).reset_index(drop=True)
            for name in ("checkups", "receipts", "diagnoses", "drug_lines")})
        first = analyses.analyze(workspace, 2025, inputs=inputs)
        again = analyses.analyze(workspace, 2025, inputs=shuffled)
    for ours, theirs in zip(again.tables, first.tables, strict=True):
        assert ours.table.equals(theirs.table), ours.key
        assert {k: sorted(v) for k, v in ours.member_ids.items()} == {k: sorted(v) for k, v in theirs.member_ids.items()}
