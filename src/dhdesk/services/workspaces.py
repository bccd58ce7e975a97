"""Use cases around the workspace itself: create, open, what it holds, what to do next, backups, browsing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dhdesk.core.fields import CHECKUPS, MEMBERS, RECEIPTS, Layout
from dhdesk.core.union import UnionInfo
from dhdesk.store.backups import Backup
from dhdesk.store.errors import StoreError, WorkspaceLocked
from dhdesk.store.workspace import Workspace

WorkspaceOpenError = StoreError
"""Any reason a workspace cannot be created or opened; `str(error)` is the Japanese message for the clerk."""

__all__ = [
    "HomeSummary",
    "Workspace",
    "WorkspaceLocked",
    "WorkspaceOpenError",
    "backup_now",
    "checkup_table",
    "close_workspace",
    "create_workspace",
    "home_summary",
    "list_backups",
    "member_table",
    "open_workspace",
    "receipt_table",
    "update_union_info",
]

SUFFIX = ".dhdesk"


def create_workspace(path: Path, union: UnionInfo) -> Workspace:
    """Create a new workspace file for `union` (the suffix .dhdesk is added when missing)."""
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    return Workspace.create(path, union)


def open_workspace(path: Path) -> Workspace:
    """Open a workspace; raises `WorkspaceLocked` when another dhdesk holds it."""
    return Workspace.open(Path(path))


def close_workspace(workspace: Workspace) -> None:
    workspace.close()


def update_union_info(workspace: Workspace, union: UnionInfo) -> None:
    workspace.set_union_info(union)


def backup_now(workspace: Workspace) -> Path:
    return workspace.backup("manual")


def list_backups(workspace: Workspace) -> list[Backup]:
    return workspace.backups()


@dataclass(frozen=True)
class HomeSummary:
    """What the home screen shows: the union, what the workspace holds and the next steps."""

    union: UnionInfo
    counts: list[tuple[str, str]]
    fiscal_years: list[int]
    next_steps: list[str]
    totals: dict[str, int]
    """The raw numbers behind `counts` (keys of `Workspace.counts`: members_active, checkups_fy2025…)."""


def _n(value: int) -> str:
    return f"{value:,}"


def home_summary(workspace: Workspace) -> HomeSummary:
    """Counts in the clerk's words and a short list of what to do next, from the workspace contents."""
    counts = workspace.counts()
    years = workspace.fiscal_years()
    rows = [
        ("加入者（現在）", f"{_n(counts.get('members_active', 0))} 人"),
        ("　うち組合員", f"{_n(counts.get('insured_active', 0))} 人"),
        ("　うち被扶養者", f"{_n(counts.get('dependants_active', 0))} 人"),
    ]
    rows += [(f"健診結果 {fy}年度", f"{_n(counts.get(f'checkups_fy{fy}', 0))} 件") for fy in years]
    rows += [(f"レセプト {fy}年度", f"{_n(counts.get(f'receipts_fy{fy}', 0))} 件") for fy in years]
    rows += [
        ("医薬品マスターの版", f"{_n(counts.get('drug_master_versions', 0))} 版"),
        ("取込の記録", f"{_n(counts.get('batches_active', 0))} 件"),
    ]
    return HomeSummary(workspace.union_info(), rows, years, _next_steps(counts, years), counts)


def _next_steps(counts: dict[str, int], years: list[int]) -> list[str]:
    steps = []
    if not counts.get("members_active"):
        steps.append("「データ取込」で加入者台帳を取り込んでください（対象者の抽出と宛名に使います）。")
    checkup_years = [fy for fy in years if counts.get(f"checkups_fy{fy}")]
    if not checkup_years:
        steps.append("「データ取込」で健診結果を取り込んでください（階層化・メタボ判定に使います）。")
    else:
        latest = checkup_years[-1]
        steps.append(f"「分析」で {latest}年度 の階層化・メタボ判定の結果を確認できます。")
    if not any(counts.get(f"receipts_fy{fy}") for fy in years):
        steps.append("「データ取込」でレセプトを取り込むと、服薬の確認や受診勧奨の判定に使えます。")
    if not counts.get("drug_master_versions"):
        steps.append("「データ取込」で医薬品マスター（薬価基準・後発医薬品情報）を取り込むと、差額通知に使えます。")
    return steps


def _labelled(frame: pd.DataFrame, layout: Layout, columns: list[str]) -> pd.DataFrame:
    present = [c for c in columns if c in frame.columns]
    return frame[present].rename(columns={f.name: f.label for f in layout.fields})


def _search(frame: pd.DataFrame, search: str, columns: list[str]) -> pd.DataFrame:
    text = search.strip()
    if not text:
        return frame
    hit = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame.columns:
            hit |= frame[column].astype("string").str.contains(text, regex=False, na=False)
    return frame[hit]


def member_table(workspace: Workspace, search: str = "", limit: int = 1000) -> pd.DataFrame:
    """Members in force today, found by 加入者番号 or 氏名, with Japanese headers."""
    today = pd.Timestamp.today().date()
    if search.strip():
        frame = _search(workspace.members(as_of=today), search, ["member_id", "name", "name_kana"])
    else:
        frame = workspace.members(as_of=today, limit=limit)
    columns = ["member_id", "name", "name_kana", "sex", "birth_date", "relation", "office", "postal_code",
               "address1", "acquired_date"]
    return _labelled(frame.head(limit), MEMBERS, columns)


def checkup_table(workspace: Workspace, fiscal_year: int | None, search: str = "", limit: int = 1000) -> pd.DataFrame:
    """Checkups of a 年度, found by 加入者番号, with Japanese headers."""
    frame = (
        _search(workspace.checkups(fiscal_year), search, ["member_id"])
        if search.strip()
        else workspace.checkups(fiscal_year, limit=limit)
    )
    columns = ["member_id", "exam_date", "clinic", "sex", "birth_date", "bmi", "waist", "sbp", "dbp",
               "tg_fasting", "hdl", "ldl", "fbg", "hba1c", "med_bp", "med_glucose", "med_lipid", "smoking"]
    return _labelled(frame.head(limit), CHECKUPS, columns)


def receipt_table(workspace: Workspace, fiscal_year: int | None, search: str = "", limit: int = 1000) -> pd.DataFrame:
    """Receipts of a 年度, found by 加入者番号, with Japanese headers."""
    frame = (
        _search(workspace.receipts(fiscal_year), search, ["member_id", "receipt_id"])
        if search.strip()
        else workspace.receipts(fiscal_year, limit=limit)
    )
    columns = ["receipt_id", "member_id", "service_month", "claim_type", "receipt_kind", "facility_name",
               "days", "points"]
    return _labelled(frame.head(limit), RECEIPTS, columns)
