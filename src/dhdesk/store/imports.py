"""Importing a batch (取込) all-or-nothing, and undoing one (取消) so that what it replaced comes back.

The rules, the same for every kind of data:
- A batch is one transaction: its `import_batches` row, every row of every table, the replacement
  marks and the audit entry are committed together or not at all (a crash mid-import leaves nothing).
- Inside one batch a natural key occurs once; duplicates reject the whole batch. Readers should
  report them as Issues first; this is the last guard.
- Across batches the newer batch wins: an incoming row whose natural key matches a current row marks
  that row `superseded_by` the new batch. Nothing is deleted, so undoing any batch, in any order,
  brings back exactly the rows it replaced. Re-importing the same rows therefore adds nothing twice.
- The same file (kind and SHA-256) is refused while its batch is active (`AlreadyImported`): the clerk
  learns it was already imported instead of silently getting a second, identical batch.
- A detail table (claims: 傷病名, 医薬品, 診療行為) may come as an iterable of frames, the chunks of a large
  file: each chunk is checked and written as it arrives, inside the same transaction, so memory follows
  the chunk, not the file, and a problem in any chunk still rolls the whole batch back.
- `replace_scope` lets a batch also replace every current row in a scope (e.g. one clinic's fiscal
  year) so that rows missing from a corrected resend disappear too; undo brings them back as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dhdesk.core.fields import (
    CHECKUPS, DIAGNOSES, DISEASE_MASTER, DRUG_LINES, DRUG_MASTER, MEMBERS, PROCEDURES, RECEIPTS, Kind, Layout,
)
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.store import audit
from dhdesk.store.connection import one, scalar, transaction
from dhdesk.store.errors import AlreadyImported, BatchNotFound, ImportRejected
from dhdesk.store.frames import arrow_type, to_arrow
from dhdesk.store.schema import table_columns

MONTH_PATTERN = "(19|20)[0-9]{2}(0[1-9]|1[0-2])"
CHUNK_ROWS = 500_000
"""Rows inserted per statement: progress and cancellation are checked between chunks."""

MANAGED_COLUMNS = frozenset({"batch_id", "superseded_by", "checkup_id", "claim_id", "fiscal_year", "line_no"})
"""Columns the store fills in; a frame never carries them."""

_EXTRA_LABELS = {"version_date": "適用開始日"}
_FISCAL_YEAR_OF_DATE = "CAST(year(s.{c}) - CASE WHEN month(s.{c}) < 4 THEN 1 ELSE 0 END AS INTEGER)"
_FISCAL_YEAR_OF_MONTH = (
    "CAST(CAST(substr(s.{c}, 1, 4) AS INTEGER) - CASE WHEN CAST(substr(s.{c}, 5, 2) AS INTEGER) < 4 THEN 1 ELSE 0 END"
    " AS INTEGER)"
)


@dataclass(frozen=True)
class TablePlan:
    """How one table takes rows: keys unique within a batch (the first also decides replacement)."""

    table: str
    layout: Layout
    unique_keys: tuple[tuple[str, ...], ...] = ()
    checks: tuple[tuple[str, str], ...] = ()  # (SQL condition true for a bad row, Japanese message)
    computed: tuple[tuple[str, str], ...] = ()  # (managed column, SQL expression over the staged row `s`)

    @property
    def natural_key(self) -> tuple[str, ...]:
        return self.unique_keys[0]

    def label(self, column: str) -> str:
        try:
            return self.layout.field(column).label
        except KeyError:
            return _EXTRA_LABELS.get(column, column)


@dataclass(frozen=True)
class KindPlan:
    """A kind of import: its main table (whose rows are counted and replaced) and detail tables."""

    main: TablePlan
    details: tuple[TablePlan, ...] = ()

    @property
    def tables(self) -> tuple[TablePlan, ...]:
        return (self.main, *self.details)


_RECEIPT_DETAIL = (("claim_id", "r.claim_id"), ("line_no", "s._row"))

ICD10_FILLED = "icd10_filled"
"""`table_counts` entry of a disease_master batch: diagnoses whose blank ICD10 it filled."""

KINDS: dict[str, KindPlan] = {
    "members": KindPlan(TablePlan("members", MEMBERS, (("member_id", "acquired_date"),))),
    "checkups": KindPlan(
        TablePlan(
            "checkups",
            CHECKUPS,
            (("member_id", "exam_date"),),
            computed=(
                ("checkup_id", "nextval('checkup_id_seq')"),
                ("fiscal_year", _FISCAL_YEAR_OF_DATE.format(c="exam_date")),
            ),
        )
    ),
    "claims": KindPlan(
        TablePlan(
            "receipts",
            RECEIPTS,
            (("member_id", "service_month", "facility_code", "receipt_id"), ("receipt_id",)),
            checks=(
                (f"NOT regexp_full_match(service_month, '{MONTH_PATTERN}')", "「診療年月」は yyyymm 形式（例 202404）で渡してください"),
            ),
            computed=(
                ("claim_id", "nextval('claim_id_seq')"),
                ("fiscal_year", _FISCAL_YEAR_OF_MONTH.format(c="service_month")),
            ),
        ),
        (
            TablePlan(
                "diagnoses",
                DIAGNOSES,
                checks=(("disease_code IS NULL AND disease_name IS NULL", "「傷病名コード」と「傷病名」がどちらも空欄です"),),
                computed=_RECEIPT_DETAIL,
            ),
            TablePlan(
                "drug_lines",
                DRUG_LINES,
                checks=(("drug_code IS NULL AND yj_code IS NULL", "「医薬品コード」と「薬価基準コード」がどちらも空欄です"),),
                computed=_RECEIPT_DETAIL,
            ),
            TablePlan("procedures", PROCEDURES, computed=_RECEIPT_DETAIL),
        ),
    ),
    "drug_master": KindPlan(
        TablePlan(
            "drug_master",
            DRUG_MASTER,
            (("version_date", "yj_code"),),
            checks=(("version_date IS NULL", "「適用開始日」が空欄です"),),
        )
    ),
    "disease_master": KindPlan(TablePlan("disease_master", DISEASE_MASTER, (("disease_code",),))),
}
"""Every kind `import_batch` accepts, by the name used in `import_batches.kind`."""


def data_columns(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """The columns of `table` a frame may carry (everything but the store-managed ones)."""
    return {name: kind for name, kind in table_columns(conn, table).items() if name not in MANAGED_COLUMNS}


def run_import(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    source_name: str,
    source_sha256: str,
    frames: Mapping[str, pd.DataFrame | Iterable[pd.DataFrame]],
    *,
    replace_scope: Mapping[str, object] | None = None,
    preset: str | None = None,
    note: str | Callable[[], str | None] | None = None,
    progress: ProgressFn = no_progress,
) -> int:
    """Import `frames` as one batch of `kind`; returns the new batch_id. See the module rules.

    `note` may be a function, asked once the last chunk is in (how many streamed rows were left out is
    known only then).

    The main table is a frame; a detail table is a frame or an iterable of chunk frames (read lazily,
    after the main table is written). Whole frames are checked before anything is written; chunks as they
    come, and the batch is rolled back with every problem found once the last chunk is in.
    """
    plan = _plan_for(kind, frames)
    whole = {name: frame for name, frame in frames.items() if isinstance(frame, pd.DataFrame)}
    staged = _stage(conn, plan, whole)
    scope = _check_scope(conn, plan, replace_scope or {})
    _refuse_if_imported(conn, kind, source_name, source_sha256)
    for name, table in staged.items():
        conn.register(f"stage_{name}", table)
    conn.begin()
    try:
        _check_rows(conn, plan, staged)
        progress(0.05, "取込内容を確認しました")
        batch_id = scalar(conn, "SELECT nextval('batch_id_seq')")
        conn.execute(
            "INSERT INTO import_batches (batch_id, kind, source_name, source_sha256, imported_at, row_count, "
            "replaced_count, table_counts, status, preset, note) VALUES (?, ?, ?, ?, ?, 0, 0, '{}', 'active', ?, ?)",
            [batch_id, kind, source_name, source_sha256, datetime.now(), preset, None if callable(note) else note],
        )
        streamed = [table for table in plan.details if table.table in frames and table.table not in staged]
        middle = 0.2 if streamed else 0.95
        _insert_rows(conn, plan, staged, batch_id, wrap_progress(progress, 0.05, middle))
        counts = {name: table.num_rows for name, table in staged.items()}
        if streamed:  # the staged receipts are no longer read: let their memory go before the chunks come
            conn.unregister(f"stage_{plan.main.table}")
            del staged[plan.main.table]
        counts |= _insert_streamed(conn, plan, streamed, frames, batch_id, wrap_progress(progress, middle, 0.95))
        replaced = _supersede(conn, plan.main, batch_id, scope)
        counts = {table.table: counts[table.table] for table in plan.tables if table.table in counts}
        if kind == "disease_master":
            counts[ICD10_FILLED] = _fill_icd10(conn, batch_id)
        conn.execute(
            "UPDATE import_batches SET row_count = ?, replaced_count = ?, table_counts = ? WHERE batch_id = ?",
            [counts[plan.main.table], replaced, json.dumps(counts), batch_id],
        )
        if callable(note):
            conn.execute("UPDATE import_batches SET note = ? WHERE batch_id = ?", [note(), batch_id])
        audit.record(
            conn,
            "import",
            {"batch_id": batch_id, "kind": kind, "source_name": source_name, "rows": counts, "replaced": replaced,
             "replace_scope": dict(replace_scope or {})},
        )
        conn.commit()
    except duckdb.Error as exc:
        conn.rollback()
        raise ImportRejected("登録中にデータベースの制約に反する行がありました。", str(exc)) from exc
    except BaseException:
        conn.rollback()
        raise
    finally:
        for name in [*staged, "chunk"]:
            conn.unregister(f"stage_{name}")
    progress(1.0, "取込が完了しました")
    return batch_id


def undo(conn: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, int]:
    """Remove the rows of an active batch and bring back the rows it replaced; returns counts."""
    kind = check_undoable(conn, batch_id)
    main = KINDS[kind].main
    key = main.natural_key
    match = " AND ".join(f"old.{c} IS NOT DISTINCT FROM new.{c}" for c in key)
    with transaction(conn):
        restored = scalar(conn, f"SELECT count(*) FROM {main.table} WHERE superseded_by = ?", [batch_id])
        # A replaced row now points at whatever replaced this batch's row (NULL = current again).
        conn.execute(
            f"UPDATE {main.table} AS old SET superseded_by = new.superseded_by "
            f"FROM (SELECT {', '.join(key)}, superseded_by FROM {main.table} WHERE batch_id = $b) AS new "
            f"WHERE old.superseded_by = $b AND {match}",
            {"b": batch_id},
        )
        if kind == "disease_master":
            _unfill_icd10(conn, batch_id)
        conn.execute(f"UPDATE {main.table} SET superseded_by = NULL WHERE superseded_by = ?", [batch_id])
        removed = {}
        for plan in KINDS[kind].tables:
            removed[plan.table] = scalar(conn, f"DELETE FROM {plan.table} WHERE batch_id = ?", [batch_id])
        if kind == "disease_master":
            _fill_icd10(conn, None)
        conn.execute(
            "UPDATE import_batches SET status = 'undone', undone_at = ? WHERE batch_id = ?", [datetime.now(), batch_id]
        )
        audit.record(conn, "undo", {"batch_id": batch_id, "kind": kind, "removed": removed, "restored": restored})
    return {"restored": restored, **removed}


def check_undoable(conn: duckdb.DuckDBPyConnection, batch_id: int) -> str:
    """The kind of an active batch; BatchNotFound when there is none or it is already undone."""
    row = one(conn, "SELECT kind, status FROM import_batches WHERE batch_id = ?", [batch_id])
    if row is None or row[1] != "active":
        raise BatchNotFound(batch_id, undone=row is not None)
    return str(row[0])


def _plan_for(kind: str, frames: Mapping[str, pd.DataFrame]) -> KindPlan:
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {sorted(KINDS)}")
    plan = KINDS[kind]
    allowed = {t.table for t in plan.tables}
    if plan.main.table not in frames or not set(frames) <= allowed:
        raise ValueError(
            f"{kind}: frames must include {plan.main.table!r} and only {sorted(allowed)}, got {sorted(frames)}"
        )
    if len(frames[plan.main.table]) == 0:
        raise ImportRejected("取り込む行がありません。")
    return plan


def _stage(conn: duckdb.DuckDBPyConnection, plan: KindPlan, frames: Mapping[str, pd.DataFrame]) -> dict[str, pa.Table]:
    """Frames as Arrow tables typed like their DuckDB tables, plus `_row` (1-based position)."""
    return {
        table.table: _arrow(conn, table, frames[table.table], 1) for table in plan.tables if table.table in frames
    }


def _arrow(conn: duckdb.DuckDBPyConnection, table: TablePlan, frame: pd.DataFrame, first_row: int) -> pa.Table:
    """One frame (or chunk) as Arrow typed like `table`, its rows numbered `_row` from `first_row`."""
    columns = {name: arrow_type(kind) for name, kind in data_columns(conn, table.table).items()}
    arrow = to_arrow(frame, columns, what=table.table)
    return arrow.append_column("_row", pa.array(np.arange(first_row, first_row + len(frame), dtype=np.int64)))


def _check_scope(conn: duckdb.DuckDBPyConnection, plan: KindPlan, scope: Mapping[str, object]) -> dict[str, object]:
    allowed = set(table_columns(conn, plan.main.table)) - {"batch_id", "superseded_by"}
    unknown = sorted(set(scope) - allowed)
    if unknown:
        raise ValueError(f"replace_scope: {plan.main.table} has no columns {unknown}")
    return dict(scope)


def _refuse_if_imported(conn: duckdb.DuckDBPyConnection, kind: str, source_name: str, sha256: str) -> None:
    row = one(
        conn,
        "SELECT batch_id, imported_at FROM import_batches WHERE kind = ? AND source_sha256 = ? AND status = 'active' "
        "ORDER BY batch_id LIMIT 1",
        [kind, sha256],
    )
    if row is not None:
        raise AlreadyImported(source_name, int(row[0]), row[1].strftime("%Y-%m-%d %H:%M"))


def _check_rows(conn: duckdb.DuckDBPyConnection, plan: KindPlan, staged: Mapping[str, pa.Table]) -> None:
    """Reject the batch with every problem found, in Japanese, before a single row is written."""
    problems = []
    for table in plan.tables:
        if table.table not in staged:
            continue
        tallies = _row_tallies(conn, table, f"stage_{table.table}")
        problems += _messages(table, tallies)
        for key in table.unique_keys:
            problems += _duplicate_problems(conn, table, key)
        if table is not plan.main:
            problems += _messages(table, _orphan_tally(conn, f"stage_{table.table}", f"stage_{plan.main.table}"))
    if problems:
        raise ImportRejected("\n".join(problems))


def _row_tallies(conn: duckdb.DuckDBPyConnection, table: TablePlan, source: str) -> dict[str, tuple[int, int | None]]:
    """For each row check of `table` (by its Japanese message): how many rows of `source` fail, and the first."""
    conditions = list(table.checks)
    for field in table.layout.fields:
        if field.required:
            conditions.append((f"{field.name} IS NULL", f"「{field.label}」が空欄です"))
        codes = [c.code for c in field.choices] or ([1, 2] if field.kind is Kind.SEX else [])
        if codes:
            listed = ", ".join(map(str, codes))
            conditions.append((f"{field.name} NOT IN ({listed})", f"「{field.label}」に使えない値があります（使える値 {listed}）"))
    select = ", ".join(f"count(*) FILTER (WHERE {c}), min(_row) FILTER (WHERE {c})" for c, _ in conditions)
    found = one(conn, f"SELECT {select} FROM {source}")
    assert found is not None, "an aggregate always returns one row"
    return {message: (found[2 * i], found[2 * i + 1]) for i, (_, message) in enumerate(conditions)}


def _orphan_tally(conn: duckdb.DuckDBPyConnection, source: str, receipts: str) -> dict[str, tuple[int, int | None]]:
    """Detail rows of `source` whose レセプト番号 no receipt of the batch (in table `receipts`) has."""
    found = one(
        conn,
        f"SELECT count(*), min(_row) FROM {source} AS d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {receipts} AS m WHERE m.receipt_id = d.receipt_id)",
    )
    count, first = found if found else (0, None)
    return {"「レセプト番号」に対応するレセプトがない行があります": (count, first)}


def _messages(table: TablePlan, tallies: Mapping[str, tuple[int, int | None]]) -> list[str]:
    return [
        f"{table.layout.label}: {message}（{count:,}件、最初は{first:,}件目）"
        for message, (count, first) in tallies.items() if count
    ]


def _merge(total: dict[str, tuple[int, int | None]], tallies: Mapping[str, tuple[int, int | None]]) -> None:
    """Add one chunk's tallies to the table's (the first bad row stays the earliest)."""
    for message, (count, first) in tallies.items():
        before, earliest = total.get(message, (0, None))
        if count:
            total[message] = (before + count, first if earliest is None else min(earliest, first))
        else:
            total.setdefault(message, (before, earliest))


def _duplicate_problems(conn: duckdb.DuckDBPyConnection, table: TablePlan, key: tuple[str, ...]) -> list[str]:
    columns = ", ".join(key)
    groups = conn.execute(
        f"SELECT {columns}, list(_row ORDER BY _row)[1:3] AS rows, count(*) OVER () AS n_groups "
        f"FROM stage_{table.table} GROUP BY {columns} HAVING count(*) > 1 ORDER BY min(_row) LIMIT 3"
    ).fetchall()
    if not groups:
        return []
    labels = "・".join(table.label(c) for c in key)
    examples = "; ".join(
        " / ".join("空欄" if v is None else str(v) for v in group[: len(key)])
        + "（" + "件目と".join(map(str, group[len(key)])) + "件目）"
        for group in groups
    )
    return [f"{table.layout.label}: 「{labels}」が同じ行が{groups[0][-1]:,}組あります。例: {examples}"]


def _insert_rows(
    conn: duckdb.DuckDBPyConnection, plan: KindPlan, staged: Mapping[str, pa.Table], batch_id: int, progress: ProgressFn
) -> None:
    total = sum(table.num_rows for table in staged.values())
    done = 0
    for table in plan.tables:
        if table.table not in staged:
            continue
        arrow = staged[table.table]
        sql = _insert_sql(table, [c for c in arrow.column_names if c != "_row"], is_detail=table is not plan.main)
        for offset in range(0, arrow.num_rows, CHUNK_ROWS):
            chunk = arrow.slice(offset, CHUNK_ROWS)
            conn.register("stage_chunk", chunk)  # replaces the previous chunk's view
            conn.execute(sql, {"batch_id": batch_id})
            done += chunk.num_rows
            progress(done / total, f"{table.layout.label}を登録しています（{done:,} / {total:,}件）")


def _insert_streamed(
    conn: duckdb.DuckDBPyConnection, plan: KindPlan, tables: list[TablePlan],
    frames: Mapping[str, Iterable[pd.DataFrame]], batch_id: int, progress: ProgressFn,
) -> dict[str, int]:
    """Check and write detail tables given as chunks; raise ImportRejected with all problems at the end.

    The batch's receipts are copied once into a small temporary table (レセプト番号 → claim_id): joining
    each chunk to it is cheap, where the staged Arrow receipts would be converted again for every chunk.
    A chunk is written when no problem has been found so far; its orphans are the rows the join left out.
    """
    counts: dict[str, int] = {}
    if not tables:
        return counts
    problems: list[str] = []
    clean = True  # no problem yet: keep writing (after one, only count the rest)
    conn.execute(f"CREATE TEMP TABLE batch_claims AS SELECT receipt_id, claim_id FROM {plan.main.table} "
                 "WHERE batch_id = ?", [batch_id])
    for position, table in enumerate(tables):
        tallies: dict[str, tuple[int, int | None]] = {}
        done = 0
        for frame in frames[table.table]:
            chunk = _arrow(conn, table, frame, done + 1)
            conn.register("stage_chunk", chunk)
            found = _row_tallies(conn, table, "stage_chunk")
            clean = clean and not any(count for count, _ in found.values())
            if clean:
                sql = _insert_sql(table, [c for c in chunk.column_names if c != "_row"], is_detail=True,
                                  claims="batch_claims")
                written = scalar(conn, sql, {"batch_id": batch_id})
                clean = written == chunk.num_rows
            if not clean:
                found |= _orphan_tally(conn, "stage_chunk", "batch_claims")
            _merge(tallies, found)
            done += chunk.num_rows
            progress(position / len(tables), f"{table.layout.label}を登録しています（{done:,}件）")
        problems += _messages(table, tallies)
        counts[table.table] = done
    if problems:
        raise ImportRejected("\n".join(problems))
    conn.execute("DROP TABLE temp.batch_claims")
    return counts


def _insert_sql(table: TablePlan, columns: list[str], *, is_detail: bool, claims: str | None = None) -> str:
    """INSERT … SELECT from `stage_chunk`; detail rows take their claim_id from the batch's receipts, or
    from `claims` (a table of the batch's receipt_id → claim_id) when given."""
    targets = [name for name, _ in table.computed] + columns + ["batch_id"]
    values = [expr for _, expr in table.computed] + [f"s.{c}" for c in columns] + ["$batch_id"]
    source = "stage_chunk AS s"
    if is_detail and claims:
        source += f" JOIN {claims} AS r ON r.receipt_id = s.receipt_id"
    elif is_detail:
        source += " JOIN receipts AS r ON r.batch_id = $batch_id AND r.receipt_id = s.receipt_id"
    return f"INSERT INTO {table.table} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {source}"


def _supersede(conn: duckdb.DuckDBPyConnection, main: TablePlan, batch_id: int, scope: Mapping[str, object]) -> int:
    """Mark current rows replaced by this batch: same natural key, then anything in `scope`."""
    key = main.natural_key
    match = " AND ".join(f"old.{c} IS NOT DISTINCT FROM new.{c}" for c in key)
    replaced = scalar(
        conn,
        f"UPDATE {main.table} AS old SET superseded_by = $b "
        f"FROM (SELECT {', '.join(key)} FROM {main.table} WHERE batch_id = $b) AS new "
        f"WHERE old.superseded_by IS NULL AND old.batch_id <> $b AND {match}",
        {"b": batch_id},
    )
    if scope:
        where = " AND ".join(f"{c} IS NOT DISTINCT FROM ${c}" for c in scope)
        replaced += scalar(
            conn,
            f"UPDATE {main.table} SET superseded_by = $b WHERE superseded_by IS NULL AND batch_id <> $b AND {where}",
            {"b": batch_id, **scope},
        )
    return replaced


def _fill_icd10(conn: duckdb.DuckDBPyConnection, batch_id: int | None) -> int:
    """Fill every blank diagnoses.icd10 whose 傷病名コード the master knows; returns how many were filled.

    From batch `batch_id`'s rows (a master just imported), or from the current master (None: after an undo).
    Only blanks are written, so an ICD-10 the claim file itself carried is never changed.
    """
    rows = "batch_id = $b" if batch_id is not None else "superseded_by IS NULL"
    return scalar(
        conn,
        f"UPDATE diagnoses AS d SET icd10 = m.icd10 "
        f"FROM (SELECT disease_code, icd10 FROM disease_master WHERE {rows} AND icd10 IS NOT NULL) AS m "
        f"WHERE d.icd10 IS NULL AND d.disease_code = m.disease_code",
        {"b": batch_id} if batch_id is not None else {},
    )


def _unfill_icd10(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Blank again what master `batch_id` filled: diagnoses of claims loaded before it whose ICD10 is the one
    this master gives their code. (Claims loaded after it took the code at their own import: undoing those
    claims takes it away.) The caller then refills from the masters still current."""
    conn.execute(
        "UPDATE diagnoses AS d SET icd10 = NULL "
        "FROM (SELECT disease_code, icd10 FROM disease_master WHERE batch_id = $b AND icd10 IS NOT NULL) AS m "
        "WHERE d.batch_id < $b AND d.disease_code = m.disease_code AND d.icd10 = m.icd10",
        {"b": batch_id},
    )
