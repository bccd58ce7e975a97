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
