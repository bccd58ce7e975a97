"""Cell text to typed values (値の読み取り) for each field kind, one whole column at a time.

A column is converted through its distinct values (100k rows of 身長 hold a few hundred), so the parsing
stays plain Python while its cost follows the number of distinct values, not rows.
Printed text (氏名, 住所) is only stripped of surrounding spaces, never NFKC-normalised: NFKC turns ㈱ into
(株) and ① into 1 on the letters a member receives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dhdesk.core.fields import Choice, Field, Kind, pandas_dtype
from dhdesk.core.wareki import parse_date

_DASHES = "-－ー―‐−—–"
MISSING_MARKERS = frozenset({"", "*", "＊", "未実施", "未測定", "欠測", "未検査", "検査せず", "--", *_DASHES})
"""Cells meaning 'not measured / not answered' (after stripping spaces)."""

QUALITATIVE_SCALE = (Choice(1, "−"), Choice(2, "±"), Choice(3, "+"), Choice(4, "++"), Choice(5, "+++"))
"""定性 value set (OID 1.2.392.200119.6.2102) of urine tests."""

QUALITATIVE_FIELDS = frozenset({"urine_glucose", "urine_protein"})
"""CODE fields on the 定性 scale: cells may be signs ((+), ２＋, −) and a lone dash means negative, not blank."""

_YES = ("はい", "有", "有り", "あり", "○", "◯", "yes", "y", "true", "該当")
_NO = ("いいえ", "無", "無し", "なし", "×", "no", "n", "false", "非該当")
CHOICE_ALIASES: dict[str, dict[str, int]] = {
    "relation": {"被保険者": 1, "組合員": 1, "被扶養者": 2, "配偶者": 2, "妻": 2, "夫": 2, "子": 2, "長男": 2,
                 "長女": 2, "次男": 2, "次女": 2, "父": 2, "母": 2},
    "smoking": {"以前吸っていた": 2, "以前は吸っていた": 2, "禁煙": 2, "禁煙中": 2, "やめた": 2},
    "blood_timing": {"空腹": 2, "空腹時採血": 2, "随時採血": 3, "食直後採血": 4},
}
"""Other spellings offices use for a choice, by field name."""

_QUALITATIVE_SPELLINGS = {
    "-": 1, "(-)": 1, "--": 1, "陰性": 1,
    "±": 2, "(±)": 2, "+-": 2, "+/-": 2, "(+-)": 2, "偽陽性": 2,
    "+": 3, "(+)": 3, "1+": 3, "(1+)": 3, "陽性": 3,
    "++": 4, "(++)": 4, "2+": 4, "(2+)": 4,
    "+++": 5, "(+++)": 5, "3+": 5, "(3+)": 5, "4+": 5, "(4+)": 5, "++++": 5,
}
"""Urine sign spellings (4+ is graded +++ in 特定健診)."""

_SEX = {"1": 1, "男": 1, "男性": 1, "m": 1, "male": 1, "2": 2, "女": 2, "女性": 2, "f": 2, "female": 2}

_UNIT_ALIASES = {
    "u/l": ("u/l", "iu/l"),
    "万/μl": ("万/μl", "万/mm3", "x10^4/μl", "×10^4/μl", "10^4/μl"),
    "ml/min/1.73m2": ("ml/min/1.73m2", "ml/min/1.73m^2", "ml/分/1.73m2"),
    "kg/m2": ("kg/m2", "kg/m^2"),
}
_NUMBER = re.compile(
    r"(?P<flag1>[hl])?(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)"
    r"(?P<unit>[^\d()hl+-][^()]*)?(?P<flag2>[hl]|\([hl]\))?"
)
_CODE_PREFIX = re.compile(r"(?P<code>\d{1,2})(?:[:.、)]?\D.*|\.0)?")
_DATE_MIN, _DATE_MAX = date(1868, 1, 1), date(2199, 12, 31)
_LARGEST = 2.0**53  # beyond this a float no longer holds every integer: certainly a typo in a health file
_MATCH_TABLE = str.maketrans({**dict.fromkeys(_DASHES, "-"), "〜": "~"})
"""Dashes as '-', and WAVE DASH 〜 as '~': cp932 software writes 〜 as ～ (U+FF5E), which NFKC makes '~'."""


@dataclass(frozen=True)
class Converted:
    """A typed column and, for cells that could not be read, why (by row label)."""

    values: pd.Series
    errors: pd.Series  # row label → Japanese reason; only rows whose text was unreadable


def blank_column(field: Field, index: pd.Index) -> pd.Series:
    """An all-missing column of the field's dtype (for a column the file does not have)."""
    dtype = pandas_dtype(field)
    return pd.Series(np.nan if dtype == "float64" else pd.NA, index=index, dtype=object).astype(dtype)


def convert(cells: pd.Series, field: Field) -> Converted:
    """Read a column of cell text (NA = blank cell) as `field`'s typed values."""
    if field.kind is Kind.TEXT:
        values = cells.astype("string").str.strip()
        return Converted(values.mask(values == ""), pd.Series(dtype="string"))
    missing = MISSING_MARKERS - set(_DASHES) - {"--"} if field.name in QUALITATIVE_FIELDS else MISSING_MARKERS
    bulk = _iso_dates if field.kind is Kind.DATE else None
    return _by_distinct(cells, _reader(field), pandas_dtype(field), missing, bulk)


def matching_key(text: str) -> str:
    """NFKC, casefolded, no spaces, dashes and tildes unified: how codes, answers and numbers are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold().translate(_MATCH_TABLE)


def _by_distinct(cells: pd.Series, read: Callable[[str], object], dtype: str, missing: frozenset[str],
                 bulk: Callable[[pd.Index], dict[int, object]] | None = None) -> Converted:
    """Apply `read` (text → value; ValueError when unreadable) once per distinct cell text.

    `bulk` may read the common spellings of all distinct texts at once (by position); `read` does the rest.
    """
    codes, uniques = pd.factorize(cells.astype("string"), use_na_sentinel=True)
    done = bulk(uniques) if bulk is not None and len(uniques) else {}
    parsed: list[object] = []
    problems: dict[int, str] = {}
    for position, text in enumerate(uniques):
        if position in done:
            parsed.append(done[position])
            continue
        if text.strip() in missing:
            parsed.append(None)
            continue
        try:
            parsed.append(read(text))
        except ValueError as error:
            parsed.append(None)
            problems[position] = str(error)
    values = _expand(parsed, codes, dtype, cells.index)
    errors = pd.Series(dtype="string")
    if problems:
        rows = pd.Series(codes, index=cells.index)
        errors = rows[rows.isin(list(problems))].map(problems).astype("string")
    return Converted(values, errors)


def _expand(parsed: list[object], codes: np.ndarray, dtype: str, index: pd.Index) -> pd.Series:
    """Per-distinct values back onto the rows (code −1, a blank cell, takes the trailing None)."""
    table = parsed + [None]
    if dtype == "datetime64[ns]":
        stamps = pd.to_datetime(pd.Series(table, dtype=object)).astype("datetime64[ns]").to_numpy()
        return pd.Series(stamps[codes], index=index)
    if dtype == "float64":
        floats = np.array([np.nan if v is None else v for v in table], dtype="float64")
        return pd.Series(floats[codes], index=index)
    return pd.Series(pd.array(table, dtype=dtype).take(codes), index=index)


def _iso_dates(texts: pd.Index) -> dict[int, object]:
    """Plain ISO dates (2024-04-01, what Excel date cells read as) in one vectorised pass, by position.

    Only valid dates inside the accepted range are taken; anything else goes through `_date` one by one.
    """
    iso = np.flatnonzero(texts.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).to_numpy(dtype=bool))
    stamps = pd.to_datetime(pd.Series(texts[iso], dtype=object), format="%Y-%m-%d", errors="coerce")
    ok = (stamps.notna() & (stamps >= pd.Timestamp(_DATE_MIN)) & (stamps <= pd.Timestamp(_DATE_MAX))).to_numpy()
    return dict(zip(iso[ok].tolist(), stamps[ok].tolist()))


def _reader(field: Field) -> Callable[[str], object]:
    """The text → value function of one field."""
    if field.kind is Kind.DATE:
        return _date
    if field.kind is Kind.NUMBER:
        units = _unit_spellings(field.unit)
        return lambda text: _number(text, units)
    if field.kind is Kind.INTEGER:
        return _integer
    if field.kind is Kind.SEX:
        return _sex
    if field.name in QUALITATIVE_FIELDS:
        table = _label_table(QUALITATIVE_SCALE, _QUALITATIVE_SPELLINGS)
        return lambda text: str(_choice(text, QUALITATIVE_SCALE, table))
    if field.kind is Kind.CODE and not field.choices:
        return _plain_code
    table = _label_table(field.choices, CHOICE_ALIASES.get(field.name, {}))
    return lambda text: _choice(text, field.choices, table)


def _date(text: str) -> pd.Timestamp:
    day = parse_date(text)
    if not _DATE_MIN <= day <= _DATE_MAX:
        raise ValueError(f"「{text.strip()}」は日付として範囲外です（1868年〜2199年）")
    return pd.Timestamp(day)


def _unit_spellings(unit: str) -> tuple[str, ...]:
    key = matching_key(unit)
    return _UNIT_ALIASES.get(key, (key,)) if key else ()


def _number(text: str, units: tuple[str, ...]) -> float:
    """'85.5', '１２０', '85.5cm', '120 mg/dL', '1,234', '156H' → float; anything else is an error."""
    match = _NUMBER.fullmatch(matching_key(text))
    if match is None or (match["unit"] and match["unit"] not in units) or (match["flag1"] and match["flag2"]):
        raise ValueError(f"「{text.strip()}」を数値として読めません")
    value = float(match["num"].replace(",", ""))
    if abs(value) >= _LARGEST:
        raise ValueError(f"「{text.strip()}」は数値として大きすぎます")
    return value


def _integer(text: str) -> int:
    value = _number(text, ())
    if not value.is_integer():
        raise ValueError(f"「{text.strip()}」は整数ではありません")
    return int(value)


def _sex(text: str) -> int:
    key = matching_key(text).removesuffix(".0")
    if key not in _SEX:
        raise ValueError(f"「{text.strip()}」を性別として読めません（男/女 または 1/2）")
    return _SEX[key]


def _plain_code(text: str) -> str:
    """A code without a fixed list (資格区分, 後発医薬品情報 ☆★): 全角 digits made half-width."""
    return unicodedata.normalize("NFKC", text).strip().removesuffix(".0")


def _label_table(choices: tuple[Choice, ...], aliases: dict[str, int]) -> dict[str, int]:
    """Every accepted spelling of `choices` (labels, aliases, はい/いいえ words) → code."""
    table = {matching_key(c.label): c.code for c in choices}
    for c in choices:
        bare = re.sub(r"\(.*?\)", "", matching_key(c.label))
        if bare:
            table.setdefault(bare, c.code)
    if {c.label for c in choices} == {"はい", "いいえ"}:
        by_label = {c.label: c.code for c in choices}
        table.update({matching_key(w): by_label["はい"] for w in _YES})
        table.update({matching_key(w): by_label["いいえ"] for w in _NO})
    table.update({matching_key(k): v for k, v in aliases.items()})
    return table


def _choice(text: str, choices: tuple[Choice, ...], labels: dict[str, int]) -> int:
    """A label or alias (はい, 有, 随時, (+)) or a code (1, '１', '1:はい') of one of `choices`."""
    key = matching_key(text)
    if key in labels:
        return labels[key]
    bare = re.sub(r"\(.*?\)", "", key)
    if bare and bare in labels:
        return labels[bare]
    if (match := _CODE_PREFIX.fullmatch(key)) and int(match["code"]) in {c.code for c in choices}:
        return int(match["code"])
    allowed = " / ".join(f"{c.code} {c.label}" for c in choices)
    raise ValueError(f"「{text.strip()}」は選択肢にありません（{allowed}）")


def format_column(values: pd.Series, field: Field) -> pd.Series:
    """Typed values back to canonical cell text ("" for missing): ISO dates, 85.5 / 170, 男/女, choice labels.

    The inverse of `convert` for the canonical files and templates; office-style writers start from it.
    """
    if field.kind is Kind.DATE:
        return values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), "")
    if field.kind is Kind.NUMBER:
        return map_distinct(values, number_text)
    if field.kind is Kind.INTEGER:
        return map_distinct(values, lambda v: str(int(v)))
    if field.kind is Kind.SEX:
        return map_distinct(values, {1: "男", 2: "女"}.__getitem__)
    if pandas_dtype(field) == "Int8":
        labels = {c.code: c.label for c in field.choices}
        return map_distinct(values, lambda v: labels.get(int(v), str(int(v))))
    return values.astype(object).where(values.notna(), "")


def number_text(value: float) -> str:
    """A measured value as a clerk writes it: 170 (not 170.0), 85.5, at most 15 significant digits."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def map_distinct(values: pd.Series, text: Callable[[object], str]) -> pd.Series:
    """Format each distinct non-missing value once ("" for missing): cheap on 100k-row columns."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([text(v) for v in uniques] + [""], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype=object)
