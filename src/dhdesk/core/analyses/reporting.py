"""Statutory reporting (法定報告): 実施率, 後期高齢者支援金 加算 self-check, 被扶養者の3か年受診, 保健指導対象者の流入出.

Every figure starts from the official 実施率 denominator (実施上の対象者: 年度末40〜74歳, 4月1日から
年度末まで異動なく加入), so the four analyses count the same people a union reports to the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses import definitions as analysis_definitions
from dhdesk.core.rules import measures
from dhdesk.core.rules.ruleset import RuleSet, Source, load_ruleset
from dhdesk.core.rules.stratify import LEVELS, stratify
from dhdesk.core.union import DEPENDANT_LABEL, UnionType
from dhdesk.core.wareki import format_fiscal_year

RULE_FILE = "houtei_houkoku.toml"
TOTAL = "全体"
ACTIVE, MOTIVATIONAL, INFORMATION, UNDETERMINED = LEVELS[:4]
GUIDANCE_LEVELS = (ACTIVE, MOTIVATIONAL)
NO_GUIDANCE_RESULTS = "判定不可（保健指導の実績なし）"


@dataclass(frozen=True)
class Target:
    """実施率の目標値 of one 保険者種別 (percent)."""

    union_type: str
    kenshin: float
    shido: float
    confidence: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class FundBounds:
    """後期高齢者支援金 加算の基準 of one 保険者種別: 加算 when a rate is below the bound (未満).

    Tiers are (upper bound 未満, 加算率) from the lowest band up; the last upper bound is the bound.
    """

    union_type: str
    kenshin_bound: float
    shido_bound: float
    confidence: str
    source: str
    kenshin_tiers: tuple[tuple[float, float], ...]
    shido_tiers: tuple[tuple[float, float], ...]
    tiers_source: str
    note: str = ""


@dataclass(frozen=True)
class ReportingRules:
    """The contents of houtei_houkoku.toml."""

    title: str
    sources: dict[str, Source]
    targets: tuple[Target, ...]
    support_fund: dict[str, FundBounds]

    def cite(self, key: str) -> str:
        source = self.sources[key]
        return f"{source.short} {source.url}".rstrip()


@lru_cache(maxsize=1)
def load_reporting_rules() -> ReportingRules:
    """The shipped targets and 加算 bounds (resources/rules/analyses/houtei_houkoku.toml)."""
    data = analysis_definitions("houtei_houkoku")
    sources = {key: Source(key, **entry) for key, entry in data["sources"].items()}
    targets = tuple(Target(**entry) for entry in data["targets"])
    bounds = {}
    for entry in data["support_fund"]:
        entry = dict(entry)
        for name in ("kenshin_tiers", "shido_tiers"):
            entry[name] = tuple((float(upper), float(rate)) for upper, rate in entry[name])
        bounds[entry["union_type"]] = FundBounds(**entry)
    cited = [t.source for t in targets] + [key for b in bounds.values() for key in (b.source, b.tiers_source)]
    for key in cited:
        if key not in sources:
            raise ValueError(f"{RULE_FILE}: 出典 '{key}' が定義されていません。")
    return ReportingRules(data["title"], sources, targets, bounds)


def _rate(numerator: int | np.ndarray, denominator: int | np.ndarray) -> float | np.ndarray:
    """Percent, NaN when there is nobody to count."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(denominator) > 0, 100.0 * np.asarray(numerator) / np.asarray(denominator), np.nan)


def _year_bounds(fiscal_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(fiscal_year, 4, 1), pd.Timestamp(fiscal_year + 1, 3, 31)


def _population(inputs: AnalysisInputs, fiscal_year: int, rules: RuleSet) -> pd.DataFrame:
    """実施上の対象者 (実施率の分母): one row per member_id, with `group` (組合員/被扶養者) and `fy_end_age`.

    A person counts when one 資格期間 covers 4月1日 to 3月31日 (取得日 ≤ 4/1, 喪失日 and 死亡日 after
    3/31) and the age on 3月31日 is within the 特定健診 ages of tokutei_4ki (40以上75未満).
    """
    start, end = _year_bounds(fiscal_year)
    members = inputs.members
    covering = (
        (members["acquired_date"] <= start)
        & ~(members["lost_date"] <= end)
        & ~(members["deceased_date"] <= end)
    ).to_numpy(dtype=bool, na_value=False)
    rows = members.loc[covering, ["member_id", "relation", "birth_date"]].drop_duplicates("member_id")
    age = np.floor(((fiscal_year + 1) * 10000 + 331 - measures.ymd(rows, "birth_date")) / 10000)
    with np.errstate(invalid="ignore"):
        in_age = rules.threshold("hokenshido.age.lower").holds(age) & rules.threshold("hokenshido.age.upper").holds(age)
    rows = rows.loc[in_age]
    group = np.where(rows["relation"].to_numpy(dtype="float64", na_value=np.nan) == 2, DEPENDANT_LABEL,
                     inputs.insured_label)
    ids = pd.Index(rows["member_id"].to_numpy(dtype=object), dtype=object, name="member_id")
    return pd.DataFrame({"group": group, "fy_end_age": age[in_age]}, index=ids)


def _first_checkups(checkups: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Each member's first checkup dated within the 年度 (one checkup per person, as reported)."""
    start, end = _year_bounds(fiscal_year)
    in_year = ((checkups["exam_date"] >= start) & (checkups["exam_date"] <= end)).to_numpy(dtype=bool, na_value=False)
    rows = checkups.loc[in_year].sort_values("exam_date", kind="stable")
    return rows.drop_duplicates("member_id")


def _year_status(inputs: AnalysisInputs, fiscal_year: int, with_levels: bool) -> pd.DataFrame:
    """The denominator of one 年度 with `attended` and, when asked, the 保健指導レベル and 服薬 of the checkup;
    computed once per run (read-only): 実施率, 支援金, 3か年 and 流入・流出 read the same years.

    The level comes from stratify(), the 階層化 inside judge(): judge() also words a 理由 per row,
    which the counts never show and which costs most of judge()'s time.
    """
    return inputs.shared(("year_status", fiscal_year, with_levels),
                         lambda: _compute_year_status(inputs, fiscal_year, with_levels))


def _compute_year_status(inputs: AnalysisInputs, fiscal_year: int, with_levels: bool) -> pd.DataFrame:
    rules = load_ruleset("tokutei_4ki")
    people = _population(inputs, fiscal_year, rules)
    first = _first_checkups(inputs.checkups, fiscal_year)
    # Object-dtype ids: isin on them is a hash lookup; on Arrow strings it is a Python scan (10× slower).
    ids = pd.Index(first["member_id"].to_numpy(dtype=object), dtype=object)
    known = ids.isin(people.index)
    first, ids = first.loc[known], ids[known]
    people["attended"] = people.index.isin(ids)
    if with_levels:
        judged = stratify(first, fiscal_year, rules)
        people["level"] = pd.Series(judged["level"].astype("string").to_numpy(), index=ids).reindex(people.index)
        medication = judged["on_medication"].astype("boolean").to_numpy()
        people["on_medication"] = pd.Series(medication, index=ids, dtype="boolean").reindex(people.index)
    return people


def _ids(people: pd.DataFrame, mask: pd.Series | np.ndarray) -> tuple[str, ...]:
    return tuple(sorted(people.index[np.asarray(mask, dtype=bool)]))


def _groups(inputs: AnalysisInputs) -> tuple[str, str, str]:
    return (TOTAL, inputs.insured_label, DEPENDANT_LABEL)


def implementation_rates(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """特定健診 実施率 and 特定保健指導 対象者 by 組合員/被扶養者, against the 第4期 targets (法定報告の定義)."""
    rules = load_reporting_rules()
    people = _year_status(inputs, fiscal_year, with_levels=True)
    national = next(t for t in rules.targets if t.union_type == "全保険者")
    label = format_fiscal_year(fiscal_year)

    checkup_rows, guidance_rows = [], []
    checkup_ids: dict[str, tuple[str, ...]] = {}
    guidance_ids: dict[str, tuple[str, ...]] = {}
    for group in _groups(inputs):
        scope = people if group == TOTAL else people.loc[people["group"] == group]
        attended = scope["attended"].to_numpy(dtype=bool)
        rate = float(_rate(attended.sum(), len(scope)))
        checkup_rows.append({
            "区分": group, "対象者数": len(scope), "受診者数": int(attended.sum()),
            "未受診者数": int((~attended).sum()), "実施率(%)": round(rate, 1),
            "全国目標(%)": national.kenshin, "目標との差(ポイント)": round(rate - national.kenshin, 1),
        })
        checkup_ids[f"{group}・受診"] = _ids(scope, attended)
        checkup_ids[f"{group}・未受診"] = _ids(scope, ~attended)

        level = scope["level"].fillna("")
        counts = {name: int((level == name).sum()) for name in (ACTIVE, MOTIVATIONAL, UNDETERMINED)}
        targets = counts[ACTIVE] + counts[MOTIVATIONAL]
        guidance_rows.append({
            "区分": group, "健診受診者数": int(attended.sum()), ACTIVE: counts[ACTIVE],
            MOTIVATIONAL: counts[MOTIVATIONAL], "対象者数": targets,
            "対象者率(%)": round(float(_rate(targets, attended.sum())), 1), UNDETERMINED: counts[UNDETERMINED],
        })
        for name in (ACTIVE, MOTIVATIONAL, UNDETERMINED):
            guidance_ids[f"{group}・{name}"] = _ids(scope, level == name)

    denominator_note = (
        "対象者(分母) = 年度末(3月31日)に40〜74歳で、4月1日から3月31日まで異動なく加入している者"
        f"（{rules.cite('denominator')}; 年齢は{rules.cite('kijun_1')}）。"
    )
    checkups = AnalysisTable(
        key="jisshiritsu_kenshin",
        title=f"特定健診 実施率（{label}・法定報告の定義）",
        table=pd.DataFrame(checkup_rows),
        notes=(
            denominator_note,
            "受診者(分子) = 対象者のうち年度内に健診を受けた者（1人1回）。必須項目の欠けは判定していない。",
            "除外者告示（妊産婦・長期入院・施設入所等）は台帳に項目がないため除いていない。",
            f"全国目標は第4期 特定健診{national.kenshin:g}%（{rules.cite(national.source)}）。",
        ),
        seed_section="3.1.2",
        member_ids=checkup_ids,
    )
    guidance = AnalysisTable(
        key="jisshiritsu_shido",
        title=f"特定保健指導 対象者数・対象者率（{label}）",
        table=pd.DataFrame(guidance_rows),
        notes=(
            "特定保健指導の実施率（終了者÷対象者）は保健指導の実施結果が必要です。"
            "ワークスペースに保健指導の記録がないため、対象者数と対象者率のみを示します。",
            "対象者 = 実施率の対象者のうち健診受診者で、階層化（第4期）が積極的支援または動機付け支援の者。"
            "対象者率 = 対象者数 ÷ 健診受診者数。",
            "判定不能（検査項目の欠け）は対象者に含めていない。",
            f"全国目標は第4期 特定保健指導{national.shido:g}%（{rules.cite(national.source)}）。",
        ),
        seed_section="3.1.3",
        member_ids=guidance_ids,
    )
    return [checkups, guidance, _targets_table(rules)]


def _targets_table(rules: ReportingRules) -> AnalysisTable:
    rows = [
        {"保険者種別": t.union_type, "特定健診(%)": t.kenshin, "特定保健指導(%)": t.shido,
         "確度": t.confidence, "出典": rules.cite(t.source), "備考": t.note}
        for t in rules.targets
    ]
    return AnalysisTable(
        key="jisshiritsu_mokuhyo",
        title="特定健診・特定保健指導 実施率の目標値（第4期）",
        table=pd.DataFrame(rows),
        notes=("確度: OK = 公的文書で確認、2nd = 二次資料のみ、NC = 未確認（既定値）。",),
        seed_section="3.1.2",
    )


def _tier_rate(tiers: tuple[tuple[float, float], ...], rate: float) -> float:
    """The 加算率 of the band a rate falls in (bands are 以上〜未満); NaN when no band applies."""
    uppers = np.array([upper for upper, _ in tiers])
    band = int(np.searchsorted(uppers, rate, side="right"))
    return tiers[band][1] if band < len(tiers) else np.nan


def support_fund_check(inputs: AnalysisInputs, fiscal_year: int, union_type: UnionType) -> list[AnalysisTable]:
    """後期高齢者支援金 加算 self-check: each bound of the union's 保険者種別, its figure and the verdict."""
    rules = load_reporting_rules()
    bounds = rules.support_fund[union_type.value]
    people = _year_status(inputs, fiscal_year, with_levels=False)
    rate = float(_rate(people["attended"].sum(), len(people)))

    if np.isnan(rate):
        verdict, tier = "判定不可（対象者なし）", np.nan
    elif rate < bounds.kenshin_bound:
        verdict, tier = "加算対象（基準未満）", _tier_rate(bounds.kenshin_tiers, rate)
    else:
        verdict, tier = "基準以上（加算なし）", np.nan
    table = pd.DataFrame([
        {"項目": "特定健診 実施率", "加算の基準": f"{bounds.kenshin_bound:g}%未満", "当組合の実績(%)": round(rate, 1),
         "判定": verdict, "想定加算率(%)": tier, "確度": bounds.confidence, "出典": rules.cite(bounds.source)},
        {"項目": "特定保健指導 実施率", "加算の基準": f"{bounds.shido_bound:g}%未満", "当組合の実績(%)": np.nan,
         "判定": NO_GUIDANCE_RESULTS, "想定加算率(%)": np.nan, "確度": bounds.confidence,
         "出典": rules.cite(bounds.source)},
    ])
    return [AnalysisTable(
        key="shienkin_kasan",
        title=f"後期高齢者支援金 加算の自己点検（{union_type.value}・{format_fiscal_year(fiscal_year)}実績）",
        table=table,
        notes=(
            "加算 = 実施率が保険者種別の基準未満。判定は端数処理前の実施率で行う。",
            "特定健診 実施率は法定報告の定義（表「特定健診 実施率」と同じ分母・分子）。",
            "特定保健指導は実施結果（終了者）の記録がないため判定できません。",
            f"想定加算率は{rules.cite(bounds.tiers_source)}の段階（2024〜2026年度支援金）。{bounds.note}",
            "正式な加算・減算は国がNDBで集計した実績で決まります。この表は自己点検用です。",
        ),
        seed_section="5.3.3",
    )]


ATTENDANCE_PATTERNS = (
    (True, True, True), (True, True, False), (False, True, True), (True, False, True),
    (True, False, False), (False, True, False), (False, False, True), (False, False, False),
)
"""The 8 patterns of seed §3.1.5, in its order (○ = 受診)."""


def dependant_attendance_patterns(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """被扶養者の3か年受診状況 (seed §3.1.5): 被扶養者 counted in the 実施率 denominator of all three 年度."""
    years = (fiscal_year - 2, fiscal_year - 1, fiscal_year)
    statuses = []
    for year in years:
        people = _year_status(inputs, year, with_levels=False)
        statuses.append(people.loc[people["group"] == DEPENDANT_LABEL, "attended"])
    attended = pd.concat(statuses, axis=1, join="inner", keys=years)
    code = (attended.to_numpy(dtype=np.int64) * np.array([4, 2, 1])).sum(axis=1)
    total = len(attended)

    rows, ids = [], {}
    headers = [f"{format_fiscal_year(y)}({y})" for y in years]
    for number, pattern in enumerate(ATTENDANCE_PATTERNS, start=1):
        mask = code == int(np.dot(pattern, [4, 2, 1]))
        kind = "3年連続受診" if all(pattern) else "3年連続未受診" if not any(pattern) else "一部受診"
        row = {"パターン": number, "区分": kind}
        row.update({h: "○" if p else "×" for h, p in zip(headers, pattern)})
        row.update({"人数": int(mask.sum()), "割合(%)": round(float(_rate(mask.sum(), total)), 1)})
        rows.append(row)
        ids[f"パターン{number}"] = _ids(attended, mask)
    ids["3年連続未受診"] = ids[f"パターン{len(ATTENDANCE_PATTERNS)}"]
    never = rows[-1]
    headline = (f"被扶養者の特定健診対象者の{never['割合(%)']:g}%（{never['人数']}人）が3年連続で未受診です。"
                if total else "3年間続けて対象となった被扶養者はいません。")
    return [AnalysisTable(
        key="hifuyosha_3kanen",
        title=f"被扶養者の特定健康診査の3か年健診受診状況（{format_fiscal_year(years[0])}〜{format_fiscal_year(years[-1])}）",
        table=pd.DataFrame(rows),
        notes=(
            headline,
            f"対象 = 3年度とも特定健診 実施率の対象者（年度末40〜74歳・年度を通じて加入）だった被扶養者 {total}人。",
            "○ = その年度内に健診を受けた、× = 受けていない（seed §3.1.5 の様式）。",
        ),
        seed_section="3.1.5",
        member_ids=ids,
    )]


FLOW_ROWS = (
    ("継続", "前年度も対象者"),
    ("新規", "新40歳"),
    ("新規", "新加入・異動"),
    ("新規", "前年度未受診"),
    ("新規", "前年度は非該当（悪化）"),
    ("新規", "前年度は判定不能"),
    ("脱出", "改善"),
    ("脱出", "服薬開始"),
    ("脱出", "未受診"),
    ("脱出", "資格喪失・年齢"),
    ("脱出", "今年度は判定不能"),
)
"""Rows of the 流入出 table (seed §3.1.7: リピーター, 改善, 新40歳, 新加入, 悪化)."""


def guidance_flow(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """特定保健指導対象者の流入出 (seed §3.1.7) between the previous 年度 and `fiscal_year`.

    対象者 of a 年度 = 実施率の対象者 whose checkup of that year is 積極的支援 or 動機付け支援.
    Both years are stratified with the 第4期 rules, so RuleSetError names the year they do not cover.
    """
    before = _year_status(inputs, fiscal_year - 1, with_levels=True)
    now = _year_status(inputs, fiscal_year, with_levels=True)
    targets_before = before.index[before["level"].isin(GUIDANCE_LEVELS).to_numpy(dtype=bool)]
    targets_now = now.index[now["level"].isin(GUIDANCE_LEVELS).to_numpy(dtype=bool)]

    inflow = now.loc[targets_now.difference(targets_before)]
    prior = before.reindex(inflow.index)
    in_prior = inflow.index.isin(before.index)
    lower_age = load_ruleset("tokutei_4ki").threshold("hokenshido.age.lower")
    young = ~in_prior & ~lower_age.holds(inflow["fy_end_age"].to_numpy() - 1)
    outflow = before.loc[targets_before.difference(targets_now)]
    current = now.reindex(outflow.index)
    in_now = outflow.index.isin(now.index)
    current_level = current["level"].fillna("").to_numpy()
    on_medication = current["on_medication"].fillna(False).to_numpy(dtype=bool)

    kept = now.loc[targets_now.intersection(targets_before)]
    cells: dict[tuple[str, str], tuple[pd.DataFrame, np.ndarray]] = {
        FLOW_ROWS[0]: (kept, np.ones(len(kept), dtype=bool)),
        FLOW_ROWS[1]: (inflow, young),
        FLOW_ROWS[2]: (inflow, ~in_prior & ~young),
        FLOW_ROWS[3]: (inflow, in_prior & ~prior["attended"].fillna(False).to_numpy(dtype=bool)),
        FLOW_ROWS[4]: (inflow, in_prior & (prior["level"].fillna("") == INFORMATION).to_numpy()),
        FLOW_ROWS[5]: (inflow, in_prior & (prior["level"].fillna("") == UNDETERMINED).to_numpy()),
        FLOW_ROWS[6]: (outflow, (current_level == INFORMATION) & ~on_medication),
        FLOW_ROWS[7]: (outflow, (current_level == INFORMATION) & on_medication),
        FLOW_ROWS[8]: (outflow, in_now & ~current["attended"].fillna(False).to_numpy(dtype=bool)),
        FLOW_ROWS[9]: (outflow, ~in_now),
        FLOW_ROWS[10]: (outflow, current_level == UNDETERMINED),
    }
    groups = _groups(inputs)[1:]
    rows, ids = [], {}
    for (kind, detail), (frame, mask) in cells.items():
        base = len(targets_before) if kind == "脱出" else len(targets_now)
        rows.append(_flow_row(kind, detail, frame.loc[mask], base, groups))
        ids[f"{kind}・{detail}"] = _ids(frame, mask)
    rows.append(_flow_row("前年度対象者", "計", before.loc[targets_before], len(targets_before), groups))
    rows.append(_flow_row("今年度対象者", "計", now.loc[targets_now], len(targets_now), groups))
    return [AnalysisTable(
        key="shido_ryunyushutsu",
        title=f"特定保健指導対象者の流入出状況（{format_fiscal_year(fiscal_year - 1)}→{format_fiscal_year(fiscal_year)}）",
        table=pd.DataFrame(rows),
        notes=(
            "対象者 = 実施率の対象者（年度末40〜74歳・年度を通じて加入）のうち、その年度の最初の健診の階層化"
            "（第4期）が積極的支援または動機付け支援の者。",
            "割合: 継続・新規は今年度対象者に対する割合、脱出は前年度対象者に対する割合。",
            "新40歳 = 前年度は年齢で対象外だった者。新加入・異動 = 前年度は年度を通じた加入でなかった者。",
            "改善 = 今年度の判定が情報提供（服薬なし）。服薬開始 = 質問票で服薬ありとなり情報提供。"
            "資格喪失・年齢 = 今年度は年度を通じた加入でない、または年齢で対象外。",
            "区分別の人数（組合員・被扶養者）は、継続・新規は今年度、脱出は前年度の区分。",
        ),
        seed_section="3.1.7",
        member_ids=ids,
    )]


def _flow_row(kind: str, detail: str, chosen: pd.DataFrame, base: int, groups: tuple[str, ...]) -> dict:
    """One 流入出 row: 人数, 割合 of `base`, and 人数 by 組合員/被扶養者."""
    row = {"区分": kind, "内訳": detail, "人数": len(chosen), "割合(%)": round(float(_rate(len(chosen), base)), 1)}
    row.update({group: int((chosen["group"] == group).sum()) for group in groups})
    return row
