"""The member page (加入者の詳細): every flag of one member with its reason, as a pane or a window.

The content is `services.member_profile` (the roster, each 年度's 保健指導レベル・メタボ・受診勧奨 with the
texts `dhdesk stratify` writes, the lists and the letters); this module only lays it out. Other pages
open it through `show_member`, a seam tests replace.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from dhdesk.services.member_profile import MemberProfile, member_profile

PROMPT = "一覧で加入者を選ぶと、ここに台帳・健診の判定とその理由・対象者抽出・通知の発送が表示されます。"


def profile_html(profile: MemberProfile) -> str:
    """The sections as simple HTML: a heading each, one paragraph a line with its label in bold,
    「　」-indented lines indented."""
    parts = []
    for section in profile.sections:
        parts.append(f"<h3>{escape(section.title)}</h3>")
        for line in section.lines:
            indent = ' style="margin-left:1.5em"' if line.startswith("　") else ""
            label, colon, rest = line.strip().partition(": ")
            text = f"<b>{escape(label)}:</b> {escape(rest)}" if colon else escape(label)
            parts.append(f"<p{indent}>{text}</p>")
    return "\n".join(parts)


class MemberView(QWidget):
    """Title line and the profile text (selectable, so a clerk can copy a reason into a reply)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile: MemberProfile | None = None
        self.title_label = QLabel("")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title_label.setFont(font)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.document().setDefaultStyleSheet("h3 { margin-top: 10px; margin-bottom: 2px; } p { margin: 1px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.text, 1)
        self.show_profile(None)

    def show_profile(self, profile: MemberProfile | None, message: str = PROMPT) -> None:
        """Show a member, or `message` when there is none to show."""
        self.profile = profile
        if profile is None:
            self.title_label.setText("加入者の詳細")
            self.text.setPlainText(message)
            return
        self.title_label.setText(f"加入者の詳細　{profile.title}")
        self.text.setHtml(profile_html(profile))

    def show_member(self, workspace, member_id: str, fiscal_year: int | None = None) -> None:
        """Read and show one member (a few queries of that member only: fast enough on the GUI thread)."""
        self.show_profile(member_profile(workspace, member_id, fiscal_year))


class MemberDialog(QDialog):
    """The member page in its own window, for screens that have no room for a pane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("加入者の詳細")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 680)
        self.view = MemberView()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)


def show_member(parent: QWidget, workspace, member_id: str, fiscal_year: int | None = None) -> MemberDialog:
    """Open the member page in a window beside `parent` (not modal: the clerk keeps working)."""
    dialog = MemberDialog(parent)
    dialog.view.show_member(workspace, member_id, fiscal_year)
    dialog.show()
    return dialog
