"""Reading the current data of a workspace (現在のデータ) as typed frames, fetched through Arrow.

"Current" means not superseded by a later batch. Receipt details (diagnoses, drug lines, procedures)
are current exactly when their receipt is, and come with the receipt's member, month and type so
that programs need no join of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from dhdesk.store.connection import one, scalar
from dhdesk.store.frames import to_frame
from dhdesk.store.schema import table_columns

_DETAIL_TABLES = ("diagnoses", "drug_lines", "procedures")
_FROM_RECEIPT = ("member_id", "service_month", "claim_type", "fiscal_year")


def fetch(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
    """Run `sql` and return a typed frame (Arrow fetch: never `.df()`)."""
    return to_frame(conn.sql(sql, params=list(params or [])).to_arrow_table())


@dataclass(frozen=True)
class Selection:
    """Which current rows to read; every filter is optional and they combine with AND.

    `limit` keeps the first rows in the read's order: a screen shows a page without pulling a
    whole 年度 of claims into memory. `ordered=False` skips putting claims in file order, for readers
    whose result does not depend on row order (the analyses: half of their reading time at 300k).
    """

    fiscal_year: int | tuple[int, ...] | None = None  # several: one read per 年度, in 年度 order (limit per read)
    months: tuple[str, str] | None = None  # ("yyyymm", "yyyymm"), both ends included
    member_ids: Sequence[str] | None = None
    limit: int | None = None
    ordered: bool = True

    def each_year(self) -> list[Selection]:
        """The selection as one read per 年度 when it names several (each read is one 年度's rows), else itself."""
        if isinstance(self.fiscal_year, tuple):
            return [replace(self, fiscal_year=year) for year in self.fiscal_year]
        return [self]

    def where(self, prefix: str = "") -> tuple[str, list[object]]:
        where, params = [f"{prefix}superseded_by IS NULL"], []
        if self.fiscal_year is not None:
            where.append(f"{prefix}fiscal_year = ?")
            params.append(self.fiscal_year)
        if self.months is not None:
            where.append(f"{prefix}service_month BETWEEN ? AND ?")
            params += list(self.months)
        if self.member_ids is not None:
            where.append(f"{prefix}member_id IN (SELECT unnest(CAST(? AS VARCHAR[])))")
            params.append(list(self.member_ids))
        return " AND ".join(where), params

    def tail(self) -> str:
        return "" if self.limit is None else f" LIMIT {int(self.limit)}"


def members(conn: duckdb.DuckDBPyConnection, as_of: date | None, selection: Selection) -> pd.DataFrame:
    """Every current 資格期間, or with `as_of` only the periods in force that day (alive, not yet lost)."""
    where, params = selection.where()
    if as_of is not None:
        where += f" AND {_IN_FORCE}"
        params += [as_of] * 3
    return fetch(
        conn,
        f"SELECT * EXCLUDE (superseded_by) FROM members WHERE {where} ORDER BY member_id, acquired_date"
        + selection.tail(),
        params,
    )


_IN_FORCE = (
    "acquired_date <= ? AND (lost_date IS NULL OR lost_date > ?) AND (deceased_date IS NULL OR deceased_date >= ?)"
)
"""資格喪失日 is the first day without coverage (the day after leaving or death), hence `>`."""


def checkups(conn: duckdb.DuckDBPyConnection, selection: Selection) -> pd.DataFrame:
    """Current checkups, ordered by member and exam date."""
    where, params = selection.where()
    return fetch(
        conn,
        f"SELECT * EXCLUDE (superseded_by) FROM checkups WHERE {where} ORDER BY member_id, exam_date"
        + selection.tail(),
        params,
    )


def receipts(conn: duckdb.DuckDBPyConnection, selection: Selection, columns: Sequence[str] | None) -> pd.DataFrame:
    """Current receipts in claim_id (import) order; `columns` to read less of a big 年度."""
    available = set(table_columns(conn, "receipts")) - {"superseded_by"}
    select = ", ".join(_chosen(columns, available, default=None) or ["* EXCLUDE (superseded_by)"])

    def read(part: Selection) -> pa.Table:
        where, params = part.where()
        return _fetch_ordered(conn, f"SELECT {select}, claim_id AS _key0 FROM receipts WHERE {where}", params,
                              ("claim_id",), part)

    return to_frame(pa.concat_tables([read(part) for part in selection.each_year()]))


def details(
    conn: duckdb.DuckDBPyConnection, table: str, selection: Selection, columns: Sequence[str] | None
) -> pd.DataFrame:
    """Current lines of a detail table, in file order, with their receipt's member, month, type and 年度."""
    if table not in _DETAIL_TABLES:
        raise ValueError(f"not a receipt detail table: {table}")
    own = [c for c in table_columns(conn, table) if c != "batch_id"]
    available = set(own) | set(_FROM_RECEIPT)
    chosen = _chosen(columns, available, default=[*own, *_FROM_RECEIPT])
    select = ", ".join(f"r.{c}" if c in _FROM_RECEIPT else f"d.{c}" for c in chosen)

    def read(part: Selection) -> pa.Table:
        where, params = part.where("r.")
        return _fetch_ordered(
            conn,
            f"SELECT {select}, d.claim_id AS _key0, d.line_no AS _key1 FROM {table} AS d JOIN receipts AS r "
            f"USING (claim_id) WHERE {where}",
            params,
            ("d.claim_id", "d.line_no"),
            part,
        )

    return to_frame(pa.concat_tables([read(part) for part in selection.each_year()]))


def _fetch_ordered(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[object], order: Sequence[str], selection: Selection
) -> pa.Table:
    """`sql` (whose last columns `_key0`, `_key1`… are `order`) as an Arrow table, keys left out: in
    `order` unless the selection is unordered.

    DuckDB sorts on the integer keys: at 300k members that adds a third to a year's read, where
    taking the rows into order afterwards (the join hands them back in no set order) costed twice the
    read. A `limit` keeps the first rows of the ordered read.
    """
    keys = [f"_key{n}" for n in range(len(order))]
    if selection.ordered or selection.limit is not None:
        sql += " ORDER BY " + ", ".join(order) + selection.tail()
    return conn.sql(sql, params=params).to_arrow_table().drop_columns(keys)


def drug_master(conn: duckdb.DuckDBPyConnection, as_of: date | None) -> pd.DataFrame:
    """The master in force on `as_of`: per product its newest version on or before that day.

    Per product rather than per whole list, so that a partial list (追加収載) adds to the full list
    before it. A product whose 経過措置期限 has passed is no longer in force. Without `as_of`: the
    newest version of every product ever listed.
    """
    if as_of is None:
        return fetch(
            conn,
            "SELECT * EXCLUDE (superseded_by) FROM drug_master WHERE superseded_by IS NULL "
            "QUALIFY row_number() OVER (PARTITION BY yj_code ORDER BY version_date DESC) = 1 ORDER BY yj_code",
        )
    return fetch(
        conn,
        "SELECT * FROM (SELECT * EXCLUDE (superseded_by) FROM drug_master "
        "WHERE superseded_by IS NULL AND version_date <= ? "
        "QUALIFY row_number() OVER (PARTITION BY yj_code ORDER BY version_date DESC) = 1) "
        "WHERE transition_until IS NULL OR transition_until >= ? ORDER BY yj_code",
        [as_of, as_of],
    )


def disease_master(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The current 傷病名マスター, one row per 傷病名コード (abolished codes too: old claims still use them)."""
    return fetch(conn, "SELECT * EXCLUDE (batch_id, superseded_by) FROM disease_master "
                       "WHERE superseded_by IS NULL ORDER BY disease_code")


def counts(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, int]:
    """What the home dashboard shows: members in force, checkups and receipts per 年度, masters, batches."""
    result: dict[str, int] = {}
    active, insured, dependants = one(
        conn,
        "SELECT count(DISTINCT member_id), count(DISTINCT member_id) FILTER (WHERE relation = 1), "
        "count(DISTINCT member_id) FILTER (WHERE relation = 2) "
        f"FROM members WHERE superseded_by IS NULL AND {_IN_FORCE}",
        [as_of] * 3,
    ) or (0, 0, 0)
    result.update(members_active=active, insured_active=insured, dependants_active=dependants)
    result["members_total"] = scalar(conn, "SELECT count(DISTINCT member_id) FROM members WHERE superseded_by IS NULL")
    for table in ("checkups", "receipts"):
        rows = conn.execute(
            f"SELECT fiscal_year, count(*) FROM {table} WHERE superseded_by IS NULL GROUP BY ALL ORDER BY 1"
        ).fetchall()
        result.update({f"{table}_fy{year}": n for year, n in rows})
    result["drug_master_versions"] = scalar(
        conn, "SELECT count(DISTINCT version_date) FROM drug_master WHERE superseded_by IS NULL"
    )
    result["batches_active"] = scalar(conn, "SELECT count(*) FROM import_batches WHERE status = 'active'")
    return result


def fiscal_years(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Every 年度 that has current checkups or receipts, ascending."""
    rows = conn.execute(
        "SELECT fiscal_year FROM checkups WHERE superseded_by IS NULL "
        "UNION SELECT fiscal_year FROM receipts WHERE superseded_by IS NULL ORDER BY 1"
    ).fetchall()
    return [int(year) for (year,) in rows]


def _chosen(columns: Sequence[str] | None, available: set[str], default: list[str] | None) -> list[str] | None:
    if columns is None:
        return default
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ValueError(f"unknown columns {unknown}; available: {sorted(available)}")
    return list(columns)
