"""The workspace (ワークスペース): one union's DuckDB file, its settings, backups, imports and reads.

`Workspace` is the store's only public class. Every method is safe to call from any thread: calls
are serialised, so a long import blocks other calls until it ends (run long calls on the task
runner, as the GUI does for everything that touches data).
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from dhdesk import __version__
from dhdesk.core.programs import TargetList
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.store import audit, backups, connection, imports, reads, schema
from dhdesk.store import notices as store_notices
from dhdesk.store import programs as store_programs
from dhdesk.store.errors import (
    InvalidBackup,
    InvalidUnionInfo,
    MigrationFailed,
    NotAWorkspace,
    StoreError,
    WorkspaceExists,
    WorkspaceTooNew,
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class Preset:
    """A confirmed column mapping: file header → canonical field name, found again by its header signature."""

    name: str
    kind: str
    header_signature: str
    mapping: dict[str, str]


def _serialised(method: Callable[..., _T]) -> Callable[..., _T]:
    """Run the method under the workspace lock, refusing once the workspace is closed."""

    @functools.wraps(method)
    def wrapper(self: Workspace, *args: Any, **kwargs: Any) -> _T:
        with self._lock:
            if self._conn is None:
                raise StoreError("ワークスペースは閉じられています。もう一度開いてください。")
            return method(self, *args, **kwargs)

    return wrapper


class Workspace:
    """One union's workspace file, held by this process from `create`/`open` until `close`."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection, migrations: list[schema.Migration]) -> None:
        """Use `Workspace.create` or `Workspace.open`."""
        self._path = path
        self._conn: duckdb.DuckDBPyConnection | None = conn
        self._migrations = migrations
        self._lock = threading.RLock()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | Path, union: UnionInfo, *, migrations: list[schema.Migration] | None = None
    ) -> Workspace:
        """Make a new workspace file for `union`; refuses to overwrite any existing file."""
        path = Path(path).resolve()
        if path.exists():
            raise WorkspaceExists(path)
        if union.problems():
            raise InvalidUnionInfo(union.problems())
        steps = migrations if migrations is not None else schema.bundled_migrations()
        conn = connection.connect(path, create=True)
        try:
            for step in steps:
                schema.apply(conn, step, __version__)
            workspace = cls(path, conn, steps)
            workspace._write_union_info(union)
            audit.record(conn, "create", {"union": union.name, "insurer_number": union.insurer_number})
        except BaseException:
            connection.disconnect(path, conn)
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise
        return workspace

    @classmethod
    def open(cls, path: str | Path, *, migrations: list[schema.Migration] | None = None) -> Workspace:
        """Open an existing workspace, first bringing its schema up to date (backup before each step)."""
        path = Path(path).resolve()
        steps = migrations if migrations is not None else schema.bundled_migrations()
        conn = connection.connect(path, create=False)
        try:
            version = schema.current_version(conn)
            if version is None:
                raise NotAWorkspace(path, "no meta table")
            if version > len(steps):
                raise WorkspaceTooNew(path, version, len(steps))
        except BaseException:
            connection.disconnect(path, conn)
            raise
        workspace = cls(path, conn, steps)
        try:
            workspace._migrate(version)
        except BaseException:
            workspace.close()
            raise
        return workspace

    def close(self) -> None:
        """Release the file (checkpointed by DuckDB); further calls on this object are refused."""
        with self._lock:
            if not self._closed:
                connection.disconnect(self._path, self._conn)
                self._conn = None
                self._closed = True

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._path

    @property
    @_serialised
    def schema_version(self) -> int:
        return schema.current_version(self._db) or 0

    @property
    def _db(self) -> duckdb.DuckDBPyConnection:
        assert self._conn is not None, "checked by @_serialised"
        return self._conn

    def _migrate(self, version: int) -> None:
        for step in self._migrations[version:]:
            backup = self._take_backup(f"before-migration-v{step.version}")
            try:
                schema.apply(self._db, step, __version__)
            except duckdb.Error as exc:
                # The step rolled back; putting the copy back also drops the backup's audit entry.
                with self._file_closed():
                    backups.copy_atomically(backup, self._path)
                raise MigrationFailed(step.version, backup, str(exc)) from exc
            audit.record(self._db, "migrate", {"version": step.version, "name": step.name, "backup": backup})

    # -- union, settings, audit ------------------------------------------------------------------

    @_serialised
    def union_info(self) -> UnionInfo:
        row = connection.one(
            self._db, "SELECT name, insurer_number, union_type, postal_code, address, phone, department FROM union_info"
        )
        if row is None:
            raise NotAWorkspace(self._path, "union_info is empty")
        name, number, kind, postal, address, phone, department = row
        return UnionInfo(name, number, UnionType(kind), postal, address, phone, department)

    @_serialised
    def set_union_info(self, union: UnionInfo) -> None:
        """Change the letterhead data (名称・保険者番号・所在地…); validated like at creation."""
        if union.problems():
            raise InvalidUnionInfo(union.problems())
        self._write_union_info(union)
        audit.record(self._db, "union_info", {"union": union.name, "insurer_number": union.insurer_number})

    def _write_union_info(self, union: UnionInfo) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO union_info (id, name, insurer_number, union_type, postal_code, address, phone, "
            "department) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
            [union.name, union.insurer_number, union.union_type.value, union.postal_code, union.address,
             union.phone, union.department],
        )

    @_serialised
    def get_setting(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under `key`, or `default`."""
        row = connection.one(self._db, "SELECT value FROM settings WHERE key = ?", [key])
        return default if row is None else json.loads(row[0])

    @_serialised
    def set_setting(self, key: str, value: Any) -> None:
        """Store any JSON-serialisable `value` under `key` (letter templates, program parameters…)."""
        self._db.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [key, json.dumps(value, ensure_ascii=False), datetime.now()],
        )
        audit.record(self._db, "setting", {"key": key})

    @_serialised
    def save_preset(self, name: str, kind: str, header_signature: str, mapping: Mapping[str, str]) -> None:
        """Keep a confirmed column mapping (取込プリセット) under `name`, replacing one of that name."""
        now = datetime.now()
        self._db.execute(
            "INSERT INTO mapping_presets (name, kind, header_signature, mapping, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, "
            "header_signature = excluded.header_signature, mapping = excluded.mapping, "
            "updated_at = excluded.updated_at",
            [name, kind, header_signature, json.dumps(dict(mapping), ensure_ascii=False), now, now],
        )
        audit.record(self._db, "preset", {"name": name, "kind": kind})

    @_serialised
    def presets(self, kind: str | None = None) -> list[Preset]:
        """Saved presets (of one kind), most recently updated first."""
        rows = self._db.execute(
            "SELECT name, kind, header_signature, mapping FROM mapping_presets "
            "WHERE ? IS NULL OR kind = ? ORDER BY updated_at DESC, name",
            [kind, kind],
        ).fetchall()
        return [Preset(name, kind_, signature, json.loads(mapping)) for name, kind_, signature, mapping in rows]

    @_serialised
    def delete_preset(self, name: str) -> None:
        self._db.execute("DELETE FROM mapping_presets WHERE name = ?", [name])
        audit.record(self._db, "preset_deleted", {"name": name})

    @_serialised
    def audit(self, action: str, **detail: Any) -> None:
        """Record an action of a service (e.g. a program run approved, letters printed)."""
        audit.record(self._db, action, detail)

    @_serialised
    def audit_log(self, limit: int | None = None) -> pd.DataFrame:
        """The audit entries, newest first (`detail` is JSON text)."""
        sql = "SELECT audit_id, ts, actor, action, detail FROM audit_log ORDER BY audit_id DESC"
        return reads.fetch(self._db, sql + (" LIMIT ?" if limit is not None else ""), [limit] if limit else None)

    # -- backups ---------------------------------------------------------------------------------

    @_serialised
    def backup(self, reason: str) -> Path:
        """Copy the whole workspace into its backups folder now; keeps the newest `backups.KEEP`."""
        return self._take_backup(reason)

    def backups(self) -> list[backups.Backup]:
        """The backups of this workspace, newest first."""
        return backups.list_backups(self._path)

    @_serialised
    def restore(self, backup_path: str | Path) -> Path:
        """Replace the workspace by a backup of it; the state before is itself backed up (returned)."""
        source = Path(backup_path).resolve()
        if source == self._path:
            raise InvalidBackup(source, "開いているワークスペース自身です。")
        self._check_backup(source)
        safety = self._take_backup("before-restore")
        with self._file_closed():
            backups.copy_atomically(source, self._path)
        version = schema.current_version(self._db) or 0
        self._migrate(version)
        audit.record(self._db, "restore", {"from": source, "safety_backup": safety})
        return safety

    def _check_backup(self, source: Path) -> None:
        try:
            peek = connection.connect_read_only(source)
        except StoreError as exc:
            raise InvalidBackup(source, "dhdeskのワークスペースのバックアップではありません。") from exc
        try:
            version = schema.current_version(peek)
            number = connection.one(peek, "SELECT insurer_number FROM union_info") if version else None
        finally:
            peek.close()
        if not version or number is None:
            raise InvalidBackup(source, "dhdeskのワークスペースのバックアップではありません。")
        if version > len(self._migrations):
            raise InvalidBackup(source, "新しいバージョンのdhdeskで作られたファイルです。")
        if number[0] != self.union_info().insurer_number:
            raise InvalidBackup(source, f"別の保険者（保険者番号 {number[0]}）のワークスペースです。")

    def _take_backup(self, reason: str) -> Path:
        destination = backups.new_backup_path(self._path, reason, datetime.now())
        with self._file_closed():
            backups.copy_atomically(self._path, destination)
        backups.prune(self._path)
        audit.record(self._db, "backup", {"reason": reason, "path": destination})
        return destination

    def _file_closed(self) -> _ClosedFile:
        return _ClosedFile(self)

    # -- imports ---------------------------------------------------------------------------------

    @_serialised
    def import_batch(
        self,
        kind: str,
        source_name: str,
        source_sha256: str,
        frames: Mapping[str, pd.DataFrame],
        *,
        replace_scope: Mapping[str, object] | None = None,
        preset: str | None = None,
        note: str | Callable[[], str | None] | None = None,
        progress: ProgressFn = no_progress,
    ) -> int:
        """Import typed frames as one all-or-nothing batch; returns its batch_id.

        `kind` is members / checkups / claims / drug_master; `frames` is keyed by table (claims:
        receipts and optionally diagnoses, drug_lines, procedures, linked by receipt_id; drug_master
        frames carry `version_date`). Rows replace current rows with the same natural key (newer
        batch wins; undo brings them back). Raises `AlreadyImported` for the same kind and SHA-256,
        `ImportRejected` (nothing written) for rows the workspace cannot take, ValueError for frames
        that break the typed-frame contract, and lets `Cancelled` from `progress` through.
        """
        return imports.run_import(
            self._db, kind, source_name, source_sha256, frames,
            replace_scope=replace_scope, preset=preset, note=note, progress=progress,
        )

    @_serialised
    def undo_batch(self, batch_id: int) -> dict[str, int]:
        """Remove a batch's rows and bring back what it replaced (backup first); returns row counts."""
        imports.check_undoable(self._db, batch_id)
        self._take_backup(f"before-undo-{batch_id}")
        return imports.undo(self._db, batch_id)

    @_serialised
    def batches(self) -> pd.DataFrame:
        """Every import batch, oldest first, with its status (active / undone)."""
        return reads.fetch(self._db, "SELECT * FROM import_batches ORDER BY batch_id")

    # -- send history (発送履歴) -------------------------------------------------------------------

    @_serialised
    def record_notice_batch(
        self,
        run_id: int,
        program: str,
        params: Mapping[str, Any],
        template: Mapping[str, Any],
        notices: store_notices.NoticeParts,
        sent_date: date | None,
    ) -> int:
        """Record the letters printed from approved run `run_id` (one transaction); returns the batch_id."""
        return store_notices.record_batch(self._db, run_id, program, params, template, notices, sent_date)

    @_serialised
    def notice_batches(self, program: str | None = None) -> pd.DataFrame:
        """Every notice batch (of one program), newest first, with letter counts and sent date."""
        return store_notices.batches(self._db, program)

    @_serialised
    def notice_batch(self, batch_id: int) -> tuple[dict[str, Any], pd.DataFrame]:
        """A batch's row and its letters in list order, as printed (for exact reprints)."""
        return store_notices.batch(self._db, batch_id)

    @_serialised
    def notice_batch_row(self, batch_id: int) -> dict[str, Any]:
        """A batch's row (params and template parsed), without its letters."""
        return store_notices.batch_row(self._db, batch_id)

    @_serialised
    def notice_letters(self, batch_id: int, first_seq: int, last_seq: int) -> pd.DataFrame:
        """Letters `first_seq`…`last_seq` of a batch, as printed (a reprint reads a batch part by part)."""
        return store_notices.letters(self._db, batch_id, first_seq, last_seq)

    @_serialised
    def notice_batch_targets(self, batch_id: int) -> pd.DataFrame:
        """Everyone on the run behind a batch, with exclusion, holdout and whether they were sent."""
        return store_notices.batch_targets(self._db, batch_id)

    @_serialised
    def cancel_notice_batch(self, batch_id: int, note: str) -> None:
        """Mark a batch cancelled: kept with its letters, no longer counted as notified."""
        store_notices.cancel_batch(self._db, batch_id, note)

    @_serialised
    def set_notice_sent_date(self, batch_id: int, sent_date: date) -> None:
        """Set the day the batch's letters were sent."""
        store_notices.set_sent_date(self._db, batch_id, sent_date)

    # -- program runs (対象者抽出) -------------------------------------------------------------------

    @_serialised
    def save_run(self, target_list: TargetList) -> int:
        """Store a program's target list as a new draft run (excluded members included); returns its run_id."""
        return store_programs.save_run(self._db, target_list)

    @_serialised
    def runs(self, program: str | None = None) -> pd.DataFrame:
        """Every program run (of one program), newest first, with status and target/final/holdout counts."""
        return store_programs.runs(self._db, program)

    @_serialised
    def run(self, run_id: int) -> TargetList:
        """A saved run rebuilt as its TargetList, with the clerk's review and the approval applied."""
        return store_programs.load_run(self._db, run_id)

    @_serialised
    def set_exclusion(self, run_id: int, member_id: str, reason: str | None) -> None:
        """Exclude a member of a draft run by the clerk (`reason`), or re-include them (None)."""
        store_programs.set_exclusion(self._db, run_id, member_id, reason)

    @_serialised
    def approve_run(self, run_id: int, holdout_share: float = 0.0, seed: int | None = None) -> dict[str, int]:
        """Fix a draft run for mailing: random holdout, 利用券番号 (特定保健指導); returns counts."""
        return store_programs.approve_run(self._db, run_id, holdout_share, seed)

    @_serialised
    def discard_run(self, run_id: int) -> None:
        """Set a run aside (kept as discarded); refused once letters of it were issued."""
        store_programs.discard_run(self._db, run_id)

    @_serialised
    def notice_history(self, program: str | None = None) -> pd.DataFrame:
        """Notices sent: member_id, program, sent_date, batch_status (issued / cancelled)."""
        return store_programs.notice_history(self._db, program)

    @_serialised
    def drug_masters(self) -> pd.DataFrame:
        """Every loaded drug master version (DRUG_MASTER layout plus version_date), oldest first."""
        return store_programs.drug_masters(self._db)

    # -- reads -----------------------------------------------------------------------------------

    @_serialised
    def members(
        self, as_of: date | None = None, *, member_ids: Sequence[str] | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        """Current 資格期間 rows (all history), or with `as_of` only those in force that day."""
        return reads.members(self._db, as_of, reads.Selection(member_ids=member_ids, limit=limit))

    @_serialised
    def checkups(
        self, fiscal_year: int | None = None, *, member_ids: Sequence[str] | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        """Current checkups (one row per member and exam), optionally of one 年度."""
        return reads.checkups(self._db, reads.Selection(fiscal_year, member_ids=member_ids, limit=limit))

    @_serialised
    def receipts(
        self,
        fiscal_year: int | tuple[int, ...] | None = None,
        *,
        months: tuple[str, str] | None = None,
        member_ids: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        ordered: bool = True,
    ) -> pd.DataFrame:
        """Current receipts by 年度 (several: read one after another, rows in 年度 order), months ("yyyymm",
        "yyyymm") inclusive and/or members; in file order unless `ordered=False` (faster, for readers whose
        result does not depend on the order)."""
        return reads.receipts(self._db, reads.Selection(fiscal_year, months, member_ids, limit, ordered), columns)

    @_serialised
    def diagnoses(
        self,
        fiscal_year: int | tuple[int, ...] | None = None,
        *,
        months: tuple[str, str] | None = None,
        member_ids: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        ordered: bool = True,
    ) -> pd.DataFrame:
        """Current diagnoses with their receipt's member_id, service_month, claim_type, fiscal_year."""
        selection = reads.Selection(fiscal_year, months, member_ids, limit, ordered)
        return reads.details(self._db, "diagnoses", selection, columns)

    @_serialised
    def drug_lines(
        self,
        fiscal_year: int | tuple[int, ...] | None = None,
        *,
        months: tuple[str, str] | None = None,
        member_ids: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        ordered: bool = True,
    ) -> pd.DataFrame:
        """Current drug lines with their receipt's member_id, service_month, claim_type, fiscal_year.

        A whole 年度 of a large union is ~10M lines (seconds, GBs): read by months, or columns.
        """
        selection = reads.Selection(fiscal_year, months, member_ids, limit, ordered)
        return reads.details(self._db, "drug_lines", selection, columns)

    @_serialised
    def procedures(
        self,
        fiscal_year: int | None = None,
        *,
        months: tuple[str, str] | None = None,
        member_ids: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Current procedures with their receipt's member_id, service_month, claim_type, fiscal_year."""
        return reads.details(self._db, "procedures", reads.Selection(fiscal_year, months, member_ids, limit), columns)

    @_serialised
    def drug_master(self, as_of: date | None = None) -> pd.DataFrame:
        """The drug master in force on `as_of` (per product, newest version on or before it)."""
        return reads.drug_master(self._db, as_of)

    @_serialised
    def disease_master(self) -> pd.DataFrame:
        """The current 傷病名マスター: disease_code, disease_name, icd10, icd10_2, abolished_date."""
        return reads.disease_master(self._db)

    @_serialised
    def counts(self, as_of: date | None = None) -> dict[str, int]:
        """Dashboard counts: members_active, insured_active, dependants_active, members_total,
        checkups_fy<YYYY>, receipts_fy<YYYY>, drug_master_versions, batches_active."""
        return reads.counts(self._db, as_of or date.today())

    @_serialised
    def fiscal_years(self) -> list[int]:
        """Every 年度 with current checkups or receipts, ascending."""
        return reads.fiscal_years(self._db)


class _ClosedFile:
    """Context: checkpoint and close the DuckDB file, let the caller copy it, then reopen it.

    The process keeps its claim on the path meanwhile, so no other Workspace in this process can
    slip in; another process could in that moment, and then reopening reports WorkspaceLocked.
    """

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def __enter__(self) -> None:
        conn = self._workspace._db
        conn.execute("CHECKPOINT")
        conn.close()
        self._workspace._conn = None

    def __exit__(self, *exc_info: object) -> None:
        self._workspace._conn = connection.reconnect(self._workspace._path)
