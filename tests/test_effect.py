"""Effect measurement: 受診率 windows at month boundaries, comparison group, 切替 table with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dhdesk.core.effect import RelatedCodes, generic_switch, visit_rate

RELATED = RelatedCodes(icd10=("I10", "E78"), drug_classes=("2149",))


def text(*values):
    return pd.array(values, dtype="string")


def people(rows):
    """rows: (member_id, tier, start_date[, group])."""
    frame = pd.DataFrame({"member_id": text(*[r[0] for r in rows]), "tier": text(*[r[1] for r in rows]),
                          "start_date": pd.to_datetime([r[2] for r in rows])})
    if rows and len(rows[0]) > 3:
        frame["group"] = text(*[r[3] for r in rows])
    return frame


def diagnoses(rows):
    """rows: (member_id, service_month, icd10)."""
    return pd.DataFrame({"member_id": text(*[r[0] for r in rows]), "service_month": text(*[r[1] for r in rows]),
                         "icd10": text(*[r[2] for r in rows])})


def drugs(rows):
    """rows: (member_id, service_month, yj_code[, quantity, days])."""
    return pd.DataFrame({
        "member_id": text(*[r[0] for r in rows]), "service_month": text(*[r[1] for r in rows]),
        "yj_code": text(*[r[2] for r in rows]),
        "quantity": [float(r[3]) if len(r) > 3 else 1.0 for r in rows],
        "days": pd.array([r[4] if len(r) > 4 else 1 for r in rows], dtype="Int64"),
    })


def receipts(*months):
    return pd.DataFrame({"service_month": text(*months)})


NO_COMPARISON = people([("x", "", "2025-01-01", "")]).iloc[:0]


def test_visit_rate_per_tier_beside_the_comparison_group():
    notices = people([("A", "①", "2025-06-15"), ("B", "②", "2025-06-15"), ("C", "②", "2025-06-15")])
    comparison = people([("H", "②", "2025-06-15", "ホールドアウト"), ("X", "①", "2025-06-15", "除外（職員判断）")])
    claims = diagnoses([("A", "202509", "I109"), ("B", "202510", "I10"), ("B", "202506", "I10"),
                        ("H", "202508", "E785"), ("X", "202507", "J20")])
    lines = drugs([("C", "202507", "2149039F1020"), ("A", "202508", "2149039F1020")])
    result = visit_rate(notices, comparison, receipts("202509"), claims, lines, RELATED, 3)
    table = result.table.set_index("区分")
    assert table.loc["①", ["通知者数", "受診者数", "受診率(%)", "比較群人数", "比較群受診率(%)"]].tolist() == [1, 1, 100.0, 1, 0.0]
    assert table.loc["②", ["通知者数", "受診者数", "受診率(%)", "比較群人数", "比較群受診率(%)"]].tolist() == [2, 1, 50.0, 1, 100.0]
    assert table.loc["合計", ["受診率(%)", "比較群受診率(%)", "差(ポイント)"]].tolist() == [66.7, 50.0, 16.7]
    by_member = result.people.set_index("member_id")
    assert by_member.loc["A", "first_month"] == "202508" and by_member.loc["C", "first_month"] == "202507"
    assert pd.isna(by_member.loc["B", "first_month"])
    assert by_member.loc["A", ["window_from", "window_to"]].tolist() == ["202507", "202509"]
    assert result.by_group.set_index("群").loc["ホールドアウト", "受診率(%)"] == 100.0
    assert by_member["complete"].all() and result.observed_until == "202509"


@pytest.mark.parametrize(("start", "claim_month", "counted"), [
    ("2025-06-30", "202506", False),  # the notice month never counts
    ("2025-06-30", "202507", True),   # first month after the notice
    ("2025-06-30", "202509", True),   # month N: a claim dated its last day still counts
    ("2025-06-30", "202510", False),  # month N + 1
    ("2025-07-01", "202507", False),  # a notice on the 1st: its own month is excluded too
    ("2025-07-01", "202510", True),
    ("2025-12-20", "202603", True),   # across a year end
    ("2025-12-20", "202604", False),
])
def test_window_is_the_n_whole_months_after_the_notice_month(start, claim_month, counted):
    result = visit_rate(people([("A", "①", start)]), NO_COMPARISON, receipts("202612"),
                        diagnoses([("A", claim_month, "I10")]), drugs([]), RELATED, 3)
    assert bool(result.people["visited"].iloc[0]) is counted


def test_unrelated_codes_and_other_members_do_not_count_and_prefixes_match_from_the_start():
    result = visit_rate(people([("A", "①", "2025-06-01")]), NO_COMPARISON, receipts("202512"),
                        diagnoses([("A", "202507", "J10"), ("B", "202507", "I10"), ("A", "202507", "XI10")]),
                        drugs([("A", "202507", "1149001F1020"), ("A", "202507", "3214900F1020")]), RELATED, 3)
    assert not result.people["visited"].iloc[0]


def test_codes_compare_without_dots_or_case_and_suspected_diagnoses_count():
    related = RelatedCodes(icd10=("E11.2",), drug_classes=())
    result = visit_rate(people([("A", "①", "2025-06-01"), ("B", "①", "2025-06-01"), ("C", "①", "2025-06-01")]),
                        NO_COMPARISON, receipts("202512"),
                        diagnoses([("A", "202507", "e1121"), ("B", "202507", "E11.29"), ("C", "202507", "E11")]),
                        drugs([]), related, 3)
    assert result.people["visited"].tolist() == [True, True, False]


def test_a_window_reaching_past_the_last_claim_month_is_flagged_incomplete():
    result = visit_rate(people([("A", "①", "2025-06-15"), ("B", "①", "2025-05-15")]), NO_COMPARISON,
                        receipts("202507", "202508"), diagnoses([]), drugs([]), RELATED, 3)
    assert result.people.set_index("member_id")["complete"].to_dict() == {"A": False, "B": True}


# -- generic switch -------------------------------------------------------------------------------

BRAND, GENERIC, DEARER, OTHER_BRAND, OTHER_GENERIC = (
    "2149001F1020", "2149001F1101", "2149001F1110", "3999001F1020", "3999001F1101")


def master(version, brand_price, generic_price):
    return pd.DataFrame({
        "version_date": pd.to_datetime([version] * 5),
        "yj_code": text(BRAND, GENERIC, DEARER, OTHER_BRAND, OTHER_GENERIC),
        "product_name": text("ブランドA錠10mg", "成分A錠10mg「X」", "成分A錠10mg「Y」", "ブランドB錠", "成分B錠「X」"),
        "price": [brand_price, generic_price, 60.0, 30.0, 10.0],
        "generic_info": text("2", "3", "★", "2", "3"),
    })


MASTERS = pd.concat([master("2025-04-01", 50.0, 20.0), master("2025-10-01", 45.0, 18.0)], ignore_index=True)


def notice(member_id, sent, share, *drug_list):
    return (member_id, pd.Timestamp(sent), {"month": "2025-06", "share": share, "drugs": list(drug_list)})


def contents(*rows):
    return pd.DataFrame({"member_id": text(*[r[0] for r in rows]), "sent_date": [r[1] for r in rows],
                         "content": pd.Series([r[2] for r in rows], dtype=object)})


def test_switch_table_counts_people_once_and_prices_each_month_with_its_master():
    notices = contents(
        notice("M1", "2025-08-20", 0.3, {"brand_name": "ブランドA錠10mg", "brand_price": 50.0}),
        notice("M2", "2025-08-20", 0.2, {"brand_yj_code": BRAND, "brand_name": "ブランドA錠10mg", "brand_price": 50.0}),
        notice("M3", "2025-09-05", 0.3, {"brand_name": "不明な薬", "brand_price": 10.0}),
        notice("M1", "2025-09-10", 0.3, {"brand_name": "ブランドA錠10mg", "brand_price": 50.0}),
    )
    lines = drugs([
        ("M1", "202508", GENERIC, 1, 30),        # the notice month: not a switch
        ("M1", "202509", BRAND, 1, 30),          # still the brand
        ("M1", "202510", GENERIC, 1, 30),        # switch, new master: (45 − 18) × 30 = 810
        ("M1", "202510", OTHER_GENERIC, 1, 30),  # a group that was not notified
        ("M2", "202509", DEARER, 2, 14),         # ★ generic: (50 − 60) × 28 = −280
        ("M2", "202511", GENERIC, 1, 10),        # (45 − 18) × 10 = 270, M2 counted once
        ("M9", "202510", GENERIC, 1, 30),        # never notified
    ])
    result = generic_switch(notices, lines, MASTERS, 4)
    table = result.table
    assert table["診療月"].tolist() == ["2025-09", "2025-10", "2025-11", "2025-12"]
    assert table["通知者数(累計)"].tolist() == [2, 3, 3, 3]
    assert table["切替者数(累計)"].tolist() == [1, 2, 2, 2]
    assert table["切替率(%)"].tolist() == [50.0, 66.7, 66.7, 66.7]
    assert table["削減効果額(円)"].tolist() == [-280.0, 810.0, 270.0, 0.0]
    assert table["削減効果額累計(円)"].tolist() == [-280.0, 530.0, 800.0, 800.0]
    assert table["保険者負担分削減額(円)"].tolist() == [-224.0, 567.0, 216.0, 0.0]
    assert result.unresolved == 1
    assert sorted(result.lines["member_id"].tolist()) == ["M1", "M2", "M2"]


def test_a_brand_no_longer_listed_is_priced_as_the_letter_printed_it():
    later = master("2025-10-01", 45.0, 18.0)
    later = later[later["yj_code"] != BRAND]
    masters = pd.concat([master("2025-04-01", 50.0, 20.0), later], ignore_index=True)
    notices = contents(notice("M1", "2025-08-20", 0.3, {"brand_yj_code": BRAND, "brand_price": 52.0}))
    result = generic_switch(notices, drugs([("M1", "202510", GENERIC, 1, 10)]), masters, 3)
    assert result.lines["brand_price"].tolist() == [52.0]
    assert result.table["削減効果額(円)"].tolist() == [0.0, 340.0, 0.0]


def test_no_switch_gives_zero_rates_not_errors():
    notices = contents(notice("M1", "2025-08-20", 0.3, {"brand_yj_code": BRAND, "brand_price": 50.0}))
    result = generic_switch(notices, drugs([("M1", "202509", BRAND, 1, 30)]), MASTERS, 2)
    assert result.table["切替者数(累計)"].tolist() == [0, 0]
    assert result.table["切替率(%)"].tolist() == [0.0, 0.0]
    assert np.all(result.table["削減効果額(円)"] == 0) and result.lines.empty
