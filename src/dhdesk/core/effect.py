"""Effect measurement (効果測定) of notices: 受診率 after a letter, 切替率 and 削減効果額 after 差額通知.

Definitions (docs/effect.md says the same for the clerk):

- **Window.** Claims are monthly (診療年月, no day), so a claim of the month the letter was sent cannot
  be told apart from a visit before it arrived. The window is therefore the `months_after` whole
  months *after* the month of the notice date: sent 2025-06-15 with N = 3 → 診療月 2025-07 … 2025-09.
  The notice month itself is never counted (conservative: it can only lower the rate).
- **受診率 (visit rate).** Share of people with a related claim in their window: a diagnosis whose
  ICD-10 starts with one of the program's prefixes, or a drug line whose 薬価基準コード starts with one
  of its 薬効分類 prefixes. The same count is made for the comparison group — members who met the
  criteria but were not sent a letter (held back at random, or excluded by a rule or the clerk) —
  from the same date. Only a random hold-out is a fair comparison; excluded members differ by the
  reason they were excluded (RULES.md §4.4: vendors compare with a control or the same months a year
  before). People whose window ends after the last claim month loaded are counted but flagged.
- **切替 (switch, 呉市国保 format, RULES.md §4.4).** A notified brand line is switched when the same
  member is later dispensed a generic (後発医薬品情報 3 or ★, as the 数量シェア counts it) of the same
  成分・規格 group — the first 9 characters of the 薬価基準コード (RULES.md §4.1c) — in a month after the
  notice month. Per month: 通知者数(累計, 同一人1件) = people notified before that month; 切替者数(累計) =
  of those, people with a switched line in any month up to it (switching back later does not undo it).
- **削減効果額 (saving).** For every switched line of the month: (先発薬価 − 後発薬価) × 数量, with both
  prices from the master in force that month (the notified brand's price from the letter when the
  brand is no longer listed) and 数量 = 使用量 × 日数 as in the 数量シェア. This is the drug-cost (薬剤費,
  10割) reduction, which is what 呉市 reports; the insurer's part is the same × (1 − 自己負担割合) with
  the 自己負担割合 printed on the member's letter. A ★ generic dearer than its brand gives a negative
  saving, kept as is. 調剤料・技術料 are not part of the saving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.analyses.claims_base import month_numbers, percent, positions, setting
from dhdesk.core.programs import master_for_month
from dhdesk.core.programs.common import factorised, prefixed

NOTIFIED = "通知"
TOTAL = "合計"
GROUP_KEY_LENGTH = 9
"""成分・規格 group = the first 9 characters of the 薬価基準コード (RULES.md §4.1c)."""


@dataclass(frozen=True)
class RelatedCodes:
    """The claims that answer a notice: ICD-10 prefixes of diagnoses and 薬効分類 prefixes of YJ codes.

    Codes compare without dots and case (「E11.2」 matches 「E112」 and 「e11.21」), as the program rule
    files state; a 疑い diagnosis counts too (the member saw a doctor about it).
    """

    icd10: tuple[str, ...] = ()
    drug_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EffectTable:
    """受診率 per tier for the notified and the comparison group, and the people behind it.

    `table` columns: 区分, 通知者数, 受診者数, 受診率(%), 比較群人数, 比較群受診者数, 比較群受診率(%), 差(ポイント).
    `by_group` has one row per group (通知, and each kind of comparison: ホールドアウト, 除外…) with 人数,
    受診者数, 受診率(%). `people` has one row per person: member_id, group, tier, start_date, window_from,
    window_to (yyyymm), first_month (yyyymm of the first related claim in the window, or NA), visited,
    complete (False when the window ends after the last claim month loaded).
    """

    table: pd.DataFrame
    by_group: pd.DataFrame
    people: pd.DataFrame
    months_after: int
    observed_until: str | None


@dataclass(frozen=True)
class SwitchTable:
    """The monthly cumulative 切替 table and the switched lines behind it.

    `table` columns: 診療月 (YYYY-MM), 通知者数(累計), 切替者数(累計), 切替率(%), 削減効果額(円),
    削減効果額累計(円), 保険者負担分削減額(円). `lines` has one row per switched generic line: member_id,
    service_month, brand_yj_code, yj_code, quantity (使用量 × 日数), brand_price, generic_price, saving,
    insurer_saving. `unresolved` counts notified drugs whose brand could not be found in the master.
    """

    table: pd.DataFrame
    lines: pd.DataFrame
    unresolved: int


def visit_rate(
    notices: pd.DataFrame,
    comparison: pd.DataFrame,
    receipts: pd.DataFrame,
    diagnoses: pd.DataFrame,
    drug_lines: pd.DataFrame,
    related: RelatedCodes,
    months_after: int,
) -> EffectTable:
    """受診率 of notified members beside the comparison group, per tier (see the module definitions).

    `notices`: member_id, tier, start_date (the notice date); `comparison`: member_id, tier, group (e.g.
    「ホールドアウト」, 「除外（職員判断）」) and start_date (the batch's notice date). `receipts` gives the
    last claim month loaded; `diagnoses` (member_id, service_month, icd10) and `drug_lines` (member_id,
    service_month, yj_code) the related claims.
    """
    people = pd.concat([
        notices[["member_id", "tier", "start_date"]].assign(group=NOTIFIED),
        comparison[["member_id", "tier", "group", "start_date"]],
    ], ignore_index=True)
    people = people.astype({"member_id": "string", "tier": "string", "group": "string"})
    start = month_numbers(people["start_date"].dt.strftime("%Y%m").astype("string"))
    first, last = start + 1, start + months_after
    members = pd.Index(people["member_id"].unique())
    hit_member, hit_month = _related_claims(diagnoses, drug_lines, related, members)
    first_hit = _first_in_window(positions(people["member_id"], members), first, last, hit_member, hit_month)
    observed = receipts["service_month"].dropna()
    observed_until = str(observed.max()) if len(observed) else None
    until = int(month_numbers(pd.Series([observed_until], dtype="string"))[0]) if observed_until else -1
    people = people.assign(
        window_from=_yyyymm(first), window_to=_yyyymm(last),
        first_month=pd.array(np.where(first_hit >= 0, _yyyymm(first_hit), None), dtype="string"),
        visited=first_hit >= 0, complete=last <= until,
    )
    return EffectTable(_tier_table(people), _group_table(people), people, months_after, observed_until)


def generic_switch(
    notices_content: pd.DataFrame, drug_lines: pd.DataFrame, drug_masters: pd.DataFrame, months: int
) -> SwitchTable:
    """The 呉市-format monthly cumulative table over the `months` after the first notice month.

    `notices_content`: member_id, sent_date and content (the generic letter's values: month, share,
    drugs[{brand_name, brand_price, …, optional brand_yj_code}]). `drug_lines`: member_id,
    service_month, yj_code, quantity, days. `drug_masters`: every master version with version_date.
    """
    sent = notices_content["sent_date"]
    people = pd.DataFrame({"member_id": notices_content["member_id"].astype("string"),
                           "sent_month": (sent.dt.year * 12 + sent.dt.month - 1).astype("int64")})
    people = people.groupby("member_id", as_index=False)["sent_month"].min()
    brands, unresolved = _notified_brands(notices_content, people, drug_masters)
    first_month = int(people["sent_month"].min()) if len(people) else 0
    table_months = np.arange(first_month + 1, first_month + months + 1)
    switched = _switched_lines(brands, drug_lines, drug_masters)
    table = _switch_table(people, switched, table_months)
    return SwitchTable(table, switched, unresolved)


# -- visit rate -----------------------------------------------------------------------------------


def _related_claims(diagnoses: pd.DataFrame, drug_lines: pd.DataFrame, related: RelatedCodes, members: pd.Index
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(position in `members`, month number) of every related diagnosis or drug line of those members."""
    found_member, found_month = [], []
    for frame, column, prefixes in ((diagnoses, "icd10", related.icd10),
                                    (drug_lines, "yj_code", related.drug_classes)):
        member = positions(frame["member_id"], members)
        codes, text = factorised(frame[column])
        hit = (member >= 0) & prefixed(codes, text, prefixes)
        found_member.append(member[hit])
        found_month.append(month_numbers(frame["service_month"][hit]))
    return np.concatenate(found_member), np.concatenate(found_month)


def _first_in_window(member: np.ndarray, first: np.ndarray, last: np.ndarray, hit_member: np.ndarray,
                     hit_month: np.ndarray) -> np.ndarray:
    """Per person (`member` = position of their member id), the earliest related month within [first, last];
    -1 when none."""
    person = pd.DataFrame({"member": member, "first": first, "last": last, "row": np.arange(len(member))})
    hits = pd.DataFrame({"member": hit_member, "month": hit_month})
    joined = person.merge(hits, on="member", how="inner")
    inside = joined[(joined["month"] >= joined["first"]) & (joined["month"] <= joined["last"])]
    earliest = inside.groupby("row")["month"].min()
    out = np.full(len(member), -1, dtype="int64")
    out[earliest.index.to_numpy()] = earliest.to_numpy()
    return out


def _tier_table(people: pd.DataFrame) -> pd.DataFrame:
    tiers = list(dict.fromkeys(people["tier"].fillna("（区分なし）")))
    tier = people["tier"].fillna("（区分なし）")
    notified = (people["group"] == NOTIFIED).to_numpy()
    rows = []
    for label, mask in [(t, (tier == t).to_numpy()) for t in tiers] + [(TOTAL, np.ones(len(people), bool))]:
        sent, other = mask & notified, mask & ~notified
        sent_visits, other_visits = int(people["visited"][sent].sum()), int(people["visited"][other].sum())
        rows.append((label, int(sent.sum()), sent_visits, int(other.sum()), other_visits))
    frame = pd.DataFrame(rows, columns=["区分", "通知者数", "受診者数", "比較群人数", "比較群受診者数"])
    frame.insert(3, "受診率(%)", percent(frame["受診者数"], frame["通知者数"]))
    frame["比較群受診率(%)"] = percent(frame["比較群受診者数"], frame["比較群人数"])
    frame["差(ポイント)"] = np.round(frame["受診率(%)"] - frame["比較群受診率(%)"], 1)
    return frame


def _group_table(people: pd.DataFrame) -> pd.DataFrame:
    grouped = people.groupby("group", sort=False)["visited"].agg(["size", "sum"])
    frame = pd.DataFrame({"群": grouped.index.astype(str), "人数": grouped["size"].to_numpy(),
                          "受診者数": grouped["sum"].to_numpy()})
    frame["受診率(%)"] = percent(frame["受診者数"], frame["人数"])
    return frame


def _yyyymm(month_number: np.ndarray) -> np.ndarray:
    numbers = np.asarray(month_number, dtype="int64")
    return np.char.add((numbers // 12).astype(str), np.char.zfill((numbers % 12 + 1).astype(str), 2))


# -- generic switch -------------------------------------------------------------------------------


def _notified_brands(notices_content: pd.DataFrame, people: pd.DataFrame, drug_masters: pd.DataFrame
                     ) -> tuple[pd.DataFrame, int]:
    """One row per notified brand and member: member_id, sent_month (the member's first notice month),
    share, brand_yj_code, group (first 9 characters), brand_price; and how many brands were not found."""
    rows = []
    in_order = notices_content.sort_values("sent_date", kind="stable")
    for member_id, content in in_order[["member_id", "content"]].itertuples(index=False):
        for drug in content.get("drugs", ()):
            rows.append((member_id, str(content.get("month", "")).replace("-", ""),
                         _number(content.get("share")), drug.get("brand_yj_code"), drug.get("brand_name"),
                         _number(drug.get("brand_price"))))
    brands = pd.DataFrame(rows, columns=["member_id", "claim_month", "share", "brand_yj_code", "brand_name",
                                         "brand_price"]).astype({"member_id": "string"})
    brands["brand_yj_code"] = _resolved_codes(brands, drug_masters)
    unresolved = int(brands["brand_yj_code"].isna().sum())
    brands = brands.dropna(subset=["brand_yj_code"])
    brands["group"] = brands["brand_yj_code"].str[:GROUP_KEY_LENGTH]
    brands = brands.drop_duplicates(["member_id", "group"]).merge(people, on="member_id")
    return brands.reset_index(drop=True), unresolved


def _number(value: object) -> float:
    """A figure from a letter's JSON content; NaN when the letter did not carry it."""
    return np.nan if value is None else float(value)


def _resolved_codes(brands: pd.DataFrame, drug_masters: pd.DataFrame) -> pd.Series:
    """The brand's 薬価基準コード: from the letter when it carries one, else by 品名 in the master in force
    in the letter's claim month (the name the letter printed is the master's 品名)."""
    codes = brands["brand_yj_code"].astype("string")
    for month in brands.loc[codes.isna(), "claim_month"].unique():
        master = master_for_month(drug_masters, month) if len(month) == 6 else drug_masters.iloc[:0]
        by_name = master.drop_duplicates("product_name").set_index("product_name")["yj_code"]
        todo = codes.isna() & (brands["claim_month"] == month)
        codes[todo] = brands.loc[todo, "brand_name"].map(by_name).astype("string")
    return codes


def _switched_lines(brands: pd.DataFrame, drug_lines: pd.DataFrame, drug_masters: pd.DataFrame) -> pd.DataFrame:
    """Generic lines of a notified member and group, dispensed in a month after the member's notice month."""
    columns = ["member_id", "service_month", "brand_yj_code", "yj_code", "quantity", "brand_price",
               "generic_price", "saving", "insurer_saving"]
    notified = positions(drug_lines["member_id"], pd.Index(brands["member_id"].unique())) >= 0
    lines = drug_lines.loc[notified, ["member_id", "service_month", "yj_code", "quantity", "days"]].dropna(
        subset=["member_id", "service_month", "yj_code"]).astype({"member_id": "string", "yj_code": "string"})
    lines = lines.assign(group=lines["yj_code"].str[:GROUP_KEY_LENGTH])
    keys = pd.MultiIndex.from_frame(brands[["member_id", "group"]].astype("string"))
    lines = lines[pd.MultiIndex.from_frame(lines[["member_id", "group"]]).isin(keys)]
    lines = lines.merge(brands[["member_id", "group", "sent_month", "share", "brand_yj_code", "brand_price"]]
                        .astype({"member_id": "string", "group": "string"}), on=["member_id", "group"])
    lines = lines.assign(month=month_numbers(lines["service_month"].astype("string")))
    lines = lines[(lines["month"] > lines["sent_month"]) & (lines["yj_code"] != lines["brand_yj_code"])]
    generic_codes = setting("generic", "generic_codes")
    priced = [lines.iloc[:0].assign(generic_price=0.0)]
    for service_month, month_lines in lines.groupby("service_month", sort=True):
        master = master_for_month(drug_masters, str(service_month)).drop_duplicates("yj_code").set_index("yj_code")
        info = month_lines["yj_code"].map(master["generic_info"])
        month_lines = month_lines[info.isin(generic_codes).to_numpy()]
        brand_now = month_lines["brand_yj_code"].map(master["price"]).astype("float64")
        priced.append(month_lines.assign(
            generic_price=month_lines["yj_code"].map(master["price"]).astype("float64"),
            brand_price=brand_now.fillna(month_lines["brand_price"]),
        ))
    switched = pd.concat(priced, ignore_index=True)
    days = switched["days"].astype("Int64").fillna(1).astype("float64")
    quantity = switched["quantity"].astype("float64").fillna(0.0) * days
    saving = (switched["brand_price"] - switched["generic_price"]) * quantity
    return switched.assign(quantity=quantity, saving=saving, insurer_saving=saving * (1 - switched["share"]))[
        columns].reset_index(drop=True)


def _switch_table(people: pd.DataFrame, switched: pd.DataFrame, table_months: np.ndarray) -> pd.DataFrame:
    notified = people["sent_month"].to_numpy()
    switch_month = month_numbers(switched["service_month"].astype("string")) if len(switched) else np.empty(0, int)
    first_switch = (pd.Series(switch_month, index=switched["member_id"].to_numpy()).groupby(level=0).min()
                    .to_numpy() if len(switched) else np.empty(0, int))
    notified_count = np.array([(notified < m).sum() for m in table_months], dtype="int64")
    switched_count = np.array([(first_switch <= m).sum() for m in table_months], dtype="int64")
    saving = np.array([switched["saving"][switch_month == m].sum() for m in table_months], dtype="float64")
    insurer = np.array([switched["insurer_saving"][switch_month == m].sum() for m in table_months], dtype="float64")
    labels = [f"{m // 12}-{m % 12 + 1:02d}" for m in table_months]
    return pd.DataFrame({
        "診療月": labels,
        "通知者数(累計)": notified_count,
        "切替者数(累計)": switched_count,
        "切替率(%)": percent(switched_count, notified_count),
        "削減効果額(円)": np.round(saving),
        "削減効果額累計(円)": np.round(np.cumsum(saving)),
        "保険者負担分削減額(円)": np.round(insurer),
    })
