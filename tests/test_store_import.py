"""Imports are all-or-nothing, idempotent and undoable; the newer batch wins and undo brings the old back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import threading
import uuid

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhdesk.core.progress import Cancelled
from dhdesk.core.union import UnionInfo
from dhdesk.store import imports
from dhdesk.store.errors import AlreadyImported, BatchNotFound, ImportRejected
from dhdesk.store.workspace import Workspace

SRC = Path(__file__).resolve().parents[1] / "src"


def text(*values):
    return pd.array(values, dtype="string")


def members_frame(rows):
    """rows: (member_id, acquired_date, address1)."""
    n = len(rows)
    return pd.DataFrame(
        {
            "member_id": text(*[r[0] for r in rows]),
            "name": text(*["山﨑 花子"] * n),
            "sex": pd.array([2] * n, dtype="Int8"),
            "birth_date": pd.to_datetime(["1980-02-29"] * n),
            "relation": pd.array([1] * n, dtype="Int8"),
            "acquired_date": pd.to_datetime([r[1] for r in rows]),
            "address1": text(*[r[2] for r in rows]),
        }
    )


def checkups_frame(rows):
    """rows: (member_id, exam_date, clinic, hba1c)."""
    n = len(rows)
    return pd.DataFrame(
        {
            "member_id": text(*[r[0] for r in rows]),
            "sex": pd.array([1] * n, dtype="Int8"),
            "birth_date": pd.to_datetime(["1970-01-01"] * n),
            "exam_date": pd.to_datetime([r[1] for r in rows]),
            "clinic": text(*[r[2] for r in rows]),
            "hba1c": [r[3] for r in rows],
        }
    )


def claims_frames(receipts, drugs):
    """receipts: (receipt_id, member_id, service_month, facility, points); drugs: (receipt_id, drug_code)."""
    return {
        "receipts": pd.DataFrame(
            {
                "receipt_id": text(*[r[0] for r in receipts]),
                "member_id": text(*[r[1] for r in receipts]),
                "service_month": text(*[r[2] for r in receipts]),
                "claim_type": pd.array([5] * len(receipts), dtype="Int8"),
                "facility_code": text(*[r[3] for r in receipts]),
                "points": pd.array([r[4] for r in receipts], dtype="Int64"),
            }
        ),
        "drug_lines": pd.DataFrame(
            {"receipt_id": text(*[d[0] for d in drugs]), "drug_code": text(*[d[1] for d in drugs])}
        ),
    }


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "union.dhdesk", UnionInfo("テスト共済組合", "31130001")) as workspace:
        yield workspace


def addresses(ws):
    return ws.members().set_index("member_id")["address1"].to_dict()


def assert_nothing_imported(ws):
    assert ws.batches().empty
    assert ws.members().empty and ws.checkups().empty and ws.receipts().empty
    assert "import" not in ws.audit_log()["action"].tolist()


# -- all or nothing -------------------------------------------------------------------------------


def test_constraint_violation_midway_leaves_nothing(ws, monkeypatch):
    """Even past the checks, a row DuckDB refuses after earlier chunks were written rolls back everything."""
    monkeypatch.setattr(imports, "_check_rows", lambda *args: None)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    frame = members_frame([(f"{i:05d}", "2020-04-01", "東京都") for i in range(1000)])
    frame.loc[700, "sex"] = 9
    seen = []
    with pytest.raises(ImportRejected) as raised:
        ws.import_batch("members", "roster.csv", "sha", {"members": frame}, progress=lambda f, m: seen.append(f))
    assert "何も登録していません" in raised.value.message and "sex" in raised.value.detail
    assert len(seen) >= 7
    assert_nothing_imported(ws)


def test_cancel_midway_leaves_nothing(ws, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    frame = members_frame([(f"{i:05d}", "2020-04-01", "東京都") for i in range(1000)])

    def cancel_at_half(fraction, message):
        if fraction > 0.5:
            raise Cancelled

    with pytest.raises(Cancelled):
        ws.import_batch("members", "roster.csv", "sha", {"members": frame}, progress=cancel_at_half)
    assert_nothing_imported(ws)
    ws.import_batch("members", "roster.csv", "sha", {"members": frame})
    assert len(ws.members()) == 1000


def test_progress_rises_to_one_with_japanese_messages(ws, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    seen = []
    frame = members_frame([(f"{i}", "2020-04-01", "東京都") for i in range(5)])
    ws.import_batch("members", "roster.csv", "sha", {"members": frame}, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("加入者台帳を登録しています（4 / 5件）" in m for _, m in seen)


def test_problems_are_listed_in_japanese_and_nothing_is_written(ws):
    frame = members_frame([("001", "2020-04-01", "a"), ("002", "2020-04-01", "b"), ("001", "2020-04-01", "c")])
    frame["name"] = text("髙橋", None, None)
    frame["relation"] = pd.array([1, 3, 1], dtype="Int8")
    with pytest.raises(ImportRejected) as raised:
        ws.import_batch("members", "roster.csv", "sha", {"members": frame})
    message = raised.value.message
    assert "加入者台帳: 「氏名」が空欄です（2件、最初は2件目）" in message
    assert "「本人家族」に使えない値があります（使える値 1, 2）（1件、最初は2件目）" in message
    assert "「加入者番号・資格取得日」が同じ行が1組あります。例: 001 / 2020-04-01（1件目と3件目）" in message
    assert_nothing_imported(ws)


def test_claims_problems_month_format_orphans_and_missing_codes(ws):
    frames = claims_frames([("1", "001", "R6.4", "1311111111", 10), ("1", "002", "202404", "1311111111", 10)],
                           [("1", "620000001"), ("9", "620000002"), ("1", None)])
    with pytest.raises(ImportRejected) as raised:
        ws.import_batch("claims", "c.uke", "sha", frames)
    message = raised.value.message
    assert "「診療年月」は yyyymm 形式（例 202404）で渡してください（1件、最初は1件目）" in message
    assert "レセプト: 「レセプト番号」が同じ行が1組あります" in message
    assert "医薬品: 「レセプト番号」に対応するレセプトがない行があります（1件、最初は2件目）" in message
    assert "医薬品: 「医薬品コード」と「薬価基準コード」がどちらも空欄です（1件、最初は3件目）" in message
    assert_nothing_imported(ws)


def test_frames_that_break_the_typed_frame_contract_are_programming_errors(ws):
    frame = members_frame([("001", "2020-04-01", "a")])
    with pytest.raises(ValueError, match="unknown columns"):
        ws.import_batch("members", "m.csv", "s", {"members": frame.assign(source_row=1)})
    with pytest.raises(ValueError, match="does not fit"):
        ws.import_batch("members", "m.csv", "s", {"members": frame.assign(birth_date=text("1980-01-01"))})
    with pytest.raises(ValueError, match="does not fit"):
        ws.import_batch("checkups", "c.csv", "s", {"checkups": checkups_frame([("1", "2024-05-01", "A", 5.6)]).assign(
            hba1c=text("5.6"))})
    with pytest.raises(ValueError, match="unknown import kind"):
        ws.import_batch("roster", "m.csv", "s", {"members": frame})
    with pytest.raises(ValueError, match="frames must include"):
        ws.import_batch("claims", "c.csv", "s", {"drug_lines": frame})
    with pytest.raises(ImportRejected, match="取り込む行がありません"):
        ws.import_batch("members", "m.csv", "s", {"members": frame.iloc[:0]})
    assert_nothing_imported(ws)


MEMBER_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["001", "002", "0003", "髙"]),
        st.sampled_from([1, 2, 3, None]),
        st.sampled_from(["2020-04-01", "2021-04-01", None]),
        st.one_of(st.none(), st.text(max_size=6)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=MEMBER_ROWS)
def test_any_rows_import_whole_or_leave_the_workspace_exactly_as_it_was(ws, rows):
    before_members, before_batches = ws.members(), ws.batches()
    frame = pd.DataFrame(
        {
            "member_id": text(*[r[0] for r in rows]),
            "name": text(*[r[3] for r in rows]),
            "sex": pd.array([r[1] for r in rows], dtype="Int8"),
            "birth_date": pd.to_datetime(["1980-01-01"] * len(rows)),
            "relation": pd.array([1] * len(rows), dtype="Int8"),
            "acquired_date": pd.to_datetime([r[2] for r in rows]),
        }
    )
    try:
        batch = ws.import_batch("members", "h.csv", uuid.uuid4().hex, {"members": frame})
    except ImportRejected as rejected:
        assert rejected.message.startswith("取り込めませんでした。何も登録していません。")
        pd.testing.assert_frame_equal(ws.members(), before_members)
        pd.testing.assert_frame_equal(ws.batches(), before_batches)
        return
    assert ws.batches().iloc[-1]["row_count"] == len(rows)
    assert (ws.members()["batch_id"] == batch).sum() == len(rows)
    ws.undo_batch(batch)
    pd.testing.assert_frame_equal(ws.members(), before_members)


def test_reads_from_another_thread_wait_for_an_import_and_see_all_or_nothing(ws, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 1000)
    frame = members_frame([(f"{i:06d}", "2020-04-01", "東京都") for i in range(20_000)])
    seen = []
    worker = threading.Thread(target=lambda: ws.import_batch("members", "big.csv", "big", {"members": frame}))
    worker.start()
    while worker.is_alive() or not seen:
        seen.append(ws.counts()["members_total"])
    worker.join()
    assert set(seen) <= {0, 20_000} and seen[-1] == 20_000


# -- idempotence, newer batch wins, undo ----------------------------------------------------------


def test_same_file_twice_is_refused_until_its_batch_is_undone(ws):
    frame = members_frame([("001", "2020-04-01", "東京都")])
    first = ws.import_batch("members", "roster.csv", "same-sha", {"members": frame})
    with pytest.raises(AlreadyImported) as raised:
        ws.import_batch("members", "roster-copy.csv", "same-sha", {"members": frame})
    assert raised.value.batch_id == first and "取り込み済みです（取込番号 1）" in raised.value.message
    other_kind = {"checkups": checkups_frame([("001", "2024-05-01", "A", 5.6)])}
    ws.import_batch("checkups", "other-kind.csv", "same-sha", other_kind)
    ws.undo_batch(first)
    again = ws.import_batch("members", "roster.csv", "same-sha", {"members": frame})
    assert again != first and len(ws.members()) == 1


def test_same_rows_in_another_file_add_nothing_twice(ws):
    frame = members_frame([("001", "2020-04-01", "東京都"), ("002", "2021-04-01", "大阪府")])
    ws.import_batch("members", "april.csv", "sha-april", {"members": frame})
    ws.import_batch("members", "may.csv", "sha-may", {"members": frame})
    assert len(ws.members()) == 2 and ws.members()["batch_id"].tolist() == [2, 2]
    batches = ws.batches()
    assert batches["row_count"].tolist() == [2, 2] and batches["replaced_count"].tolist() == [0, 2]


def test_roster_update_keeps_history_periods_and_undo_in_any_order_restores(ws):
    a = ws.import_batch("members", "a.csv", "a", {"members": members_frame([("001", "2010-04-01", "旧住所")])})
    b = ws.import_batch("members", "b.csv", "b", {"members": members_frame(
        [("001", "2010-04-01", "新住所"), ("001", "2022-04-01", "再取得")])})
    c = ws.import_batch("members", "c.csv", "c", {"members": members_frame([("001", "2010-04-01", "最新住所")])})
    assert ws.members()["address1"].tolist() == ["最新住所", "再取得"]
    ws.undo_batch(b)
    assert ws.members()["address1"].tolist() == ["最新住所"]
    ws.undo_batch(c)
    assert ws.members()["address1"].tolist() == ["旧住所"]
    assert ws.batches()["status"].tolist() == ["active", "undone", "undone"]
    with pytest.raises(BatchNotFound, match="既に取り消されています"):
        ws.undo_batch(c)
    with pytest.raises(BatchNotFound, match="見つかりません"):
        ws.undo_batch(99)
    ws.undo_batch(a)
    assert ws.members().empty


def test_undo_newest_first_walks_back_through_versions(ws):
    for sha, address in (("a", "一"), ("b", "二"), ("c", "三")):
        ws.import_batch("members", f"{sha}.csv", sha, {"members": members_frame([("001", "2010-04-01", address)])})
    ws.undo_batch(3)
    assert addresses(ws) == {"001": "二"}
    ws.undo_batch(2)
    assert addresses(ws) == {"001": "一"}


def test_undo_is_backed_up_and_audited(ws):
    batch = ws.import_batch("members", "a.csv", "a", {"members": members_frame([("001", "2010-04-01", "x")])})
    removed = ws.undo_batch(batch)
    assert removed == {"restored": 0, "members": 1}
    assert [b.reason for b in ws.backups()] == [f"before-undo-{batch}"]
    with Workspace.open(ws.backups()[0].path) as before:
        assert addresses(before) == {"001": "x"}
    log = ws.audit_log()
    assert log["action"].tolist()[:3] == ["undo", "backup", "import"]
    assert '"removed": {"members": 1}' in log["detail"].iloc[0]


def test_resent_receipt_replaces_the_old_one_with_its_lines(ws):
    ws.import_batch("claims", "april.uke", "a", claims_frames(
        [("1", "001", "202404", "1311111111", 100), ("2", "002", "202404", "1311111111", 50)],
        [("1", "620000001"), ("1", "620000002"), ("2", "620000003")]))
    ws.import_batch("claims", "april-corrected.uke", "b", claims_frames(
        [("1", "001", "202404", "1311111111", 80)], [("1", "620000009")]))
    assert ws.receipts()[["member_id", "points"]].values.tolist() == [["002", 50], ["001", 80]]
    assert sorted(ws.drug_lines()["drug_code"].tolist()) == ["620000003", "620000009"]
    ws.undo_batch(2)
    assert sorted(ws.drug_lines()["drug_code"].tolist()) == ["620000001", "620000002", "620000003"]


def test_same_receipt_number_in_another_month_or_facility_is_another_receipt(ws):
    ws.import_batch("claims", "april.uke", "a", claims_frames([("1", "001", "202404", "1311111111", 100)], []))
    ws.import_batch("claims", "may.uke", "b", claims_frames(
        [("1", "001", "202405", "1311111111", 100), ("2", "001", "202404", "1322222222", 70)], []))
    assert len(ws.receipts()) == 3 and ws.batches()["replaced_count"].tolist() == [0, 0]


def test_replace_scope_drops_rows_missing_from_a_full_resend_and_undo_restores_them(ws):
    ws.import_batch("checkups", "a-2024.csv", "a1", {"checkups": checkups_frame(
        [("001", "2024-05-01", "A健診", 5.6), ("002", "2024-06-01", "A健診", 6.1), ("003", "2024-06-02", "B健診", 5.9)])})
    ws.import_batch("checkups", "a-2024-fixed.csv", "a2", {"checkups": checkups_frame(
        [("001", "2024-05-01", "A健診", 5.7)])}, replace_scope={"clinic": "A健診", "fiscal_year": 2024})
    current = ws.checkups().set_index("member_id")["hba1c"].to_dict()
    assert current == {"001": 5.7, "003": 5.9}
    assert ws.batches()["replaced_count"].tolist() == [0, 2]
    ws.undo_batch(2)
    assert ws.checkups().set_index("member_id")["hba1c"].to_dict() == {"001": 5.6, "002": 6.1, "003": 5.9}
    with pytest.raises(ValueError, match="no columns"):
        ws.import_batch("checkups", "x.csv", "x", {"checkups": checkups_frame([("9", "2024-05-01", "A", 5.0)])},
                        replace_scope={"hospital": "A"})


def test_batches_record_source_preset_note_and_counts_per_table(ws):
    ws.import_batch("claims", "april.uke", "f" * 64, claims_frames(
        [("1", "001", "202404", "1311111111", 100)], [("1", "620000001"), ("1", "620000002")]),
        preset="○○健保連CSV", note="4月分")
    batch = ws.batches().iloc[0]
    assert batch["kind"] == "claims" and batch["source_name"] == "april.uke" and batch["source_sha256"] == "f" * 64
    assert batch["preset"] == "○○健保連CSV" and batch["note"] == "4月分" and batch["status"] == "active"
    assert batch["row_count"] == 1 and batch["table_counts"] == '{"receipts": 1, "drug_lines": 2}'
    assert batch["imported_at"].year >= 2024


# -- crash safety ---------------------------------------------------------------------------------

BIG_IMPORT = """
import sys
import numpy as np
import pandas as pd
from dhdesk.store import imports
from dhdesk.store.workspace import Workspace

imports.CHUNK_ROWS = 100_000
n_receipts, n_lines = 200_000, 1_500_000
receipt_ids = pd.array(np.arange(n_receipts).astype(str), dtype="string")
frames = {
    "receipts": pd.DataFrame({
        "receipt_id": receipt_ids,
        "member_id": pd.array((np.arange(n_receipts) % 5000).astype(str), dtype="string"),
        "service_month": pd.array(["202405"] * n_receipts, dtype="string"),
        "claim_type": pd.array(np.full(n_receipts, 5), dtype="Int8"),
        "points": pd.array(np.arange(n_receipts), dtype="Int64"),
    }),
    "drug_lines": pd.DataFrame({
        "receipt_id": receipt_ids[np.arange(n_lines) % n_receipts],
        "drug_code": pd.array(["620000001"] * n_lines, dtype="string"),
        "quantity": np.ones(n_lines),
    }),
}

def report(fraction, message):
    print(f"progress {fraction:.3f}", flush=True)

with Workspace.open(sys.argv[1]) as ws:
    ws.import_batch("claims", "big.uke", "big", frames, progress=report)
print("finished", flush=True)
"""


def snapshot(ws):
    return ws.counts(), ws.batches(), ws.receipts(), ws.drug_lines(), ws.audit_log()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_during_a_large_import_reopens_exactly_as_before(tmp_path):
    path = tmp_path / "union.dhdesk"
    with Workspace.create(path, UnionInfo("テスト共済組合", "31130001")) as ws:
        ws.import_batch("claims", "small.uke", "small", claims_frames(
            [("1", "001", "202404", "1311111111", 100)], [("1", "620000001")]))
        before = snapshot(ws)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen([sys.executable, "-c", BIG_IMPORT, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    killed_at = None
    for line in child.stdout:
        if line.startswith("progress") and float(line.split()[1]) > 0.3:
            killed_at = float(line.split()[1])
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=60)
    assert killed_at is not None and killed_at < 1.0, "the import ended before it could be killed"
    with Workspace.open(path) as ws:
        after = snapshot(ws)
        assert after[0] == before[0]
        for old, new in zip(before[1:], after[1:]):
            pd.testing.assert_frame_equal(old, new)
        ws.import_batch("claims", "next.uke", "next", claims_frames([("2", "002", "202405", "1", 5)], []))
        assert len(ws.receipts()) == 2
