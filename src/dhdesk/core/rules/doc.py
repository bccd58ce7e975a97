"""docs/rules.md, written from the shipped rule sets so the documentation shows exactly what runs.

Regenerate with `python -m dhdesk.core.rules.doc > docs/rules.md`; a test checks they agree.
"""

from __future__ import annotations

from dhdesk.core.rules.ruleset import RuleSet, load_ruleset
from dhdesk.core.rules.versions import REFERRAL_RULE_IDS, STRATIFICATION_RULE_IDS

_INTRO = """\
# 判定基準 (rules as implemented)

Generated from `src/dhdesk/resources/rules/*.toml` (`python -m dhdesk.core.rules.doc`). Every cut-off the
program uses is listed with its comparison, its source and how well the source is confirmed
(OK = 公的文書またはその忠実な転記, 2nd = 二次資料のみ, NC = 未確認: 既定値として採用し、変更可能).
Measured values are rounded half-up to the item's recorded precision (docs/formats.md 「小数桁」)
before they are compared.

## 特定保健指導の階層化 (the `dhdesk stratify` contract)

1. 年度末年齢 (age on 31 March at the end of the fiscal year): 40–74 are in scope, and those who reach 75
   during the year when examined before their 75th birthday. Others: 対象外. A checkup dated outside
   the fiscal year: 対象外.
2. Step 1: 腹囲 at or above the cut-off for the sex → (1); otherwise BMI ≥ 25 → (2); otherwise 情報提供.
   BMI is the file's value, else 体重 / 身長² rounded to 0.1.
3. Step 2 risks: ① 血圧 (収縮期 or 拡張期), ② 脂質 (空腹時中性脂肪; only when it was not measured,
   随時中性脂肪; or HDL), ③ 血糖 (空腹時血糖 decides when measured; otherwise HbA1c; only when neither was
   measured, 随時血糖), ④ 喫煙 (はい) counted only with at least one of ①–③.
4. Step 3: (1) with ≥ 2 risks → 積極的支援, 1 → 動機付け支援; (2) with ≥ 3 → 積極的支援, 1–2 → 動機付け支援;
   0 → 情報提供.
5. Step 4: any 服薬 (血圧・血糖・脂質) = はい → 情報提供 (服薬中). 年度末年齢 ≥ 65: 積極的支援 → 動機付け支援.
6. 判定不能 only when the missing items (unmeasured values, unanswered 服薬 or 喫煙) could change the level;
   every completion of the missing items is tried, and when all give the same level that level is
   output and the missing items are listed in 理由 as not affecting it.

## メタボリックシンドローム判定

腹囲 at or above the cut-off is required. Risks: 血糖 (空腹時血糖; without it 随時血糖; with no blood
glucose at all HbA1c) or 服薬_血糖; 脂質 (中性脂肪, fasting or not, or HDL) or 服薬_脂質; 血圧 or 服薬_血圧.
2 or more → 基準該当, 1 → 予備群該当, 0 or 腹囲 below the cut-off → 非該当; 判定不能 by the same rule.

## 年度ごとのルールセット、版、事務所設定

- The rule set is chosen by the checkup's 年度: `tokutei_3ki` (第3期) for FY2018–2023, `tokutei_4ki`
  (第4期) for FY2024–2029; `dhdesk stratify --fiscal-year 2023` and the workspace both use 第3期 for 2023.
  The 受診勧奨判定値 are shipped for 第4期 only; an earlier 年度 is judged with them and every result says so.
- 第3期 differs from 第4期 in one cut-off: 中性脂肪 had a single criterion, 150mg/dl 「空腹時・非空腹時を問わない」,
  so a 随時中性脂肪 (used only without a 空腹時 value) counts at 150 instead of 175. The 喫煙 question had two
  answers (1 はい, 2 いいえ); only はい counts in both periods. Everything else is the same (sources below).
- Versions (版): a rule file keeps its name while current. When a rule changes, the old file is kept
  beside it as `<id>-<version>.toml` (e.g. `tokutei_4ki-2024.1.toml`) and the current file gets a new `version`.
  A result records the id, version and office values it used, and `rulesets.rule_set_for(id, version,
  overrides)` rebuilds exactly that rule set to repeat the run.
- 事務所設定 (office overrides) change a threshold's value in one workspace only, with a reason; they are
  stored under the setting `rules.overrides.<id>`, listed in 設定 → 判定基準 beside the official value,
  shown in every explanation (「事務所設定; 公式 …」) and stated on every result (「事務所設定あり（n件）」).
"""

_REFERRAL_INTRO = """\
## 受診勧奨判定値

Each measured item is compared on its own: 保健指導判定値以上, 受診勧奨判定値以上, and the 「すぐに受診」 cut-offs
of the R6 feedback examples (tier ①); an item at or above 受診勧奨判定値 but below ① is tier ②. A person's tier
is the highest of their items. Missing values are listed, never counted as exceeded.
"""


def _value(rules: RuleSet, threshold_id: str) -> str:
    threshold = rules.threshold(threshold_id)
    text = threshold.number(threshold.value)
    return f"回答コード {text}" if threshold.comparison.value == "eq" else f"{text}{threshold.unit} {threshold.comparison.label}"


def _section(rules: RuleSet) -> str:
    lines = [
        f"## {rules.title} — `{rules.id}` 版 {rules.version}",
        "",
        f"適用年度: {rules.first_fiscal_year}–{rules.last_fiscal_year}",
        "",
        "| id | 項目 | 基準 | 性別 | 確度 | 出典 | 備考 |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in rules.thresholds:
        sex = {1: "男", 2: "女"}.get(t.sex, "")
        source = rules.source(t.source)
        cited = f"[{source.short}]({source.url})" if source.url else source.short
        note = t.note.replace("|", "\\|")
        lines.append(f"| `{t.id}` | {t.label} | {_value(rules, t.id)} | {sex} | {t.confidence.value} | {cited} | {note} |")
    lines += ["", "### 出典", ""]
    lines += [f"- **{s.short}**: {s.document} {s.url}".rstrip() for s in rules.sources]
    return "\n".join(lines) + "\n"


def render_rules_markdown() -> str:
    """The whole docs/rules.md text."""
    stratification = [_section(load_ruleset(rule_id)) for rule_id in reversed(STRATIFICATION_RULE_IDS)]
    referral = [_section(load_ruleset(rule_id)) for rule_id in reversed(REFERRAL_RULE_IDS)]
    return "\n".join([_INTRO, *stratification, _REFERRAL_INTRO, *referral])


if __name__ == "__main__":
    print(render_rules_markdown(), end="")
