"""Offline postal-code check (郵便番号チェック): does the code exist and match the address's 都道府県・市区町村?

The table is built from Japan Post's data by `tools/postal_table.py` (see resources/postal/README.md)
and read once per process with the standard library, so the check needs no network and no extra
package at run time. A code can belong to more than one municipality; any of them matching is fine.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from functools import cache
from importlib import resources

_CODE = re.compile(r"\d{7}")
_SEPARATORS = re.compile(r"[\s〒\-‐－−ー―]")
_DISTRICT = re.compile(r"^.+?郡")


@cache
def postal_table() -> dict[str, tuple[tuple[str, str], ...]]:
    """Postal code (7 digits) → the (都道府県, 市区町村) pairs it serves."""
    path = resources.files("dhdesk") / "resources" / "postal" / "postal_codes.csv.gz"
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    with gzip.open(io.BytesIO(path.read_bytes()), "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for code, prefecture, city in reader:
            table[code] = (*table.get(code, ()), (prefecture, city))
    return table


def normalise_code(postal_code: str) -> str:
    """The 7 digits of a code written as 〒123-4567, １２３４５６７ or 123 4567 (other text unchanged)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", postal_code or ""))


def format_code(postal_code: str) -> str:
    """「〒123-4567」 for a valid code, the original text otherwise (never hide what the roster says)."""
    digits = normalise_code(postal_code)
    return f"〒{digits[:3]}-{digits[3:]}" if _CODE.fullmatch(digits) else (postal_code or "")


def _matches(address: str, prefecture: str, city: str) -> bool:
    """The address starts with 都道府県+市区町村, or omits the 都道府県, or omits the 郡 (愛知郡東郷町 → 東郷町)."""
    cities = {city, _DISTRICT.sub("", city)}
    return any(address.startswith(prefix + c) for c in cities for prefix in (prefecture, ""))


def check_address(postal_code: str, address1: str) -> list[str]:
    """Japanese problems for one address: not 7 digits, unknown code, or 都道府県・市区町村 not matching."""
    digits = normalise_code(postal_code)
    if not digits:
        return ["郵便番号が空欄です。"]
    if not _CODE.fullmatch(digits):
        return [f"郵便番号「{postal_code}」は7桁の数字ではありません。"]
    places = postal_table().get(digits)
    if places is None:
        return [f"郵便番号「{format_code(digits)}」は日本郵便のデータにありません。"]
    address = re.sub(r"\s", "", unicodedata.normalize("NFKC", address1 or ""))
    if not address:
        return ["住所1が空欄です。"]
    if any(_matches(address, unicodedata.normalize("NFKC", p), unicodedata.normalize("NFKC", c)) for p, c in places):
        return []
    expected = "または".join(f"{p}{c}" for p, c in places)
    return [f"郵便番号「{format_code(digits)}」は{expected}の番号ですが、住所1の先頭と一致しません。"]
