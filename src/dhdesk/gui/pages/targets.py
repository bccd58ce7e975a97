"""対象者抽出: which members each health program should reach (readiness until the programs arrive)."""

from __future__ import annotations

from dhdesk.gui.pages.readiness import Need, ReadinessPage, drug_master, latest_checkups, members_found, receipt_years


class TargetsPage(ReadinessPage):
    title = "対象者抽出"
    explanation = (
        "保健事業ごとに、通知を送る対象者を選び出し、優先順位をつけ、除外の理由を確かめてから確定します。"
        "確定した一覧は「通知・発送」に渡します。"
    )
    plans = (
        "特定保健指導の利用案内: 階層化で積極的支援・動機付け支援となった人(服薬中の可能性がある人は再確認として別に表示)",
        "受診勧奨: 受診勧奨判定値を超え、健診後の一定期間に関連する受診がない人(すぐに受診/受診をお勧め の2段階)",
        "治療中断者: 生活習慣病の受診が途絶えた人",
        "糖尿病性腎症の重症化予防: eGFR・尿蛋白・HbA1c とレセプトから A〜E のグループ分け",
        "健診未受診の被扶養者: 40〜74歳で今年度の受診がない人を、過去3年の受診歴の順に",
        "ジェネリック医薬品差額通知: 後発品に切り替えると自己負担が一定額以上下がる人(基準額は設定で変えられます)",
    )
    needs = (
        Need("健診結果", "保健指導・受診勧奨・腎症の対象者抽出に使えます", latest_checkups),
        Need("加入者台帳", "資格のある人だけを対象にし、年齢と区分を決めるのに使えます", members_found),
        Need("レセプト", "服薬中・受診済み・治療中断の確認と差額通知に使えます", receipt_years),
        Need("医薬品マスター", "先発品と後発品の薬価の比較(差額通知)に使えます", drug_master),
    )
