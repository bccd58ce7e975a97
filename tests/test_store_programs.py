"""Program runs in the workspace: save and rebuild exactly, clerk review, approval (holdout, 利用券番号), history."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.programs import TargetList
from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.store.errors import StoreError
from dhdesk.store.programs import RunNotDraft, RunNotFound
from dhdesk.store.workspace import Workspace

UNION = UnionInfo("テスト共済組合", "31130001", UnionType.MUTUAL_AID, "100-0001", "東京都千代田区千代田1-1", "03-0000-0000")
FUNNEL = (("40–74歳の健診受診者", 9), ("基準に該当", 4), ("資格喪失を除外", 3), ("通知対象", 3))


def target_list(ids=("a", "b", "c"), *, program="jushin", fiscal_year=2025, rule_excluded=("x",), detail=None):
    """A finished list: `ids` in the list, `rule_excluded` set aside by the rules."""
    every = [*ids, *rule_excluded]
    excluded = [False] * len(ids) + [True] * len(rule_excluded)
    targets = pd.DataFrame({
        "member_id": pd.array(every, dtype="string"),
        "tier": pd.array(["①すぐに受診"] * len(every), dtype="string"),
        "rank": pd.array(range(1, len(every) + 1), dtype="Int64"),
        "reason": pd.array([f"収縮期血圧 16{i} mmHg（≥160）" for i in range(len(every))], dtype="string"),
        "explanation": pd.Series([("収縮期血圧 168 mmHg", "基準 160 mmHg 以上（受診勧奨判定値）")] * len(every),
                                 dtype=object),
        "values": pd.Series([{"exam_date": "2025-06-01", "items": [{"label": "収縮期血圧", "value": 168.0}],
                              "window_months": 3}] * len(every), dtype=object),
        "warnings": pd.Series([("住所が空欄",)] + [()] * (len(every) - 1), dtype=object),
        "excluded": excluded,
        "exclusion_reason": pd.array([None] * len(ids) + ["資格喪失（喪失日 2025-09-30）"] * len(rule_excluded),
                                     dtype="string"),
        "excluded_by": pd.array([None] * len(ids) + ["rule"] * len(rule_excluded), dtype="string"),
        "voucher_number": pd.array([None] * len(every), dtype="string"),
        "holdout": [False] * len(every),
    })
    return TargetList(program=program, fiscal_year=fiscal_year, month=None, rule_version="2024.1",
                      params={"window_months": 3, "recent_months": 6}, targets=targets, funnel=FUNNEL,
                      detail_lines=detail, as_of=date(2025, 10, 15))


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "union.dhdesk", UNION) as workspace:
        yield workspace


def actions(ws):
    return ws.audit_log()["action"].tolist()


def test_save_and_rebuild_exactly(ws):
    detail = pd.DataFrame({"加入者番号": pd.array(["a"], dtype="string"), "先発品": pd.array(["ノルバスク錠5mg"],
                           dtype="string"), "差額": [123.4], "数量": pd.array([30], dtype="Int64"),
                           "調剤日": pd.to_datetime(["2025-06-03"])})
    saved = target_list(detail=detail)
    run_id = ws.save_run(saved)
    loaded = ws.run(run_id)
    pd.testing.assert_frame_equal(loaded.targets, saved.targets)
    pd.testing.assert_frame_equal(loaded.detail_lines, detail)
    assert (loaded.program, loaded.fiscal_year, loaded.month, loaded.rule_version) == ("jushin", 2025, None, "2024.1")
    assert loaded.params == saved.params and loaded.funnel == FUNNEL and loaded.as_of == date(2025, 10, 15)
    assert actions(ws)[0] == "program_run"


def test_list_order_follows_the_saved_order_not_the_member_id(ws):
    run_id = ws.save_run(target_list(("z", "b", "m")))
    assert ws.run(run_id).targets["member_id"].tolist() == ["z", "b", "m", "x"]


def test_numpy_scalars_in_values_are_stored_as_plain_json(ws):
    import numpy as np

    saved = target_list(("a",), rule_excluded=())
    saved.targets.at[0, "values"] = {"value": np.float64(7.5), "count": np.int64(3), "exam_date": date(2025, 6, 1)}
    run_id = ws.save_run(saved)
    assert ws.run(run_id).targets.at[0, "values"] == {"value": 7.5, "count": 3, "exam_date": "2025-06-01"}


def test_runs_lists_counts_newest_first(ws):
    first = ws.save_run(target_list())
    second = ws.save_run(target_list(program="chudan"))
    table = ws.runs()
    assert table["run_id"].tolist() == [second, first]
    assert table.set_index("run_id").loc[first, ["targets", "final", "holdout"]].tolist() == [4, 3, 0]
    assert ws.runs("chudan")["run_id"].tolist() == [second]
    assert table["status"].tolist() == ["draft", "draft"]


def test_clerk_excludes_and_reincludes_and_the_funnel_follows(ws):
    run_id = ws.save_run(target_list())
    ws.set_exclusion(run_id, "b", "本人から辞退の連絡")
    loaded = ws.run(run_id).targets.set_index("member_id")
    assert loaded.loc["b", ["excluded", "exclusion_reason", "excluded_by"]].tolist() == [True, "本人から辞退の連絡",
                                                                                         "clerk"]
    assert ws.run(run_id).funnel[-2:] == (("個別の除外・復帰を反映", 2), ("通知対象", 2))
    ws.set_exclusion(run_id, "b", None)
    loaded = ws.run(run_id).targets.set_index("member_id")
    assert not loaded.loc["b", "excluded"] and pd.isna(loaded.loc["b", "excluded_by"])
    assert ws.run(run_id).funnel == FUNNEL
    assert actions(ws)[:2] == ["program_inclusion", "program_exclusion"]


def test_clerk_overriding_a_rule_exclusion_is_shown_so(ws):
    run_id = ws.save_run(target_list())
    ws.set_exclusion(run_id, "x", None)
    x = ws.run(run_id).targets.set_index("member_id").loc["x"]
    assert not x["excluded"] and x["excluded_by"] == "clerk"
    assert x["exclusion_reason"] == "対象に戻した（自動の除外: 資格喪失（喪失日 2025-09-30））"
    ws.set_exclusion(run_id, "x", "やはり除外")
    ws.set_exclusion(run_id, "x", None)
    assert ws.run(run_id).targets.set_index("member_id").loc["x", "excluded_by"] == "clerk"
    assert ws.run(run_id).funnel[-1] == ("通知対象", 4)
    detail = json.loads(ws.audit_log(limit=1)["detail"][0])
    assert detail["overrides_rule"] == "資格喪失（喪失日 2025-09-30）"


def test_exclusion_refused_for_unknown_member_run_or_approved_run_nothing_written(ws):
    run_id = ws.save_run(target_list())
    before = len(ws.audit_log())
    with pytest.raises(StoreError, match="加入者番号 nobody"):
        ws.set_exclusion(run_id, "nobody", "理由")
    with pytest.raises(RunNotFound):
        ws.set_exclusion(999, "a", "理由")
    ws.approve_run(run_id)
    with pytest.raises(RunNotDraft, match="承認済み"):
        ws.set_exclusion(run_id, "a", "理由")
    assert len(ws.audit_log()) == before + 1


def test_approve_draws_holdout_reproducibly_from_the_final_list(ws):
    ids = tuple(f"{i:03d}" for i in range(20))
    one, two = ws.save_run(target_list(ids)), ws.save_run(target_list(ids))
    counts = ws.approve_run(one, holdout_share=0.25, seed=7)
    ws.approve_run(two, holdout_share=0.25, seed=7)
    assert counts == {"final": 20, "holdout": 5, "vouchers": 0}
    held = ws.run(one).targets
    assert held["holdout"].sum() == 5 and not held.loc[held["excluded"], "holdout"].any()
    assert held["holdout"].tolist() == ws.run(two).targets["holdout"].tolist()
    assert ws.run(one).targets["voucher_number"].isna().all()
    assert ws.runs().set_index("run_id").loc[one, "status"] == "approved"
    with pytest.raises(RunNotDraft):
        ws.approve_run(one)
    with pytest.raises(ValueError, match="対照群"):
        ws.approve_run(ws.save_run(target_list()), holdout_share=1.0)


def test_vouchers_are_eleven_digits_unique_per_year_and_kept_for_the_same_person(ws):
    first = ws.save_run(target_list(("a", "b"), program="hokenshido"))
    assert ws.approve_run(first)["vouchers"] == 2
    numbers = ws.run(first).targets.set_index("member_id")["voucher_number"]
    assert numbers[["a", "b"]].tolist() == ["25200000001", "25200000002"] and pd.isna(numbers["x"])
    assert ws.run(first).targets.set_index("member_id").loc["a", "values"]["voucher_number"] == "25200000001"
    second = ws.save_run(target_list(("c", "b"), program="hokenshido"))
    ws.approve_run(second)
    again = ws.run(second).targets.set_index("member_id")["voucher_number"]
    assert again[["c", "b"]].tolist() == ["25200000003", "25200000002"]
    next_year = ws.save_run(target_list(("a",), program="hokenshido", fiscal_year=2026))
    ws.approve_run(next_year)
    assert ws.run(next_year).targets.set_index("member_id").loc["a", "voucher_number"] == "26200000001"


def test_holdout_members_get_no_voucher(ws):
    run_id = ws.save_run(target_list(("a", "b", "c", "d"), program="hokenshido"))
    assert ws.approve_run(run_id, holdout_share=0.5, seed=1)["vouchers"] == 2
    targets = ws.run(run_id).targets
    final = targets[~targets["excluded"]]
    assert (final["holdout"] == final["voucher_number"].isna()).all()


def insert_notice(ws, run_id, member_id, sent, status="issued", program="jushin", created="2025-11-01"):
    db = ws._db
    batch_id = db.execute("SELECT nextval('notice_batch_id_seq')").fetchall()[0][0]
    db.execute("INSERT INTO notice_batches (batch_id, run_id, program, created_at, route, status) "
               "VALUES (?, ?, ?, ?, 'home', ?)", [batch_id, run_id, program, pd.Timestamp(created), status])
    db.execute("INSERT INTO notices (batch_id, member_id, seq, letter_sha256, sent_date) VALUES (?, ?, 1, 'x', ?)",
               [batch_id, member_id, sent])


def test_notice_history_reads_notices_with_batch_status_and_falls_back_to_batch_day(ws):
    assert ws.notice_history().empty and list(ws.notice_history().columns) == ["member_id", "program", "sent_date",
                                                                              "batch_status"]
    run_id = ws.save_run(target_list())
    insert_notice(ws, run_id, "a", date(2025, 11, 5))
    insert_notice(ws, run_id, "b", None, status="cancelled", created="2025-11-02 10:30")
    insert_notice(ws, run_id, "c", date(2025, 12, 1), program="chudan")
    history = ws.notice_history("jushin")
    assert history.to_dict("records") == [
        {"member_id": "b", "program": "jushin", "sent_date": pd.Timestamp("2025-11-02"), "batch_status": "cancelled"},
        {"member_id": "a", "program": "jushin", "sent_date": pd.Timestamp("2025-11-05"), "batch_status": "issued"},
    ]
    assert len(ws.notice_history()) == 3


def test_discard_keeps_the_run_and_is_refused_once_letters_were_issued(ws):
    run_id = ws.save_run(target_list())
    ws.discard_run(run_id)
    assert ws.runs().loc[0, "status"] == "discarded" and len(ws.run(run_id).targets) == 4
    with pytest.raises(RunNotDraft):
        ws.discard_run(run_id)
    sent = ws.save_run(target_list())
    ws.approve_run(sent)
    insert_notice(ws, sent, "a", date(2025, 11, 5))
    with pytest.raises(StoreError, match="通知を発行済み"):
        ws.discard_run(sent)


def drug_master(version, rows):
    """rows: (yj_code, product_name, price, generic_info)."""
    return pd.DataFrame({
        "version_date": pd.to_datetime([version] * len(rows)),
        "yj_code": pd.array([r[0] for r in rows], dtype="string"),
        "ingredient": pd.array(["アムロジピンベシル酸塩"] * len(rows), dtype="string"),
        "product_name": pd.array([r[1] for r in rows], dtype="string"),
        "price": [r[2] for r in rows],
        "generic_info": pd.array([r[3] for r in rows], dtype="string"),
    })


def test_drug_masters_returns_every_version(ws):
    ws.import_batch("drug_master", "2024.csv", "sha-a", {"drug_master": drug_master(
        "2024-04-01", [("2171022F1020", "ノルバスク錠5mg", 24.4, "2"), ("2171022F1292", "アムロジピン錠5mg「サワイ」",
                                                                         10.1, "3")])})
    ws.import_batch("drug_master", "2025.csv", "sha-b", {"drug_master": drug_master(
        "2025-04-01", [("2171022F1020", "ノルバスク錠5mg", 22.0, "2")])})
    masters = ws.drug_masters()
    assert masters["version_date"].dt.year.tolist() == [2024, 2024, 2025]
    assert masters["price"].tolist() == [24.4, 10.1, 22.0]
    assert "batch_id" not in masters.columns and masters["yj_code"].dtype == "string"


def test_a_failed_save_writes_nothing(ws):
    import duckdb

    broken = target_list(("a", "a"), rule_excluded=())
    with pytest.raises(duckdb.ConstraintException):
        ws.save_run(broken)
    assert ws.runs().empty and "program_run" not in actions(ws)
    assert ws.save_run(target_list()) == 2


def test_approving_a_list_everyone_was_excluded_from(ws):
    run_id = ws.save_run(target_list((), program="hokenshido"))
    assert ws.approve_run(run_id, holdout_share=0.5, seed=3) == {"final": 0, "holdout": 0, "vouchers": 0}
