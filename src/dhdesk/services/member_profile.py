"""The member page (加入者の詳細): one member's roster rows, every flag with its reason, lists and notices.

Everything is read for that member only (`member_ids=[...]`), judged with the rule sets in force for
each 年度 with the office values (`rulesets.rule_sets`), and explained with the very texts
`dhdesk stratify` writes (理由, 受診勧奨, 健診機関の判定との違い), so the page and the CSV never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dhdesk.core.postal import check_address, format_code
from dhdesk.core.rules import RuleSetError
from dhdesk.core.rules.judgement import judge
from dhdesk.core.union import DEPENDANT_LABEL, insured_label
from dhdesk.services import mailing, programs, rulesets
from dhdesk.store.workspace import Workspace

_SEX = {1: "男", 2: "女"}
_RUN_STATUS = {"draft": "下書き", "approved": "承認済み", "discarded": "破棄"}
"""The words services.programs uses for a run's status (its table is private there)."""


@dataclass(frozen=True)
class Section:
    """A titled block of the page: plain Japanese lines, in reading order."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Period:
    """One 資格期間 row of the roster."""

    acquired: date | None
    lost: date | None
    relation: str
    office: str

    @property
    def text(self) -> str:
        end = f"{self.lost:%Y-%m-%d} 喪失" if self.lost else "現在"
        return f"{_day(self.acquired)} 取得 〜 {end}　{self.relation}（所属所 {self.office or 'なし'}）"


@dataclass(frozen=True)
class CheckupFlags:
    """One checkup judged: 保健指導レベル, メタボ判定, 受診勧奨 and how the clinic's own judgement differs."""

    fiscal_year: int
    exam_date: date | None
    clinic: str
    level: str
    metabo: str
    tier: str
    referral_items: tuple[str, ...]
    urgent_items: tuple[str, ...]
    reason: str
    referral_reason: str
    clinic_difference: str
    rule_label: str

    @property
    def lines(self) -> tuple[str, ...]:
        items = "、".join(self.referral_items) or "なし"
        urgent = f"（すぐに受診: {'、'.join(self.urgent_items)}）" if self.urgent_items else ""
        return (
            f"受診日: {_day(self.exam_date)}　健診機関: {self.clinic or '（不明）'}",
            f"保健指導レベル: {self.level}　メタボ判定: {self.metabo}",
            f"受診勧奨: {self.tier or '該当なし'}　判定値を超えた項目: {items}{urgent}",
            f"理由: {self.reason}",
            f"受診勧奨の理由: {self.referral_reason or '該当なし'}",
            f"健診機関の判定との違い: {self.clinic_difference or 'なし'}",
            f"判定基準: {self.rule_label}",
        )


@dataclass(frozen=True)
class RunEntry:
    """A saved 対象者抽出 run that lists the member, with the run's own "why am I here?" lines."""

    run_id: int
    program: str
    period: str
    status: str
    tier: str
    excluded: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class NoticeEntry:
    """A notice batch that sent the member a letter."""

    batch_id: int
    program: str
    run_id: int
    sent_date: date | None
    created_at: str
    status: str
    route: str

    @property
    def text(self) -> str:
        sent = _day(self.sent_date) if self.sent_date else f"未設定（作成 {self.created_at}）"
        return (f"発送番号 {self.batch_id}　{self.program}　発送日 {sent}　{self.status}　{self.route}"
                f"（対象者リスト {self.run_id}）")


@dataclass(frozen=True)
class MemberProfile:
    """Plain data of the member page; `sections` is what the page (or a printout) shows.

    `checkups` are oldest first; the sections put the newest 年度 first, as a clerk asks about it.
    """

    member_id: str
    name: str
    name_kana: str
    sex: str
    birth_date: date | None
    relation: str
    office: str
    no_mail: bool
    postal_code: str
    address: str
    address_problems: tuple[str, ...]
    periods: tuple[Period, ...]
    checkups: tuple[CheckupFlags, ...]
    unjudged_years: tuple[str, ...]
    runs: tuple[RunEntry, ...]
    notices: tuple[NoticeEntry, ...]

    @property
    def in_roster(self) -> bool:
        return bool(self.periods)

    @property
    def title(self) -> str:
        return f"{self.member_id}　{self.name}" if self.name else self.member_id

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self._roster(), *self._checkup_sections(), self._runs(), self._notices())

    def _roster(self) -> Section:
        if not self.in_roster:
            return Section("加入者台帳", (f"加入者番号 {self.member_id} は加入者台帳にありません。",))
        address_check = "、".join(self.address_problems) or "郵便番号と住所1は一致しています。"
        return Section("加入者台帳", (
            f"氏名: {self.name}（{self.name_kana}）　性別: {self.sex}　生年月日: {_day(self.birth_date)}",
            f"本人家族: {self.relation}　所属所: {self.office or '（なし）'}",
            f"通知不要: {'はい（通知を送りません）' if self.no_mail else 'いいえ'}",
            f"住所: {format_code(self.postal_code)} {self.address}",
            f"住所の確認: {address_check}",
            "資格期間:",
            *(f"　{p.text}" for p in self.periods),
        ))

    def _checkup_sections(self) -> list[Section]:
        sections = [Section(f"{c.fiscal_year}年度の健診", c.lines) for c in reversed(self.checkups)]
        if self.unjudged_years:
            sections.append(Section("判定できない健診", self.unjudged_years))
        if not sections:
            sections.append(Section("健診", ("健診結果はありません。",)))
        return sections

    def _runs(self) -> Section:
        lines = [line for run in self.runs
                 for line in (f"対象者リスト {run.run_id}（{run.status}）", *(f"　{text}" for text in run.lines))]
        return Section("対象者抽出", tuple(lines) or ("この加入者を含む対象者リストはありません。",))

    def _notices(self) -> Section:
        return Section("通知の発送", tuple(n.text for n in self.notices) or ("送った通知はありません。",))


def member_profile(workspace: Workspace, member_id: str, fiscal_year: int | None = None) -> MemberProfile:
    """Everything the workspace knows about one member and why each flag is set.

    `fiscal_year` limits the checkups and runs to that 年度 (None: every 年度).
    """
    ids = [member_id]
    periods = workspace.members(member_ids=ids).sort_values("acquired_date", kind="stable")
    insured = insured_label(workspace.union_info().union_type)
    checkups, unjudged = _checkups(workspace, workspace.checkups(fiscal_year, member_ids=ids))
    runs = _runs(workspace, member_id, fiscal_year)
    notices = _notices(workspace, member_id, {run.run_id for run in runs})
    latest = periods.iloc[-1] if len(periods) else pd.Series(dtype=object)
    postal_code, address1 = _str(latest.get("postal_code")), _str(latest.get("address1"))
    return MemberProfile(
        member_id=member_id,
        name=_str(latest.get("name")),
        name_kana=_str(latest.get("name_kana")),
        sex=_SEX.get(_int(latest.get("sex")), ""),
        birth_date=_date(latest.get("birth_date")),
        relation=_relation(latest.get("relation"), insured),
        office=_str(latest.get("office")),
        no_mail=_int(latest.get("no_mail")) == 1,
        postal_code=postal_code,
        address=" ".join(p for p in (address1, _str(latest.get("address2"))) if p),
        address_problems=tuple(check_address(postal_code, address1)) if len(periods) else (),
        periods=tuple(Period(_date(row.acquired_date), _date(row.lost_date), _relation(row.relation, insured),
                             _str(row.office)) for row in periods.itertuples()),
        checkups=checkups,
        unjudged_years=unjudged,
        runs=runs,
        notices=notices,
    )


def _checkups(workspace: Workspace, checkups: pd.DataFrame) -> tuple[tuple[CheckupFlags, ...], tuple[str, ...]]:
    """Each 年度's checkups judged with that 年度's rules in force (office values applied)."""
    flags: list[CheckupFlags] = []
    unjudged: list[str] = []
    for fiscal_year, rows in checkups.sort_values("exam_date", kind="stable").groupby("fiscal_year", sort=True):
        year = int(fiscal_year)
        try:
            rules = rulesets.rule_sets(workspace, year)
        except RuleSetError as error:
            unjudged.append(f"{year}年度: 判定していません（{error}）")
            continue
        judged = judge(rows, year, rules.stratification, rules.referral)
        for (_, checkup), (_, result) in zip(rows.iterrows(), judged.iterrows(), strict=True):
            flags.append(CheckupFlags(
                fiscal_year=year,
                exam_date=_date(checkup["exam_date"]),
                clinic=_str(checkup.get("clinic")),
                level=str(result["level"]),
                metabo=str(result["metabo"]),
                tier=_str(result["tier"]),
                referral_items=tuple(result["referral_items"]),
                urgent_items=tuple(result["urgent_items"]),
                reason=str(result["reason"]),
                referral_reason=_str(result["referral_reason"]),
                clinic_difference=_str(result["clinic_difference"]),
                rule_label=rules.label,
            ))
    return tuple(flags), tuple(unjudged)


def _runs(workspace: Workspace, member_id: str, fiscal_year: int | None) -> tuple[RunEntry, ...]:
    """Every saved run (of the 年度) whose list names the member, newest first."""
    saved = programs.runs(workspace)
    if fiscal_year is not None:
        saved = saved[saved["fiscal_year"] == fiscal_year]
    entries = []
    for run_id, status in zip(saved["run_id"].tolist(), saved["status"].tolist(), strict=True):
        target_list = workspace.run(int(run_id))
        rows = target_list.targets[target_list.targets["member_id"] == member_id]
        if rows.empty:
            continue
        row = rows.iloc[0]
        lines = programs.explain_target(target_list, member_id)
        entries.append(RunEntry(int(run_id), target_list.program, lines[0], _RUN_STATUS.get(status, status),
                                _str(row["tier"]), bool(row["excluded"]), tuple(lines)))
    return tuple(entries)


def _notices(workspace: Workspace, member_id: str, run_ids: set[int]) -> tuple[NoticeEntry, ...]:
    """Every batch (of a run listing the member) that holds a letter to the member, newest first."""
    if not run_ids:
        return ()
    history = mailing.history(workspace)
    history = history[history["対象者リスト"].isin(run_ids)]
    entries = []
    for row in history.itertuples(index=False):
        batch_id = int(row[0])
        targets = workspace.notice_batch_targets(batch_id)
        sent = targets.loc[targets["member_id"] == member_id, "notified"]
        if not sent.any():
            continue
        values = dict(zip(history.columns, row, strict=True))
        entries.append(NoticeEntry(batch_id, _str(values["事業"]), int(values["対象者リスト"]),
                                   _date(values["発送日"]), _minute(values["作成日時"]), _str(values["状態"]),
                                   _str(values["送付方法"])))
    return tuple(entries)


def _relation(code: object, insured: str) -> str:
    return {1: insured, 2: DEPENDANT_LABEL}.get(_int(code), "")


def _str(value: object) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else str(value)


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _date(value: object) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _minute(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def _day(value: date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else "（不明）"


__all__ = ["CheckupFlags", "MemberProfile", "NoticeEntry", "Period", "RunEntry", "Section", "member_profile"]
