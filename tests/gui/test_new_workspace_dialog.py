"""新規ワークスペース dialog: values, validation messages, .dhdesk suffix, ask() without blocking."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.gui.dialogs.new_workspace import NewWorkspaceDialog


def fill(dialog, *, name="髙﨑共済組合", number="31130012", path=""):
    dialog.form.name.setText(name)
    dialog.form.insurer_number.setText(number)
    dialog.form.union_type.setCurrentText("単一健保")
    dialog.form.postal_code.setText("100-0013")
    dialog.form.address.setText("東京都千代田区霞が関1-2-2")
    dialog.form.phone.setText("03-1234-5678")
    dialog.form.department.setText("保健事業課")
    dialog.path_edit.setText(path)


def test_value_is_the_path_with_suffix_and_the_union(qtbot, tmp_path):
    dialog = NewWorkspaceDialog(directory=tmp_path)
    qtbot.addWidget(dialog)
    fill(dialog, path=str(tmp_path / "髙﨑"))
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    path, union = dialog.value()
    assert path == tmp_path / "髙﨑.dhdesk"
    assert union == UnionInfo(
        "髙﨑共済組合", "31130012", UnionType.SINGLE, "100-0013", "東京都千代田区霞が関1-2-2", "03-1234-5678", "保健事業課"
    )


def test_missing_details_are_listed_and_the_dialog_stays_open(qtbot, tmp_path):
    dialog = NewWorkspaceDialog(directory=tmp_path)
    qtbot.addWidget(dialog)
    fill(dialog, name=" ", number="12345", path="")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    shown = dialog.problems_label.text()
    assert "組合の名称を入力してください。" in shown
    assert "保険者番号は6桁または8桁の数字で入力してください。" in shown
    assert "保存先のファイルを指定してください。" in shown


def test_an_existing_file_is_never_overwritten(qtbot, tmp_path):
    (tmp_path / "既存.dhdesk").write_bytes(b"x")
    dialog = NewWorkspaceDialog(directory=tmp_path)
    qtbot.addWidget(dialog)
    fill(dialog, path=str(tmp_path / "既存.dhdesk"))
    assert dialog.problems() == ["そのファイルはすでにあります。別の名前を指定してください。"]


def test_six_digit_insurer_number_is_accepted(qtbot, tmp_path):
    dialog = NewWorkspaceDialog(directory=tmp_path)
    qtbot.addWidget(dialog)
    fill(dialog, number="123456", path=str(tmp_path / "a.dhdesk"))
    assert dialog.problems() == []


def test_ask_returns_none_when_cancelled_and_values_when_accepted(qtbot, tmp_path):
    def answer(accept):
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NewWorkspaceDialog) and w.isVisible())
        if accept:
            fill(dialog, path=str(tmp_path / "b.dhdesk"))
            dialog.accept()
        else:
            dialog.reject()

    QTimer.singleShot(0, lambda: answer(False))
    assert NewWorkspaceDialog.ask(None, tmp_path) is None
    QTimer.singleShot(0, lambda: answer(True))
    path, union = NewWorkspaceDialog.ask(None, tmp_path)
    assert path == tmp_path / "b.dhdesk"
    assert union.insurer_number == "31130012"

