"""The common exclusions (共通の除外) every program gets, and the funnel from eligible to final list.

After a program has found its candidates, the same four checks run for all programs, in this order:
資格喪失 (no 資格期間 in force on `as_of`), 死亡, 通知不要 (the roster's flag), 通知済み (a notice of the
same program, not cancelled, sent within `recent_months` months before `as_of`). A member is
excluded by the first check that catches them; nobody is dropped: excluded members stay in the list
with the reason, `excluded_by='rule'`, and each check is a funnel step with the count left after it.
The clerk's own exclusions (`apply_manual`, `excluded_by='clerk'`) come last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from dhdesk.core.programs import (
    CANDIDATE_COLUMNS,
    Candidates,
    Program,
    ProgramInputs,
    TargetList,
    empty_candidates_frame,
)

RECENT_MONTHS = "recent_months"
"""The parameter every program has: months a sent notice blocks another of the same program (0 = off)."""

MEETS_CRITERIA = "基準に該当"
FINAL = "通知対象"
CLERK_STEP = "個別の除外・復帰を反映"
BY_RULE, BY_CLERK = "rule", "clerk"

def finish(
    program: Program,
    candidates: Candidates,
    inputs: ProgramInputs,
    fiscal_year: int,
    params: Mapping[str, Any],
    month: str | None = None,
) -> TargetList:
    """Apply the common exclusions to `candidates` and merge the program's own set-aside members.

    The targets keep the program's rank order, its own set-aside members follow; besides the TargetList
    columns there is `holdout` (False until approval draws the 効果測定 control group).
    """
    targets = candidates.targets.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)
    reason = pd.Series(pd.NA, index=targets.index, dtype="string")
    funnel: list[tuple[str, int]] = [(candidates.eligible_label, int(candidates.eligible)), *candidates.steps]
    funnel.append((MEETS_CRITERIA, len(targets)))
    for label, found in _common_checks(targets["member_id"], inputs, program.id, params):
        newly = found.notna() & reason.isna()
        reason[newly] = found[newly]
        funnel.append((label, int(reason.isna().sum())))
    reviewed = _with_review_columns(targets, reason, BY_RULE)
    own = candidates.excluded[~_among(candidates.excluded["member_id"], targets["member_id"])]
    own = _with_review_columns(own.drop(columns="exclusion_reason"), own["exclusion_reason"], BY_RULE)
    frame = pd.concat([reviewed, own], ignore_index=True) if len(own) else reviewed
    funnel.append((FINAL, int((~frame["excluded"]).sum())))
    return TargetList(
        program=program.id,
        fiscal_year=fiscal_year,
        month=month,
        rule_version=program.rule_version,
        params=dict(params),
        targets=frame,
        funnel=tuple(funnel),
        detail_lines=candidates.detail_lines,
        as_of=inputs.as_of,
    )


def apply_manual(target_list: TargetList, manual: Mapping[str, str]) -> TargetList:
    """Exclude members by the clerk (member_id → reason); they stay in the list marked `clerk`."""
    targets = target_list.targets.copy()
    chosen = _among(targets["member_id"], pd.Series(list(manual), dtype=object))
    reasons = targets.loc[chosen, "member_id"].map(dict(manual)).astype("string")
    targets.loc[chosen, "excluded"] = True
    targets.loc[chosen, "exclusion_reason"] = reasons
    targets.loc[chosen, "excluded_by"] = BY_CLERK
    reviewed = bool((targets["excluded_by"] == BY_CLERK).any())
    funnel = review_funnel(target_list.funnel, int((~targets["excluded"]).sum()), reviewed)
    return dataclasses.replace(target_list, targets=targets, funnel=funnel)


def review_funnel(
    funnel: Sequence[tuple[str, int]], final_count: int, reviewed: bool
) -> tuple[tuple[str, int], ...]:
    """The funnel after the clerk's review: the automatic steps, then (when the clerk changed anything)
    the count after their exclusions and re-inclusions, then the final count. Idempotent."""
    automatic = [(label, int(n)) for label, n in funnel if label not in (CLERK_STEP, FINAL)]
    if reviewed:
        automatic.append((CLERK_STEP, final_count))
    return (*automatic, (FINAL, final_count))


def _common_checks(
    member_ids: pd.Series, inputs: ProgramInputs, program_id: str, params: Mapping[str, Any]
) -> list[tuple[str, pd.Series]]:
    """(funnel label, reason per target or NA) for each common exclusion, in the order they apply."""
    roster = _roster_status(inputs.members, member_ids, pd.Timestamp(inputs.as_of))
    status = roster.reindex(member_ids.to_numpy())
    status.index = member_ids.index
    lost_text = ("資格喪失（喪失日 " + _iso(status["lost_date"]) + "）").fillna(
        f"{inputs.as_of:%Y-%m-%d}時点の資格が台帳にない"
    )
    checks = [
        ("資格喪失を除外", lost_text.where(~status["in_force"].fillna(False).astype(bool))),
        ("死亡を除外", ("死亡（" + _iso(status["deceased_date"]) + "）")),
        ("通知不要を除外", pd.Series("通知不要（台帳の指定）", index=member_ids.index, dtype="string").where(
            status["no_mail"].fillna(False).astype(bool))),
    ]
    months = int(params.get(RECENT_MONTHS, 0) or 0)
    if months > 0:
        sent = _recently_sent(inputs.history, program_id, pd.Timestamp(inputs.as_of), months)
        text = ("通知済み（" + _iso(sent) + " 送付、" + str(months) + "か月以内）")
        checks.append((f"通知済み（{months}か月以内）を除外", text.reindex(member_ids.to_numpy()).set_axis(
            member_ids.index)))
    return checks


def _roster_status(members: pd.DataFrame, member_ids: pd.Series, day: pd.Timestamp) -> pd.DataFrame:
    """Per member: 資格 in force on `day`, last 喪失日, 死亡日, and the 通知不要 flag of the latest period."""
    rows = members[_among(members["member_id"], member_ids)].sort_values(["member_id", "acquired_date"])
    in_force = (rows["acquired_date"] <= day) & (rows["lost_date"].isna() | (rows["lost_date"] > day))
    grouped = pd.DataFrame({
        "member_id": rows["member_id"],
        "in_force": in_force.to_numpy(dtype=bool),
        "lost_date": rows["lost_date"],
        "deceased_date": rows["deceased_date"],
    }).groupby("member_id", sort=False)
    status = grouped.agg(in_force=("in_force", "any"), lost_date=("lost_date", "max"),
                         deceased_date=("deceased_date", "min"))
    latest = rows.drop_duplicates("member_id", keep="last").set_index("member_id")
    status["no_mail"] = latest["no_mail"].eq(1).fillna(False).astype(bool)
    return status


def _recently_sent(history: pd.DataFrame, program_id: str, day: pd.Timestamp, months: int) -> pd.Series:
    """Per member, the latest sent_date of a non-cancelled notice of the program in [day − months, day]."""
    since = day - pd.DateOffset(months=months)
    sent = history[
        (history["program"] == program_id)
        & (history["batch_status"] != "cancelled")
        & (history["sent_date"] >= since)
        & (history["sent_date"] <= day)
    ]
    return sent.groupby("member_id")["sent_date"].max()


def _among(values: pd.Series, members: pd.Series) -> pd.Series:
    """`values.isin(members)` through object arrays: pandas' string-dtype isin converts every value to an
    Arrow scalar in Python (seconds for 200k members), the object hash table takes milliseconds."""
    return values.astype(object).isin(members.astype(object))


def _iso(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").astype("string")


def _with_review_columns(frame: pd.DataFrame, reason: pd.Series, by: str) -> pd.DataFrame:
    """`frame` (CANDIDATE_COLUMNS) plus the review columns, excluded where `reason` is set."""
    base = frame[list(CANDIDATE_COLUMNS)] if len(frame) else empty_candidates_frame()
    result = base.reset_index(drop=True).copy()
    reason = pd.Series(reason.to_numpy(), dtype="string")
    excluded = reason.notna().to_numpy(dtype=bool)
    result["excluded"] = excluded
    result["exclusion_reason"] = reason
    result["excluded_by"] = pd.Series(pd.NA, index=result.index, dtype="string").mask(excluded, by)
    result["voucher_number"] = pd.Series(pd.NA, index=result.index, dtype="string")
    result["holdout"] = False
    return result
