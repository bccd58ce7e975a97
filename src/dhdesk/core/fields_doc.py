"""docs/formats.md, written from the canonical layouts so the documentation cannot drift from the code.

Regenerate with `python -m dhdesk.core.fields_doc > docs/formats.md`; a test checks they agree.
"""

from __future__ import annotations

from dhdesk.core.fields import LAYOUTS, Field, Kind, Layout

_KIND_LABELS = {
    Kind.TEXT: "文字",
    Kind.DATE: "日付",
    Kind.NUMBER: "数値",
    Kind.INTEGER: "整数",
    Kind.SEX: "性別",
    Kind.ANSWER: "回答",
    Kind.CODE: "コード",
}

_INTRO = """\
# 標準レイアウト (canonical file formats)

dhdesk が読む標準のCSV / Excel レイアウトです。画面の「データ取込」から、各レイアウトのひな形
（見出し行と記入例）を保存できます。見出しはこの表の「見出し」欄の日本語をそのまま使います。
列の順番は自由で、表にない列は無視されます。健診機関ごとに見出しが違うファイルは、同義語の表で
自動的に対応づけます（例: 「腹囲(cm)」「ウエスト」→ 腹囲）。

This file is generated from `src/dhdesk/core/fields.py` (`python -m dhdesk.core.fields_doc`).

## 共通の書き方

| 種類 | 書き方 |
|---|---|
| 文字 | そのまま保存します。加入者番号などの先頭の0も保持します。氏名・住所は印刷に使うため変換しません。 |
| 日付 | 2024-04-01, 2024/4/1, 20240401, 令和6年4月1日, R6.4.1, H30/5/1, S50.1.1, 元年, Excel の日付セル |
| 数値 | 半角・全角どちらも可。単位付き (85.5cm) も可。空欄・「＊」「未実施」「－」は未測定 |
| 性別 | 男 / 女 または 1 / 2 |
| 回答 | はい / いいえ または 1 / 2（選択肢が3つ以上の質問は番号か選択肢の文字） |
| コード | 表の説明にある番号または文字 |

- 文字コード: UTF-8（BOM付き可）または Shift_JIS (cp932)。Excel (.xlsx) も可。
- 見出し行の上にタイトル行や空行があっても読めます。
- 1つの取込は「全部入るか、何も入らないか」です。問題のある行と列は一覧で表示されます。
- レセプト（ベンダーCSV）は 4 つの表（レセプト・傷病名・医薬品・診療行為）をレセプト番号でつなぎます。
  1つのフォルダに `レセプト.csv` `傷病名.csv` `医薬品.csv` `診療行為.csv` として置くか、
  同じ名前の4シートを持つ Excel ブック1つにします。
- 医薬品マスターは厚生労働省の「薬価基準収載品目リスト」と「後発医薬品に関する情報」を公表のまま
  （Excel / CSV）読み込みます。下の表はそれを結合した後の項目です。
"""


_NATIONAL = """\
## 国の標準形式とマスター (read as published, no mapping)

| ファイル | 読むもの |
|---|---|
| 特定健診 XML (HL7 CDA, zip またはフォルダ, ix08 索引) | 各項目を JLAC10 コードで読み、採血時間で空腹時・随時を分けます。健診機関の保健指導レベル・メタボ判定も保存します。XSD で検証します。 |
| レセ電 医科・DPC (IR 始まり) | RE（レセプト種別・診療年月・氏名・生年月日）、HO/KO（保険者番号・記号・番号・点数）、SY 傷病名、SI 診療行為、IY 医薬品、GO（件数・点数の照合）。 |
| レセ電 調剤 (YK 始まり) | RE/HO/KO/GO は医科と同じ。SH 処方基本が1剤の始まり、CZ 調剤情報が1回の調剤（調剤月日・調剤数量）、IY がその剤の医薬品（医薬品コード・使用量）。医薬品の行は IY × CZ です（点数は剤単位のため空欄）。YK には IR の予備欄がありません。出典: 記録条件仕様（調剤用）の公開転記、HealthDataWorks/fhir-ig-jp-rezept-medication。 |
| 支払基金 医薬品マスター (y_ALL.csv) | レセ電の9桁医薬品コード → 12桁の薬価基準コード。薬価基準収載品目リストと同じフォルダに置きます。 |
| 支払基金 傷病名マスター (b_ALL*.csv) | 傷病名コード（7桁）→ 傷病名・ICD-10（2013、項目16・17）。レセ電の傷病名には ICD-10 がないため、疾病別の分析・抽出にはこのマスターが要ります。後から取り込んでも、取込済みのレセプトの空欄を補います。 |
"""


def _describe(field: Field) -> str:
    parts = []
    if field.note:
        parts.append(field.note)
    if field.choices and field.kind is not Kind.SEX:
        parts.append(" / ".join(f"{c.code} {c.label}" for c in field.choices))
    return "。".join(parts).replace("|", "\\|")


def _layout_section(layout: Layout) -> str:
    lines = [f"## {layout.label} (`{layout.key}`)", ""]
    if layout.description:
        lines += [layout.description, ""]
    lines += ["| 見出し | 種類 | 単位 | 小数桁 | 必須 | 説明 |", "|---|---|---|---|---|---|"]
    for f in layout.fields:
        decimals = "" if f.decimals is None else str(f.decimals)
        required = "必須" if f.required else ""
        lines.append(f"| {f.label} | {_KIND_LABELS[f.kind]} | {f.unit} | {decimals} | {required} | {_describe(f)} |")
    return "\n".join(lines) + "\n"


def render_formats_markdown() -> str:
    """The whole docs/formats.md text."""
    sections = [_INTRO]
    sections += [_layout_section(layout) for layout in LAYOUTS.values()]
    sections.append(_NATIONAL)
    return "\n".join(sections)


if __name__ == "__main__":
    print(render_formats_markdown(), end="")
