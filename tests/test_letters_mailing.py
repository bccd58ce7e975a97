"""Mailing-list rows: base columns, the program's columns and the address check, all text."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dhdesk.core.letters import build_letters, default_template, mailing_rows
from dhdesk.core.union import UnionInfo

UNION = UnionInfo(name="テスト共済組合", insurer_number="32239014")
ROSTER = pd.DataFrame({
    "member_id": pd.Series(["00012", "00034"], dtype="string"),
    "name": pd.Series(["山田　花子", "鈴木　一郎"], dtype="string"),
    "postal_code": pd.Series(["4910066", "100-0001"], dtype="string"),
    "address1": pd.Series(["愛知県一宮市三丹町1-2", "東京都港区芝公園4-2-8"], dtype="string"),
    "address2": pd.Series([pd.NA, "101号室"], dtype="string"),
    "office": pd.Series(["一宮市役所", pd.NA], dtype="string"),
    "acquired_date": pd.to_datetime(["2010-04-01", "2012-04-01"]),
})
DRUG = {"brand_name": "A錠", "brand_price": 20.0, "quantity": 30, "unit": "錠", "generic_name": "B錠",
        "generic_price": 10.0, "brand_cost": 180.0, "generic_cost": 90.0, "difference": 90.0}
VALUES = {"month": "2026-08", "share": 0.3, "drugs": [DRUG], "total_difference": 90, "comparison_rule": ""}


def test_rows_have_base_program_and_check_columns():
    targets = pd.DataFrame({"member_id": pd.Series(["00034", "00012"], dtype="string"),
                            "tier": pd.Series(["A", "B"], dtype="string"), "values": [VALUES, VALUES]})
    letters = build_letters("generic", targets, ROSTER, UNION, default_template("generic"), date(2026, 11, 22))
    rows = mailing_rows(letters, targets, ROSTER)
    assert list(rows.columns) == ["郵便番号", "住所1", "住所2", "宛名", "加入者番号", "所属所", "区分",
                                  "対象月", "差額合計", "自己負担割合", "住所確認"]
    assert (rows.dtypes == "string").all()
    first, second = rows.iloc[0], rows.iloc[1]
    assert first["加入者番号"] == "00034" and first["郵便番号"] == "〒100-0001" and first["住所2"] == "101号室"
    assert first["宛名"] == "鈴木　一郎　様" and first["区分"] == "A" and first["差額合計"] == "90円"
    assert "東京都千代田区" in first["住所確認"]
    assert second["住所確認"] == "" and second["所属所"] == "一宮市役所"
