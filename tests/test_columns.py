"""Column mapping: real header spellings resolve, conflicts are settled, presets and the clerk override."""

from __future__ import annotations

import pytest

from dhdesk.core.fields import CHECKUPS, LAYOUTS, MEMBERS
from dhdesk.io.columns import SYNONYMS, Confidence, auto_map, header_signature, match_count, normalise_header


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=lambda layout: layout.key)
def test_canonical_labels_map_exactly(layout):
    mapping = auto_map(layout.labels, layout)
    assert mapping.assigned == dict(zip(layout.labels, layout.names, strict=True))
    assert set(mapping.confidence.values()) == {Confidence.EXACT}
    assert mapping.unmapped == () and mapping.missing_required == ()


@pytest.mark.parametrize("layout", [MEMBERS, CHECKUPS], ids=lambda layout: layout.key)
def test_every_member_and_checkup_field_has_several_synonyms(layout):
    table = SYNONYMS[layout.key]
    for field in layout.fields:
        assert len(table[field.name]) >= 3, field.name


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=lambda layout: layout.key)
def test_each_synonym_maps_to_its_own_field(layout):
    for name, spellings in SYNONYMS[layout.key].items():
        for spelling in spellings:
            assert auto_map([spelling], layout).assigned == {spelling: name}, spelling


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("腹囲", "waist"), ("腹囲(実測)", "waist"), ("腹囲（実測）", "waist"), ("ウエスト", "waist"), ("腹囲（cm）", "waist"),
        ("腹囲 (cm)", "waist"), ("腹囲\n(cm)", "waist"), ("腹囲【cm】", "waist"),
        ("HbA1c", "hba1c"), ("HbA1c(NGSP)", "hba1c"), ("ＨｂＡ１ｃ", "hba1c"), ("ヘモグロビンA1c", "hba1c"),
        ("HbA1c(NGSP値)(%)", "hba1c"),
        ("加入者番号", "member_id"), ("被保険者番号", "member_id"), ("受診者番号", "member_id"),
        ("収縮期血圧(mmHg)", "sbp"), ("最高血圧", "sbp"), ("血圧(上)", "sbp"), ("拡張期血圧", "dbp"), ("血圧（下）", "dbp"),
        ("γ-GTP", "ggt"), ("γ－ＧＴ", "ggt"), ("ｶﾞﾝﾏGTP", "ggt"), ("服薬1(血圧)", "med_bp"), ("服薬_血圧", "med_bp"),
        ("既往歴3(腎不全･人工透析)", "hx_kidney"), ("eGFR(mL/min/1.73m2)", "egfr"), ("性別(1:男 2:女)", "sex"),
    ],
)
def test_checkup_headers_seen_in_real_files(header, field):
    assert auto_map([header], CHECKUPS).assigned == {header: field}


@pytest.mark.parametrize(
    ("header", "field"),
    [("被保険者番号", "member_id"), ("カナ氏名", "name_kana"), ("方書", "address2"), ("資格取得年月日", "acquired_date"),
     ("続柄", "relation"), ("所属所名", "office"), ("本人被保険者番号", "insured_id"), ("〒", "postal_code"),
     ("被保険者証番号", "bango")],
)
def test_roster_headers(header, field):
    assert auto_map([header], MEMBERS).assigned == {header: field}


def test_ambiguous_headers_stay_unmapped():
    mapping = auto_map(["血圧", "備考", "", "氏名"], CHECKUPS)
    assert mapping.assigned == {}
    assert mapping.unmapped == ("血圧", "備考", "", "氏名")


def test_two_headers_for_one_field_the_exact_then_leftmost_wins():
    mapping = auto_map(["収縮期血圧(1回目)", "収縮期血圧(2回目)", "ウエスト", "腹囲"], CHECKUPS)
    assert mapping.assigned == {"収縮期血圧(1回目)": "sbp", "腹囲": "waist"}
    assert mapping.unmapped == ("収縮期血圧(2回目)", "ウエスト")
    assert mapping.confidence == {"収縮期血圧(1回目)": Confidence.SYNONYM, "腹囲": Confidence.EXACT}


def test_missing_required_fields_are_listed():
    mapping = auto_map(["加入者番号", "腹囲"], CHECKUPS)
    assert [f.label for f in mapping.missing_required] == ["性別", "生年月日", "健診日"]


def test_a_preset_wins_over_synonyms_and_survives_width_and_spacing():
    preset = {normalise_header("ウエスト周り"): "waist", normalise_header("ID"): "member_id", "unknown": "nope"}
    mapping = auto_map(["ＩＤ", "ウエスト 周り", "腹囲"], CHECKUPS, preset=preset)
    assert mapping.assigned == {"ＩＤ": "member_id", "ウエスト 周り": "waist"}
    assert mapping.confidence["ウエスト 周り"] is Confidence.PRESET
    assert mapping.unmapped == ("腹囲",)


def test_assign_moves_a_field_and_round_trips_as_a_preset():
    mapping = auto_map(["受診者ID", "腹囲", "腹囲(自己申告)"], CHECKUPS)
    changed = mapping.assign("腹囲(自己申告)", "waist")
    assert changed.assigned == {"受診者ID": "member_id", "腹囲(自己申告)": "waist"}
    assert changed.confidence["腹囲(自己申告)"] is Confidence.MANUAL
    assert changed.assign("受診者ID", None).header_of("member_id") is None
    again = auto_map(mapping.headers, CHECKUPS, preset=changed.as_preset())
    assert again.assigned == changed.assigned
    with pytest.raises(KeyError):
        mapping.assign("腹囲", "no_such_field")
    with pytest.raises(KeyError):
        mapping.assign("no such header", "waist")


def test_header_signature_ignores_order_width_and_blank_headers():
    assert header_signature(["加入者番号", "腹囲"]) == header_signature(["腹囲 ", "", "加入者番号"])
    assert header_signature(["ＢＭＩ"]) == header_signature(["bmi"])
    assert header_signature(["加入者番号", "腹囲"]) != header_signature(["加入者番号", "体重"])


def test_match_count_scores_header_rows():
    assert match_count(["令和6年度 健診結果一覧"], CHECKUPS) == 0
    assert match_count(["加入者番号", "腹囲(cm)", "メモ"], CHECKUPS) == 2
