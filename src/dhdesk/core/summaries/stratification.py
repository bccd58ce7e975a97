"""Content of the 階層化 summary: 保健指導レベル and メタボ判定 counts of one fiscal year, ready to print.

Built from a stratification result frame (one row per checkup) with the columns `member_id`,
`relation` (1 本人 / 2 家族), `sex` (1 男 / 2 女), `fy_end_age` (年度末年齢), `level`, `metabo`
and `reason` (理由). Every word and figure of the printed summary is decided here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dhdesk.core.rules.metabo import METABO_LEVELS
from dhdesk.core.rules.stratify import LEVELS
from dhdesk.core.summaries import NOT_APPLICABLE, SummarySection, SummaryTable, count_text, percent_text
from dhdesk.core.wareki import format_fiscal_year, format_wareki

INTENSIVE, MOTIVATIONAL, INFORMATION, UNDETERMINED, OUT_OF_SCOPE = LEVELS
IN_SCOPE_LEVELS = (INTENSIVE, MOTIVATIONAL, INFORMATION, UNDETERMINED)
DEPENDANT_LABEL = "被扶養者"
TOTAL_LABEL = "合計"
AGE_BAND_YEARS = 5
TOP_REASONS = 10
REQUIRED_COLUMNS = ("member_id", "relation", "sex", "fy_end_age", "level", "metabo", "reason")
SEX_LABELS = {1: "男性", 2: "女性"}
MISSING_PREFIX = "未測定・未回答: "


@dataclass(frozen=True)
class StratificationSummary:
    """The printed summary: title block, sections of tables, and notes citing the rule set."""

    title: str
    union_name: str
    fiscal_year_label: str
    generated_label: str
    sections: tuple[SummarySection, ...]
    notes: tuple[str, ...]
    notes_heading: str = "注記"


def build_stratification_summary(
    frame: pd.DataFrame,
    *,
    union_name: str,
    fiscal_year: int,
    rule_label: str,
    generated_on: date,
    sources: Sequence[str] = (),
    insured_label: str = "組合員",
) -> StratificationSummary:
    """Count levels and メタボ判定 by 本人/家族, by age band and sex, and list why rows were 判定不能.

    `rule_label` names the rule set and version used (e.g. 「第4期 特定保健指導 階層化基準 tokutei_4ki v1」);
    `sources` are its citations. `insured_label` is 組合員 for 共済組合, 被保険者 for 健保組合.
    """
    _check(frame)
    in_scope = ~_equals(frame["level"], OUT_OF_SCOPE)
    groups = {
        insured_label: _equals(frame["relation"], 1),
        DEPENDANT_LABEL: _equals(frame["relation"], 2),
        TOTAL_LABEL: np.ones(len(frame), dtype=bool),
    }
    sections = (
        SummarySection("1. 保健指導レベル", tables=(_level_table(frame, groups, in_scope),)),
        SummarySection("2. メタボリックシンドローム判定", tables=(_metabo_table(frame, groups, in_scope),)),
        SummarySection("3. 年齢階層・性別の保健指導レベル", tables=_age_sex_tables(frame, in_scope)),
        _undetermined_section(frame),
    )
    return StratificationSummary(
        title="特定保健指導 階層化結果の概要",
        union_name=union_name,
        fiscal_year_label=f"{format_fiscal_year(fiscal_year)}（{fiscal_year}年度）",
        generated_label=f"作成日 {format_wareki(generated_on)}",
        sections=sections,
        notes=_notes(fiscal_year, rule_label, sources, insured_label, frame, in_scope),
    )


def _check(frame: pd.DataFrame) -> None:
    """A level outside the vocabulary is a bug upstream: refuse rather than miscount it."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"stratification frame lacks columns {missing}")
    for column, allowed in (("level", LEVELS), ("metabo", METABO_LEVELS)):
        values = frame[column]
        unknown = set(values.dropna().unique()) - set(allowed)
        if unknown or values.isna().any():
            raise ValueError(f"column {column!r} has values outside {allowed}: {sorted(map(str, unknown)) or 'NA'}")


def _equals(series: pd.Series, value: object) -> np.ndarray:
    """`series == value` as a plain bool array (NA counts as not equal)."""
    return series.eq(value).to_numpy(dtype=bool, na_value=False)


def _counts(series: pd.Series, mask: np.ndarray) -> dict[str, int]:
    return {str(k): int(v) for k, v in series[mask].value_counts().items()}


def _grouped_table(caption: str, first: str, groups: dict[str, np.ndarray],
                   rows: list[tuple[str, ...]]) -> SummaryTable:
    """A table with 人数 and 割合(%) under each group (組合員 / 被扶養者 / 合計)."""
    header = (first, *(what for _ in groups for what in ("人数", "割合(%)")))
    spans = (("", 1), *((name, 2) for name in groups))
    return SummaryTable(caption, header, tuple(rows), header_groups=spans)


def _level_table(frame: pd.DataFrame, groups: dict[str, np.ndarray], in_scope: np.ndarray) -> SummaryTable:
    """Levels of the rows in scope (対象外 excluded from the denominator), with the 対象者 subtotal."""
    counts = {name: _counts(frame["level"], mask) for name, mask in groups.items()}
    totals = {name: int((mask & in_scope).sum()) for name, mask in groups.items()}

    def row(label: str, count_of: dict[str, int], share: bool = True) -> tuple[str, ...]:
        cells: list[str] = [label]
        for name in groups:
            cells += [count_text(count_of[name]), percent_text(count_of[name], totals[name]) if share else NOT_APPLICABLE]
        return tuple(cells)

    rows = [row(level, {n: counts[n].get(level, 0) for n in groups}) for level in IN_SCOPE_LEVELS]
    rows.append(row("計（階層化の対象）", totals))
    rows.append(row("特定保健指導対象者（再掲）",
                    {n: counts[n].get(INTENSIVE, 0) + counts[n].get(MOTIVATIONAL, 0) for n in groups}))
    rows.append(row("対象外（年齢・健診日）", {n: counts[n].get(OUT_OF_SCOPE, 0) for n in groups}, share=False))
    return _grouped_table("保健指導レベル別の人数と割合", "保健指導レベル", groups, rows)


def _metabo_table(frame: pd.DataFrame, groups: dict[str, np.ndarray], in_scope: np.ndarray) -> SummaryTable:
    """メタボ判定 of the rows in scope: the 特定健診 population, as in the 法定報告."""
    counts = {name: _counts(frame["metabo"], mask & in_scope) for name, mask in groups.items()}
    totals = {name: sum(c.values()) for name, c in counts.items()}

    def row(label: str, count_of: dict[str, int]) -> tuple[str, ...]:
        cells: list[str] = [label]
        for name in groups:
            cells += [count_text(count_of[name]), percent_text(count_of[name], totals[name])]
        return tuple(cells)

    rows = [row(m, {n: counts[n].get(m, 0) for n in groups}) for m in METABO_LEVELS]
    rows.append(row("計", totals))
    rows.append(row("基準該当＋予備群該当（再掲）",
                    {n: counts[n].get(METABO_LEVELS[0], 0) + counts[n].get(METABO_LEVELS[1], 0) for n in groups}))
    return _grouped_table("メタボリックシンドローム判定別の人数と割合", "メタボ判定", groups, rows)


UNKNOWN_AGE = -1


def _band_label(start: int) -> str:
    """「40〜44歳」 for the band starting at 40; 「年齢不明」 for rows without an age."""
    return "年齢不明" if start == UNKNOWN_AGE else f"{start}〜{start + AGE_BAND_YEARS - 1}歳"


def _age_sex_tables(frame: pd.DataFrame, in_scope: np.ndarray) -> tuple[SummaryTable, ...]:
    """One table per sex: levels by 5-year band of 年度末年齢, with the 対象者率 of each band."""
    scoped = frame.loc[in_scope, ["sex", "fy_end_age", "level"]]
    start = (scoped["fy_end_age"].astype("Int64") // AGE_BAND_YEARS * AGE_BAND_YEARS).fillna(UNKNOWN_AGE)
    scoped = scoped.assign(start=start.astype(int))
    header = ("年齢階層", *IN_SCOPE_LEVELS, "計", "対象者率(%)")
    tables = []
    for code, sex_label in SEX_LABELS.items():
        of_sex = scoped[_equals(scoped["sex"], code)]
        table = pd.crosstab(of_sex["start"], of_sex["level"]).reindex(columns=list(IN_SCOPE_LEVELS), fill_value=0)
        starts = sorted(table.index, key=lambda s: (s == UNKNOWN_AGE, s))
        rows = [_band_row(_band_label(s), table.loc[s]) for s in starts]
        rows.append(_band_row("計", table.sum()))
        tables.append(SummaryTable(f"{sex_label}（年度末年齢）", header, tuple(rows)))
    return tuple(tables)


def _band_row(label: str, counts: pd.Series) -> tuple[str, ...]:
    values = [int(counts.get(level, 0)) for level in IN_SCOPE_LEVELS]
    total = sum(values)
    return (label, *map(count_text, values), count_text(total), percent_text(values[0] + values[1], total))


def undetermined_cause(reasons: pd.Series) -> pd.Series:
    """The short cause inside each 判定不能 理由, so equal causes can be counted together.

    理由 reads 「保健指導: … → 判定不能(未測定のため判定不能: 腹囲, HbA1c) [出典] ／ メタボ: …」
    (see core.rules.explain): the decisive items become 「未測定・未回答: 腹囲, HbA1c」; a 理由 such as
    「生年月日なし → 判定不能」 becomes 「生年月日なし」; anything else is kept whole.
    """
    guidance = reasons.astype("string").str.split(" ／ ", n=1).str[0].str.removeprefix("保健指導: ").str.strip()
    items = guidance.str.extract(r"未測定のため判定不能: (.*?)\)(?: \[|$)", expand=False)
    cause = guidance.str.extract(r"([^;→]+?) → 判定不能", expand=False).str.strip()
    labelled = (MISSING_PREFIX + items).fillna(cause).fillna(guidance)
    return labelled.replace("", pd.NA).fillna("理由の記載なし")


def _undetermined_section(frame: pd.DataFrame) -> SummarySection:
    """The most frequent causes of 判定不能, so the clerk knows which items the clinics left blank."""
    heading = "4. 判定不能の理由（上位）"
    reasons = frame.loc[_equals(frame["level"], UNDETERMINED), "reason"]
    if reasons.empty:
        return SummarySection(heading, paragraphs=("判定不能の人はいません。",))
    causes = undetermined_cause(reasons)
    ranked = causes.value_counts()
    total = int(ranked.sum())
    rows = [(str(cause), count_text(int(n)), percent_text(int(n), total))
            for cause, n in ranked.head(TOP_REASONS).items()]
    rest = ranked.iloc[TOP_REASONS:]
    if not rest.empty:
        rows.append((f"その他（{len(rest)}種類）", count_text(int(rest.sum())), percent_text(int(rest.sum()), total)))
    rows.append(("計", count_text(total), percent_text(total, total)))
    tables = [SummaryTable("判定不能となった理由", ("理由", "人数", "割合(%)"), tuple(rows))]
    items = causes[causes.str.startswith(MISSING_PREFIX)].str.removeprefix(MISSING_PREFIX).str.split(", ").explode()
    if not items.empty:
        tables.append(SummaryTable(
            "判定に必要だった項目（項目ごとの人数・重複あり）", ("項目", "人数", "判定不能に占める割合(%)"),
            tuple((str(item), count_text(int(n)), percent_text(int(n), total)) for item, n in items.value_counts().items()),
        ))
    lead = "健診項目や質問票の回答が欠けていて、レベルが決まらなかった人の理由です。健診機関への確認にお使いください。"
    return SummarySection(heading, paragraphs=(lead,), tables=tuple(tables))


def _notes(fiscal_year: int, rule_label: str, sources: Sequence[str], insured_label: str,
           frame: pd.DataFrame, in_scope: np.ndarray) -> tuple[str, ...]:
    notes = [
        f"判定基準: {rule_label}",
        *(f"出典: {source}" for source in sources),
        f"年齢は年度末年齢（{format_wareki(date(fiscal_year + 1, 3, 31))}時点の年齢）です。",
        "割合(%)は階層化の対象（対象外を除く健診受診者）に占める割合で、小数第2位を四捨五入しています。",
        "特定保健指導対象者は積極的支援と動機付け支援の合計です。メタボリックシンドローム判定は階層化の対象者について集計しています。",
        f"{insured_label}は本人、{DEPENDANT_LABEL}は家族の健診結果です。",
    ]
    unknown_relation = int((in_scope & ~_equals(frame["relation"], 1) & ~_equals(frame["relation"], 2)).sum())
    if unknown_relation:
        notes.append(f"本人・家族の区分が不明な{count_text(unknown_relation)}人は{TOTAL_LABEL}にのみ含めています。")
    unknown_sex = int((in_scope & ~_equals(frame["sex"], 1) & ~_equals(frame["sex"], 2)).sum())
    if unknown_sex:
        notes.append(f"性別が不明な{count_text(unknown_sex)}人は年齢階層・性別の表に含めていません。")
    return tuple(notes)
