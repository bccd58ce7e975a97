"""計画レポート: the データヘルス計画 PDF from the union's own data (readiness until the report arrives)."""

from __future__ import annotations

from dhdesk.gui.pages.readiness import Need, ReadinessPage, checkup_years, members_found, receipt_years


class PlanReportPage(ReadinessPage):
    title = "計画レポート"
    explanation = (
        "組合のデータから、公表できるデータヘルス計画(PDF)のデータ部分を作ります。"
        "目的・健康課題・目標などの文章は、この画面で書いて年度ごとに保存します。"
    )
    plans = (
        "現状: 加入者構成(人口ピラミッド)、医療費の推移、生活習慣病・がんの医療費、疾病分類の上位",
        "保健事業の実施状況: 特定健診・特定保健指導の実施率と目標、リスクの分布、後発医薬品使用割合、通知の効果",
        "目標と事業計画: 2024〜2029年度の KPI 表(目標は入力、実績はデータから)",
        "後期高齢者支援金の加算・減算の自己点検",
        "公表用は少人数の区分を伏せて表示(合計から逆算できないように補完秘匿)",
    )
    needs = (
        Need("加入者台帳", "加入者構成と年齢構成に使えます", members_found),
        Need("健診結果(複数年度)", "実施率・リスク分布の推移に使えます", checkup_years),
        Need("レセプト(複数年度)", "医療費の推移と疾病分類に使えます", receipt_years),
    )
