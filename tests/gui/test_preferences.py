"""設定 page: union details saved to the workspace, backups, UI preferences."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from dhdesk.gui.pages.preferences import reason_label
from dhdesk.gui.settings import Settings


def test_union_details_are_saved_to_the_workspace(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("settings")
    page.union_form.phone.setText("03-9999-0000")
    page.union_form.department.setText("健康増進課")
    page.save_union_button.click()
    assert page.union_message.text() == "保存しました。"
    union = window.session.workspace.union_info()
    assert (union.phone, union.department) == ("03-9999-0000", "健康増進課")


def test_invalid_union_details_are_not_saved(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("settings")
    before = window.session.workspace.union_info()
    page.union_form.insurer_number.setText("12AB")
    page.save_union_button.click()
    assert page.union_message.text() == "保険者番号は6桁または8桁の数字で入力してください。"
    assert window.session.workspace.union_info() == before


def test_backup_now_adds_a_manual_backup(window, qtbot, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("settings")
    before = page.backup_model.rowCount()
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.backup_button.click()
    assert page.backup_model.rowCount() == before + 1
    assert "手動" in list(page.backup_model.frame["reason"])
    assert str(demo_workspace.name + ".backups") in page.backup_folder_label.text()


def test_reason_labels():
    assert reason_label("manual") == "手動"
    assert reason_label("before-migration-v2") == "形式の更新(v2)の前"
    assert reason_label("before-undo-14") == "取込14の取り消しの前"
    assert reason_label("before-demo-rebuild") == "サンプルの作り直しの前"
    assert reason_label("something-new") == "something-new"


def test_preferences_are_stored_and_font_size_applies_at_once(window):
    page = window.show_page("settings")
    original = QApplication.instance().font()
    try:
        page.preference_spins["ui/font_point_size"].setValue(14)
        page.preference_spins["demo/members"].setValue(500)
        assert Settings().get("ui/font_point_size") == 14
        assert Settings().get("demo/members") == 500
        assert QApplication.instance().font().pointSize() == 14
    finally:
        QApplication.instance().setFont(original)


def test_without_workspace_editing_is_disabled(window):
    page = window.show_page("settings")
    assert not page.save_union_button.isEnabled()
    assert not page.backup_button.isEnabled()
    assert page.union_message.text() == "ワークスペースを開くと編集できます。"


# ── 判定基準 (事務所設定) ───────────────────────────────────────────────────────

SBP = "hokenshido.risk.bp.sbp"


def _rules_box(window, demo_workspace):
    window.open_workspace(demo_workspace)
    box = window.show_page("settings").rules_box
    box.rule_combo.setCurrentIndex(box.rule_combo.findData("tokutei_4ki"))
    return box


def test_rules_section_lists_every_threshold_of_the_rule_sets(window, demo_workspace):
    from dhdesk.core.rules import load_ruleset

    box = _rules_box(window, demo_workspace)
    ids = [box.rule_combo.itemData(i) for i in range(box.rule_combo.count())]
    assert sorted(ids) == ["jushin_kankoku", "tokutei_3ki", "tokutei_4ki"]
    assert box.model.rowCount() == len(load_ruleset("tokutei_4ki").thresholds)
    row = box.model.frame.set_index("threshold_id").loc[SBP]
    assert (row["official"], row["value"], row["reason"]) == ("130mmHg", "130mmHg", "")
    assert box.differences_label.text() == "公式の値との違いはありません(すべて公式の値で判定します)。"


def test_an_office_value_is_saved_with_its_reason_shown_as_a_difference_and_reset(window, demo_workspace):
    from dhdesk.services import rulesets

    box = _rules_box(window, demo_workspace)
    box.select_threshold(SBP)
    assert box.value_edit.text() == "130"
    box.value_edit.setText("135")
    box.reason_edit.setText("重点化のため")
    box.save_button.click()
    assert box.message.text() == "保存しました。"
    row = box.model.frame.set_index("threshold_id").loc[SBP]
    assert (row["value"], bool(row["overridden"]), row["reason"]) == ("135mmHg", True, "重点化のため")
    assert "公式 130mmHg以上 → 事務所設定 135mmHg以上（理由: 重点化のため）" in box.differences_label.text()
    assert box.differences_label.text().startswith("公式の値との違い（1件）")
    assert rulesets.rule_sets(window.session.workspace, 2025).stratification.threshold(SBP).value == 135.0

    box.select_threshold(SBP)
    box.reset_button.click()
    assert box.message.text() == "既定(公式の値)に戻しました。"
    assert rulesets.rule_sets(window.session.workspace, 2025).override_count == 0


def test_an_office_value_without_reason_or_number_is_refused(window, demo_workspace):
    box = _rules_box(window, demo_workspace)
    box.select_threshold(SBP)
    box.value_edit.setText("135")
    box.save_button.click()
    assert box.message.text().startswith("事務所設定には理由を入力してください")
    box.value_edit.setText("百三十五")
    box.reason_edit.setText("理由")
    box.save_button.click()
    assert box.message.text() == "事務所の値は数値で入力してください。"
    assert window.session.workspace.get_setting("rules.overrides.tokutei_4ki") is None


def test_without_workspace_the_official_values_are_shown_read_only(window):
    box = window.show_page("settings").rules_box
    assert box.model.rowCount() > 0 and not box.save_button.isEnabled()
    assert box.message.text() == "ワークスペースを開くと編集できます。"
