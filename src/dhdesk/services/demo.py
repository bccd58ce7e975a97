"""Use case `dhdesk demo` / 「サンプルデータで試す」: a fictitious union, end to end, through the real paths.

The synthetic union is written out as the files an office receives, and those files — not the
generated frames — are imported, so the demo exercises exactly what a clerk's files go through.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.progress import Cancelled, ProgressFn, no_progress, wrap_progress
from dhdesk.core.synthetic import SyntheticUnion, generate_union
from dhdesk.core.synthetic.reference import load_reference
from dhdesk.io import office_files, tokutei_xml_writer, uke_writer
from dhdesk.io.tokutei_xml import INSURED_COLUMNS
from dhdesk.services import imports, stratification
from dhdesk.store.workspace import Workspace

WORKSPACE_NAME = "demo.dhdesk"
RECEIVED = "受信ファイル"
OUTPUTS = "出力"
DISEASE_MASTER = "傷病名マスター/b_ALL_demo.csv"
"""Where the inbox holds the 傷病名マスター excerpt (see `_write_disease_master`)."""
DEMO_SETTING = "demo"
PUBLIC_PAYER = "21230008"
"""公費負担者番号 of the demo's 自立支援医療(精神通院): 法別21, 愛知23, 実施機関000, 検証番号8 (fictitious)."""
_POINT_TABLES = {4: "3", 5: "4"}
"""点数表 of the 医療機関コード by claim_type: 歯科 3, 調剤 4; 医科 and DPC are 1."""
_UKE_FILES = ((1, 2), (5,))
"""The レセ電 files of the inbox: one 医科 (入院・入院外; DPC has its own records) and one 調剤 clinic-month."""


class DemoError(RuntimeError):
    """The demo could not be built (a message for the clerk, or a bug in a reader it exposed)."""


@dataclass(frozen=True)
class DemoResult:
    """Where the demo left its workspace, the received files and the outputs."""

    workspace_path: Path
    files: list[Path]
    outputs: list[Path]
    members: int
    summary: str


def build_demo(
    out_dir: Path, *, members: int = 3000, seed: int = 20241, progress: ProgressFn = no_progress
) -> DemoResult:
    """Generate, write, import and stratify a demo union in `out_dir`; the workspace is left closed.

    A previous demo workspace in the folder is replaced (a backup copy is kept); any other file of
    that name is refused. Cancelling leaves the folder's workspace as it was.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / WORKSPACE_NAME
    _refuse_foreign_workspace(target)

    union = generate_union(members=members, seed=seed, progress=wrap_progress(progress, 0.0, 0.3))
    received = write_received_files(union, out_dir / RECEIVED, wrap_progress(progress, 0.3, 0.45))

    building = out_dir / f".{WORKSPACE_NAME}.building"
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        with Workspace.create(building, union.union_info) as workspace:
            workspace.set_setting(DEMO_SETTING, {"seed": seed, "members": members})
            _import_all(workspace, received, wrap_progress(progress, 0.45, 0.85))
            outputs = _write_outputs(workspace, out_dir / OUTPUTS, wrap_progress(progress, 0.85, 1.0))
    except BaseException:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    _replace(target, building)
    progress(1.0, "サンプル組合の準備ができました")
    people = int(union.members["member_id"].nunique())
    summary = (
        f"サンプル組合「{union.union_info.name}」（加入者 {people:,} 人）を作成しました。\n"
        f"ワークスペース: {target}\n受信ファイル: {out_dir / RECEIVED}\n出力: {out_dir / OUTPUTS}"
    )
    return DemoResult(target, [path for _, path in received], outputs, people, summary)


def _refuse_foreign_workspace(target: Path) -> None:
    if not target.exists():
        return
    try:
        with Workspace.open(target) as existing:
            is_demo = existing.get_setting(DEMO_SETTING) is not None
    except Exception as error:
        raise DemoError(f"{target} を開けないため、サンプルを作り直せません: {error}") from error
    if not is_demo:
        raise DemoError(f"{target} はサンプルではないワークスペースです。別の出力フォルダを指定してください。")


def _replace(target: Path, building: Path) -> None:
    """Put the new demo in place; the previous demo workspace is kept as a backup of itself."""
    if target.exists():
        with Workspace.open(target) as previous:
            previous.backup("before-demo-rebuild")
    building.replace(target)


def write_received_files(
    union: SyntheticUnion, folder: Path, progress: ProgressFn = no_progress
) -> list[tuple[str, Path]]:
    """The office's inbox: roster, each clinic's files per 年度 (one as a 特定健診 XML archive), the MHLW
    drug list, a 傷病名マスター excerpt, and claims (the vendor CSV, and one 医科 clinic-month and one 調剤
    pharmacy-month as レセ電 files instead); listed in the order they are imported."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    progress(0.0, "加入者台帳を書き出しています")
    roster = folder / "加入者台帳.csv"
    office_files.write_roster_csv(union.members, roster)
    files = [("members", roster)]
    progress(0.2, "健診結果を書き出しています")
    in_xml = _delivered_as_xml(union.checkups)
    clinic_files, _ = office_files.write_clinic_files(union.checkups[~in_xml], folder / "健診結果")
    files += [("checkups", path) for path in clinic_files]
    if in_xml.any():
        files.append(("checkups", _write_xml_archive(union, union.checkups[in_xml], folder / "健診結果")))
    # The masters come before the claims: a レセ電 import takes 薬価基準コード and ICD-10 from them.
    progress(0.5, "医薬品マスターと傷病名マスターを書き出しています")
    files += [("drugs", path) for path in office_files.write_drug_lists(union.drug_master, folder / "医薬品マスター")]
    files.append(("diseases", _write_disease_master(folder / DISEASE_MASTER)))
    progress(0.6, "レセプトを書き出しています")
    claims = folder / "レセプト"
    receipts = _with_institution_codes(union.receipts, _prefecture(union.union_info.insurer_number))
    in_uke = [_delivered_as_uke(receipts, union.members, union.drug_lines, kinds) for kinds in _UKE_FILES]
    by_vendor = receipts[~np.logical_or.reduce(in_uke)]
    office_files.write_claims_csv(by_vendor, *_lines_of(union, by_vendor), claims)
    files.append(("claims", claims))
    files += [("claims", _write_uke(union, receipts[chosen], claims)) for chosen in in_uke if chosen.any()]
    return files


def _write_disease_master(path: Path) -> Path:
    """An excerpt of the 傷病名マスター built from the synthetic catalogue (resources/synthetic/diseases.csv), not
    the real 支払基金 master: one row per 傷病名コード the union's claims carry, so the レセ電 file's diagnoses,
    which hold only that code, get their ICD-10 as an office's do once it has loaded the master."""
    return office_files.write_disease_master(load_reference().diseases, path)


def _delivered_as_xml(checkups: pd.DataFrame) -> pd.Series:
    """The last clinic's results of the latest 年度 arrive as a 特定健診 XML archive (the national format)."""
    fiscal = checkups["exam_date"].dt.year - (checkups["exam_date"].dt.month < 4)
    clinic = checkups["clinic"].dropna().max()
    return (checkups["clinic"] == clinic).fillna(False) & (fiscal == fiscal.max())


def _write_xml_archive(union: SyntheticUnion, checkups: pd.DataFrame, folder: Path) -> Path:
    """The archive as delivered (zip): each document names the person by the card's 記号・番号・枝番."""
    cards = union.members.drop_duplicates("member_id").set_index("member_id")[["kigo", "bango", "edaban"]]
    rows = checkups.join(cards.set_axis(list(INSURED_COLUMNS), axis=1), on="member_id")
    day = f"{checkups['exam_date'].max():%Y%m%d}"
    return tokutei_xml_writer.write_archive(tokutei_xml_writer.archive_files(rows, date=day), folder, zipped=True)


def _prefecture(insurer_number: str) -> str:
    """都道府県番号 of a 保険者番号: digits 3–4 of an 8-digit number (after the 法別番号), 1–2 of a 6-digit one."""
    return insurer_number[2:4] if len(insurer_number) == 8 else insurer_number[:2]


def _with_institution_codes(receipts: pd.DataFrame, prefecture: str) -> pd.DataFrame:
    """Facility codes as claims carry them: 都道府県2 + 点数表1 (医科1・歯科3・調剤4) + 医療機関コード7.

    The UKE reader gives the 10-digit code back, so the vendor CSV uses it too: one clinic, one code.
    """
    table = receipts["claim_type"].map(_POINT_TABLES).fillna(uke_writer.MEDICAL_TABLE).astype("string")
    return receipts.assign(facility_code=prefecture + table + receipts["facility_code"])


def _delivered_as_uke(receipts: pd.DataFrame, members: pd.DataFrame, drug_lines: pd.DataFrame,
                      claim_types: tuple[int, ...]) -> pd.Series:
    """One clinic-month (or pharmacy-month) of `claim_types` receipts arrives as a レセ電 file instead of in
    the vendor CSV.

    Only a clinic-month whose every patient the roster tells apart by 記号・番号・生年月日・性別 (what the
    UKE import matches on) qualifies; among those a 院内処方 one (IY records) first, then the earliest month
    (the current 年度's programs keep every claim as the vendor sent it), then the busiest, then the code.
    """
    keys = ["kigo", "bango", "birth_date", "sex"]
    roster = members.drop_duplicates("member_id", keep="last").dropna(subset=keys)
    sharing = roster.groupby(keys)["member_id"].transform("size")
    kind = (receipts["claim_type"].isin(claim_types) & receipts["facility_code"].notna()).fillna(False)
    groups = receipts[kind].assign(
        known=receipts["member_id"].isin(roster.loc[sharing == 1, "member_id"]),
        drugs=receipts["receipt_id"].isin(drug_lines["receipt_id"]),
    ).groupby(["facility_code", "service_month"]).agg(
        known=("known", "all"), drugs=("drugs", "any"), count=("receipt_id", "size"),
    ).reset_index()
    groups = groups[groups["known"]].sort_values(["drugs", "service_month", "count", "facility_code"],
                                                 ascending=[False, True, False, True])
    if groups.empty:
        return pd.Series(False, index=receipts.index)
    chosen = groups.iloc[0]
    return kind & (receipts["facility_code"] == chosen["facility_code"]).fillna(False) & (
        receipts["service_month"] == chosen["service_month"]).fillna(False)


def _lines_of(union: SyntheticUnion, receipts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The diagnoses, drug lines and procedures of `receipts`."""
    ids = receipts["receipt_id"]
    diagnoses, drug_lines, procedures = (
        frame[frame["receipt_id"].isin(ids)] for frame in (union.diagnoses, union.drug_lines, union.procedures))
    return diagnoses, drug_lines, procedures


def _write_uke(union: SyntheticUnion, receipts: pd.DataFrame, folder: Path) -> Path:
    """The clinic's (or pharmacy's) レセ電 file, named by kind, month and 医療機関コード (each month's file keeps its
    own receipt ids)."""
    first = receipts.iloc[0]
    kind = "調剤" if first["claim_type"] == 5 else "医科"
    path = folder / f"{kind}_{first['service_month']}_{first['facility_code']}.UKE"
    uke_writer.write_uke(path, receipts, *_lines_of(union, receipts), union.members,
                         insurer_number=union.union_info.insurer_number, public_payer=PUBLIC_PAYER)
    return path


def _import_all(workspace: Workspace, files: list[tuple[str, Path]], progress: ProgressFn) -> None:
    for number, (kind, path) in enumerate(files):
        step = wrap_progress(progress, number / len(files), (number + 1) / len(files))
        result = imports.import_file(workspace, path, kind, progress=step)
        if not result.accepted:
            problems = "\n".join(issue.describe() for issue in result.issues[:20])
            raise DemoError(f"サンプルの {path.name} を取り込めませんでした: {result.message}\n{problems}")


def _write_outputs(workspace: Workspace, folder: Path, progress: ProgressFn) -> list[Path]:
    """階層化 of every 年度 the rules cover: the per-member CSV and the summary PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    union = workspace.union_info()
    years = [fy for fy in workspace.fiscal_years() if workspace.checkups(fy).shape[0]]
    covered = [fy for fy in years if stratification.rules_for_or_none(fy) is not None]
    outputs: list[Path] = []
    for number, fiscal_year in enumerate(covered):
        step = wrap_progress(progress, number / len(covered), (number + 1) / len(covered))
        result = stratification.stratify_workspace(workspace, fiscal_year, progress=step)
        outputs.append(stratification.write_table_csv(result, folder / f"階層化_{fiscal_year}年度.csv"))
        outputs.append(stratification.write_summary_pdf(result, union, folder / f"階層化の概要_{fiscal_year}年度.pdf"))
    return outputs


__all__ = ["Cancelled", "DemoError", "DemoResult", "build_demo", "write_received_files"]
