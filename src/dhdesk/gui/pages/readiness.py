"""Readiness (準備状況) screens: what a feature will do, what data it needs, and what the workspace has.

対象者抽出, 通知・発送 and 計画レポート arrive in later versions. Until then their screens say plainly
what they will do and show, from the open workspace, which of the data they need is already there,
so a clerk can prepare (import the files) without guessing. No button pretends to do more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from dhdesk.core.union import UnionInfo
from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.services import workspaces

@dataclass(frozen=True)
class Holdings:
    """What the open workspace holds, as numbers (from the home summary)."""

    union: UnionInfo
    members: int = 0
    insured: int = 0
    dependants: int = 0
    checkups: dict[int, int] = field(default_factory=dict)
    receipts: dict[int, int] = field(default_factory=dict)
    drug_master_versions: int = 0


def holdings(summary: workspaces.HomeSummary) -> Holdings:
    """The home summary's numbers, by kind and 年度."""
    totals = summary.totals
    return Holdings(
        union=summary.union,
        members=totals.get("members_active", 0),
        insured=totals.get("insured_active", 0),
        dependants=totals.get("dependants_active", 0),
        checkups={fy: n for fy in summary.fiscal_years if (n := totals.get(f"checkups_fy{fy}", 0))},
        receipts={fy: n for fy in summary.fiscal_years if (n := totals.get(f"receipts_fy{fy}", 0))},
        drug_master_versions=totals.get("drug_master_versions", 0),
    )


@dataclass(frozen=True)
class Need:
    """One kind of data a feature needs; `check` says what the workspace has (None = not yet)."""

    label: str
    purpose: str
    check: Callable[[Holdings], str | None]
    missing: str = "まだありません。「データ取込」から取り込めます"


class ReadinessPage(Page):
    """A feature still to come: its plan (bullets) and its needs, checked against the workspace."""

    plans: tuple[str, ...] = ()
    needs: tuple[Need, ...] = ()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        plan_box = QGroupBox("この画面でできるようになること(次の版で追加されます)")
        plan_label = QLabel(
            "<ul>" + "".join(f"<li style='margin-bottom: 4px'>{escape(p)}</li>" for p in self.plans) + "</ul>"
        )
        plan_label.setWordWrap(True)
        QVBoxLayout(plan_box).addWidget(plan_label)
        self.status_box = QGroupBox("いまのワークスペースの準備状況")
        self.status_layout = QVBoxLayout(self.status_box)
        self.need_labels: list[QLabel] = []
        for _ in self.needs:
            label = QLabel()
            label.setWordWrap(True)
            self.need_labels.append(label)
            self.status_layout.addWidget(label)
        self.body.addWidget(plan_box)
        self.body.addWidget(self.status_box)
        self.body.addStretch(1)

    def refresh(self) -> None:
        ws = self.workspace
        have = holdings(workspaces.home_summary(ws)) if ws is not None else None
        for label, need in zip(self.need_labels, self.needs, strict=True):
            found = need.check(have) if have is not None else None
            if found:
                label.setText(f"✔ {need.label} — {found}: {need.purpose}")
                label.setProperty("role", "ok")
            else:
                label.setText(f"✘ {need.label} — {need.missing}: {need.purpose}")
                label.setProperty("role", "missing")
            label.style().unpolish(label)
            label.style().polish(label)

    def statuses(self) -> list[str]:
        """The readiness lines as shown (for tests and screenshots)."""
        return [label.text() for label in self.need_labels]


def members_found(have: Holdings) -> str | None:
    if not have.members:
        return None
    return f"加入者 {have.members:,}人(組合員 {have.insured:,}人・被扶養者 {have.dependants:,}人)"


def latest_checkups(have: Holdings) -> str | None:
    if not have.checkups:
        return None
    year = max(have.checkups)
    return f"健診 {year}年度 {have.checkups[year]:,}件"


def checkup_years(have: Holdings) -> str | None:
    if not have.checkups:
        return None
    return "健診 " + "、".join(f"{y}年度 {n:,}件" for y, n in sorted(have.checkups.items()))


def receipt_years(have: Holdings) -> str | None:
    if not have.receipts:
        return None
    return "レセプト " + "、".join(f"{y}年度 {n:,}件" for y, n in sorted(have.receipts.items()))


def drug_master(have: Holdings) -> str | None:
    return f"医薬品マスター {have.drug_master_versions}版" if have.drug_master_versions else None


def letterhead(have: Holdings) -> str | None:
    union = have.union
    missing = [name for name, value in (("郵便番号", union.postal_code), ("住所", union.address), ("電話", union.phone)) if not value]
    if missing:
        return None
    return f"{union.name}・〒{union.postal_code} {union.address}・電話 {union.phone}"
