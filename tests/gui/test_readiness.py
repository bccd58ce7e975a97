"""対象者抽出・通知・発送・計画レポート: plain statements of what each needs, checked against the workspace."""

from __future__ import annotations

from dhdesk.core.union import UnionInfo
from dhdesk.gui.pages.readiness import holdings, letterhead
from dhdesk.services.workspaces import HomeSummary

UNION = UnionInfo("テスト共済組合", "311300")


def test_holdings_reads_the_home_summary_totals():
    totals = {
        "members_active": 3000, "insured_active": 1800, "dependants_active": 1200,
        "checkups_fy2024": 2650, "checkups_fy2025": 2710, "receipts_fy2025": 0, "drug_master_versions": 2,
    }
    summary = HomeSummary(UNION, [], [2024, 2025], [], totals)
    have = holdings(summary)
    assert (have.members, have.insured, have.dependants) == (3000, 1800, 1200)
    assert have.checkups == {2024: 2650, 2025: 2710}
    assert have.receipts == {}
    assert have.drug_master_versions == 2


def test_letterhead_needs_postal_code_address_and_phone():
    have = holdings(HomeSummary(UNION, [], [], [], {}))
    assert letterhead(have) is None
    full = UnionInfo("テスト共済組合", "311300", postal_code="100-0013", address="東京都千代田区霞が関1-2-2", phone="03-1234-5678")
    assert letterhead(holdings(HomeSummary(full, [], [], [], {}))) == "テスト共済組合・〒100-0013 東京都千代田区霞が関1-2-2・電話 03-1234-5678"


def test_pages_without_workspace_list_everything_as_missing(window):
    for key in ("notices", "plan"):
        lines = window.show_page(key).statuses()
        assert lines and all(line.startswith("✘") for line in lines)


def test_notices_page_never_claims_a_target_list_exists(window, demo_workspace):
    window.open_workspace(demo_workspace)
    lines = window.show_page("notices").statuses()
    assert lines[-1].startswith("✘ 確定した対象者一覧")
