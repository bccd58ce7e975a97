"""Per-program letter bodies (通知内容): the tables, cards and placeholder values made from a target's `values`.

Each program's `values` dict has the keys listed in `dhdesk.core.programs.LETTER_VALUES`; this module
turns them into printed strings (和暦 dates, 円 amounts with separators, units next to values).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from dhdesk.core.letters.model import Block, FieldsBlock, TableBlock
from dhdesk.core.letters.templates import LetterTemplate
from dhdesk.core.wareki import format_fiscal_year, format_wareki

Body = tuple[tuple[Block, ...], dict[str, str]]
BodyFn = Callable[[Mapping[str, Any], LetterTemplate, date], Body]

NOT_ISSUED = "（未発行）"


def wareki_day(iso: str | None) -> str:
    """「令和7年6月10日」 from "2025-06-10"; blank for a missing date."""
    return format_wareki(date.fromisoformat(iso[:10])) if iso else ""


def wareki_month(year_month: str | None) -> str:
    """「令和7年3月」 from "2025-03" (or "202503")."""
    if not year_month:
        return ""
    digits = year_month.replace("-", "")
    day = format_wareki(date(int(digits[:4]), int(digits[4:6]), 1))
    return day[: day.index("月") + 1]


def number(value: Any) -> str:
    """A measured value as printed: 168, 6.5, 0.85; 「—」 when missing."""
    if value is None or value != value:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def yen(value: Any) -> str:
    """「1,235円」 for 1234.5: rounded half up to the yen (四捨五入), as amounts are printed for members."""
    return "—" if value is None or value != value else f"{math.floor(value + 0.5):,}円"


def with_unit(value: Any, unit: str | None) -> str:
    text = number(value)
    return f"{text} {unit}" if unit and text != "—" else text


def end_of_month_after(day: date, months: int) -> date:
    """The last day of the month `months` after `day`'s month (利用券の有効期限)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def _items_table(heading: str, items: list[Mapping[str, Any]], *, with_tier: bool,
                 notes: tuple[str, ...] = ()) -> TableBlock:
    header = ("項目", "今回の結果", "基準", *(("区分",) if with_tier else ()))
    rows = tuple(
        (str(item["label"]), with_unit(item.get("value"), item.get("unit")), str(item.get("criterion", "")),
         *((str(item.get("tier", "")),) if with_tier else ()))
        for item in items
    )
    return TableBlock(heading, header, rows, label_columns=len(header), notes=notes)


def hokenshido(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    voucher = values.get("voucher_number") or NOT_ISSUED
    expiry = format_wareki(end_of_month_after(issue_date, template.voucher_valid_months))
    card = FieldsBlock("特定保健指導利用券", (("利用券番号", voucher), ("支援レベル", str(values["level"])),
                                        ("有効期限", expiry)))
    risks = _items_table(template.table_heading, values.get("risks", []), with_tier=False, notes=template.notes)
    return (card, risks), {"健診日": wareki_day(values.get("exam_date")), "支援レベル": str(values["level"]),
                           "利用券番号": voucher, "有効期限": expiry}


def jushin(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    items = values.get("items", [])
    table = _items_table(template.table_heading, items, with_tier=True, notes=template.notes)
    return (table,), {"健診日": wareki_day(values.get("exam_date")), "受診勧奨項目": "、".join(str(i["label"]) for i in items),
                      "項目数": str(len(items)),
                      "確認期間": f"{values.get('window_months', '')}か月"}


def chudan(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    conditions = "、".join(values.get("conditions", []))
    last = wareki_month(values.get("last_visit_month"))
    since = f"{values.get('months_since', '')}か月"
    card = FieldsBlock(template.table_heading, (("対象の病気", conditions), ("最後に受診した月", last),
                                                ("受診先", str(values.get("last_facility") or "")),
                                                ("受診が途切れている期間", since)), notes=template.notes)
    return (card,), {"対象疾患": conditions, "最終受診月": last, "最終受診先": str(values.get("last_facility") or ""),
                     "経過月数": since}


def jinsho(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    table = _items_table(template.table_heading, values.get("items", []), with_tier=False, notes=template.notes)
    return (table,), {"健診日": wareki_day(values.get("exam_date")), "区分": str(values.get("group", "")),
                      "対応": str(values.get("action", "")), "腎症病期": str(values.get("stage") or "")}


def mijushin(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    rows = tuple((format_fiscal_year(int(y["fiscal_year"])), "受診" if y["attended"] else "未受診")
                 for y in values.get("years", []))
    table = TableBlock(template.table_heading, ("年度", "特定健診"), rows, label_columns=2, notes=template.notes)
    return (table,), {"未受診パターン": str(values.get("pattern", ""))}


def generic(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    drugs = values.get("drugs", [])
    header = ("お使いの先発医薬品", "後発医薬品（例）", "現在の自己負担額（月）", "切り替えた場合（月）", "差額（月）")
    rows = tuple((str(d["brand_name"]), str(d["generic_name"]), yen(d["brand_cost"]), yen(d["generic_cost"]),
                  yen(d["difference"])) for d in drugs)
    total = ("合計", "", yen(sum(d["brand_cost"] for d in drugs)), yen(sum(d["generic_cost"] for d in drugs)),
             yen(values["total_difference"]))
    rule = values.get("comparison_rule")
    notes = ((f"比較の方法：{rule}",) if rule else ()) + template.notes
    table = TableBlock(template.table_heading, header, rows, label_columns=2, total=total, notes=notes)
    return (table,), {"対象月": wareki_month(values.get("month")), "差額合計": yen(values["total_difference"]),
                      "自己負担割合": f"{number(round(float(values.get('share', 0)) * 10, 1))}割"}


def tazai(values: Mapping[str, Any], template: LetterTemplate, issue_date: date) -> Body:
    rows = tuple((str(d["name"]), f"{number(d.get('days'))}日", str(d.get("facility") or ""))
                 for d in values.get("drugs", []))
    table = TableBlock(template.table_heading, ("お薬の名前", "処方日数", "医療機関・薬局"), rows, label_columns=3,
                       notes=template.notes)
    return (table,), {"対象月": wareki_month(values.get("month")), "薬剤数": str(values.get("drug_count", len(rows)))}


BODIES: dict[str, BodyFn] = {
    "hokenshido": hokenshido, "jushin": jushin, "chudan": chudan, "jinsho": jinsho, "mijushin": mijushin,
    "generic": generic, "tazai": tazai,
}
"""One body function per program id (the ids of dhdesk.core.programs.LETTER_VALUES)."""
