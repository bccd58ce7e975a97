"""通知・発送: mailing lists, window-envelope letters and labels (readiness until mailing arrives)."""

from __future__ import annotations

from dhdesk.gui.pages.readiness import Need, ReadinessPage, letterhead, members_found


class NoticesPage(ReadinessPage):
    title = "通知・発送"
    explanation = "確定した対象者一覧から、宛名リスト・通知文・宛名ラベルを作り、発送の記録を残して効果を測ります。"
    plans = (
        "宛名リスト(Excel): 郵便番号順(自宅直送)または所属所ごと(所属所経由)",
        "通知文(PDF, A4): 長3窓付き封筒の窓に宛名が収まる配置、組合のレターヘッド、親展、和暦の日付",
        "宛名ラベル(PDF): A4 12面・24面",
        "印刷前の文字チェック: 氏名・住所の外字が正しく印刷できるかを確かめます",
        "発送の記録と効果測定: 通知の数か月後に、受診・服薬・切り替えがあったかを集計します",
    )
    needs = (
        Need(
            "組合のレターヘッド",
            "通知文の差出人として印刷されます",
            letterhead,
            missing="郵便番号・住所・電話のいずれかが未入力です。「設定」で入力してください",
        ),
        Need("加入者台帳(住所)", "宛名・郵便番号・所属所として印刷されます", members_found),
        Need(
            "確定した対象者一覧",
            "通知を送る相手です",
            lambda _have: None,
            missing="「対象者抽出」で確定すると、ここで使えるようになります",
        ),
    )
