"""Checkup analyses (健診分析) of seed 004: 生活習慣病リスク分布 (§3.2.3), 有所見×未受診 (§3.2.4),
予備群の状態コントロール (§3.2.7–3.2.9) and 健診・問診スコアリング (§3.6.3–3.6.6).

Official cut-offs come from the shipped rule sets (stratify()/referral(), the parts of judge()); what
the seed itself defines (its risk bands, which items make a domain, the lifestyle criteria, the comparison
group's published rates) and the claim code lists live in resources/rules/analyses/health.toml and are
cited in the notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses import definitions as analysis_definitions
from dhdesk.core.analyses.claims_base import of_year
from dhdesk.core.rules import measures
from dhdesk.core.rules.referral import criteria, referral
from dhdesk.core.rules.ruleset import RuleSet, load_ruleset
from dhdesk.core.rules.stratify import stratify
from dhdesk.core.rules.tristate import YES

SEED = "seeds/004"
YES_CODE, NO_CODE = 1, 2


def definitions() -> dict[str, Any]:
    """The analysis definitions file (傷病・薬効, 飲酒の読替え, 他組合の比較値) with its sources."""
    return analysis_definitions("health")


@cache
def _rules() -> tuple[RuleSet, RuleSet]:
    return load_ruleset("tokutei_4ki"), load_ruleset("jushin_kankoku")


# ── population ────────────────────────────────────────────────────────────────────────────────


def _year_start(fiscal_year: int) -> pd.Timestamp:
    return pd.Timestamp(fiscal_year, 4, 1)


def _year_end(fiscal_year: int) -> pd.Timestamp:
    return pd.Timestamp(fiscal_year + 1, 3, 31)


def continuously_enrolled(members: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """継続在籍者: one 資格期間 covering 1 April of `first_year` to 31 March after `last_year`
    (資格喪失日 is the day after the last insured day). One row per member_id (its last such period)."""
    start, end = _year_start(first_year), _year_end(last_year)
    lost = members["lost_date"]
    covers = (members["acquired_date"] <= start) & (lost.isna() | (lost > end))
    return members[covers].drop_duplicates("member_id", keep="last").set_index("member_id")


def enrolled_at_year_end(members: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Members insured on 31 March ending `fiscal_year` (the population of §3.6's 年度末 summaries)."""
    end = _year_end(fiscal_year)
    lost = members["lost_date"]
    covers = (members["acquired_date"] <= end) & (lost.isna() | (lost > end))
    return members[covers].drop_duplicates("member_id", keep="last").set_index("member_id")


def year_checkups(checkups: pd.DataFrame, fiscal_year: int, member_ids: pd.Index) -> pd.DataFrame:
    """Each listed member's last checkup examined within `fiscal_year`, aged 40+ at the year end."""
    dates = checkups["exam_date"]
    rows = checkups[(dates >= _year_start(fiscal_year)) & (dates <= _year_end(fiscal_year))]
    rows = rows[is_member(rows["member_id"], member_ids)].sort_values("exam_date", kind="stable")
    rows = rows.drop_duplicates("member_id", keep="last").reset_index(drop=True)
    return rows[fy_end_age(rows, fiscal_year) >= definitions()["population"]["min_fy_end_age"]].reset_index(drop=True)


def is_member(ids: pd.Series, members: pd.Index) -> np.ndarray:
    """`ids.isin(members)` as a bool array, compared as objects: Arrow-backed string `isin` loops in
    Python and costs seconds at 300k members."""
    return ids.astype(object).isin(pd.Index(members, dtype=object)).to_numpy(dtype=bool)


def fy_end_age(checkups: pd.DataFrame, fiscal_year: int) -> np.ndarray:
    """年度末年齢: completed years on 31 March ending `fiscal_year` (NaN when 生年月日 is blank)."""
    birth = measures.ymd(checkups, "birth_date")
    return np.floor(((fiscal_year + 1) * 10000 + 331 - birth) / 10000)


@dataclass(frozen=True)
class ClaimGroups:
    """Members by their 生活習慣病 claims in one year (health.toml [lifestyle_claims], [complications], [severe])."""

    lifestyle: pd.Index
    complicated: pd.Index
    severe: pd.Index

    @property
    def treated(self) -> pd.Index:
        """生活習慣病（重症化含む）で通院・入院した者 (§3.2.3 通院歴あり, §3.2.4 の除外)."""
        return self.lifestyle.union(self.complicated).union(self.severe)


def _prefix_matcher(codes: pd.Series) -> Callable[[list[str]], np.ndarray]:
    """A test `prefixes → bool per row`, run on the distinct codes only (a year of claims has millions of
    rows but a few thousand distinct ICD-10 or 薬価基準 codes)."""
    positions, distinct = pd.factorize(codes, use_na_sentinel=True)
    distinct = pd.Series(distinct, dtype="string")

    def matches(prefixes: list[str]) -> np.ndarray:
        pattern = "^(?:" + "|".join(re.escape(p) for p in prefixes) + ")"
        hit = np.append(distinct.str.match(pattern).to_numpy(dtype=bool), False)
        return hit[positions]

    return matches


def _year_rows(frame: pd.DataFrame, fiscal_year: int, columns: list[str]) -> pd.DataFrame:
    """The year's rows of a claims frame, only the columns needed (copying every column is the slow part)."""
    kept = [c for c in columns if c in frame.columns]
    return of_year(frame, fiscal_year, kept).reindex(columns=columns)


def _among(frame: pd.DataFrame, column: str, codes: list[int]) -> np.ndarray:
    return frame[column].isin(codes).fillna(False).to_numpy(dtype=bool)


def claim_groups(inputs: AnalysisInputs, fiscal_year: int) -> ClaimGroups:
    """Who had a lifestyle-disease claim (diagnosis on a 医科 receipt, 疑い含む, or a lifestyle drug on any
    receipt), a complication (確定傷病) or a severe state (acute inpatient event or dialysis) in the year;
    computed once per run (リスク分布 and 未受診 read the same year)."""
    return inputs.shared(("claim_groups", fiscal_year), lambda: _claim_groups(inputs, fiscal_year))


def _claim_groups(inputs: AnalysisInputs, fiscal_year: int) -> ClaimGroups:
    spec = definitions()
    diagnoses = _year_rows(inputs.diagnoses, fiscal_year, ["member_id", "claim_type", "icd10", "is_suspected"])
    medical = _among(diagnoses, "claim_type", spec["lifestyle_claims"]["diagnosis_claim_types"])
    confirmed = ~(diagnoses["is_suspected"] == YES_CODE).fillna(False).to_numpy(dtype=bool)
    icd10 = _prefix_matcher(diagnoses["icd10"])

    drugs = _year_rows(inputs.drug_lines, fiscal_year, ["member_id", "yj_code", "drug_code"])
    yj = drugs["yj_code"]
    blank = yj.isna().to_numpy()
    if blank.any() and len(inputs.drug_master):
        by_receipt_code = inputs.drug_master.drop_duplicates("receipt_code").set_index("receipt_code")["yj_code"]
        yj = yj.copy()
        yj[blank] = drugs.loc[blank, "drug_code"].map(by_receipt_code).astype("string")
    by_drug = drugs.loc[_prefix_matcher(yj)(spec["lifestyle_claims"]["drug_yj_prefixes"]), "member_id"]
    by_disease = diagnoses.loc[medical & icd10(spec["lifestyle_claims"]["icd10_prefixes"]), "member_id"]

    severe = spec["severe"]
    acute = _among(diagnoses, "claim_type", severe["inpatient_claim_types"]) & icd10(severe["inpatient_icd10_prefixes"])
    dialysis = icd10(severe["dialysis_icd10_prefixes"])
    complicated = medical & confirmed & icd10(spec["complications"]["icd10_prefixes"])

    def members(ids: pd.Series) -> pd.Index:
        return pd.Index(ids.dropna().unique())

    return ClaimGroups(
        lifestyle=members(pd.concat([by_disease, by_drug])),
        complicated=members(diagnoses.loc[complicated, "member_id"]),
        severe=members(diagnoses.loc[confirmed & (acute | dialysis), "member_id"]),
    )


def _ids(rows: pd.DataFrame, mask: np.ndarray) -> tuple[str, ...]:
    return tuple(rows["member_id"].to_numpy(dtype=object)[mask])


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A nullable boolean column as True/False (NA = not measured = not exceeded); all False when absent."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).to_numpy(dtype=bool)


def _measured_any(rows: pd.DataFrame, items: tuple[str, ...]) -> np.ndarray:
    measured = np.zeros(len(rows), dtype=bool)
    for item in items:
        measured |= ~np.isnan(measures.numbers(rows, item))
    return measured


# ── §3.2.3 生活習慣病リスク分布 ─────────────────────────────────────────────────────────────────

RISK_GROUPS = (
    "未把握（健診未受診）",
    "正常群",
    "不健康群",
    "患者予備群",
    "治療放置群",
    "生活習慣病群",
    "重症化群",
    "生活機能低下群",
)
UNKNOWN_GROUP, NORMAL_GROUP, TREATED_GROUP, COMPLICATED_GROUP, SEVERE_GROUP = 0, 1, 5, 6, 7
RISK_YEARS = 3
"""§3.2.3 shows the counts and shares of three fiscal years (the cost of the latest only)."""


def risk_band(rows: pd.DataFrame) -> np.ndarray:
    """0 正常 / 1 保健指導域 / 2 受診勧奨域 / 3 治療域: the worst band of any measured item (health.toml
    [risk_bands], values rounded half-up to the item's recorded precision)."""
    band = np.zeros(len(rows), dtype=np.int8)
    for spec in definitions()["risk_bands"]["bands"]:
        values = measures.measured(rows, spec["item"])
        reached = np.zeros(len(rows), dtype=np.int8)
        with np.errstate(invalid="ignore"):
            for level in spec["levels"]:
                reached += values >= level if spec["comparison"] == "ge" else values < level
        band = np.maximum(band, reached)
    return band


def risk_groups(inputs: AnalysisInputs, fiscal_year: int) -> pd.Series:
    """The §3.2.3 group code (index into RISK_GROUPS) of every 継続在籍・年度末40歳以上 member, by member_id.

    Claims decide first (生活機能低下 > 重症化 > 生活習慣病); the untreated are placed by their checkup
    band, and those with neither a checkup nor a lifestyle claim are 未把握."""
    enrolled = continuously_enrolled(inputs.members, fiscal_year, fiscal_year)
    minimum = definitions()["population"]["min_fy_end_age"]
    population = enrolled[fy_end_age(enrolled, fiscal_year) >= minimum].index
    rows = year_checkups(inputs.checkups, fiscal_year, population)
    codes = pd.Series(UNKNOWN_GROUP, index=population, dtype="int8")
    codes.loc[rows["member_id"].to_numpy()] = NORMAL_GROUP + risk_band(rows)
    claims = claim_groups(inputs, fiscal_year)
    for ids, code in ((claims.lifestyle, TREATED_GROUP), (claims.complicated, COMPLICATED_GROUP),
                      (claims.severe, SEVERE_GROUP)):
        codes.loc[population.intersection(ids)] = code
    return codes


def member_costs(inputs: AnalysisInputs, fiscal_year: int) -> pd.Series:
    """医療費 (円) of each member in the year: 合計点数 × 10, 歯科を除く (health.toml [cost])."""
    spec = definitions()["cost"]
    receipts = _year_rows(inputs.receipts, fiscal_year, ["member_id", "claim_type", "points"])
    kept = receipts[~_among(receipts, "claim_type", spec["excluded_claim_types"])]
    points = kept["points"].astype("float64").groupby(kept["member_id"]).sum()
    return points * spec["yen_per_point"]


def risk_distribution(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """§3.2.3 生活習慣病リスク分布（全体）: members per group for the last three years with checkups,
    the share of each group (未把握を除く) and the 医療費 per member of the latest year."""
    dates = inputs.checkups["exam_date"]
    years = [y for y in range(fiscal_year, fiscal_year - RISK_YEARS, -1)
             if y == fiscal_year or ((dates >= _year_start(y)) & (dates <= _year_end(y))).any()]
    by_year = {y: risk_groups(inputs, y) for y in years}
    labels: dict[str, list[str]] = {"指標": [], "年度": []}
    figures: dict[str, list[float]] = {group: [] for group in RISK_GROUPS}

    def add(indicator: str, year: int, values: list[float]) -> None:
        labels["指標"].append(indicator)
        labels["年度"].append(f"{year}年度")
        for group, value in zip(RISK_GROUPS, values, strict=True):
            figures[group].append(value)

    counts = {y: np.bincount(codes.to_numpy(), minlength=len(RISK_GROUPS)) for y, codes in by_year.items()}
    for y in years:
        add("該当者数", y, [int(n) for n in counts[y]])
    for y in years:
        known = counts[y][1:].sum()
        add("割合(%)", y, [np.nan, *(round(100 * n / known, 1) if known else np.nan for n in counts[y][1:])])
    latest = by_year[fiscal_year]
    cost = member_costs(inputs, fiscal_year).reindex(latest.index, fill_value=0.0)
    per_member = cost.groupby(latest.to_numpy()).mean().reindex(range(len(RISK_GROUPS)))
    add("医療費(円/人)", fiscal_year, [float(np.round(v)) if np.isfinite(v) else np.nan for v in per_member])

    ids = latest.index.to_numpy(dtype=object)
    member_ids = {group: tuple(ids[latest.to_numpy() == code])
                  for code, group in enumerate(RISK_GROUPS)}
    notes = (
        "対象: 各年度の継続在籍者（年度を通して資格がある者）、年度末40歳以上。割合は未把握を除いた人数に対する割合。",
        "医療費: 該当者1人あたりの年度内医療費（合計点数×10円、歯科除く）。",
        "生活習慣病通院（治療）歴あり: 年度内レセプトに糖尿病・高血圧症・脂質異常症（ICD-10 E10–E14・I10–I15・E78、"
        "医科・疑い含む）または糖尿病用剤・血圧降下剤・高脂血症用剤等がある者。重症化群 = 糖尿病性合併症・脳血管疾患・"
        "虚血性心疾患（確定傷病）、生活機能低下群 = 入院での急性心筋梗塞・脳卒中・四肢欠損、または透析。",
        "未通院者の区分（手本の定義）: 治療放置群 空腹時血糖126以上・HbA1c 6.5以上・血圧160/100以上・中性脂肪500以上・"
        "LDL180以上・HDL35未満、患者予備群 110・6.0・140/90・300・140・40未満、不健康群 100・5.6・130/85・150・120・40未満、"
        "いずれにも該当しない受診者が正常群。健診未受診かつ生活習慣病レセプトなしは未把握。",
        f"出典: {SEED} §3.2.3・§3.2.4 の区分（公的な判定値ではない）。傷病・透析は診療行為コードでなく傷病名で判定している。",
    )
    return [
        AnalysisTable(
            key="リスク分布",
            title=f"生活習慣病 リスク分布（{fiscal_year}年度）",
            table=pd.DataFrame(labels | figures),
            notes=notes,
            seed_section="3.2.3",
            member_ids=member_ids,
        )
    ]


# ── §3.2.4 有所見数 × 未受診 ─────────────────────────────────────────────────────────────────────

FINDING_DOMAINS: dict[str, tuple[str, ...]] = {
    "血糖": ("fbg", "hba1c"),
    "血圧": ("sbp", "dbp"),
    "脂質": ("tg_fasting", "tg_random", "ldl", "hdl"),
}
"""§3.2.4 (血糖・血圧・脂質): the checkup items the seed names for each domain."""

RESERVE_GROUP, NEGLECTED_GROUP = "患者予備群（受診勧奨域）", "治療放置群（治療域）"


def findings_without_treatment(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """§3.2.4 リスク別未受診者数: 継続在籍・40歳以上の健診受診者のうち生活習慣病で受診していない者を、
    治療域 (①すぐに受診) の領域数、治療域がなければ受診勧奨域の領域数で数える (1人1セル)."""
    enrolled = continuously_enrolled(inputs.members, fiscal_year, fiscal_year)
    rows = year_checkups(inputs.checkups, fiscal_year, enrolled.index)
    _, referral_rules = _rules()
    judged = referral(rows, referral_rules)
    urgent_criteria = criteria(referral_rules)["urgent"]
    sex = measures.numbers(rows, "sex")
    untreated = ~is_member(rows["member_id"], claim_groups(inputs, fiscal_year).treated)

    exceeded_domains = np.zeros(len(rows), dtype=np.int8)
    urgent_domains = np.zeros(len(rows), dtype=np.int8)
    for items in FINDING_DOMAINS.values():
        urgent = np.zeros(len(rows), dtype=bool)
        exceeded = np.zeros(len(rows), dtype=bool)
        for item in items:
            if item in urgent_criteria:
                urgent |= urgent_criteria[item].test(measures.measured(rows, item), sex) == YES
            exceeded |= _flag(judged, f"referral_{item}")
        urgent_domains += urgent
        exceeded_domains += exceeded | urgent

    counts = {"有所見数": [1, 2, 3, "計"]}
    member_ids: dict[str, tuple[str, ...]] = {}
    cells = (
        (RESERVE_GROUP, untreated & (urgent_domains == 0), exceeded_domains),
        (NEGLECTED_GROUP, untreated & (urgent_domains > 0), urgent_domains),
    )
    for label, in_group, findings in cells:
        column = []
        for n in (1, 2, 3):
            mask = in_group & (findings == n)
            member_ids[f"{label}・有所見{n}"] = _ids(rows, mask)
            column.append(int(mask.sum()))
        column.append(sum(column))
        counts[label] = column
    notes = (
        f"対象: {fiscal_year}年度継続在籍者のうち年度末40歳以上で{fiscal_year}年度に健診を受けた者"
        f"（{len(rows)}人）。同年度に生活習慣病の受診がある者（{int((~untreated).sum())}人）を除く。",
        "受診の判定: 年度内レセプトの傷病名 ICD-10 E10–E14・I10–I15・E78（医科、疑い含む）"
        "または糖尿病用剤・インスリン・血圧降下剤・Ca拮抗薬・高脂血症用剤（調剤含む）、"
        "および重症化（糖尿病性合併症・脳血管疾患・虚血性心疾患・透析）の傷病。",
        "有所見数: 血糖（空腹時血糖・HbA1c）・血圧・脂質（中性脂肪・LDL・HDL）のうち判定値以上の領域数。",
        "治療域 = 受診勧奨判定値の「①すぐに受診」以上の領域、受診勧奨域 = 受診勧奨判定値以上の領域"
        f"（{referral_rules.short_title}）。治療域が1つでもあれば治療放置群に数える。",
        "手本（§3.2.4）との違い: 手本は血糖の受診勧奨域を空腹時血糖110・HbA1c 6.0 から、HDL 35未満を治療域としているが、"
        "本表は公的な受診勧奨判定値（血糖126・6.5、HDL 35未満は受診勧奨域）による。",
    )
    return [
        AnalysisTable(
            key="未受診×有所見",
            title=f"健診結果におけるリスク別未受診者数（{fiscal_year}年度）",
            table=pd.DataFrame(counts),
            notes=notes,
            seed_section="3.2.4",
            member_ids=member_ids,
        )
    ]


# ── §3.2.7–3.2.9 予備群の状態コントロール ─────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ReserveDomain:
    """One disease's 予備群 definition (§3.2.7–3.2.9): the items judged at 受診勧奨判定値 and at
    保健指導判定値, and the 服薬 question that says the member is treated."""

    disease: str
    referral_items: tuple[str, ...]
    guidance_items: tuple[str, ...]
    medication: str
    seed_section: str


RESERVE_DOMAINS = (
    ReserveDomain("高血圧症", ("sbp", "dbp"), ("sbp", "dbp"), "med_bp", "3.2.7"),
    ReserveDomain("糖尿病", ("fbg", "hba1c"), ("fbg", "hba1c"), "med_glucose", "3.2.8"),
    ReserveDomain("脂質異常症", ("tg_fasting", "tg_random"), ("tg_fasting", "tg_random", "hdl"), "med_lipid", "3.2.9"),
)
"""§3.2.9: HDL has no 受診勧奨対象 level in the seed (「—」), so it only marks 予備群."""

NORMAL, RESERVE, REFERRAL = 0, 1, 2
OUTCOMES = (
    "受診勧奨対象群",
    "予備群（服薬あり）",
    "正常値群（服薬あり）",
    "予備群（服薬なし）",
    "正常値群（服薬なし）",
    "判定不能",
)
CONTROLLED = ("予備群（服薬なし）", "正常値群（服薬なし）")


def domain_level(flags: pd.DataFrame, rows: pd.DataFrame, domain: ReserveDomain) -> pd.Series:
    """正常値群 0 / 予備群 1 / 受診勧奨対象群 2 from referral() flags; NA when no item was measured."""
    referral_hit = np.zeros(len(rows), dtype=bool)
    for item in domain.referral_items:
        referral_hit |= _flag(flags, f"referral_{item}")
    guidance_hit = np.zeros(len(rows), dtype=bool)
    for item in domain.guidance_items:
        guidance_hit |= _flag(flags, f"guidance_{item}")
    level = np.where(referral_hit, REFERRAL, np.where(guidance_hit, RESERVE, NORMAL))
    measured = _measured_any(rows, domain.guidance_items)
    return pd.Series(pd.array(np.where(measured, level, -1), dtype="Int8"), index=rows.index).replace(-1, pd.NA)


def reserve_control(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """§3.2.7–3.2.9: the previous year's 予備群（服薬なし） per disease and their state this year;
    状態コントロール割合 = this year 予備群・正常値群 and 服薬なし among those examined in both years."""
    previous_year = fiscal_year - 1
    enrolled = continuously_enrolled(inputs.members, previous_year, fiscal_year)
    before = year_checkups(inputs.checkups, previous_year, enrolled.index)
    after = year_checkups(inputs.checkups, fiscal_year, enrolled.index)
    _, referral_rules = _rules()
    flags_before = referral(before, referral_rules)
    flags_after = referral(after, referral_rules).set_index(after["member_id"])
    after_by_id = after.set_index("member_id")

    table_rows = []
    member_ids: dict[str, tuple[str, ...]] = {}
    for domain in RESERVE_DOMAINS:
        not_treated = before[domain.medication].to_numpy(dtype="float64", na_value=np.nan) == NO_CODE
        reserve = (domain_level(flags_before, before, domain) == RESERVE).fillna(False).to_numpy(dtype=bool)
        cohort = before.loc[reserve & not_treated, "member_id"]
        examined = cohort[is_member(cohort, after_by_id.index)]
        level = domain_level(flags_after, after_by_id, domain).reindex(examined)
        medication = after_by_id[domain.medication].reindex(examined)
        outcome = _outcome(level.to_numpy(dtype="float64", na_value=np.nan),
                           medication.to_numpy(dtype="float64", na_value=np.nan))
        row: dict[str, object] = {"疾病": f"{domain.disease}予備群", "対象者数": len(cohort)}
        for code, label in enumerate(OUTCOMES):
            mask = outcome == code
            row[label] = int(mask.sum())
            member_ids[f"{domain.disease}・{label}"] = tuple(examined[mask].astype(str))
        judged = int((outcome != OUTCOMES.index("判定不能")).sum())
        controlled = sum(row[label] for label in CONTROLLED)
        row["状態コントロール割合(%)"] = round(100 * controlled / judged, 1) if judged else np.nan
        missing = cohort[~is_member(cohort, after_by_id.index)]
        row["健診未受診"] = len(missing)
        member_ids[f"{domain.disease}・健診未受診"] = tuple(missing.astype(str))
        table_rows.append(row)

    notes = (
        f"対象: {previous_year}–{fiscal_year}年度継続在籍者のうち{previous_year}年度末40歳以上で、"
        f"{previous_year}年度健診で服薬なし（問診「いいえ」）かつ予備群だった者。",
        f"受診勧奨対象群・予備群（保健指導判定値以上・受診勧奨判定値未満）・正常値群は {referral_rules.short_title} による。"
        "血圧: 収縮期・拡張期、血糖: 空腹時血糖・HbA1c、脂質: 中性脂肪（空腹時・随時）とHDL（HDLは予備群のみ）。",
        "服薬は問診（服薬_血圧・服薬_血糖・服薬_脂質）で判定。服薬欄が空欄の者は服薬ありに数えない。",
        "状態コントロール割合 = 今年度健診で予備群（服薬なし）または正常値群（服薬なし）の者 ÷ 今年度健診を受けて判定できた者"
        f"（{SEED} §3.2.7–3.2.9）。健診未受診の者は割合に含めない。",
    )
    return [
        AnalysisTable(
            key="予備群コントロール",
            title=f"予備群の状態コントロール割合（{previous_year}→{fiscal_year}年度）",
            table=pd.DataFrame(table_rows),
            notes=notes,
            seed_section="3.2.7–3.2.9",
            member_ids=member_ids,
        )
    ]


def _outcome(level: np.ndarray, medication: np.ndarray) -> np.ndarray:
    """The OUTCOMES code of each member this year (判定不能: item unmeasured, or 服薬 unanswered below 受診勧奨)."""
    treated = medication == YES_CODE
    answered = ~np.isnan(medication)
    codes = np.full(len(level), OUTCOMES.index("判定不能"), dtype=np.int8)
    codes[level == REFERRAL] = OUTCOMES.index("受診勧奨対象群")
    for value, with_drug, without_drug in (
        (RESERVE, "予備群（服薬あり）", "予備群（服薬なし）"),
        (NORMAL, "正常値群（服薬あり）", "正常値群（服薬なし）"),
    ):
        at = (level == value) & answered
        codes[at & treated] = OUTCOMES.index(with_drug)
        codes[at & ~treated] = OUTCOMES.index(without_drug)
    return codes


# ── §3.6.3–3.6.6 健診・問診スコアリング ──────────────────────────────────────────────────────────

HEALTH_DOMAINS = {"obesity": "肥満", "blood_pressure": "血圧", "liver": "肝機能", "lipid": "脂質", "glucose": "血糖"}
LIFESTYLE_DOMAINS = {"smoking": "喫煙", "exercise": "運動", "diet": "食事", "drinking": "飲酒", "sleep": "睡眠"}

EXERCISE_GOOD = {"exercise": (YES_CODE,), "activity": (YES_CODE,), "walk_speed": (YES_CODE,)}
"""§3.6 ※3: 運動の問診3項目の「適切」な回答 (はい); 2つ以上適切なら非リスク."""
DIET_GOOD = {"eating_speed": (2, 3), "late_dinner": (NO_CODE,), "snacking": (2, 3), "skip_breakfast": (NO_CODE,)}
"""§3.6 ※4: 食事の問診4項目の「適切」な回答 (ふつう・遅い / いいえ / 時々・ほとんど摂取しない / いいえ); 3つ以上で非リスク."""
EXERCISE_NEEDED, DIET_NEEDED = 2, 3
NON_SMOKER = (2, 3)
"""喫煙「いいえ」: 第4期の「以前は吸っていたが最近1か月間は吸っていない」も現在は吸っていない者として数える."""


@dataclass(frozen=True)
class Judged:
    """One domain's result per row: `positive` (リスク者, or 非リスク者 for lifestyle) among `decided` rows."""

    positive: np.ndarray
    decided: np.ndarray


def judged_rows(rows: pd.DataFrame, fiscal_year: int, rules: RuleSet, referral_rules: RuleSet) -> pd.DataFrame:
    """The judge() columns the scoring reads (階層化 step 1/BMI and 保健指導判定値 flags), without judge()'s
    per-row 理由 text, which costs seconds at 300k members and is not shown here."""
    return pd.concat([stratify(rows, fiscal_year, rules), referral(rows, referral_rules)], axis=1)


def health_risks(rows: pd.DataFrame, judged: pd.DataFrame, rules: RuleSet) -> dict[str, Judged]:
    """§3.6 ※1 リスク者 (保健指導判定基準) per domain, from judged_rows(); decided = the domain was measured."""
    def any_guidance(items: tuple[str, ...]) -> Judged:
        hit = np.zeros(len(rows), dtype=bool)
        for item in items:
            hit |= _flag(judged, f"guidance_{item}")
        return Judged(hit, _measured_any(rows, items))

    step1 = judged["step1"].astype("string")
    bmi_hit = np.asarray(rules.threshold("hokenshido.step1.bmi").holds(judged["bmi"].to_numpy(dtype="float64")))
    obese = step1.isin(["腹囲", "BMI"]).fillna(False).to_numpy(dtype=bool) | bmi_hit
    lean = (step1 == "なし").fillna(False).to_numpy(dtype=bool)
    has_fbg = ~np.isnan(measures.numbers(rows, "fbg"))
    glucose = np.where(has_fbg, _flag(judged, "guidance_fbg"), _flag(judged, "guidance_hba1c"))
    return {
        "obesity": Judged(obese, obese | lean),
        "blood_pressure": any_guidance(("sbp", "dbp")),
        "liver": any_guidance(("ast", "alt", "ggt")),
        "lipid": any_guidance(("tg_fasting", "tg_random", "hdl")),
        "glucose": Judged(glucose, _measured_any(rows, ("fbg", "hba1c"))),
    }


def _enough_good(rows: pd.DataFrame, good: dict[str, tuple[int, ...]], needed: int) -> Judged:
    """非リスク when `needed` answers are 適切; decided once the unanswered items could not change that."""
    appropriate = np.zeros(len(rows), dtype=np.int8)
    unanswered = np.zeros(len(rows), dtype=np.int8)
    for item, codes in good.items():
        answer = measures.numbers(rows, item)
        appropriate += np.isin(answer, codes)
        unanswered += np.isnan(answer)
    positive = appropriate >= needed
    return Judged(positive, positive | (appropriate + unanswered < needed))


def lifestyle_non_risks(rows: pd.DataFrame) -> dict[str, Judged]:
    """§3.6 ※2 非リスク者 per lifestyle domain; decided = answered enough to tell."""
    spec = definitions()["drinking"]
    smoking = measures.numbers(rows, "smoking")
    sleep = measures.numbers(rows, "sleep")
    freq = measures.numbers(rows, "drinking_freq")
    amount = measures.numbers(rows, "drinking_amount")
    heavy = (np.isin(freq, spec["daily"]) & (amount >= spec["heavy_daily_from"])) | (
        np.isin(freq, spec["sometimes"]) & (amount >= spec["heavy_sometimes_from"])
    )
    both = ~np.isnan(freq) & ~np.isnan(amount)
    light = np.isin(freq, spec["rarely"]) | np.isin(amount, spec["light_amounts"])
    return {
        "smoking": Judged(np.isin(smoking, NON_SMOKER), ~np.isnan(smoking)),
        "exercise": _enough_good(rows, EXERCISE_GOOD, EXERCISE_NEEDED),
        "diet": _enough_good(rows, DIET_GOOD, DIET_NEEDED),
        "drinking": Judged(~heavy & (both | light), both | light),
        "sleep": Judged(sleep == YES_CODE, ~np.isnan(sleep)),
    }


def health_scoring(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """§3.6.3–3.6.6 健診・問診分析サマリ for 組合員, 男性・女性組合員 and 被扶養者 (年度末40歳以上):
    risk rates and lifestyle non-risk rates against the comparison group, with the seed's scores."""
    enrolled = enrolled_at_year_end(inputs.members, fiscal_year)
    rows = year_checkups(inputs.checkups, fiscal_year, enrolled.index)
    rules, referral_rules = _rules()
    judged = judged_rows(rows, fiscal_year, rules, referral_rules)
    risks = health_risks(rows, judged, rules)
    habits = lifestyle_non_risks(rows)
    relation = rows["member_id"].map(enrolled["relation"]).to_numpy(dtype="float64", na_value=np.nan)
    sex = measures.numbers(rows, "sex")
    label = inputs.insured_label
    insured = relation == 1
    groups = (
        ("insured", label, insured, "3.6.3"),
        ("insured_male", f"男性{label}", insured & (sex == 1), "3.6.4"),
        ("insured_female", f"女性{label}", insured & (sex == 2), "3.6.5"),
        ("dependent", "被扶養者", relation == 2, "3.6.6"),
    )
    comparison = definitions()["comparison"]
    tables = []
    for key, name, members_in, section in groups:
        other = comparison[key]
        common = (
            f"年度: {fiscal_year}年度　対象: {name}（{fiscal_year}年度末在籍・年度末40歳以上・同年度健診受診）",
            f"他組合: {comparison['source']}（公表値。自組合の年度と異なる場合がある）",
        )
        tables.append(_score_table(
            f"健診スコア_{name}", f"健診・問診分析サマリ 健康状況〈{name}〉（{fiscal_year}年度）",
            rows, risks, members_in, other, HEALTH_DOMAINS, risk_table=True,
            notes=(*common, *_HEALTH_NOTES, f"判定値: {referral_rules.short_title}・{rules.short_title}"),
            section=section,
        ))
        tables.append(_score_table(
            f"問診スコア_{name}", f"健診・問診分析サマリ 生活習慣〈{name}〉（{fiscal_year}年度）",
            rows, habits, members_in, other, LIFESTYLE_DOMAINS, risk_table=False,
            notes=(*common, *_LIFESTYLE_NOTES), section=section,
        ))
    return tables


_HEALTH_NOTES = (
    "リスク者割合 = リスク者数 ÷ 当該検査項目実施者数、スコア = 他組合のリスク者割合 ÷ 自組合のリスク者割合 × 100"
    f"（{SEED} §3.6）。",
    "リスク者（保健指導判定値）: 肥満 BMI25以上または腹囲85cm(男性)・90cm(女性)以上、血圧 130/85mmHg以上、"
    "肝機能 AST・ALT 31U/L以上またはγ-GT 51U/L以上、脂質 中性脂肪150mg/dL以上（随時採血は175以上）またはHDL40未満、"
    "血糖 空腹時血糖100以上（未測定ならHbA1c 5.6%以上）。",
)
_LIFESTYLE_NOTES = (
    "非リスク者割合 = 非リスク者数 ÷ 当該問診項目回答者数、スコア = 自組合の非リスク者割合 ÷ 他組合の非リスク者割合 × 100"
    f"（{SEED} §3.6）。",
    "非リスク者: 喫煙「いいえ」（以前吸っていた者を含む）、運動 3項目中2つ以上適切、食事 4項目中3つ以上適切、"
    "飲酒 多量飲酒（毎日2合以上・時々3合以上）でない、睡眠「はい」。未回答があり結論が変わりうる者は回答者に含めない。",
    "飲酒頻度の読替え（第4期質問票→手本の3区分）: 毎日 = 毎日、時々 = 週5〜6日〜月に1〜3日、"
    "ほとんど飲まない = 月に1日未満・やめた・飲まない。",
)


def _score_table(
    key: str, title: str, rows: pd.DataFrame, results: dict[str, Judged], members_in: np.ndarray,
    other: dict[str, float], domains: dict[str, str], *, risk_table: bool, notes: tuple[str, ...], section: str,
) -> AnalysisTable:
    """One §3.6 summary table: rows スコア・非リスク者数・リスク者数・割合, then 他組合の割合."""
    rate_label = "リスク者割合(%)" if risk_table else "非リスク者割合(%)"
    labels = {"区分": ["自組合", "自組合", "自組合", "自組合", "他組合"],
              "指標": ["スコア", "非リスク者数", "リスク者数", rate_label, rate_label]}
    columns: dict[str, list[object]] = {}
    member_ids: dict[str, tuple[str, ...]] = {}
    for domain, heading in domains.items():
        result = results[domain]
        decided = result.decided & members_in
        positive = result.positive & decided
        risk = positive if risk_table else decided & ~result.positive
        count_decided, count_positive = int(decided.sum()), int(positive.sum())
        own = 100 * count_positive / count_decided if count_decided else np.nan
        ratio = (other[domain] / own if own else np.nan) if risk_table else own / other[domain]
        score = float(measures.round_half_up(100 * ratio, 0)) if np.isfinite(ratio) else np.nan
        columns[heading] = [score, int(decided.sum() - risk.sum()), int(risk.sum()),
                            round(own, 1) if count_decided else np.nan, other[domain]]
        member_ids[f"{heading}・リスク者"] = _ids(rows, risk)
    table = pd.DataFrame(labels | columns)
    return AnalysisTable(key=key, title=title, table=table, notes=notes, seed_section=section, member_ids=member_ids)
