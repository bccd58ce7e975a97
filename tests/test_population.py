"""加入者構成: pyramid by band × sex × 組合員/被扶養者, 加入者数・平均年齢 by year, 医療費 by year."""

from __future__ import annotations

import pandas as pd

from dhdesk.core.analyses import AnalysisInputs
from dhdesk.core.analyses.population import membership


def _members(*rows: tuple) -> pd.DataFrame:
    """rows: (member_id, sex, relation, birth, acquired, lost or None)."""
    ids, sex, relation, birth, acquired, lost = zip(*rows)
    return pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "sex": pd.array(sex, dtype="Int8"),
        "relation": pd.array(relation, dtype="Int8"),
        "birth_date": pd.to_datetime(list(birth)),
        "acquired_date": pd.to_datetime(list(acquired)),
        "lost_date": pd.to_datetime(list(lost)),
    })


def _receipts(*rows: tuple) -> pd.DataFrame:
    """rows: (receipt_id, member_id, yyyymm, points)."""
    rid, mid, month, points = zip(*rows)
    months = pd.Series(month, dtype="string")
    year = months.str[:4].astype(int) - (months.str[4:].astype(int) < 4)
    return pd.DataFrame({
        "receipt_id": pd.array(rid, dtype="string"), "member_id": pd.array(mid, dtype="string"),
        "service_month": pd.array(month, dtype="string"), "claim_type": pd.array([2] * len(rid), dtype="Int8"),
        "facility_code": pd.array(["F"] * len(rid), dtype="string"), "days": pd.array([1] * len(rid), dtype="Int64"),
        "points": pd.array(points, dtype="Int64"), "fiscal_year": pd.array(year, dtype="Int64"),
    })


MEMBERS = _members(
    ("A", 1, 1, "1980-06-01", "2010-04-01", None),          # 組合員 男, 44 on 2025-03-31 → 40-44
    ("B", 2, 1, "1985-05-01", "2010-04-01", None),          # 組合員 女, 39 → 35-39
    ("C", 2, 2, "2020-01-15", "2020-02-01", None),          # 被扶養者 女, 5 → 5-9
    ("D", 1, 1, "1970-01-01", "2000-04-01", "2024-04-02"),  # 喪失 4/2: covered on 4/1, so in FY2024; 55 → 55-59
    ("E", 1, 1, "1990-01-01", "2025-04-01", None),          # joins in FY2025 only
)
RECEIPTS = _receipts(("r1", "A", "202405", 1000), ("r2", "C", "202503", 500), ("r3", "A", "202307", 300),
                     ("r4", "Z", "202406", 999))


def _tables(fiscal_year: int = 2024):
    inputs = AnalysisInputs(MEMBERS, pd.DataFrame(), RECEIPTS, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    return {t.key: t for t in membership(inputs, fiscal_year)}


def _row(table: pd.DataFrame, label: str) -> pd.Series:
    return table.set_index(table.columns[0]).loc[label]


def test_pyramid_counts_each_band_by_group_and_sex_with_totals():
    pyramid = _tables()["population_pyramid"].table
    assert list(pyramid.columns) == ["年齢階層", "組合員 男性", "組合員 女性", "被扶養者 男性", "被扶養者 女性", "合計"]
    assert _row(pyramid, "40-44歳").tolist() == [1, 0, 0, 0, 1]
    assert _row(pyramid, "35-39歳").tolist() == [0, 1, 0, 0, 1]
    assert _row(pyramid, "5-9歳").tolist() == [0, 0, 0, 1, 1]
    assert _row(pyramid, "55-59歳").tolist() == [1, 0, 0, 0, 1]
    assert _row(pyramid, "合計").tolist() == [2, 1, 0, 1, 4]


def test_membership_trend_counts_people_and_averages_their_age_by_year():
    trend = _tables(2025)["membership_trend"].table.set_index("年度")
    assert trend.loc["2024年度", "組合員 加入者数"] == 3
    assert trend.loc["2024年度", "被扶養者 加入者数"] == 1
    assert trend.loc["2025年度", "組合員 加入者数"] == 3            # D gone, E joined
    assert trend.loc["2024年度", "扶養率"] == round(1 / 3, 2)
    assert trend.loc["2025年度", "組合員 平均年齢"] == round((45 + 40 + 36) / 3, 1)


def test_cost_trend_adds_each_years_cost_of_enrolled_members_by_group():
    cost = _tables()["cost_trend"]
    frame = cost.table.set_index("年度")
    assert frame.loc["2024年度", "組合員 医療費(円)"] == 10000
    assert frame.loc["2024年度", "被扶養者 医療費(円)"] == 5000
    assert frame.loc["2024年度", "医療費 計(円)"] == 15000
    assert frame.loc["2024年度", "全体 1人あたり(円)"] == 15000 / 4
    assert frame.loc["2023年度", "医療費 計(円)"] == 3000
    assert any("資格のない加入者番号" in note for note in cost.notes)
