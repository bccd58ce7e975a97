"""Plan assembly: the clerk's text lands in its section, issues and targets flow into 4 and 5, numbering."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan import FigureBlock, Heading, TableBlock, Text
from dhdesk.core.plan.document import NO_NOTICES, PlanInputs, build_document
from dhdesk.core.plan.text import PlanText
from dhdesk.core.union import UnionInfo

UNION = UnionInfo("テスト市職員共済組合", "12345678")
RATES = AnalysisTable("jisshiritsu_kenshin", "特定健診 実施率", pd.DataFrame({
    "区分": ["全体", "組合員", "被扶養者"], "対象者数": [120, 100, 20], "受診者数": [100, 95, 5],
    "未受診者数": [20, 5, 15], "実施率(%)": [83.3, 95.0, 25.0]}), ("注",), "3.1.2")


def _document(text: PlanText = PlanText(), internal: bool = False, notices=()):
    return build_document(PlanInputs(UNION, "組合員", 2025, [RATES], {2025: [RATES]}, text, date(2026, 1, 5),
                                      internal, notices))


def _section(document, number):
    return next(s for s in document.sections if s.number == number)


def test_cover_lines_and_the_seven_sections():
    document = _document()
    assert document.union_name == UNION.name and document.dateline == "作成日 2026年1月5日"
    assert "令和7年度" in document.subtitle and "内部用" not in document.subtitle
    assert "内部用" in _document(internal=True).subtitle
    assert [s.title for s in document.sections][3] == "健康課題"


def test_the_clerks_text_issues_and_targets_are_printed_where_they_belong():
    text = PlanText(narrative={"purpose": "当組合独自の目的。"}, issues=("課題X", "課題Y"),
                    targets={"kenshin_total": {2026: 95.0}})
    document = _document(text)
    overview = [b.text for b in _section(document, 1).blocks if isinstance(b, Text)]
    assert overview[0] == "当組合独自の目的。" and UNION.name not in overview[0]
    issues = [b for b in _section(document, 4).blocks if isinstance(b, Text)][0]
    assert issues.bullets and issues.text.splitlines() == ["課題1 課題X", "課題2 課題Y"]
    kpi = next(b for b in _section(document, 5).blocks if isinstance(b, TableBlock) and b.key == "plan_kpi")
    target_row = next(r for r in kpi.rows if r[:3] == ("特定健診実施率(%)", "全体", "目標"))
    assert target_row[kpi.header.index("2026年度")] == "95.0"
    assert target_row[kpi.header.index("2027年度")] == "90.0"


def test_suggestions_cite_the_number_the_table_got_and_are_the_issues_when_none_are_written():
    document = _document()
    rates = next(b for b in _section(document, 3).blocks if isinstance(b, TableBlock) and b.key == RATES.key)
    evidence = next(b for b in _section(document, 4).blocks if isinstance(b, TableBlock))
    assert evidence.rows[0][2] == rates.caption.split()[0] == "表3-2"
    bullets = [b for b in _section(document, 4).blocks if isinstance(b, Text)][0]
    assert bullets.text == "課題1 特定健診の実施率が目標に届いていない"


def test_published_tables_are_suppressed_and_internal_ones_are_not():
    def printed(document):
        return next(b for b in _section(document, 3).blocks if isinstance(b, TableBlock) and b.key == RATES.key)
    assert printed(_document()).rows[1] == ("組合員", "100", "X", "<10", "X")
    assert printed(_document()).rows[2] == ("被扶養者", "20", "<10", "X", "X")
    assert printed(_document(internal=True)).rows[2] == ("被扶養者", "20", "5", "15", "25.0")


def test_section_three_reports_notices_or_says_there_are_none():
    blocks = _section(_document(), 3).blocks
    assert isinstance(blocks[-2], Heading) and blocks[-1] == Text(NO_NOTICES)
    assert _section(_document(notices=("受診勧奨通知 120通: 受診率 +12ポイント",)), 3).blocks[-1].text.startswith("受診勧奨")
    assert any(isinstance(b, FigureBlock) and b.chart == "rates" for b in _section(_document(), 3).blocks)


def test_a_source_column_is_printed_once_per_source_under_the_table():
    fund = AnalysisTable("shienkin_kasan", "加算の自己点検", pd.DataFrame({
        "項目": ["特定健診", "特定保健指導"], "実績(%)": [90.7, None], "出典": ["法務省共済組合 https://x", "法務省共済組合 https://x"]}))
    document = build_document(PlanInputs(UNION, "組合員", 2025, [RATES, fund], {2025: [RATES]}, PlanText(),
                                         date(2026, 1, 5)))
    block = next(b for b in _section(document, 6).blocks if isinstance(b, TableBlock))
    assert block.header == ("項目", "実績(%)")
    assert block.notes.count("出典: 法務省共済組合 https://x") == 1
