"""効果測定 from a workspace: a hand-built before/after claims fixture with known answers."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from dhdesk.core.union import UnionInfo
from dhdesk.services.effect import EffectNotAvailable, measure, measure_to_xlsx, related_codes
from dhdesk.store.notices import NoticeParts
from dhdesk.store.workspace import Workspace

BRAND, GENERIC = "2149001F1020", "2149001F1101"


def text(*values):
    return pd.array(values, dtype="string")


def members_frame(rows):
    """rows: (member_id, lost_date or None)."""
    n = len(rows)
    return pd.DataFrame({
        "member_id": text(*[r[0] for r in rows]), "name": text(*["加入者"] * n),
        "sex": pd.array([1] * n, dtype="Int8"), "birth_date": pd.to_datetime(["1970-01-01"] * n),
        "relation": pd.array([1] * n, dtype="Int8"), "acquired_date": pd.to_datetime(["2010-04-01"] * n),
        "lost_date": pd.to_datetime([r[1] for r in rows]),
    })


def claims_frames(diagnoses, drugs):
    """diagnoses: (member_id, service_month, icd10); drugs: (member_id, service_month, yj_code, quantity, days),
    one receipt per row."""
    rows = [("D", *d) for d in diagnoses] + [("Y", *d) for d in drugs]
    ids = [f"{kind}{i}" for i, (kind, *_) in enumerate(rows)]
    receipts = pd.DataFrame({
        "receipt_id": text(*ids), "member_id": text(*[r[1] for r in rows]),
        "service_month": text(*[r[2] for r in rows]), "claim_type": pd.array([2] * len(rows), dtype="Int8"),
        "points": pd.array([100] * len(rows), dtype="Int64"),
    })
    dx = [(i, r) for i, r in zip(ids, rows) if r[0] == "D"]
    dl = [(i, r) for i, r in zip(ids, rows) if r[0] == "Y"]
    return {
        "receipts": receipts,
        "diagnoses": pd.DataFrame({"receipt_id": text(*[i for i, _ in dx]), "disease_name": text(*["病名"] * len(dx)),
                                   "icd10": text(*[r[3] for _, r in dx])}),
        "drug_lines": pd.DataFrame({"receipt_id": text(*[i for i, _ in dl]), "yj_code": text(*[r[3] for _, r in dl]),
                                    "quantity": [float(r[4]) for _, r in dl],
                                    "days": pd.array([r[5] for _, r in dl], dtype="Int64")}),
    }


def master_frame():
    return pd.DataFrame({
        "version_date": pd.to_datetime(["2025-04-01"] * 2), "yj_code": text(BRAND, GENERIC),
        "ingredient": text("成分A", "成分A"), "product_name": text("ブランドA錠10mg", "成分A錠10mg「X」"),
        "price": [50.0, 20.0], "generic_info": text("2", "3"),
    })


def add_run(ws, run_id, program, targets):
    """targets: (member_id, tier, excluded_by or None, holdout); written directly as an approved run."""
    ws._db.execute(
        "INSERT INTO program_runs (run_id, program, fiscal_year, rule_id, rule_version, params, created_at, status) "
        "VALUES (?, ?, 2025, ?, '2024.1', '{}', ?, 'approved')", [run_id, program, program, datetime(2025, 6, 1)])
    for member_id, tier, excluded_by, holdout in targets:
        ws._db.execute(
            "INSERT INTO program_targets (run_id, member_id, tier, reason, excluded, exclusion_reason, excluded_by, "
            "holdout) VALUES (?, ?, ?, '基準該当', ?, ?, ?, ?)",
            [run_id, member_id, tier, excluded_by is not None, excluded_by and "除外", excluded_by, holdout])


def record(ws, run_id, program, rows, sent):
    """rows: (member_id, tier, content) → an issued batch sent on `sent`."""
    letters = pd.DataFrame({"member_id": [r[0] for r in rows], "seq": range(1, len(rows) + 1),
                            "route": ["home"] * len(rows), "tier": [r[1] for r in rows],
                            "letter_sha256": ["0" * 64] * len(rows), "content": [r[2] for r in rows]})
    with NoticeParts() as parts:
        parts.add(letters)
        return ws.record_notice_batch(run_id, program, {}, {}, parts, sent)


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "union.dhdesk", UnionInfo("テスト共済組合", "31130001")) as workspace:
        workspace.import_batch("members", "roster.csv", "m", {"members": members_frame(
            [("A", None), ("B", None), ("C", None), ("H", None), ("X", None), ("L", "2025-05-01"), ("G", None)])})
        workspace.import_batch("drug_master", "master.csv", "dm", {"drug_master": master_frame()})
        workspace.import_batch("claims", "claims.csv", "c", claims_frames(
            diagnoses=[("A", "202509", "I10"), ("B", "202510", "I10"), ("B", "202506", "I10"),
                       ("H", "202508", "E78.5"), ("X", "202507", "I10"), ("L", "202507", "I10")],
            drugs=[("C", "202507", "2149039F1020", 1, 30), ("G", "202509", BRAND, 1, 30),
                   ("G", "202510", GENERIC, 1, 30)],
        ))
        yield workspace


JUSHIN_TARGETS = (("A", "①すぐに受診", None, False), ("B", "②受診勧奨", None, False), ("C", "②受診勧奨", None, False),
                  ("H", "②受診勧奨", None, True), ("X", "①すぐに受診", "clerk", False), ("L", "②受診勧奨", "rule", False))
JUSHIN_LETTERS = [("A", "①すぐに受診", {}), ("B", "②受診勧奨", {}), ("C", "②受診勧奨", {})]


def test_visit_rate_of_a_jushin_batch_beside_its_holdout(ws):
    add_run(ws, 1, "jushin", JUSHIN_TARGETS)
    batch_id = record(ws, 1, "jushin", JUSHIN_LETTERS, date(2025, 6, 15))
    visits, groups = measure(ws, batch_id, months_after=3)
    table = visits.table.set_index("区分")
    assert table.loc["①すぐに受診", ["通知者数", "受診者数", "比較群人数"]].tolist() == [1, 1, 0]
    assert table.loc["②受診勧奨", ["通知者数", "受診者数", "受診率(%)", "比較群人数", "比較群受診率(%)"]].tolist() == [
        2, 1, 50.0, 1, 100.0]
    assert table.loc["合計", ["受診率(%)", "比較群受診率(%)"]].tolist() == [66.7, 100.0]
    assert groups.table["群"].tolist() == ["通知", "ホールドアウト（無作為）"]
    assert visits.member_ids["受診なし（通知）"] == ("B",)
    assert visits.seed_section == "5.4.2" and "2025-07〜2025-09" in visits.notes[0]
    assert any("ホールドアウト" in note for note in visits.notes)


def test_without_holdout_the_excluded_still_insured_are_the_comparison_and_the_window_follows_the_claims(ws):
    add_run(ws, 1, "jushin", [t[:3] + (False,) for t in JUSHIN_TARGETS])
    batch_id = record(ws, 1, "jushin", JUSHIN_LETTERS, date(2025, 6, 15))
    visits, groups = measure(ws, batch_id)
    assert "観察期間 4 か月" in visits.notes[0]
    table = visits.table.set_index("区分")
    assert table.loc["②受診勧奨", ["通知者数", "受診者数"]].tolist() == [2, 2]  # B's 2025-10 claim is now inside
    by_group = groups.table.set_index("群")
    assert by_group.loc["除外（職員判断）", ["人数", "受診者数"]].tolist() == [1, 1]
    assert by_group.loc["未送付（通知対象）", ["人数", "受診者数"]].tolist() == [1, 1]  # H, on the list but not sent
    assert "除外（抽出条件）" not in by_group.index  # L lost 資格 before the notice: no claims could show a visit


def test_generic_batch_gives_the_monthly_switch_table(ws):
    add_run(ws, 2, "generic", [("G", "差額通知", None, False)])
    content = {"month": "2025-06", "share": 0.3, "drugs": [{"brand_name": "ブランドA錠10mg", "brand_price": 50.0}]}
    batch_id = record(ws, 2, "generic", [("G", "差額通知", content)], date(2025, 8, 20))
    (switch,) = measure(ws, batch_id, months_after=2)
    assert switch.table["診療月"].tolist() == ["2025-09", "2025-10"]
    assert switch.table["切替者数(累計)"].tolist() == [0, 1]
    assert switch.table["削減効果額(円)"].tolist() == [0.0, 900.0]  # (50 − 20) × 1 × 30
    assert switch.table["保険者負担分削減額(円)"].tolist() == [0.0, 630.0]
    assert switch.member_ids == {"切替者": ("G",)} and switch.seed_section == "5.4.4"


def test_batches_without_a_sent_date_or_of_other_programs_are_refused_in_japanese(ws):
    add_run(ws, 1, "jushin", JUSHIN_TARGETS)
    add_run(ws, 3, "hokenshido", [("A", "積極的支援", None, False)])
    unsent = record(ws, 1, "jushin", JUSHIN_LETTERS, None)
    with pytest.raises(EffectNotAvailable, match="発送日が未設定"):
        measure(ws, unsent)
    other = record(ws, 3, "hokenshido", [("A", "積極的支援", {})], date(2025, 6, 1))
    with pytest.raises(EffectNotAvailable, match="効果測定"):
        measure(ws, other)


def test_effect_xlsx_has_one_sheet_per_table_of_every_measurable_batch(ws, tmp_path):
    add_run(ws, 1, "jushin", JUSHIN_TARGETS)
    add_run(ws, 3, "hokenshido", [("A", "積極的支援", None, False)])
    batch_id = record(ws, 1, "jushin", JUSHIN_LETTERS, date(2025, 6, 15))
    record(ws, 3, "hokenshido", [("A", "積極的支援", {})], date(2025, 6, 1))
    seen = []
    tables = measure_to_xlsx(ws, tmp_path / "effect.xlsx", progress=lambda f, m: seen.append(f))
    assert [t.key for t in tables] == [f"effect{batch_id}_visits", f"effect{batch_id}_groups"]
    book = openpyxl.load_workbook(tmp_path / "effect.xlsx", read_only=True)
    assert f"effect{batch_id}_visits" in book.sheetnames and seen[-1] == 1.0


def test_related_codes_are_the_ones_each_program_extracts_with():
    jushin = related_codes("jushin")
    assert {"I10", "E78", "E11", "N18"} <= set(jushin.icd10) and {"214", "218", "396"} <= set(jushin.drug_classes)
    chudan = related_codes("chudan")
    assert {"E11", "I10", "E78"} <= set(chudan.icd10) and "2171" not in chudan.drug_classes
    jinsho = related_codes("jinsho")
    assert {"E11", "E11.2"} <= set(jinsho.icd10) and jinsho.drug_classes == ("396", "2492")
    assert len(jushin.icd10) == len(set(jushin.icd10))
