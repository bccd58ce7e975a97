"""Send history: batches from approved runs only, exact reprints, cancel kept, sent date, counts."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from dhdesk.core.union import UnionInfo
from dhdesk.store.notices import NoticeBatchNotFound, NoticeBatchRefused, NoticeParts
from dhdesk.store.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "union.dhdesk", UnionInfo("テスト共済組合", "31130001")) as workspace:
        yield workspace


def add_run(ws, run_id, *, program="jushin", status="approved", targets=()):
    """A program_runs row and its targets, written directly (rows: member_id, tier, excluded, holdout)."""
    db = ws._db
    db.execute(
        "INSERT INTO program_runs (run_id, program, fiscal_year, rule_id, rule_version, params, created_at, status) "
        "VALUES (?, ?, 2025, ?, '2024.1', '{}', ?, ?)",
        [run_id, program, program, datetime(2025, 9, 1), status],
    )
    for member_id, tier, excluded, holdout in targets:
        db.execute(
            "INSERT INTO program_targets (run_id, member_id, tier, reason, excluded, exclusion_reason, excluded_by, "
            "holdout) VALUES (?, ?, ?, '基準該当', ?, ?, ?, ?)",
            [run_id, member_id, tier, excluded, "通知不要" if excluded else None, "rule" if excluded else None,
             holdout],
        )


def letters(*rows):
    """rows: (member_id, route, tier) in list order → the letters of a batch, staged as printing does."""
    parts = NoticeParts()
    if rows:
        parts.add(frame(*rows))
    return parts


def frame(*rows):
    """rows: (member_id, route, tier) in list order → one part of notices."""
    return pd.DataFrame({
        "member_id": [r[0] for r in rows],
        "seq": list(range(1, len(rows) + 1)),
        "route": [r[1] for r in rows],
        "tier": [r[2] for r in rows],
        "letter_sha256": [f"{i:064x}" for i in range(len(rows))],
        "content": [{"exam_date": "2025-06-01", "items": [{"label": "収縮期血圧", "value": 168.0, "unit": "mmHg"}],
                     "name": f"加入者{r[0]}"} for r in rows],
    })


TARGETS = (("001", "①すぐに受診", False, False), ("002", "②受診勧奨", False, False),
           ("003", "②受診勧奨", True, False), ("004", "②受診勧奨", False, True))


def test_a_batch_is_recorded_and_read_back_exactly_for_a_reprint(ws):
    add_run(ws, 1, targets=TARGETS)
    template = {"body": "{氏名}様 健診の結果…", "version": 3}
    batch_id = ws.record_notice_batch(1, "jushin", {"window_months": 3}, template,
                                      letters(("002", "office", "②受診勧奨"), ("001", "home", "①すぐに受診")),
                                      date(2025, 9, 10))
    row, notices = ws.notice_batch(batch_id)
    assert row["status"] == "issued" and row["run_id"] == 1 and row["route"] == "mixed"
    assert row["template"] == template and row["params"] == {"window_months": 3}
    assert notices["member_id"].tolist() == ["002", "001"] and notices["seq"].tolist() == [1, 2]
    assert notices["content"].iloc[0]["items"][0] == {"label": "収縮期血圧", "value": 168.0, "unit": "mmHg"}
    assert notices["letter_sha256"].iloc[1] == f"{1:064x}"
    assert (notices["sent_date"] == pd.Timestamp("2025-09-10")).all()
    assert json.loads(ws.audit_log(limit=1)["detail"].iloc[0])["letters"] == 2


def test_batches_list_counts_per_route_newest_first_and_by_program(ws):
    add_run(ws, 1, targets=TARGETS)
    add_run(ws, 2, program="generic", targets=(("005", "A", False, False),))
    first = ws.record_notice_batch(1, "jushin", {}, {},
                                   letters(("001", "home", "①"), ("002", "office", "②")), None)
    second = ws.record_notice_batch(2, "generic", {}, {}, letters(("005", "home", "A")), date(2025, 10, 1))
    listed = ws.notice_batches()
    assert listed["batch_id"].tolist() == [second, first]
    assert listed.set_index("batch_id").loc[first, ["letters", "home", "office"]].tolist() == [2, 1, 1]
    assert pd.isna(listed.set_index("batch_id").loc[first, "sent_date"])
    assert ws.notice_batches("generic")["batch_id"].tolist() == [second]


@pytest.mark.parametrize("status", ["draft", "discarded"])
def test_a_run_that_is_not_approved_is_refused_and_nothing_is_written(ws, status):
    add_run(ws, 1, status=status, targets=TARGETS)
    with pytest.raises(NoticeBatchRefused, match="承認されていない"):
        ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①")), None)
    assert ws.notice_batches().empty


def test_unknown_run_other_program_and_a_second_issued_batch_are_refused(ws):
    add_run(ws, 1, targets=TARGETS)
    with pytest.raises(NoticeBatchRefused, match="ありません"):
        ws.record_notice_batch(9, "jushin", {}, {}, letters(("001", "home", "①")), None)
    with pytest.raises(NoticeBatchRefused, match="別の事業"):
        ws.record_notice_batch(1, "generic", {}, {}, letters(("001", "home", "①")), None)
    first = ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①")), None)
    with pytest.raises(NoticeBatchRefused, match=f"発送記録 {first}"):
        ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①")), None)
    ws.cancel_notice_batch(first, "宛名誤り")
    assert ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①")), None) > first


@pytest.mark.parametrize("member", ["003", "004", "999"])
def test_letters_for_excluded_held_back_or_unknown_members_are_refused(ws, member):
    add_run(ws, 1, targets=TARGETS)
    with pytest.raises(NoticeBatchRefused, match=f"1人: {member}"):
        ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①"), (member, "home", "②")),
                               None)
    assert ws.notice_batches().empty


def test_a_batch_of_both_routes_is_mixed_and_a_member_appears_once(ws):
    add_run(ws, 1, targets=TARGETS)
    with pytest.raises(ValueError, match="more than one letter"):
        ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①"), ("001", "home", "①")), None)
    with pytest.raises(ValueError, match="route must be one of"):
        NoticeParts().add(frame(("001", "by-hand", "①")))
    with pytest.raises(NoticeBatchRefused, match="1件もない"):
        ws.record_notice_batch(1, "jushin", {}, {}, letters(), None)
    batch_id = ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①"), ("002", "office", "②")),
                                      None)
    assert ws.notice_batch_row(batch_id)["route"] == "mixed"


def test_letters_staged_in_parts_are_recorded_in_order_and_read_back_part_by_part(ws, tmp_path):
    add_run(ws, 1, targets=TARGETS)
    with NoticeParts(tmp_path) as parts:
        parts.add(frame(("002", "home", "②")))
        second = frame(("001", "home", "①"))
        parts.add(second.assign(seq=[2]))
        batch_id = ws.record_notice_batch(1, "jushin", {}, {}, parts, None)
        assert parts.path.exists()
    assert not parts.path.exists() and tmp_path.exists()
    assert ws.notice_batch_row(batch_id)["letters"] == 2
    assert ws.notice_letters(batch_id, 2, 2)["member_id"].tolist() == ["001"]
    assert ws.notice_batch(batch_id)[1]["member_id"].tolist() == ["002", "001"]


def test_cancel_keeps_the_batch_with_its_note_and_is_audited(ws):
    add_run(ws, 1, targets=TARGETS)
    batch_id = ws.record_notice_batch(1, "jushin", {}, {}, letters(("001", "home", "①")), date(2025, 9, 10))
    ws.cancel_notice_batch(batch_id, "文面の誤りのため再発送")
    row, notices = ws.notice_batch(batch_id)
    assert row["status"] == "cancelled" and row["note"] == "文面の誤りのため再発送"
    assert not pd.isna(row["cancelled_at"]) and len(notices) == 1
    assert ws.audit_log(limit=1)["action"].iloc[0] == "notice_batch_cancelled"
    with pytest.raises(NoticeBatchRefused, match="既に取り消"):
        ws.cancel_notice_batch(batch_id, "again")
    with pytest.raises(NoticeBatchRefused, match="発送日を変更できません"):
        ws.set_notice_sent_date(batch_id, date(2025, 9, 12))


def test_sent_date_is_set_for_every_letter_of_the_batch(ws):
    add_run(ws, 1, targets=TARGETS)
    batch_id = ws.record_notice_batch(1, "jushin", {}, {},
                                      letters(("001", "home", "①"), ("002", "home", "②")), None)
    ws.set_notice_sent_date(batch_id, date(2025, 9, 12))
    _, notices = ws.notice_batch(batch_id)
    assert (notices["sent_date"] == pd.Timestamp("2025-09-12")).all()
    assert ws.notice_batches()["sent_date"].iloc[0] == pd.Timestamp("2025-09-12")


def test_batch_targets_mark_who_was_sent_beside_the_excluded_and_held_back(ws):
    add_run(ws, 1, targets=TARGETS)
    batch_id = ws.record_notice_batch(1, "jushin", {}, {},
                                      letters(("001", "home", "①"), ("002", "home", "②")), None)
    targets = ws.notice_batch_targets(batch_id).set_index("member_id")
    assert targets["notified"].tolist() == [True, True, False, False]
    assert targets.loc["003", "excluded"] and targets.loc["003", "excluded_by"] == "rule"
    assert targets.loc["004", "holdout"] and not targets.loc["004", "excluded"]


def test_unknown_batch_is_reported_in_japanese(ws):
    for call in (lambda: ws.notice_batch(5), lambda: ws.cancel_notice_batch(5, "x"),
                 lambda: ws.set_notice_sent_date(5, date(2025, 1, 1)), lambda: ws.notice_batch_targets(5)):
        with pytest.raises(NoticeBatchNotFound, match="発送記録 5"):
            call()
