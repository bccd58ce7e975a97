"""Use cases of 対象者抽出 (programs): run a program on a workspace, review, approve, export, explain.

The same calls serve the GUI screen and `dhdesk targets`. A run reads the claims months its program
asks for (`Program.claims_months`, ending with the chosen month or the 基準日) and the 年度 of
checkups it asks for (`Program.checkup_years`), applies the common exclusions, adds printing warnings
(characters no bundled font has), and is saved as a draft for the clerk to review. Parameters in
force: the rule file's defaults, then the office's (workspace setting `programs.<id>`), then the run's own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.programs import Candidates, Parameter, Program, ProgramInputs, TargetList
from dhdesk.core.programs.exclusions import BY_CLERK, BY_RULE, finish
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.core.rules.measures import ymd
from dhdesk.core.union import DEPENDANT_LABEL, insured_label
from dhdesk.reports import glyphs
from dhdesk.reports.targets_xlsx import write_targets_xlsx
from dhdesk.services import rulesets
from dhdesk.store.workspace import Workspace

MONTH_PARAMETER = "month"
"""A monthly program's 診療年月 parameter: kept equal to the run's month, whichever way it was given."""
SETTING_PREFIX = "programs."
"""Office defaults of a program's parameters live in the workspace setting `programs.<id>`."""

MEMBER_COLUMNS = ("加入者番号", "氏名", "本人家族", "年齢", "所属所", "区分", "抽出理由", "除外", "除外理由", "注意",
                  "利用券番号")
_PRINTED_FIELDS = {"name": "氏名", "address1": "住所1", "address2": "住所2"}
_STATUS_LABELS = {"draft": "下書き", "approved": "承認済み", "discarded": "破棄"}
_TRUE_WORDS, _FALSE_WORDS = {"true", "1", "yes", "はい", "on"}, {"false", "0", "no", "いいえ", "off"}


class ProgramError(ValueError):
    """A request the clerk can correct (unknown setting, month outside the 年度, missing reason…); the
    message is written for them."""


class UnknownProgram(ProgramError):
    """No program has this id; the message lists the ids that exist."""

    def __init__(self, program_id: str, known: list[str]) -> None:
        super().__init__(f"「{program_id}」という抽出の種類はありません。使えるもの: {', '.join(known)}")


def _catalogue():
    """The registry of programs (imported when first used: it loads every program module)."""
    from dhdesk.core.programs import catalogue

    return catalogue


def program_ids() -> list[str]:
    return list(_catalogue().PROGRAMS)


def get_program(program_id: str) -> Program:
    programs = _catalogue().PROGRAMS
    if program_id not in programs:
        raise UnknownProgram(program_id, list(programs))
    return programs[program_id]


# -- parameters ------------------------------------------------------------------------------------


def office_parameters(workspace: Workspace, program_id: str) -> dict[str, Any]:
    """The office's own defaults for a program (only the parameters it changed; names a newer rule file
    no longer has are ignored)."""
    known = get_program(program_id).defaults()
    stored = workspace.get_setting(SETTING_PREFIX + program_id, {})
    return {name: value for name, value in stored.items() if name in known}


def set_office_parameters(workspace: Workspace, program_id: str, values: Mapping[str, Any]) -> None:
    """Keep the office's defaults for a program; values equal to the rule file's default are dropped."""
    program = get_program(program_id)
    resolved = program.resolve(values)
    defaults = program.defaults()
    workspace.set_setting(SETTING_PREFIX + program_id,
                          {name: resolved[name] for name in values if resolved[name] != defaults[name]})


@dataclasses.dataclass(frozen=True)
class ParameterDifference:
    """A parameter whose office value differs from the rule file's default."""

    parameter: Parameter
    value: Any


def parameter_differences(workspace: Workspace, program_id: str) -> list[ParameterDifference]:
    """The office defaults that differ from the rule file, in rule-file order."""
    program = get_program(program_id)
    office = program.resolve(office_parameters(workspace, program_id))
    return [ParameterDifference(p, office[p.name]) for p in program.parameters if office[p.name] != p.default]


def parse_parameters(program_id: str, texts: Mapping[str, str]) -> dict[str, Any]:
    """Command-line `name=value` texts as typed values, each read like its default (bool, int, float, text)."""
    program = get_program(program_id)
    defaults = program.defaults()
    values = {}
    for name, text in texts.items():
        if name not in defaults:
            raise ProgramError(f"{program.title}に「{name}」という設定はありません。使えるもの: {', '.join(defaults)}")
        values[name] = _typed_like(defaults[name], text.strip(), program.title, name)
    return values


def _typed_like(default: Any, text: str, title: str, name: str) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() not in _TRUE_WORDS | _FALSE_WORDS:
                raise ProgramError(text)
            return text.lower() in _TRUE_WORDS
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            return [item.strip() for item in text.split(",") if item.strip()]
    except ValueError:
        raise ProgramError(f"{title}の「{name}」に「{text}」は使えません（既定値 {default} と同じ形で指定）。") from None
    return text


# -- running ---------------------------------------------------------------------------------------


def month_key(month: str | None) -> str | None:
    """"2025-06" or "202506" as the claims' yyyymm."""
    if month is None:
        return None
    key = month.replace("-", "").replace("/", "")
    if not re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])", key):
        raise ProgramError(f"月「{month}」が読めません。YYYY-MM の形で指定してください。")
    return key


def default_as_of(fiscal_year: int, today: date | None = None) -> date:
    """The 基準日 of a run: today, or the last day of the 年度 when the list is made for a past 年度."""
    return min(today or date.today(), date(fiscal_year + 1, 3, 31))


def claims_months(program: Program, month: str | None, as_of: date,
                  params: Mapping[str, Any] | None = None, fiscal_year: int | None = None) -> tuple[str, str]:
    """The (first, last) yyyymm of claims the program reads, ending with the chosen month or the month of
    `as_of`: `claims_months` months (or the longer window its `months_parameter` asks for), or from April
    of the 年度 for programs that look at visits after the year's exams."""
    last = pd.Period(f"{month[:4]}-{month[4:]}" if month else as_of, freq="M")
    if program.claims_from_fiscal_year_start and fiscal_year is not None:
        return f"{fiscal_year}04", f"{max(last, pd.Period(f'{fiscal_year}-04', freq='M')):%Y%m}"
    count = program.claims_months
    if program.months_parameter and params:
        count = max(count, int(params.get(program.months_parameter) or 0))
    first = last - (max(count, 1) - 1)
    return f"{first:%Y%m}", f"{last:%Y%m}"


def load_program_inputs(
    workspace: Workspace,
    program: Program,
    fiscal_year: int,
    month: str | None = None,
    as_of: date | None = None,
    progress: ProgressFn = no_progress,
    params: Mapping[str, Any] | None = None,
) -> ProgramInputs:
    """Read what the program needs from the workspace as typed frames; claims tables it does not look
    at (`Program.reads`) stay empty, because at 300k members reading claims is most of a run."""
    as_of = as_of or default_as_of(fiscal_year)
    months = claims_months(program, month_key(month), as_of, params, fiscal_year)
    progress(0.0, "加入者台帳を読み込んでいます")
    members = workspace.members()
    progress(0.1, "健診結果を読み込んでいます")
    years = range(fiscal_year - program.checkup_years + 1, fiscal_year + 1)
    checkups = pd.concat([workspace.checkups(year) for year in years] or [workspace.checkups(fiscal_year, limit=0)],
                         ignore_index=True)
    claims = {}
    readers = {"receipts": workspace.receipts, "diagnoses": workspace.diagnoses, "drug_lines": workspace.drug_lines}
    for number, (table, read) in enumerate(readers.items()):
        progress(0.25 + 0.2 * number, f"レセプト（{months[0]}〜{months[1]}）を読み込んでいます")
        claims[table] = (read(months=months, columns=program.reads[table]) if table in program.reads
                        else read(months=months, limit=0))
    progress(0.9, "医薬品マスターと通知履歴を読み込んでいます")
    in_force = rulesets.rule_sets(workspace, fiscal_year)
    inputs = ProgramInputs(
        members=members,
        checkups=checkups,
        **claims,
        drug_masters=workspace.drug_masters(),
        history=workspace.notice_history(),
        as_of=as_of,
        insured_label=insured_label(workspace.union_info().union_type),
        stratification_rules=in_force.stratification,
        referral_rules=in_force.referral,
    )
    progress(1.0, "読み込みました")
    return inputs


def run_program(
    workspace: Workspace,
    program_id: str,
    fiscal_year: int,
    *,
    month: str | None = None,
    params: Mapping[str, Any] | None = None,
    as_of: date | None = None,
    progress: ProgressFn = no_progress,
) -> tuple[int, TargetList]:
    """Extract a program's targets, apply the common exclusions and save the list as a draft run.

    Parameters in force: the rule file's defaults, then the office's (`set_office_parameters`), then `params`.
    """
    program = get_program(program_id)
    try:
        resolved = program.resolve({**office_parameters(workspace, program_id), **(params or {})})
    except KeyError as error:
        raise ProgramError(error.args[0]) from None
    month = month_key(month or (str(resolved.get(MONTH_PARAMETER) or "") or None))
    if MONTH_PARAMETER in resolved:
        resolved[MONTH_PARAMETER] = month or ""
    if program.monthly and month is None:
        raise ProgramError(f"{program.title}は月ごとの抽出です。対象の月を指定してください。")
    if month is not None and _fiscal_year_of(month) != fiscal_year:
        raise ProgramError(f"{month[:4]}年{int(month[4:])}月は{fiscal_year}年度ではありません。")
    inputs = load_program_inputs(workspace, program, fiscal_year, month, as_of, wrap_progress(progress, 0.0, 0.5),
                                 resolved)
    progress(0.5, f"{program.title}の対象者を抽出しています")
    candidates = program.extract(inputs, fiscal_year, resolved)
    progress(0.85, "共通の除外（資格喪失・死亡・通知不要・通知済み）を確認しています")
    candidates = _with_glyph_warnings(candidates, inputs.members)
    target_list = finish(program, candidates, inputs, fiscal_year, resolved, month)
    progress(0.95, "抽出結果を保存しています")
    return workspace.save_run(target_list), target_list  # no progress call after saving: a cancel now would lose the run id


def _fiscal_year_of(month: str) -> int:
    return int(month[:4]) - (1 if int(month[4:]) < 4 else 0)


def _with_glyph_warnings(candidates: Candidates, members: pd.DataFrame) -> Candidates:
    """Add 「印刷できない文字」 to the targets whose name or address has a character no bundled font has."""
    targets = candidates.targets
    if targets.empty:
        return candidates
    roster = _latest_periods(members, targets["member_id"]).reindex(targets["member_id"].to_numpy())
    fields = list(_PRINTED_FIELDS)
    lacking = glyphs.uncovered(pd.concat([roster[name].dropna() for name in fields]).unique().tolist())
    if not lacking:
        return candidates
    pattern = "[" + re.escape("".join(sorted(lacking))) + "]"
    found = {name: roster[name].fillna("").str.findall(pattern).to_numpy() for name in fields}
    warnings = [
        tuple(existing) + tuple(
            f"印刷できない文字あり（{_PRINTED_FIELDS[name]}: {'・'.join(dict.fromkeys(found[name][i]))}）"
            for name in fields if len(found[name][i]))
        for i, existing in enumerate(targets["warnings"])
    ]
    return dataclasses.replace(candidates, targets=targets.assign(warnings=pd.Series(warnings, index=targets.index,
                                                                                     dtype=object)))


def _latest_periods(members: pd.DataFrame, member_ids: pd.Series) -> pd.DataFrame:
    """The latest 資格期間 of each member in `member_ids`, indexed by member_id."""
    wanted = members["member_id"].astype(object).isin(member_ids.astype(object))
    rows = members[wanted].sort_values(["member_id", "acquired_date"])
    return rows.drop_duplicates("member_id", keep="last").set_index("member_id")


# -- review ----------------------------------------------------------------------------------------


def exclude(workspace: Workspace, run_id: int, member_id: str, reason: str) -> None:
    """The clerk takes a member off a draft list, with a reason (kept and shown)."""
    if not reason or not reason.strip():
        raise ProgramError("除外の理由を入力してください。")
    workspace.set_exclusion(run_id, member_id, reason.strip())


def include(workspace: Workspace, run_id: int, member_id: str) -> None:
    """The clerk puts a member back on a draft list (overriding an automatic exclusion, shown as such)."""
    workspace.set_exclusion(run_id, member_id, None)


MAX_HOLDOUT_PERCENT = 20
"""More than a fifth left without a letter would cost the union more than the comparison is worth."""


def approve(workspace: Workspace, run_id: int, holdout_share: float = 0.0, seed: int | None = None) -> dict[str, int]:
    """Approve a draft list for mailing; returns the counts (final, holdout, vouchers)."""
    if not 0.0 <= holdout_share <= MAX_HOLDOUT_PERCENT / 100:
        raise ProgramError(f"比較のための保留は 0〜{MAX_HOLDOUT_PERCENT} % で指定してください。")
    return workspace.approve_run(run_id, holdout_share, seed)


def explain_member(workspace: Workspace, run_id: int, member_id: str) -> list[str]:
    """"Why am I here?" for a member of a saved run (see `explain_target`)."""
    return explain_target(workspace.run(run_id), member_id)


def explain_target(target_list: TargetList, member_id: str) -> list[str]:
    """"Why am I here?": the tier, reason, explanation, warnings, exclusion and 利用券番号 of one member
    (for a list already loaded, as the review screen has it)."""
    rows = target_list.targets[target_list.targets["member_id"] == member_id]
    if rows.empty:
        raise ProgramError(f"この抽出結果に加入者番号 {member_id} はいません。")
    row = rows.iloc[0]
    lines = [f"{_title(target_list.program)}（{_period(target_list)}、基準日 {target_list.as_of:%Y-%m-%d}）",
             f"区分: {_text(row['tier'])}　順位: {_text(row['rank'])}", f"抽出理由: {row['reason']}",
             *row["explanation"], *(f"注意: {w}" for w in row["warnings"])]
    by_clerk = _text(row["excluded_by"]) == BY_CLERK
    if row["excluded"]:
        lines.append(f"除外（{'事務局の判断' if by_clerk else '自動の除外'}）: {row['exclusion_reason']}")
    elif by_clerk:
        lines.append(f"事務局の判断: {row['exclusion_reason']}")
    if row["holdout"]:
        lines.append("効果測定の対照群のため、通知は送りません。")
    if not pd.isna(row["voucher_number"]):
        lines.append(f"利用券番号: {row['voucher_number']}")
    return lines


# -- export ----------------------------------------------------------------------------------------


def export_targets_xlsx(workspace: Workspace, run_id: int, path: Path) -> Path:
    """The reviewed list of a run as xlsx: 対象者, 抽出条件 (and 明細 when the program has per-line details)."""
    target_list = workspace.run(run_id)
    union_type = workspace.union_info().union_type
    members = member_table(target_list, workspace.members(member_ids=target_list.targets["member_id"].tolist()),
                           insured_label(union_type))
    status = workspace.runs(target_list.program).set_index("run_id").loc[run_id, "status"]
    conditions = [
        ("抽出", _title(target_list.program)),
        ("実行番号", f"{run_id}（{_STATUS_LABELS[status]}）"),
        ("年度・月", _period(target_list)),
        ("基準日", f"{target_list.as_of:%Y-%m-%d}"),
        ("ルールの版", f"{target_list.program} {target_list.rule_version}"),
    ]
    return write_targets_xlsx(Path(path), members=members, conditions=conditions,
                              parameters=parameter_table(target_list), funnel=target_list.funnel,
                              detail_lines=target_list.detail_lines)


def runs(workspace: Workspace, program_id: str | None = None) -> pd.DataFrame:
    """Every saved run (of one program), newest first: run_id, program, 年度/月, status, counts."""
    return workspace.runs(program_id)


@dataclasses.dataclass(frozen=True)
class RunReview:
    """What the review screen shows of a run: its status, the list, and the member table (MEMBER_COLUMNS
    plus `excluded`)."""

    run_id: int
    status: str
    target_list: TargetList
    table: pd.DataFrame

    @property
    def title(self) -> str:
        return get_program(self.target_list.program).title


def review(workspace: Workspace, run_id: int) -> RunReview:
    """A saved run with its members' names, ages and 所属所, for review."""
    target_list = workspace.run(run_id)
    saved = workspace.runs(target_list.program)
    status = str(saved.loc[saved["run_id"] == run_id, "status"].iloc[0])
    members = workspace.members(member_ids=target_list.targets["member_id"].tolist())
    table = member_table(target_list, members, insured_label(workspace.union_info().union_type))
    table["excluded"] = target_list.targets["excluded"].to_numpy(dtype=bool)
    return RunReview(run_id, status, target_list, table)


def member_table(target_list: TargetList, members: pd.DataFrame, insured: str) -> pd.DataFrame:
    """One row per listed member with the review columns (MEMBER_COLUMNS), in list order."""
    targets = target_list.targets
    roster = _latest_periods(members, targets["member_id"]).reindex(targets["member_id"].to_numpy())
    birth = ymd(roster.reset_index(), "birth_date")
    age = np.floor(((target_list.fiscal_year + 1) * 10000 + 331 - birth) / 10000)
    excluded = targets["excluded"].to_numpy(dtype=bool)
    by_clerk = (targets["excluded_by"] == BY_CLERK).to_numpy(dtype=bool, na_value=False)
    by_rule = (targets["excluded_by"] == BY_RULE).to_numpy(dtype=bool, na_value=False)
    excluded_label = np.select([excluded & by_clerk, excluded & by_rule, by_clerk],
                               ["除外（事務局）", "除外（自動）", "対象に戻した"], "")
    notes = [("効果測定の対照群（送付しない）",) * bool(held) + tuple(w)
             for held, w in zip(targets["holdout"], targets["warnings"], strict=True)]
    return pd.DataFrame({
        "加入者番号": targets["member_id"].to_numpy(),
        "氏名": roster["name"].to_numpy(),
        "本人家族": roster["relation"].map({1: insured, 2: DEPENDANT_LABEL}).to_numpy(),
        "年齢": pd.array(age, dtype="Int64"),
        "所属所": roster["office"].to_numpy(),
        "区分": targets["tier"].to_numpy(),
        "抽出理由": targets["reason"].to_numpy(),
        "除外": excluded_label,
        "除外理由": targets["exclusion_reason"].to_numpy(),
        "注意": pd.Series(notes, dtype=object).to_numpy(),
        "利用券番号": targets["voucher_number"].to_numpy(),
    }, columns=list(MEMBER_COLUMNS))


def parameter_table(target_list: TargetList) -> pd.DataFrame:
    """Every parameter the run used with its default and source (from the program's rule file)."""
    known = {p.name: p for p in _parameters(target_list.program)}
    rows = []
    for name, value in target_list.params.items():
        spec = known.get(name)
        default = spec.default if spec else None
        rows.append({"設定": spec.label if spec else name, "名前": name, "値": _text(value),
                     "既定値": _text(default) if spec else "", "単位": spec.unit if spec else "",
                     "既定との違い": "既定どおり" if spec and value == default else "変更",
                     "出典": spec.source if spec else ""})
    return pd.DataFrame(rows, columns=["設定", "名前", "値", "既定値", "単位", "既定との違い", "出典"])


def _parameters(program_id: str) -> tuple[Parameter, ...]:
    programs = _catalogue().PROGRAMS
    return programs[program_id].parameters if program_id in programs else ()


def _title(program_id: str) -> str:
    programs = _catalogue().PROGRAMS
    return programs[program_id].title if program_id in programs else program_id


def _period(target_list: TargetList) -> str:
    month = target_list.month
    return f"{target_list.fiscal_year}年度" + (f" {month[:4]}年{int(month[4:])}月" if month else "")


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if value is None or (not isinstance(value, (dict, str)) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
