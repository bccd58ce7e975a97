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
