"""Claims imported in chunks stay all-or-nothing: an error in a late chunk writes nothing, "valid rows
only" leaves out just that line, and a clean folder arrives whole (chunks of 50 rows here)."""

from __future__ import annotations

import functools
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.fields import DRUG_LINES, MEMBERS
from dhdesk.core.synthetic import generate_union
from dhdesk.core.union import UnionInfo
from dhdesk.io import canonical
from dhdesk.io.office_files import CLAIM_FILES, write_canonical_csv, write_claims_csv
from dhdesk.services import imports, workspaces

TODAY = date(2026, 11, 1)


@pytest.fixture(scope="module")
def union():
    return generate_union(members=120, seed=3, fiscal_years=(2025,))


@pytest.fixture
def workspace(tmp_path, union, monkeypatch):
    monkeypatch.setattr(imports, "read_canonical_chunks", functools.partial(canonical.read_canonical_chunks,
                                                                            chunk_rows=50))
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "32239014")) as ws:
        roster = tmp_path / "台帳.csv"
        write_canonical_csv(union.members, MEMBERS, roster)
        assert imports.import_file(ws, roster, "members", today=TODAY).accepted
        yield ws


@pytest.fixture
def claims(tmp_path, union):
    folder = tmp_path / "レセプト"
    write_claims_csv(union.receipts, union.diagnoses, union.drug_lines, union.procedures, folder)
    return folder


def _break_last_drug_line(folder) -> None:
    path = folder / CLAIM_FILES["drug_lines"][1]
    table = pd.read_csv(path, encoding="cp932", dtype=str, keep_default_na=False)
    table.iloc[-1, table.columns.get_loc(DRUG_LINES.field("quantity").label)] = "たくさん"
    table.to_csv(path, encoding="cp932", index=False)


def test_a_clean_folder_arrives_whole_across_many_chunks(workspace, claims, union):
    assert len(union.drug_lines) > 200  # several chunks
    result = imports.import_file(workspace, claims, "claims", today=TODAY)
    assert result.accepted, result.message
    assert len(workspace.receipts()) == len(union.receipts)
    assert len(workspace.drug_lines()) == len(union.drug_lines)
    assert len(workspace.diagnoses()) == len(union.diagnoses)


def test_an_error_in_the_last_chunk_writes_nothing(workspace, claims):
    _break_last_drug_line(claims)
    result = imports.import_file(workspace, claims, "claims", today=TODAY)
    assert not result.accepted
    assert [(i.column, i.value) for i in result.issues if i.severity.value == "エラー"] == [("使用量", "たくさん")]
    assert workspace.receipts().empty and workspace.drug_lines().empty and workspace.diagnoses().empty


def test_valid_rows_only_leaves_out_just_the_broken_line(workspace, claims, union):
    _break_last_drug_line(claims)
    result = imports.import_file(workspace, claims, "claims", today=TODAY, valid_rows_only=True)
    assert result.accepted and result.skipped == 1
    assert len(workspace.drug_lines()) == len(union.drug_lines) - 1
    assert len(workspace.receipts()) == len(union.receipts)
    assert workspace.batches().iloc[-1]["note"] == "エラーのある 1 行を除いて取込"
