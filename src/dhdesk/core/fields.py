"""Canonical data layouts (標準レイアウト): every field dhdesk stores, with its Japanese header.

One table per data kind. The same definitions drive the canonical CSV/Excel templates a clerk
downloads, the importers, the workspace schema and docs/formats.md, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """How a field's text is read and stored."""

    TEXT = "text"  # kept as written (IDs keep leading zeros)
    DATE = "date"  # ISO, 和暦, yyyymmdd or Excel serial
    NUMBER = "number"  # measured value; blank / ＊ / 未実施 = not measured
    INTEGER = "integer"
    SEX = "sex"  # 男/女 or 1/2 → 1 (男) / 2 (女)
    ANSWER = "answer"  # questionnaire answer stored as its code (1 = はい for yes/no items)
    CODE = "code"  # small code from a fixed list (stored as text)


@dataclass(frozen=True)
class Choice:
    """One allowed answer of a questionnaire item: its code and the printed label."""

    code: int
    label: str


YES_NO = (Choice(1, "はい"), Choice(2, "いいえ"))


@dataclass(frozen=True)
class Field:
    """A canonical field: `name` is the identifier in code and the workspace, `label` the file header."""

    name: str
    label: str
    kind: Kind
    unit: str = ""
    decimals: int | None = None  # recorded precision: rules round half-up to it before comparing
    required: bool = False
    note: str = ""
    choices: tuple[Choice, ...] = ()
    jlac10: tuple[str, ...] = ()  # 特定健診 XML item codes (several method codes per item)


def pandas_dtype(field: Field) -> str:
    """The dtype a field has in a typed frame (the convention every layer shares, docs/architecture.md)."""
    if field.kind is Kind.DATE:
        return "datetime64[ns]"
    if field.kind is Kind.NUMBER:
        return "float64"
    if field.kind is Kind.INTEGER:
        return "Int64"
    if field.kind in (Kind.SEX, Kind.ANSWER) or (field.kind is Kind.CODE and field.choices):
        return "Int8"
    return "string"


@dataclass(frozen=True)
class Layout:
    """The canonical layout of one data kind (one CSV file or one Excel sheet)."""

    key: str
    label: str
    fields: tuple[Field, ...]
    description: str = ""

    def field(self, name: str) -> Field:
        """The field called `name` (KeyError when the layout has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def labels(self) -> list[str]:
        return [f.label for f in self.fields]

    def by_label(self) -> dict[str, Field]:
        return {f.label: f for f in self.fields}


F, K = Field, Kind

MEMBERS = Layout(
    "members",
    "加入者台帳",
    (
        F("member_id", "加入者番号", K.TEXT, required=True, note="組合内で一意。先頭の0も保持"),
        F("kigo", "記号", K.TEXT),
        F("bango", "番号", K.TEXT),
        F("edaban", "枝番", K.TEXT, note="2桁"),
        F("name", "氏名", K.TEXT, required=True, note="印刷されるため正規化しない"),
        F("name_kana", "氏名カナ", K.TEXT),
        F("sex", "性別", K.SEX, required=True, note="男/女 または 1/2"),
        F("birth_date", "生年月日", K.DATE, required=True),
        F("relation", "本人家族", K.CODE, required=True, note="本人 または 家族",
          choices=(Choice(1, "本人"), Choice(2, "家族"))),
        F("insured_id", "組合員加入者番号", K.TEXT, note="被扶養者が属する組合員(本人)の加入者番号"),
        F("shikaku_kubun", "資格区分", K.CODE, note="1 強制被保険者 2 強制被扶養者 3 任継被保険者 4 任継被扶養者 5 特退被保険者 6 特退被扶養者"),
        F("office", "所属所", K.TEXT, note="共済組合の所属所 / 健保組合の事業所"),
        F("postal_code", "郵便番号", K.TEXT, note="123-4567 または 1234567"),
        F("address1", "住所1", K.TEXT, note="都道府県・市区町村・番地"),
        F("address2", "住所2", K.TEXT, note="建物名・部屋番号"),
        F("phone", "電話番号", K.TEXT),
        F("acquired_date", "資格取得日", K.DATE, required=True),
        F("lost_date", "資格喪失日", K.DATE, note="空欄 = 加入中"),
        F("no_mail", "通知不要", K.ANSWER, choices=YES_NO, note="はい = 通知を送らない"),
        F("deceased_date", "死亡日", K.DATE),
    ),
    "1行 = 1人の1資格期間。資格を再取得した人は期間ごとに行を分ける。",
)

# 標準的な質問票（第4期, 令和6年度〜）22項目. 喫煙 uses the national 3-way code (only 1 counts).
QUESTIONS: tuple[Field, ...] = (
    F("med_bp", "服薬_血圧", K.ANSWER, choices=YES_NO, jlac10=("9N701000000000011",), note="質問1 血圧を下げる薬"),
    F("med_glucose", "服薬_血糖", K.ANSWER, choices=YES_NO, jlac10=("9N706000000000011",), note="質問2 インスリン注射又は血糖を下げる薬"),
    F("med_lipid", "服薬_脂質", K.ANSWER, choices=YES_NO, jlac10=("9N711000000000011",), note="質問3 コレステロールや中性脂肪を下げる薬"),
    F("hx_stroke", "既往歴_脳血管", K.ANSWER, choices=YES_NO, jlac10=("9N716000000000011",), note="質問4"),
    F("hx_heart", "既往歴_心血管", K.ANSWER, choices=YES_NO, jlac10=("9N721000000000011",), note="質問5"),
    F("hx_kidney", "既往歴_腎不全", K.ANSWER, choices=YES_NO, jlac10=("9N726000000000011",), note="質問6 慢性腎臓病や腎不全"),
    F("hx_anemia", "貧血", K.ANSWER, choices=YES_NO, jlac10=("9N731000000000011",), note="質問7"),
    F("smoking", "喫煙", K.ANSWER, jlac10=("9N736000000000011",), note="質問8 はい(1)のみ喫煙として数える",
      choices=(Choice(1, "はい"), Choice(2, "以前は吸っていたが最近1か月間は吸っていない"), Choice(3, "いいえ"))),
    F("weight_gain", "体重増加", K.ANSWER, jlac10=("9N741000000000011",), choices=YES_NO, note="質問9 20歳の時から10kg以上増加"),
    F("exercise", "運動習慣", K.ANSWER, jlac10=("9N746000000000011",), choices=YES_NO, note="質問10 1回30分以上の運動を週2日以上1年以上"),
    F("activity", "身体活動", K.ANSWER, jlac10=("9N751000000000011",), choices=YES_NO, note="質問11 歩行等を1日1時間以上"),
    F("walk_speed", "歩行速度", K.ANSWER, jlac10=("9N756000000000011",), choices=YES_NO, note="質問12 同年代の同性より歩く速度が速い"),
    F("chewing", "咀嚼", K.ANSWER, jlac10=("9N872000000000011",), note="質問13",
      choices=(Choice(1, "何でもかんで食べることができる"), Choice(2, "かみにくいことがある"), Choice(3, "ほとんどかめない"))),
    F("eating_speed", "食べる速度", K.ANSWER, jlac10=("9N766000000000011",), note="質問14",
      choices=(Choice(1, "速い"), Choice(2, "ふつう"), Choice(3, "遅い"))),
    F("late_dinner", "就寝前夕食", K.ANSWER, jlac10=("9N771000000000011",), choices=YES_NO, note="質問15 就寝前2時間以内の夕食が週3回以上"),
    F("snacking", "間食", K.ANSWER, jlac10=("9N782000000000011",), note="質問16",
      choices=(Choice(1, "毎日"), Choice(2, "時々"), Choice(3, "ほとんど摂取しない"))),
    F("skip_breakfast", "朝食欠食", K.ANSWER, jlac10=("9N781000000000011",), choices=YES_NO, note="質問17 朝食を抜くことが週3回以上"),
    F("drinking_freq", "飲酒頻度", K.ANSWER, jlac10=("9N786000000000011",), note="質問18",
      choices=(Choice(1, "毎日"), Choice(2, "週5〜6日"), Choice(3, "週3〜4日"), Choice(4, "週1〜2日"),
               Choice(5, "月に1〜3日"), Choice(6, "月に1日未満"), Choice(7, "やめた"), Choice(8, "飲まない（飲めない）"))),
    F("drinking_amount", "飲酒量", K.ANSWER, jlac10=("9N791000000000011",), note="質問19 飲酒日の1日当たり",
      choices=(Choice(1, "1合未満"), Choice(2, "1〜2合未満"), Choice(3, "2〜3合未満"), Choice(4, "3〜5合未満"), Choice(5, "5合以上"))),
    F("sleep", "睡眠", K.ANSWER, jlac10=("9N796000000000011",), choices=YES_NO, note="質問20 睡眠で休養が十分とれている"),
    F("willingness", "改善意欲", K.ANSWER, jlac10=("9N801000000000011",), note="質問21",
      choices=(Choice(1, "改善するつもりはない"), Choice(2, "改善するつもりである（概ね6か月以内）"),
               Choice(3, "近いうちに改善するつもりであり、少しずつ始めている"),
               Choice(4, "既に改善に取り組んでいる（6か月未満）"), Choice(5, "既に改善に取り組んでいる（6か月以上）"))),
    F("guidance_before", "保健指導利用歴", K.ANSWER, jlac10=("9N808000000000011",), choices=YES_NO, note="質問22 これまでに特定保健指導を受けたことがある"),
)

CHECKUPS = Layout(
    "checkups",
    "健診結果",
    (
        F("member_id", "加入者番号", K.TEXT, required=True),
        F("sex", "性別", K.SEX, required=True, note="男/女 または 1/2"),
        F("birth_date", "生年月日", K.DATE, required=True),
        F("exam_date", "健診日", K.DATE, required=True),
        F("clinic", "健診機関", K.TEXT),
        F("height", "身長", K.NUMBER, "cm", 1, jlac10=("9N001000000000001",)),
        F("weight", "体重", K.NUMBER, "kg", 1, jlac10=("9N006000000000001",)),
        F("bmi", "BMI", K.NUMBER, "kg/m2", 1, jlac10=("9N011000000000001",), note="空欄なら体重/身長²を0.1単位で四捨五入"),
        F("waist", "腹囲", K.NUMBER, "cm", 1, jlac10=("9N016160100000001", "9N016160200000001", "9N016160300000001")),
        F("sbp", "収縮期血圧", K.NUMBER, "mmHg", 0, jlac10=("9A755000000000001", "9A751000000000001", "9A752000000000001")),
        F("dbp", "拡張期血圧", K.NUMBER, "mmHg", 0, jlac10=("9A765000000000001", "9A761000000000001", "9A762000000000001")),
        F("blood_timing", "採血時間", K.CODE, jlac10=("9N141000000000011",),
          note="2 空腹時(10時間以上) 3 随時(3.5〜10時間) 4 食直後(3.5時間未満)",
          choices=(Choice(2, "空腹時"), Choice(3, "随時"), Choice(4, "食直後"))),
        F("tg_fasting", "空腹時中性脂肪", K.NUMBER, "mg/dL", 0, jlac10=("3F015000002327101", "3F015000002327201", "3F015000002399901")),
        F("tg_random", "随時中性脂肪", K.NUMBER, "mg/dL", 0, jlac10=("3F015129902327101", "3F015129902327201", "3F015129902399901")),
        F("hdl", "HDLコレステロール", K.NUMBER, "mg/dL", 0, jlac10=("3F070000002327101", "3F070000002327201", "3F070000002399901")),
        F("ldl", "LDLコレステロール", K.NUMBER, "mg/dL", 0, jlac10=("3F077000002327101", "3F077000002327201", "3F077000002399901", "3F077000002391901")),
        F("non_hdl", "Non-HDLコレステロール", K.NUMBER, "mg/dL", 0, jlac10=("3F069000002391901",)),
        F("fbg", "空腹時血糖", K.NUMBER, "mg/dL", 0, jlac10=("3D010000001926101", "3D010000002227101", "3D010000001927201", "3D010000001999901")),
        F("rbg", "随時血糖", K.NUMBER, "mg/dL", 0, jlac10=("3D010129901926101", "3D010129902227101", "3D010129901927201", "3D010129901999901")),
        F("hba1c", "HbA1c", K.NUMBER, "%", 1, note="NGSP値", jlac10=("3D046000001906202", "3D046000001920402", "3D046000001927102", "3D046000001999902")),
        F("ast", "AST", K.NUMBER, "U/L", 0, jlac10=("3B035000002327201", "3B035000002399901")),
        F("alt", "ALT", K.NUMBER, "U/L", 0, jlac10=("3B045000002327201", "3B045000002399901")),
        F("ggt", "γ-GT", K.NUMBER, "U/L", 0, jlac10=("3B090000002327101", "3B090000002399901")),
        F("creatinine", "血清クレアチニン", K.NUMBER, "mg/dL", 2, jlac10=("3C015000002327101", "3C015000002399901")),
        F("egfr", "eGFR", K.NUMBER, "mL/min/1.73m2", 1, jlac10=("8A065000002391901",)),
        F("urine_glucose", "尿糖", K.CODE, note="1 − 2 ± 3 + 4 ++ 5 +++", jlac10=("1A020000000191111", "1A020000000190111")),
        F("urine_protein", "尿蛋白", K.CODE, note="1 − 2 ± 3 + 4 ++ 5 +++", jlac10=("1A010000000191111", "1A010000000190111")),
        F("hb", "血色素量", K.NUMBER, "g/dL", 1, jlac10=("2A030000001930101",)),
        F("hematocrit", "ヘマトクリット", K.NUMBER, "%", 1, jlac10=("2A040000001930102",)),
        F("rbc", "赤血球数", K.NUMBER, "万/μL", 0, jlac10=("2A020000001930101",)),
        F("ecg", "心電図", K.CODE, jlac10=("9A110160700000011",), note="詳細な健診。所見の有無",
          choices=(Choice(1, "所見あり"), Choice(2, "所見なし"))),
        F("fundus_kw", "眼底_KW分類", K.CODE, jlac10=("9E100166000000011",), note="詳細な健診。キースワグナー分類のコード"),
        F("history", "既往歴", K.CODE, jlac10=("9N056000000000011",), note="診察による既往歴の有無",
          choices=(Choice(1, "特記すべきことあり"), Choice(2, "特記すべきことなし"))),
        F("symptoms", "自覚症状", K.CODE, jlac10=("9N061000000000011",),
          choices=(Choice(1, "特記すべきことあり"), Choice(2, "特記すべきことなし"))),
        F("signs", "他覚症状", K.CODE, jlac10=("9N066000000000011",),
          choices=(Choice(1, "特記すべきことあり"), Choice(2, "特記すべきことなし"))),
        F("doctor_judgement", "医師の判断", K.TEXT, jlac10=("9N511000000000049",), note="健診機関の医師のコメント"),
        *QUESTIONS,
        F("clinic_level", "健診機関判定_保健指導レベル", K.CODE, jlac10=("9N506000000000011",),
          note="健診機関が付けた値 (1 積極的 2 動機付け 3 なし 4 判定不能)。dhdesk の判定と並べて表示"),
        F("clinic_metabo", "健診機関判定_メタボ", K.CODE, jlac10=("9N501000000000011",),
          note="1 基準該当 2 予備群該当 3 非該当 4 判定不能"),
    ),
    "1行 = 1人の1回の健診。空欄 = 未測定・未回答。「＊」「未実施」「－」も未測定として読む。",
)

RECEIPTS = Layout(
    "receipts",
    "レセプト",
    (
        F("receipt_id", "レセプト番号", K.TEXT, required=True, note="ファイル内で一意"),
        F("member_id", "加入者番号", K.TEXT, required=True),
        F("service_month", "診療年月", K.TEXT, required=True, note="yyyymm または 和暦 (R6.4)"),
        F("claim_type", "レセプト区分", K.CODE, required=True,
          choices=(Choice(1, "医科入院"), Choice(2, "医科入院外"), Choice(3, "DPC"), Choice(4, "歯科"), Choice(5, "調剤"))),
        F("receipt_kind", "レセプト種別", K.TEXT, note="4桁 (例 1112 医科本人入院外)。本人/家族・負担割合の判定に使う"),
        F("facility_code", "医療機関コード", K.TEXT),
        F("facility_name", "医療機関名", K.TEXT),
        F("days", "診療実日数", K.INTEGER),
        F("points", "合計点数", K.INTEGER, required=True),
        F("public_expense", "公費併用", K.ANSWER, choices=YES_NO),
    ),
    "1行 = 1枚のレセプト (ベンダーCSV形式)。レセ電ファイルは別途取込。",
)

DIAGNOSES = Layout(
    "diagnoses",
    "傷病名",
    (
        F("receipt_id", "レセプト番号", K.TEXT, required=True),
        F("disease_code", "傷病名コード", K.TEXT, note="7桁。未コード化は 0000999。傷病名コードか傷病名のどちらかは必須"),
        F("disease_name", "傷病名", K.TEXT, note="空欄なら傷病名マスターで傷病名コードから補う"),
        F("icd10", "ICD10", K.TEXT),
        F("start_date", "診療開始日", K.DATE),
        F("is_main", "主傷病", K.ANSWER, choices=YES_NO),
        F("is_suspected", "疑い", K.ANSWER, choices=YES_NO),
    ),
)

DRUG_LINES = Layout(
    "drug_lines",
    "医薬品",
    (
        F("receipt_id", "レセプト番号", K.TEXT, required=True),
        F("drug_code", "医薬品コード", K.TEXT, note="レセ電 9桁。医薬品コードか薬価基準コードのどちらかは必須"),
        F("yj_code", "薬価基準コード", K.TEXT, note="12桁。空欄なら医薬品マスターで医薬品コードから補う"),
        F("drug_name", "医薬品名", K.TEXT),
        F("quantity", "使用量", K.NUMBER, decimals=5, note="1回(1日)あたり 規格単位の数量"),
        F("days", "日数", K.INTEGER, note="投与日数・回数"),
        F("points", "点数", K.INTEGER),
        F("dispensed_date", "調剤日", K.DATE),
    ),
)

PROCEDURES = Layout(
    "procedures",
    "診療行為",
    (
        F("receipt_id", "レセプト番号", K.TEXT, required=True),
        F("procedure_code", "診療行為コード", K.TEXT, required=True, note="9桁"),
        F("procedure_name", "診療行為名", K.TEXT),
        F("points", "点数", K.INTEGER),
        F("times", "回数", K.INTEGER),
    ),
)

DRUG_MASTER = Layout(
    "drug_master",
    "医薬品マスター",
    (
        F("yj_code", "薬価基準収載医薬品コード", K.TEXT, required=True),
        F("receipt_code", "医薬品コード", K.TEXT, note="レセ電 9桁 (支払基金 医薬品マスター)"),
        F("category", "区分", K.TEXT, note="内用薬 / 注射薬 / 外用薬 / 歯科用薬剤"),
        F("ingredient", "成分名", K.TEXT, required=True),
        F("strength", "規格", K.TEXT),
        F("product_name", "品名", K.TEXT, required=True),
        F("maker", "メーカー名", K.TEXT),
        F("price", "薬価", K.NUMBER, "円", 2, required=True),
        F("generic_info", "後発医薬品情報", K.CODE,
          note="1 後発品なし先発 2 後発品あり先発 ☆ 後発品と同額以下の先発 3 後発品 ★ 先発と同額以上の後発"),
        F("transition_until", "経過措置期限", K.DATE),
    ),
    "薬価基準と後発医薬品情報を薬価基準コードで結合した1行1品目の表。版は適用開始日で管理する。",
)

DISEASE_MASTER = Layout(
    "disease_master",
    "傷病名マスター",
    (
        F("disease_code", "傷病名コード", K.TEXT, required=True),
        F("disease_name", "傷病名", K.TEXT, required=True),
        F("icd10", "ICD10", K.TEXT),
        F("icd10_2", "ICD10（2）", K.TEXT),
        F("abolished_date", "廃止年月日", K.DATE),
    ),
)
"""The 支払基金 傷病名マスター (b_ALL) as stored: read by position from the published file, never mapped by a
clerk, so it has no template and is not in LAYOUTS."""

LAYOUTS: dict[str, Layout] = {
    layout.key: layout for layout in (MEMBERS, CHECKUPS, RECEIPTS, DIAGNOSES, DRUG_LINES, PROCEDURES, DRUG_MASTER)
}
"""Every canonical layout by key; the claims kind is four layouts (receipts…procedures) joined by レセプト番号."""
