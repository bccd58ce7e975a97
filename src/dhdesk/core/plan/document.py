"""Assembles the plan (計画書の組版前の内容): seven sections of headings, text, tables and figures.

Sections follow seed 004 and RULES §8.1: 1 計画の概要, 2 現状, 3 保健事業の実施状況, 4 健康課題,
5 目標と事業計画, 6 後期高齢者支援金, 7 推進体制等. Tables are numbered 「表n-m」 and figures 「図n-m」
per section; 健康課題 cite the number of the table behind them. A published plan prints every table
after small-cell suppression (core.plan.publication); the internal one prints them as analysed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.analyses.reporting import load_reporting_rules
from dhdesk.core.plan import Block, FigureBlock, Heading, PlanDocument, PlanSection, TableBlock, Text
from dhdesk.core.plan.cells import column_chunks, printed_order, rows_text
from dhdesk.core.plan.issues import suggest
from dhdesk.core.plan.kpi import cell, implementation_plan, kpi_table
from dhdesk.core.plan.publication import publish
from dhdesk.core.plan.text import PlanText, narrative_items
from dhdesk.core.union import DEPENDANT_LABEL, UnionInfo
from dhdesk.core.wareki import format_fiscal_year

NO_NOTICES = "通知の実績はまだありません。"
NOTHING_FOUND = "該当する人はいません。"
SOURCE_COLUMNS = ("出典",)
"""Columns of long citations: printed once each under the table (the xlsx keeps them as columns)."""
HIDDEN_IN_FIGURE = "（公表用のため、伏せた区分は図に描いていません）"
SECTION_TITLES = {
    1: "計画の概要",
    2: "加入者と医療費の現状",
    3: "保健事業の実施状況",
    4: "健康課題",
    5: "目標と事業計画",
    6: "後期高齢者支援金の加算・減算",
    7: "計画の推進体制・公表・個人情報の保護",
}
SECTION_2 = (
    ("加入者構成", ("population_pyramid", "membership_trend")),
    ("医療費", ("cost_trend", "cost_by_age", "cost_by_type", "disease_cost_trend", "cost_ranges", "icd10_top10")),
)
SECTION_3 = (
    ("特定健診・特定保健指導", ("jisshiritsu_trend", "jisshiritsu_kenshin", "jisshiritsu_shido", "jisshiritsu_mokuhyo",
                          "hifuyosha_3kanen", "shido_ryunyushutsu")),
    ("要医療者への受診勧奨・重症化予防", ("リスク分布", "未受診×有所見", "予備群コントロール", "jinsho_risk", "jinsho_stage",
                                "jinsho_trend", "jinsho_groups")),
    ("医療費の適正化", ("generic_share_by_type", "generic_share_by_age", "polypharmacy", "frequent_visits",
                 "doctor_shopping", "doctor_shopping_diseases")),
)


@dataclass(frozen=True)
class PlanInputs:
    """Everything the plan is made from: the year's analysis tables, the one-year tables of earlier plan
    years (実績), the clerk's text, and the notices sent (from the mailing module, when there are any)."""

    union: UnionInfo
    insured: str
    fiscal_year: int
    tables: Sequence[AnalysisTable]
    by_year: Mapping[int, Sequence[AnalysisTable]]
    text: PlanText
    created: date
    internal: bool = False
    notices: Sequence[str] = field(default_factory=tuple)


class _Numbering:
    """Table and figure numbers per section, and which number each table key got."""

    def __init__(self) -> None:
        self.section = 0
        self.tables = 0
        self.figures = 0
        self.of_key: dict[str, str] = {}

    def start(self, section: int) -> None:
        self.section, self.tables, self.figures = section, 0, 0

    def table(self, key: str) -> str:
        self.tables += 1
        number = f"表{self.section}-{self.tables}"
        self.of_key.setdefault(key, number)
        return number

    def figure(self) -> str:
        self.figures += 1
        return f"図{self.section}-{self.figures}"


def build_document(inputs: PlanInputs) -> PlanDocument:
    """The finished content of the plan of `inputs.fiscal_year`."""
    shown = _Shown(inputs)
    numbering = _Numbering()
    fill = {"union": inputs.union.name, "insured": inputs.insured,
            "fiscal_year": format_fiscal_year(inputs.fiscal_year)}
    sections = []
    for number, title in SECTION_TITLES.items():
        numbering.start(number)
        blocks: list[Block] = []
        if number in (1, 7):
            blocks += _narrative(inputs.text, number, fill)
        elif number == 2:
            blocks += _tables_section(shown, SECTION_2, numbering, number)
        elif number == 3:
            scoring = tuple(k for k in shown.source if k.startswith(("健診スコア", "問診スコア")))
            groups = SECTION_3 + (("健康スコアリング", scoring), ("その他の分析", tuple(shown.unplaced())))
            blocks += _tables_section(shown, groups, numbering, number)
            sub = sum(isinstance(b, Heading) for b in blocks) + 1
            blocks += [Heading(f"3.{sub} 通知の実績と効果"),
                       Text("\n".join(inputs.notices) if inputs.notices else NO_NOTICES)]
        elif number == 4:
            blocks += _issues(inputs, numbering)
        elif number == 5:
            blocks += _targets(inputs, shown, numbering, fill)
        elif number == 6:
            blocks += _support_fund(shown, numbering)
        sections.append(PlanSection(number, title, tuple(blocks)))
    label = format_fiscal_year(inputs.fiscal_year)
    return PlanDocument(
        title="第3期データヘルス計画",
        union_name=inputs.union.name,
        fiscal_year=inputs.fiscal_year,
        subtitle=f"{label}({inputs.fiscal_year}年度)実績による見直し" + ("（内部用・秘匿なし）" if inputs.internal else ""),
        dateline=f"作成日 {inputs.created.year}年{inputs.created.month}月{inputs.created.day}日",
        internal=inputs.internal,
        sections=tuple(sections),
        tables=tuple(shown.printed),
    )


class _Shown:
    """The tables as this edition prints them (suppressed unless internal), kept in print order."""

    def __init__(self, inputs: PlanInputs) -> None:
        self.inputs = inputs
        self.source = {t.key: t for t in inputs.tables}
        self.printed: list[AnalysisTable] = []
        self._cache: dict[str, AnalysisTable] = {}
        self.source["jisshiritsu_trend"] = _rate_trend(inputs)

    def __contains__(self, key: str) -> bool:
        return key in self.source

    def get(self, key: str) -> AnalysisTable:
        if key not in self._cache:
            original = self.source[key]
            table = original if self.inputs.internal else publish(original, self.inputs.insured)
            self._cache[key] = table
        return self._cache[key]

    def add(self, table: AnalysisTable) -> None:
        """A table made for the plan itself (KPI, 実施計画), printed like the analysis tables."""
        self.source[table.key] = table

    def original(self, key: str) -> AnalysisTable:
        return self.source[key]

    def unplaced(self) -> list[str]:
        """Analysis tables no section lists (a new analysis): printed under 「その他の分析」, never lost."""
        listed = {key for _, keys in SECTION_2 + SECTION_3 for key in keys} | {"shienkin_kasan"}
        return [t.key for t in self.inputs.tables
                if t.key not in listed and not t.key.startswith(("健診スコア", "問診スコア"))]

    def table_blocks(self, key: str, numbering: _Numbering) -> list[Block]:
        table = self.get(key)
        self.printed.append(table)
        number = numbering.table(key)
        if table.table.empty:
            return [TableBlock(f"{number} {table.title}", (), (), 1, (NOTHING_FOUND, *table.notes), key)]
        order, labels = printed_order(self.original(key).table)
        sources = [c for c in order if c in SOURCE_COLUMNS]
        order, labels = [c for c in order if c not in sources], labels - len(sources)
        cited = tuple(f"出典: {v}" for c in sources for v in pd.unique(table.table[c].astype("string").dropna()) if v)
        chunks = column_chunks(order, labels)
        blocks: list[Block] = []
        for i, columns in enumerate(chunks):
            suffix = f"（{i + 1}/{len(chunks)}）" if len(chunks) > 1 else ""
            notes = (*table.notes, *cited) if i == len(chunks) - 1 else ()
            blocks.append(TableBlock(f"{number} {table.title}{suffix}", tuple(columns),
                                     rows_text(table.table, columns, labels), labels, notes, key))
        return blocks


FIGURES: dict[str, list[tuple[str, str, dict]]] = {
    "population_pyramid": [("pyramid", "性・年齢階層別の加入者構成", {})],
    "membership_trend": [("bars", "加入者数の推移", {"label": "年度", "columns": ("{insured} 加入者数", "被扶養者 加入者数"),
                                               "stacked": True, "unit": "人"})],
    "cost_trend": [("bars", "医療費総額の推移", {"label": "年度", "columns": ("{insured} 医療費(円)", "被扶養者 医療費(円)"),
                                           "stacked": True, "unit": "円", "scale": 1e6, "scale_label": "百万円"})],
    "cost_by_age": [("bars", "年齢階層別 1人あたり医療費", {"label": "年齢階層", "columns": ("全体 1人あたり医療費(円)",),
                                                  "unit": "円", "skip_rows": ("合計",)})],
    "disease_cost_trend": [("bars", "主な生活習慣病・がんの医療費推移", {"label": "疾病", "columns": "*", "unit": "円",
                                                           "scale": 1e4, "scale_label": "万円", "horizontal": True})],
    "icd10_top10": [("bars", "ICD10大分類別 加入者あたり医療費 上位10", {"label": "ICD10大分類",
                                                             "columns": ("加入者あたり医療費(円)",), "unit": "円",
                                                             "horizontal": True})],
    "jisshiritsu_trend": [("rates", "特定健診 実施率の推移と目標", {})],
    "generic_share_by_type": [("lines", "後発医薬品 数量シェアの推移", {"row": "全レセプト", "unit": "%"})],
}


def _tables_section(shown: _Shown, groups, numbering: _Numbering, section: int) -> list[Block]:
    """Each group that has a table as a numbered sub-section (numbers stay consecutive when one has none)."""
    blocks: list[Block] = []
    sub = 0
    for title, keys in groups:
        present = [key for key in keys if key in shown]
        if not present:
            continue
        sub += 1
        blocks.append(Heading(f"{section}.{sub} {title}"))
        for key in present:
            for chart, caption, options in FIGURES.get(key, []):
                options = {k: (tuple(c.format(insured=shown.inputs.insured) for c in v) if k == "columns" and v != "*"
                               else v) for k, v in options.items()}
                table = shown.get(key)
                hidden = HIDDEN_IN_FIGURE if table is not shown.original(key) else ""
                blocks.append(FigureBlock(f"{numbering.figure()} {caption}{hidden}", chart, table, options))
            blocks += shown.table_blocks(key, numbering)
    return blocks


def _narrative(text: PlanText, section: int, fill: dict[str, str]) -> list[Block]:
    blocks: list[Block] = []
    items = [i for i in narrative_items() if i.section == section]
    for n, item in enumerate(items, start=1):
        blocks += [Heading(f"{section}.{n} {item.heading}"), Text(text.passage(item, **fill))]
    return blocks


def _issues(inputs: PlanInputs, numbering: _Numbering) -> list[Block]:
    suggestions = suggest(inputs.tables, inputs.union.union_type, inputs.insured, inputs.fiscal_year)
    blocks: list[Block] = [Heading("4.1 優先して取り組む健康課題")]
    chosen = list(inputs.text.issues) or [s.title for s in suggestions]
    blocks.append(Text("\n".join(f"課題{n} {issue}" for n, issue in enumerate(chosen, start=1)), bullets=True))
    blocks.append(Heading("4.2 データから見た根拠"))
    rows = tuple((s.title, s.evidence, numbering.of_key.get(s.table_key, "－")) for s in suggestions)
    caption = f"{numbering.table('plan_issues')} 健康課題の候補と根拠となる図表"
    blocks.append(TableBlock(caption, ("課題", "データから見た状況", "根拠"), rows, 2,
                             ("課題の候補は、本書の図表の数値が基準を超えたものを自動的に挙げています。",), "plan_issues"))
    return blocks


def _targets(inputs: PlanInputs, shown: _Shown, numbering: _Numbering, fill: dict[str, str]) -> list[Block]:
    kpi = kpi_table(inputs.text, inputs.union.union_type, shown_by_year(inputs), inputs.insured)
    plan = implementation_plan(inputs.text, inputs.union.union_type, inputs.by_year, inputs.fiscal_year,
                               inputs.insured)
    shown.add(kpi)
    shown.add(plan)
    blocks = _narrative(inputs.text, 5, fill)
    n = len(blocks) // 2
    blocks.append(Heading(f"5.{n + 1} 目標と実績 (KPI)"))
    blocks.append(FigureBlock(f"{numbering.figure()} 特定健診実施率の目標と実績", "kpi", kpi,
                              {"indicator": "特定健診実施率(%)"}))
    blocks += shown.table_blocks(kpi.key, numbering)
    blocks.append(Heading(f"5.{n + 2} 第4期特定健康診査等実施計画"))
    blocks += shown.table_blocks(plan.key, numbering)
    return blocks


def shown_by_year(inputs: PlanInputs) -> dict[int, list[AnalysisTable]]:
    """The per-year tables as this edition shows them (actuals read from suppressed cells print 「－」)."""
    out = {year: list(tables) for year, tables in inputs.by_year.items()}
    if not inputs.internal:
        out = {year: [publish(t, inputs.insured) for t in tables] for year, tables in out.items()}
    return out


def _support_fund(shown: _Shown, numbering: _Numbering) -> list[Block]:
    blocks: list[Block] = [
        Heading("6.1 加算の自己点検"),
        Text("特定健診・特定保健指導の実施率が保険者種別の基準に満たない保険者は、後期高齢者支援金が加算されます。"
             "当組合の実績を基準と照らし合わせた結果を示します。"),
    ]
    if "shienkin_kasan" in shown:
        blocks += shown.table_blocks("shienkin_kasan", numbering)
    blocks += [Heading("6.2 減算について"),
               Text("減算は、総合評価指標 (特定健診・特定保健指導の実施率、後発医薬品の使用割合、PHR・コラボヘルスの体制整備など)"
                    "の合計点数が上位の保険者が対象です。体制整備などワークスペースのデータにない項目を含むため、"
                    "本書では判定していません。")]
    return blocks


def _rate_trend(inputs: PlanInputs) -> AnalysisTable:
    """特定健診 実施率 by year and group, with the 保険者種別's target (the 実施率 chart's figures)."""
    goal = next(t for t in load_reporting_rules().targets if t.union_type == inputs.union.union_type.value).kenshin
    rows = []
    for year in sorted(inputs.by_year):
        tables = inputs.by_year[year] if inputs.internal else [publish(t, inputs.insured) for t in inputs.by_year[year]]
        row: dict[str, object] = {"年度": f"{year}年度"}
        for group in ("全体", inputs.insured, DEPENDANT_LABEL):
            row[f"{group} 実施率(%)"] = cell(tables, "jisshiritsu_kenshin", group, "実施率(%)")
        row["目標(%)"] = goal
        rows.append(row)
    return AnalysisTable("jisshiritsu_trend", "特定健診 実施率の推移", pd.DataFrame(rows),
                         (f"目標は{inputs.union.union_type.value}の目標値 (第4期)。実施率は法定報告の定義。",), "3.1.4")
