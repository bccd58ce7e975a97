"""The member page's content: roster history, each 年度's flags with the stratify texts, runs and notices."""

from __future__ import annotations

import time
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.fields import CHECKUPS, MEMBERS, pandas_dtype
from dhdesk.core.programs import TargetList
from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.services import mailing, rulesets, stratification
from dhdesk.services.member_profile import member_profile
from dhdesk.store.workspace import Workspace
from typed_rows import HEALTHY_MAN

UNION = UnionInfo("テスト共済組合", "31130001", UnionType.MUTUAL_AID, "460-0001", "愛知県名古屋市中区三の丸1-1",
                  "052-000-0000", "保健事業課")
SBP = "hokenshido.risk.bp.sbp"


def typed(layout, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([dict.fromkeys(layout.names) | r for r in rows])
    for name in layout.names:
        dtype = pandas_dtype(layout.field(name))
        frame[name] = pd.to_datetime(frame[name]) if dtype.startswith("datetime") else frame[name].astype(dtype)
    return frame


def person(member_id: str, **values) -> dict:
    return {"member_id": member_id, "kigo": "1", "bango": member_id[-2:], "name": "山田　太郎", "name_kana": "ヤマダ　タロウ",
            "sex": 1, "birth_date": "1974-10-01", "relation": 1, "office": "本庁", "postal_code": "491-0066",
            "address1": "愛知県一宮市三丹町1-2", "acquired_date": "2010-04-01", "no_mail": 2} | values


def saved_run(ws: Workspace, member_ids: list[str], *, tier: str = "②受診勧奨", excluded: tuple[str, ...] = ()) -> int:
    """A jushin list of `member_ids` (one exceeded item each), approved; `excluded` taken off by the clerk."""
    n = len(member_ids)
    targets = pd.DataFrame({
        "member_id": pd.array(member_ids, dtype="string"), "tier": pd.array([tier] * n, dtype="string"),
        "rank": pd.array(range(1, n + 1), dtype="Int64"),
        "reason": pd.array(["収縮期血圧 142 mmHg（≥140）"] * n, dtype="string"),
        "explanation": pd.Series([("収縮期血圧 142 mmHg は 140 mmHg以上",)] * n, dtype=object),
        "values": pd.Series([{"exam_date": "2024-06-01", "window_months": 3,
                              "items": [{"label": "収縮期血圧", "value": 142.0, "unit": "mmHg",
                                         "criterion": "140mmHg以上", "tier": tier}]}] * n, dtype=object),
        "warnings": pd.Series([()] * n, dtype=object),
        "excluded": [m in excluded for m in member_ids],
        "exclusion_reason": pd.array(["本人から辞退" if m in excluded else pd.NA for m in member_ids], dtype="string"),
        "excluded_by": pd.array(["clerk" if m in excluded else pd.NA for m in member_ids], dtype="string"),
        "voucher_number": pd.array([pd.NA] * n, dtype="string"), "holdout": False,
    })
    run_id = ws.save_run(TargetList("jushin", 2024, None, "2024.1", {"window_months": 3}, targets,
                                    (("通知対象", n - len(excluded)),), as_of=date(2025, 3, 31)))
    ws.approve_run(run_id, 0.0, seed=1)
    return run_id


@pytest.fixture
def ws(tmp_path):
    """M01: 家族 until 2010, then 本人; examined FY2023 (第3期) and FY2024 (obese, 収縮期 142). M02: address mismatch."""
    with Workspace.create(tmp_path / "union.dhdesk", UNION) as workspace:
        workspace.import_batch("members", "members.csv", "m", {"members": typed(MEMBERS, [
            person("M01", relation=2, acquired_date="1998-04-01", lost_date="2010-03-31", office=None),
            person("M01"),
            person("M02", name="鈴木　花子", sex=2, address1="東京都千代田区千代田1-1", no_mail=1),
        ])})
        workspace.import_batch("checkups", "checkups.csv", "c", {"checkups": typed(CHECKUPS, [
            HEALTHY_MAN | {"member_id": "M01", "exam_date": "2024-06-01", "waist": 90.0, "sbp": 142.0,
                           "clinic": "一宮健診センター", "clinic_level": "4"},
            HEALTHY_MAN | {"member_id": "M01", "exam_date": "2023-06-01", "clinic": "一宮健診センター"},
            HEALTHY_MAN | {"member_id": "M02", "sex": 2, "exam_date": "2024-07-01"},
        ])})
        yield workspace


def test_the_roster_shows_every_period_relation_office_and_the_address_check(ws):
    profile = member_profile(ws, "M01")
    assert (profile.name, profile.sex, profile.birth_date, profile.relation) == ("山田　太郎", "男", date(1974, 10, 1),
                                                                              "組合員")
    assert [(p.acquired, p.lost, p.relation, p.office) for p in profile.periods] == [
        (date(1998, 4, 1), date(2010, 3, 31), "被扶養者", ""), (date(2010, 4, 1), None, "組合員", "本庁")]
    roster = profile.sections[0]
    assert roster.title == "加入者台帳"
    assert "　1998-04-01 取得 〜 2010-03-31 喪失　被扶養者（所属所 なし）" in roster.lines
    assert "住所: 〒491-0066 愛知県一宮市三丹町1-2" in roster.lines
    assert "住所の確認: 郵便番号と住所1は一致しています。" in roster.lines
    assert "通知不要: いいえ" in roster.lines


def test_a_postal_code_of_another_town_and_no_mail_are_said(ws):
    profile = member_profile(ws, "M02")
    assert profile.no_mail and profile.relation == "組合員"
    [problem] = profile.address_problems
    assert problem.startswith("郵便番号「〒491-0066」は愛知県一宮市の番号ですが")
    assert "通知不要: はい（通知を送りません）" in profile.sections[0].lines


def test_each_years_flags_carry_the_texts_dhdesk_stratify_writes(ws):
    profile = member_profile(ws, "M01")
    assert [(c.fiscal_year, c.exam_date) for c in profile.checkups] == [(2023, date(2023, 6, 1)),
                                                                        (2024, date(2024, 6, 1))]
    flags = profile.checkups[1]
    expected = stratification.stratify_workspace(ws, 2024).table.set_index("member_id").loc["M01"]
    assert (flags.level, flags.metabo, flags.tier) == (expected["level"], expected["metabo"], expected["tier"])
    assert flags.level == "動機付け支援"
    assert (flags.reason, flags.referral_reason) == (expected["reason"], expected["referral_reason"])
    assert flags.clinic_difference == expected["clinic_difference"] != ""
    assert flags.referral_items == ("収縮期血圧",)
    lines = dict(line.split(": ", 1) for line in flags.lines if ": " in line)
    assert lines["健診機関の判定との違い"] == flags.clinic_difference
    assert lines["判定基準"].endswith("（tokutei_4ki 版 2024.1）")
    assert profile.checkups[0].rule_label.startswith("特定健診・特定保健指導 第3期")  # each 年度 its own rules
    assert [s.title for s in profile.sections[1:3]] == ["2024年度の健診", "2023年度の健診"]  # newest first


def test_office_values_in_force_change_the_flags_and_say_so(ws):
    rulesets.set_override(ws, "tokutei_4ki", SBP, 143, "重点対象に絞るため")
    flags = member_profile(ws, "M01", fiscal_year=2024).checkups[0]
    assert flags.level == "情報提供"  # 142 < 143: no blood-pressure risk left
    assert "142 < 143" in flags.reason
    assert flags.rule_label.endswith("・事務所設定あり（1件）")


def test_a_fiscal_year_limits_checkups_and_runs(ws):
    saved_run(ws, ["M01"])
    profile = member_profile(ws, "M01", fiscal_year=2023)
    assert [c.fiscal_year for c in profile.checkups] == [2023]
    assert profile.runs == () and profile.notices == ()


def test_runs_that_list_the_member_with_exclusion_and_the_letters_sent(ws, tmp_path):
    sent = saved_run(ws, ["M01", "M02"])
    declined = saved_run(ws, ["M01"], excluded=("M01",))
    saved_run(ws, ["M02"])
    batch = mailing.generate_batch(ws, sent, tmp_path / "out", sent_date=date(2025, 4, 10)).batch_id
    profile = member_profile(ws, "M01")
    assert [(r.run_id, r.status, r.tier, r.excluded) for r in profile.runs] == [
        (declined, "承認済み", "②受診勧奨", True), (sent, "承認済み", "②受診勧奨", False)]
    assert "除外（事務局の判断）: 本人から辞退" in profile.runs[0].lines
    assert profile.runs[1].lines[1:3] == ("区分: ②受診勧奨　順位: 1", "抽出理由: 収縮期血圧 142 mmHg（≥140）")
    [notice] = profile.notices
    assert (notice.batch_id, notice.run_id, notice.sent_date, notice.status) == (batch, sent, date(2025, 4, 10),
                                                                                 "発送済み")
    assert notice.text.startswith(f"発送番号 {batch}　受診勧奨")
    titles = [s.title for s in profile.sections]
    assert titles[-2:] == ["対象者抽出", "通知の発送"]
    mailing.cancel(ws, batch, "宛先の誤り")
    assert member_profile(ws, "M01").notices[0].status == "取消"


def test_a_member_not_in_the_roster_is_said_and_has_nothing_else(ws):
    profile = member_profile(ws, "X99")
    assert not profile.in_roster and profile.checkups == () and profile.runs == ()
    assert [(s.title, s.lines) for s in profile.sections] == [
        ("加入者台帳", ("加入者番号 X99 は加入者台帳にありません。",)), ("健診", ("健診結果はありません。",)),
        ("対象者抽出", ("この加入者を含む対象者リストはありません。",)), ("通知の発送", ("送った通知はありません。",))]


def test_one_member_is_read_fast(ws):
    for _ in range(3):
        saved_run(ws, ["M01", "M02"])
    started = time.perf_counter()
    member_profile(ws, "M01")
    assert time.perf_counter() - started < 1.0


def test_a_year_no_rule_set_covers_is_listed_as_not_judged(ws):
    ws.import_batch("checkups", "old.csv", "c2", {"checkups": typed(CHECKUPS, [
        HEALTHY_MAN | {"member_id": "M02", "sex": 2, "exam_date": "2017-06-01"}])})
    profile = member_profile(ws, "M02")
    assert [c.fiscal_year for c in profile.checkups] == [2024]
    [line] = profile.unjudged_years
    assert line.startswith("2017年度: 判定していません（")
    assert ("判定できない健診", (line,)) in [(s.title, s.lines) for s in profile.sections]
