"""`dhdesk import`: the kind detected from the file, all-or-nothing per file, the report on stderr."""

from __future__ import annotations

from dhdesk.cli import main
from dhdesk.core.synthetic import generate_union
from dhdesk.core.union import UnionInfo
from dhdesk.io.detect import detect_kind
from dhdesk.services import demo, workspaces


def test_each_received_file_is_recognised(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    files = demo.write_received_files(generate_union(members=300, seed=9), folder)
    assert [(kind, detect_kind(path)) for kind, path in files] == [(kind, kind) for kind, _ in files]


def test_import_detects_kinds_and_fills_the_workspace(tmp_path, capsys):
    files = demo.write_received_files(generate_union(members=300, seed=9), tmp_path / "in")
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "32239014")):
        pass
    paths = [str(path) for _, path in files]
    assert main(["import", str(tmp_path / "ws.dhdesk"), *paths]) == 0
    out = capsys.readouterr().out
    assert "加入者台帳 加入者台帳.csv から" in out and "レセプト レセプト から" in out
    with workspaces.open_workspace(tmp_path / "ws.dhdesk") as workspace:
        counts = workspace.counts()
    assert counts["members_active"] > 0 and counts["drug_master_versions"] == 1


def test_a_file_with_errors_is_refused_with_rows_and_columns(tmp_path, capsys):
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "32239014")):
        pass
    bad = tmp_path / "台帳.csv"
    bad.write_text("加入者番号,氏名,性別,生年月日,本人家族,資格取得日\n0001,山田 太郎,男,1980-13-45,本人,2000-04-01\n",
                   encoding="utf-8")
    assert main(["import", str(tmp_path / "ws.dhdesk"), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "2行目" in err and "生年月日" in err
    with workspaces.open_workspace(tmp_path / "ws.dhdesk") as workspace:
        assert workspace.members().empty


def test_an_unrecognisable_file_asks_for_the_kind(tmp_path, capsys):
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "32239014")):
        pass
    odd = tmp_path / "memo.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["import", str(tmp_path / "ws.dhdesk"), str(odd)]) == 1
    assert "--kind" in capsys.readouterr().err


def _workspace_with_roster(tmp_path):
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "32239014")):
        pass
    roster = tmp_path / "台帳.csv"
    roster.write_text("加入者番号,氏名,性別,生年月日,本人家族,資格取得日\n0001,山田 太郎,男,1970-04-01,本人,2000-04-01\n"
                      "0002,山田 花子,女,1972-05-02,家族,2000-04-01\n", encoding="utf-8")
    assert main(["import", str(tmp_path / "ws.dhdesk"), str(roster)]) == 0
    clinic = tmp_path / "センター.csv"
    clinic.write_text("加入者番号,性別,生年月日,健診日,身長,体重\n0001,1,1970-04-01,2024-06-10,170.0,63.6\n"
                      "0002,2,1972-05-02,2024-06-11,300,50.0\n", encoding="cp932")
    return tmp_path / "ws.dhdesk", clinic


def test_valid_rows_only_imports_the_rest_and_the_report_is_saved(tmp_path, capsys):
    workspace, clinic = _workspace_with_roster(tmp_path)
    report = tmp_path / "errors.xlsx"
    assert main(["import", str(workspace), str(clinic), "--errors", str(report)]) == 1
    assert report.exists() and "3行目 「身長」" in capsys.readouterr().err
    report.unlink()
    assert main(["import", str(workspace), str(clinic), "--valid-rows-only", "--errors", str(report)]) == 0
    out = capsys.readouterr().out
    assert "1 行を取り込みました（エラーのある 1 行を除外）" in out and str(report) in out
    with workspaces.open_workspace(workspace) as ws:
        assert ws.checkups()["member_id"].tolist() == ["0001"]


def test_an_unknown_preset_refuses_the_file(tmp_path, capsys):
    workspace, clinic = _workspace_with_roster(tmp_path)
    assert main(["import", str(workspace), str(clinic), "--preset", "○○健診センター"]) == 1
    assert "取込プリセット「○○健診センター」がありません" in capsys.readouterr().out


def test_the_kind_option_offers_every_kind_the_service_imports():
    from dhdesk.cli import _parser
    from dhdesk.services.imports import KINDS

    imp = next(action for action in _parser()._subparsers._group_actions[0].choices["import"]._actions
               if action.dest == "kind")
    assert list(imp.choices) == list(KINDS)
