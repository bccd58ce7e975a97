"""The import use case on table files: plausibility checks, "valid rows only", presets, inspect_file, the report."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.union import UnionInfo
from dhdesk.io.columns import Confidence, auto_map
from dhdesk.services import imports, workspaces

TODAY = date(2025, 1, 15)
ROSTER = """加入者番号,氏名,性別,生年月日,本人家族,資格取得日,資格喪失日
0001,山田 太郎,男,1970-04-01,本人,2000-04-01,
0002,山田 花子,女,1972-05-02,家族,2000-04-01,
0003,鈴木 一郎,男,1965-01-10,本人,2000-04-01,2024-06-01
"""
CLINIC = """みなと健診センター 健診結果一覧
受診者番号,性別,生年月日,受診日,身長(cm),体重(kg),BMI値,最高血圧,最低血圧
0001,1,1970/04/01,2024/06/10,170.0,63.6,22.0,120,80
0002,2,1972/05/02,2024/06/11,300,50.0,,118,70
0003,1,1965/01/10,2024/07/01,165.0,60.0,22.0,130,85
"""
"""Row 4 (0002) has 身長 300 (an error); row 5 (0003) was examined after 資格喪失 (a warning)."""


@pytest.fixture
def workspace(tmp_path):
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "32239014")) as ws:
        roster = tmp_path / "台帳.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        assert imports.import_file(ws, roster, "members", today=TODAY).accepted
        yield ws


def _clinic(tmp_path, text: str = CLINIC, name: str = "センター.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="cp932")
    return path


def test_an_impossible_value_refuses_the_file_by_default(workspace, tmp_path):
    result = imports.import_file(workspace, _clinic(tmp_path), "checkups", today=TODAY)
    assert not result.accepted and workspace.checkups().empty
    errors = [(i.row, i.column, i.code) for i in result.issues if i.severity.value == "エラー"]
    assert errors == [(4, "身長(cm)", "check.impossible")]
    assert result.cells[("センター.csv", 4, "身長(cm)")] == "300"
    assert "エラーのない行だけ" in result.message


def test_valid_rows_only_leaves_out_the_rows_with_errors_and_says_how_many(workspace, tmp_path):
    result = imports.import_file(workspace, _clinic(tmp_path), "checkups", today=TODAY, valid_rows_only=True)
    assert result.accepted and result.rows == 2 and result.skipped == 1
    assert "エラーのある 1 行を除外" in result.message
    assert sorted(workspace.checkups()["member_id"]) == ["0001", "0003"]
    batch = workspace.batches().iloc[-1]
    assert batch["row_count"] == 2 and batch["note"] == "エラーのある 1 行を除いて取込"
    warnings = [(i.row, i.code) for i in result.issues if i.severity.value == "警告"]
    assert (5, "check.not_insured") in warnings


def test_valid_rows_only_still_refuses_a_file_missing_a_required_column(workspace, tmp_path):
    text = "受診者番号,性別,受診日\n0001,1,2024/06/10\n"
    result = imports.import_file(workspace, _clinic(tmp_path, text), "checkups", today=TODAY, valid_rows_only=True)
    assert not result.accepted and "行を特定できないエラー" in result.message
    assert workspace.checkups().empty


def test_a_clean_file_is_unchanged_by_valid_rows_only(workspace, tmp_path):
    clean = "\n".join(line for line in CLINIC.splitlines() if not line.startswith("0002")) + "\n"
    result = imports.import_file(workspace, _clinic(tmp_path, clean), "checkups", today=TODAY, valid_rows_only=True)
    assert result.accepted and result.skipped == 0 and pd.isna(workspace.batches().iloc[-1]["note"])


def test_an_unknown_member_is_an_error_once_a_roster_exists(workspace, tmp_path):
    text = CLINIC.replace("0002,2,1972/05/02,2024/06/11,300", "0099,2,1972/05/02,2024/06/11,160")
    result = imports.import_file(workspace, _clinic(tmp_path, text), "checkups", today=TODAY)
    assert [(i.row, i.column, i.code) for i in result.issues if i.severity.value == "エラー"] == [
        (4, "受診者番号", "check.unknown_member")]


def test_inspect_file_proposes_a_mapping_and_shows_samples(workspace, tmp_path):
    plan = imports.inspect_file(workspace, _clinic(tmp_path))
    assert plan.kind == "checkups" and plan.header_row == 2 and plan.encoding == "cp932"
    assert plan.mapping.assigned["最高血圧"] == "sbp" and plan.mapping.confidence["最高血圧"] is Confidence.SYNONYM
    assert plan.preset is None
    assert plan.samples["受診者番号"].tolist() == ["0001", "0002", "0003"]


def test_a_saved_preset_maps_the_next_file_with_the_same_headers(workspace, tmp_path):
    headers = "番号,性,誕生日,日付,背丈,目方"
    first = _clinic(tmp_path, f"{headers}\n0001,1,1970/04/01,2024/06/10,170.0,63.6\n", "一回目.csv")
    plan = imports.inspect_file(workspace, first, "checkups")
    mapping = auto_map(plan.mapping.headers, CHECKUPS)
    for header, name in {"番号": "member_id", "性": "sex", "誕生日": "birth_date", "日付": "exam_date",
                         "背丈": "height", "目方": "weight"}.items():
        mapping = mapping.assign(header, name)
    result = imports.import_file(workspace, first, "checkups", mapping=mapping, save_preset_as="○○健診センター",
                                 today=TODAY)
    assert result.accepted and result.preset == "○○健診センター"
    second = _clinic(tmp_path, f"{headers}\n0002,2,1972/05/02,2024/06/11,158.0,50.0\n", "二回目.csv")
    plan = imports.inspect_file(workspace, second)
    assert plan.preset == "○○健診センター" and plan.mapping.confidence["背丈"] is Confidence.PRESET
    result = imports.import_file(workspace, second, "checkups", today=TODAY)
    assert result.accepted and result.preset == "○○健診センター"
    assert workspace.batches().iloc[-1]["preset"] == "○○健診センター"
    assert workspace.checkups().set_index("member_id").loc["0002", "height"] == 158.0


def test_a_preset_named_explicitly_must_exist(workspace, tmp_path):
    result = imports.import_file(workspace, _clinic(tmp_path), "checkups", preset="ない", today=TODAY)
    assert not result.accepted and result.message == "健診結果の取込プリセット「ない」がありません。"


def test_fixed_layout_formats_take_no_mapping(workspace, tmp_path):
    folder = tmp_path / "claims"
    folder.mkdir()
    assert not imports.takes_mapping(folder, "claims") and imports.takes_mapping(_clinic(tmp_path), "checkups")
    with pytest.raises(ValueError, match="fixed layout"):
        imports.import_file(workspace, folder, "claims", preset="x")
    assert imports.inspect_file(workspace, folder, "claims").mapping is None


def test_the_report_holds_every_issue_with_its_cell_value(workspace, tmp_path):
    result = imports.import_file(workspace, _clinic(tmp_path), "checkups", today=TODAY)
    path = imports.save_issue_report([result], tmp_path / "errors.xlsx")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("一覧").to_python()
    assert len(rows) == len(result.issues) + 1
    assert ["センター.csv", 4.0, "身長(cm)", "300"] in [row[:4] for row in rows]


def test_import_history_lists_batches_newest_first_with_labels(workspace, tmp_path):
    imports.import_file(workspace, _clinic(tmp_path), "checkups", today=TODAY, valid_rows_only=True)
    history = imports.import_history(workspace)
    assert list(history.columns) == list(imports.HISTORY_COLUMNS)
    assert history["ファイル"].tolist() == ["センター.csv", "台帳.csv"]
    assert history["種類"].tolist() == ["健診結果", "加入者台帳"]
    assert history["行数"].tolist() == [2, 3] and history["状態"].tolist() == ["取込済み", "取込済み"]
    assert history["備考"].iloc[0] == "エラーのある 1 行を除いて取込"


def test_undo_import_removes_the_rows_and_keeps_the_batch_listed_as_undone(workspace, tmp_path):
    result = imports.import_file(workspace, _clinic(tmp_path), "checkups", today=TODAY, valid_rows_only=True)
    undone = imports.undo_import(workspace, result.batch_id)
    assert undone.undone and undone.removed == 2 and undone.restored == 0
    assert undone.message.startswith(f"取込番号 {result.batch_id}（センター.csv）を取り消しました: 2 行を削除")
    assert workspace.checkups().empty
    row = imports.import_history(workspace).iloc[0]
    assert row["状態"] == "取消済み" and pd.notna(row["取消日時"])


def test_undo_brings_back_the_rows_a_newer_roster_replaced(workspace, tmp_path):
    newer = tmp_path / "台帳_新.csv"
    newer.write_text(ROSTER.replace("山田 花子", "山田 華子"), encoding="utf-8")
    batch = imports.import_file(workspace, newer, "members", today=TODAY).batch_id
    undone = imports.undo_import(workspace, batch)
    assert undone.restored == 3 and "置き換えられていた 3 行を元に戻しました" in undone.message
    assert "山田 花子" in workspace.members()["name"].tolist()


def test_undoing_twice_is_refused_with_a_message(workspace, tmp_path):
    batch = imports.import_history(workspace)["取込番号"].iloc[0]
    assert imports.undo_import(workspace, int(batch)).undone
    again = imports.undo_import(workspace, int(batch))
    assert not again.undone and again.message == f"取込番号 {batch} は既に取り消されています。"
    assert not imports.undo_import(workspace, 999).undone
