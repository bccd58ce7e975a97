"""Program use cases on a small workspace with a fake program registry: run, review, approve, explain, xlsx."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import openpyxl
import pandas as pd
import pytest

from dhdesk.core.fields import CHECKUPS, MEMBERS, RECEIPTS, Layout, pandas_dtype
from dhdesk.core.programs import Candidates, Parameter, Program, empty_candidates_frame
from dhdesk.core.programs import catalogue as programs_catalogue
from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.services import programs
from dhdesk.store.workspace import Workspace

UNION = UnionInfo("テスト共済組合", "31130001", UnionType.MUTUAL_AID, "100-0001", "東京都千代田区千代田1-1", "03-0000-0000")
SEEN: dict[str, object] = {}


@dataclass(frozen=True)
class FakeProgram(Program):
    """A program whose rule file lives in the test: waist ≥ `waist_min` at the 年度's checkup."""

    @property
    def rules(self) -> dict:
        return {"id": self.id, "version": "test.1", "title": self.title}

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return (Parameter("waist_min", "腹囲の基準", 85.0, "cm", source="テスト基準"),
                Parameter("recent_months", "再通知までの期間", 6, "か月", source="事務所の慣行"),
                Parameter("with_detail", "明細を付ける", False))


def extract_waist(inputs, fiscal_year, params):
    """Targets: waist ≥ waist_min; set aside: within 5 cm below it."""
    SEEN["inputs"] = inputs
    checkups = inputs.checkups[inputs.checkups["fiscal_year"] == fiscal_year]
    waist = checkups["waist"]
    hit = checkups[waist >= params["waist_min"]]
    near = checkups[(waist < params["waist_min"]) & (waist >= params["waist_min"] - 5)]

    def rows(frame):
        if frame.empty:
            return empty_candidates_frame()
        return pd.DataFrame({
            "member_id": frame["member_id"].to_numpy(),
            "tier": pd.array(["A"] * len(frame), dtype="string"),
            "rank": pd.array(range(1, len(frame) + 1), dtype="Int64"),
            "reason": pd.array([f"腹囲 {w:g} cm（≥{params['waist_min']:g}）" for w in frame["waist"]], dtype="string"),
            "explanation": pd.Series([(f"腹囲 {w:g} cm", f"基準 {params['waist_min']:g} cm 以上") for w in frame["waist"]],
                                     dtype=object),
            "values": pd.Series([{"waist": float(w)} for w in frame["waist"]], dtype=object),
            "warnings": pd.Series([()] * len(frame), dtype=object),
        }).astype({"member_id": "string"})

    excluded = rows(near).assign(exclusion_reason=pd.array(["基準まで5cm未満"] * len(near), dtype="string"))
    detail = pd.DataFrame({"加入者番号": hit["member_id"].to_numpy(), "腹囲": hit["waist"].to_numpy()}) \
        if params["with_detail"] else None
    return Candidates("健診受診者", len(checkups), rows(hit), excluded if len(near) else
                      empty_candidates_frame(excluded=True), steps=(("腹囲あり", int(waist.notna().sum())),),
                      detail_lines=detail)


@dataclass(frozen=True)
class FakeMonthlyProgram(FakeProgram):
    """Like FakeProgram, with the 診療年月 parameter monthly programs read."""

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return (*super().parameters, Parameter("month", "診療年月", "", "yyyymm"))


FAKE = FakeProgram(id="fake", title="テスト事業", extract=extract_waist, checkup_years=3)
MONTHLY = FakeMonthlyProgram(id="monthly", title="月ごとの事業", extract=extract_waist, monthly=True,
                             claims_months=1)


@pytest.fixture(autouse=True)
def catalogue(monkeypatch):
    """Only the test programs are registered while a test runs."""
    monkeypatch.setattr(programs_catalogue, "PROGRAMS", {"fake": FAKE, "monthly": MONTHLY})
    return programs_catalogue


def typed(layout: Layout, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        dtype = pandas_dtype(layout.field(name))
        frame[name] = pd.to_datetime(frame[name]) if dtype.startswith("datetime") else frame[name].astype(dtype)
    return frame


def person(member_id, name="山田 太郎", **extra):
    return {"member_id": member_id, "name": name, "sex": 1, "birth_date": "1970-05-01", "relation": 1,
            "acquired_date": "2000-04-01", "office": "本庁", "postal_code": "100-0001", "address1": "東京都", **extra}


def checkup(member_id, waist, exam="2025-06-01"):
    return {"member_id": member_id, "sex": 1, "birth_date": "1970-05-01", "exam_date": exam, "waist": waist}


def build(path):
    ws = Workspace.create(path, UNION)
    ws.import_batch("members", "members.csv", "m", {"members": typed(MEMBERS, [
        person("00000001"), person("00000002", name="𠮷田 花子", relation=2), person("00000003", lost_date="2025-07-01"),
        person("00000004"), person("00000005")])})
    ws.import_batch("checkups", "checkups.csv", "c", {"checkups": typed(CHECKUPS, [
        checkup("00000001", 90.0), checkup("00000002", 85.0), checkup("00000003", 95.0), checkup("00000004", 84.9),
        checkup("00000005", 70.0), checkup("00000001", 99.0, exam="2022-06-01"),
        checkup("00000001", 97.0, exam="2023-06-01")])})
    ws.import_batch("claims", "claims.csv", "r", {"receipts": typed(RECEIPTS, [
        {"receipt_id": str(i), "member_id": "00000001", "service_month": month, "claim_type": 1, "points": 100}
        for i, month in enumerate(["202503", "202504", "202603", "202604"])])})
    return ws


@pytest.fixture
def ws(tmp_path):
    with build(tmp_path / "union.dhdesk") as workspace:
        yield workspace


def by_member(target_list):
    return target_list.targets.set_index("member_id")


def test_run_saves_a_draft_with_exclusions_funnel_and_glyph_warnings(ws):
    run_id, result = programs.run_program(ws, "fake", 2025, as_of=date(2025, 10, 1))
    assert ws.run(run_id).funnel == result.funnel == (
        ("健診受診者", 5), ("腹囲あり", 5), ("基準に該当", 3), ("資格喪失を除外", 2), ("死亡を除外", 2),
        ("通知不要を除外", 2), ("通知済み（6か月以内）を除外", 2), ("通知対象", 2))
    targets = by_member(result)
    assert targets.loc["00000003", "exclusion_reason"] == "資格喪失（喪失日 2025-07-01）"
    assert targets.loc["00000004", "exclusion_reason"] == "基準まで5cm未満"
    assert targets.loc["00000002", "warnings"] == ("印刷できない文字あり（氏名: 𠮷）",)
    assert targets.loc["00000001", "warnings"] == ()
    assert ws.runs()["status"].tolist() == ["draft"]


def test_inputs_hold_the_claims_months_and_the_checkup_years_asked_for(ws):
    programs.run_program(ws, "fake", 2025)
    inputs = SEEN["inputs"]
    assert inputs.as_of == programs.default_as_of(2025) == min(date.today(), date(2026, 3, 31))
    assert sorted(inputs.receipts["service_month"]) == ["202504", "202603"]
    assert sorted(inputs.checkups["fiscal_year"].unique().tolist()) == [2023, 2025]
    assert inputs.insured_label == "組合員" and set(inputs.history.columns) >= {"member_id", "sent_date"}
    programs.run_program(ws, "monthly", 2025, month="2025-06")
    assert SEEN["inputs"].checkups["fiscal_year"].unique().tolist() == [2025]  # the default: the 年度 run only


def test_claims_window_ends_with_the_month_or_as_of_and_as_of_defaults_to_the_fiscal_year_end():
    assert programs.claims_months(FAKE, None, date(2026, 3, 31)) == ("202504", "202603")
    assert programs.claims_months(MONTHLY, "202506", date(2026, 3, 31)) == ("202506", "202506")
    assert programs.default_as_of(2025, today=date(2025, 11, 1)) == date(2025, 11, 1)
    assert programs.default_as_of(2024, today=date(2025, 11, 1)) == date(2025, 3, 31)


def test_parameters_rule_default_then_office_then_run(ws):
    assert programs.parameter_differences(ws, "fake") == []
    programs.set_office_parameters(ws, "fake", {"waist_min": 90.0, "recent_months": 6})
    assert programs.office_parameters(ws, "fake") == {"waist_min": 90.0}
    differences = programs.parameter_differences(ws, "fake")
    assert [(d.parameter.name, d.parameter.default, d.value) for d in differences] == [("waist_min", 85.0, 90.0)]
    _, office = programs.run_program(ws, "fake", 2025, as_of=date(2025, 10, 1))
    assert office.params["waist_min"] == 90.0 and office.funnel[2] == ("基準に該当", 2)
    _, run = programs.run_program(ws, "fake", 2025, as_of=date(2025, 10, 1), params={"waist_min": 84.9})
    assert run.funnel[2] == ("基準に該当", 4)
    with pytest.raises(ValueError, match="テスト事業に「nope」という設定はありません"):
        programs.run_program(ws, "fake", 2025, params={"nope": 1})
    ws.set_setting("programs.fake", {"waist_min": 90.0, "dropped_in_a_newer_rule_file": 1})
    assert programs.office_parameters(ws, "fake") == {"waist_min": 90.0}


def test_parse_parameters_reads_each_like_its_default():
    assert programs.parse_parameters("fake", {"waist_min": "90", "recent_months": " 3 ", "with_detail": "はい"}) == {
        "waist_min": 90.0, "recent_months": 3, "with_detail": True}
    with pytest.raises(ValueError, match="「recent_months」に「three」は使えません"):
        programs.parse_parameters("fake", {"recent_months": "three"})
    with pytest.raises(ValueError, match="使えるもの: waist_min, recent_months, with_detail"):
        programs.parse_parameters("fake", {"nope": "1"})


def test_unknown_program_lists_the_ids(ws):
    with pytest.raises(programs.UnknownProgram, match="「tokutei」という抽出の種類はありません。使えるもの: fake, monthly"):
        programs.run_program(ws, "tokutei", 2025)


def test_monthly_program_needs_a_month_of_the_fiscal_year(ws):
    with pytest.raises(ValueError, match="対象の月を指定"):
        programs.run_program(ws, "monthly", 2025)
    with pytest.raises(ValueError, match="2026年4月は2025年度ではありません"):
        programs.run_program(ws, "monthly", 2025, month="2026-04")
    with pytest.raises(ValueError, match="YYYY-MM"):
        programs.run_program(ws, "monthly", 2025, month="2025-13")
    run_id, result = programs.run_program(ws, "monthly", 2025, month="2026-03")
    assert result.month == "202603" and ws.run(run_id).month == "202603" and result.params["month"] == "202603"
    assert sorted(SEEN["inputs"].receipts["service_month"]) == ["202603"]
    _, by_parameter = programs.run_program(ws, "monthly", 2025, params={"month": "2025-04"})
    assert by_parameter.month == by_parameter.params["month"] == "202504"
    assert sorted(SEEN["inputs"].receipts["service_month"]) == ["202504"]


def test_review_then_explain(ws):
    run_id, _ = programs.run_program(ws, "fake", 2025, as_of=date(2025, 10, 1))
    with pytest.raises(ValueError, match="理由"):
        programs.exclude(ws, run_id, "00000001", " ")
    programs.exclude(ws, run_id, "00000001", "入院中")
    programs.include(ws, run_id, "00000004")
    lines = programs.explain_member(ws, run_id, "00000001")
    assert lines[:4] == ["テスト事業（2025年度、基準日 2025-10-01）", "区分: A　順位: 1", "抽出理由: 腹囲 90 cm（≥85）",
                         "腹囲 90 cm"]
    assert lines[-1] == "除外（事務局の判断）: 入院中"
    assert programs.explain_member(ws, run_id, "00000004")[-1] == "事務局の判断: 対象に戻した（自動の除外: 基準まで5cm未満）"
    assert programs.explain_member(ws, run_id, "00000002")[-1] == "注意: 印刷できない文字あり（氏名: 𠮷）"
    with pytest.raises(ValueError, match="加入者番号 99999999 はいません"):
        programs.explain_member(ws, run_id, "99999999")
    assert programs.approve(ws, run_id) == {"final": 2, "holdout": 0, "vouchers": 0}


def cells(sheet):
    return [[c for c in row] for row in sheet.iter_rows(values_only=True)]


def test_export_writes_members_conditions_and_details(ws, tmp_path):
    run_id, _ = programs.run_program(ws, "fake", 2025, as_of=date(2025, 10, 1), params={"with_detail": True})
    programs.exclude(ws, run_id, "00000001", "入院中")
    path = programs.export_targets_xlsx(ws, run_id, tmp_path / "out" / "targets.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["対象者", "抽出条件", "明細"]
    rows = cells(book["対象者"])
    assert rows[0] == list(programs.MEMBER_COLUMNS)
    assert rows[1] == ["00000001", "山田 太郎", "組合員", 55, "本庁", "A", "腹囲 90 cm（≥85）", "除外（事務局）", "入院中",
                       None, None]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["00000002"][2] == "被扶養者" and by_id["00000002"][9] == "印刷できない文字あり（氏名: 𠮷）"
    assert by_id["00000004"][7:9] == ["除外（自動）", "基準まで5cm未満"]
    conditions = cells(book["抽出条件"])
    flat = [c for row in conditions for c in row if c is not None]
    assert {"テスト事業", "2025年度", "2025-10-01", "fake test.1", "腹囲の基準", "85", "テスト基準", "通知対象"} <= set(flat)
    assert ["通知済み（6か月以内）を除外", 2] in [list(r[:2]) for r in conditions]
    assert ["個別の除外・復帰を反映", 1] in [list(r[:2]) for r in conditions]
    assert cells(book["明細"])[0] == ["加入者番号", "腹囲"]


def test_export_without_details_has_two_sheets(ws, tmp_path):
    run_id, _ = programs.run_program(ws, "fake", 2025, as_of=date(2025, 10, 1))
    book = openpyxl.load_workbook(programs.export_targets_xlsx(ws, run_id, tmp_path / "t.xlsx"))
    assert book.sheetnames == ["対象者", "抽出条件"]
    assert not (tmp_path / "t.xlsx.partial").exists()
