"""糖尿病性腎症 (diabetic nephropathy): who is diabetic, at which 腎症病期, treated or not, in which program group A–E.

The per-person classification (`kidney_status`) follows the 糖尿病性腎症重症化予防プログラム(令和6年度版)
(RULES.md §3); the published tables (`diabetic_nephropathy`) reproduce the data-health plan's 3.2.5–3.2.6
腎症リスク状況 and count the program groups. Every cut-off and code list is read from rules/analyses/jinsho.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses import AnalysisInputs, AnalysisTable
from dhdesk.core.analyses import definitions as analysis_definitions
from dhdesk.core.rules.measures import measured

TREATED, INTERRUPTED, UNTREATED = "治療中", "中断", "未治療"
STAGE_5, STAGE_4, STAGE_3 = "第5期", "第4期", "第3期"
STAGE_1_2 = "第1期/第2期（健診では区別不可）"
STAGE_UNKNOWN = "不明（健診なし・未測定）"
GROUPS = {
    "A": ("糖尿病性腎症 ＋ 未治療・治療中断（健診あり）", "受診勧奨"),
    "B": ("糖尿病性腎症 ＋ 治療中（健診あり）", "医療機関と連携した保健指導"),
    "C": ("糖尿病基準該当（腎症なし）＋ 未治療・治療中断", "受診勧奨"),
    "D": ("糖尿病治療中・健診なし ＋ レセプトに腎症", "保健指導（医師の推薦が必要）"),
    "E": ("糖尿病治療歴あり・現在治療中断・健診なし", "レセプトで抽出し受診勧奨"),
}
STATUS_LABELS = {
    "member_id": "加入者番号", "exam_date": "健診日", "hba1c": "HbA1c", "fbg": "空腹時血糖", "rbg": "随時血糖",
    "egfr": "eGFR", "urine_protein": "尿蛋白", "sbp": "収縮期血圧", "dbp": "拡張期血圧",
    "diabetes_checkup": "糖尿病基準該当（健診）", "diabetes_claims": "糖尿病レセプトあり",
    "last_diabetes_month": "最終の糖尿病レセプト月", "diabetes": "糖尿病", "kidney_claims": "腎症の傷病名",
    "dialysis": "透析", "kidney_stage": "腎症病期", "kidney_disease": "腎障害", "treatment": "治療状況",
    "group": "抽出区分", "reason": "理由",
}
"""Japanese headers of the kidney_status columns (for drill-down screens and exports)."""

_URINE = {1: "−", 2: "±", 3: "+", 4: "++", 5: "+++"}
_SEED = "3.2.5–3.2.6"


@dataclass(frozen=True)
class _Rules:
    """jinsho.toml: values by `section.name`, and how each is cited."""

    values: dict[str, Any]
    citations: dict[str, str]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def cite(self, *keys: str) -> str:
        return "; ".join(dict.fromkeys(self.citations[k] for k in keys))


@lru_cache(maxsize=1)
def load_rules() -> _Rules:
    """The 腎症 rule file, with every value's source and confidence."""
    data = analysis_definitions("jinsho")
    sources = data["sources"]
    values, citations = {}, {}
    for section in ("diabetes", "claims", "stage", "treatment", "seed"):
        for name, item in data[section].items():
            key = f"{section}.{name}"
            values[key] = item["value"]
            citations[key] = f"{sources[item['source']]['short']} [{item['confidence']}]"
    return _Rules(values, citations)


def _month_index(service_month: pd.Series) -> pd.Series:
    """yyyymm → months since year 0, so gaps are plain subtraction (parsed once per distinct month)."""
    codes, uniques = pd.factorize(service_month)
    ym = pd.to_numeric(pd.Series(uniques, dtype="string"), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    months = np.append((ym // 100) * 12 + ym % 100, np.nan)[codes]
    return pd.Series(months, index=service_month.index)


def _fy_bounds(fiscal_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(fiscal_year, 4, 1), pd.Timestamp(fiscal_year + 1, 3, 31)


def _fy_end_month(fiscal_year: int) -> int:
    return (fiscal_year + 1) * 12 + 3


def _enrolled(members: pd.DataFrame, day: pd.Timestamp) -> pd.Index:
    """Members holding a 資格 on `day` (喪失日 is the first day without it)."""
    on = (members["acquired_date"] <= day) & (members["lost_date"].isna() | (members["lost_date"] > day))
    return pd.Index(members.loc[on, "member_id"].unique(), name="member_id")


def _latest_checkups(checkups: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Each member's last checkup of the 年度, values rounded as the judgement rules read them."""
    start, end = _fy_bounds(fiscal_year)
    rows = checkups[checkups["exam_date"].between(start, end)]
    rows = rows.sort_values("exam_date").drop_duplicates("member_id", keep="last").set_index("member_id")
    out = pd.DataFrame(index=rows.index)
    out["exam_date"] = rows["exam_date"]
    for name in ("hba1c", "fbg", "rbg", "egfr", "sbp", "dbp"):
        out[name] = measured(rows, name)
    out["urine_protein"] = pd.to_numeric(rows["urine_protein"], errors="coerce").astype("float64")
    return out


class _Distinct:
    """String tests run once per distinct value: claim codes repeat a lot, so this keeps 300k members fast."""

    def __init__(self, values: pd.Series) -> None:
        codes, uniques = pd.factorize(values)
        self._codes, self._uniques, self._index = codes, pd.Series(uniques, dtype="string"), values.index

    def test(self, test: Callable[[pd.Series], pd.Series]) -> pd.Series:
        hit = test(self._uniques).fillna(False).to_numpy(dtype=bool)
        return pd.Series(np.append(hit, False)[self._codes], index=self._index)  # code -1 (NA) → False

    def prefixed(self, prefixes: list[str]) -> pd.Series:
        return self.test(lambda v: v.str.startswith(tuple(prefixes)))


def _flag_diagnoses(diagnoses: pd.DataFrame, rules: _Rules) -> pd.DataFrame:
    """The confirmed (not 疑い) diagnoses that matter here, once: member, month index, claim type and a flag
    per code list (糖尿病, 2型, 1型, 腎症, 透析). Every later step reads this small frame."""
    words = "|".join(rules["claims.dialysis_name_words"])
    icd10 = _Distinct(diagnoses["icd10"])
    flags = {
        "diabetes": icd10.prefixed(rules["claims.diabetes_icd10"]),
        "type2": icd10.prefixed(rules["seed.type2_icd10"]),
        "type1": icd10.prefixed(rules["seed.type1_icd10"]),
        "kidney": icd10.prefixed(rules["claims.kidney_icd10"]),
        "dialysis": (icd10.prefixed(rules["claims.dialysis_icd10"])
                     | _Distinct(diagnoses["disease_name"]).test(lambda v: v.str.contains(words))),
    }
    flagged = pd.DataFrame(flags)
    keep = flagged.any(axis=1) & (diagnoses["is_suspected"].fillna(2) != 1)
    out = flagged[keep].copy()
    out.insert(0, "member_id", diagnoses.loc[keep, "member_id"])
    out.insert(1, "month", _month_index(diagnoses.loc[keep, "service_month"]))
    out.insert(2, "claim_type", diagnoses.loc[keep, "claim_type"])
    return out.reset_index(drop=True)


def _diabetes_events(inputs: AnalysisInputs, flagged: pd.DataFrame, rules: _Rules, last_month: int) -> pd.DataFrame:
    """member_id × month index of every claim showing diabetes care: a confirmed 糖尿病 diagnosis or drug."""
    drugs, master = inputs.drug_lines, inputs.drug_master
    yj = drugs["yj_code"]
    if yj.isna().any() and len(master):
        by_receipt_code = master.dropna(subset=["receipt_code"]).drop_duplicates("receipt_code")
        yj = yj.fillna(drugs["drug_code"].map(by_receipt_code.set_index("receipt_code")["yj_code"]))
    glp1 = master.loc[master["ingredient"].isin(rules["claims.diabetes_drug_ingredients"]), "yj_code"]
    is_drug = _Distinct(yj).prefixed(rules["claims.diabetes_drug_yj"]) | yj.isin(glp1)
    dx = flagged.loc[flagged["diabetes"], ["member_id", "month"]]
    drug = pd.DataFrame({"member_id": drugs.loc[is_drug, "member_id"],
                         "month": _month_index(drugs.loc[is_drug, "service_month"])})
    events = pd.concat([dx, drug], ignore_index=True)
    return events[events["month"] <= last_month]


def _members_with(flagged: pd.DataFrame, flag: str, months: tuple[int, int]) -> pd.Index:
    rows = flagged[flagged[flag] & flagged["month"].between(*months)]
    return pd.Index(rows["member_id"].unique())


def _stage(checkup: pd.DataFrame, dialysis: pd.Series, rules: _Rules) -> pd.Series:
    """腎症病期 as far as a checkup shows it: 尿蛋白定性 and eGFR only, so 第1期 and 第2期 stay together."""
    shown = checkup["egfr"].notna() | checkup["urine_protein"].notna()
    return pd.Series(np.select(
        [dialysis.to_numpy(), (checkup["egfr"] < rules["stage.stage4_egfr_lt"]).to_numpy(),
         (checkup["urine_protein"] >= rules["stage.stage3_urine_protein_ge"]).to_numpy(), shown.to_numpy()],
        [STAGE_5, STAGE_4, STAGE_3, STAGE_1_2], STAGE_UNKNOWN), index=checkup.index, dtype="string")


def _number_text(values: pd.Series, decimals: int) -> pd.Series:
    """Rounded values as text (NaN → empty), e.g. 7.0 → "7.0" at 1 decimal, 142.0 → "142" at 0."""
    rounded = values.round(decimals)
    text = rounded.astype("Int64").astype("string") if decimals == 0 else rounded.astype("string")
    return text.fillna("")


def _join(parts: list[tuple[pd.Series, pd.Series]], sep: str) -> pd.Series:
    """Concatenate the non-empty texts whose mask holds, separated by `sep`: each part touches only its own
    rows, as Python strings (Arrow string operations over every member, per part, cost seconds at 300k)."""
    index = parts[0][0].index
    out = np.full(len(index), "", dtype=object)
    for mask, text in parts:
        values = text.fillna("").to_numpy(dtype=object)
        rows = np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool) & (values != ""))
        head, piece = out[rows], values[rows]
        out[rows] = np.where(head == "", piece, head + sep + piece)
    return pd.Series(out, index=index, dtype="string")


def kidney_status(inputs: AnalysisInputs, fiscal_year: int, *, as_of: date | None = None,
                  interruption_months: int | None = None) -> pd.DataFrame:
    """One row per member enrolled at the 年度末 with a checkup in the 年度 or diabetes claims up to its end.

    糖尿病 = ① 健診の血糖・HbA1c が基準以上, ② 治療中, or ③ 糖尿病のレセプト歴 (excluding those whose
    checkup this 年度 measured glucose or HbA1c below the criteria). 治療中断 = last diabetes claim month
    at least `treatment.interruption_months` before the 年度末 month (RULES §3.4, configurable).
    A program judges on its own day instead: `as_of` replaces the 年度末 (enrolment, claims up to its month,
    中断 counted back from it) and `interruption_months` the rule file's months.
    """
    rules = load_rules()
    if interruption_months is not None:
        rules = _Rules(rules.values | {"treatment.interruption_months": interruption_months}, rules.citations)
    end = None if as_of is None else pd.Timestamp(as_of)
    return _kidney_status(inputs, fiscal_year, _flag_diagnoses(inputs.diagnoses, rules), rules, end)


def _kidney_status(inputs: AnalysisInputs, fiscal_year: int, flagged: pd.DataFrame, rules: _Rules,
                   end: pd.Timestamp | None = None) -> pd.DataFrame:
    end = _fy_bounds(fiscal_year)[1] if end is None else end
    end_month = end.year * 12 + end.month
    enrolled = _enrolled(inputs.members, end)
    checkup = _latest_checkups(inputs.checkups, fiscal_year)
    events = _diabetes_events(inputs, flagged, rules, end_month)
    last = events.groupby("member_id")["month"].max()
    people = enrolled.intersection(checkup.index.union(last.index))
    people = people.rename("member_id")
    out = checkup.reindex(people)
    has_checkup = out["exam_date"].notna()

    meets = {
        "hba1c": out["hba1c"] >= rules["diabetes.hba1c_ge"],
        "fbg": out["fbg"] >= rules["diabetes.fbg_ge"],
        "rbg": out["rbg"] >= rules["diabetes.rbg_ge"],
    }
    glucose_measured = out[["hba1c", "fbg", "rbg"]].notna().any(axis=1)
    out["diabetes_checkup"] = meets["hba1c"] | meets["fbg"] | meets["rbg"]
    last_month = last.reindex(people)
    out["diabetes_claims"] = last_month.notna()
    gap = end_month - last_month
    out["last_diabetes_month"] = pd.Series(
        ((last_month - 1) // 12 * 100 + (last_month - 1) % 12 + 1).astype("Int64").astype("string"), index=people)
    out["treatment"] = pd.Series(np.select(
        [last_month.isna().to_numpy(), (gap >= rules["treatment.interruption_months"]).to_numpy()],
        [UNTREATED, INTERRUPTED], TREATED), index=people, dtype="string")
    treated = out["treatment"] == TREATED
    history_counts = out["diabetes_claims"] & ~(glucose_measured & ~out["diabetes_checkup"])
    out["diabetes"] = out["diabetes_checkup"] | treated | history_counts

    out["kidney_claims"] = people.isin(_members_with(flagged, "kidney", (0, end_month)))
    out["dialysis"] = people.isin(_members_with(flagged, "dialysis", (end_month - 11, end_month)))
    stage = _stage(out, out["dialysis"], rules)
    out["kidney_stage"] = stage.where(out["diabetes"])
    out["kidney_disease"] = out["diabetes"] & (stage.isin([STAGE_3, STAGE_4, STAGE_5]) | out["kidney_claims"])

    not_treated = ~treated
    eligible = out["diabetes"] & ~out["dialysis"]
    out["group"] = pd.Series(np.select(
        [(eligible & out["kidney_disease"] & has_checkup & not_treated).to_numpy(),
         (eligible & out["kidney_disease"] & has_checkup & treated).to_numpy(),
         (eligible & out["diabetes_checkup"] & ~out["kidney_disease"] & not_treated).to_numpy(),
         (eligible & ~has_checkup & treated & out["kidney_claims"]).to_numpy(),
         (eligible & ~has_checkup & (out["treatment"] == INTERRUPTED)).to_numpy()],
        list(GROUPS), ""), index=people, dtype="string")
    out["reason"] = _reasons(out, meets, has_checkup, rules)
    return out.reset_index()[list(STATUS_LABELS)]


def _reasons(out: pd.DataFrame, meets: dict[str, pd.Series], has_checkup: pd.Series, rules: _Rules) -> pd.Series:
    """The clerk's one-line Japanese reason: what the checkup and claims showed, and what follows."""

    def const(text: str) -> pd.Series:
        return pd.Series(text, index=out.index, dtype="string")

    below = out["diabetes"] & ~out["diabetes_checkup"] & out[["hba1c", "fbg", "rbg"]].notna().any(axis=1)
    egfr_limit, months = rules["stage.stage4_egfr_lt"], rules["treatment.interruption_months"]
    found = _join([
        (meets["hba1c"], "HbA1c " + _number_text(out["hba1c"], 1) + "%"),
        (meets["fbg"], "空腹時血糖 " + _number_text(out["fbg"], 0)),
        (meets["rbg"], "随時血糖 " + _number_text(out["rbg"], 0)),
    ], "・")
    urine = out["urine_protein"].map(_URINE).astype("string").fillna("")
    month = out["last_diabetes_month"].fillna("")
    last_text = month.str[:4] + "年" + month.str[4:].str.lstrip("0") + "月"
    group_text = {key: f"区分{key}: {label} → {action}" for key, (label, action) in GROUPS.items()}
    return _join([
        (out["diabetes_checkup"], "健診で糖尿病基準該当（" + found + "）"),
        (below, const("健診の血糖・HbA1cは基準未満")),
        (~has_checkup, const("年度内の健診なし")),
        (out["kidney_stage"] == STAGE_5, const("透析の傷病名あり → 第5期（抽出対象外）")),
        (out["kidney_stage"] == STAGE_4, "eGFR " + _number_text(out["egfr"], 1) + f"（{egfr_limit}未満）→ 第4期"),
        (out["kidney_stage"] == STAGE_3, "尿蛋白(" + urine + ") → 第3期"),
        (out["kidney_stage"] == STAGE_1_2,
         const("尿蛋白・eGFRは第3・4期の基準に該当せず（第1期と第2期は尿アルブミン検査でのみ区別）")),
        (has_checkup & (out["kidney_stage"] == STAGE_UNKNOWN), const("尿蛋白・eGFRの検査値なし（病期不明）")),
        (out["kidney_claims"] & out["diabetes"], const("レセプトに糖尿病性腎症")),
        (out["treatment"] == UNTREATED, const("糖尿病のレセプトなし（未治療）")),
        (out["treatment"] == INTERRUPTED, "最後の糖尿病レセプト " + last_text + f"から{months}か月以上受診なし（中断）"),
        (out["treatment"] == TREATED, "糖尿病で受診中（最終 " + last_text + "）"),
        (~out["diabetes"], const("糖尿病に該当しない")),
        (out["diabetes"] & (out["group"] == ""), const("抽出区分A〜Eに該当しない")),
        *[(out["group"] == key, const(text)) for key, text in group_text.items()],
    ], "。")


def _type2_treated(inputs: AnalysisInputs, flagged: pd.DataFrame, fiscal_year: int, rules: _Rules) -> pd.Index:
    """The plan's 2型糖尿病治療中患者: a confirmed 2型 diagnosis on 医科入院外/調剤 claims in the window
    (年度末の数か月, seed.window_months), no 1型, no 透析 in the window, enrolled at the 年度末."""
    end_month = _fy_end_month(fiscal_year)
    window = (end_month - rules["seed.window_months"] + 1, end_month)
    outpatient = flagged[flagged["claim_type"].isin(rules["seed.claim_types"])]
    excluded = _members_with(outpatient, "type1", window).union(_members_with(flagged, "dialysis", window))
    people = _members_with(outpatient, "type2", window).difference(excluded)
    return people.intersection(_enrolled(inputs.members, _fy_bounds(fiscal_year)[1])).rename("member_id")


def _control(checkup: pd.DataFrame, rules: _Rules) -> pd.Series:
    """不明者 / コントロール者 / アンコントロール者 by HbA1c and 空腹時血糖 (seed 3.2.5)."""
    uncontrolled = ((checkup["hba1c"] >= rules["seed.uncontrolled_hba1c_ge"])
                    | (checkup["fbg"] >= rules["seed.uncontrolled_fbg_ge"]))
    unknown = checkup["hba1c"].isna() & checkup["fbg"].isna()
    return pd.Series(np.select([unknown.to_numpy(), uncontrolled.to_numpy()], ["不明者", "アンコントロール者"],
                               "コントロール者"), index=checkup.index, dtype="string")


def _risk_labels(rules: _Rules) -> tuple[str, str, str, str]:
    """The plan's 腎症リスク labels in order: 不明, 糖尿病のみ, ※1, ※2 (※2 worded from the rule file)."""
    urine = _URINE[rules["seed.severe_urine_protein_ge"]]
    return ("不明（eGFR・尿蛋白の検査値無し）", "糖尿病のみ", "腎機能低下疑い ※1",
            f"尿蛋白({urine}以上)またはeGFR{rules['seed.severe_egfr_lt']}未満 ※2")


def _kidney_risk(checkup: pd.DataFrame, previous_egfr: pd.Series, rules: _Rules) -> pd.Series:
    """The plan's 腎症リスク: 不明 / 糖尿病のみ / 腎機能低下疑い (※1) / 3期・4期相当 (※2)."""
    egfr, urine = checkup["egfr"], checkup["urine_protein"]
    severe = (urine >= rules["seed.severe_urine_protein_ge"]) | (egfr < rules["seed.severe_egfr_lt"])
    drop = (previous_egfr - egfr).round(1)  # eGFR is recorded to 0.1: 60.3 − 55.3 must read as 5.0
    falling = (egfr < rules["seed.decline_slope_egfr_lt"]) & (drop >= rules["seed.decline_slope_ge"])
    suspected = (egfr.between(rules["seed.severe_egfr_lt"], rules["seed.decline_egfr_lt"], inclusive="left")
                 | falling | (urine >= rules["seed.decline_urine_protein_ge"])
                 | (checkup["sbp"] >= rules["seed.decline_sbp_ge"]) | (checkup["dbp"] >= rules["seed.decline_dbp_ge"]))
    unknown, only, suspect, worst = _risk_labels(rules)
    return pd.Series(np.select([(egfr.isna() & urine.isna()).to_numpy(), severe.to_numpy(), suspected.to_numpy()],
                               [unknown, worst, suspect], only),
                     index=checkup.index, dtype="string")


def _treated_control(inputs: AnalysisInputs, flagged: pd.DataFrame, fiscal_year: int, rules: _Rules) -> pd.DataFrame:
    """The treated type-2 diabetics of a 年度 with their control band, 腎症リスク and 腎症病期."""
    people = _type2_treated(inputs, flagged, fiscal_year, rules)
    theirs = inputs.checkups[inputs.checkups["member_id"].isin(people)]
    checkup = _latest_checkups(theirs, fiscal_year).reindex(people)
    previous = _latest_checkups(theirs, fiscal_year - 1)["egfr"].reindex(people)
    out = pd.DataFrame(index=people)
    out["control"] = _control(checkup, rules)
    out["risk"] = _kidney_risk(checkup, previous, rules)
    out["stage"] = _stage(checkup, pd.Series(False, index=people), rules)
    return out


def _ids(members: pd.Index) -> tuple[str, ...]:
    return tuple(sorted(members.astype(str)))


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else float("nan")


def _window_text(rules: _Rules) -> str:
    """The claims window in words, e.g. 年度末4か月(12月〜3月)."""
    months = rules["seed.window_months"]
    return f"年度末{months}か月({(3 - months) % 12 + 1}月〜3月)"


def _risk_table(treated: pd.DataFrame, fiscal_year: int, rules: _Rules) -> AnalysisTable:
    """Seed 3.2.5: the treated type-2 diabetics split by control, the uncontrolled by 腎症リスク."""
    a1c, fbg = rules["seed.uncontrolled_hba1c_ge"], rules["seed.uncontrolled_fbg_ge"]
    uncontrolled = treated[treated["control"] == "アンコントロール者"]
    rows = [("2型糖尿病治療中患者", f"{_window_text(rules)}の医科入院外・調剤レセプトに2型糖尿病", treated.index)]
    rows += [
        ("不明者", "HbA1c及び空腹時血糖の検査値が無い（健診なしを含む）", treated.index[treated["control"] == "不明者"]),
        ("コントロール者", f"HbA1c{a1c}%未満かつ空腹時血糖{fbg}mg/dl未満",
         treated.index[treated["control"] == "コントロール者"]),
        ("アンコントロール者", f"HbA1c{a1c}%以上または空腹時血糖{fbg}mg/dl以上", uncontrolled.index),
    ]
    rows += [(f"アンコントロール者のうち {risk}", "", uncontrolled.index[uncontrolled["risk"] == risk])
             for risk in _risk_labels(rules)]
    total = len(treated)
    table = pd.DataFrame({
        "区分": [label for label, _, _ in rows],
        "定義": [text for _, text, _ in rows],
        "人数": [len(ids) for _, _, ids in rows],
        "割合(%)": [_percent(len(ids), total) for _, _, ids in rows],
    })
    notes = (
        f"対象: 年度末在籍者のうち、{_window_text(rules)}の医科入院外・調剤レセプトに2型糖尿病(疑いを除く)がある者。"
        f"病型未記載の糖尿病(E14)は2型として数え、1型糖尿病・同期間の透析の者は除く（計画 {_SEED}）。",
        "健診: 当年度の最終受診分。eGFRの低下は前年度受診分と比べる。割合は2型糖尿病治療中患者に対する割合。",
        f"※1 次のいずれか: eGFR{rules['seed.severe_egfr_lt']}以上{rules['seed.decline_egfr_lt']}未満 / "
        f"eGFR{rules['seed.decline_slope_egfr_lt']}未満のうち年間{rules['seed.decline_slope_ge']}以上の低下 / "
        f"尿蛋白(±または+) / 収縮期血圧{rules['seed.decline_sbp_ge']}以上 / 拡張期血圧{rules['seed.decline_dbp_ge']}以上"
        "（腎症1期から3期のいずれかに相当）。※2 腎症3期/4期に相当。",
        f"出典: {rules.cite('seed.window_months', 'seed.type2_icd10', 'claims.dialysis_icd10')}",
    )
    return AnalysisTable("jinsho_risk", f"{fiscal_year}年度 糖尿病患者の腎症リスク状況", table, notes, "3.2.5",
                         {label: _ids(ids) for label, _, ids in rows})


def _stage_table(treated: pd.DataFrame, fiscal_year: int, rules: _Rules) -> AnalysisTable:
    """Control band × 腎症病期 of the treated type-2 diabetics (cells drill down to members)."""
    bands = ("不明者", "コントロール者", "アンコントロール者")
    stages = (STAGE_1_2, STAGE_3, STAGE_4, STAGE_UNKNOWN)  # 透析 is excluded from the treated patients
    counts = pd.crosstab(treated["control"], treated["stage"]).reindex(index=bands, columns=stages, fill_value=0)
    counts["合計"] = counts.sum(axis=1)
    counts.loc["合計"] = counts.sum()
    table = counts.reset_index(names="血糖コントロール")
    table.columns.name = None
    grouped = treated.groupby(["control", "stage"]).groups
    member_ids = {f"{band}・{stage}": _ids(pd.Index(ids)) for (band, stage), ids in grouped.items()}
    notes = (
        f"病期は健診の尿蛋白定性とeGFRによる: 第4期 eGFR{rules['stage.stage4_egfr_lt']}未満、"
        f"第3期 尿蛋白({_URINE[rules['stage.stage3_urine_protein_ge']]})以上。第1期と第2期は尿アルブミン検査が健診にないため区別できない"
        f"（{rules.cite('stage.stage4_egfr_lt', 'stage.stage3_urine_protein_ge')}）。",
        "透析の者は対象から除いているため第5期の列はない。血糖コントロールの区分は計画 3.2.5 による。",
    )
    return AnalysisTable("jinsho_stage", f"{fiscal_year}年度 2型糖尿病治療中患者の血糖コントロール×腎症病期",
                         table, notes, "3.2.5", member_ids)


def _trend_table(inputs: AnalysisInputs, flagged: pd.DataFrame, fiscal_year: int, rules: _Rules,
                 current: pd.DataFrame) -> AnalysisTable:
    """Seed 3.2.6: treated and uncontrolled counts for every 年度 whose window has claims (`current`: the
    `_treated_control` of `fiscal_year`, already made for 3.2.5)."""
    months = _month_index(pd.Series(pd.unique(inputs.receipts["service_month"]), dtype="string"))
    years = [year for year in range(fiscal_year - 4, fiscal_year + 1)
             if months.between(_fy_end_month(year) - rules["seed.window_months"] + 1, _fy_end_month(year)).any()]
    figures = {}
    for year in years:
        treated = current if year == fiscal_year else _treated_control(inputs, flagged, year, rules)
        uncontrolled = int((treated["control"] == "アンコントロール者").sum())
        figures[f"{year}年度"] = pd.Series([len(treated), uncontrolled, _percent(uncontrolled, len(treated))],
                                         dtype=object)
    table = pd.DataFrame({"区分": ["2型糖尿病治療中患者(人)", "アンコントロール者(人)", "アンコントロール者割合(%)"],
                          **figures})
    notes = (
        f"各年度とも{_window_text(rules)}の医科入院外・調剤レセプトと当年度の健診による。定義は 3.2.5 の表と同じ。",
        "アンコントロール者割合: 2型糖尿病治療中患者におけるアンコントロール者の割合。"
        "レセプトの取込がない年度は表示しない。",
    )
    return AnalysisTable("jinsho_trend", "糖尿病患者の腎症リスク状況（年度推移）", table, notes, "3.2.6")


def _group_table(status: pd.DataFrame, fiscal_year: int, rules: _Rules) -> AnalysisTable:
    """Counts of the program's extraction groups A–E, each drilling down to its members."""
    by_group = {key: status.loc[status["group"] == key, "member_id"] for key in GROUPS}
    table = pd.DataFrame({
        "区分": list(GROUPS),
        "対象者": [label for label, _ in GROUPS.values()],
        "対応": [action for _, action in GROUPS.values()],
        "人数": [len(ids) for ids in by_group.values()],
    })
    urine = _URINE[rules["stage.stage3_urine_protein_ge"]]
    notes = (
        f"糖尿病: ①健診で空腹時血糖{rules['diabetes.fbg_ge']}以上・随時血糖{rules['diabetes.rbg_ge']}以上"
        f"またはHbA1c{rules['diabetes.hba1c_ge']}%以上 ②治療中 ③糖尿病のレセプト歴"
        f"（当年度の健診で基準未満の者を除く）（{rules.cite('diabetes.hba1c_ge')}）。",
        f"腎障害: 健診で第3期(尿蛋白{urine}以上)・第4期(eGFR{rules['stage.stage4_egfr_lt']}未満)、"
        f"またはレセプトに糖尿病性腎症（{rules.cite('stage.stage4_egfr_lt', 'claims.kidney_icd10')}）。"
        "健診では第1期と第2期は区別できない。透析(第5期)の者は抽出しない。",
        f"治療中断: 最後の糖尿病レセプト(傷病名・糖尿病薬)の診療月から年度末まで"
        f"{rules['treatment.interruption_months']}か月以上受診なし（{rules.cite('treatment.interruption_months')}; "
        "公的な月数の定めは未確認のため設定で変更可）。",
        "区分A〜E: 腎症プログラムR6 p.55 図表9/11 [OK]。"
        "区分Dは医師の推薦を要するため候補者として数える。対象は年度末在籍者。",
    )
    return AnalysisTable("jinsho_groups", f"{fiscal_year}年度 糖尿病性腎症重症化予防 抽出区分A〜E", table, notes,
                         "3.2.1", {key: _ids(pd.Index(ids)) for key, ids in by_group.items()})


def diabetic_nephropathy(inputs: AnalysisInputs, fiscal_year: int) -> list[AnalysisTable]:
    """Seed 3.2.5–3.2.6 腎症リスク状況 plus the program groups A–E of `fiscal_year`."""
    rules = load_rules()
    flagged = _flag_diagnoses(inputs.diagnoses, rules)
    treated = _treated_control(inputs, flagged, fiscal_year, rules)
    return [
        _risk_table(treated, fiscal_year, rules),
        _stage_table(treated, fiscal_year, rules),
        _trend_table(inputs, flagged, fiscal_year, rules, treated),
        _group_table(_kidney_status(inputs, fiscal_year, flagged, rules), fiscal_year, rules),
    ]
