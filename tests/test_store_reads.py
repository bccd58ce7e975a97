"""Reads of current claims: rows come back in claim and line order however they were stored."""

from __future__ import annotations

import duckdb
import pytest

from dhdesk.store import reads


@pytest.fixture()
def conn():
    """Receipts and drug lines stored out of claim order (as a re-import or a parallel insert may leave them)."""
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE receipts (claim_id BIGINT, fiscal_year INTEGER, receipt_id VARCHAR, member_id VARCHAR,"
        " service_month VARCHAR, claim_type SMALLINT, points BIGINT, superseded_by BIGINT)"
    )
    conn.execute(
        "INSERT INTO receipts VALUES (3, 2025, 'R3', 'M1', '202504', 2, 30, NULL),"
        " (1, 2025, 'R1', 'M2', '202504', 2, 10, NULL), (4, 2025, 'R4', 'M1', '202505', 5, 40, 9),"
        " (2, 2024, 'R2', 'M1', '202503', 2, 20, NULL)"
    )
    conn.execute(
        "CREATE TABLE drug_lines (claim_id BIGINT, line_no INTEGER, receipt_id VARCHAR, yj_code VARCHAR, batch_id BIGINT)"
    )
    conn.execute(
        "INSERT INTO drug_lines VALUES (2, 2, 'R2', 'B', 1), (3, 1, 'R3', 'C', 1), (1, 1, 'R1', 'A', 1),"
        " (2, 1, 'R2', 'A', 1), (4, 1, 'R4', 'D', 1)"
    )
    return conn


def test_receipts_come_back_in_claim_order_without_superseded_ones(conn):
    frame = reads.receipts(conn, reads.Selection(), None)
    assert frame["claim_id"].tolist() == [1, 2, 3]
    assert frame["receipt_id"].tolist() == ["R1", "R2", "R3"]
    assert "_key0" not in frame.columns


def test_detail_lines_come_back_in_claim_then_line_order_with_their_receipt(conn):
    frame = reads.details(conn, "drug_lines", reads.Selection(), ["claim_id", "yj_code", "member_id", "fiscal_year"])
    assert list(frame.columns) == ["claim_id", "yj_code", "member_id", "fiscal_year"]
    assert frame["yj_code"].tolist() == ["A", "A", "B", "C"]
    assert frame["member_id"].tolist() == ["M2", "M1", "M1", "M1"]


def test_a_limit_keeps_the_first_rows_of_the_ordered_read(conn):
    frame = reads.details(conn, "drug_lines", reads.Selection(limit=2), ["claim_id", "yj_code"])
    assert frame["yj_code"].tolist() == ["A", "A"] and frame["claim_id"].tolist() == [1, 2]
    assert reads.receipts(conn, reads.Selection(fiscal_year=2025, limit=1), ["receipt_id"])["receipt_id"].tolist() == [
        "R1"
    ]


def test_several_years_are_read_one_after_another_so_rows_come_in_year_order(conn):
    frame = reads.details(conn, "drug_lines", reads.Selection(fiscal_year=(2024, 2025), ordered=False),
                          ["yj_code", "fiscal_year"])
    assert frame["fiscal_year"].tolist() == [2024, 2024, 2025, 2025]
    assert sorted(frame["yj_code"].tolist()[:2]) == ["A", "B"] and sorted(frame["yj_code"].tolist()[2:]) == ["A", "C"]
    receipts = reads.receipts(conn, reads.Selection(fiscal_year=(2025, 2024)), ["receipt_id"])
    assert receipts["receipt_id"].tolist() == ["R1", "R3", "R2"]


def test_integer_columns_keep_their_blanks_and_text_is_pandas_text(conn):
    conn.execute("INSERT INTO receipts VALUES (5, 2025, 'R5', NULL, '202506', NULL, NULL, NULL)")
    frame = reads.receipts(conn, reads.Selection(fiscal_year=2025), ["receipt_id", "member_id", "claim_type", "points"])
    assert frame["receipt_id"].tolist() == ["R1", "R3", "R5"]
    assert str(frame["claim_type"].dtype) == "Int8" and str(frame["points"].dtype) == "Int64"
    assert frame["points"].isna().tolist() == [False, False, True] and frame["points"].iloc[1] == 30
    assert frame["member_id"].dtype == "string" and frame["member_id"].isna().tolist() == [False, False, True]
