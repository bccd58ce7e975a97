"""通知・発送 screen: print an approved list's letters, edit their wording, the send history and its effect.

Four tabs in the order a clerk works: 発送 (list → route → preview → 作成), 文面の編集, 発送履歴
(再印刷・取消) and 効果測定. A batch printed or cancelled in one tab refreshes the others.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.gui.pages.notices_effect import EffectPanel
from dhdesk.gui.pages.notices_history import HistoryPanel
from dhdesk.gui.pages.notices_send import SendPanel
from dhdesk.gui.pages.notices_template import TemplatePanel


class NoticesPage(Page):
    title = "通知・発送"
    explanation = ("確定した対象者リストから、通知文(長3窓付き封筒用)・宛名ラベル・発送リスト・控えを作り、"
                   "発送を記録します。記録した発送は再印刷・取消ができ、数か月後に効果(受診率・切替率)を測れます。")

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.letterhead_label = QLabel("")
        self.letterhead_label.setWordWrap(True)
        self.letterhead_label.setProperty("role", "missing")
        self.letterhead_label.hide()
        self.send_panel = SendPanel(context)
        self.template_panel = TemplatePanel(context)
        self.history_panel = HistoryPanel(context)
        self.effect_panel = EffectPanel(context)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.send_panel, "発送")
        self.tabs.addTab(self.template_panel, "文面の編集")
        self.tabs.addTab(self.history_panel, "発送履歴")
        self.tabs.addTab(self.effect_panel, "効果測定")
        self.send_panel.batch_printed.connect(lambda _batch: self._batches_changed(self.send_panel))
        self.history_panel.batches_changed.connect(lambda: self._batches_changed(self.history_panel))
        self.template_panel.template_changed.connect(self.send_panel.template_changed)
        self.body.addWidget(self.letterhead_label)
        self.body.addWidget(self.tabs, 1)

    def refresh(self) -> None:
        ws = self.workspace
        union = ws.union_info() if ws is not None else None
        missing = [name for name, value in (("郵便番号", union.postal_code), ("住所", union.address),
                                            ("電話", union.phone)) if not value] if union is not None else []
        self.letterhead_label.setText(
            f"差出人(組合のレターヘッド)の{'・'.join(missing)}が未入力です。「設定」で入力すると通知文に印刷されます。")
        self.letterhead_label.setVisible(bool(missing))
        for panel in (self.send_panel, self.template_panel, self.history_panel, self.effect_panel):
            panel.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Lists approved on 対象者抽出 since the last visit appear without reopening the workspace."""
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def _batches_changed(self, source: QWidget) -> None:
        for panel in (self.send_panel, self.history_panel, self.effect_panel):
            if panel is not source:
                panel.refresh()
