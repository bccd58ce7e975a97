"""Per-program letter bodies: tables, cards and placeholder values from hand-made `values`."""

from __future__ import annotations

from datetime import date

from dhdesk.core.letters import FieldsBlock, TableBlock, default_template
from dhdesk.core.letters.bodies import (NOT_ISSUED, chudan, end_of_month_after, generic, hokenshido, jinsho, jushin,
                                        mijushin, number, tazai, wareki_month, yen)

ISSUED = date(2026, 11, 22)


def test_formatting_helpers():
    assert number(168.0) == "168" and number(6.5) == "6.5" and number(None) == "—" and number(float("nan")) == "—"
    assert yen(1234.4) == "1,234円" and yen(1234.5) == "1,235円" and yen(None) == "—"
    assert wareki_month("2025-03") == "令和7年3月" and wareki_month("201904") == "平成31年4月"
    assert end_of_month_after(date(2026, 11, 22), 6) == date(2027, 5, 31)
    assert end_of_month_after(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_jushin_lists_every_item_with_value_criterion_and_tier():
    values = {"exam_date": "2025-06-10", "window_months": 3, "items": [
        {"label": "収縮期血圧", "value": 168.0, "unit": "mmHg", "criterion": "160以上", "tier": "①すぐに受診"},
        {"label": "HbA1c", "value": 6.9, "unit": "%", "criterion": "6.5以上", "tier": "②受診勧奨"}]}
    (table,), filled = jushin(values, default_template("jushin"), ISSUED)
    assert isinstance(table, TableBlock)
    assert table.header == ("項目", "今回の結果", "基準", "区分")
    assert table.rows == (("収縮期血圧", "168 mmHg", "160以上", "①すぐに受診"), ("HbA1c", "6.9 %", "6.5以上", "②受診勧奨"))
    assert filled == {"健診日": "令和7年6月10日", "受診勧奨項目": "収縮期血圧、HbA1c", "項目数": "2", "確認期間": "3か月"}


def test_generic_drug_table_total_and_caveats():
    drug = {"brand_name": "ノルバスク錠5mg", "brand_price": 15.2, "quantity": 30, "unit": "錠",
            "generic_name": "アムロジピン錠5mg「サワイ」", "generic_price": 10.1, "brand_cost": 137.0,
            "generic_cost": 91.0, "difference": 46.0}
    values = {"month": "2026-08", "share": 0.3, "drugs": [drug, drug | {"brand_cost": 1200.0, "difference": 400.0}],
              "total_difference": 446, "comparison_rule": "同一成分・規格で最も安い後発品と比較"}
    (table,), filled = generic(values, default_template("generic"), ISSUED)
    assert table.header[:2] == ("お使いの先発医薬品", "後発医薬品（例）") and table.label_columns == 2
    assert table.rows[0] == ("ノルバスク錠5mg", "アムロジピン錠5mg「サワイ」", "137円", "91円", "46円")
    assert table.total == ("合計", "", "1,337円", "182円", "446円")
    assert table.notes[0] == "比較の方法：同一成分・規格で最も安い後発品と比較"
    assert any("選定療養" in n for n in table.notes) and any("技術料" in n for n in table.notes)
    assert filled == {"対象月": "令和8年8月", "差額合計": "446円", "自己負担割合": "3割"}


def test_hokenshido_voucher_card_with_expiry():
    values = {"level": "動機付け支援", "exam_date": "2025-06-10", "voucher_number": "25-000123",
              "risks": [{"label": "腹囲", "value": 92.0, "unit": "cm", "criterion": "85以上"}]}
    (card, risks), filled = hokenshido(values, default_template("hokenshido"), ISSUED)
    assert isinstance(card, FieldsBlock)
    assert card.fields == (("利用券番号", "25-000123"), ("支援レベル", "動機付け支援"), ("有効期限", "令和9年5月31日"))
    assert risks.rows == (("腹囲", "92 cm", "85以上"),)
    assert filled["有効期限"] == "令和9年5月31日" and filled["支援レベル"] == "動機付け支援"


def test_hokenshido_without_voucher_says_not_issued():
    (card, _), filled = hokenshido({"level": "積極的支援", "risks": []}, default_template("hokenshido"), ISSUED)
    assert card.fields[0] == ("利用券番号", NOT_ISSUED) and filled["健診日"] == ""


def test_chudan_card():
    values = {"conditions": ["糖尿病", "高血圧症"], "last_visit_month": "2025-09", "last_facility": "みなと内科",
              "months_since": 7}
    (card,), filled = chudan(values, default_template("chudan"), ISSUED)
    assert card.fields == (("対象の病気", "糖尿病、高血圧症"), ("最後に受診した月", "令和7年9月"), ("受診先", "みなと内科"),
                           ("受診が途切れている期間", "7か月"))
    assert filled["経過月数"] == "7か月"


def test_jinsho_items_and_group():
    values = {"group": "A", "action": "受診勧奨", "stage": "", "exam_date": "2025-06-10",
              "items": [{"label": "尿蛋白", "value": "2+", "unit": "", "criterion": "+以上"}]}
    (table,), filled = jinsho(values, default_template("jinsho"), ISSUED)
    assert table.rows == (("尿蛋白", "2+", "+以上"),)
    assert filled["区分"] == "A" and filled["腎症病期"] == ""


def test_mijushin_years():
    values = {"pattern": "2年連続未受診", "years": [{"fiscal_year": 2019, "attended": True},
                                                 {"fiscal_year": 2024, "attended": False}]}
    (table,), filled = mijushin(values, default_template("mijushin"), ISSUED)
    assert table.rows == (("令和元年度", "受診"), ("令和6年度", "未受診"))
    assert filled == {"未受診パターン": "2年連続未受診"}


def test_tazai_drugs():
    values = {"month": "2026-08", "drug_count": 2, "drugs": [{"name": "A錠", "days": 28, "facility": "B内科"},
                                                             {"name": "C錠", "days": 14.0, "facility": None}]}
    (table,), filled = tazai(values, default_template("tazai"), ISSUED)
    assert table.rows == (("A錠", "28日", "B内科"), ("C錠", "14日", ""))
    assert filled == {"対象月": "令和8年8月", "薬剤数": "2"}
