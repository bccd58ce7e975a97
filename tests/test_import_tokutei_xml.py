"""Importing a 特定健診 XML archive into a workspace: each document tied to its member, all or nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from dhdesk.core.fields import MEMBERS
from dhdesk.core.union import UnionInfo
from dhdesk.io.office_files import write_canonical_csv
from dhdesk.services import imports, workspaces
from tokutei_xml_fixtures import archive_files, sample_frame, write_archive


def _roster(path, frame: pd.DataFrame):
    """The three people of the fixture under our own 加入者番号 (not the card's 番号)."""
    count = len(frame)
    roster = pd.DataFrame({
        "member_id": pd.array([f"M{n:07d}" for n in range(1, count + 1)], dtype="string"),
        "kigo": frame["insured_kigo"].to_numpy(), "bango": frame["insured_bango"].to_numpy(),
        "edaban": frame["insured_edaban"].to_numpy(), "name": pd.array(["健診 太郎"] * count, dtype="string"),
        "sex": frame["sex"].to_numpy(), "birth_date": frame["birth_date"].to_numpy(),
        "relation": pd.array([1] * count, dtype="Int8"),
        "acquired_date": pd.Series(pd.Timestamp("2000-04-01"), index=range(count)),
    })
    write_canonical_csv(roster, MEMBERS, path)
    return path


@pytest.fixture
def workspace(tmp_path):
    with workspaces.create_workspace(tmp_path / "xml", UnionInfo("テスト共済組合", "32239014")) as ws:
        yield ws


@pytest.mark.parametrize("zipped", [True, False])
def test_archive_imports_under_our_member_ids(workspace, tmp_path, zipped):
    frame = sample_frame()
    assert imports.import_file(workspace, _roster(tmp_path / "台帳.csv", frame), "members").accepted
    (tmp_path / "in").mkdir()
    archive = write_archive(archive_files(frame), tmp_path / "in", zipped=zipped)
    result = imports.import_file(workspace, archive, "checkups")
    assert result.accepted, result.message
    stored = workspace.checkups().sort_values("member_id").reset_index(drop=True)
    assert stored["member_id"].tolist() == ["M0000001", "M0000002", "M0000003"]
    assert stored.loc[0, "tg_fasting"] == 150.0 and stored.loc[1, "tg_random"] == 210.0
    assert stored.loc[0, "clinic_level"] == "2"


def test_a_document_of_an_unknown_member_refuses_the_archive(workspace, tmp_path):
    frame = sample_frame()
    assert imports.import_file(workspace, _roster(tmp_path / "台帳.csv", frame.iloc[:2]), "members").accepted
    (tmp_path / "in").mkdir()
    archive = write_archive(archive_files(frame), tmp_path / "in", zipped=True)
    result = imports.import_file(workspace, archive, "checkups")
    assert not result.accepted
    unmatched = [i for i in result.issues if i.code == "xml.member_unmatched"]
    assert len(unmatched) == 1 and "番号 0099" in unmatched[0].message
    assert workspace.checkups().empty


def test_the_clinics_own_judgement_is_compared_with_ours(workspace, tmp_path):
    from dhdesk.services import stratification

    frame = sample_frame()
    assert imports.import_file(workspace, _roster(tmp_path / "台帳.csv", frame), "members").accepted
    (tmp_path / "in").mkdir()
    assert imports.import_file(workspace, write_archive(archive_files(frame), tmp_path / "in"), "checkups").accepted
    result = stratification.stratify_workspace(workspace, 2024)
    table = result.table.set_index("member_id")
    # The fixture's clinic coded 動機付け支援 / 予備群該当 for both people it judged; the first answers 服薬 はい
    # to some questions (so 情報提供) and has 3 メタボ risks (基準該当).
    assert table.loc["M0000001", "clinic_difference"] == (
        "保健指導レベル: 健診機関 動機付け支援 ≠ dhdesk 情報提供; メタボ判定: 健診機関 予備群該当 ≠ dhdesk 基準該当"
    )
    assert table.loc["M0000003", "clinic_difference"] == ""  # the clinic gave no judgement
    assert "健診機関の判定との違い: 保健指導レベル" in result.explain("M0000001")


def test_valid_rows_only_leaves_out_the_documents_with_errors(workspace, tmp_path):
    frame = sample_frame()
    assert imports.import_file(workspace, _roster(tmp_path / "台帳.csv", frame.iloc[:2]), "members").accepted
    frame.loc[1, "height"] = 300.0
    (tmp_path / "in").mkdir()
    archive = write_archive(archive_files(frame), tmp_path / "in", zipped=True)
    refused = imports.import_file(workspace, archive, "checkups")
    impossible = [i for i in refused.issues if i.code == "check.impossible"]
    assert not refused.accepted and [(i.source, i.row, i.column) for i in impossible] == [
        (frame.loc[1, "source_file"], None, "身長")]
    result = imports.import_file(workspace, archive, "checkups", valid_rows_only=True)
    assert result.accepted and result.rows == 1 and result.skipped == 2
    assert workspace.checkups()["member_id"].tolist() == ["M0000001"]
