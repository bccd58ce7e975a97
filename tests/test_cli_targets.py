"""`dhdesk targets`: runs a program on a workspace, prints the funnel, writes the xlsx; usage errors exit 2."""

from __future__ import annotations


import openpyxl
import pytest
from test_services_programs import FAKE, MONTHLY, build

from dhdesk.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main
from dhdesk.core.programs import catalogue as programs_catalogue
from dhdesk.store.workspace import Workspace


@pytest.fixture(autouse=True)
def catalogue(monkeypatch):
    """Only the test programs are registered while a test runs."""
    monkeypatch.setattr(programs_catalogue, "PROGRAMS", {"fake": FAKE, "monthly": MONTHLY})


@pytest.fixture
def workspace_path(tmp_path):
    path = tmp_path / "union.dhdesk"
    build(path).close()
    return path


def test_targets_prints_the_funnel_and_writes_the_list(workspace_path, tmp_path, capsys):
    out = tmp_path / "targets.xlsx"
    code = main(["targets", str(workspace_path), "fake", "--fiscal-year", "2025", "--set", "waist_min=84.9",
                 "-o", str(out)])
    printed = capsys.readouterr().out
    assert code == EXIT_OK
    assert "  基準に該当: 4人\n" in printed and "  通知対象: 3人\n" in printed
    assert f"{out} に書き出しました（実行番号 1、下書き）。" in printed
    members = [row[0] for row in openpyxl.load_workbook(out)["対象者"].iter_rows(min_row=2, values_only=True)]
    assert members == ["00000001", "00000002", "00000003", "00000004"]


def test_unknown_program_lists_the_ids_and_exits_2(workspace_path, tmp_path, capsys):
    code = main(["targets", str(workspace_path), "nope", "--fiscal-year", "2025", "-o", str(tmp_path / "t.xlsx")])
    assert code == EXIT_USAGE
    assert "「nope」という抽出の種類はありません。使えるもの: fake, monthly" in capsys.readouterr().err
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize(("extra", "message"), [
    (["--set", "waist_min"], "名前=値"),
    (["--set", "nope=1"], "「nope」という設定はありません"),
    (["--set", "recent_months=three"], "「three」は使えません"),
])
def test_bad_settings_exit_2(workspace_path, tmp_path, capsys, extra, message):
    out = str(tmp_path / "t.xlsx")
    code = main(["targets", str(workspace_path), "fake", "--fiscal-year", "2025", *extra, "-o", out])
    assert code == EXIT_USAGE and message in capsys.readouterr().err


def test_monthly_program_without_month_exits_2_and_with_month_runs(workspace_path, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert main(["targets", str(workspace_path), "monthly", "--fiscal-year", "2025", "-o", str(out)]) == EXIT_USAGE
    assert "対象の月を指定" in capsys.readouterr().err
    assert main(["targets", str(workspace_path), "monthly", "--fiscal-year", "2025", "--month", "2026-03",
                 "-o", str(out)]) == EXIT_OK
    conditions = [c for row in openpyxl.load_workbook(out)["抽出条件"].iter_rows(values_only=True) for c in row]
    assert "2025年度 2026年3月" in conditions


def test_missing_workspace_is_refused(tmp_path, capsys):
    code = main(["targets", str(tmp_path / "none.dhdesk"), "fake", "--fiscal-year", "2025", "-o",
                 str(tmp_path / "t.xlsx")])
    assert code == EXIT_REFUSED and "見つかりません" in capsys.readouterr().err


def test_help_lists_targets(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "targets" in capsys.readouterr().out


def test_approve_applies_exclusions_and_fixes_the_list(workspace_path, tmp_path, capsys):
    main(["targets", str(workspace_path), "fake", "--fiscal-year", "2025", "-o", str(tmp_path / "t.xlsx")])
    capsys.readouterr()
    code = main(["approve", str(workspace_path), "1", "--exclude", "00000001=本人から辞退の連絡"])
    assert code == EXIT_OK
    assert "実行番号 1 を確定しました: 通知 " in capsys.readouterr().out
    with Workspace.open(workspace_path) as ws:
        targets = ws.run(1).targets.set_index("member_id")
        assert ws.runs().set_index("run_id").loc[1, "status"] == "approved"
    assert targets.loc["00000001", "excluded"] and targets.loc["00000001", "exclusion_reason"] == "本人から辞退の連絡"
    assert main(["approve", str(workspace_path), "1"]) == EXIT_REFUSED  # a fixed list cannot be fixed again
    assert capsys.readouterr().err


def test_approve_refuses_a_malformed_exclusion(workspace_path, capsys):
    assert main(["approve", str(workspace_path), "1", "--exclude", "00000001"]) == EXIT_USAGE
    assert "加入者番号=理由" in capsys.readouterr().err


def test_approve_refuses_a_holdout_over_the_limit(workspace_path, tmp_path, capsys):
    main(["targets", str(workspace_path), "fake", "--fiscal-year", "2025", "-o", str(tmp_path / "t.xlsx")])
    capsys.readouterr()
    assert main(["approve", str(workspace_path), "1", "--holdout", "25"]) == EXIT_REFUSED
    assert "0〜20 %" in capsys.readouterr().err
