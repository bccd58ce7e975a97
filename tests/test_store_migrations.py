"""Schema v1 matches fields.py; migrations back up first, bump the version, and fail without a trace."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from dhdesk.core.fields import LAYOUTS, Kind
from dhdesk.core.union import UnionInfo
from dhdesk.store import schema
from dhdesk.store.errors import MigrationFailed, WorkspaceTooNew
from dhdesk.store.imports import MANAGED_COLUMNS
from dhdesk.store.workspace import Workspace

UNION = UnionInfo("テスト共済組合", "31130001")
LATEST = len(schema.bundled_migrations())
SQL_TYPE = {Kind.TEXT: "VARCHAR", Kind.DATE: "DATE", Kind.NUMBER: "DOUBLE", Kind.INTEGER: "BIGINT",
            Kind.SEX: "SMALLINT", Kind.ANSWER: "SMALLINT"}
STORE_ONLY = {"drug_master": {"version_date"}}


def expected_type(field):
    if field.kind is Kind.CODE:
        return "SMALLINT" if field.choices else "VARCHAR"
    return SQL_TYPE[field.kind]


@pytest.fixture(scope="module")
def v1():
    conn = duckdb.connect()
    for step in schema.bundled_migrations():
        schema.apply(conn, step, "test")
    yield conn
    conn.close()


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=lambda layout: layout.key)
def test_schema_has_every_field_with_its_type_and_required_flag(v1, layout):
    columns = {
        name: (data_type, nullable)
        for name, data_type, nullable in v1.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = ?", [layout.key]
        ).fetchall()
    }
    for field in layout.fields:
        assert field.name in columns, f"{layout.key}.{field.name} missing: fields.py changed, add a migration"
        data_type, nullable = columns[field.name]
        assert data_type == expected_type(field), f"{layout.key}.{field.name}"
        assert nullable is not field.required, f"{layout.key}.{field.name} NOT NULL must follow `required`"
    extra = set(columns) - set(layout.names) - MANAGED_COLUMNS - STORE_ONLY.get(layout.key, set())
    assert not extra, f"{layout.key} has columns fields.py does not know: {extra}"


def test_schema_has_room_for_programs_notices_and_presets(v1):
    tables = {name for (name,) in v1.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"meta", "union_info", "settings", "import_batches", "program_runs", "program_targets",
            "notice_batches", "notices", "audit_log", "mapping_presets"} <= tables
    assert v1.execute("SELECT schema_version FROM meta").fetchall() == [(LATEST,)]


def test_choice_codes_are_checked_by_the_schema(v1):
    v1.execute("BEGIN")
    with pytest.raises(duckdb.ConstraintException):
        v1.execute(
            "INSERT INTO checkups (checkup_id, fiscal_year, member_id, sex, birth_date, exam_date, smoking, batch_id) "
            "VALUES (1, 2024, '1', 1, DATE '1970-01-01', DATE '2024-06-01', 4, 1)"
        )
    v1.execute("ROLLBACK")


def write_migrations(folder, *extra):
    """The bundled migrations plus `extra` (file name, SQL) steps in `folder`."""
    folder.mkdir()
    for step in schema.bundled_migrations():
        (folder / f"{step.version:04d}_{step.name}.sql").write_text(step.sql, encoding="utf-8")
    for name, sql in extra:
        (folder / name).write_text(sql, encoding="utf-8")
    return schema.load_migrations(folder)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pending_migration_is_backed_up_then_applied(tmp_path):
    path = tmp_path / "union.dhdesk"
    Workspace.create(path, UNION).close()
    steps = write_migrations(
        tmp_path / "m", (f"{LATEST + 1:04d}_guidance.sql", "CREATE TABLE guidance (member_id VARCHAR NOT NULL);")
    )
    with Workspace.open(path, migrations=steps) as ws:
        assert ws.schema_version == LATEST + 1
        backups = ws.backups()
        assert [b.reason for b in backups] == [f"before-migration-v{LATEST + 1}"]
        assert ws.audit_log(limit=1)["action"].tolist() == ["migrate"]
    with Workspace.open(backups[0].path) as before:
        assert before.schema_version == LATEST
    with Workspace.open(path, migrations=steps) as again:
        assert again.schema_version == LATEST + 1 and len(again.backups()) == 1


def test_failing_migration_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "union.dhdesk"
    Workspace.create(path, UNION).close()
    original = sha256(path)
    broken = write_migrations(
        tmp_path / "m", (f"{LATEST + 1:04d}_broken.sql", "CREATE TABLE half_done (x INTEGER);\nSELECT * FROM no_such_table;")
    )
    with pytest.raises(MigrationFailed) as raised:
        Workspace.open(path, migrations=broken)
    assert "ファイルは変更していません" in raised.value.message
    assert sha256(path) == original
    assert sha256(raised.value.backup) == original
    with Workspace.open(path) as ws:
        assert ws.schema_version == LATEST
        tables = ws.audit_log()["action"].tolist()
        assert "migrate" not in tables


def test_a_newer_workspace_is_refused_not_downgraded(tmp_path):
    path = tmp_path / "union.dhdesk"
    steps = write_migrations(tmp_path / "m", (f"{LATEST + 1:04d}_later.sql", "CREATE TABLE later (x INTEGER);"))
    Workspace.create(path, UNION, migrations=steps).close()
    before = sha256(path)
    with pytest.raises(WorkspaceTooNew) as raised:
        Workspace.open(path)
    assert "dhdeskを更新してから" in raised.value.message and raised.value.version == LATEST + 1
    assert sha256(path) == before


def test_migration_numbers_must_not_have_gaps(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("SELECT 1;", encoding="utf-8")
    (folder / "0003_c.sql").write_text("SELECT 1;", encoding="utf-8")
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    with pytest.raises(ValueError, match="without gaps"):
        schema.load_migrations(folder)


def test_a_version_1_workspace_gains_the_disease_master_and_keeps_its_imports(tmp_path):
    path = tmp_path / "union.dhdesk"
    first = schema.bundled_migrations()[:1]
    with Workspace.create(path, UNION, migrations=first) as old:
        old._db.execute("INSERT INTO import_batches VALUES (1, 'members', '台帳.csv', 'x', now(), 3, 0, '{}', "
                        "'active', NULL, NULL, NULL)")
    with Workspace.open(path) as ws:
        assert ws.schema_version == 2 and [b.reason for b in ws.backups()] == ["before-migration-v2"]
        assert ws.batches()["source_name"].tolist() == ["台帳.csv"]
        ws._db.execute("INSERT INTO import_batches VALUES (2, 'disease_master', 'b_ALL.csv', 'y', now(), 0, 0, "
                       "'{}', 'active', NULL, NULL, NULL)")
        assert ws.disease_master().empty
        with pytest.raises(duckdb.ConstraintException):
            ws._db.execute("INSERT INTO import_batches VALUES (3, 'bogus', 'z', 'z', now(), 0, 0, '{}', 'active', "
                           "NULL, NULL, NULL)")
