"""Use case 通知・発送 (mailing): preview, print a batch, reprint, cancel, send history, letter templates.

A batch turns an approved target list into the files the clerk takes to the printer: the letters
(PDF, in parts of `PART_SIZE` letters), the labels (PDF), the mailing list (xlsx, with the offline
住所確認) and the 控え (xlsx: counts per 区分 and 送付方法, parameters, rule version). Letters, labels
and list are in one order (the route's, see `mailing_order`). The batch is recorded with each
letter's content as printed and its SHA-256, so a reprint is the same letter word for word.
Nothing is recorded and no file is left when the work is cancelled or fails. See docs/mailing.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.letters import (ROUTES, Address, FieldsBlock, Letter, LetterTemplate, ReplySlip, Sender, TableBlock,
                                 TemplateError, build_letters, default_template, mailing_rows, order_for_route)
from dhdesk.core.letters.build import current_members, text_or_blank
from dhdesk.core.programs import TargetList
from dhdesk.core.union import UnionInfo
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.core.wareki import format_fiscal_year, format_wareki
from dhdesk.reports.glyphs import uncovered
from dhdesk.reports.labels_pdf import SHEETS, LabelSheet, render_labels
from dhdesk.reports.letters_pdf import WindowSpec, render_letters, unprintable, write_letters
from dhdesk.reports.mailing_xlsx import write_mailing
from dhdesk.reports.xlsx_tables import write_tables
from dhdesk.services.programs import get_program, parameter_table
from dhdesk.store.notices import NoticeParts
from dhdesk.store.workspace import Workspace

TEMPLATE_SETTING = "letters."
"""The clerk's edited letter template of a program: workspace setting `letters.<program>`."""
ROUTE_SETTING = "mailing.route."
"""A program's delivery route: workspace setting `mailing.route.<program>`."""
MIXED = "mixed"
ROUTE_CHOICES: dict[str, str] = {**ROUTES, MIXED: "組合員は所属所経由・被扶養者は自宅直送"}
DEFAULT_ROUTE = MIXED
"""Seed 004 §6.3 (周知・案内): notices to 組合員 are gathered per 所属所, to 被扶養者 sent to each home."""
INSURED = 1
"""`relation` of the insured person (組合員・被保険者本人); 2 is a dependant (被扶養者)."""
SUBSTITUTE = "〓"
"""げた記号: the printers' customary stand-in for a character the type does not have."""
PART_SIZE = 1000
"""Letters per PDF part: a part is a few seconds of rendering and about 2 MB, and memory stays flat."""
WORKERS = 2
"""Worker processes rendering parts side by side (spawned, so the frozen Windows app works the same)."""
STATUS_LABELS = {"issued": "発送済み", "cancelled": "取消"}
HISTORY_COLUMNS = ("発送番号", "事業", "対象者リスト", "作成日時", "発送日", "送付方法", "通知数", "自宅直送",
                   "所属所経由", "状態", "取消日時", "取消理由")


class MailingRefused(ValueError):
    """A batch that cannot be made as asked (not approved, already sent, nobody to write to…); a clerk message."""


class UnprintableCharacters(MailingRefused):
    """Names or addresses with characters no bundled font has; `members` maps member id → those characters."""

    def __init__(self, members: Mapping[str, set[str]]) -> None:
        self.members = dict(members)
        listed = list(self.members.items())[:10]
        shown = "、".join(f"{member_id}（{'・'.join(sorted(chars))}）" for member_id, chars in listed)
        more = f" ほか{len(self.members) - 10}人" if len(self.members) > 10 else ""
        super().__init__(
            f"同梱のフォントにない文字があり、このままでは印刷できません（{len(self.members)}人: {shown}{more}）。"
            f"台帳の氏名・住所を直すか、「{SUBSTITUTE}」に置き換えて印刷してください。"
        )


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """A printed and recorded batch: its number, the files written (letters parts first) and a summary."""

    batch_id: int
    files: list[Path]
    summary: str
    warnings: tuple[str, ...] = ()


# -- templates and routes --------------------------------------------------------------------------


def template_for(workspace: Workspace, program: str) -> LetterTemplate:
    """The wording in force: the clerk's edited copy, else the shipped default."""
    stored = workspace.get_setting(TEMPLATE_SETTING + program)
    return default_template(program) if stored is None else LetterTemplate.from_dict(stored)


def save_template(workspace: Workspace, template: LetterTemplate) -> None:
    """Keep the clerk's wording; refused (TemplateError, in Japanese) when it uses an unknown placeholder."""
    problems = template.problems()
    if problems:
        raise TemplateError("\n".join(problems))
    workspace.set_setting(TEMPLATE_SETTING + template.program, template.to_dict())


def reset_template(workspace: Workspace, program: str) -> LetterTemplate:
    """Go back to the shipped wording; returns it."""
    workspace.set_setting(TEMPLATE_SETTING + program, None)
    return default_template(program)


def route_for(workspace: Workspace, program: str) -> str:
    """The program's delivery route: home, office or mixed (default, see DEFAULT_ROUTE)."""
    return workspace.get_setting(ROUTE_SETTING + program) or DEFAULT_ROUTE


def set_route(workspace: Workspace, program: str, route: str) -> None:
    workspace.set_setting(ROUTE_SETTING + program, _checked_route(route))


def _checked_route(route: str) -> str:
    if route not in ROUTE_CHOICES:
        raise MailingRefused(f"送付方法「{route}」はありません（{'、'.join(ROUTE_CHOICES)}）。")
    return route


# -- the letters of a run --------------------------------------------------------------------------


def mailing_order(targets: pd.DataFrame, members: pd.DataFrame, route: str) -> tuple[list[str], dict[str, str]]:
    """Member ids in mailing order and each one's route (home / office).

    `home`: everyone by postal code. `office`: grouped by 所属所. `mixed`: 組合員 grouped by 所属所, then
    被扶養者 by postal code. A member without a 所属所 is always sent home (there is no bundle to put
    the letter in).
    """
    roster = current_members(members)
    roster.index = roster.index.astype(str)
    ids = targets["member_id"].astype(str)
    has_office = roster["office"].reindex(ids).map(text_or_blank).ne("").to_numpy()
    insured = roster["relation"].reindex(ids).eq(INSURED).fillna(False).to_numpy(dtype=bool)
    via_office = has_office & {"home": False, "office": True, MIXED: insured}[_checked_route(route)]
    office_ids = order_for_route(targets[via_office], members, "office")
    home_ids = order_for_route(targets[~via_office], members, "home")
    return office_ids + home_ids, {**dict.fromkeys(office_ids, "office"), **dict.fromkeys(home_ids, "home")}


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What a batch prints, in mailing order: the targets, their roster rows and routes, and how a
    letter is worded. Letters are built from it part by part (`letters`), never all at once."""

    target_list: TargetList
    targets: pd.DataFrame
    members: pd.DataFrame
    routes: dict[str, str]
    union: UnionInfo
    template: LetterTemplate
    issue_date: date

    def letters(self, start: int, stop: int) -> list[Letter]:
        """The letters of targets `start`…`stop - 1` in mailing order."""
        return build_letters(self.target_list.program, self.targets.iloc[start:stop], self.members, self.union,
                             self.template, self.issue_date, fiscal_year=self.target_list.fiscal_year)


def _prepare(workspace: Workspace, run_id: int, target_list: TargetList, route: str, template: LetterTemplate,
             issue_date: date) -> _Prepared:
    final = target_list.targets[~target_list.targets["excluded"] & ~target_list.targets["holdout"]]
    if final.empty:
        raise MailingRefused(f"対象者リスト {run_id} には通知を送る人がいません（除外・対照群を除いて0人）。")
    members = workspace.members(member_ids=final["member_id"].astype(str).tolist())
    order, routes = mailing_order(final, members, route)
    targets = final.set_index(final["member_id"].astype(str)).loc[order].reset_index(drop=True)
    return _Prepared(target_list, targets, members, routes, workspace.union_info(), template, issue_date)


def preview(workspace: Workspace, run_id: int, count: int = 3, template: LetterTemplate | None = None, *,
            route: str | None = None, window: WindowSpec | None = None,
            sent_date: date | None = None) -> tuple[list[Letter], bytes]:
    """The first `count` letters in mailing order and their PDF with the window outlined, for the screen,
    dated `sent_date` (default today) as the batch will be.

    Works on a draft too (wording can be checked before approval); an unsaved `template` can be tried.
    Characters no font has show as 〓 here, so the clerk sees where the problem is.
    """
    target_list = workspace.run(run_id)
    program = target_list.program
    prepared = _prepare(workspace, run_id, target_list, route or route_for(workspace, program),
                        template or template_for(workspace, program), sent_date or date.today())
    letters, _ = _substituted(prepared.letters(0, count))
    return letters, render_letters(letters, window, show_window=True)


# -- letter content as recorded --------------------------------------------------------------------


def letter_content(letter: Letter) -> dict[str, Any]:
    """The letter as JSON-ready data (what the send history keeps); `letter_from_content` reads it back.

    Tuples stay tuples (JSON writes them as lists, so the hash is the same before and after storing)
    and the strings are the letter's own: a batch of 10,000 letters holds no second copy of its text.
    """
    content = dataclasses.asdict(letter)
    content["blocks"] = [{"kind": "table" if isinstance(block, TableBlock) else "fields", **dataclasses.asdict(block)}
                         for block in letter.blocks]
    return content


def letter_sha256(content: Mapping[str, Any]) -> str:
    """SHA-256 of the content in a canonical JSON form (sorted keys, no spaces): equal content, equal hash."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def letter_from_content(content: Mapping[str, Any]) -> Letter:
    """The `Letter` a recorded content describes (lists back to tuples)."""
    def block(data: Mapping[str, Any]) -> TableBlock | FieldsBlock:
        values = {key: value for key, value in data.items() if key != "kind"}
        if data["kind"] == "table":
            return TableBlock(values["heading"], tuple(values["header"]), tuple(tuple(row) for row in values["rows"]),
                              values["label_columns"], tuple(values["total"]), tuple(values["notes"]))
        return FieldsBlock(values["heading"], tuple(tuple(pair) for pair in values["fields"]), tuple(values["notes"]))

    address, sender, reply = content["address"], content["sender"], content["reply"]
    return Letter(
        member_id=content["member_id"], program=content["program"],
        address=Address(address["postal_code"], tuple(address["lines"]), address["name"], address["member_id"]),
        sender=Sender(sender["name"], sender["postal_code"], sender["address"], sender["phone"],
                      sender["department"], tuple(sender["extra"])),
        confidential=content["confidential"], date=content["date"], title=content["title"],
        paragraphs=tuple(content["paragraphs"]), blocks=tuple(block(b) for b in content["blocks"]),
        reply=None if reply is None else ReplySlip(reply["title"], reply["text"], tuple(reply["fields"]),
                                                    reply["member_line"], reply["return_to"]),
        placeholders=dict(content["placeholders"]),
    )


def _substituted(letters: Sequence[Letter]) -> tuple[list[Letter], dict[str, set[str]]]:
    """The letters with every character no font has replaced by 〓, and what was replaced per member."""
    missing = unprintable(letters)
    if not missing:
        return list(letters), {}
    table = str.maketrans(dict.fromkeys("".join(set().union(*missing.values())), SUBSTITUTE))

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            return value.translate(table)
        if isinstance(value, (list, tuple)):
            return [replace(v) for v in value]
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        return value

    return [letter_from_content(replace(letter_content(letter))) if letter.member_id in missing else letter
            for letter in letters], missing


# -- printing a batch ------------------------------------------------------------------------------


def generate_batch(
    workspace: Workspace,
    run_id: int,
    out_dir: Path,
    *,
    route: str | None = None,
    window: WindowSpec | None = None,
    label_sheet: LabelSheet | str | None = None,
    sent_date: date | None = None,
    glyph_fallback: bool = False,
    progress: ProgressFn = no_progress,
) -> BatchResult:
    """Print and record one batch of an approved run into `out_dir`.

    `route` None = the program's setting; `label_sheet` "12" (default), "24" or a LabelSheet;
    `sent_date` is printed as the letters' date and starts the effect window (None: today's date is
    printed and the sent date is set later). Characters no font has refuse the batch
    (`UnprintableCharacters`, listing the members) unless `glyph_fallback`, which prints 〓 instead and
    says so in the warnings. Cancelling (the progress callback raising Cancelled) records nothing
    and leaves no file.
    """
    window = window or WindowSpec()
    sheet = SHEETS[label_sheet or "12"] if not isinstance(label_sheet, LabelSheet) else label_sheet
    _refuse_unready(workspace, run_id)
    target_list = workspace.run(run_id)
    program = target_list.program
    route = _checked_route(route or route_for(workspace, program))
    issue_date = sent_date or date.today()
    progress(0.0, "通知文の内容を作成しています")
    prepared = _prepare(workspace, run_id, target_list, route, template_for(workspace, program), issue_date)
    params = {"fiscal_year": target_list.fiscal_year, "month": target_list.month,
              "rule_version": target_list.rule_version, "program_params": target_list.params,
              "route": route, "issue_date": issue_date.isoformat(), "window": dataclasses.asdict(window),
              "label_sheet": dataclasses.asdict(sheet), "part_size": PART_SIZE}
    out_dir = Path(out_dir)
    staging = out_dir / f".dhdesk-batch-{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    try:
        with NoticeParts(staging) as notices:
            staged = _write_files(staging, prepared, notices, window, sheet, glyph_fallback,
                                  wrap_progress(progress, 0.0, 0.95))
            params["substituted"] = {member: sorted(chars) for member, chars in staged.substituted.items()}
            progress(0.96, "発送記録を保存しています")
            batch_id = workspace.record_notice_batch(run_id, program, params, prepared.template.to_dict(), notices,
                                                     sent_date)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        files, warnings = _finish_files(workspace, out_dir, run_id, batch_id, prepared, staged, params)
    except BaseException:
        workspace.cancel_notice_batch(batch_id, "ファイルの書き出しに失敗したため自動で取り消しました。")
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BatchResult(batch_id, files, _summary(batch_id, prepared, files, warnings), warnings)


def _refuse_unready(workspace: Workspace, run_id: int) -> None:
    """Refuse before any work: a run that is not approved, or already has a batch that was not cancelled."""
    runs = workspace.runs()
    row = runs[runs["run_id"] == run_id]
    if row.empty:
        raise MailingRefused(f"対象者リスト {run_id} はこのワークスペースにありません。")
    if row["status"].iloc[0] != "approved":
        raise MailingRefused(f"対象者リスト {run_id} は承認されていません。承認してから印刷してください。")
    batches = workspace.notice_batches()
    issued = batches[(batches["run_id"] == run_id) & (batches["status"] == "issued")]
    if not issued.empty:
        raise MailingRefused(f"対象者リスト {run_id} は発送記録 {int(issued['batch_id'].iloc[0])} で印刷済みです。"
                             "再印刷は発送履歴から行ってください（作り直すときは先に取り消してください）。")


@dataclasses.dataclass(frozen=True)
class _Staged:
    """The files of a batch in its staging folder, under neutral names, the mailing list's rows and
    the characters printed as 〓 per member."""

    parts: list[Path]
    labels: Path
    listed: Path
    rows: pd.DataFrame
    substituted: dict[str, set[str]]

    @property
    def folder(self) -> Path:
        return self.labels.parent


def _write_files(staging: Path, prepared: _Prepared, notices: NoticeParts, window: WindowSpec, sheet: LabelSheet,
                 glyph_fallback: bool, progress: ProgressFn) -> _Staged:
    """Letters (parts), labels and the mailing list into the staging folder, each letter recorded in
    `notices` as printed.

    A part of letters is built, checked for characters no font has, recorded and handed to a renderer
    before the next is built, so memory holds a few parts whatever the batch size. Once a character
    is found that cannot be printed (and 〓 was not chosen) nothing more is rendered, but every part
    is still checked so the refusal names everyone to correct. Names and addresses, where such
    characters come from, are looked at first: when one cannot be printed, nothing is rendered at all.
    """
    refusing = not glyph_fallback and bool(uncovered(_roster_texts(prepared)))
    total = len(prepared.targets)
    count = -(-total // PART_SIZE)
    paths = [staging / f"letters_part{n:02d}.pdf" for n in range(1, count + 1)]
    addresses: list[Address] = []
    rows: list[pd.DataFrame] = []
    substituted: dict[str, set[str]] = {}

    def parts() -> Iterator[tuple[list[Letter], Path]]:
        for number, start in enumerate(range(0, total, PART_SIZE)):
            letters, missing = _substituted(prepared.letters(start, start + PART_SIZE))
            substituted.update(missing)
            if refusing or (substituted and not glyph_fallback):
                continue
            contents = [letter_content(letter) for letter in letters]
            notices.add(pd.DataFrame({
                "member_id": [letter.member_id for letter in letters],
                "seq": range(start + 1, start + len(letters) + 1),
                "route": [prepared.routes[letter.member_id] for letter in letters],
                "tier": prepared.targets["tier"].iloc[start:start + PART_SIZE].map(text_or_blank).tolist(),
                "letter_sha256": [letter_sha256(content) for content in contents],
                "content": contents,
            }))
            addresses.extend(letter.address for letter in letters)
            rows.append(mailing_rows(letters, prepared.targets.iloc[start:start + PART_SIZE], prepared.members))
            yield letters, paths[number]

    render_parts(parts(), total, window, wrap_progress(progress, 0.0, 0.9))
    if substituted and not glyph_fallback:
        raise UnprintableCharacters(substituted)
    progress(0.9, "宛名ラベルを作成しています")
    labels = staging / "labels.pdf"
    labels.write_bytes(render_labels(addresses, sheet))
    progress(0.95, "発送リストを作成しています")
    listed_rows = pd.concat(rows, ignore_index=True)
    listed_rows.insert(listed_rows.columns.get_loc("所属所") + 1, "送付方法",
                       pd.array([ROUTES[prepared.routes[str(m)]] for m in listed_rows["加入者番号"]], dtype="string"))
    listed = write_mailing(listed_rows, staging / "list.xlsx", title=_title_line(prepared.target_list))
    progress(1.0, "印刷用のファイルができました")
    return _Staged(paths, labels, listed, listed_rows, substituted)


def _roster_texts(prepared: _Prepared) -> set[str]:
    """The distinct names and addresses the batch's letters print (each member's current row, as
    `build_letters` takes it): a character no font has here is one the letters have too."""
    roster = current_members(prepared.members)[["name", "address1", "address2"]]
    return {text for column in roster.columns for text in roster[column].dropna().unique()}


def render_parts(parts: Iterable[tuple[Sequence[Letter], Path]], letters: int, window: WindowSpec | None = None,
                 progress: ProgressFn = no_progress) -> list[Path]:
    """Render each (letters, path) part the iterator yields, in order, as a PDF; `letters` is the total.

    A single part is rendered here, its progress letter by letter. More go to `WORKERS` spawned
    processes, at most one part each at a time: the next part is taken from the iterator (which
    builds it) only when a worker is free, so memory does not grow with the batch. Progress (and a
    cancel) comes between parts; on a cancel no new part starts and the running ones are waited for
    before the caller removes the files.
    """
    if letters <= PART_SIZE:
        return [write_letters(chunk, path, window, progress=progress) for chunk, path in parts]
    count = -(-letters // PART_SIZE)
    progress(0.0, f"通知文を作成しています（{letters:,}通を{count}つのファイルに分けて）")
    written: list[Path] = []
    finished = 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=context) as pool:
        pending: set[Future[Path]] = set()
        try:
            for chunk, path in parts:
                if len(pending) >= WORKERS:
                    finished += _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done, count,
                                         letters, finished, progress)
                pending.add(pool.submit(write_letters, chunk, path, window))
                written.append(path)
            while pending:
                finished += _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done, count, letters,
                                     finished, progress)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return written


def _collect(pending: set[Future[Path]], done: set[Future[Path]], count: int, letters: int, finished: int,
             progress: ProgressFn) -> int:
    """Take finished renderings out of `pending` (raising a worker's error) and report; returns how many."""
    for future in done:
        future.result()
        pending.discard(future)
    now = finished + len(done)
    progress(now / count, f"通知文を作成しています（{min(now * PART_SIZE, letters):,}/{letters:,}通）")
    return len(done)


def _finish_files(workspace: Workspace, out_dir: Path, run_id: int, batch_id: int, prepared: _Prepared,
                  staged: _Staged, params: dict[str, Any]) -> tuple[list[Path], tuple[str, ...]]:
    """Write the 控え (it carries the batch number) and move every file to its final name."""
    stem = batch_stem(prepared.target_list.fiscal_year, prepared.target_list.program, batch_id)
    parts = staged.parts
    names = {path: f"{stem}_letters.pdf" if len(parts) == 1 else f"{stem}_letters_part{n:02d}.pdf"
             for n, path in enumerate(parts, 1)}
    names[staged.labels] = f"{stem}_labels.pdf"
    names[staged.listed] = f"{stem}_list.xlsx"
    problems = staged.rows["住所確認"].fillna("").ne("")
    warnings = tuple(
        [f"{member}: {'・'.join(sorted(chars))} を「{SUBSTITUTE}」に置き換えて印刷しました。"
         for member, chars in staged.substituted.items()]
        + ([f"住所確認で問題のある宛先が{int(problems.sum())}件あります（発送リストの黄色の行）。"] if problems.any() else [])
    )
    summary = staged.folder / "summary.xlsx"
    names[summary] = f"{stem}_summary.xlsx"
    write_tables(_summary_tables(run_id, batch_id, prepared, params, list(names.values()), staged.rows,
                                 staged.substituted),
                 summary, heading=f"{workspace.union_info().name} 発送控え（発送番号 {batch_id}）")
    clashes = [name for name in names.values() if (out_dir / name).exists()]
    if clashes:
        raise MailingRefused(f"出力フォルダに同じ名前のファイルがあります: {'、'.join(clashes)}")
    for source, name in names.items():
        source.replace(out_dir / name)
    return [out_dir / name for name in names.values()], warnings


def batch_stem(fiscal_year: int, program: str, batch_id: int) -> str:
    """`<年度>_<program>_<batch_id>`: the start of every file name of a batch."""
    return f"{fiscal_year}_{program}_{batch_id}"


def _title_line(target_list: TargetList) -> str:
    month = f" {target_list.month[:4]}年{int(target_list.month[4:])}月" if target_list.month else ""
    return f"{get_program(target_list.program).title} {format_fiscal_year(target_list.fiscal_year)}{month}"


def _summary_tables(run_id: int, batch_id: int, prepared: _Prepared, params: Mapping[str, Any],
                    file_names: list[str], rows: pd.DataFrame, substituted: dict[str, set[str]]
                    ) -> list[AnalysisTable]:
    """The 控え: the batch in figures, the counts per 区分 and 送付方法, the parameters, what needs a look."""
    target_list = prepared.target_list
    routes = pd.Series([ROUTES[prepared.routes[m]] for m in prepared.targets["member_id"].astype(str)])
    tiers = prepared.targets["tier"].map(lambda tier: text_or_blank(tier) or "（区分なし）").reset_index(drop=True)
    counts = pd.crosstab(tiers, routes, margins=True, margins_name="計").rename_axis(index="区分", columns=None)
    counts = counts.reset_index()
    counts.columns = [str(column) for column in counts.columns]
    window = params["window"]
    overview = pd.DataFrame([
        ("発送番号", str(batch_id)),
        ("事業", _title_line(target_list)),
        ("対象者リスト（実行番号）", str(run_id)),
        ("ルールの版", f"{target_list.program} {target_list.rule_version}"),
        ("送付方法", ROUTE_CHOICES[params["route"]]),
        ("通知数", f"{len(prepared.targets):,}通"),
        ("通知文の日付", format_wareki(date.fromisoformat(params["issue_date"]))),
        ("作成日時", f"{datetime.now():%Y-%m-%d %H:%M}"),
        ("封筒の窓（mm）", f"左{window['left']:g}・上{window['top']:g}・幅{window['width']:g}・高さ{window['height']:g}"),
        ("宛名ラベル", params["label_sheet"]["name"]),
        ("ファイル", "、".join(file_names)),
    ], columns=["項目", "内容"])
    tables = [
        AnalysisTable("概要", "発送の概要", overview),
        AnalysisTable("区分・送付方法別", "区分・送付方法別の通知数", counts),
        AnalysisTable("抽出条件", "抽出に使った設定", parameter_table(target_list)),
    ]
    problems = rows[rows["住所確認"].fillna("").ne("")][["加入者番号", "宛名", "郵便番号", "住所1", "住所確認"]]
    if len(problems):
        tables.append(AnalysisTable("住所確認", "住所確認で問題のある宛先", problems.reset_index(drop=True),
                                    notes=("郵便番号と住所の都道府県・市区町村が合わないものです。発送前に確認してください。",)))
    if substituted:
        tables.append(AnalysisTable("文字の置き換え", f"「{SUBSTITUTE}」に置き換えて印刷した文字", pd.DataFrame(
            [(member, "・".join(sorted(chars))) for member, chars in substituted.items()], columns=["加入者番号", "文字"])))
    return tables


def _summary(batch_id: int, prepared: _Prepared, files: list[Path], warnings: tuple[str, ...]) -> str:
    lines = [f"発送番号 {batch_id}: {_title_line(prepared.target_list)} の通知 {len(prepared.targets):,}通を作成しました。",
             *(f"  {path}" for path in files), *warnings]
    return "\n".join(lines)


# -- after printing --------------------------------------------------------------------------------


def reprint(workspace: Workspace, batch_id: int, out_dir: Path, member_id: str | None = None) -> list[Path]:
    """Print a recorded batch (letters and labels) or one member's letter again, exactly as recorded.

    The letters come from the recorded content, never from today's roster or template, read part by
    part; each one's SHA-256 is checked against the record, and on a mismatch every file of the
    reprint is removed. Files are named `<年度>_<program>_<batch_id>_reprint[_<member_id>]_…`.
    """
    row = workspace.notice_batch_row(batch_id)
    params = row["params"]
    window = WindowSpec(**params["window"])
    stem = batch_stem(int(params["fiscal_year"]), str(row["program"]), batch_id) + "_reprint"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if member_id is not None:
        notices = workspace.notice_batch(batch_id)[1]
        notices = notices[notices["member_id"] == member_id]
        if notices.empty:
            raise MailingRefused(f"発送記録 {batch_id} に加入者番号 {member_id} への通知はありません。")
        return [write_letters(_recorded_letters(batch_id, notices), out_dir / f"{stem}_{member_id}_letters.pdf",
                              window)]
    total, size = int(row["letters"]), int(params["part_size"])
    count = -(-total // size)
    paths = [out_dir / (f"{stem}_letters.pdf" if count == 1 else f"{stem}_letters_part{n:02d}.pdf")
             for n in range(1, count + 1)]
    addresses: list[Address] = []

    def parts() -> Iterator[tuple[list[Letter], Path]]:
        for number, first in enumerate(range(1, total + 1, size)):
            letters = _recorded_letters(batch_id, workspace.notice_letters(batch_id, first, first + size - 1))
            addresses.extend(letter.address for letter in letters)
            yield letters, paths[number]

    labels = out_dir / f"{stem}_labels.pdf"
    try:
        render_parts(parts(), total, window)
        labels.write_bytes(render_labels(addresses, LabelSheet(**params["label_sheet"])))
    except BaseException:
        for path in (*paths, labels):
            path.unlink(missing_ok=True)
        raise
    return [*paths, labels]


def _recorded_letters(batch_id: int, notices: pd.DataFrame) -> list[Letter]:
    """The recorded letters, each checked against its recorded SHA-256."""
    letters = []
    for content, recorded in zip(notices["content"], notices["letter_sha256"], strict=True):
        letter = letter_from_content(content)
        if letter_sha256(letter_content(letter)) != recorded:
            raise MailingRefused(f"発送記録 {batch_id} の加入者番号 {letter.member_id} の通知が記録と一致しません。"
                                 "再印刷できません。")
        letters.append(letter)
    return letters


def cancel(workspace: Workspace, batch_id: int, note: str) -> None:
    """Cancel a batch (kept and marked; its members count as not notified again). A reason is required."""
    if not note or not note.strip():
        raise MailingRefused("取り消しの理由を入力してください。")
    workspace.cancel_notice_batch(batch_id, note.strip())


def history(workspace: Workspace, program: str | None = None) -> pd.DataFrame:
    """The send history (発送履歴), newest first, with Japanese headers (HISTORY_COLUMNS)."""
    batches = workspace.notice_batches(program)
    return pd.DataFrame({
        "発送番号": batches["batch_id"].astype("Int64"),
        "事業": batches["program"].map(_program_title).astype("string"),
        "対象者リスト": batches["run_id"].astype("Int64"),
        "作成日時": batches["created_at"],
        "発送日": batches["sent_date"],
        "送付方法": batches["route"].map(ROUTE_CHOICES).astype("string"),
        "通知数": batches["letters"].astype("Int64"),
        "自宅直送": batches["home"].astype("Int64"),
        "所属所経由": batches["office"].astype("Int64"),
        "状態": batches["status"].map(STATUS_LABELS).astype("string"),
        "取消日時": batches["cancelled_at"],
        "取消理由": batches["note"].astype("string"),
    }, columns=list(HISTORY_COLUMNS))


def _program_title(program_id: str) -> str:
    try:
        return get_program(program_id).title
    except ValueError:
        return program_id
