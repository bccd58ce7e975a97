"""Importing a real-format レセ電 file into a workspace: tied to the roster, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dhdesk.core.fields import MEMBERS
from dhdesk.core.union import UnionInfo
from dhdesk.io.office_files import write_canonical_csv
from dhdesk.io.uke import read_uke
from dhdesk.services import imports, workspaces

UKE = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "uke" / "RECEIPTC_GAIRAI_SAMPLE.UKE"
pytestmark = pytest.mark.skipif(not UKE.exists(), reason="shared reference data not available")


def _roster_of_the_sample_patients(path: Path) -> Path:
    """A roster holding every patient of the sample (記号・番号・生年月日・性別 as the UKE names them)."""
    frames, _ = read_uke(UKE)
    patients = frames["receipts"].drop_duplicates(["insured_kigo", "insured_bango", "patient_birth_date", "patient_sex"])
    patients = patients.dropna(subset=["insured_bango", "patient_birth_date", "patient_sex"])
    count = len(patients)
    roster = pd.DataFrame({
        "member_id": pd.array([f"{n:08d}" for n in range(1, count + 1)], dtype="string"),
        "kigo": patients["insured_kigo"].to_numpy(), "bango": patients["insured_bango"].to_numpy(),
        "name": patients["patient_name"].fillna("テスト").to_numpy(),
        "sex": patients["patient_sex"].to_numpy(), "birth_date": patients["patient_birth_date"].to_numpy(),
        "relation": pd.array([1] * count, dtype="Int8"),
        "acquired_date": pd.Series(pd.Timestamp("2000-04-01"), index=range(count)),
    })
    write_canonical_csv(roster, MEMBERS, path)
    return path


@pytest.fixture
def workspace(tmp_path):
    with workspaces.create_workspace(tmp_path / "uke", UnionInfo("テスト共済組合", "01010016")) as ws:
        yield ws


def test_without_the_roster_the_file_is_refused_and_nothing_is_written(workspace):
    result = imports.import_file(workspace, UKE, "claims")
    assert not result.accepted
    assert any(i.code == "uke.unmatched_receipts" for i in result.issues)
    assert workspace.receipts().empty


def _insured_receipts_only(path: Path) -> Path:
    """The sample without its 公費単独 receipts (no HO record, so no 記号・番号 to find the member by)."""
    lines = UKE.read_bytes().decode("cp932").split("\r\n")
    kept, block = [], []
    for line in lines:
        if line.startswith(("RE,", "GO,")) and block:
            kept += block if any(b.startswith("HO,") for b in block) else []
            block = []
        (block if line.startswith("RE,") or block else kept).append(line)
    kept += block
    path.write_bytes("\r\n".join(kept).encode("cp932"))
    return path


def test_public_expense_only_receipts_cannot_be_tied_to_a_member(workspace, tmp_path):
    imports.import_file(workspace, _roster_of_the_sample_patients(tmp_path / "台帳.csv"), "members")
    result = imports.import_file(workspace, UKE, "claims")
    assert not result.accepted
    assert "6 件のレセプトの受診者が加入者台帳に見つかりません" in " ".join(i.message for i in result.issues)
    assert workspace.receipts().empty


def test_with_the_roster_every_receipt_is_imported_with_its_points(workspace, tmp_path):
    roster = imports.import_file(workspace, _roster_of_the_sample_patients(tmp_path / "台帳.csv"), "members")
    assert roster.accepted, roster.message
    uke = _insured_receipts_only(tmp_path / "insured.UKE")
    result = imports.import_file(workspace, uke, "claims")
    assert result.accepted, result.message
    frames, _ = read_uke(uke)
    stored = workspace.receipts()
    assert len(stored) == len(frames["receipts"]) == 69
    assert int(stored["points"].sum()) == int(frames["receipts"]["points"].sum())
    assert len(workspace.drug_lines()) == len(frames["drug_lines"]) > 0
    assert imports.import_file(workspace, uke, "claims").accepted is False  # the same file twice


def test_valid_rows_only_imports_the_receipts_tied_to_a_member(workspace, tmp_path):
    imports.import_file(workspace, _roster_of_the_sample_patients(tmp_path / "台帳.csv"), "members")
    result = imports.import_file(workspace, UKE, "claims", valid_rows_only=True)
    assert result.accepted, result.message
    assert result.skipped == 6 and len(workspace.receipts()) == 69
    assert workspace.batches().iloc[-1]["note"] == "エラーのある 6 行を除いて取込"
