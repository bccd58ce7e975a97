"""Use case: bring a file the office received into the workspace — all of it, or nothing.

The reader reports every problem with its row and column; a file with any error imports nothing
and the clerk gets the whole list. Re-importing the same file is refused by the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dhdesk.core.fields import CHECKUPS, DIAGNOSES, DRUG_LINES, LAYOUTS, MEMBERS, PROCEDURES, RECEIPTS, Layout
from dhdesk.core.issues import Issue, Severity, has_errors
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.io.canonical import read_canonical, write_canonical_template
from dhdesk.io.detect import detect_kind
from dhdesk.io.drug_master import read_drug_master, version_from_name
from dhdesk.io.tokutei_xml import INDEX_NAME, INSURED_COLUMNS, SOURCE_FILE, read_tokutei_archive
from dhdesk.io.uke import PATIENT_COLUMNS, match_members, read_uke
from dhdesk.store.errors import StoreError
from dhdesk.store.workspace import Workspace

KINDS: dict[str, str] = {
    "members": "加入者台帳",
    "checkups": "健診結果",
    "claims": "レセプト",
    "drugs": "医薬品マスター",
}
"""What a clerk can import, by key, with the label the screens and messages use."""

CLAIM_LAYOUTS: tuple[Layout, ...] = (RECEIPTS, DIAGNOSES, DRUG_LINES, PROCEDURES)
"""The claims kind is four canonical tables; only レセプト is required."""

__all__ = ["CLAIM_LAYOUTS", "KINDS", "ImportResult", "detect_kind", "import_file", "save_template"]

_STORE_KIND = {"members": "members", "checkups": "checkups", "claims": "claims", "drugs": "drug_master"}


@dataclass(frozen=True)
class ImportResult:
    """The outcome the clerk sees: accepted or not, how many rows, and every problem found."""

    accepted: bool
    kind: str
    source: str
    batch_id: int | None = None
    rows: int = 0
    issues: list[Issue] = field(default_factory=list)
    message: str = ""


def import_file(
    workspace: Workspace, path: Path, kind: str, *, progress: ProgressFn = no_progress
) -> ImportResult:
    """Read `path` as `kind` (see KINDS) and import it as one batch, or nothing when it has errors."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    path = Path(path)
    label = KINDS[kind]
    progress(0.0, f"{label}を読み込んでいます: {path.name}")
    if _is_uke(path, kind):
        frames, issues = _read_uke(workspace, path)
    elif _is_tokutei_xml(path, kind):
        frames, issues = _read_tokutei_xml(workspace, path)
    else:
        frames, issues = _read(path, kind)
    if has_errors(issues):
        errors = sum(i.severity is Severity.ERROR for i in issues)
        return ImportResult(
            False, kind, path.name, issues=issues,
            message=f"{path.name} に {errors:,} 件のエラーがあるため、取り込んでいません（何も変更していません）。"
            "一覧の行と列を直してから、もう一度取り込んでください。",
        )
    frames = {table: frame.drop(columns=["source_row"], errors="ignore") for table, frame in frames.items()}
    rows = sum(len(frame) for frame in frames.values())
    try:
        batch_id = workspace.import_batch(
            _STORE_KIND[kind], path.name, _sha256(path), frames, progress=wrap_progress(progress, 0.5, 1.0)
        )
    except StoreError as error:
        return ImportResult(False, kind, path.name, issues=issues, message=str(error))
    warnings = f"（警告 {len(issues):,} 件）" if issues else ""
    return ImportResult(
        True, kind, path.name, batch_id, rows, issues,
        f"{label} {path.name} から {rows:,} 行を取り込みました{warnings}。",
    )


def save_template(kind: str, path: Path) -> list[Path]:
    """Write the canonical template(s) of `kind`: the header row and an example, as xlsx or csv."""
    path = Path(path)
    if kind == "claims":
        written = []
        for layout in CLAIM_LAYOUTS:
            target = path.with_name(f"{path.stem}_{layout.label}{path.suffix}")
            write_canonical_template(layout, target)
            written.append(target)
        return written
    layout = {"members": MEMBERS, "checkups": CHECKUPS, "drugs": LAYOUTS["drug_master"]}[kind]
    write_canonical_template(layout, path)
    return [path]


def _read(path: Path, kind: str) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    if kind == "members":
        frame, issues = read_canonical(path, MEMBERS)
        return {"members": frame}, issues
    if kind == "checkups":
        frame, issues = read_canonical(path, CHECKUPS)
        return {"checkups": frame}, issues
    if kind == "claims":
        return _read_claims(path)
    frame, issues = read_drug_master(path, _generic_info_beside(path))
    return {"drug_master": frame}, issues


def _generic_info_beside(price_list: Path) -> Path | None:
    """MHLW publishes 後発医薬品に関する情報 as a second list of the same date: pick it up when it lies beside."""
    version = version_from_name(price_list)
    if version is None:
        return None
    stamp = f"{version:%Y%m%d}"
    for candidate in sorted(price_list.parent.iterdir()):
        name = candidate.name.lower()
        if candidate != price_list and stamp in name and ("generic" in name or "後発" in name):
            return candidate
    return None


def _is_uke(path: Path, kind: str) -> bool:
    return kind == "claims" and path.is_file() and path.suffix.lower() == ".uke"


def _read_uke(workspace: Workspace, path: Path) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """A レセ電 file: its receipts are tied to the roster by 記号・番号・生年月日・性別; all must be found."""
    frames, issues = read_uke(path)
    receipts, unmatched = match_members(frames["receipts"], workspace.members())
    issues += unmatched
    missing = int(receipts["member_id"].isna().sum())
    if missing:
        issues.append(Issue(path.name, None, None, "uke.unmatched_receipts",
                            f"{missing:,} 件のレセプトの受診者が加入者台帳に見つかりません。加入者台帳を先に取り込むか、"
                            "一覧の記号・番号・生年月日を確認してください。"))
    frames["receipts"] = receipts.drop(columns=list(PATIENT_COLUMNS))
    return frames, issues


def _is_tokutei_xml(path: Path, kind: str) -> bool:
    """A 特定健診 XML archive as delivered: a .zip, or a folder holding the ix08 index."""
    if kind != "checkups":
        return False
    if path.is_file():
        return path.suffix.lower() == ".zip"
    return path.is_dir() and (any(path.glob(INDEX_NAME)) or any(path.glob(f"*/{INDEX_NAME}")))


def _read_tokutei_xml(workspace: Workspace, path: Path) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """特定健診 XML: the card's 記号・番号(・枝番) and 生年月日 find the member's 加入者番号 in the roster."""
    frame, issues = read_tokutei_archive(path)
    roster = workspace.members()
    keys = {
        "kigo": _id_key(roster["kigo"]), "bango": _id_key(roster["bango"]),
        "birth": roster["birth_date"], "member": roster["member_id"],
    }
    known = pd.DataFrame(keys).dropna(subset=["bango", "birth"]).drop_duplicates()
    wanted = pd.DataFrame({
        "kigo": _id_key(frame["insured_kigo"]), "bango": _id_key(frame["insured_bango"]),
        "birth": frame["birth_date"], "position": range(len(frame)),
    })
    found = wanted.merge(known, on=["kigo", "bango", "birth"], how="left")
    ambiguous = found.groupby("position")["member"].nunique() > 1
    found = found.drop_duplicates("position").set_index("position")["member"].astype("string")
    found[ambiguous[ambiguous].index] = pd.NA
    for position in found.index[found.isna()]:
        row = frame.iloc[position]
        issues.append(Issue(str(row[SOURCE_FILE]), None, "記号・番号", "xml.member_unmatched",
                            f"記号 {row['insured_kigo']}・番号 {row['insured_bango']}（生年月日 {row['birth_date']:%Y-%m-%d}）"
                            "の受診者が加入者台帳に見つかりません。加入者台帳を先に取り込んでください。"))
    frame["member_id"] = found.to_numpy()
    return {"checkups": frame.drop(columns=[*INSURED_COLUMNS, SOURCE_FILE])}, issues


def _id_key(values: pd.Series) -> pd.Series:
    """記号・番号 compared as written but for width and spaces (全角 ７ = 半角 7)."""
    return values.astype("string").str.normalize("NFKC").str.replace(r"\s+", "", regex=True).replace("", pd.NA)


def _read_claims(path: Path) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """A folder holding レセプト.csv (and 傷病名/医薬品/診療行為.csv), or one such file."""
    folder = path if path.is_dir() else path.parent
    frames: dict[str, pd.DataFrame] = {}
    issues: list[Issue] = []
    for layout in CLAIM_LAYOUTS:
        found = [p for p in sorted(folder.iterdir()) if p.stem == layout.label and p.suffix.lower() in (".csv", ".xlsx")]
        if not found:
            if layout is RECEIPTS:
                issues.append(Issue(folder.name, None, None, "claims.missing_receipts",
                                    f"{folder.name} に {RECEIPTS.label}.csv がありません。"))
            continue
        frame, found_issues = read_canonical(found[0], layout)
        frames[layout.key] = frame
        issues += found_issues
    return frames, issues


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
