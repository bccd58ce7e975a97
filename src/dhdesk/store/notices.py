"""Send history (発送履歴): the batches of letters sent from an approved target list, kept for reprints.

A batch records what was printed — the run, route, parameters, the letter template and, per member,
the content and a SHA-256 of the letter — so a batch or one member's letter can be printed again
exactly, and the effect of the notice measured months later. Nothing is deleted: a cancelled batch
stays with its note and stops counting as "notified" (see `dhdesk.core.programs.exclusions`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pa_dataset
import pyarrow.parquet as pq

from dhdesk.store import audit, reads
from dhdesk.store.connection import one, scalar, transaction
from dhdesk.store.errors import StoreError
from dhdesk.store.frames import to_arrow

ROUTES = ("home", "office")
"""Per letter: 自宅直送 / 所属所経由. A batch is `mixed` when it holds both."""

_PART_COLUMNS: dict[str, pa.DataType] = {
    "member_id": pa.string(),
    "seq": pa.int32(),
    "route": pa.string(),
    "tier": pa.string(),
    "letter_sha256": pa.string(),
    "content": pa.string(),
}


_STAGE = "staged_notices"


class NoticeBatchRefused(StoreError):
    """A batch the send history cannot take or change (not approved, already sent, cancelled…)."""


class NoticeBatchNotFound(StoreError):
    """No batch with that number in this workspace."""

    def __init__(self, batch_id: int) -> None:
        super().__init__(f"発送記録 {batch_id} はこのワークスペースにありません。")


class NoticeParts:
    """The letters of a batch being printed, written part by part to a Parquet file in `folder`.

    Printing hands each part of letters here as soon as it is built, so a batch of any size is
    recorded without its letters ever being in memory together; `record_batch` then reads the file
    into the send history in one transaction. Without a folder a temporary one is used and removed on
    `close`.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._owned = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="dhdesk-notices-")) if folder is None else Path(folder)
        self.path = self.folder / "notices.parquet"
        self.count = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, notices: pd.DataFrame) -> None:
        """Append one part: member_id, seq, route (home/office), tier, letter_sha256 and content (a
        JSON-ready dict per letter). A malformed frame is a programming error of the caller."""
        missing = set(_PART_COLUMNS) - set(notices.columns)
        if missing:
            raise ValueError(f"notices: missing columns {sorted(missing)}")
        if not notices["route"].isin(ROUTES).all():
            raise ValueError(f"notices: route must be one of {ROUTES}")
        table = to_arrow(notices.assign(content=notices["content"].map(_json).astype("string")), _PART_COLUMNS,
                         what="notices")
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)
        self.count += len(notices)

    def finish(self) -> None:
        """Close the file so it can be read (idempotent)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> None:
        """Finish, and remove the file (and the folder when it is this object's own)."""
        self.finish()
        if self._owned:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> NoticeParts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def record_batch(
    conn: duckdb.DuckDBPyConnection,
    run_id: int,
    program: str,
    params: Mapping[str, Any],
    template: Mapping[str, Any],
    notices: NoticeParts,
    sent_date: date | None,
) -> int:
    """Record one batch of letters from approved run `run_id` in one transaction; returns its batch_id.

    Refused (nothing written): a run that is not approved or of another program, a run that already
    has an issued batch (cancel it first: no double sending), no letters, and letters for members who
    are not on the run's final list (excluded or held back). The batch's route is its letters': home,
    office or mixed. `sent_date` may be set later (`set_sent_date`) when the letters leave another day.
    """
    _check_run(conn, run_id, program)
    if notices.count == 0:
        raise NoticeBatchRefused("通知が1件もないため、発送記録を作れません。")
    notices.finish()
    conn.register(_STAGE, pa_dataset.dataset(notices.path, format="parquet"))
    try:
        return _record(conn, run_id, program, params, template, notices.count, sent_date)
    finally:
        conn.unregister(_STAGE)


def _record(conn: duckdb.DuckDBPyConnection, run_id: int, program: str, params: Mapping[str, Any],
            template: Mapping[str, Any], count: int, sent_date: date | None) -> int:
    """Check the staged letters and insert the batch with them (the staged file is scanned, not loaded)."""
    _check_letters(conn, run_id)
    routes = [row[0] for row in conn.execute(f"SELECT DISTINCT route FROM {_STAGE}").fetchall()]
    route = "mixed" if len(routes) > 1 else routes[0]
    with transaction(conn):
        batch_id = scalar(conn, "SELECT nextval('notice_batch_id_seq')")
        conn.execute(
            "INSERT INTO notice_batches (batch_id, run_id, program, created_at, route, params, template, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'issued')",
            [batch_id, run_id, program, datetime.now(), route, _json(params), _json(template)],
        )
        conn.execute(f"INSERT INTO notices (batch_id, sent_date, {', '.join(_PART_COLUMNS)}) "
                     f"SELECT ?, ?, {', '.join(_PART_COLUMNS)} FROM {_STAGE}", [batch_id, sent_date])
        audit.record(conn, "notice_batch", {"batch_id": batch_id, "run_id": run_id, "program": program,
                                            "letters": count, "route": route, "sent_date": sent_date})
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
    row = batch_row(conn, batch_id)
    return row, letters(conn, batch_id, 1, None)


def letters(conn: duckdb.DuckDBPyConnection, batch_id: int, first_seq: int, last_seq: int | None) -> pd.DataFrame:
    """The letters of a batch numbered `first_seq`…`last_seq` (None: to the end), content parsed."""
    frame = reads.fetch(
        conn,
        "SELECT member_id, seq, route, tier, letter_sha256, sent_date, content FROM notices "
        "WHERE batch_id = ? AND seq >= ? AND (? IS NULL OR seq <= ?) ORDER BY seq",
        [batch_id, first_seq, last_seq, last_seq],
    )
    frame["content"] = pd.Series([json.loads(text) for text in frame["content"]], index=frame.index, dtype=object)
    return frame


def batch_targets(conn: duckdb.DuckDBPyConnection, batch_id: int) -> pd.DataFrame:
    """Everyone on the run behind a batch, with whether they were sent a letter in it.

    Columns: member_id, tier, excluded, exclusion_reason, excluded_by, holdout, notified (bool). The
    members who met the criteria but were not sent (excluded, held back) are the effect's comparison.
    """
    run_id = int(batch_row(conn, batch_id)["run_id"])
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
    row = batch_row(conn, batch_id)
    if row["status"] == "cancelled":
        raise NoticeBatchRefused(f"発送記録 {batch_id} は既に取り消されています。")
    with transaction(conn):
        conn.execute(
            "UPDATE notice_batches SET status = 'cancelled', cancelled_at = ?, note = ? WHERE batch_id = ?",
            [datetime.now(), note, batch_id],
        )
        audit.record(conn, "notice_batch_cancelled", {"batch_id": batch_id, "note": note})


def set_sent_date(conn: duckdb.DuckDBPyConnection, batch_id: int, sent_date: date) -> None:
    """Set the day every letter of an issued batch left the office (the effect window starts there)."""
    row = batch_row(conn, batch_id)
    if row["status"] == "cancelled":
        raise NoticeBatchRefused(f"発送記録 {batch_id} は取り消されているため、発送日を変更できません。")
    with transaction(conn):
        conn.execute("UPDATE notices SET sent_date = ? WHERE batch_id = ?", [sent_date, batch_id])
        audit.record(conn, "notice_sent_date", {"batch_id": batch_id, "sent_date": sent_date})


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


def _check_letters(conn: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """A member has one letter per batch, and only members on the run's final list get one."""
    twice = conn.execute(f"SELECT member_id FROM {_STAGE} GROUP BY member_id HAVING count(*) > 1").fetchall()
    if twice:
        raise ValueError(f"notices: a member has more than one letter in the batch ({twice[0][0]})")
    strangers = sorted(row[0] for row in conn.execute(
        f"SELECT member_id FROM {_STAGE} EXCEPT SELECT member_id FROM program_targets "
        "WHERE run_id = ? AND NOT excluded AND NOT holdout", [run_id]).fetchall())
    if strangers:
        shown = "、".join(strangers[:5]) + (" ほか" if len(strangers) > 5 else "")
        raise NoticeBatchRefused(
            f"承認された対象者リストにない加入者への通知が含まれています（{len(strangers)}人: {shown}）。"
        )


def batch_row(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, Any]:
    """A batch's notice_batches row (params and template parsed) and its number of `letters`."""
    frame = reads.fetch(conn, "SELECT b.*, (SELECT count(*) FROM notices AS n WHERE n.batch_id = b.batch_id) "
                               "AS letters FROM notice_batches AS b WHERE b.batch_id = ?", [batch_id])
    if frame.empty:
        raise NoticeBatchNotFound(batch_id)
    row = frame.iloc[0].to_dict()
    for key in ("params", "template"):
        row[key] = None if pd.isna(row[key]) else json.loads(row[key])
    return row


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
