"""Offline postal-code check against Japan Post's data (resources/postal)."""

from __future__ import annotations

from importlib import resources

import pytest

from dhdesk.core.postal import check_address, format_code, normalise_code, postal_table


def test_table_is_compact_and_complete():
    path = resources.files("dhdesk") / "resources" / "postal" / "postal_codes.csv.gz"
    assert len(path.read_bytes()) < 2_000_000
    assert len(postal_table()) > 120_000


@pytest.mark.parametrize(("code", "address"), [
    ("491-0066", "愛知県一宮市三丹町1-2"),
    ("100-0001", "東京都千代田区千代田1-1"),
    ("〒１００－０００１", "東京都千代田区千代田1-1"),
    ("1000001", "千代田区千代田1-1"),  # 都道府県 omitted
    ("460-0001", "愛知県名古屋市中区三の丸1-1"),
])
def test_real_codes_match(code, address):
    assert check_address(code, address) == []


def test_district_may_be_omitted():
    [(prefecture, city)] = postal_table()["4700151"]
    assert city.endswith("郡東郷町")
    assert check_address("470-0151", f"{prefecture}東郷町いこまい1") == []


def test_wrong_city_is_reported():
    [problem] = check_address("100-0001", "東京都港区芝公園4-2-8")
    assert "東京都千代田区" in problem and "一致しません" in problem


@pytest.mark.parametrize(("code", "expected"), [
    ("", "空欄"), ("123-456", "7桁"), ("12a4567", "7桁"), ("000-0000", "データにありません"),
])
def test_format_and_unknown_codes(code, expected):
    [problem] = check_address(code, "東京都千代田区")
    assert expected in problem


def test_blank_address():
    assert check_address("100-0001", "") == ["住所1が空欄です。"]


def test_format_code():
    assert normalise_code("〒 460‐0001") == "4600001"
    assert format_code("4600001") == "〒460-0001"
    assert format_code("46-001") == "46-001"


@pytest.mark.slow
def test_demo_union_addresses_all_check_out():
    from dhdesk.core.synthetic import generate_union

    roster = generate_union(2000).members
    problems = [p for code, address in zip(roster["postal_code"], roster["address1"], strict=True)
                for p in check_address(code, address)]
    assert problems == []
