"""The insurer's details form (組合情報): name, 保険者番号, 種別 and the letterhead address block.

Shared by the new-workspace dialog and the settings page so both edit `UnionInfo` the same way.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from dhdesk.core.union import UnionInfo, UnionType


class UnionForm(QWidget):
    """Edits one UnionInfo; validation stays in `UnionInfo.problems()`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("例: ○○共済組合")
        self.insurer_number = QLineEdit()
        self.insurer_number.setPlaceholderText("6桁または8桁の数字")
        self.insurer_number.setMaxLength(8)
        self.union_type = QComboBox()
        for kind in UnionType:
            self.union_type.addItem(kind.value, kind.value)
        self.postal_code = QLineEdit()
        self.postal_code.setPlaceholderText("例: 100-0013")
        self.address = QLineEdit()
        self.phone = QLineEdit()
        self.department = QLineEdit()
        self.department.setPlaceholderText("例: 保健事業課")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("組合の名称", self.name)
        form.addRow("保険者番号", self.insurer_number)
        form.addRow("種別", self.union_type)
        form.addRow("郵便番号", self.postal_code)
        form.addRow("住所", self.address)
        form.addRow("電話", self.phone)
        form.addRow("担当部署", self.department)

    def value(self) -> UnionInfo:
        return UnionInfo(
            name=self.name.text().strip(),
            insurer_number=self.insurer_number.text().strip(),
            union_type=UnionType(self.union_type.currentData()),
            postal_code=self.postal_code.text().strip(),
            address=self.address.text().strip(),
            phone=self.phone.text().strip(),
            department=self.department.text().strip(),
        )

    def set_value(self, union: UnionInfo) -> None:
        self.name.setText(union.name)
        self.insurer_number.setText(union.insurer_number)
        self.union_type.setCurrentIndex(self.union_type.findData(UnionType(union.union_type).value))
        self.postal_code.setText(union.postal_code)
        self.address.setText(union.address)
        self.phone.setText(union.phone)
        self.department.setText(union.department)
