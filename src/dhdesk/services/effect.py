"""Use case 効果測定: did a batch of notices work? 受診率 or 切替率 from the claims loaded after it.

Reads a batch's letters and sent date, the run behind it (for the comparison group: members who met
the criteria but were not sent), the program's related claim codes (its rule file) and the claims of
the months after the notice, and returns `AnalysisTable`s so the plan, the xlsx writer and the screen
print the same figures. Definitions: `dhdesk.core.effect` and docs/effect.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.analyses import definitions as analysis_definitions
from dhdesk.core.effect import EffectTable, RelatedCodes, SwitchTable, generic_switch, visit_rate
from dhdesk.core.programs import program_rules
from dhdesk.core.programs.common import drug_yj_codes
from dhdesk.core.progress import ProgressFn, no_progress, wrap_progress
from dhdesk.reports.xlsx_tables import write_tables
from dhdesk.store.workspace import Workspace

VISIT_PROGRAMS = {"jushin": "5.4.2", "chudan": "5.4.2", "jinsho": "5.4.2"}
"""Programs measured by 受診率, with the seed 004 section whose KPI they report (通知者の医療機関受診率)."""
_CODE_LISTS = {"jushin": ("domains", "icd10", "drug_yj"), "chudan": ("conditions", "icd10_prefixes", "yj_prefixes")}
"""Where a program's rule file keeps, per 領域 or condition, its ICD-10 and 薬効分類 lists."""
SWITCH_PROGRAM, SWITCH_SECTION = "generic", "5.4.4"
LAST_MONTH = "999912"
HOLDOUT, EXCLUDED_RULE, EXCLUDED_CLERK, NOT_SENT = (
    "ホールドアウト（無作為）", "除外（抽出条件）", "除外（職員判断）", "未送付（通知対象）")


class EffectNotAvailable(Exception):
    """The batch cannot be measured (no sent date, a program without an effect measure); a clerk message."""


def measure(
    workspace: Workspace, batch_id: int, months_after: int | None = None, *, progress: ProgressFn = no_progress
) -> list[AnalysisTable]:
    """The effect tables of one batch: 受診率 (jushin, chudan, jinsho) or the 切替 table (generic).

    `months_after` whole months after the notice month are read; None = every month loaded after it
    (the table then grows as claims arrive, as the monthly 呉市 table does).
    """
    row, letters = workspace.notice_batch(batch_id)
    program = str(row["program"])
    if program != SWITCH_PROGRAM and program not in VISIT_PROGRAMS:
        raise EffectNotAvailable(f"{_title(program)}の通知は効果測定（受診率・切替率）の対象ではありません。")
    sent = letters["sent_date"].dropna()
    if sent.empty:
        raise EffectNotAvailable(f"発送記録 {batch_id} は発送日が未設定です。発送日を入力してから測定してください。")
    notice_month = sent.min().strftime("%Y%m")
    progress(0.0, "通知後のレセプトを確認しています")
    after = workspace.receipts(months=(_next_month(notice_month), LAST_MONTH), columns=["service_month"])
    months = months_after if months_after is not None else _months_loaded(notice_month, after)
    notes = _batch_notes(row, sent.min(), months)
    if program == SWITCH_PROGRAM:
        switch = _measure_switch(workspace, letters, notice_month, months, wrap_progress(progress, 0.1, 1.0))
        return [_switch_table(batch_id, switch, notes)]
    effect = _measure_visits(workspace, batch_id, program, letters, after, months, wrap_progress(progress, 0.1, 1.0))
    return _visit_tables(batch_id, program, effect, notes)


def measure_to_xlsx(
    workspace: Workspace, out_path: Path, batch_ids: Sequence[int] | None = None, *,
    progress: ProgressFn = no_progress,
) -> list[AnalysisTable]:
    """`dhdesk effect`: the tables of the given batches (default: every issued batch that can be measured)."""
    if batch_ids is None:
        listed = workspace.notice_batches()
        measurable = listed["program"].isin([SWITCH_PROGRAM, *VISIT_PROGRAMS]) & (listed["status"] == "issued")
        batch_ids = [int(b) for b in listed.loc[measurable & listed["sent_date"].notna(), "batch_id"][::-1]]
    tables: list[AnalysisTable] = []
    for number, batch_id in enumerate(batch_ids):
        step = wrap_progress(progress, number / max(len(batch_ids), 1), (number + 1) / max(len(batch_ids), 1))
        tables += measure(workspace, batch_id, progress=step)
    write_tables(tables, Path(out_path), heading=f"{workspace.union_info().name} 通知の効果測定")
    progress(1.0, "書き出しました")
    return tables


# -- 受診率 ---------------------------------------------------------------------------------------


def _measure_visits(workspace: Workspace, batch_id: int, program: str, letters: pd.DataFrame,
                    after: pd.DataFrame, months: int, progress: ProgressFn) -> EffectTable:
    start = letters["sent_date"].min()
    notified = letters.rename(columns={"sent_date": "start_date"})[["member_id", "tier", "start_date"]]
    comparison = _comparison(workspace, batch_id, start)
    member_ids = [*notified["member_id"], *comparison["member_id"]]
    window = (_next_month(start.strftime("%Y%m")), _add_months(start.strftime("%Y%m"), months))
    progress(0.2, "通知後の傷病名と医薬品を読み込んでいます")
    diagnoses = workspace.diagnoses(months=window, member_ids=member_ids,
                                    columns=["member_id", "service_month", "icd10"])
    drug_lines = _drug_lines(workspace, window, member_ids)
    progress(0.8, "受診率を集計しています")
    return visit_rate(notified, comparison, after, diagnoses, drug_lines, related_codes(program), months)


def related_codes(program: str) -> RelatedCodes:
    """The claims that count as 受診 after a program's notice: the codes its extraction looks for.

    受診勧奨: every 領域 of jushin.toml (a letter may name several); 治療中断: every condition of
    chudan.toml; 腎症: the 糖尿病 and 糖尿病性腎症 codes of the kidney analysis definitions the program uses.
    """
    if program == "jinsho":
        claims = analysis_definitions("jinsho")["claims"]
        return RelatedCodes(_unique([claims["diabetes_icd10"]["value"], claims["kidney_icd10"]["value"]]),
                            _unique([claims["diabetes_drug_yj"]["value"]]))
    section, icd10_key, drug_key = _CODE_LISTS[program]
    tables = list(program_rules(program)[section].values())
    return RelatedCodes(_unique([t[icd10_key] for t in tables]), _unique([t[drug_key] for t in tables]))


def _comparison(workspace: Workspace, batch_id: int, start: pd.Timestamp) -> pd.DataFrame:
    """Members of the run who were not sent a letter and still held 資格 on the notice date.

    When the clerk held members back at random, only they are the comparison: excluded members differ
    from the notified by the very reason they were excluded (e.g. already treated).
    """
    targets = workspace.notice_batch_targets(batch_id)
    others = targets[~targets["notified"].astype(bool)]
    holdout = others["holdout"].astype(bool)
    if holdout.any():
        others = others[holdout]
    in_force = set(workspace.members(start.date(), member_ids=list(others["member_id"]))["member_id"])
    others = others[others["member_id"].isin(in_force)]
    excluded_by = others["excluded_by"].astype("string")
    group = np.select([others["holdout"].astype(bool).to_numpy(), excluded_by.eq("clerk").fillna(False).to_numpy(),
                       excluded_by.eq("rule").fillna(False).to_numpy()],
                      [HOLDOUT, EXCLUDED_CLERK, EXCLUDED_RULE], NOT_SENT)
    return pd.DataFrame({"member_id": others["member_id"].astype("string"), "tier": others["tier"],
                         "group": pd.array(group, dtype="string"),
                         "start_date": pd.Series(start, index=others.index, dtype="datetime64[ns]")})


def _visit_tables(batch_id: int, program: str, effect: EffectTable, notes: list[str]) -> list[AnalysisTable]:
    title = _title(program)
    people = effect.people
    comparison = ("無作為に通知を保留した加入者（ホールドアウト）" if (people["group"] == HOLDOUT).any()
                  else "基準に該当したが除外された加入者（通知日に資格あり）")
    notes = notes + [
        "受診率 = 観察期間（通知月の翌月から）に関連する傷病名（ICD-10）または医薬品（薬効分類）のレセプトがある人の割合。"
        "コードは抽出と同じ事業のルールファイルのもの。通知月のレセプトは通知前の受診と区別できないため数えません。",
        f"比較群 = {comparison}。除外された人は除外の理由（受診済み等）で通知者と異なるため、"
        "差は通知の効果そのものではありません。効果を確かめるには承認時のホールドアウトを勧めます。",
        "基準値を大きく超えた人は通知がなくても次の値が下がりやすく（平均への回帰）、受診も増えやすい点に注意してください。",
    ]
    if not people["complete"].all():
        notes.append(f"観察期間の終わりまでレセプトが揃っていない人が {int((~people['complete']).sum()):,} 人います"
                     f"（取込済みのレセプトは {_month_label(effect.observed_until)} 診療分まで）。")
    visited = people["visited"].to_numpy(dtype=bool)
    sent = (people["group"] == "通知").to_numpy()
    member_ids = {"受診あり（通知）": tuple(sorted(people.loc[sent & visited, "member_id"])),
                  "受診なし（通知）": tuple(sorted(people.loc[sent & ~visited, "member_id"]))}
    section = VISIT_PROGRAMS[program]
    return [
        AnalysisTable(f"effect{batch_id}_visits", f"{title} 通知後{effect.months_after}か月の医療機関受診率（発送記録 {batch_id}）",
                      effect.table, tuple(notes), section, member_ids),
        AnalysisTable(f"effect{batch_id}_groups", f"{title} 群別の受診率（発送記録 {batch_id}）",
                      effect.by_group, (notes[0],), section),
    ]


# -- 切替率 ---------------------------------------------------------------------------------------


def _measure_switch(workspace: Workspace, letters: pd.DataFrame, notice_month: str, months: int,
                    progress: ProgressFn) -> SwitchTable:
    window = (_next_month(notice_month), _add_months(notice_month, months))
    progress(0.1, "通知後の医薬品を読み込んでいます")
    masters = workspace.drug_masters()
    lines = _drug_lines(workspace, window, list(letters["member_id"]), masters)
    progress(0.8, "切替状況を集計しています")
    return generic_switch(letters[["member_id", "sent_date", "content"]], lines, masters, months)


def _switch_table(batch_id: int, switch: SwitchTable, notes: list[str]) -> AnalysisTable:
    notes = notes + [
        "呉市国保の様式: 通知者数（累計、同一人は1件）、切替者数（累計）、切替率、削減効果額（RULES.md §4.4）。",
        "切替 = 通知した先発医薬品と同じ成分・規格（薬価基準コード先頭9桁）の後発医薬品（後発医薬品情報 3・★）が"
        "通知月の翌月以降に調剤されたこと。一度切り替えた人は、その後先発品に戻っても切替者に数えます。",
        "削減効果額 = (先発品の薬価 − 調剤された後発品の薬価) × 数量（使用量 × 日数）。薬価はその月に適用される医薬品マスター。"
        "薬剤費（10割）の減少で、保険者負担分はこれに (1 − 通知に記載した自己負担割合) を掛けた額。調剤料・技術料は含みません。",
        "差額通知が切替のきっかけとなった割合は2.3%（薬剤師の説明36.2%）との調査があり、切替のすべてが通知の効果ではありません"
        "（中医協 R4 調査）。",
    ]
    if switch.unresolved:
        notes.append(f"医薬品マスターで見つからなかった通知薬剤 {switch.unresolved:,} 件は切替を判定していません。")
    switched = tuple(sorted(set(switch.lines["member_id"].astype(str))))
    return AnalysisTable(f"effect{batch_id}_generic", f"ジェネリック医薬品差額通知 切替状況（発送記録 {batch_id}）",
                         switch.table, tuple(notes), SWITCH_SECTION, {"切替者": switched})


# -- shared ---------------------------------------------------------------------------------------


def _drug_lines(workspace: Workspace, window: tuple[str, str], member_ids: list[str],
                masters: pd.DataFrame | None = None) -> pd.DataFrame:
    """Drug lines of the window with the 薬価基準コード filled from the master where only the レセ電 code came."""
    lines = workspace.drug_lines(months=window, member_ids=member_ids,
                                 columns=["member_id", "service_month", "yj_code", "drug_code", "quantity", "days"])
    if lines["yj_code"].isna().any():
        lines["yj_code"] = drug_yj_codes(lines, workspace.drug_masters() if masters is None else masters)
    return lines


def _batch_notes(row: dict, sent: pd.Timestamp, months: int) -> list[str]:
    month = sent.strftime("%Y%m")
    notes = [f"発送日 {sent:%Y-%m-%d}、観察期間 {months} か月"
             + (f"（{_month_label(_next_month(month))}〜{_month_label(_add_months(month, months))} 診療分）。"
                if months > 0 else "。")]
    if row["status"] == "cancelled":
        notes.append(f"この発送記録は取り消されています（{row.get('note') or '理由の記載なし'}）。")
    if months <= 0:
        notes.append("通知月の翌月以降のレセプトがまだ取り込まれていません。")
    return notes


def _months_loaded(notice_month: str, after: pd.DataFrame) -> int:
    """Whole months from the notice month to the last claim month loaded (0 when none came after it)."""
    if after.empty:
        return 0
    return _month_number(str(after["service_month"].max())) - _month_number(notice_month)


def _unique(lists: list[list[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for codes in lists for code in codes))


def _title(program: str) -> str:
    try:
        return str(program_rules(program)["title"])
    except FileNotFoundError:
        return program


def _month_number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[4:6]) - 1


def _add_months(month: str, months: int) -> str:
    number = _month_number(month) + months
    return f"{number // 12:04d}{number % 12 + 1:02d}"


def _next_month(month: str) -> str:
    return _add_months(month, 1)


def _month_label(month: str | None) -> str:
    return "—" if not month else f"{month[:4]}-{month[4:6]}"
