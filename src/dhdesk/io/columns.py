"""Column mapping (列の対応づけ): which header of an incoming file holds which canonical field.

Every office names its columns differently (腹囲 / 腹囲(cm) / ウエスト). `auto_map` resolves the headers a
clerk's file has through the layout's own labels and a synonym table; a saved preset (the clerk's confirmed
mapping for one clinic) is passed in and wins over both, and the wizard edits a mapping with `assign`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from dhdesk.core.fields import Field, Layout

_MEMBER_ID = ("加入者番号", "被保険者番号", "加入者ID", "個人ID", "個人識別番号", "被保番号", "member_id")
_SEX = ("性別", "性", "男女", "男女区分", "性別区分", "性別コード", "性別(1:男2:女)")
_BIRTH = ("生年月日", "誕生日", "生年月日(和暦)", "生年月日(西暦)", "生年月日(yyyymmdd)")
_RECEIPT_ID = ("レセプト番号", "レセプトID", "レセプト管理番号", "レセプト通番", "レセ番号")

_COMMON: dict[str, tuple[str, ...]] = {"member_id": _MEMBER_ID, "sex": _SEX, "birth_date": _BIRTH}

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "members": {
        **_COMMON,
        "kigo": ("記号", "被保険者証記号", "保険証記号", "証記号", "組合員証記号"),
        "bango": ("番号", "被保険者証番号", "保険証番号", "証番号", "組合員証番号"),
        "edaban": ("枝番", "枝番号", "被保険者証枝番", "証枝番"),
        "name": ("氏名", "名前", "漢字氏名", "氏名(漢字)", "加入者氏名", "被保険者氏名", "姓名"),
        "name_kana": ("氏名カナ", "カナ氏名", "フリガナ", "ふりがな", "氏名(カナ)", "カナ", "氏名フリガナ", "ヨミ"),
        "relation": ("本人家族", "本人・家族", "本人家族区分", "本家区分", "続柄", "続柄区分", "本人/家族"),
        "insured_id": ("組合員加入者番号", "組合員番号", "本人加入者番号", "本人被保険者番号", "被保険者本人番号",
                       "本人番号", "組合員の加入者番号"),
        "shikaku_kubun": ("資格区分", "資格種別", "加入区分", "資格区分コード"),
        "office": ("所属所", "所属所名", "所属", "所属名", "事業所", "事業所名", "勤務先", "所属所コード"),
        "postal_code": ("郵便番号", "〒", "郵便", "住所郵便番号", "〒番号"),
        "address1": ("住所1", "住所", "現住所", "所在地", "住所(番地まで)", "住所_1"),
        "address2": ("住所2", "方書", "方書き", "建物名", "住所(方書)", "アパート名", "住所_2"),
        "phone": ("電話番号", "電話", "TEL", "連絡先電話番号", "連絡先", "自宅電話番号"),
        "acquired_date": ("資格取得日", "資格取得年月日", "取得日", "取得年月日", "加入日", "加入年月日",
                          "認定日", "認定年月日"),
        "lost_date": ("資格喪失日", "資格喪失年月日", "喪失日", "喪失年月日", "脱退日", "脱退年月日"),
        "no_mail": ("通知不要", "通知拒否", "送付不要", "案内不要", "郵送不要", "発送不要", "通知停止"),
        "deceased_date": ("死亡日", "死亡年月日", "死亡日付"),
    },
    "checkups": {
        **_COMMON,
        "member_id": (*_MEMBER_ID, "受診者番号", "受診者ID", "被保険者証番号", "保険証番号"),
        "exam_date": ("健診日", "受診日", "健診実施日", "健診年月日", "受診年月日", "実施日", "実施年月日",
                      "検診日", "健診受診日"),
        "clinic": ("健診機関", "健診機関名", "実施機関", "実施機関名", "健診実施機関", "受診機関", "受診機関名",
                   "医療機関名"),
        "height": ("身長", "身長(実測)", "身長測定値", "height"),
        "weight": ("体重", "体重(実測)", "体重測定値", "weight"),
        "bmi": ("BMI", "BMI値", "体格指数"),
        "waist": ("腹囲", "腹囲(実測)", "ウエスト", "ウエスト周囲径", "腹囲実測"),
        "sbp": ("収縮期血圧", "最高血圧", "最大血圧", "血圧(最高)", "血圧(上)", "血圧上", "血圧_収縮期",
                "収縮期", "血圧収縮期", "収縮期血圧(その他)"),
        "dbp": ("拡張期血圧", "最低血圧", "最小血圧", "血圧(最低)", "血圧(下)", "血圧下", "血圧_拡張期",
                "拡張期", "血圧拡張期", "拡張期血圧(その他)"),
        "blood_timing": ("採血時間", "採血時間(食後)", "食後時間", "採血条件", "採血区分", "食後経過時間",
                         "空腹時随時区分"),
        "tg_fasting": ("空腹時中性脂肪", "中性脂肪(空腹時)", "空腹時TG", "TG(空腹時)", "中性脂肪", "TG",
                       "トリグリセリド", "空腹時中性脂肪(トリグリセリド)"),
        "tg_random": ("随時中性脂肪", "中性脂肪(随時)", "随時TG", "TG(随時)", "非空腹時中性脂肪",
                      "随時中性脂肪(トリグリセリド)"),
        "hdl": ("HDLコレステロール", "HDL-コレステロール", "HDL-C", "HDL", "HDLコレステロール値", "善玉コレステロール"),
        "ldl": ("LDLコレステロール", "LDL-コレステロール", "LDL-C", "LDL", "LDLコレステロール値", "悪玉コレステロール"),
        "non_hdl": ("Non-HDLコレステロール", "Non-HDL-C", "Non-HDL", "NonHDL", "Non-HDL-コレステロール"),
        "fbg": ("空腹時血糖", "空腹時血糖値", "血糖(空腹時)", "血糖値(空腹時)", "FBS", "FPG", "空腹時グルコース"),
        "rbg": ("随時血糖", "随時血糖値", "血糖(随時)", "血糖値(随時)", "随時グルコース"),
        "hba1c": ("HbA1c", "HbA1c(NGSP)", "HbA1c(NGSP値)", "ヘモグロビンA1c", "ヘモグロビンエーワンシー", "A1c",
                  "グリコヘモグロビン"),
        "ast": ("AST", "AST(GOT)", "GOT", "GOT(AST)"),
        "alt": ("ALT", "ALT(GPT)", "GPT", "GPT(ALT)"),
        "ggt": ("γ-GT", "γ-GTP", "γGT", "γGTP", "γ-GT(γ-GTP)", "ガンマGTP", "ガンマ-GTP", "GGT", "r-GTP", "rGTP"),
        "creatinine": ("血清クレアチニン", "クレアチニン", "Cr", "CRE", "S-Cr", "血清Cr"),
        "egfr": ("eGFR", "e-GFR", "eGFR値", "推算GFR", "推算糸球体濾過量"),
        "urine_glucose": ("尿糖", "尿糖(定性)", "尿中糖", "尿グルコース", "糖(尿)"),
        "urine_protein": ("尿蛋白", "尿たんぱく", "尿タンパク", "尿蛋白(定性)", "尿中蛋白", "蛋白(尿)"),
        "hb": ("血色素量", "血色素", "ヘモグロビン", "ヘモグロビン値", "Hb", "Hgb", "血色素量(ヘモグロビン値)"),
        "hematocrit": ("ヘマトクリット", "ヘマトクリット値", "Ht", "Hct"),
        "rbc": ("赤血球数", "赤血球", "RBC"),
        "ecg": ("心電図所見", "心電図(所見の有無)", "心電図検査", "ECG"),
        "fundus_kw": ("眼底検査", "眼底(KW)", "眼底検査(キースワグナー分類)", "KW分類"),
        "history": ("既往歴(診察)", "既往歴の有無", "具体的な既往歴の有無"),
        "symptoms": ("自覚症状の有無", "自覚症状(所見)有無", "自覚"),
        "signs": ("他覚症状の有無", "他覚症状(所見)有無", "他覚"),
        "doctor_judgement": ("医師の判断(コメント)", "判定医コメント", "医師所見", "総合所見"),
        "med_bp": ("服薬1(血圧)", "服薬1", "服薬(血圧)", "血圧服薬", "血圧の薬", "血圧を下げる薬", "質問1", "問1"),
        "med_glucose": ("服薬2(血糖)", "服薬2", "服薬(血糖)", "血糖服薬", "血糖の薬", "血糖を下げる薬",
                        "インスリン注射又は血糖を下げる薬", "質問2", "問2"),
        "med_lipid": ("服薬3(脂質)", "服薬3", "服薬(脂質)", "脂質服薬", "脂質の薬", "コレステロールや中性脂肪を下げる薬",
                      "質問3", "問3"),
        "hx_stroke": ("既往歴1(脳血管)", "既往歴1", "既往歴(脳血管)", "脳卒中", "脳血管疾患", "質問4", "問4"),
        "hx_heart": ("既往歴2(心血管)", "既往歴2", "既往歴(心血管)", "心臓病", "心血管疾患", "質問5", "問5"),
        "hx_kidney": ("既往歴3(腎不全・人工透析)", "既往歴3(腎不全)", "既往歴3", "既往歴(腎不全)", "腎不全",
                      "慢性腎臓病", "質問6", "問6"),
        "hx_anemia": ("貧血", "既往歴_貧血", "既往歴(貧血)", "質問7", "問7"),
        "smoking": ("喫煙", "喫煙歴", "喫煙習慣", "たばこ", "タバコ", "現在たばこを習慣的に吸っている", "質問8", "問8"),
        "weight_gain": ("20歳からの体重変化", "体重増加", "体重変化", "20歳から10kg以上増加", "質問9", "問9"),
        "exercise": ("30分以上の運動習慣", "運動習慣", "運動", "質問10", "問10"),
        "activity": ("歩行又は身体活動", "歩行または身体活動", "身体活動", "質問11", "問11"),
        "walk_speed": ("歩行速度", "質問12", "問12"),
        "chewing": ("咀嚼", "そしゃく", "噛んで食べる時の状態", "食事をかんで食べる時の状態", "質問13", "問13"),
        "eating_speed": ("食べ方1(早食い等)", "食べ方1", "食べる速度", "早食い", "質問14", "問14"),
        "late_dinner": ("食べ方2(就寝前)", "食べ方2", "就寝前夕食", "就寝前2時間以内の夕食", "質問15", "問15"),
        "snacking": ("食べ方3(間食)", "食べ方3", "間食", "夜食・間食", "質問16", "問16"),
        "skip_breakfast": ("食習慣", "朝食欠食", "朝食を抜く", "質問17", "問17"),
        "drinking_freq": ("飲酒", "飲酒頻度", "お酒を飲む頻度", "質問18", "問18"),
        "drinking_amount": ("飲酒量", "1日当たりの飲酒量", "質問19", "問19"),
        "sleep": ("睡眠", "睡眠で休養", "質問20", "問20"),
        "willingness": ("生活習慣の改善", "生活習慣改善", "改善意欲", "質問21", "問21"),
        "guidance_before": ("特定保健指導の受診歴", "特定保健指導受診歴", "保健指導の受診歴", "保健指導利用歴",
                            "質問22", "問22"),
        "clinic_level": ("保健指導レベル", "保健指導判定", "特定保健指導レベル"),
        "clinic_metabo": ("メタボリックシンドローム判定", "メタボ判定", "メタボ", "メタボリック判定"),
    },
    "receipts": {
        "receipt_id": _RECEIPT_ID,
        "member_id": _MEMBER_ID,
        "service_month": ("診療年月", "診療月", "調剤年月", "診療年月(西暦)", "診療年月(和暦)"),
        "claim_type": ("レセプト区分", "レセ区分", "診療区分", "医科歯科調剤区分"),
        "receipt_kind": ("レセプト種別", "レセプト種別コード", "種別"),
        "facility_code": ("医療機関コード", "医療機関番号", "保険医療機関コード", "薬局コード"),
        "facility_name": ("医療機関名", "医療機関名称", "薬局名"),
        "days": ("診療実日数", "実日数", "日数"),
        "points": ("合計点数", "点数", "請求点数", "決定点数", "総点数"),
        "public_expense": ("公費併用", "公費", "公費有無"),
    },
    "diagnoses": {
        "receipt_id": _RECEIPT_ID,
        "disease_code": ("傷病名コード", "傷病コード", "病名コード"),
        "disease_name": ("傷病名", "病名", "傷病名称"),
        "icd10": ("ICD10", "ICD-10", "ICD10コード", "ICDコード"),
        "start_date": ("診療開始日", "診療開始年月日", "開始日"),
        "is_main": ("主傷病", "主病名", "主傷病フラグ"),
        "is_suspected": ("疑い", "疑いフラグ", "疑い病名"),
    },
    "drug_lines": {
        "receipt_id": _RECEIPT_ID,
        "drug_code": ("医薬品コード", "レセプト電算コード", "電算コード", "薬剤コード"),
        "yj_code": ("薬価基準コード", "薬価基準収載医薬品コード", "YJコード"),
        "drug_name": ("医薬品名", "薬剤名", "品名"),
        "quantity": ("使用量", "数量"),
        "days": ("日数", "投与日数", "回数"),
        "points": ("点数", "薬剤点数"),
        "dispensed_date": ("調剤日", "調剤年月日", "処方日"),
    },
    "procedures": {
        "receipt_id": _RECEIPT_ID,
        "procedure_code": ("診療行為コード", "行為コード"),
        "procedure_name": ("診療行為名", "診療行為名称", "名称"),
        "points": ("点数",),
        "times": ("回数",),
    },
    "drug_master": {
        "yj_code": ("薬価基準収載医薬品コード", "薬価基準コード", "YJコード"),
        "receipt_code": ("医薬品コード", "レセプト電算コード"),
        "category": ("区分",),
        "ingredient": ("成分名",),
        "strength": ("規格",),
        "product_name": ("品名",),
        "maker": ("メーカー名",),
        "price": ("薬価",),
        "generic_info": ("後発医薬品情報", "各先発医薬品の後発医薬品の有無に関する情報"),
        "transition_until": ("経過措置期限", "経過措置による使用期限"),
    },
}
"""Layout key → field name → header spellings seen in real files (compared after `normalise_header`)."""


class Confidence(str, Enum):
    """How a header was tied to its field; the wizard asks the clerk to look at anything below EXACT."""

    EXACT = "exact"  # the canonical label or field name
    SYNONYM = "synonym"  # a known spelling, or the label once units in brackets are dropped
    PRESET = "preset"  # the clerk's saved mapping for files with these headers
    MANUAL = "manual"  # chosen in the mapping screen


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>")
_IGNORED = re.compile(r"[\s_・:/]")


def normalise_header(header: str) -> str:
    """The matching key of a header: NFKC, casefolded, without spaces, 「_」「・」「:」「/」.

    Only for matching: the header the clerk sees is never rewritten.
    """
    return _IGNORED.sub("", unicodedata.normalize("NFKC", header)).casefold()


def _without_brackets(key: str) -> str:
    """Drop bracketed units and remarks: 腹囲(cm) → 腹囲, 収縮期血圧(1回目) → 収縮期血圧."""
    previous = None
    while previous != key:
        previous, key = key, _BRACKETED.sub("", key)
    return key


@dataclass(frozen=True)
class ColumnMapping:
    """Which header feeds which field of `layout`: auto-mapped, then corrected by a preset or the clerk."""

    layout: Layout
    headers: tuple[str, ...]
    assigned: Mapping[str, str]  # header → field name
    confidence: Mapping[str, Confidence]  # header → how it was matched

    @property
    def unmapped(self) -> tuple[str, ...]:
        """Headers no field reads (shown to the clerk; their data is not imported)."""
        return tuple(h for h in self.headers if h not in self.assigned)

    @property
    def missing_required(self) -> tuple[Field, ...]:
        """Required fields no header feeds: the file cannot be imported until they are mapped."""
        fed = set(self.assigned.values())
        return tuple(f for f in self.layout.fields if f.required and f.name not in fed)

    def header_of(self, field_name: str) -> str | None:
        """The header that feeds `field_name`, or None."""
        return next((h for h, name in self.assigned.items() if name == field_name), None)

    def assign(self, header: str, field_name: str | None) -> ColumnMapping:
        """A copy with `header` feeding `field_name` (None: ignore the column); one header per field."""
        if header not in self.headers:
            raise KeyError(header)
        if field_name is not None:
            self.layout.field(field_name)
        assigned = {h: f for h, f in self.assigned.items() if h != header and f != field_name}
        confidence = {h: c for h, c in self.confidence.items() if h in assigned}
        if field_name is not None:
            assigned[header] = field_name
            confidence[header] = Confidence.MANUAL
        return ColumnMapping(self.layout, self.headers, assigned, confidence)

    def as_preset(self) -> dict[str, str]:
        """What a preset stores: normalised header → field name (survives spacing and width changes)."""
        return {normalise_header(h): f for h, f in self.assigned.items()}


def header_signature(headers: Iterable[str]) -> str:
    """A short fingerprint of a file's header row, to recognise the next file from the same clinic."""
    keys = sorted(normalise_header(h) for h in headers if h.strip())
    return hashlib.sha256("\x1f".join(keys).encode("utf-8")).hexdigest()[:16]


def _lookup(layout: Layout) -> tuple[dict[str, str], dict[str, str]]:
    """(exact, synonym) tables: normalised spelling → field name for `layout`."""
    exact: dict[str, str] = {}
    for f in layout.fields:
        exact.setdefault(normalise_header(f.label), f.name)
        exact.setdefault(normalise_header(f.name), f.name)
    synonyms: dict[str, str] = {}
    for name, spellings in SYNONYMS.get(layout.key, {}).items():
        for spelling in spellings:
            synonyms.setdefault(normalise_header(spelling), name)
    return exact, synonyms


def _match(header: str, exact: dict[str, str], synonyms: dict[str, str]) -> tuple[str, Confidence] | None:
    key = normalise_header(header)
    if not key:
        return None
    if key in exact:
        return exact[key], Confidence.EXACT
    if key in synonyms:
        return synonyms[key], Confidence.SYNONYM
    bare = _without_brackets(key)
    if bare in exact:
        return exact[bare], Confidence.SYNONYM
    if bare in synonyms:
        return synonyms[bare], Confidence.SYNONYM
    return None


_RANK = {Confidence.MANUAL: 0, Confidence.PRESET: 1, Confidence.EXACT: 2, Confidence.SYNONYM: 3}


def auto_map(headers: Iterable[str], layout: Layout, *, preset: Mapping[str, str] | None = None) -> ColumnMapping:
    """Map each header to a field of `layout`; when two headers claim one field the better match wins,
    then the leftmost (so 収縮期血圧(1回目) beats 収縮期血圧(2回目)); the loser stays unmapped.

    `preset` (from `ColumnMapping.as_preset`) is tried first; names in it that the layout lacks are ignored.
    """
    headers = tuple(headers)
    exact, synonyms = _lookup(layout)
    known = set(layout.names)
    candidates: list[tuple[int, int, str, str, Confidence]] = []
    for position, header in enumerate(headers):
        saved = (preset or {}).get(normalise_header(header))
        if saved in known:
            candidates.append((_RANK[Confidence.PRESET], position, header, saved, Confidence.PRESET))
            continue
        if found := _match(header, exact, synonyms):
            candidates.append((_RANK[found[1]], position, header, found[0], found[1]))
    assigned: dict[str, str] = {}
    confidence: dict[str, Confidence] = {}
    for _, _, header, name, how in sorted(candidates):
        if name in assigned.values() or header in assigned:
            continue
        assigned[header] = name
        confidence[header] = how
    ordered = {h: assigned[h] for h in headers if h in assigned}
    return ColumnMapping(layout, headers, ordered, {h: confidence[h] for h in ordered})


def match_count(headers: Iterable[str], layout: Layout) -> int:
    """How many fields of `layout` these headers feed: scores candidate header rows and sheets."""
    return len(auto_map(headers, layout).assigned)
