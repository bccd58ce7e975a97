"""Program runs (対象者抽出の実行) in the workspace: saving a target list, review, approval, send history.

A run is saved as a draft with every target (excluded ones too); the clerk excludes or re-includes
members while it is a draft; approval fixes the list, draws the random holdout (効果測定の対照群)
and gives 特定保健指導 targets their 利用券番号. Each call is one transaction with its audit entry.

Schema v1 has no columns for a run's 基準日 (as_of) and per-line detail table, nor for a target's
rank and list position, so they ride in the JSON columns: `program_runs.funnel` holds
{"steps", "as_of", "detail_lines"} and `program_targets.details` holds {"rank", "position",
"explanation", "values", "rule_exclusion"} (`rule_exclusion`: the automatic reason, kept so that a
clerk's re-inclusion can show what it overrode).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from dhdesk.core.fields import DRUG_MASTER
from dhdesk.core.programs import TargetList
from dhdesk.core.programs.exclusions import BY_CLERK, BY_RULE, review_funnel
from dhdesk.store import audit
from dhdesk.store.connection import one, scalar, transaction
from dhdesk.store.errors import StoreError
from dhdesk.store.frames import arrow_type, to_arrow
from dhdesk.store.reads import fetch
from dhdesk.store.schema import table_columns

VOUCHER_PROGRAM = "hokenshido"
VOUCHER_KIND = "2"
"""利用券整理番号: 11 digits, the MHLW XML schema's `consultationCardId` (co08_V08.xsd, pattern [0-9]{11};
its OID 1.2.392.200119.6.210 is 利用券整理番号OID). The digits are 西暦年度の下2桁 + 券種 (1 受診券,
2 利用券) + an 8-digit serial, the layout of the 受診券・利用券 in MHLW's 実施の手引き (not yet in
RULES.md; confidence 2nd). The serial is unique per 年度 across every approved run."""


class RunNotFound(StoreError):
    """The run does not exist."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"抽出結果（実行番号 {run_id}）が見つかりません。")


class RunNotDraft(StoreError):
    """The run is approved or discarded, so its list can no longer change."""

    def __init__(self, run_id: int, status: str) -> None:
        state = {"approved": "承認済み", "discarded": "破棄済み"}.get(status, status)
        super().__init__(f"抽出結果（実行番号 {run_id}）は{state}のため変更できません。")


def save_run(conn: duckdb.DuckDBPyConnection, target_list: TargetList) -> int:
    """Store `target_list` as a new draft run; returns its run_id."""
    conn.register("stage_targets", _targets_table(conn, target_list.targets))
    try:
        with transaction(conn):
            run_id = scalar(conn, "SELECT nextval('run_id_seq')")
            conn.execute(
                "INSERT INTO program_runs (run_id, program, fiscal_year, period_month, rule_id, rule_version, params, "
                "funnel, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft')",
                [run_id, target_list.program, target_list.fiscal_year, target_list.month, target_list.program,
                 target_list.rule_version, _dumps(target_list.params), _dumps(_run_context(target_list)),
                 datetime.now()],
            )
            conn.execute("INSERT INTO program_targets SELECT ? AS run_id, * EXCLUDE (run_id) FROM stage_targets",
                         [run_id])
            audit.record(conn, "program_run", {"run_id": run_id, "program": target_list.program,
                                               "fiscal_year": target_list.fiscal_year, "month": target_list.month,
                                               "funnel": target_list.funnel})
    finally:
        conn.unregister("stage_targets")
    return run_id


def runs(conn: duckdb.DuckDBPyConnection, program: str | None = None) -> pd.DataFrame:
    """Every run (of one program), newest first, with its target and final counts."""
    return fetch(
        conn,
        "SELECT r.run_id, r.program, r.fiscal_year, r.period_month, r.rule_version, r.status, r.created_at, "
        "r.approved_at, count(t.member_id) AS targets, count(t.member_id) FILTER (WHERE NOT t.excluded) AS final, "
        "count(t.member_id) FILTER (WHERE t.holdout) AS holdout "
        "FROM program_runs AS r LEFT JOIN program_targets AS t USING (run_id) "
        "WHERE ? IS NULL OR r.program = ? GROUP BY ALL ORDER BY r.run_id DESC",
        [program, program],
    )


def run_status(conn: duckdb.DuckDBPyConnection, run_id: int) -> str:
    row = one(conn, "SELECT status FROM program_runs WHERE run_id = ?", [run_id])
    if row is None:
        raise RunNotFound(run_id)
    return str(row[0])


def load_run(conn: duckdb.DuckDBPyConnection, run_id: int) -> TargetList:
    """The saved run as the TargetList it was saved from (plus review and approval since)."""
    row = one(conn, "SELECT program, fiscal_year, period_month, rule_version, params, funnel FROM program_runs "
                    "WHERE run_id = ?", [run_id])
    if row is None:
        raise RunNotFound(run_id)
    program, fiscal_year, month, rule_version, params, context = row
    context = json.loads(context)
    stored = fetch(
        conn,
        "SELECT member_id, tier, reason, details, warnings, voucher_number, excluded, exclusion_reason, "
        "excluded_by, holdout FROM program_targets WHERE run_id = ? "
        "ORDER BY CAST(json_extract_string(details, '$.position') AS BIGINT)",
        [run_id],
    )
    details = [json.loads(text) for text in stored["details"]]
    targets = pd.DataFrame({
        "member_id": stored["member_id"],
        "tier": stored["tier"],
        "rank": pd.array([d["rank"] for d in details], dtype="Int64"),
        "reason": stored["reason"],
        "explanation": pd.Series([tuple(d["explanation"]) for d in details], dtype=object),
        "values": pd.Series([d["values"] for d in details], dtype=object),
        "warnings": pd.Series([tuple(json.loads(w)) for w in stored["warnings"]], dtype=object),
        "excluded": stored["excluded"].to_numpy(dtype=bool),
        "exclusion_reason": stored["exclusion_reason"],
        "excluded_by": stored["excluded_by"],
        "voucher_number": stored["voucher_number"],
        "holdout": stored["holdout"].to_numpy(dtype=bool),
    })
    return TargetList(
        program=program,
        fiscal_year=int(fiscal_year),
        month=month,
        rule_version=rule_version,
        params=json.loads(params),
        targets=targets,
        funnel=tuple((label, int(n)) for label, n in context["steps"]),
        detail_lines=_frame_from_json(context["detail_lines"]),
        as_of=date.fromisoformat(context["as_of"]),
    )


def set_exclusion(conn: duckdb.DuckDBPyConnection, run_id: int, member_id: str, reason: str | None) -> None:
    """Exclude a member by the clerk (`reason`), or re-include them (`reason` None).

    Re-including a member the rules excluded is the clerk overriding the rule: they are then in the
    list with `excluded_by='clerk'` and a reason saying which automatic exclusion was lifted.
    """
    with transaction(conn):
        _require_draft(conn, run_id)
        row = one(conn, "SELECT json_extract_string(details, '$.rule_exclusion') FROM program_targets "
                        "WHERE run_id = ? AND member_id = ?", [run_id, member_id])
        if row is None:
            raise StoreError(f"加入者番号 {member_id} はこの抽出結果（実行番号 {run_id}）にありません。")
        rule_reason = row[0]
        if reason is not None:
            values = [True, reason, BY_CLERK]
        elif rule_reason is not None:
            values = [False, f"対象に戻した（自動の除外: {rule_reason}）", BY_CLERK]
        else:
            values = [False, None, None]
        conn.execute("UPDATE program_targets SET excluded = ?, exclusion_reason = ?, excluded_by = ? "
                     "WHERE run_id = ? AND member_id = ?", [*values, run_id, member_id])
        _refresh_funnel(conn, run_id)
        audit.record(conn, "program_exclusion" if reason is not None else "program_inclusion",
                     {"run_id": run_id, "member_id": member_id, "reason": reason, "overrides_rule": rule_reason})


def approve_run(conn: duckdb.DuckDBPyConnection, run_id: int, holdout_share: float = 0.0,
                seed: int | None = None) -> dict[str, int]:
    """Fix the list for mailing: draw the holdout, number the 利用券, mark approved; returns counts."""
    if not 0.0 <= holdout_share < 1.0:
        raise ValueError("対照群の割合は 0 以上 1 未満で指定してください。")
    with transaction(conn):
        _require_draft(conn, run_id)
        program, fiscal_year = one(conn, "SELECT program, fiscal_year FROM program_runs WHERE run_id = ?", [run_id])
        final = [m for (m,) in conn.execute(
            "SELECT member_id FROM program_targets WHERE run_id = ? AND NOT excluded "
            "ORDER BY CAST(json_extract_string(details, '$.position') AS BIGINT)", [run_id]).fetchall()]
        rng = np.random.default_rng(seed)
        drawn = rng.choice(len(final), size=round(holdout_share * len(final)), replace=False)
        holdout = [final[i] for i in sorted(drawn)]
        if holdout:
            conn.execute("UPDATE program_targets SET holdout = true WHERE run_id = ? AND member_id IN "
                         "(SELECT unnest(CAST(? AS VARCHAR[])))", [run_id, holdout])
        vouchers = 0
        if program == VOUCHER_PROGRAM:
            held = set(holdout)
            vouchers = _assign_vouchers(conn, run_id, int(fiscal_year), [m for m in final if m not in held])
        conn.execute("UPDATE program_runs SET status = 'approved', approved_at = ? WHERE run_id = ?",
                     [datetime.now(), run_id])
        counts = {"final": len(final), "holdout": len(holdout), "vouchers": vouchers}
        audit.record(conn, "program_approved", {"run_id": run_id, "program": program, "holdout_share": holdout_share,
                                                "seed": seed, **counts})
    return counts


def discard_run(conn: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Set a run aside (kept, status discarded); refused once letters of it were issued."""
    with transaction(conn):
        status = run_status(conn, run_id)
        if status == "discarded":
            raise RunNotDraft(run_id, status)
        issued = scalar(conn, "SELECT count(*) FROM notice_batches WHERE run_id = ? AND status = 'issued'", [run_id])
        if issued:
            raise StoreError(f"抽出結果（実行番号 {run_id}）は通知を発行済みのため破棄できません。"
                             "先に発送の取消をしてください。")
        conn.execute("UPDATE program_runs SET status = 'discarded' WHERE run_id = ?", [run_id])
        audit.record(conn, "program_discarded", {"run_id": run_id, "was": status})


def notice_history(conn: duckdb.DuckDBPyConnection, program: str | None = None) -> pd.DataFrame:
    """Notices sent (member_id, program, sent_date, batch_status); a notice without a sent date counts
    from the day its batch was made."""
    return fetch(
        conn,
        "SELECT n.member_id, b.program, CAST(coalesce(n.sent_date, CAST(b.created_at AS DATE)) AS DATE) AS sent_date, "
        "b.status AS batch_status FROM notices AS n JOIN notice_batches AS b USING (batch_id) "
        "WHERE ? IS NULL OR b.program = ? ORDER BY sent_date, n.member_id",
        [program, program],
    )


def drug_masters(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every current row of every loaded master version, with `version_date` (oldest version first)."""
    columns = ", ".join(["version_date", *DRUG_MASTER.names])
    return fetch(conn, f"SELECT {columns} FROM drug_master WHERE superseded_by IS NULL ORDER BY version_date, yj_code")


def _require_draft(conn: duckdb.DuckDBPyConnection, run_id: int) -> None:
    status = run_status(conn, run_id)
    if status != "draft":
        raise RunNotDraft(run_id, status)


def _refresh_funnel(conn: duckdb.DuckDBPyConnection, run_id: int) -> None:
    context = json.loads(one(conn, "SELECT funnel FROM program_runs WHERE run_id = ?", [run_id])[0])
    final, reviewed = one(conn, "SELECT count(*) FILTER (WHERE NOT excluded), count(*) FILTER (WHERE excluded_by = ?) "
                                "FROM program_targets WHERE run_id = ?", [BY_CLERK, run_id])
    context["steps"] = review_funnel(context["steps"], int(final), bool(reviewed))
    conn.execute("UPDATE program_runs SET funnel = ? WHERE run_id = ?", [_dumps(context), run_id])


def _assign_vouchers(conn: duckdb.DuckDBPyConnection, run_id: int, fiscal_year: int, members: list[str]) -> int:
    """Give each member a 利用券番号: the one they already got this 年度, else the next free serial."""
    prefix = f"{fiscal_year % 100:02d}{VOUCHER_KIND}"
    earlier = dict(conn.execute(
        "SELECT t.member_id, min(t.voucher_number) FROM program_targets AS t JOIN program_runs AS r USING (run_id) "
        "WHERE r.program = ? AND r.fiscal_year = ? AND r.status = 'approved' AND t.voucher_number IS NOT NULL "
        "GROUP BY t.member_id", [VOUCHER_PROGRAM, fiscal_year]).fetchall())
    last = scalar(conn, "SELECT max(CAST(substr(voucher_number, 4) AS BIGINT)) FROM program_targets "
                        "WHERE voucher_number LIKE ? || '%'", [prefix])
    numbers: dict[str, str] = {}
    for member_id in members:
        if member_id in earlier:
            numbers[member_id] = earlier[member_id]
        else:
            last += 1
            numbers[member_id] = f"{prefix}{last:08d}"
    if not numbers:
        return 0
    rows = conn.execute("SELECT member_id, details FROM program_targets WHERE run_id = ? AND member_id IN "
                        "(SELECT unnest(CAST(? AS VARCHAR[])))", [run_id, list(numbers)]).fetchall()
    details = []
    for member_id, text in rows:
        stored = json.loads(text)
        stored["values"] = {**stored["values"], "voucher_number": numbers[member_id]}
        details.append(_dumps(stored))
    members = [member_id for member_id, _ in rows]
    conn.execute(
        "UPDATE program_targets AS t SET voucher_number = s.voucher_number, details = s.details FROM "
        "(SELECT unnest(CAST(? AS VARCHAR[])) AS member_id, unnest(CAST(? AS VARCHAR[])) AS voucher_number, "
        "unnest(CAST(? AS VARCHAR[])) AS details) AS s WHERE t.run_id = ? AND t.member_id = s.member_id",
        [members, [numbers[m] for m in members], details, run_id],
    )
    return len(numbers)


def _targets_table(conn: duckdb.DuckDBPyConnection, targets: pd.DataFrame):
    """The program_targets rows of a TargetList frame, as an Arrow table (JSON columns as text)."""
    rule_reason = targets["exclusion_reason"].where(targets["excluded_by"] == BY_RULE)
    details = [
        _dumps({"rank": None if pd.isna(rank) else int(rank), "position": position,
                "explanation": list(explanation), "values": values,
                "rule_exclusion": None if pd.isna(rule) else str(rule)})
        for position, (rank, explanation, values, rule) in enumerate(
            zip(targets["rank"], targets["explanation"], targets["values"], rule_reason, strict=True))
    ]
    frame = pd.DataFrame({
        "member_id": targets["member_id"].astype("string"),
        "tier": targets["tier"].astype("string"),
        "reason": targets["reason"].astype("string").fillna(""),
        "details": pd.Series(details, dtype="string", index=targets.index),
        "warnings": pd.Series([_dumps(list(w)) for w in targets["warnings"]], dtype="string", index=targets.index),
        "voucher_number": targets["voucher_number"].astype("string"),
        "excluded": targets["excluded"].astype(bool),
        "exclusion_reason": targets["exclusion_reason"].astype("string"),
        "excluded_by": targets["excluded_by"].astype("string"),
        "holdout": targets["holdout"].astype(bool),
    })
    columns = {name: arrow_type(kind) for name, kind in table_columns(conn, "program_targets").items()}
    return to_arrow(frame, columns, what="program_targets")


def _run_context(target_list: TargetList) -> dict[str, Any]:
    return {"steps": [list(step) for step in target_list.funnel], "as_of": target_list.as_of.isoformat(),
            "detail_lines": _frame_to_json(target_list.detail_lines)}


def _frame_to_json(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    """A small frame as JSON with its dtypes, so that it comes back exactly."""
    if frame is None:
        return None
    return {"dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
            "data": json.loads(frame.to_json(orient="split", index=False, date_format="iso"))}


def _frame_from_json(stored: dict[str, Any] | None) -> pd.DataFrame | None:
    if stored is None:
        return None
    frame = pd.DataFrame(stored["data"]["data"], columns=stored["data"]["columns"], dtype=object)
    return frame.astype(stored["dtypes"])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    """Numpy and pandas scalars a program may leave in its values (the contract asks for plain types)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (date, pd.Timestamp)):
        return value.isoformat()[:10]
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
