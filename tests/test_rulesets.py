"""Office overrides (事務所設定) in the workspace, the rule sets in force per 年度, and re-running a past run."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest
from pypdf import PdfReader

from dhdesk.core.fields import CHECKUPS, MEMBERS, pandas_dtype
from dhdesk.core.rules import RuleSetError, load_ruleset, versions
from dhdesk.core.union import UnionInfo
from dhdesk.io.office_files import write_canonical_csv
from dhdesk.services import imports, rulesets, stratification, workspaces
from dhdesk.services.rulesets import RulesInForce
from typed_rows import HEALTHY_MAN

SBP = "hokenshido.risk.bp.sbp"
NOW = datetime(2026, 11, 22, 9, 30)


def typed(layout, rows: list[dict]) -> pd.DataFrame:
    """Every field of `layout` (blank unless given), typed by the frame convention."""
    frame = pd.DataFrame([dict.fromkeys(layout.names) | r for r in rows])
    for name in layout.names:
        dtype = pandas_dtype(layout.field(name))
        frame[name] = pd.to_datetime(frame[name]) if dtype.startswith("datetime") else frame[name].astype(dtype)
    return frame


@pytest.fixture
def workspace(tmp_path):
    with workspaces.create_workspace(tmp_path / "rules", UnionInfo("テスト共済組合", "32239014")) as ws:
        yield ws


@pytest.fixture
def fy2023(workspace, tmp_path):
    """Two obese men examined in FY2023: 収縮期 132 (one risk at the official 130) and 128."""
    people = [("M01", 132.0), ("M02", 128.0)]
    members = typed(MEMBERS, [
        {"member_id": mid, "kigo": "1", "bango": str(n), "name": "健診 太郎", "sex": 1, "birth_date": "1974-10-01",
         "relation": 1, "acquired_date": "2000-04-01"} for n, (mid, _) in enumerate(people, start=1)
    ])
    write_canonical_csv(members, MEMBERS, tmp_path / "台帳.csv")
    assert imports.import_file(workspace, tmp_path / "台帳.csv", "members").accepted
    rows = typed(CHECKUPS, [HEALTHY_MAN | {"member_id": mid, "exam_date": "2023-06-01", "waist": 90.0, "sbp": sbp}
                            for mid, sbp in people])
    write_canonical_csv(rows, CHECKUPS, tmp_path / "健診.csv")
    assert imports.import_file(workspace, tmp_path / "健診.csv", "checkups").accepted
    return workspace


def test_without_overrides_the_official_rule_sets_are_in_force(workspace):
    rules = rulesets.rule_sets(workspace, 2023)
    assert (rules.stratification.id, rules.referral.id) == ("tokutei_3ki", "jushin_kankoku")
    assert rules.override_count == 0 and rulesets.override_differences(workspace) == []
    assert rules.label == (
        "特定健診・特定保健指導 第3期 (平成30〜令和5年度)（tokutei_3ki 版 2018.1）。"
        "受診勧奨判定値は受診勧奨 第4期の値（2023年度の値は未収録）"
    )
    assert rulesets.rule_sets(workspace, 2024).label.endswith("（tokutei_4ki 版 2024.1）")


def test_an_override_is_stored_with_its_reason_and_applied_beside_the_official_value(workspace):
    stored = rulesets.set_override(workspace, "tokutei_4ki", SBP, 135, "  組合の重点対象に絞るため ", now=NOW)
    assert stored == rulesets.Override(SBP, 135.0, "組合の重点対象に絞るため", "2026-11-22T09:30:00")
    assert workspace.get_setting("rules.overrides.tokutei_4ki") == {
        SBP: {"value": 135.0, "reason": "組合の重点対象に絞るため", "changed_at": "2026-11-22T09:30:00"}
    }
    threshold = rulesets.rule_sets(workspace, 2024).stratification.threshold(SBP)
    assert (threshold.value, threshold.official) == (135.0, 130.0)
    assert rulesets.rule_sets(workspace, 2023).override_count == 0  # 第3期 keeps its own values
    [difference] = rulesets.override_differences(workspace)
    assert (difference.rule_id, difference.official, difference.value) == ("tokutei_4ki", 130.0, 135.0)
    assert difference.source.startswith("R6プログラム p.47: 標準的な健診・保健指導プログラム")
    assert difference.text == "収縮期血圧 [hokenshido.risk.bp.sbp]: 公式 130mmHg以上 → 事務所設定 135mmHg以上"
    assert rulesets.rule_sets(workspace, 2024).label.endswith("・事務所設定あり（1件）")


@pytest.mark.parametrize(("threshold_id", "value", "reason", "message"), [
    ("hokenshido.risk.bp.sb", 135, "理由", "不明なルールID 'hokenshido.risk.bp.sb' です。近いもの: hokenshido.risk.bp.sbp"),
    ("hokenshido.age.senior", 64.5, "理由", "整数で指定してください"),
    (SBP, 135, "   ", "事務所設定には理由を入力してください"),
])
def test_unusable_overrides_are_refused_and_nothing_is_stored(workspace, threshold_id, value, reason, message):
    with pytest.raises(RuleSetError, match=message):
        rulesets.set_override(workspace, "tokutei_4ki", threshold_id, value, reason)
    assert workspace.get_setting("rules.overrides.tokutei_4ki") is None


def test_the_official_value_or_reset_brings_the_default_back(workspace):
    rulesets.set_override(workspace, "tokutei_4ki", SBP, 135, "理由")
    rulesets.set_override(workspace, "tokutei_4ki", "hokenshido.risk.bp.dbp", 88, "理由")
    assert rulesets.set_override(workspace, "tokutei_4ki", SBP, 130, "") is None
    assert list(rulesets.overrides(workspace, "tokutei_4ki")) == ["hokenshido.risk.bp.dbp"]
    rulesets.reset_override(workspace, "tokutei_4ki", "hokenshido.risk.bp.dbp")
    assert rulesets.overrides(workspace, "tokutei_4ki") == {}
    rulesets.set_override(workspace, "jushin_kankoku", "referral.sbp", 145, "理由")
    rulesets.reset_overrides(workspace, "jushin_kankoku")
    assert rulesets.rule_sets(workspace, 2024).override_count == 0


def test_a_stale_stored_value_is_reported_not_silently_dropped(workspace):
    workspace.set_setting("rules.overrides.tokutei_3ki", {"hokenshido.gone": {"value": 1, "reason": "r"}})
    with pytest.raises(RuleSetError, match="第3期 .*の事務所設定が使えません"):
        rulesets.rule_sets(workspace, 2023)


def test_thresholds_table_lists_every_threshold_official_and_office(workspace):
    rulesets.set_override(workspace, "tokutei_3ki", "hokenshido.step1.waist.female", 88, "理由A", now=NOW)
    table = rulesets.thresholds_table(workspace, "tokutei_3ki").set_index("threshold_id")
    assert len(table) == len(load_ruleset("tokutei_3ki").thresholds)
    waist = table.loc["hokenshido.step1.waist.female"]
    shown = (waist["label"], waist["official"], waist["value"], waist["value_number"])
    assert shown == ("腹囲(女性)", "90cm", "88cm", "88")
    assert (bool(waist["overridden"]), waist["reason"], waist["changed_at"]) == (True, "理由A", "2026-11-22T09:30:00")
    assert table.loc["hokenshido.risk.lipid.tg_random", "official"] == "150mg/dL"
    assert not table.loc["hokenshido.risk.lipid.tg_random", "overridden"]
    assert rulesets.thresholds_table(None, "tokutei_3ki").loc[1, "value"] == "75歳"


def test_rule_sets_in_force_come_first_in_the_settings_list():
    assert [r.id for r in rulesets.editable_rule_sets(2023)][:2] == ["tokutei_3ki", "jushin_kankoku"]
    assert [r.id for r in rulesets.editable_rule_sets(2025)][:2] == ["tokutei_4ki", "jushin_kankoku"]


def test_a_record_rebuilds_the_rules_of_a_run_after_the_office_values_changed(workspace):
    rulesets.set_override(workspace, "tokutei_4ki", SBP, 135, "理由")
    used = rulesets.rule_sets(workspace, 2024)
    record = json.loads(json.dumps(used.record()))
    assert record["stratification"] == {"id": "tokutei_4ki", "version": "2024.1", "overrides": {SBP: 135.0}}
    rulesets.reset_overrides(workspace, "tokutei_4ki")
    again = RulesInForce.from_record(record)
    assert again == used and again.stratification.threshold(SBP).value == 135.0


def _rule_file(version: str, waist: float) -> str:
    return f'''id = "trial"
version = "{version}"
title = "試験"
short_title = "試験"
first_fiscal_year = 2024
last_fiscal_year = 2029
[sources.s]
document = "d"
short = "s"
url = "https://example.org/"
[[thresholds]]
id = "step1.waist"
label = "腹囲"
item = "waist"
comparison = "ge"
value = {waist}
unit = "cm"
source = "s"
confidence = "OK"
'''


def test_a_superseded_version_is_read_from_its_archived_file(tmp_path, monkeypatch):
    (tmp_path / "trial.toml").write_text(_rule_file("2025.1", 86.0), encoding="utf-8")
    (tmp_path / versions.archived_file_name("trial", "2024.1")).write_text(_rule_file("2024.1", 85.0), encoding="utf-8")
    monkeypatch.setattr(versions, "rules_folder", lambda: tmp_path)
    assert versions.archived_versions("trial") == ["2024.1"]
    assert rulesets.rule_set_for("trial", "2025.1", {}).threshold("step1.waist").value == 86.0
    old = rulesets.rule_set_for("trial", "2024.1", {"step1.waist": 84.0})
    assert (old.version, old.threshold("step1.waist").value, old.threshold("step1.waist").official) == ("2024.1", 84.0, 85.0)
    with pytest.raises(RuleSetError, match="版 2023.1 は保管されていません。保管されている版: 2025.1、2024.1"):
        rulesets.rule_set_for("trial", "2023.1", {})


def test_the_shipped_current_files_are_their_own_versions():
    for rule_id in (*versions.STRATIFICATION_RULE_IDS, *versions.REFERRAL_RULE_IDS):
        current = load_ruleset(rule_id)
        assert versions.load_version(rule_id, current.version) == current


def test_fy2023_is_stratified_with_the_third_period_and_the_office_values(fy2023, tmp_path):
    official = stratification.stratify_workspace(fy2023, 2023)
    assert official.rules.id == "tokutei_3ki"
    assert official.table.set_index("member_id")["level"].to_dict() == {"M01": "動機付け支援", "M02": "情報提供"}
    rulesets.set_override(fy2023, "tokutei_3ki", SBP, 135, "重点化")
    result = stratification.stratify_workspace(fy2023, 2023)
    assert result.table.set_index("member_id")["level"].to_dict() == {"M01": "情報提供", "M02": "情報提供"}
    assert result.rule_text.startswith("判定基準: 特定健診・特定保健指導 第3期")
    assert result.rule_text.endswith(
        "（tokutei_3ki 版 2018.1）。受診勧奨判定値は受診勧奨 第4期の値（2023年度の値は未収録）・事務所設定あり（1件）"
    )
    assert "収縮期 132 < 135(事務所設定; 公式 130)" in result.explain("M01")

    csv = pd.read_csv(stratification.write_table_csv(result, tmp_path / "out.csv"), dtype=str, encoding="utf-8-sig")
    assert set(csv["判定基準"]) == {result.rules_in_force.label}
    notes = stratification.summary_of(result, fy2023.union_info()).notes
    assert notes[0] == (f"判定基準: {result.rules_in_force.label}。"
                        "収縮期血圧 [hokenshido.risk.bp.sbp]: 公式 130mmHg以上 → 事務所設定 135mmHg以上")
    pdf = stratification.write_summary_pdf(result, fy2023.union_info(), tmp_path / "概要.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "")
    assert "事務所設定あり（1件）" in text and "tokutei_3ki" in text


def test_a_past_run_is_repeated_with_the_rules_it_recorded(fy2023):
    rulesets.set_override(fy2023, "tokutei_3ki", SBP, 135, "重点化")
    first = stratification.stratify_workspace(fy2023, 2023)
    record = first.rules_in_force.record()
    rulesets.reset_overrides(fy2023, "tokutei_3ki")
    repeated = stratification.stratify_workspace(fy2023, 2023, rules=RulesInForce.from_record(record))
    pd.testing.assert_frame_equal(repeated.table, first.table)
    assert stratification.stratify_workspace(fy2023, 2023).table["level"].tolist() == ["動機付け支援", "情報提供"]
