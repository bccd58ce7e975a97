"""ジェネリック医薬品差額通知 (generic): who would save how much a month by switching to the cheapest 後発品.

For one 診療月, each drug line of a 医科入院外 or 調剤 receipt whose product is a 先発品 with generics
(後発医薬品情報 2) is compared with the cheapest 後発品 (3; ★ never) of the same 成分・規格・剤形 in the
master in force that month. 差額 = (先発薬価 − 後発薬価) × 数量 × 自己負担割合, each drug rounded down to the 円
(the letter never promises more than the member would save) and the month's total the sum of the drugs.
The 自己負担割合 comes from the レセプト種別 (本人・家族 3割, 未就学者 2割, 高齢受給者 2割 / 7割給付 3割); when
the kind is blank it is estimated from the age, with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import CLAIM_TYPES, population
from dhdesk.core.analyses.claims_drugs import line_quantity
from dhdesk.core.programs import (
    Candidates,
    ProgramInputs,
    empty_candidates_frame,
    master_for_month,
    program_rules,
)
from dhdesk.core.programs.common import ADDRESS_WARNING, address_missing, ranked_candidates
from dhdesk.core.programs.drugs import claim_month, month_label, month_lines

PROGRAM_ID = "generic"
INCLUDED = ""
"""A line's exclusion reason when it counts toward the 差額."""

_EPSILON = 1e-6  # 円 amounts are products of 2-decimal prices: keep 399.9999999 from rounding down to 399
_UNIT = r"[1１]([^0-9０-９．.（）]+)(?:（[^）]*）)?$"  # the 規格単位 after the last 「1」: ５ｍｇ１錠 → 錠

DETAIL_HEADERS = {
    "member_id": "加入者番号", "month": "診療年月", "brand_name": "先発品名", "brand_price": "薬価",
    "quantity": "数量", "generic_name": "後発品名", "generic_price": "後発薬価", "share": "自己負担割合",
    "difference": "差額(自己負担)", "status": "対象/除外理由",
}


def extract(inputs: ProgramInputs, fiscal_year: int, params: Mapping[str, Any]) -> Candidates:
    """The members whose month's 自己負担差額 reaches the threshold (any 差額 for 前期高齢者), ranked by 差額."""
    rules = program_rules(PROGRAM_ID)
    products = rules["products"]
    month = claim_month(inputs, params)
    claim_types = [int(t) for t in products["claim_types"]["value"]]
    pop = population(inputs.members, fiscal_year, inputs.insured_label, held_on=inputs.as_of)
    master = master_for_month(inputs.drug_masters, month)
    lines = month_lines(inputs, month, pop, claim_types)
    eligible = int(lines["pop_row"].nunique())
    brand = brand_lines(lines, master, rules)
    brand = price_lines(brand, rules, pop["birth_date"].to_numpy()[brand["pop_row"].to_numpy()], month)
    brand["reason"] = exclusion_reasons(brand, rules, params)
    counted = (brand["reason"] == INCLUDED).to_numpy(dtype=bool)
    brand["difference"] = np.where(counted, brand["line_difference"].to_numpy(dtype="float64"), 0.0)
    totals = _member_totals(brand, pop, month, params)

    kinds = "・".join(CLAIM_TYPES[t] for t in claim_types)
    version = _version_label(master)
    context = {"month": month, "kinds": kinds, "version": version, "params": params, "rules": rules}
    targets = _targets(totals[totals["target"]], brand, pop, inputs, context)
    excluded = _excluded(totals, brand, pop, inputs)
    brand["status"] = _status(brand, totals, params)
    steps = (
        ("後発品のある先発品の処方あり", int(len(totals))),
        ("除外条件に当たらない差額あり", int((totals["total"] > 0).sum())),
        (_criterion_label(params), int(totals["target"].sum())),
    )
    return Candidates(
        eligible_label=f"{month_label(month)}診療分の{kinds}レセプトに医薬品の明細がある加入者",
        eligible=eligible,
        targets=targets,
        excluded=excluded,
        steps=steps,
        detail_lines=_detail_frame(brand, pop, month),
    )


def brand_lines(lines: pd.DataFrame, master: pd.DataFrame, rules: Mapping[str, Any]) -> pd.DataFrame:
    """The lines whose product is a notice target (先発品 with generics), with the product (brand_name,
    brand_price, generic_info, ingredient, unit) and the cheapest comparable 後発品 of the same 成分・規格・剤形
    (generic_name, generic_price; NA when the master has none). Work on the master's few thousand rows."""
    products = rules["products"]
    latest = master.drop_duplicates("yj_code", keep="last")
    latest = latest.assign(key=_group_keys(latest, int(products["group_code_length"]["value"])))
    comparable = latest["generic_info"].isin(products["comparison_codes"]["value"]).fillna(False).to_numpy(dtype=bool)
    cheapest = (latest.loc[comparable, ["key", "product_name", "price", "yj_code"]]
                .sort_values(["key", "price", "yj_code"], kind="stable").drop_duplicates("key")
                .rename(columns={"product_name": "generic_name", "price": "generic_price"})
                .drop(columns="yj_code"))
    target = latest["generic_info"].isin(products["target_codes"]["value"]).fillna(False).to_numpy(dtype=bool)
    product = (latest.loc[target, ["yj_code", "product_name", "price", "generic_info", "ingredient", "strength", "key"]]
               .rename(columns={"product_name": "brand_name", "price": "brand_price"})
               .merge(cheapest, on="key", how="left"))
    product["unit"] = _units(product["strength"].astype("string")).to_numpy()
    chosen = lines["yj_code"].isin(product["yj_code"]).fillna(False).to_numpy(dtype=bool)
    out = lines.loc[chosen].merge(product, on="yj_code", how="left").reset_index(drop=True)
    return out.assign(generic_price=out["generic_price"].astype("float64"))


def price_lines(lines: pd.DataFrame, rules: Mapping[str, Any], birth: np.ndarray, month: str) -> pd.DataFrame:
    """The lines with quantity (qty), 自己負担割合 (share, share_basis, share_estimated) and the rounded 円
    amounts after it (brand_cost, generic_cost, line_difference)."""
    share, basis, estimated = copay_shares(lines["receipt_kind"], birth, month, rules["share"])
    priced = lines.assign(qty=line_quantity(lines), share=share, share_basis=basis.to_numpy(),
                          share_estimated=estimated)
    brand_cost, generic_cost, difference = _costs(priced)
    return priced.assign(brand_cost=brand_cost, generic_cost=generic_cost, line_difference=difference)


def copay_shares(receipt_kind: pd.Series, birth: np.ndarray, month: str, table: Mapping[str, Any]
                 ) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """自己負担割合 per line from the レセプト種別's 4th digit; a blank or unknown kind is estimated from the age
    in the month (未就学 2割 until the 31 March after the 6th birthday; 高齢受給者 2割 from the month after
    the 70th birthday's eve; else 3割). Returns (share, basis text, estimated flag)."""
    kind = receipt_kind.astype("string").str.strip().reset_index(drop=True)
    digit = kind.where(kind.str.fullmatch(r"\d{4}").fillna(False)).str[3]
    share = np.full(len(kind), np.nan)
    label = pd.Series(pd.NA, index=kind.index, dtype="string")
    for entry in table["by_kind_digit"]:
        hit = digit.isin(entry["digits"]).fillna(False).to_numpy(dtype=bool)
        share[hit] = float(entry["share"])
        label[hit] = "レセプト種別 " + kind[hit] + f"（{entry['label']}）"
    estimated = np.isnan(share)
    start = pd.Timestamp(int(month[:4]), int(month[4:6]), 1)
    births = pd.Series(pd.to_datetime(birth), index=kind.index)
    preschool = _preschool(births, start)
    elderly = _elderly(births, start, int(table["elderly_from_age"]))
    guess = np.select([preschool, elderly], [float(table["preschool_share"]), float(table["elderly_share"])],
                      float(table["default_share"]))
    guess_label = np.select([preschool, elderly], ["未就学者", f"{table['elderly_from_age']}歳以上の高齢受給者（一般）"],
                            "本人・家族")
    share = np.where(estimated, guess, share)
    label = label.where(~estimated, pd.Series(guess_label, index=kind.index, dtype="string")
                        + "として推定（レセプト種別が空欄）")
    return share, label, estimated


def exclusion_reasons(lines: pd.DataFrame, rules: Mapping[str, Any], params: Mapping[str, Any]) -> pd.Series:
    """Why each 先発品 line does not count (first rule that applies), INCLUDED when it counts."""
    groups = rules["exclusions"]
    yj = lines["yj_code"].astype("string").fillna("")
    kind = lines["receipt_kind"].astype("string").fillna("")
    public = ((lines["public_expense"].astype("Int8") == 1).fillna(False).to_numpy(dtype=bool)
              | kind.str.fullmatch(r"\d2\d\d|\d1[2-5]\d").fillna(False).to_numpy(dtype=bool))
    days = lines["days"].astype("Int64")
    short = (days < int(params["min_days"])).fillna(False).to_numpy(dtype=bool)

    def drug_class(name: str) -> np.ndarray:
        spec = groups[name]
        hit = yj.str.startswith(tuple(spec["yj_prefixes"])).to_numpy(dtype=bool)
        if "ingredients" in spec:
            ingredient = lines["ingredient"].astype("string").fillna("")
            hit &= ingredient.str.contains("|".join(spec["ingredients"]), regex=True).to_numpy(dtype=bool)
        return hit

    difference = lines["line_difference"].to_numpy(dtype="float64")
    conditions = [
        (bool(params["exclude_public_expense"]) & public, pd.Series("公費併用", index=lines.index)),
        (bool(params["exclude_short_prescriptions"]) & short,
         "短期処方（" + days.astype("string").fillna("") + f"日 < {params['min_days']}日）"),
        (bool(params["exclude_antineoplastics"]) & drug_class("antineoplastics"),
         pd.Series(groups["antineoplastics"]["label"], index=lines.index)),
        (bool(params["exclude_immunosuppressants"]) & drug_class("immunosuppressants"),
         pd.Series(groups["immunosuppressants"]["label"], index=lines.index)),
        (bool(params["exclude_psychotropics"]) & drug_class("psychotropics"),
         pd.Series(groups["psychotropics"]["label"], index=lines.index)),
        (np.isnan(lines["generic_price"].to_numpy(dtype="float64")),
         pd.Series("同じ成分・規格・剤形の後発品がマスターにない", index=lines.index)),
        (difference <= 0, pd.Series("後発品との差額なし", index=lines.index)),
    ]
    reason = pd.Series(INCLUDED, index=lines.index, dtype="string")
    decided = np.zeros(len(lines), dtype=bool)
    for hit, text in conditions:
        now = hit & ~decided
        reason[now] = text[now]
        decided |= now
    return reason


def _costs(lines: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(brand_cost, generic_cost, difference) per line in whole 円 after the 自己負担割合, rounded down so that
    brand_cost − generic_cost = difference; 0 where no 後発品 compares."""
    qty_share = lines["qty"].to_numpy(dtype="float64") * lines["share"].to_numpy(dtype="float64")
    brand = lines["brand_price"].to_numpy(dtype="float64")
    gap = brand - lines["generic_price"].to_numpy(dtype="float64")
    difference = np.nan_to_num(np.floor(gap * qty_share + _EPSILON), nan=0.0)
    brand_cost = np.nan_to_num(np.floor(brand * qty_share + _EPSILON), nan=0.0)
    return brand_cost, brand_cost - difference, difference


def _member_totals(brand: pd.DataFrame, pop: pd.DataFrame, month: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """One row per member with a 先発品 line: total 差額 of the counted lines, age in the month, target flag."""
    counted = (brand["reason"] == INCLUDED).to_numpy(dtype=bool)
    rows = brand["pop_row"].to_numpy()
    members, where = np.unique(rows, return_inverse=True)
    total = np.bincount(where, weights=brand["difference"].to_numpy(), minlength=len(members)).astype("int64")
    counted_lines = np.bincount(where, weights=counted, minlength=len(members)).astype("int64")
    age = _age_on(pd.Series(pd.to_datetime(pop["birth_date"].to_numpy()[members])),
                  pd.Timestamp(int(month[:4]), int(month[4:6]), 1))
    senior = (bool(params["senior_any_difference"]) & (age >= int(params["senior_age_from"]))
              & (age <= int(params["senior_age_to"])) & (total > 0))
    return pd.DataFrame({"pop_row": members, "total": total, "counted": counted_lines, "age": age,
                         "by_amount": total >= int(params["min_difference_yen"]), "senior": senior,
                         "target": (total >= int(params["min_difference_yen"])) | senior})


def _targets(totals: pd.DataFrame, brand: pd.DataFrame, pop: pd.DataFrame, inputs: ProgramInputs,
             context: Mapping[str, Any]) -> pd.DataFrame:
    """CANDIDATE_COLUMNS for the members at or over the threshold, largest 差額 first."""
    frame = empty_candidates_frame()
    if totals.empty:
        return frame
    params, rules = context["params"], context["rules"]
    ordered = totals.sort_values(["total", "pop_row"], ascending=[False, True], kind="stable")
    ids = pop.index[ordered["pop_row"].to_numpy()]
    no_address = address_missing(inputs.members, ids)
    lines_of = _member_records(brand[brand["pop_row"].isin(ordered["pop_row"]).to_numpy()])
    rule_text = rules["products"]["comparison_rule"]["value"]
    tiers, reasons, explanations, values, warnings = [], [], [], [], []
    for member, no_addr in zip(ordered.itertuples(index=False), no_address, strict=True):
        lines = lines_of[member.pop_row]
        counted = [line for line in lines if line["reason"] == INCLUDED]
        main = counted[0]
        tiers.append(f"差額{int(params['min_difference_yen'])}円以上" if member.by_amount
                     else "前期高齢者・差額あり")
        reasons.append(f"差額 {member.total:,}円/月（先発品{len(counted)}品目）")
        explanations.append(_explanation(member, lines, main, context, rule_text))
        values.append({
            "month": month_label(context["month"]),
            "share": float(main["share"]),
            "drugs": [_drug_value(line) for line in counted],
            "total_difference": int(member.total),
            "comparison_rule": rule_text,
        })
        notes = [ADDRESS_WARNING] if no_addr else []
        if any(line["share_estimated"] for line in counted):
            notes.append(f"自己負担割合を推定: {main['share_basis']}")
        warnings.append(tuple(notes))
    return ranked_candidates(ids, tiers, reasons, explanations, values, warnings)


def _member_records(lines: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """Each member's lines as plain dicts, counted lines first by 差額 (largest first), then the others in
    claim order: building thousands of letters from dicts is far faster than from per-member frames."""
    ordered = lines.assign(left_out=(lines["reason"] != INCLUDED).to_numpy()).sort_values(
        ["pop_row", "left_out", "difference", "line_id"], ascending=[True, True, False, True], kind="stable")
    out: dict[int, list[dict[str, Any]]] = {}
    for record in ordered[["pop_row", "reason", "brand_name", "brand_price", "generic_name", "generic_price", "qty",
                           "unit", "share", "share_basis", "share_estimated", "brand_cost", "generic_cost",
                           "difference"]].to_dict("records"):
        out.setdefault(int(record["pop_row"]), []).append(record)
    return out


def _explanation(member: Any, lines: list[dict[str, Any]], main: dict[str, Any], context: Mapping[str, Any],
                 rule_text: str) -> tuple[str, ...]:
    params = context["params"]
    text = [f"{month_label(context['month'])}診療分の{context['kinds']}レセプトの医薬品明細から計算"
            f"（医薬品マスター {context['version']}）。"]
    for line in lines:
        if line["reason"] != INCLUDED:
            continue
        brand, generic = _yen(line["brand_price"]), _yen(line["generic_price"])
        text.append(f"{line['brand_name']} {brand}円 → {line['generic_name']} {generic}円: ({brand}−{generic})円 × "
                    f"{_number(line['qty'])}{line['unit']} × {_share_text(line['share'])} = "
                    f"{int(line['difference']):,}円（円未満切り捨て）")
    text.append(f"自己負担割合 {_share_text(main['share'])}: {main['share_basis']}。")
    minimum = int(params["min_difference_yen"])
    if member.by_amount:
        text.append(f"1か月の差額合計 {member.total:,}円: 基準 {minimum:,}円以上に該当（データヘルス計画 §3.4.1）。")
    else:
        text.append(f"{member.age}歳（前期高齢者 {params['senior_age_from']}〜{params['senior_age_to']}歳）で"
                    f"差額合計 {member.total:,}円 > 0円: 前期高齢者は差額があれば通知（データヘルス計画 §3.4.1）。"
                    f" {minimum:,}円以上の基準には届きません。")
    text.append(rule_text)
    text += [f"計算に含めない薬: {line['brand_name']}（{line['reason']}）" for line in lines
             if line["reason"] != INCLUDED]
    return tuple(text)


def _excluded(totals: pd.DataFrame, brand: pd.DataFrame, pop: pd.DataFrame, inputs: ProgramInputs) -> pd.DataFrame:
    """Members whose every 先発品 line was set aside by an exclusion rule, with the reasons."""
    frame = empty_candidates_frame(excluded=True)
    none_counted = totals[totals["counted"] == 0]
    if none_counted.empty:
        return frame
    chosen = brand[brand["pop_row"].isin(none_counted["pop_row"]).to_numpy()].sort_values(["pop_row", "line_id"])
    by_member: dict[int, list[tuple[str, str]]] = {}
    for row, name, reason in zip(chosen["pop_row"].tolist(), chosen["brand_name"].tolist(), chosen["reason"].tolist(),
                                 strict=True):
        by_member.setdefault(row, []).append((name, reason))
    rows = list(by_member)
    reasons = ["・".join(dict.fromkeys(reason for _, reason in lines)) for lines in by_member.values()]
    explanations = [tuple(f"計算に含めない薬: {name}（{reason}）" for name, reason in lines)
                    for lines in by_member.values()]
    ids = pop.index[np.asarray(rows, dtype="int64")]
    no_address = address_missing(inputs.members, ids)
    return pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "tier": pd.array([""] * len(ids), dtype="string"),
        "rank": pd.array([pd.NA] * len(ids), dtype="Int64"),
        "reason": pd.array(["先発品の処方はすべて除外条件に該当"] * len(ids), dtype="string"),
        "explanation": pd.Series(explanations, dtype=object),
        "values": pd.Series([{} for _ in ids], dtype=object),
        "warnings": pd.Series([(ADDRESS_WARNING,) if m else () for m in no_address],
                              dtype=object),
        "exclusion_reason": pd.array(reasons, dtype="string"),
    })


def _status(brand: pd.DataFrame, totals: pd.DataFrame, params: Mapping[str, Any]) -> pd.Series:
    """対象/除外理由 of each detail line: 対象, the line's exclusion, or 基準未満 for a member under the threshold."""
    target = pd.Series(totals["target"].to_numpy(), index=totals["pop_row"].to_numpy())
    total = pd.Series(totals["total"].to_numpy(), index=totals["pop_row"].to_numpy())
    rows = brand["pop_row"].to_numpy()
    amount = pd.Series(total.loc[rows].to_numpy(), index=brand.index).map("{:,}".format).astype("string")
    below = "基準未満（月の差額合計 " + amount + f"円 < {int(params['min_difference_yen']):,}円）"
    status = brand["reason"].where(brand["reason"] != INCLUDED, below)
    return status.where(~((brand["reason"] == INCLUDED).to_numpy() & target.loc[rows].to_numpy()), "対象")


def _detail_frame(brand: pd.DataFrame, pop: pd.DataFrame, month: str) -> pd.DataFrame:
    ordered = brand.sort_values(["pop_row", "line_id"], kind="stable")
    frame = pd.DataFrame({
        "member_id": pd.array(pop.index[ordered["pop_row"].to_numpy()], dtype="string"),
        "month": pd.array([month_label(month)] * len(ordered), dtype="string"),
        "brand_name": ordered["brand_name"].to_numpy(),
        "brand_price": ordered["brand_price"].to_numpy(dtype="float64"),
        "quantity": ordered["qty"].to_numpy(dtype="float64"),
        "generic_name": ordered["generic_name"].to_numpy(),
        "generic_price": ordered["generic_price"].to_numpy(dtype="float64"),
        "share": ordered["share"].to_numpy(dtype="float64"),
        "difference": ordered["difference"].to_numpy(dtype="float64").astype("int64"),
        "status": ordered["status"].to_numpy(),
    })
    return frame.rename(columns=DETAIL_HEADERS)


def _drug_value(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "brand_name": str(line["brand_name"]), "brand_price": float(line["brand_price"]),
        "quantity": float(line["qty"]), "unit": str(line["unit"]), "generic_name": str(line["generic_name"]),
        "generic_price": float(line["generic_price"]), "brand_cost": int(line["brand_cost"]),
        "generic_cost": int(line["generic_cost"]), "difference": int(line["difference"]),
    }


def _group_keys(master: pd.DataFrame, length: int) -> np.ndarray:
    """同じ成分・規格・剤形 key of each master row: the 薬価基準コード's first `length` characters and the 規格."""
    return (master["yj_code"].astype("string").str[:length] + "|"
            + master["strength"].astype("string").fillna("")).to_numpy(dtype=object)


def _units(strength: pd.Series) -> pd.Series:
    """The 規格単位 a quantity counts in (「５ｍｇ１錠」 → 錠); the whole 規格 when it has no 「1 単位」 part."""
    unit = strength.str.extract(_UNIT, expand=False).str.strip()
    return unit.fillna(strength).fillna("")


def _age_on(birth: pd.Series, day: pd.Timestamp) -> np.ndarray:
    """Completed years on `day` (誕生日で加齢), as int64; unknown birth → -1."""
    years = day.year - birth.dt.year - ((birth.dt.month * 100 + birth.dt.day) > day.month * 100 + day.day)
    return years.fillna(-1).to_numpy(dtype="int64")


def _preschool(birth: pd.Series, month_start: pd.Timestamp) -> np.ndarray:
    """未就学者: the month starts on or before the first 31 March after 6歳に達する日 (the 6th birthday's eve)."""
    reached = birth + pd.DateOffset(years=6) - pd.Timedelta(days=1)
    last_march = reached.dt.year + (reached.dt.month > 3)
    return (month_start.year * 12 + month_start.month <= last_march * 12 + 3).fillna(False).to_numpy(dtype=bool)


def _elderly(birth: pd.Series, month_start: pd.Timestamp, from_age: int) -> np.ndarray:
    """高齢受給者: from the month after the month of 70歳に達する日 (the birthday's eve)."""
    reached = birth + pd.DateOffset(years=from_age) - pd.Timedelta(days=1)
    month_index = month_start.year * 12 + month_start.month
    return (reached.dt.year * 12 + reached.dt.month < month_index).fillna(False).to_numpy(dtype=bool)


def _criterion_label(params: Mapping[str, Any]) -> str:
    label = f"差額 {int(params['min_difference_yen']):,}円以上"
    if params["senior_any_difference"]:
        label += f"（{params['senior_age_from']}〜{params['senior_age_to']}歳は差額あり）"
    return label


def _version_label(master: pd.DataFrame) -> str:
    if master.empty or "version_date" not in master or master["version_date"].isna().all():
        return "版不明"
    return f"{pd.Timestamp(master['version_date'].max()):%Y-%m-%d}版"


def _yen(price: float) -> str:
    return f"{price:,.2f}".rstrip("0").rstrip(".")


def _number(value: float) -> str:
    return f"{value:,.5f}".rstrip("0").rstrip(".")


def _share_text(share: float) -> str:
    return f"{share * 10:g}割"
