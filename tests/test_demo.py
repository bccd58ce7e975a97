"""The demo's inbox: one clinic-month of 医科 claims arrives as a レセ電 file, its codes resolved by the masters."""

from __future__ import annotations

import pytest

from dhdesk.core.synthetic import generate_union
from dhdesk.core.synthetic.reference import read_resource
from dhdesk.io.uke import read_uke
from dhdesk.services import demo
from dhdesk.store.workspace import Workspace

MEMBERS, SEED = 300, 5


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return demo.build_demo(tmp_path_factory.mktemp("demo"), members=MEMBERS, seed=SEED)


def uke_receipts(path):
    """The RE records of a UKE file: (レセプト番号, 合計点数 of the HO after it)."""
    lines = [line.split(",") for line in path.read_bytes().decode("cp932").split("\r\n")]
    return [(re_[1], int(ho[5])) for re_, ho in zip(lines, lines[1:], strict=False) if re_[0] == "RE"]


def medical_uke(built):
    return next((built.workspace_path.parent / demo.RECEIVED / "レセプト").glob("医科_*.UKE"))


def test_the_inbox_holds_a_medical_and_a_pharmacy_uke_file_beside_the_vendor_csv(built):
    folder = built.workspace_path.parent / demo.RECEIVED / "レセプト"
    ukes = sorted(folder.glob("*.UKE"))
    assert [path.name[:3] for path in ukes] == ["医科_", "調剤_"] and all(path in built.files for path in ukes)
    assert (folder / "レセプト.csv").exists()
    assert all(uke_receipts(path) for path in ukes)
    assert ukes[1].read_bytes().decode("cp932").startswith("YK,")


def test_pharmacy_uke_drug_lines_arrive_per_dispensing_as_the_vendor_csv_would_have_them(built):
    union = generate_union(members=MEMBERS, seed=SEED)
    uke = next((built.workspace_path.parent / demo.RECEIVED / "レセプト").glob("調剤_*.UKE"))
    prefix = read_uke(uke)[0]["receipts"]["receipt_id"].iloc[0].rsplit(":", 1)[0]
    with Workspace.open(built.workspace_path) as workspace:
        lines = workspace.drug_lines()
        pharmacy = workspace.receipts(columns=["receipt_id", "facility_code"]).set_index("receipt_id")
    from_uke = lines[lines["receipt_id"].str.startswith(f"{prefix}:")]
    assert len(from_uke) and (from_uke["claim_type"] == 5).all() and from_uke["yj_code"].notna().all()
    key = ["member_id", "dispensed_date", "drug_code", "quantity", "days"]
    facility = pharmacy.loc[from_uke["receipt_id"].iloc[0], "facility_code"]
    receipts = union.receipts[(union.receipts["claim_type"] == 5) & (union.receipts["facility_code"] == facility[3:])
                              & (union.receipts["service_month"] == from_uke["service_month"].iloc[0])]
    sent = union.drug_lines[union.drug_lines["receipt_id"].isin(receipts["receipt_id"])]
    sent = sent.assign(member_id=sent["receipt_id"].map(receipts.set_index("receipt_id")["member_id"]))
    assert sorted(from_uke[key].astype(str).to_numpy().tolist()) == sorted(sent[key].astype(str).to_numpy().tolist())


def test_every_receipt_is_in_the_workspace_once(built):
    union = generate_union(members=MEMBERS, seed=SEED)
    uke = medical_uke(built)
    written = uke_receipts(uke)
    with Workspace.open(built.workspace_path) as workspace:
        receipts = workspace.receipts()
        lines = {key: len(getattr(workspace, key)()) for key in ("diagnoses", "drug_lines", "procedures")}
    assert len(receipts) == len(union.receipts) and receipts["receipt_id"].is_unique
    assert receipts["points"].sum() == union.receipts["points"].sum()
    assert lines == {key: len(getattr(union, key)) for key in lines}
    prefix = read_uke(uke)[0]["receipts"]["receipt_id"].iloc[0].rsplit(":", 1)[0]  # 医療機関コード-請求年月
    from_uke = receipts[receipts["receipt_id"].str.startswith(f"{prefix}:")]
    assert from_uke["receipt_id"].tolist() == [f"{prefix}:{number}" for number, _ in written]
    assert from_uke["points"].tolist() == [points for _, points in written]
    assert from_uke["member_id"].notna().all()
    clinic_month = receipts[(receipts["facility_code"] == from_uke["facility_code"].iloc[0])
                            & (receipts["service_month"] == from_uke["service_month"].iloc[0])
                            & receipts["claim_type"].isin([1, 2])]
    assert clinic_month["receipt_id"].tolist() == from_uke["receipt_id"].tolist()


def test_facility_codes_are_the_ten_digit_codes_the_uke_reader_gives(built):
    with Workspace.open(built.workspace_path) as workspace:
        codes = workspace.receipts(columns=["facility_code", "claim_type"])
    assert codes["facility_code"].str.fullmatch(r"23[0-9]{8}").all()  # 都道府県 23 = the union's 愛知
    table = codes["claim_type"].astype(int).map({4: "3", 5: "4"}).fillna("1")  # 点数表: 歯科 3, 調剤 4, else 医科 1
    assert codes["facility_code"].str[2].tolist() == table.tolist()


def test_uke_drug_lines_get_their_yj_code_from_the_drug_master(built):
    uke = medical_uke(built)
    prefix = read_uke(uke)[0]["receipts"]["receipt_id"].iloc[0].rsplit(":", 1)[0]
    with Workspace.open(built.workspace_path) as workspace:
        lines = workspace.drug_lines()
    from_uke = lines[lines["receipt_id"].str.startswith(f"{prefix}:")]
    assert len(from_uke) and from_uke["yj_code"].notna().all() and from_uke["drug_name"].notna().all()


def test_uke_diagnoses_get_their_icd10_from_the_disease_master_excerpt(built):
    inbox = built.workspace_path.parent / demo.RECEIVED
    master = inbox / demo.DISEASE_MASTER
    uke = medical_uke(built)
    assert built.files.index(master) < built.files.index(uke)  # imported before the claims
    catalogue = read_resource("diseases.csv")
    coded = catalogue[catalogue["disease_code"] != ""].set_index("disease_code")["icd10"]
    prefix = read_uke(uke)[0]["receipts"]["receipt_id"].iloc[0].rsplit(":", 1)[0]
    with Workspace.open(built.workspace_path) as workspace:
        diagnoses = workspace.diagnoses()
        assert set(workspace.disease_master()["disease_code"]) == set(coded.index)
    from_uke = diagnoses[diagnoses["receipt_id"].str.startswith(f"{prefix}:")]
    with_code = from_uke[from_uke["disease_code"].isin(coded.index)]
    assert len(with_code) and (with_code["icd10"] == with_code["disease_code"].map(coded)).all()
