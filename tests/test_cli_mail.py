"""`dhdesk mail`, `mail-history` and `effect`: a batch from the command line, the history, refusals with messages."""

from __future__ import annotations

from datetime import date

import pytest
from test_services_mailing import ROSTER, UNION, approved_run, roster

from dhdesk.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main
from dhdesk.store.workspace import Workspace


@pytest.fixture
def workspace_path(tmp_path):
    """A union of five members with an approved 受診勧奨 list (run 1) naming three, and a draft (run 2)."""
    path = tmp_path / "union.dhdesk"
    with Workspace.create(path, UNION) as ws:
        ws.import_batch("members", "members.csv", "m", {"members": roster(ROSTER)})
        approved_run(ws, ["00000001", "00000002", "00000003"])
        approved_run(ws, ["00000004"], approve=False)
    return path


def test_mail_writes_the_batch_files_and_prints_where(workspace_path, tmp_path, capsys):
    out = tmp_path / "発送"
    code = main(["mail", str(workspace_path), "1", "-o", str(out), "--route", "home", "--labels", "24",
                 "--sent-date", "2026-12-01"])
    printed = capsys.readouterr().out
    assert code == EXIT_OK
    assert "発送番号 1: 受診勧奨 令和7年度 の通知 3通を作成しました。" in printed
    names = sorted(path.name for path in out.iterdir())
    assert names == ["2025_jushin_1_labels.pdf", "2025_jushin_1_letters.pdf", "2025_jushin_1_list.xlsx",
                     "2025_jushin_1_summary.xlsx"]
    assert all(str(out / name) in printed for name in names)
    with Workspace.open(workspace_path) as ws:
        row, notices = ws.notice_batch(1)
    assert row["route"] == "home" and row["params"]["label_sheet"]["name"] == "A4 24面"
    assert str(notices["sent_date"].iloc[0].date()) == "2026-12-01"


def test_mail_refuses_a_draft_and_a_second_batch_with_a_message(workspace_path, tmp_path, capsys):
    assert main(["mail", str(workspace_path), "2", "-o", str(tmp_path / "a")]) == EXIT_REFUSED
    assert "対象者リスト 2 は承認されていません" in capsys.readouterr().err
    assert main(["mail", str(workspace_path), "1", "-o", str(tmp_path / "b")]) == EXIT_OK
    capsys.readouterr()
    assert main(["mail", str(workspace_path), "1", "-o", str(tmp_path / "c")]) == EXIT_REFUSED
    assert "発送記録 1 で印刷済み" in capsys.readouterr().err
    assert not (tmp_path / "c").exists() or not list((tmp_path / "c").iterdir())


def test_mail_usage_errors_exit_2(workspace_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["mail", str(workspace_path), "1", "-o", str(tmp_path), "--sent-date", "12/01"])
    assert stopped.value.code == EXIT_USAGE
    assert "日付「12/01」が読めません" in capsys.readouterr().err


def test_mail_history_lists_the_batches(workspace_path, tmp_path, capsys):
    assert main(["mail-history", str(workspace_path)]) == EXIT_OK
    assert "発送記録はまだありません。" in capsys.readouterr().out
    main(["mail", str(workspace_path), "1", "-o", str(tmp_path / "out")])
    capsys.readouterr()
    assert main(["mail-history", str(workspace_path), "--program", "jushin"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["発送番号", "事業", "対象者リスト"]
    assert lines[1].split()[:3] == ["1", "受診勧奨", "1"] and "発送済み" in lines[1]


def test_effect_needs_a_sent_date_then_writes_the_tables(workspace_path, tmp_path, capsys, monkeypatch):
    main(["mail", str(workspace_path), "1", "-o", str(tmp_path / "out")])
    capsys.readouterr()
    assert main(["effect", str(workspace_path), "1", "-o", str(tmp_path / "effect.xlsx")]) == EXIT_REFUSED
    assert "発送日が未設定" in capsys.readouterr().err
    with Workspace.open(workspace_path) as ws:
        ws.set_notice_sent_date(1, date(2026, 1, 5))
    monkeypatch.chdir(tmp_path)
    assert main(["effect", str(workspace_path), "1"]) == EXIT_OK
    assert "effect_1.xlsx に書き出しました" in capsys.readouterr().out
    assert (tmp_path / "effect_1.xlsx").stat().st_size > 0
    assert main(["effect", str(workspace_path), "9"]) == EXIT_REFUSED
    assert "発送記録 9 はこのワークスペースにありません" in capsys.readouterr().err
