"""Which rule set is in force for a fiscal year (第3期/第4期), and past versions of a rule file (版).

A rule file keeps its name (`tokutei_4ki.toml`) while it is current. When a rule changes, the old
file is kept beside it as `<id>-<version>.toml` (e.g. `tokutei_4ki-2024.1.toml`) and the current file
gets a new `version`, so a past run can be repeated with exactly the version it recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable

from dhdesk.core.rules.ruleset import RuleSet, RuleSetError, load_ruleset

STRATIFICATION_RULE_IDS = ("tokutei_3ki", "tokutei_4ki")
"""The 階層化・メタボ判定 rule sets shipped, oldest first; each covers its own fiscal years."""

REFERRAL_RULE_IDS = ("jushin_kankoku",)
"""The 受診勧奨判定値 rule sets shipped, oldest first."""

VERSION_SEPARATOR = "-"
"""Between the rule id and the version in an archived file name (ids never contain it)."""


def rules_folder() -> Traversable:
    return resources.files("dhdesk") / "resources" / "rules"


def archived_file_name(rule_id: str, version: str) -> str:
    """`tokutei_4ki-2024.1.toml`: the name a superseded version of a rule file is kept under."""
    return f"{rule_id}{VERSION_SEPARATOR}{version}.toml"


def load_version(rule_id: str, version: str, folder: Traversable | None = None) -> RuleSet:
    """The rule set `rule_id` exactly as it was at `version`: the current file or an archived one."""
    folder = folder if folder is not None else rules_folder()
    if not (folder / f"{rule_id}.toml").is_file():
        raise RuleSetError(f"ルールセット '{rule_id}' はありません。")
    current = _read(folder, f"{rule_id}.toml")
    if current.version == version:
        return current
    name = archived_file_name(rule_id, version)
    if not (folder / name).is_file():
        listed = "、".join([current.version, *archived_versions(rule_id, folder)])
        raise RuleSetError(f"ルールセット {rule_id} の版 {version} は保管されていません。保管されている版: {listed}")
    rules = _read(folder, name)
    if (rules.id, rules.version) != (rule_id, version):
        raise RuleSetError(f"{name} の id・版が '{rules.id}' 版 {rules.version} になっています。")
    return rules


def archived_versions(rule_id: str, folder: Traversable | None = None) -> list[str]:
    """The superseded versions of `rule_id` kept in the rules folder, oldest name first."""
    folder = folder if folder is not None else rules_folder()
    prefix = f"{rule_id}{VERSION_SEPARATOR}"
    return sorted(p.name[len(prefix) : -len(".toml")] for p in folder.iterdir()
                  if p.name.startswith(prefix) and p.name.endswith(".toml"))


def in_force(rule_ids: Sequence[str], fiscal_year: int) -> RuleSet | None:
    """The first of `rule_ids` whose fiscal years include `fiscal_year`, or None."""
    for rule_id in rule_ids:
        rules = load_ruleset(rule_id)
        if rules.covers(fiscal_year):
            return rules
    return None


def stratification_rules(fiscal_year: int) -> RuleSet:
    """The official 階層化・メタボ判定 rule set for `fiscal_year` (第3期 2018–2023, 第4期 2024–2029)."""
    rules = in_force(STRATIFICATION_RULE_IDS, fiscal_year)
    if rules is None:
        covered = [load_ruleset(rule_id) for rule_id in STRATIFICATION_RULE_IDS]
        first, last = min(r.first_fiscal_year for r in covered), max(r.last_fiscal_year for r in covered)
        raise RuleSetError(f"{fiscal_year}年度に使える階層化の基準がありません（収録は{first}〜{last}年度）。")
    return rules


def referral_rules(fiscal_year: int) -> RuleSet:
    """The 受診勧奨判定値 for `fiscal_year`; outside every shipped range, the nearest one.

    Only the 第4期 values are shipped (RULES.md §2); an earlier 年度 is judged with them and the
    result says so (see `covers`), rather than leaving its 受診勧奨 column empty.
    """
    rules = in_force(REFERRAL_RULE_IDS, fiscal_year)
    if rules is not None:
        return rules
    shipped = [load_ruleset(rule_id) for rule_id in REFERRAL_RULE_IDS]
    return min(shipped, key=lambda r: min(abs(year - fiscal_year) for year in (r.first_fiscal_year, r.last_fiscal_year)))


def _read(folder: Traversable, name: str) -> RuleSet:
    return RuleSet.from_toml((folder / name).read_text(encoding="utf-8"))
