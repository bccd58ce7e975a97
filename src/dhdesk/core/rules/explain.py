"""Per-person explanations (理由) of 階層化 and メタボ判定: values, cut-offs, outcome and source.

The wording is decided here once; the GUI member page, table exports and letters print it as is.
The conclusions (risk met or not, level) are read from the `stratify`/`metabo` rows, so the text can
never disagree with the judgement; this module only adds the values and cut-offs behind them.
A cut-off changed by the office is shown with its official value so no override goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from dhdesk.core.fields import CHECKUPS
from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.core.rules import measures
from dhdesk.core.rules.ruleset import RuleSet, Threshold

_VALUES = ("waist", "sbp", "dbp", "tg_fasting", "tg_random", "hdl", "fbg", "hba1c", "rbg")
_CODES = ("sex", "smoking", "med_bp", "med_glucose", "med_lipid")
_STRAT = (
    "fiscal_year", "fy_end_age", "eligible", "step1", "risk_bp", "risk_lipid", "risk_glucose",
    "risk_smoking", "risk_count", "on_medication", "base_level", "level", "missing", "missing_decisive",
)
_METABO = (
    "metabo", "metabo_waist", "metabo_glucose", "metabo_lipid", "metabo_bp", "metabo_risk_count",
    "metabo_missing", "metabo_missing_decisive",
)
_DECIMALS = {name: CHECKUPS.field(name).decimals for name in (*_VALUES, "bmi")}
_MEDICATION = (("med_bp", "血圧"), ("med_glucose", "血糖"), ("med_lipid", "脂質"))
_LABELS = {name: CHECKUPS.field(name).label for name in _CODES}

_CHUNK = 20_000  # rows between progress reports

Part = tuple[str, bool]
"""One tested value of a risk: its text and whether it meets the cut-off."""


def explain_row(
    checkup: Mapping[str, Any], strat: Mapping[str, Any], metabo: Mapping[str, Any] | None, rules: RuleSet
) -> str:
    """The 理由 of one person from a checkup row, its `stratify` row and (optionally) its `metabo` row."""
    facts = _facts(pd.DataFrame([dict(checkup)]))
    row = {name: column[0] for name, column in facts.items()}
    return _Explainer(rules).explain(row, dict(strat), None if metabo is None else dict(metabo))


def reasons(
    checkups: pd.DataFrame,
    strat: pd.DataFrame,
    metabo: pd.DataFrame | None,
    rules: RuleSet,
    progress: ProgressFn = no_progress,
) -> pd.Series:
    """The 理由 of every row (index aligned).

    A Python loop over prepared lists (about 20 µs a row, see bench_rules), so it reports progress.
    """
    facts = _facts(checkups)
    columns = facts | {name: strat[name].tolist() for name in _STRAT}
    if metabo is not None:
        columns |= {name: metabo[name].tolist() for name in _METABO}
    explainer = _Explainer(rules)
    names = list(columns)
    texts = []
    for i, values in enumerate(zip(*columns.values(), strict=True)):
        if i % _CHUNK == 0:
            progress(i / max(len(checkups), 1), "判定理由を作成しています")
        row = dict(zip(names, values, strict=True))
        texts.append(explainer.explain(row, row, row if metabo is not None else None))
    progress(1.0, "判定理由を作成しました")
    # object dtype: converting 300k long Japanese texts to the arrow string dtype costs ~2 s
    return pd.Series(texts, index=checkups.index, dtype=object)


def _facts(checkups: pd.DataFrame) -> dict[str, list[Any]]:
    """The values the rules saw (rounded), as Python lists for fast row access."""
    facts = {name: measures.measured(checkups, name).tolist() for name in _VALUES}
    facts |= {name: measures.numbers(checkups, name).tolist() for name in _CODES}
    bmi, computed = measures.bmi(checkups)
    facts["bmi"], facts["bmi_computed"] = bmi.tolist(), computed.tolist()
    facts["birth"] = measures.ymd(checkups, "birth_date").tolist()
    facts["exam"] = measures.ymd(checkups, "exam_date").tolist()
    return facts


def _absent(value: Any) -> bool:
    return value is None or value is pd.NA or value != value


def _tri(value: Any) -> bool | None:
    return None if _absent(value) else bool(value)


def _date(ymd: float) -> str:
    n = int(ymd)
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


class _Explainer:
    """Builds the sentences for one rule set; each call records the thresholds it cites in `used`."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.t = {t.id: t for t in rules.thresholds}
        self.short = {s.key: s.short for s in rules.sources}
        self.cutoffs = {(t.id, unit): self._cutoff(t, unit) for t in rules.thresholds for unit in (False, True)}
        self.symbols = {t.id: (t.comparison.symbol, t.comparison.negated_symbol) for t in rules.thresholds}
        self.citations: dict[tuple[str, ...], str] = {}

    def explain(self, f: Mapping[str, Any], s: Mapping[str, Any], m: Mapping[str, Any] | None) -> str:
        text = "保健指導: " + self.stratification(f, s)
        if m is not None:
            text += " ／ メタボ: " + self.metabo(f, m)
        return text

    # ── shared pieces ────────────────────────────────────────────────────────

    def cutoff(self, t: Threshold, unit: bool = False) -> str:
        return self.cutoffs[t.id, unit]

    @staticmethod
    def _cutoff(t: Threshold, unit: bool) -> str:
        if t.overridden:
            return f"{t.cutoff(unit)}(事務所設定; 公式 {t.number(t.official)})"
        return t.cutoff(unit)

    def part(self, label: str, f: Mapping[str, Any], item: str, rule_id: str, used: list[Threshold]) -> Part:
        """「収縮期 135 ≥ 130」 and whether it is met; 「拡張期 未測定」 when missing."""
        value = f[item]
        if value != value:
            return f"{label} 未測定", False
        t = self.t[rule_id]
        used.append(t)
        unit = item == "waist"
        met = bool(t.holds(value))
        symbol = self.symbols[rule_id][0 if met else 1]
        shown = f"{value:.{_DECIMALS[item]}f}{t.unit if unit else ''}"
        return f"{label} {shown} {symbol} {self.cutoffs[rule_id, unit]}", met

    def waist(self, f: Mapping[str, Any], prefix: str, used: list[Threshold]) -> str:
        male, female = f"{prefix}.male", f"{prefix}.female"
        sex = f["sex"]
        if sex in (1, 2):
            return self.part("腹囲", f, "waist", male if sex == 1 else female, used)[0]
        if f["waist"] != f["waist"]:
            return "腹囲 未測定(性別なし)"
        both = (self.t[male], self.t[female])
        used += both
        met = [bool(t.holds(f["waist"])) for t in both]
        tests = [f"{self.symbols[t.id][0 if m else 1]} {self.cutoff(t, True)}" for t, m in zip(both, met)]
        verdict = "性別なし" if met[0] == met[1] else "性別なしのため不明"
        return f"腹囲 {f['waist']:.1f}cm " + ", ".join(tests) + f"({verdict})"

    @staticmethod
    def risk(name: str, state: bool | None, parts: list[Part]) -> str:
        """A risk: the parts that meet it, or every part under 該当なし / 不明."""
        if state:
            return f"{name} " + ", ".join(text for text, met in parts if met)
        word = "該当なし" if state is False else "不明"
        return f"{name} {word}(" + ", ".join(text for text, _ in parts) + ")"

    def medication(self, f: Mapping[str, Any], item: str, rule_id: str, used: list[Threshold]) -> list[Part]:
        """The 服薬 part of a メタボ risk: shown when taking (it counts) or unanswered (it could)."""
        label = _LABELS[item]
        if f[item] != f[item]:
            return [(f"{label} 未回答", False)]
        t = self.t[rule_id]
        if t.holds(f[item]):
            used.append(t)
            return [(f"{label} はい(服薬中)", True)]
        return []

    def cite(self, used: list[Threshold]) -> str:
        """「 [第4期 R6プログラム p.47; 告示第8号]」: the sources of the cited thresholds, each once."""
        key = tuple(t.source for t in used)
        if key not in self.citations:
            shorts = dict.fromkeys(self.short[source] for source in key)
            self.citations[key] = f" [{self.rules.short_title} " + "; ".join(shorts) + "]" if key else ""
        return self.citations[key]

    @staticmethod
    def missing_note(level: str, missing: tuple[str, ...], decisive: tuple[str, ...]) -> str:
        if level == "判定不能" and decisive:
            return f" → 判定不能(未測定のため判定不能: {', '.join(decisive)})"
        if missing:
            return f"; 未測定(判定に影響なし): {', '.join(missing)}"
        return ""

    # ── 階層化 ───────────────────────────────────────────────────────────────

    def stratification(self, f: Mapping[str, Any], s: Mapping[str, Any]) -> str:
        used: list[Threshold] = []
        outside = self.outside(f, s, used)
        if outside is not None:
            return outside + self.cite(used)
        level = s["level"]
        note = self.missing_note(level, s["missing"], s["missing_decisive"])
        text = self.reaching_upper_age(f, s, used)
        if _tri(s["on_medication"]):
            taking = []
            for item, name in _MEDICATION:
                exclusion = self.t[f"hokenshido.exclude.{item}"]
                if exclusion.holds(f[item]):
                    taking.append(name)
                    used.append(exclusion)
            return text + f"服薬中({'・'.join(taking)}) → 情報提供(特定保健指導の対象外)" + note + self.cite(used)

        segments, stated = self.steps(f, s, used)
        if _tri(s["on_medication"]) is None:
            unanswered = "・".join(name for item, name in _MEDICATION if f[item] != f[item])
            segments.append(f"服薬 未回答({unanswered})")
        text += "; ".join(segments)
        if level not in ("判定不能", stated):
            text += f" → {level}"
        return text + note + self.cite(used)

    def steps(self, f: Mapping[str, Any], s: Mapping[str, Any], used: list[Threshold]) -> tuple[list[str], str | None]:
        """Steps 1–3 and the 65歳 rule as sentences, and the last level they state."""
        step1 = None if _absent(s["step1"]) else s["step1"]
        waist = self.waist(f, "hokenshido.step1.waist", used)
        if step1 == "腹囲":
            segments = [f"{waist} → ステップ1 腹囲"]
        else:
            bmi, _ = self.part("BMI", f, "bmi", "hokenshido.step1.bmi", used)
            if f["bmi_computed"]:
                bmi += "(体重/身長²)"
            outcome = {"BMI": "BMI", "なし": "該当なし"}.get(step1, "未確定")
            segments = [f"{waist}, {bmi} → ステップ1 {outcome}"]
        if step1 == "なし":
            segments[-1] += " → 情報提供"
            return segments, "情報提供"

        segments += self.risks(f, s, used)
        count, base = s["risk_count"], s["base_level"]
        segments[-1] += " → リスク数 未確定" if _absent(count) else f" → リスク{count}"
        if _absent(base):
            return segments, None
        segments[-1] += f" → {base}"
        used.append(self.t[f"hokenshido.step3.{'waist' if step1 == '腹囲' else 'bmi'}.active"])
        senior = self.t["hokenshido.age.senior"]
        if base == "積極的支援" and senior.holds(s["fy_end_age"]):
            used.append(senior)
            age = f"年度末年齢 {s['fy_end_age']}歳 {senior.comparison.symbol} {self.cutoff(senior)}"
            segments.append(f"{age} → 動機付け支援")
            return segments, "動機付け支援"
        return segments, base

    def outside(self, f: Mapping[str, Any], s: Mapping[str, Any], used: list[Threshold]) -> str | None:
        """The sentence for a row outside 階層化 (対象外, or no date to decide), else None."""
        eligible = _tri(s["eligible"])
        if eligible:
            return None
        if eligible is None:
            absent = "・".join(name for key, name in (("birth", "生年月日"), ("exam", "健診日")) if f[key] != f[key])
            return f"{absent}なし → 判定不能"
        fy, exam, age = int(s["fiscal_year"]), f["exam"], s["fy_end_age"]
        if exam == exam and not fy * 10000 + 401 <= exam <= (fy + 1) * 10000 + 331:
            return f"健診日が年度外({_date(exam)}; {fy}年度 = {fy}-04-01〜{fy + 1}-03-31) → 対象外"
        lower, upper = self.t["hokenshido.age.lower"], self.t["hokenshido.age.upper"]
        if not lower.holds(age):
            used.append(lower)
            return f"年度末年齢 {age}歳 {lower.comparison.negated_symbol} {self.cutoff(lower)} → 対象外"
        used.append(upper)
        if age == upper.value:
            return (
                f"年度末年齢 {age}歳, {upper.number(upper.value)}歳の誕生日以後の健診"
                f"(生年月日 {_date(f['birth'])}, 健診日 {_date(exam)}) → 対象外"
            )
        return f"年度末年齢 {age}歳 {upper.comparison.negated_symbol} {self.cutoff(upper)} → 対象外"

    def reaching_upper_age(self, f: Mapping[str, Any], s: Mapping[str, Any], used: list[Threshold]) -> str:
        """Those reaching 75 within the year are in only because they were examined before that birthday."""
        upper = self.t["hokenshido.age.upper"]
        if s["fy_end_age"] != upper.value:
            return ""
        used.append(upper)
        return (
            f"年度末年齢 {s['fy_end_age']}歳, {upper.number(upper.value)}歳の誕生日より前の健診"
            f"(生年月日 {_date(f['birth'])}, 健診日 {_date(f['exam'])}) → 対象; "
        )

    def risks(self, f: Mapping[str, Any], s: Mapping[str, Any], used: list[Threshold]) -> list[str]:
        """Step 2: ① 血圧 ② 脂質 ③ 血糖 ④ 喫煙, with the value each decision rests on."""
        bp = [
            self.part("収縮期", f, "sbp", "hokenshido.risk.bp.sbp", used),
            self.part("拡張期", f, "dbp", "hokenshido.risk.bp.dbp", used),
        ]
        if f["tg_fasting"] == f["tg_fasting"]:
            tg = self.part("空腹時中性脂肪", f, "tg_fasting", "hokenshido.risk.lipid.tg_fasting", used)
        elif f["tg_random"] == f["tg_random"]:
            text, met = self.part("随時中性脂肪", f, "tg_random", "hokenshido.risk.lipid.tg_random", used)
            tg = (text + "(空腹時の値なし)", met)
        else:
            tg = ("中性脂肪 未測定", False)
        lipid = [tg, self.part("HDL", f, "hdl", "hokenshido.risk.lipid.hdl", used)]
        if f["fbg"] == f["fbg"]:
            text, met = self.part("空腹時血糖", f, "fbg", "hokenshido.risk.glucose.fbg", used)
            if f["hba1c"] == f["hba1c"]:
                text += f"(HbA1c {f['hba1c']:.1f} は空腹時血糖を優先して不使用)"
            glucose = (text, met)
        elif f["hba1c"] == f["hba1c"]:
            glucose = self.part("HbA1c", f, "hba1c", "hokenshido.risk.glucose.hba1c", used)
        elif f["rbg"] == f["rbg"]:
            text, met = self.part("随時血糖", f, "rbg", "hokenshido.risk.glucose.rbg", used)
            glucose = (text + "(空腹時血糖・HbA1cなし)", met)
        else:
            glucose = ("空腹時血糖・HbA1c・随時血糖 未測定", False)
        return [
            self.risk("血圧", _tri(s["risk_bp"]), bp),
            self.risk("脂質", _tri(s["risk_lipid"]), lipid),
            self.risk("血糖", _tri(s["risk_glucose"]), [glucose]),
            self.smoking(f, s, used),
        ]

    def smoking(self, f: Mapping[str, Any], s: Mapping[str, Any], used: list[Threshold]) -> str:
        rule = self.t["hokenshido.risk.smoking"]
        if f["smoking"] != f["smoking"]:
            return "喫煙 未回答"
        if not rule.holds(f["smoking"]):
            return "喫煙 なし"
        used.append(rule)
        note = {True: "他のリスクあり", False: "他のリスクなしのため数えない", None: "他のリスク次第"}
        return f"喫煙 はい({note[_tri(s['risk_smoking'])]})"

    # ── メタボ判定 ───────────────────────────────────────────────────────────

    def metabo(self, f: Mapping[str, Any], m: Mapping[str, Any]) -> str:
        used: list[Threshold] = []
        waist = self.waist(f, "metabo.waist", used)
        if _tri(m["metabo_waist"]) is False:
            return f"{waist} → 非該当" + self.cite(used)
        if f["fbg"] == f["fbg"]:
            lab = self.part("空腹時血糖", f, "fbg", "metabo.risk.glucose.fbg", used)
        elif f["rbg"] == f["rbg"]:
            text, met = self.part("随時血糖", f, "rbg", "metabo.risk.glucose.rbg", used)
            lab = (text + "(空腹時血糖なし)", met)
        elif f["hba1c"] == f["hba1c"]:
            text, met = self.part("HbA1c", f, "hba1c", "metabo.risk.glucose.hba1c", used)
            lab = (text + "(血糖の測定なし)", met)
        else:
            lab = ("空腹時血糖・随時血糖・HbA1c 未測定", False)
        glucose = [lab, *self.medication(f, "med_glucose", "metabo.risk.glucose.med", used)]

        lipid = [
            self.part(label, f, item, f"metabo.risk.lipid.{item}", used)
            for item, label in (("tg_fasting", "空腹時中性脂肪"), ("tg_random", "随時中性脂肪"))
            if f[item] == f[item]
        ] or [("中性脂肪 未測定", False)]
        lipid.append(self.part("HDL", f, "hdl", "metabo.risk.lipid.hdl", used))
        lipid += self.medication(f, "med_lipid", "metabo.risk.lipid.med", used)

        bp = [
            self.part("収縮期", f, "sbp", "metabo.risk.bp.sbp", used),
            self.part("拡張期", f, "dbp", "metabo.risk.bp.dbp", used),
            *self.medication(f, "med_bp", "metabo.risk.bp.med", used),
        ]
        segments = [
            waist,
            self.risk("血糖", _tri(m["metabo_glucose"]), glucose),
            self.risk("脂質", _tri(m["metabo_lipid"]), lipid),
            self.risk("血圧", _tri(m["metabo_bp"]), bp),
        ]
        level, count = m["metabo"], m["metabo_risk_count"]
        used.append(self.t["metabo.level.criteria"])
        text = "; ".join(segments) + (" → 項目数 未確定" if _absent(count) else f" → {count}項目")
        if level != "判定不能":
            text += f" → {level}"
        return text + self.missing_note(level, m["metabo_missing"], m["metabo_missing_decisive"]) + self.cite(used)
