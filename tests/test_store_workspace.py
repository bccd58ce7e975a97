"""The workspace: create/open/close, union info, settings, audit, backups and restore, typed reads."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.store import backups
from dhdesk.store.errors import (
    InvalidBackup,
    InvalidUnionInfo,
    NotAWorkspace,
    StoreError,
    WorkspaceExists,
    WorkspaceNotFound,
)
from dhdesk.store import schema
from dhdesk.store.workspace import Workspace

UNION = UnionInfo("テスト共済組合", "31130001", UnionType.MUTUAL_AID, "100-0001", "東京都千代田区千代田1-1", "03-0000-0000")


def text(*values):
    return pd.array(values, dtype="string")


def members_frame(rows):
    """rows: (member_id, relation, acquired, lost) → a typed members frame."""
    return pd.DataFrame(
        {
            "member_id": text(*[r[0] for r in rows]),
            "name": text(*["髙橋 一郎"] * len(rows)),
            "sex": pd.array([1] * len(rows), dtype="Int8"),
            "birth_date": pd.to_datetime(["1970-01-01"] * len(rows)),
            "relation": pd.array([r[1] for r in rows], dtype="Int8"),
            "acquired_date": pd.to_datetime([r[2] for r in rows]),
            "lost_date": pd.to_datetime([r[3] for r in rows]),
        }
    )


def checkups_frame(rows):
    """rows: (member_id, exam_date, waist) → a typed checkups frame."""
    return pd.DataFrame(
        {
            "member_id": text(*[r[0] for r in rows]),
            "sex": pd.array([1] * len(rows), dtype="Int8"),
            "birth_date": pd.to_datetime(["1970-01-01"] * len(rows)),
            "exam_date": pd.to_datetime([r[1] for r in rows]),
            "waist": [r[2] for r in rows],
            "smoking": pd.array([3] * len(rows), dtype="Int8"),
        }
    )


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "union.dhdesk", UNION) as workspace:
        yield workspace


# -- lifecycle ------------------------------------------------------------------------------------


def test_create_then_reopen_keeps_union_and_settings(tmp_path):
    path = tmp_path / "union.dhdesk"
    with Workspace.create(path, UNION) as ws:
        ws.set_setting("letters.jushin", {"title": "受診のおすすめ", "months": [4, 10]})
        assert ws.schema_version == len(schema.bundled_migrations())
    with Workspace.open(path) as ws:
        assert ws.union_info() == UNION
        assert ws.get_setting("letters.jushin") == {"title": "受診のおすすめ", "months": [4, 10]}
        assert ws.get_setting("missing", default=7) == 7
        assert ws.path == path.resolve()


def test_create_refuses_an_existing_file(tmp_path):
    path = tmp_path / "union.dhdesk"
    path.write_bytes(b"clerk's precious file")
    with pytest.raises(WorkspaceExists):
        Workspace.create(path, UNION)
    assert path.read_bytes() == b"clerk's precious file"


def test_create_refuses_invalid_union_info_and_leaves_no_file(tmp_path):
    path = tmp_path / "union.dhdesk"
    with pytest.raises(InvalidUnionInfo) as raised:
        Workspace.create(path, UnionInfo("", "12345"))
    assert "保険者番号" in raised.value.message and "名称" in raised.value.message
    assert not path.exists()


def test_open_refuses_missing_and_foreign_files_without_touching_them(tmp_path):
    with pytest.raises(WorkspaceNotFound):
        Workspace.open(tmp_path / "nothing.dhdesk")
    foreign = tmp_path / "notes.dhdesk"
    foreign.write_text("これはワークスペースではありません" * 20, encoding="utf-8")
    before = foreign.read_bytes()
    with pytest.raises(NotAWorkspace) as raised:
        Workspace.open(foreign)
    assert "ワークスペースではない" in raised.value.message
    assert foreign.read_bytes() == before
    empty = tmp_path / "empty.dhdesk"
    empty.touch()
    with pytest.raises(NotAWorkspace):
        Workspace.open(empty)
    assert empty.stat().st_size == 0


def test_calls_after_close_are_refused_in_japanese(tmp_path):
    ws = Workspace.create(tmp_path / "union.dhdesk", UNION)
    ws.close()
    ws.close()
    with pytest.raises(StoreError, match="閉じられています"):
        ws.counts()


def test_set_union_info_validates_and_is_audited(ws):
    with pytest.raises(InvalidUnionInfo):
        ws.set_union_info(UnionInfo("新名称", "abc"))
    renamed = UnionInfo("新名称共済組合", "31130001", UnionType.MUTUAL_AID)
    ws.set_union_info(renamed)
    assert ws.union_info() == renamed
    assert ws.audit_log(limit=1)["action"].tolist() == ["union_info"]


def test_audit_records_actor_action_and_detail(ws):
    ws.audit("notices_printed", program="jushin", letters=12)
    entry = ws.audit_log(limit=1).iloc[0]
    assert entry["action"] == "notices_printed"
    assert '"letters": 12' in entry["detail"] and '"program": "jushin"' in entry["detail"]
    assert entry["actor"]
    assert ws.audit_log()["action"].tolist()[-1] == "create"


def test_presets_are_saved_replaced_listed_and_deleted(ws):
    ws.save_preset("○○健診センター", "checkups", "sig-1", {"受診者番号": "member_id", "腹囲(実測)": "waist"})
    ws.save_preset("△△クリニック", "checkups", "sig-2", {"ID": "member_id"})
    ws.save_preset("○○健診センター", "checkups", "sig-3", {"受診者番号": "member_id"})
    found = ws.presets("checkups")
    assert [p.name for p in found] == ["○○健診センター", "△△クリニック"]
    assert found[0].header_signature == "sig-3" and found[0].mapping == {"受診者番号": "member_id"}
    assert ws.presets("members") == []
    ws.delete_preset("△△クリニック")
    assert [p.name for p in ws.presets()] == ["○○健診センター"]


# -- backups and restore --------------------------------------------------------------------------


def test_backup_is_a_complete_workspace_named_by_time_and_reason(ws):
    ws.import_batch("members", "roster.csv", "sha-1", {"members": members_frame([("001", 1, "2020-04-01", None)])})
    path = ws.backup("手動 backup/1")
    assert path.parent == ws.path.with_name("union.dhdesk.backups")
    assert path.name.endswith("-手動_backup_1.dhdesk") and len(path.name.split("-")[0]) == 8
    listed = ws.backups()
    assert [b.path for b in listed] == [path] and listed[0].reason == "手動_backup_1"
    with Workspace.open(path) as copy:
        assert copy.members()["member_id"].tolist() == ["001"]


def test_backups_keep_only_the_newest(ws, monkeypatch):
    monkeypatch.setattr(backups, "KEEP", 3)
    made = [ws.backup(f"b{i}") for i in range(5)]
    assert [b.path for b in ws.backups()] == made[::-1][:3]
    assert not made[0].exists() and not made[1].exists()


def test_a_failed_copy_leaves_no_part_file_and_the_destination_untouched(tmp_path):
    destination = tmp_path / "kept.dhdesk"
    destination.write_bytes(b"previous")
    with pytest.raises(FileNotFoundError):
        backups.copy_atomically(tmp_path / "missing.dhdesk", destination)
    assert destination.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.dhdesk"]


def test_restore_brings_back_the_backup_and_backs_up_the_present(ws):
    ws.import_batch("members", "a.csv", "sha-a", {"members": members_frame([("001", 1, "2020-04-01", None)])})
    saved = ws.backup("before-b")
    ws.import_batch("members", "b.csv", "sha-b", {"members": members_frame([("002", 1, "2021-04-01", None)])})
    safety = ws.restore(saved)
    assert ws.members()["member_id"].tolist() == ["001"]
    assert "before-restore" in safety.name
    with Workspace.open(safety) as present:
        assert present.members()["member_id"].tolist() == ["001", "002"]
    assert ws.audit_log(limit=1)["action"].tolist() == ["restore"]


def test_restore_refuses_another_unions_workspace_and_foreign_files(ws, tmp_path):
    with Workspace.create(tmp_path / "other.dhdesk", UnionInfo("別組合", "06130002")) as other:
        other_backup = other.backup("x")
    with pytest.raises(InvalidBackup, match="別の保険者"):
        ws.restore(other_backup)
    foreign = tmp_path / "foreign.dhdesk"
    foreign.write_text("not a database", encoding="utf-8")
    with pytest.raises(InvalidBackup):
        ws.restore(foreign)
    with pytest.raises(InvalidBackup):
        ws.restore(ws.path)


# -- reads ----------------------------------------------------------------------------------------


def test_reads_follow_the_typed_frame_convention(ws):
    ws.import_batch("members", "m.csv", "m", {"members": members_frame([("001", 1, "2020-04-01", None)])})
    ws.import_batch("checkups", "c.csv", "c", {"checkups": checkups_frame([("001", "2024-06-01", 85.5)])})
    members = ws.members()
    assert members["member_id"].dtype == "string" and members["sex"].dtype == "Int8"
    assert members["birth_date"].dtype == "datetime64[ns]" and members["batch_id"].dtype == "Int64"
    checkups = ws.checkups()
    assert checkups["waist"].dtype == "float64" and checkups["smoking"].dtype == "Int8"
    assert checkups["med_bp"].isna().all() and checkups["height"].isna().all()
    assert checkups["urine_protein"].dtype == "string" and checkups["fiscal_year"].dtype == "Int64"
    assert "superseded_by" not in checkups.columns


def test_members_as_of_uses_loss_date_as_first_day_without_coverage(ws):
    ws.import_batch(
        "members",
        "m.csv",
        "m",
        {"members": members_frame([("001", 1, "2020-04-01", "2024-04-01"), ("002", 2, "2024-04-01", None)])},
    )
    assert ws.members(date(2024, 3, 31))["member_id"].tolist() == ["001"]
    assert ws.members(date(2024, 4, 1))["member_id"].tolist() == ["002"]
    assert ws.members(date(2020, 3, 31)).empty
    assert ws.members()["member_id"].tolist() == ["001", "002"]


def test_checkups_belong_to_the_fiscal_year_starting_in_april(ws):
    rows = [("001", "2024-03-31", 80.0), ("002", "2024-04-01", 81.0), ("003", "2025-03-31", 82.0)]
    ws.import_batch("checkups", "c.csv", "c", {"checkups": checkups_frame(rows)})
    assert ws.checkups(2023)["member_id"].tolist() == ["001"]
    assert ws.checkups(2024)["member_id"].tolist() == ["002", "003"]
    assert ws.fiscal_years() == [2023, 2024]


def master_frame(version, rows):
    """rows: (yj_code, price, transition_until) of one master version."""
    return pd.DataFrame(
        {
            "version_date": pd.to_datetime([version] * len(rows)),
            "yj_code": text(*[r[0] for r in rows]),
            "ingredient": text(*["アムロジピンベシル酸塩"] * len(rows)),
            "product_name": text(*[f"品目{r[0]}" for r in rows]),
            "price": [r[1] for r in rows],
            "transition_until": pd.to_datetime([r[2] for r in rows]),
        }
    )


def test_drug_master_in_force_is_the_newest_version_per_product_on_or_before_the_day(ws):
    ws.import_batch("drug_master", "2024.xlsx", "v1", {"drug_master": master_frame(
        "2024-04-01", [("2171022F1020", 15.2, None), ("2171022F1039", 10.1, "2025-03-31")])})
    ws.import_batch("drug_master", "2025.xlsx", "v2", {"drug_master": master_frame(
        "2025-04-01", [("2171022F1020", 14.0, None)])})
    before = ws.drug_master(date(2025, 3, 31)).set_index("yj_code")["price"].to_dict()
    assert before == {"2171022F1020": 15.2, "2171022F1039": 10.1}
    after = ws.drug_master(date(2025, 4, 1)).set_index("yj_code")["price"].to_dict()
    assert after == {"2171022F1020": 14.0}
    assert ws.drug_master(date(2024, 3, 31)).empty
    assert ws.drug_master()["price"].tolist() == [14.0, 10.1]


def receipts_frame(rows):
    """rows: (receipt_id, member_id, service_month, claim_type, points)."""
    return pd.DataFrame(
        {
            "receipt_id": text(*[r[0] for r in rows]),
            "member_id": text(*[r[1] for r in rows]),
            "service_month": text(*[r[2] for r in rows]),
            "claim_type": pd.array([r[3] for r in rows], dtype="Int8"),
            "points": pd.array([r[4] for r in rows], dtype="Int64"),
        }
    )


def test_claim_reads_filter_by_fiscal_year_and_months_and_carry_the_receipt(ws):
    receipts = receipts_frame(
        [("1", "001", "202403", 2, 100), ("2", "001", "202404", 5, 200), ("3", "002", "202503", 5, 300)]
    )
    drugs = pd.DataFrame({"receipt_id": text("2", "3", "3"), "drug_code": text("620000001", "620000002", "620000003"),
                          "quantity": [1.0, 2.0, 3.0]})
    ws.import_batch("claims", "c.csv", "c", {"receipts": receipts, "drug_lines": drugs})
    assert ws.receipts(2024)["receipt_id"].tolist() == ["2", "3"]
    assert ws.receipts(months=("202403", "202404"))["points"].tolist() == [100, 200]
    lines = ws.drug_lines(2024)
    assert lines[["member_id", "service_month", "drug_code"]].values.tolist() == [
        ["001", "202404", "620000001"], ["002", "202503", "620000002"], ["002", "202503", "620000003"]]
    assert lines["claim_type"].dtype == "Int8" and lines["line_no"].tolist() == [1, 2, 3]
    assert ws.drug_lines(columns=["member_id", "quantity"]).columns.tolist() == ["member_id", "quantity"]
    assert ws.receipts(columns=["claim_id", "points"])["points"].sum() == 600
    with pytest.raises(ValueError, match="unknown columns"):
        ws.drug_lines(columns=["nope"])


def test_reads_by_member_and_first_page_only(ws):
    ws.import_batch("members", "m.csv", "m", {"members": members_frame(
        [("001", 1, "2020-04-01", None), ("002", 2, "2020-04-01", None), ("003", 1, "2020-04-01", None)])})
    ws.import_batch("claims", "c.csv", "c", {"receipts": receipts_frame(
        [("1", "001", "202404", 2, 100), ("2", "002", "202404", 5, 200), ("3", "003", "202405", 5, 300)])})
    assert ws.members(member_ids=["003", "001", "999"])["member_id"].tolist() == ["001", "003"]
    assert ws.members(date(2024, 4, 1), limit=2)["member_id"].tolist() == ["001", "002"]
    assert ws.receipts(2024, member_ids=["002"])["points"].tolist() == [200]
    assert ws.receipts(limit=1)["receipt_id"].tolist() == ["1"]
    assert ws.receipts(member_ids=[]).empty
    assert ws.checkups(member_ids=["001"]).empty


def test_counts_for_the_home_dashboard(ws):
    ws.import_batch("members", "m.csv", "m", {"members": members_frame(
        [("001", 1, "2020-04-01", None), ("002", 2, "2020-04-01", None), ("003", 1, "2020-04-01", "2024-01-01")])})
    ws.import_batch("checkups", "c.csv", "c", {"checkups": checkups_frame(
        [("001", "2024-06-01", 80.0), ("002", "2023-06-01", 90.0)])})
    ws.import_batch("claims", "r.csv", "r", {"receipts": receipts_frame([("1", "001", "202404", 2, 100)])})
    counts = ws.counts(as_of=date(2024, 6, 1))
    assert counts == {
        "members_active": 2, "insured_active": 1, "dependants_active": 1, "members_total": 3,
        "checkups_fy2023": 1, "checkups_fy2024": 1, "receipts_fy2024": 1,
        "drug_master_versions": 0, "batches_active": 3,
    }
