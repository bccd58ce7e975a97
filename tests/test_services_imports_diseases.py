"""Importing the 傷病名マスター: レセ電 diagnoses get their ICD-10, whichever comes first; undo takes it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhdesk.core.union import UnionInfo
from dhdesk.services import imports, workspaces
from test_disease_master import b_row, write_b
from test_import_uke import UKE, _roster_of_the_sample_patients

pytestmark = pytest.mark.skipif(not UKE.exists(), reason="shared reference data not available")
MASTER_ROWS = (b_row("2500013", "糖尿病", "E149"), b_row("8848176", "高血圧症", "I10"),
               b_row("0000999", "未コード化傷病名"))
"""Codes the sample UKE uses: 2500013 and 8848176 map to ICD-10, 0000999 (uncoded) has none."""


@pytest.fixture
def workspace(tmp_path):
    with workspaces.create_workspace(tmp_path / "ws", UnionInfo("テスト共済組合", "01010016")) as ws:
        assert imports.import_file(ws, _roster_of_the_sample_patients(tmp_path / "台帳.csv"), "members").accepted
        yield ws


def _import_uke(workspace) -> None:
    result = imports.import_file(workspace, UKE, "claims", valid_rows_only=True)  # 公費単独 receipts left out
    assert result.accepted, result.message


def _icd10_by_code(workspace) -> dict[str, set]:
    diagnoses = workspace.diagnoses()
    return {code: set(group["icd10"].dropna()) for code, group in diagnoses.groupby("disease_code")}


def test_master_after_claims_fills_the_blank_icd10_and_says_how_many(workspace, tmp_path):
    _import_uke(workspace)
    assert workspace.diagnoses()["icd10"].isna().all()  # レセ電 SY records carry no ICD-10
    result = imports.import_file(workspace, write_b(tmp_path / "b_ALL20240601.csv", *MASTER_ROWS), "diseases")
    assert result.accepted, result.message
    filled = workspace.diagnoses()["disease_code"].isin(["2500013", "8848176"]).sum()
    assert filled > 0 and f"{filled:,} 件に ICD-10 を補いました" in result.message
    by_code = _icd10_by_code(workspace)
    assert by_code["2500013"] == {"E14.9"} and by_code["8848176"] == {"I10"} and by_code["0000999"] == set()


def test_master_before_claims_gives_their_diagnoses_icd10_and_names(workspace, tmp_path):
    assert imports.import_file(workspace, write_b(tmp_path / "b_ALL.csv", *MASTER_ROWS), "diseases").accepted
    _import_uke(workspace)
    diagnoses = workspace.diagnoses()
    assert _icd10_by_code(workspace)["2500013"] == {"E14.9"}
    assert set(diagnoses.loc[diagnoses["disease_code"] == "8848176", "disease_name"]) == {"高血圧症"}
    assert "テスト" in set(diagnoses.loc[diagnoses["disease_code"] == "0000999", "disease_name"])  # file's name kept


def test_undoing_the_master_blanks_what_it_filled_and_the_previous_master_comes_back(workspace, tmp_path):
    _import_uke(workspace)
    old = imports.import_file(workspace, write_b(tmp_path / "b_old.csv", b_row("2500013", "糖尿病", "E14")),
                              "diseases")
    new = imports.import_file(workspace, write_b(tmp_path / "b_new.csv", *MASTER_ROWS), "diseases")
    assert old.accepted and new.accepted
    assert _icd10_by_code(workspace)["2500013"] == {"E14"}  # only blanks are filled: the older master's code stays
    assert imports.undo_import(workspace, old.batch_id).undone
    assert _icd10_by_code(workspace)["2500013"] == {"E14.9"}  # refilled from the master still current
    assert imports.undo_import(workspace, new.batch_id).undone
    assert workspace.diagnoses()["icd10"].isna().all() and workspace.disease_master().empty


def test_the_same_master_twice_is_refused_and_a_resend_changes_nothing(workspace, tmp_path):
    _import_uke(workspace)
    path = write_b(tmp_path / "b_ALL.csv", *MASTER_ROWS)
    assert imports.import_file(workspace, path, "diseases").accepted
    before = workspace.diagnoses()
    again = imports.import_file(workspace, path, "diseases")
    assert not again.accepted and "取込" in again.message
    resend = imports.import_file(workspace, write_b(tmp_path / "b_ALL_resend.csv", *MASTER_ROWS[::-1]), "diseases")
    assert resend.accepted and "ICD-10 を補いました" not in resend.message
    assert workspace.diagnoses()["icd10"].equals(before["icd10"])
    assert len(workspace.disease_master()) == len(MASTER_ROWS)


def test_a_file_with_a_bad_row_imports_nothing_unless_valid_rows_only(workspace, tmp_path):
    path = write_b(tmp_path / "b_bad.csv", *MASTER_ROWS, b_row("123", "壊れた行", "I10"))
    refused = imports.import_file(workspace, path, "diseases")
    assert not refused.accepted and workspace.disease_master().empty
    kept = imports.import_file(workspace, path, "diseases", valid_rows_only=True)
    assert kept.accepted and kept.skipped == 1 and len(workspace.disease_master()) == 3


def test_kind_is_detected_and_listed(workspace, tmp_path):
    path = write_b(tmp_path / "b_ALL20240601.csv", *MASTER_ROWS)
    assert imports.kind_of(workspace, Path(path)) == "diseases"
    assert imports.KINDS["diseases"] == "傷病名マスター"
    assert imports.import_history(workspace).iloc[0]["種類"] == "加入者台帳"
    imports.import_file(workspace, path, "diseases")
    assert imports.import_history(workspace).iloc[0]["種類"] == "傷病名マスター"
