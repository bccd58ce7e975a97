"""Send history (発送履歴): the batches of letters sent from an approved target list, kept for reprints.

A batch records what was printed — the run, route, parameters, the letter template and, per member,
the content and a SHA-256 of the letter — so a batch or one member's letter can be printed again
exactly, and the effect of the notice measured months later. Nothing is deleted: a cancelled batch
stays with its note and stops counting as "notified" (see `dhdesk.core.programs.exclusions`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dhdesk.store import audit, reads
from dhdesk.store.connection import one, scalar
from dhdesk.store.errors import StoreError
from dhdesk.store.frames import to_arrow

ROUTES = ("home", "office")
"""Per letter: 自宅直送 / 所属所経由. A batch is `mixed` when it holds both."""

_NOTICE_COLUMNS: dict[str, pa.DataType] = {
    "batch_id": pa.int64(),
    "member_id": pa.string(),
    "seq": pa.int32(),
    "route": pa.string(),
    "tier": pa.string(),
    "letter_sha256": pa.string(),
    "sent_date": pa.date32(),
    "content": pa.string(),
}


class NoticeBatchRefused(StoreError):
    """A batch the send history cannot take or change (not approved, already sent, cancelled…)."""


class NoticeBatchNotFound(StoreError):
    """No batch with that number in this workspace."""

    def __init__(self, batch_id: int) -> None:
        super().__init__(f"発送記録 {batch_id} はこのワークスペースにありません。")


def record_batch(
    conn: duckdb.DuckDBPyConnection,
    run_id: int,
    program: str,
    route: str,
    params: Mapping[str, Any],
    template: Mapping[str, Any],
    notices: pd.DataFrame,
    sent_date: date | None,
) -> int:
    """Record one batch of letters from approved run `run_id` in one transaction; returns its batch_id.

    `notices` has member_id, seq, route (home/office), tier, letter_sha256 and content (a JSON-ready
    dict per letter). Refused (nothing written): a run that is not approved or of another program, a
    run that already has an issued batch (cancel it first: no double sending), and letters for members
    who are not on the run's final list (excluded or held back). `route` is the batch's: home, office
    or mixed. `sent_date` may be set later (`set_sent_date`) when the letters leave another day.
    """
    _check_run(conn, run_id, program)
    letters = _checked_notices(notices, route)
    _check_members(conn, run_id, letters["member_id"])
    conn.begin()
    try:
        batch_id = scalar(conn, "SELECT nextval('notice_batch_id_seq')")
        conn.execute(
            "INSERT INTO notice_batches (batch_id, run_id, program, created_at, route, params, template, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'issued')",
            [batch_id, run_id, program, datetime.now(), route, _json(params), _json(template)],
        )
        rows = letters.assign(
            batch_id=batch_id,
            sent_date=pd.Series(pd.NaT if sent_date is None else pd.Timestamp(sent_date),
                                index=letters.index, dtype="datetime64[ns]"),
            content=letters["content"].map(_json).astype("string"),
        )
        conn.register("stage_notices", to_arrow(rows, _NOTICE_COLUMNS, what="notices"))
        try:
            conn.execute(f"INSERT INTO notices ({', '.join(_NOTICE_COLUMNS)}) "
                         f"SELECT {', '.join(_NOTICE_COLUMNS)} FROM stage_notices")
        finally:
            conn.unregister("stage_notices")
        audit.record(conn, "notice_batch", {"batch_id": batch_id, "run_id": run_id, "program": program,
                                            "letters": len(rows), "route": route, "sent_date": sent_date})
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return batch_id


def batches(conn: duckdb.DuckDBPyConnection, program: str | None = None) -> pd.DataFrame:
    """Every batch (of one program), newest first, with its letter counts and sent date.

    Columns: the notice_batches columns (params/template as JSON text) plus `letters`, `home`,
    `office` (letters per route) and `sent_date` (the earliest of its letters; NaT until set).
    """
    return reads.fetch(
        conn,
        "SELECT b.*, count(n.member_id) AS letters, count(n.member_id) FILTER (WHERE n.route = 'home') AS home, "
        "count(n.member_id) FILTER (WHERE n.route = 'office') AS office, min(n.sent_date) AS sent_date "
        "FROM notice_batches AS b LEFT JOIN notices AS n USING (batch_id) "
        "WHERE ? IS NULL OR b.program = ? GROUP BY ALL ORDER BY b.batch_id DESC",
        [program, program],
    )


def batch(conn: duckdb.DuckDBPyConnection, batch_id: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """A batch as printed: its row (params and template parsed) and its letters in `seq` order
    (content parsed back to dicts), for an exact reprint of the batch or of one member's letter."""
    row = _batch_row(conn, batch_id)
    letters = reads.fetch(
        conn,
        "SELECT member_id, seq, route, tier, letter_sha256, sent_date, content FROM notices "
        "WHERE batch_id = ? ORDER BY seq",
        [batch_id],
    )
    letters["content"] = pd.Series([json.loads(text) for text in letters["content"]], index=letters.index,
                                   dtype=object)
    return row, letters


def batch_targets(conn: duckdb.DuckDBPyConnection, batch_id: int) -> pd.DataFrame:
    """Everyone on the run behind a batch, with whether they were sent a letter in it.

    Columns: member_id, tier, excluded, exclusion_reason, excluded_by, holdout, notified (bool). The
    members who met the criteria but were not sent (excluded, held back) are the effect's comparison.
    """
    run_id = int(_batch_row(conn, batch_id)["run_id"])
    return reads.fetch(
        conn,
        "SELECT t.member_id, t.tier, t.excluded, t.exclusion_reason, t.excluded_by, t.holdout, "
        "n.member_id IS NOT NULL AS notified FROM program_targets AS t "
        "LEFT JOIN notices AS n ON n.batch_id = ? AND n.member_id = t.member_id "
        "WHERE t.run_id = ? ORDER BY t.member_id",
        [batch_id, run_id],
    )


def cancel_batch(conn: duckdb.DuckDBPyConnection, batch_id: int, note: str) -> None:
    """Mark a batch cancelled (kept with its letters and the reason); refused when already cancelled."""
    row = _batch_row(conn, batch_id)
    if row["status"] == "cancelled":
        raise NoticeBatchRefused(f"発送記録 {batch_id} は既に取り消されています。")
    conn.begin()
    try:
        conn.execute(
            "UPDATE notice_batches SET status = 'cancelled', cancelled_at = ?, note = ? WHERE batch_id = ?",
            [datetime.now(), note, batch_id],
        )
        audit.record(conn, "notice_batch_cancelled", {"batch_id": batch_id, "note": note})
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def set_sent_date(conn: duckdb.DuckDBPyConnection, batch_id: int, sent_date: date) -> None:
    """Set the day every letter of an issued batch left the office (the effect window starts there)."""
    row = _batch_row(conn, batch_id)
    if row["status"] == "cancelled":
        raise NoticeBatchRefused(f"発送記録 {batch_id} は取り消されているため、発送日を変更できません。")
    conn.begin()
    try:
        conn.execute("UPDATE notices SET sent_date = ? WHERE batch_id = ?", [sent_date, batch_id])
        audit.record(conn, "notice_sent_date", {"batch_id": batch_id, "sent_date": sent_date})
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _check_run(conn: duckdb.DuckDBPyConnection, run_id: int, program: str) -> None:
    row = one(conn, "SELECT program, status FROM program_runs WHERE run_id = ?", [run_id])
    if row is None:
        raise NoticeBatchRefused(f"対象者リスト {run_id} はこのワークスペースにありません。")
    run_program, status = row
    if run_program != program:
        raise NoticeBatchRefused(f"対象者リスト {run_id} は別の事業（{run_program}）のものです。")
    if status != "approved":
        raise NoticeBatchRefused(f"対象者リスト {run_id} は承認されていないため、発送記録を作れません。",
                                 f"status={status}")
    issued = one(conn, "SELECT batch_id FROM notice_batches WHERE run_id = ? AND status = 'issued' "
                       "ORDER BY batch_id LIMIT 1", [run_id])
    if issued is not None:
        raise NoticeBatchRefused(
            f"対象者リスト {run_id} は既に発送記録 {issued[0]} があります。再印刷は発送履歴から行ってください"
            "（作り直す場合は先に取り消してください）。"
        )


def _checked_notices(notices: pd.DataFrame, route: str) -> pd.DataFrame:
    """The letters with typed columns; a malformed frame is a programming error of the caller."""
    if notices.empty:
        raise NoticeBatchRefused("通知が1件もないため、発送記録を作れません。")
    missing = {"member_id", "seq", "route", "tier", "letter_sha256", "content"} - set(notices.columns)
    if missing:
        raise ValueError(f"notices: missing columns {sorted(missing)}")
    letters = notices[["member_id", "seq", "route", "tier", "letter_sha256", "content"]].copy()
    letters["member_id"] = letters["member_id"].astype("string")
    letters["route"] = letters["route"].astype("string")
    letters["tier"] = letters["tier"].astype("string")
    letters["letter_sha256"] = letters["letter_sha256"].astype("string")
    letters["seq"] = letters["seq"].astype("int64")
    if letters["member_id"].duplicated().any():
        raise ValueError("notices: a member has more than one letter in the batch")
    if not letters["route"].isin(ROUTES).all():
        raise ValueError(f"notices: route must be one of {ROUTES}")
    routes = set(letters["route"])
    expected = "mixed" if len(routes) > 1 else routes.pop()
    if route != expected:
        raise ValueError(f"batch route {route!r} does not match its letters ({expected!r})")
    return letters


def _check_members(conn: duckdb.DuckDBPyConnection, run_id: int, member_ids: pd.Series) -> None:
    final = reads.fetch(
        conn, "SELECT member_id FROM program_targets WHERE run_id = ? AND NOT excluded AND NOT holdout", [run_id]
    )["member_id"]
    strangers = sorted(set(member_ids) - set(final))
    if strangers:
        shown = "、".join(strangers[:5]) + (" ほか" if len(strangers) > 5 else "")
        raise NoticeBatchRefused(
            f"承認された対象者リストにない加入者への通知が含まれています（{len(strangers)}人: {shown}）。"
        )


def _batch_row(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, Any]:
    frame = reads.fetch(conn, "SELECT * FROM notice_batches WHERE batch_id = ?", [batch_id])
    if frame.empty:
        raise NoticeBatchNotFound(batch_id)
    row = frame.iloc[0].to_dict()
    for key in ("params", "template"):
        row[key] = None if pd.isna(row[key]) else json.loads(row[key])
    return row


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
