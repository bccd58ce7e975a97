"""Versioned rule sets (判定基準): every threshold as data with its source, plus office overrides.

A rule set is read from a TOML file in `resources/rules/`. Thresholds keep their official value
beside the value in force, so an office override (事務所設定) is always shown as a difference and a
past run can be repeated with exactly the rules it used.
"""

from __future__ import annotations

import operator
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

from dhdesk.core.fields import CHECKUPS, Kind

DERIVED_ITEMS = {"fy_end_age": "年度末年齢", "risk_count": "リスク数"}
"""Items a rule may test that are computed by the rules rather than read from a checkup."""

_SEX_LABELS = {1: "男性", 2: "女性"}


def _number(value: float | int, decimals: int | None) -> str:
    return f"{value:.{decimals}f}" if decimals is not None else f"{value:g}"


class RuleSetError(ValueError):
    """A rule file or an override that cannot be used; the message is written for the clerk."""


class Comparison(str, Enum):
    """How a measured value is tested against the cut-off."""

    GE = "ge"
    LT = "lt"
    LE = "le"
    EQ = "eq"

    @property
    def label(self) -> str:
        """The wording of the official texts: 以上 / 未満 / 以下 / 該当 (answer code)."""
        return _WORDS[self][0]

    @property
    def symbol(self) -> str:
        return _WORDS[self][1]

    @property
    def negated_symbol(self) -> str:
        """The symbol printed when the test fails (130 < 135)."""
        return _WORDS[self][2]


_WORDS = {
    Comparison.GE: ("以上", "≥", "<"),
    Comparison.LT: ("未満", "<", "≥"),
    Comparison.LE: ("以下", "≤", ">"),
    Comparison.EQ: ("該当", "=", "≠"),
}
_OPERATORS: dict[Comparison, Callable[[Any, Any], Any]] = {
    Comparison.GE: operator.ge,
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
    Comparison.EQ: operator.eq,
}


class Confidence(str, Enum):
    """How well a threshold is confirmed (RULES.md conventions)."""

    OK = "OK"
    SECONDARY = "2nd"
    NOT_CONFIRMED = "NC"


@dataclass(frozen=True)
class Source:
    """A cited document: full title for the rule list, `short` for explanations."""

    key: str
    document: str
    short: str
    url: str


@dataclass(frozen=True)
class Threshold:
    """One cut-off: `item comparison value` (e.g. sbp ge 130), with its official value and source."""

    id: str
    label: str
    item: str
    comparison: Comparison
    value: float | int
    official: float | int
    source: str
    confidence: Confidence
    unit: str = ""
    sex: int | None = None
    decimals: int | None = None
    note: str = ""
    _operator: Callable[[Any, Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_operator", _OPERATORS[self.comparison])

    def holds(self, values: Any) -> Any:
        """The test applied to a number or a numpy array (NaN never holds)."""
        return self._operator(values, self.value)

    @property
    def overridden(self) -> bool:
        return self.value != self.official

    def number(self, value: float | int) -> str:
        """A value of this threshold as the official text writes it (HbA1c 6.0, 腹囲 85)."""
        return _number(value, self.decimals)

    def cutoff(self, unit: bool = True) -> str:
        """The cut-off as printed: 「85cm(男性)」, 「5.6%」 (without the unit when `unit` is False)."""
        text = self.number(self.value) + (self.unit if unit else "")
        if self.sex is not None:
            text += f"({_SEX_LABELS[self.sex]})"
        return text


@dataclass(frozen=True)
class Difference:
    """An office override: the threshold in force differs from the official one."""

    id: str
    label: str
    comparison: Comparison
    official: float | int
    value: float | int
    unit: str
    sex: int | None = None
    decimals: int | None = None

    def describe(self) -> str:
        """「収縮期血圧 [hokenshido.risk.bp.sbp]: 公式 130mmHg以上 → 事務所設定 135mmHg以上」."""
        op = self.comparison.label
        who = f"({_SEX_LABELS[self.sex]})" if self.sex is not None else ""
        return (
            f"{self.label}{who} [{self.id}]: 公式 {_number(self.official, self.decimals)}{self.unit}{op}"
            f" → 事務所設定 {_number(self.value, self.decimals)}{self.unit}{op}"
        )


@dataclass(frozen=True)
class RuleSet:
    """A versioned rule set (e.g. 第4期) valid for a range of fiscal years."""

    id: str
    version: str
    title: str
    short_title: str
    first_fiscal_year: int
    last_fiscal_year: int
    thresholds: tuple[Threshold, ...]
    sources: tuple[Source, ...]
    _index: Mapping[str, Threshold] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t.id: t for t in self.thresholds})

    @classmethod
    def from_toml(cls, text: str) -> RuleSet:
        """Parse and validate a rule file; every problem is reported at once in a `RuleSetError`."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RuleSetError(f"ルールファイルを読めません: {exc}") from exc
        return _parse(data)

    def threshold(self, rule_id: str) -> Threshold:
        """The threshold called `rule_id` (RuleSetError naming close matches when unknown)."""
        try:
            return self._index[rule_id]
        except KeyError:
            raise RuleSetError(_unknown_id_message(rule_id, self._index)) from None

    def source(self, key: str) -> Source:
        for s in self.sources:
            if s.key == key:
                return s
        raise RuleSetError(f"出典 '{key}' はルールセット {self.id} にありません。")

    def covers(self, fiscal_year: int) -> bool:
        """True when this rule set applies to `fiscal_year` (第4期: 2024–2029)."""
        return self.first_fiscal_year <= fiscal_year <= self.last_fiscal_year

    def with_overrides(self, overrides: Mapping[str, float | int]) -> RuleSet:
        """A copy with office values (threshold id → value); the official values are kept for `diff()`."""
        problems = []
        new_values: dict[str, float | int] = {}
        for rule_id, value in overrides.items():
            if rule_id not in self._index:
                problems.append(_unknown_id_message(rule_id, self._index))
                continue
            checked = _checked_value(self._index[rule_id], value)
            if isinstance(checked, str):
                problems.append(checked)
            else:
                new_values[rule_id] = checked
        if problems:
            raise RuleSetError("\n".join(problems))
        thresholds = tuple(
            replace(t, value=new_values[t.id]) if t.id in new_values else t for t in self.thresholds
        )
        return replace(self, thresholds=thresholds)

    @property
    def overrides(self) -> dict[str, float | int]:
        """The office values in force (what a workspace stores to rebuild this rule set)."""
        return {t.id: t.value for t in self.thresholds if t.overridden}

    def diff(self) -> tuple[Difference, ...]:
        """Every threshold whose value in force differs from the official one, in file order."""
        return tuple(
            Difference(t.id, t.label, t.comparison, t.official, t.value, t.unit, t.sex, t.decimals)
            for t in self.thresholds
            if t.overridden
        )


@cache
def load_ruleset(rule_id: str = "tokutei_4ki") -> RuleSet:
    """The official rule set shipped in `resources/rules/<rule_id>.toml` (read once: rule sets are immutable)."""
    folder = resources.files("dhdesk") / "resources" / "rules"
    # `<id>-<version>.toml` files are superseded versions (core.rules.versions), not rule sets of their own.
    available = sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml") and "-" not in p.name)
    if rule_id not in available:
        raise RuleSetError(f"ルールセット '{rule_id}' はありません。利用できるもの: {', '.join(available)}")
    rules = RuleSet.from_toml((folder / f"{rule_id}.toml").read_text(encoding="utf-8"))
    if rules.id != rule_id:
        raise RuleSetError(f"ルールファイル {rule_id}.toml の id が '{rules.id}' になっています。")
    return rules


_TOP_KEYS = {"id", "version", "title", "short_title", "first_fiscal_year", "last_fiscal_year", "sources", "thresholds"}
_THRESHOLD_KEYS = {
    "id", "label", "item", "comparison", "value", "unit", "sex", "decimals", "source", "confidence", "note",
}
_SOURCE_KEYS = {"document", "short", "url"}
_ID_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def _parse(data: dict[str, Any]) -> RuleSet:
    problems: list[str] = []
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"不明な項目 '{key}' があります。")
    for key in sorted(_TOP_KEYS - set(data)):
        problems.append(f"必須の項目 '{key}' がありません。")
    if problems:
        raise RuleSetError("\n".join(problems))

    sources = []
    for key, entry in data["sources"].items():
        unknown = set(entry) - _SOURCE_KEYS
        missing = _SOURCE_KEYS - set(entry)
        if unknown or missing:
            problems.append(f"出典 '{key}': 項目は document, short, url の3つです。")
            continue
        sources.append(Source(key, entry["document"], entry["short"], entry["url"]))
    source_keys = {s.key for s in sources}

    thresholds = []
    seen: set[str] = set()
    for number, entry in enumerate(data["thresholds"], start=1):
        where = f"閾値 {number} 件目 ({entry.get('id', 'id なし')})"
        threshold = _parse_threshold(entry, where, source_keys, problems)
        if threshold is None:
            continue
        if threshold.id in seen:
            problems.append(f"{where}: id が重複しています。")
        seen.add(threshold.id)
        thresholds.append(threshold)

    if data["first_fiscal_year"] > data["last_fiscal_year"]:
        problems.append("first_fiscal_year が last_fiscal_year より後になっています。")
    if problems:
        raise RuleSetError("\n".join(problems))
    return RuleSet(
        id=data["id"],
        version=str(data["version"]),
        title=data["title"],
        short_title=data["short_title"],
        first_fiscal_year=int(data["first_fiscal_year"]),
        last_fiscal_year=int(data["last_fiscal_year"]),
        thresholds=tuple(thresholds),
        sources=tuple(sources),
    )


def _parse_threshold(
    entry: dict[str, Any], where: str, source_keys: set[str], problems: list[str]
) -> Threshold | None:
    before = len(problems)
    for key in sorted(set(entry) - _THRESHOLD_KEYS):
        problems.append(f"{where}: 不明な項目 '{key}' があります。")
    for key in ("id", "label", "item", "comparison", "value", "source", "confidence"):
        if key not in entry:
            problems.append(f"{where}: 必須の項目 '{key}' がありません。")
    if len(problems) > before:
        return None
    if not _ID_PATTERN.match(entry["id"]):
        problems.append(f"{where}: id は英小文字・数字・_ を . で区切って書きます。")
    item = entry["item"]
    unit = entry.get("unit", "")
    if item in CHECKUPS.names:
        expected = CHECKUPS.field(item).unit
        if unit != expected:
            problems.append(f"{where}: 単位 '{unit}' が健診項目 {item} の単位 '{expected}' と違います。")
    elif item not in DERIVED_ITEMS:
        problems.append(f"{where}: 項目 '{item}' は健診結果の項目にありません。")
    try:
        comparison = Comparison(entry["comparison"])
    except ValueError:
        problems.append(f"{where}: comparison は ge(以上) / lt(未満) / le(以下) / eq(該当) のいずれかです。")
        comparison = Comparison.GE
    try:
        confidence = Confidence(entry["confidence"])
    except ValueError:
        problems.append(f"{where}: confidence は OK / 2nd / NC のいずれかです。")
        confidence = Confidence.NOT_CONFIRMED
    if entry["source"] not in source_keys:
        problems.append(f"{where}: 出典 '{entry['source']}' が [sources] にありません。")
    sex = entry.get("sex")
    if sex not in (None, 1, 2):
        problems.append(f"{where}: sex は 1(男性) か 2(女性) です。")
    decimals = entry.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0):
        problems.append(f"{where}: decimals は 0 以上の整数です。")
    draft = Threshold(
        id=entry["id"], label=entry["label"], item=item, comparison=comparison, value=0, official=0,
        source=entry["source"], confidence=confidence, unit=unit, sex=sex, decimals=decimals,
        note=entry.get("note", ""),
    )
    value = _checked_value(draft, entry["value"])
    if isinstance(value, str):
        problems.append(f"{where}: {value}")
    if len(problems) > before:
        return None
    return replace(draft, value=value, official=value)


def _needs_integer(item: str) -> bool:
    """Ages, risk counts and answer codes only make sense as whole numbers."""
    if item in DERIVED_ITEMS:
        return True
    return item in CHECKUPS.names and CHECKUPS.field(item).kind is not Kind.NUMBER


def _checked_value(threshold: Threshold, value: object) -> float | int | str:
    """The value as a number of the right kind, or a Japanese message saying why it is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return f"ルール '{threshold.id}' ({threshold.label}) の値は数値で指定してください: {value!r}"
    if _needs_integer(threshold.item):
        if not float(value).is_integer():
            return f"ルール '{threshold.id}' ({threshold.label}) の値は整数で指定してください: {value!r}"
        return int(value)
    return float(value)


def _unknown_id_message(rule_id: str, known: Mapping[str, Threshold]) -> str:
    close = get_close_matches(rule_id, list(known), n=3)
    hint = f"近いもの: {', '.join(close)}" if close else ""
    return f"不明なルールID '{rule_id}' です。{hint}"
