"""Use case: bring a file the office received into the workspace — all of it, or nothing.

The reader reports every problem with its row and column, then the plausibility checks (core.checks)
add theirs. By default a file with any error imports nothing and the clerk gets the whole list; the clerk
may instead choose "valid rows only": rows with errors are left out, listed, and the batch notes how many.
A table file is mapped through the clerk's preset when its header row matches one (取込プリセット).
Re-importing the same file is refused by the store. A claims folder is streamed: レセプト.csv is read
whole, the detail files chunk by chunk straight into the batch's one transaction (memory follows the chunk).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.checks import SourceFile, check_checkups, check_members, check_receipts, load_check_rules
from dhdesk.core.fields import CHECKUPS, DIAGNOSES, DRUG_LINES, LAYOUTS, MEMBERS, PROCEDURES, RECEIPTS, Layout
from dhdesk.core.issues import Issue, Severity
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.io.canonical import (
    SOURCE_ROW, empty_frame, read_canonical_chunks, typed_frame, write_canonical_template,
)
from dhdesk.io.columns import ColumnMapping, auto_map, header_signature
from dhdesk.io.detect import detect_kind
from dhdesk.io.disease_master import read_disease_master
from dhdesk.io.drug_master import read_drug_master, version_from_name
from dhdesk.io.tabular import RawTable, UnreadableFile, read_table
from dhdesk.io.tokutei_xml import INDEX_NAME, INSURED_COLUMNS, SOURCE_FILE, read_tokutei_archive
from dhdesk.io.uke import PATIENT_COLUMNS, match_members, read_uke
from dhdesk.reports.issues_xlsx import write_issues_xlsx
from dhdesk.store.errors import StoreError
from dhdesk.store.imports import ICD10_FILLED
from dhdesk.store.workspace import Preset, Workspace

KINDS: dict[str, str] = {
    "members": "加入者台帳",
    "checkups": "健診結果",
    "claims": "レセプト",
    "drugs": "医薬品マスター",
    "diseases": "傷病名マスター",
}
"""What a clerk can import, by key, with the label the screens and messages use."""
TEMPLATE_KINDS = ("members", "checkups", "claims", "drugs")
"""The kinds with a canonical template to fill in (a 傷病名マスター is only ever read as 支払基金 publishes it)."""

CLAIM_LAYOUTS: tuple[Layout, ...] = (RECEIPTS, DIAGNOSES, DRUG_LINES, PROCEDURES)
"""The claims kind is four canonical tables; only レセプト is required."""

MAPPED_LAYOUTS: dict[str, Layout] = {"members": MEMBERS, "checkups": CHECKUPS}
"""Kinds read from one table of the clerk's own layout, through a column mapping (and presets)."""

SAMPLE_ROWS = 5
"""Rows of the file the mapping screen shows under each column."""

HISTORY_COLUMNS = ("取込番号", "ファイル", "種類", "行数", "取込日時", "プリセット", "状態", "取消日時", "備考")
"""The import history (取込履歴) as the screens and the CLI show it."""

STATUS_LABELS = {"active": "取込済み", "undone": "取消済み"}

__all__ = [
    "CLAIM_LAYOUTS", "HISTORY_COLUMNS", "KINDS", "MAPPED_LAYOUTS", "STATUS_LABELS", "TEMPLATE_KINDS", "ImportPlan",
    "ImportResult", "UndoResult", "detect_kind", "import_file", "import_history", "inspect_file", "kind_of", "save_issue_report",
    "save_template", "takes_mapping", "undo_import",
]

_STORE_KIND = {"members": "members", "checkups": "checkups", "claims": "claims", "drugs": "drug_master",
               "diseases": "disease_master"}
_RESTATING_CODES = frozenset({"uke.unmatched_receipts"})
"""File-level errors that only count row-level errors listed beside them (they go when those rows go)."""


@dataclass(frozen=True)
class ImportResult:
    """The outcome the clerk sees: accepted or not, how many rows, and every problem found.

    `skipped` counts the rows left out with "valid rows only"; `cells` holds the cell text behind each
    issue, keyed (file, row, column), for the error report sent back to the clinic.
    """

    accepted: bool
    kind: str
    source: str
    batch_id: int | None = None
    rows: int = 0
    issues: list[Issue] = field(default_factory=list)
    message: str = ""
    skipped: int = 0
    preset: str | None = None
    cells: Mapping[tuple[str, int, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportPlan:
    """What the import wizard shows before anything is imported: the file's shape and a proposed mapping.

    `mapping` (None for formats with a fixed layout: 特定健診 XML, レセ電, claim folders, drug lists) holds
    the confidence of each column; `preset` names the saved preset whose header signature matches.
    """

    path: Path
    kind: str | None
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    mapping: ColumnMapping | None = None
    preset: str | None = None
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: list[Issue] = field(default_factory=list)


def inspect_file(workspace: Workspace, path: Path, kind: str | None = None, *, sheet: str | None = None) -> ImportPlan:
    """Look at `path` without importing: its kind (detected when None), sheets, header row and mapping."""
    path = Path(path)
    kind = kind or kind_of(workspace, path)
    layout = MAPPED_LAYOUTS.get(kind or "")
    if layout is None or not takes_mapping(path, kind or ""):
        return ImportPlan(path, kind)
    try:
        raw = read_table(path, sheet=sheet, layout=layout)
    except UnreadableFile as error:
        return ImportPlan(path, kind, issues=[Issue(path.name, None, None, "unreadable_file", str(error))])
    preset = _matching_preset(workspace, kind, raw.headers)
    mapping = auto_map(raw.headers, layout, preset=preset.mapping if preset else None)
    return ImportPlan(
        path, kind, raw.sheets, raw.sheet, raw.header_row, raw.encoding, mapping,
        preset.name if preset else None, raw.data.head(SAMPLE_ROWS),
    )


def kind_of(workspace: Workspace, path: Path) -> str | None:
    """The import kind of `path`: from its shape, else from a preset saved for files with its header row."""
    path = Path(path)
    kind = detect_kind(path)
    if kind is not None or path.is_dir():
        return kind
    try:
        signature = header_signature(read_table(path).headers)
    except UnreadableFile:
        return None
    return next((p.kind for p in workspace.presets() if p.header_signature == signature and p.kind in KINDS), None)


def takes_mapping(path: Path, kind: str) -> bool:
    """True when `path` is read through a column mapping (a members / checkups table), so presets apply."""
    return kind in MAPPED_LAYOUTS and not _is_tokutei_xml(Path(path), kind) and not Path(path).is_dir()


def import_file(
    workspace: Workspace,
    path: Path,
    kind: str,
    *,
    mapping: ColumnMapping | None = None,
    preset: str | None = None,
    save_preset_as: str | None = None,
    valid_rows_only: bool = False,
    sheet: str | None = None,
    fiscal_year: int | None = None,
    today: date | None = None,
    progress: ProgressFn = no_progress,
) -> ImportResult:
    """Read `path` as `kind` (see KINDS) and import it as one batch, or nothing when it has errors.

    For members and checkups tables: `mapping` (confirmed in the wizard) or the preset named `preset`
    maps the columns; without either a preset whose header signature matches is used, else `auto_map`.
    `save_preset_as` keeps the mapping used as a preset. `valid_rows_only` imports the rows without
    errors and leaves the others out (file-level errors still refuse the file). `fiscal_year` is the 年度
    the file is for (None: the 年度 of most of its 健診日); `today` bounds dates (tests fix it).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    path = Path(path)
    label = KINDS[kind]
    today = today or date.today()
    progress(0.0, f"{label}を読み込んでいます: {path.name}")
    read = wrap_progress(progress, 0.0, 0.45)
    cells: dict[tuple[str, int, str], str] = {}
    used_preset = preset
    if takes_mapping(path, kind):
        chosen = None
        if preset is not None:
            chosen = next((p for p in workspace.presets(kind) if p.name == preset), None)
            if chosen is None:
                return ImportResult(False, kind, path.name, message=f"{label}の取込プリセット「{preset}」がありません。")
        table = _read_mapped(workspace, path, kind, mapping, chosen, sheet, fiscal_year, today, read)
        frames, sources, issues, cells = table.frames, table.sources, table.issues, table.cells
        used_preset = table.preset
        if save_preset_as and table.mapping is not None and not _has_file_errors(issues):
            workspace.save_preset(save_preset_as, kind, header_signature(table.mapping.headers),
                                  table.mapping.as_preset())
            used_preset = save_preset_as
    elif mapping is not None or preset is not None or save_preset_as is not None:
        raise ValueError(f"{kind} files of this format have a fixed layout; mappings and presets do not apply")
    elif _is_uke(path, kind):
        frames, issues = _read_uke(workspace, path)
        sources = {table: path.name for table in frames}
    elif kind == "claims":
        return _import_claims(workspace, path, valid_rows_only, progress)
    elif _is_tokutei_xml(path, kind):
        frames, issues = _read_tokutei_xml(workspace, path, fiscal_year, today)
        sources = {}
    else:
        frames, sources, issues = _read(workspace, path, kind)
    progress(0.45, f"{path.name} の内容を確認しました")
    errors = sum(i.severity is Severity.ERROR for i in issues)
    skipped = 0
    if errors and valid_rows_only:
        frames, skipped, errors = _drop_rows_with_errors(frames, sources, issues)
    if errors:
        return ImportResult(False, kind, path.name, issues=issues, preset=used_preset, cells=cells,
                            message=_refusal(path.name, errors, valid_rows_only))
    frames = {t: f.drop(columns=[SOURCE_ROW, SOURCE_FILE], errors="ignore") for t, f in frames.items()}
    rows = sum(len(frame) for frame in frames.values())
    note = f"エラーのある {skipped:,} 行を除いて取込" if skipped else None
    try:
        batch_id = workspace.import_batch(
            _STORE_KIND[kind], path.name, _sha256(path), frames, preset=used_preset, note=note,
            progress=wrap_progress(progress, 0.5, 1.0),
        )
    except StoreError as error:
        return ImportResult(False, kind, path.name, issues=issues, message=str(error), preset=used_preset,
                            cells=cells)
    warnings = sum(i.severity is Severity.WARNING for i in issues)
    details = "、".join(part for part in (
        f"エラーのある {skipped:,} 行を除外" if skipped else "", f"警告 {warnings:,} 件" if warnings else "") if part)
    filled = _icd10_filled(workspace, batch_id) if kind == "diseases" else ""
    return ImportResult(
        True, kind, path.name, batch_id, rows, issues,
        f"{label} {path.name} から {rows:,} 行を取り込みました{f'（{details}）' if details else ''}。{filled}",
        skipped, used_preset, cells,
    )


def save_issue_report(results: Sequence[ImportResult], path: Path) -> Path:
    """Write every issue of `results` as the xlsx a clerk sends back to the clinic (all rows, nothing cut)."""
    issues = [issue for result in results for issue in result.issues]
    values = {key: text for result in results for key, text in result.cells.items()}
    write_issues_xlsx(Path(path), issues, values)
    return Path(path)


@dataclass(frozen=True)
class UndoResult:
    """The outcome of taking back one import: done or not, and what the clerk is told."""

    batch_id: int
    undone: bool
    message: str
    removed: int = 0
    restored: int = 0


def import_history(workspace: Workspace) -> pd.DataFrame:
    """Every import batch, newest first, with Japanese headers (HISTORY_COLUMNS); undone ones stay listed."""
    batches = workspace.batches().iloc[::-1]
    kind_labels = {_STORE_KIND[key]: label for key, label in KINDS.items()}
    return pd.DataFrame({
        "取込番号": batches["batch_id"].astype("Int64"),
        "ファイル": batches["source_name"].astype("string"),
        "種類": batches["kind"].map(kind_labels).astype("string"),
        "行数": batches["row_count"].astype("Int64"),
        "取込日時": batches["imported_at"],
        "プリセット": batches["preset"].astype("string"),
        "状態": batches["status"].map(STATUS_LABELS).astype("string"),
        "取消日時": batches["undone_at"],
        "備考": batches["note"].astype("string"),
    }, columns=list(HISTORY_COLUMNS)).reset_index(drop=True)


def undo_import(workspace: Workspace, batch_id: int) -> UndoResult:
    """Take back import `batch_id`: its rows go and the rows it replaced come back (the store backs up first).

    A batch that does not exist or is already undone is refused with a message, not an exception.
    """
    batches = workspace.batches()
    found = batches[batches["batch_id"] == batch_id]
    try:
        counts = workspace.undo_batch(batch_id)
    except StoreError as error:
        return UndoResult(batch_id, False, str(error))
    restored = counts.pop("restored", 0)
    removed = int(found["row_count"].iloc[0])
    name = found["source_name"].iloc[0]
    again = f"、置き換えられていた {restored:,} 行を元に戻しました" if restored else ""
    return UndoResult(
        batch_id, True,
        f"取込番号 {batch_id}（{name}）を取り消しました: {removed:,} 行を削除{again}。取り消す前のバックアップを作成済みです。",
        removed, restored,
    )


def _refusal(name: str, errors: int, valid_rows_only: bool) -> str:
    if valid_rows_only:
        return (f"{name} には行を特定できないエラーが {errors:,} 件あるため、取り込んでいません（何も変更していません）。"
                "列の見出しやファイルの形式を確認してください。")
    return (f"{name} に {errors:,} 件のエラーがあるため、取り込んでいません（何も変更していません）。"
            "一覧の行と列を直してから取り込むか、エラーのない行だけを取り込んでください。")


def save_template(kind: str, path: Path) -> list[Path]:
    """Write the canonical template(s) of `kind` (one of TEMPLATE_KINDS): the header row and an example."""
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


@dataclass(frozen=True)
class _MappedRead:
    """A members / checkups table read through a mapping: frames and issues, plus what the report needs."""

    frames: dict[str, pd.DataFrame]
    sources: dict[str, str]
    issues: list[Issue]
    cells: dict[tuple[str, int, str], str] = field(default_factory=dict)
    mapping: ColumnMapping | None = None
    preset: str | None = None


def _read_mapped(
    workspace: Workspace, path: Path, kind: str, mapping: ColumnMapping | None, preset: Preset | None,
    sheet: str | None, fiscal_year: int | None, today: date, progress: ProgressFn,
) -> _MappedRead:
    """A members / checkups table in the clerk's layout: read, map, convert, check."""
    layout = MAPPED_LAYOUTS[kind]
    try:
        raw = read_table(path, sheet=sheet, layout=layout)
    except UnreadableFile as error:
        return _MappedRead({kind: empty_frame(layout)}, {}, [Issue(path.name, None, None, "unreadable_file", str(error))])
    if preset is None and mapping is None:
        preset = _matching_preset(workspace, kind, raw.headers)
    if mapping is None:
        mapping = auto_map(raw.headers, layout, preset=preset.mapping if preset else None)
    elif mapping.layout.key != layout.key:
        raise ValueError(f"mapping is for {mapping.layout.key}, not {layout.key}")
    progress(0.3, f"{path.name} の値を確認しています")
    frame, issues = typed_frame(raw, layout, mapping)
    source = SourceFile(raw.source, {name: header for header, name in mapping.assigned.items()})
    rules = load_check_rules()
    progress(0.8, f"{path.name} の妥当性を確認しています")
    if kind == "members":
        issues += check_members(frame, source, rules, today=today)
    else:
        issues += check_checkups(frame, source, rules, today=today, fiscal_year=fiscal_year, roster=workspace.members())
    issues.sort(key=lambda i: (i.row is not None, i.row or 0))
    return _MappedRead({kind: frame}, {kind: raw.source}, issues, _cells(raw, issues), mapping,
                       preset.name if preset else None)


def _has_file_errors(issues: Sequence[Issue]) -> bool:
    """True when an error concerns the file as a whole (no row): its mapping cannot be trusted."""
    return any(i.severity is Severity.ERROR and i.row is None for i in issues)


def _matching_preset(workspace: Workspace, kind: str, headers: Sequence[str]) -> Preset | None:
    """The most recently saved preset of `kind` made for files with exactly these headers."""
    signature = header_signature(headers)
    return next((p for p in workspace.presets(kind) if p.header_signature == signature), None)


def _cells(raw: RawTable, issues: Sequence[Issue]) -> dict[tuple[str, int, str], str]:
    """The text of each cell an issue points at, as the file has it."""
    cells = {}
    for issue in issues:
        if issue.row is not None and issue.column in raw.data.columns and issue.row in raw.data.index:
            text = raw.data.at[issue.row, issue.column]
            if pd.notna(text):
                cells[(issue.source, issue.row, issue.column)] = str(text)
    return cells


def _drop_rows_with_errors(
    frames: dict[str, pd.DataFrame], sources: Mapping[str, str], issues: Sequence[Issue]
) -> tuple[dict[str, pd.DataFrame], int, int]:
    """(frames without rows an error points at, rows left out of the main table, errors about the whole file).

    A row is found by (file, `source_row`); a 特定健診 XML document by its file name (every error inside it
    drops it). Rows still missing a required value (a レセ電 receipt no member was found for) go too, and
    detail lines go with their receipt.
    """
    errors = [i for i in issues if i.severity is Severity.ERROR]
    bad_rows = {(i.source, i.row) for i in errors if i.row is not None}
    bad_documents = {i.source for i in errors}
    kept: dict[str, pd.DataFrame] = {}
    dropped_documents: set[str] = set()
    skipped = 0
    for position, (table, frame) in enumerate(frames.items()):
        drop = pd.Series(False, index=frame.index)
        if SOURCE_FILE in frame:
            drop |= frame[SOURCE_FILE].isin(bad_documents)
            dropped_documents |= set(frame.loc[drop, SOURCE_FILE])
        elif table in sources and SOURCE_ROW in frame:
            drop |= frame[SOURCE_ROW].isin({row for source, row in bad_rows if source == sources[table]})
        if table in LAYOUTS:
            required = [f.name for f in LAYOUTS[table].fields if f.required and f.name in frame]
            drop |= frame[required].isna().any(axis=1)
        if "receipts" in kept and table != "receipts" and "receipt_id" in frame:
            drop |= ~frame["receipt_id"].isin(kept["receipts"]["receipt_id"])
        kept[table] = frame[~drop.to_numpy()]
        if position == 0:
            skipped = int(drop.sum())
    whole_file = sum(
        1 for i in errors
        if i.row is None and i.source not in dropped_documents and not (i.code in _RESTATING_CODES and skipped)
    )
    return kept, skipped, whole_file


def _read(workspace: Workspace, path: Path, kind: str) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Issue]]:
    """A master (MHLW drug list, 支払基金 傷病名マスター): frames, the file of each table, issues."""
    if kind == "diseases":
        frame, issues = read_disease_master(path)
        return {"disease_master": frame}, {"disease_master": path.name}, issues
    frame, issues = read_drug_master(path, _generic_info_beside(path), receipt_codes=_receipt_codes_beside(path))
    return {"drug_master": frame}, {"drug_master": path.name}, issues


def _receipt_codes_beside(price_list: Path) -> Path | None:
    """The 支払基金 医薬品マスター (y_ALL*.csv, the 9-digit claim codes) lying beside a price list, newest name last."""
    found = sorted(p for p in price_list.parent.iterdir()
                   if p.name.lower().startswith("y_all") and p.suffix.lower() == ".csv")
    return found[-1] if found else None


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
    """A レセ電 file: its receipts are tied to the roster by 記号・番号・生年月日・性別; all must be found.

    Drug lines carry the 9-digit レセ電 医薬品コード only: the 薬価基準コード is filled from the drug master
    loaded in the workspace (its 医薬品コード column), so 後発品 shares and 差額通知 see them. Diagnoses carry
    the 傷病名コード only: ICD-10 comes from the 傷病名マスター, so disease-based programs see them.
    """
    frames, issues = read_uke(path)
    receipts, unmatched = match_members(frames["receipts"], workspace.members(), source=path.name)
    issues += unmatched
    frames["drug_lines"] = _with_yj_codes(frames["drug_lines"], workspace.drug_master())
    frames["diagnoses"] = _with_icd10(frames["diagnoses"], workspace.disease_master())
    missing = int(receipts["member_id"].isna().sum())
    if missing:
        issues.append(Issue(path.name, None, None, "uke.unmatched_receipts",
                            f"{missing:,} 件のレセプトの受診者が加入者台帳に見つかりません。加入者台帳を先に取り込むか、"
                            "一覧の記号・番号・生年月日を確認してください。"))
    frames["receipts"] = receipts.drop(columns=list(PATIENT_COLUMNS))
    return frames, issues


def _with_yj_codes(drug_lines: pd.DataFrame, master: pd.DataFrame) -> pd.DataFrame:
    """`yj_code` (and a blank 医薬品名) filled from the master by 医薬品コード where the master knows it."""
    if drug_lines.empty or master.empty:
        return drug_lines
    known = master.dropna(subset=["receipt_code"]).drop_duplicates("receipt_code").set_index("receipt_code")
    codes = drug_lines["drug_code"]
    filled = drug_lines.copy()
    filled["yj_code"] = drug_lines["yj_code"].fillna(codes.map(known["yj_code"])).astype("string")
    filled["drug_name"] = drug_lines["drug_name"].fillna(codes.map(known["product_name"])).astype("string")
    return filled


def _with_icd10(diagnoses: pd.DataFrame, master: pd.DataFrame) -> pd.DataFrame:
    """A blank `icd10` (and 傷病名) filled from the 傷病名マスター by 傷病名コード; what the file gave is kept."""
    if diagnoses.empty or master.empty:
        return diagnoses
    known = master.set_index("disease_code")
    codes = diagnoses["disease_code"]
    filled = diagnoses.copy()
    filled["icd10"] = diagnoses["icd10"].fillna(codes.map(known["icd10"])).astype("string")
    filled["disease_name"] = diagnoses["disease_name"].fillna(codes.map(known["disease_name"])).astype("string")
    return filled


def _icd10_filled(workspace: Workspace, batch_id: int) -> str:
    """The sentence telling how many diagnoses already loaded got their ICD-10 from the master just imported."""
    batch = workspace.batches().set_index("batch_id").loc[batch_id]
    filled = int(json.loads(batch["table_counts"]).get(ICD10_FILLED, 0))
    return f"取込済みのレセプトの傷病名 {filled:,} 件に ICD-10 を補いました。" if filled else ""


def _is_tokutei_xml(path: Path, kind: str) -> bool:
    """A 特定健診 XML archive as delivered: a .zip, or a folder holding the ix08 index."""
    if kind != "checkups":
        return False
    if path.is_file():
        return path.suffix.lower() == ".zip"
    return path.is_dir() and (any(path.glob(INDEX_NAME)) or any(path.glob(f"*/{INDEX_NAME}")))


def _read_tokutei_xml(workspace: Workspace, path: Path, fiscal_year: int | None,
                      today: date) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """特定健診 XML: the card's 記号・番号(・枝番) and 生年月日 find the member's 加入者番号 in the roster.

    The plausibility checks then run on the whole archive; each problem is reported against its document.
    """
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
    checked = check_checkups(frame.assign(**{SOURCE_ROW: range(len(frame))}), SourceFile(path.name), load_check_rules(),
                             today=today, fiscal_year=fiscal_year, roster=roster)
    documents = frame[SOURCE_FILE].astype(str).to_numpy()
    issues += [replace(issue, source=documents[issue.row], row=None) for issue in checked]
    return {"checkups": frame.drop(columns=list(INSURED_COLUMNS))}, issues


def _id_key(values: pd.Series) -> pd.Series:
    """記号・番号 compared as written but for width and spaces (全角 ７ = 半角 7)."""
    return values.astype("string").str.normalize("NFKC").str.replace(r"\s+", "", regex=True).replace("", pd.NA)


def _import_claims(workspace: Workspace, path: Path, valid_rows_only: bool, progress: ProgressFn) -> ImportResult:
    """A folder holding レセプト.csv (and 傷病名/医薬品/診療行為.csv), or one such file, streamed into one batch.

    The receipts are read whole (their duplicate and member checks need them all); the detail files flow
    chunk by chunk into the store's transaction (a diagnosis without ICD-10 takes it from the 傷病名マスター).
    An error in any chunk rolls the batch back, and the files not read by then are read for their issues,
    so the clerk still gets the whole list.
    """
    label = KINDS["claims"]
    folder = path if path.is_dir() else path.parent
    files = {
        layout.key: found[0] for layout in CLAIM_LAYOUTS
        if (found := [p for p in sorted(folder.iterdir())
                      if p.stem == layout.label and p.suffix.lower() in (".csv", ".xlsx")])
    }
    if "receipts" not in files:
        stream = _ClaimDetails(files, None, valid_rows_only, progress)
        missing = Issue(folder.name, None, None, "claims.missing_receipts",
                        f"{folder.name} に {RECEIPTS.label}.csv がありません。")
        return _refused(path.name, [missing, *stream.read_rest()], valid_rows_only)
    receipts, issues = _read_receipts(files["receipts"], wrap_progress(progress, 0.0, 0.2))
    issues += check_receipts(receipts, SourceFile(files["receipts"].name), roster=workspace.members())
    skipped = 0
    errors = sum(i.severity is Severity.ERROR for i in issues)
    if errors and valid_rows_only:
        kept, skipped, errors = _drop_rows_with_errors({"receipts": receipts}, {"receipts": files["receipts"].name},
                                                       issues)
        receipts = kept["receipts"]
    details = {key: file for key, file in files.items() if key != "receipts"}
    stream = _ClaimDetails(details, receipts["receipt_id"] if valid_rows_only else None, valid_rows_only,
                           wrap_progress(progress, 0.2, 1.0))
    if errors:
        issues += stream.read_rest()
        return _refused(path.name, issues, valid_rows_only)
    frames = {"receipts": receipts.drop(columns=[SOURCE_ROW]), **{key: stream.chunks(key) for key in details}}
    if "diagnoses" in frames:
        master = workspace.disease_master()
        frames["diagnoses"] = (_with_icd10(chunk, master) for chunk in frames["diagnoses"])

    def note() -> str | None:  # asked by the store once every chunk is in: the detail lines left out are known
        left_out = skipped + stream.dropped
        return f"エラーのある {left_out:,} 行を除いて取込" if left_out else None

    try:
        batch_id = workspace.import_batch("claims", path.name, _sha256(path), frames, note=note, progress=stream.store)
    except _DetailErrors:
        issues += stream.read_rest()
        return _refused(path.name, issues, valid_rows_only)
    except StoreError as error:
        issues += stream.read_rest()
        return ImportResult(False, "claims", path.name, issues=issues, message=str(error))
    issues += stream.read_rest()
    skipped += stream.dropped
    rows = len(receipts) + sum(stream.rows.values())
    warnings = sum(i.severity is Severity.WARNING for i in issues)
    details_text = "、".join(part for part in (
        f"エラーのある {skipped:,} 行を除外" if skipped else "", f"警告 {warnings:,} 件" if warnings else "") if part)
    return ImportResult(
        True, "claims", path.name, batch_id, rows, issues,
        f"{label} {path.name} から {rows:,} 行を取り込みました{f'（{details_text}）' if details_text else ''}。",
        skipped,
    )


def _read_receipts(path: Path, progress: ProgressFn) -> tuple[pd.DataFrame, list[Issue]]:
    """レセプト.csv chunk by chunk into one typed frame: the file's text is never held whole."""
    frames: list[pd.DataFrame] = []
    issues: list[Issue] = []
    for frame, found in read_canonical_chunks(path, RECEIPTS):
        frames.append(frame)
        issues += found
        progress(0.5, f"{path.name} を読み込んでいます（{sum(len(f) for f in frames):,}行）")
    return pd.concat(frames, ignore_index=True), issues


def _refused(name: str, issues: list[Issue], valid_rows_only: bool) -> ImportResult:
    """Claims not imported: every issue, and the errors counted as `import_file` counts them."""
    errors = sum(i.severity is Severity.ERROR and (i.row is None or not valid_rows_only) for i in issues)
    return ImportResult(False, "claims", name, issues=issues, message=_refusal(name, errors, valid_rows_only))


class _DetailErrors(Exception):
    """Raised from the last chunk of a detail file with errors: the store rolls the batch back."""


class _ClaimDetails:
    """The claims detail files (傷病名, 医薬品, 診療行為) as chunk streams for the store, keeping their issues.

    With "valid rows only" a chunk loses its rows with errors, blank required cells or an unknown レセプト番号;
    otherwise a file with errors ends its stream with `_DetailErrors`. Issues are kept per file, so a file
    whose stream was cut short is read again whole by `read_rest`.
    """

    def __init__(self, files: Mapping[str, Path], receipt_ids: pd.Series | None, valid_rows_only: bool,
                 progress: ProgressFn) -> None:
        self.files = dict(files)
        self.receipt_ids = None if receipt_ids is None else np.sort(receipt_ids.dropna().to_numpy(dtype=str))
        self.valid_rows_only = valid_rows_only
        self.progress = progress
        self.issues: dict[str, list[Issue]] = {}
        self.finished: set[str] = set()
        self.rows: dict[str, int] = {}
        self.errors = 0
        self.dropped = 0
        """Detail lines left out with "valid rows only" (errors, missing required values, unknown receipt)."""

    def chunks(self, key: str) -> Iterator[pd.DataFrame]:
        """Typed chunks of one detail file, ready for the store (no `source_row`)."""
        layout = LAYOUTS[key]
        name = self.files[key].name
        self.issues[key], self.rows[key] = [], 0
        for frame, issues in read_canonical_chunks(self.files[key], layout):
            self.issues[key] += issues
            errors = [i for i in issues if i.severity is Severity.ERROR]
            if self.valid_rows_only:
                self.errors += sum(i.row is None for i in errors)
                frame = self._valid_rows(frame, layout, {i.row for i in errors if i.source == name})
            else:
                self.errors += len(errors)
            self.progress(len(self.finished) / max(len(self.files), 1), f"{name} を読み込んでいます")
            if not self.errors:  # after an error the batch will be rolled back: only read on, for the issues
                self.rows[key] += len(frame)
                yield frame.drop(columns=[SOURCE_ROW])
        self.finished.add(key)
        if self.errors:
            raise _DetailErrors(key)

    def _valid_rows(self, frame: pd.DataFrame, layout: Layout, bad_rows: set[int | None]) -> pd.DataFrame:
        required = [f.name for f in layout.fields if f.required]
        drop = frame[SOURCE_ROW].isin(bad_rows) | frame[required].isna().any(axis=1)
        if self.receipt_ids is not None and len(frame):
            drop |= ~self._known_receipts(frame["receipt_id"].fillna("").to_numpy(dtype=str))
        self.dropped += int(drop.sum())
        return frame[~drop.to_numpy()]

    def _known_receipts(self, ids: np.ndarray) -> np.ndarray:
        """Which `ids` are kept receipts: a binary search in the sorted ids (pandas' isin on millions of
        arrow strings takes a minute a chunk)."""
        known = self.receipt_ids
        if known is None or not len(known):
            return np.zeros(len(ids), dtype=bool)
        found = known[np.minimum(np.searchsorted(known, ids), len(known) - 1)]
        return found == ids

    def store(self, fraction: float, message: str) -> None:
        """The store's progress while it pulls chunks: shown as reading (what takes the time)."""
        self.progress(len(self.finished) / max(len(self.files), 1), message)

    def read_rest(self) -> list[Issue]:
        """Every detail file's issues, reading (without storing) the files not read to their end."""
        for key in self.files:
            if key not in self.finished:
                try:
                    for _ in self.chunks(key):
                        pass
                except _DetailErrors:
                    pass
        return [issue for key in self.files for issue in self.issues.get(key, [])]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
