"""Files as an office receives them (受領ファイル): roster CSV, two clinics' result files, vendor claims CSV, masters.

The demo writes typed frames out the way real senders do, so the importers are exercised on realistic
input: a membership system's cp932 CSV with its own headers and 和暦 dates, clinic A's Excel with title rows
and units in the headers, clinic B's cp932 CSV with 全角 digits and 「未実施」, and a claims vendor's CSVs.

cp932 cannot hold every character of a name (𠮷, U+20BB7). Membership systems write 〓 (geta) in its place
and the clerk corrects the name by hand; these writers do the same and return a warning Issue for each
substituted cell, and `read_canonical` warns again when it meets 〓 on the way in.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from dhdesk.core.fields import (
    CHECKUPS, DIAGNOSES, DRUG_LINES, DRUG_MASTER, MEMBERS, PROCEDURES, QUESTIONS, RECEIPTS, Field, Kind, Layout,
    pandas_dtype,
)
from dhdesk.core.issues import Issue, Severity
from dhdesk.core.wareki import format_fiscal_year, format_wareki
from dhdesk.io.canonical import SUBSTITUTE_CHAR
from dhdesk.io.drug_master import GENERIC_STATUS_HEADER, VERSION_DATE
from dhdesk.io.values import QUALITATIVE_FIELDS, blank_column, format_column, map_distinct, number_text

UNKNOWN_CLINIC = "健診機関不明"

CLAIM_FILES: dict[str, tuple[Layout, str]] = {
    layout.key: (layout, f"{layout.label}.csv") for layout in (RECEIPTS, DIAGNOSES, DRUG_LINES, PROCEDURES)
}
"""The vendor claims export: one cp932 CSV per table named by its layout (レセプト.csv, 傷病名.csv…, docs/formats.md)."""

ROSTER_HEADERS: dict[str, str] = {
    "member_id": "被保険者番号", "kigo": "記号", "bango": "番号", "edaban": "枝番", "name": "氏名",
    "name_kana": "カナ氏名", "sex": "性別", "birth_date": "生年月日", "relation": "続柄",
    "insured_id": "本人被保険者番号", "shikaku_kubun": "資格区分", "office": "所属所名", "postal_code": "郵便番号",
    "address1": "住所", "address2": "方書", "phone": "電話番号", "acquired_date": "資格取得年月日",
    "lost_date": "資格喪失年月日", "no_mail": "通知不要", "deceased_date": "死亡年月日",
}
"""A membership system's export headers, by field."""

_QUESTION_NAMES = (
    "服薬1(血圧)", "服薬2(血糖)", "服薬3(脂質)", "既往歴1(脳血管)", "既往歴2(心血管)", "既往歴3(腎不全・人工透析)", "貧血",
    "喫煙", "20歳からの体重変化", "30分以上の運動習慣", "歩行又は身体活動", "歩行速度", "咀嚼", "食べ方1(早食い等)",
    "食べ方2(就寝前)", "食べ方3(間食)", "食習慣", "飲酒", "飲酒量", "睡眠", "生活習慣の改善", "特定保健指導の受診歴",
)
"""Questionnaire item names of the 特定健診 XML item master (XMLhc24tab), in question order."""

CLINIC_A_HEADERS: dict[str, str] = {
    "member_id": "被保険者番号", "sex": "性別(1:男 2:女)", "birth_date": "生年月日", "exam_date": "受診日",
    "clinic": "健診機関名", "height": "身長(cm)", "weight": "体重(kg)", "bmi": "BMI", "waist": "腹囲(cm)",
    "sbp": "収縮期血圧(mmHg)", "dbp": "拡張期血圧(mmHg)", "blood_timing": "採血時間",
    "tg_fasting": "空腹時中性脂肪(mg/dL)", "tg_random": "随時中性脂肪(mg/dL)", "hdl": "HDLコレステロール(mg/dL)",
    "ldl": "LDLコレステロール(mg/dL)", "non_hdl": "Non-HDLコレステロール(mg/dL)", "fbg": "空腹時血糖(mg/dL)",
    "rbg": "随時血糖(mg/dL)", "hba1c": "HbA1c(NGSP)(%)", "ast": "AST(GOT)(U/L)", "alt": "ALT(GPT)(U/L)",
    "ggt": "γ-GT(U/L)", "creatinine": "血清クレアチニン(mg/dL)", "egfr": "eGFR(mL/min/1.73m2)", "urine_glucose": "尿糖",
    "urine_protein": "尿蛋白", "hb": "血色素量(g/dL)", "hematocrit": "ヘマトクリット(%)", "rbc": "赤血球数(万/μL)",
    "ecg": "心電図(所見の有無)", "fundus_kw": "眼底検査(キースワグナー分類)", "history": "既往歴", "symptoms": "自覚症状",
    "signs": "他覚症状", "doctor_judgement": "医師の判断",
    **{f.name: name for f, name in zip(QUESTIONS, _QUESTION_NAMES, strict=True)},
    "clinic_level": "保健指導レベル", "clinic_metabo": "メタボリックシンドローム判定",
}
"""Clinic A's Excel headers: the XML item names, units in brackets."""

CLINIC_B_HEADERS: dict[str, str] = {
    "member_id": "受診者番号", "exam_date": "健診年月日", "sex": "性別", "birth_date": "生年月日", "clinic": "実施機関名",
    "sbp": "最高血圧", "dbp": "最低血圧", "height": "身長", "weight": "体重", "waist": "腹囲", "bmi": "ＢＭＩ",
    "blood_timing": "採血区分", "tg_fasting": "中性脂肪(空腹時)", "tg_random": "中性脂肪(随時)", "hdl": "HDL-C",
    "ldl": "LDL-C", "non_hdl": "Non-HDL-C", "fbg": "血糖(空腹時)", "rbg": "血糖(随時)", "hba1c": "ヘモグロビンA1c",
    "ast": "GOT", "alt": "GPT", "ggt": "γ-GTP", "creatinine": "クレアチニン", "egfr": "eGFR", "hb": "血色素",
    "hematocrit": "ヘマトクリット値", "rbc": "赤血球数", "urine_protein": "尿蛋白(定性)", "urine_glucose": "尿糖(定性)",
    "ecg": "心電図所見", "fundus_kw": "眼底(KW)", "history": "既往歴の有無", "symptoms": "自覚症状の有無",
    "signs": "他覚症状の有無",
    "doctor_judgement": "総合所見",
    **{f.name: f"質問{n}" for n, f in enumerate(QUESTIONS, start=1)},
    "clinic_metabo": "メタボ判定", "clinic_level": "保健指導判定",
}
"""Clinic B's CSV headers and column order: other synonyms, numbered questions."""

_CLINIC_B_ZENKAKU = ("height", "weight", "waist")
_ZENKAKU = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
_URINE_A = {"1": "−", "2": "±", "3": "+", "4": "2+", "5": "3+"}
_URINE_B = {"1": "(−)", "2": "(±)", "3": "(+)", "4": "(2+)", "5": "(3+)"}


def write_canonical_csv(frame: pd.DataFrame, layout: Layout, path: str | Path,
                        encoding: str = "utf-8-sig") -> list[Issue]:
    """The canonical layout as CSV (labels as headers); with cp932, unwritable characters become 〓."""
    path = Path(path)
    table = pd.DataFrame({f.label: _canonical_text(frame, f) for f in layout.fields})
    return _write_csv(table, path, encoding)


def write_roster_csv(members: pd.DataFrame, path: str | Path) -> list[Issue]:
    """A membership system's roster export: cp932, its own headers, 生年月日 as 和暦 (S50.01.01), other dates
    yyyymmdd, 性別 1/2, 続柄 本人/家族, 通知不要 ○/×."""
    columns: dict[str, pd.Series] = {}
    for name, header in ROSTER_HEADERS.items():
        field = MEMBERS.field(name)
        values = _column(members, field)
        if name == "birth_date":
            columns[header] = map_distinct(values, lambda v: format_wareki(v.date(), style="padded"))
        elif field.kind is Kind.DATE:
            columns[header] = map_distinct(values, lambda v: v.strftime("%Y%m%d"))
        elif field.kind is Kind.SEX:
            columns[header] = map_distinct(values, lambda v: str(int(v)))
        elif name == "no_mail":
            columns[header] = map_distinct(values, {1: "○", 2: "×"}.__getitem__)
        else:
            columns[header] = format_column(values, field)
    return _write_csv(pd.DataFrame(columns), Path(path), "cp932")


def write_clinic_a_xlsx(checkups: pd.DataFrame, path: str | Path, *, clinic: str = "みなと健診センター") -> None:
    """Clinic A's result book: two title rows and a blank row above the header, real Excel date cells, numbers
    at their recorded precision, 「＊」 for unmeasured, はい/いいえ and the printed choice labels."""
    fields = [CHECKUPS.field(name) for name in CLINIC_A_HEADERS]
    columns = [_clinic_a_cells(_column(checkups, f), f) for f in fields]
    with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as book:
        sheet = book.add_worksheet("健診結果")
        title = book.add_format({"bold": True, "font_size": 14})
        head = book.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1, "text_wrap": True})
        day = book.add_format({"num_format": "yyyy/mm/dd"})
        sheet.write_string(0, 0, f"{_fiscal_years(checkups)} 特定健康診査 結果一覧".strip(), title)
        sheet.write_string(1, 0, f"{clinic}　出力件数 {len(checkups)}件")
        for column, field in enumerate(fields):
            sheet.write_string(3, column, CLINIC_A_HEADERS[field.name], head)
        writers = [_cell_writer(sheet, f, day) for f in fields]
        for row in range(len(checkups)):
            for column, write in enumerate(writers):
                value = columns[column][row]
                if value is not None:
                    write(row + 4, column, value)


def write_clinic_b_csv(checkups: pd.DataFrame, path: str | Path) -> list[Issue]:
    """Clinic B's export: cp932, its own headers and order, 和暦 dates (令和6年5月1日), 性別 男/女, answers
    as codes, 全角 digits in 身長/体重/腹囲, 「未実施」 for unmeasured."""
    columns: dict[str, pd.Series] = {}
    for name, header in CLINIC_B_HEADERS.items():
        field = CHECKUPS.field(name)
        values = _column(checkups, field)
        if field.kind is Kind.DATE:
            text = map_distinct(values, lambda v: format_wareki(v.date()))
        elif field.kind is Kind.NUMBER:
            text = map_distinct(values.round(field.decimals or 0), number_text).replace("", "未実施")
            if name in _CLINIC_B_ZENKAKU:
                text = text.str.translate(_ZENKAKU)
        elif name in QUALITATIVE_FIELDS:
            text = values.map(_URINE_B, na_action="ignore").astype(object).fillna("")
        elif pandas_dtype(field) == "Int8" and field.kind is not Kind.SEX:
            text = map_distinct(values, lambda v: str(int(v)))
        else:
            text = format_column(values, field)
        columns[header] = text
    return _write_csv(pd.DataFrame(columns), Path(path), "cp932")


def write_clinic_files(checkups: pd.DataFrame, folder: str | Path) -> tuple[list[Path], list[Issue]]:
    """Each clinic's results per 年度 as that clinic sends them: clinics alternate between A's Excel book
    and B's cp932 CSV (in order of name), one file per clinic and 年度 (「みなと健診センター_令和6年度.xlsx」)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clinics = checkups["clinic"].fillna(UNKNOWN_CLINIC) if "clinic" in checkups else pd.Series(
        UNKNOWN_CLINIC, index=checkups.index)
    fiscal = checkups["exam_date"].dt.year - (checkups["exam_date"].dt.month < 4)
    paths: list[Path] = []
    issues: list[Issue] = []
    for number, clinic in enumerate(sorted(clinics.unique())):
        for year in sorted(fiscal[clinics == clinic].dropna().unique()):
            rows = checkups[(clinics == clinic) & (fiscal == year)]
            stem = f"{_file_safe(clinic)}_{format_fiscal_year(int(year))}"
            if number % 2 == 0:
                paths.append(folder / f"{stem}.xlsx")
                write_clinic_a_xlsx(rows, paths[-1], clinic=clinic)
            else:
                paths.append(folder / f"{stem}.csv")
                issues += write_clinic_b_csv(rows, paths[-1])
    return paths, issues


def write_drug_lists(drug_master: pd.DataFrame, folder: str | Path) -> list[Path]:
    """The drug master as MHLW's 薬価基準収載品目リスト CSV (UTF-8, as circulated), one file per version
    (mhlw_yakka_list_yyyymmdd.csv), with MHLW's 後発医薬品の有無 column appended so one file carries both lists."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    versions = drug_master[VERSION_DATE] if VERSION_DATE in drug_master else pd.Series(pd.NaT, index=drug_master.index)
    paths: list[Path] = []
    for version in versions.drop_duplicates():
        rows = drug_master[versions == version] if pd.notna(version) else drug_master[versions.isna()]
        name = f"mhlw_yakka_list_{version:%Y%m%d}.csv" if pd.notna(version) else "mhlw_yakka_list.csv"
        paths.append(folder / name)
        _published_price_list(rows).to_csv(paths[-1], index=False, encoding="utf-8", lineterminator="\n")
    _write_ssk_drug_codes(drug_master, folder)
    return paths


SSK_COLUMNS = 42
"""Fields of a row of the 支払基金 基本マスター 医薬品 (y) file (RULES.md §4.1c)."""


def _write_ssk_drug_codes(drug_master: pd.DataFrame, folder: Path) -> Path | None:
    """The 支払基金 医薬品マスター beside the MHLW lists (y_ALL.csv, headerless cp932): マスター種別 Y, the
    9-digit 医薬品コード (field 3), 漢字名称 (field 5) and the 薬価基準収載医薬品コード (field 32) of every product
    that has a claim code — what links a レセ電 IY record to the price lists."""
    rows = drug_master.dropna(subset=["receipt_code", "yj_code"]).drop_duplicates("receipt_code")
    if rows.empty:
        return None
    table = pd.DataFrame("", index=range(len(rows)), columns=range(SSK_COLUMNS))
    table[0], table[1] = "0", "Y"
    table[2] = rows["receipt_code"].astype(str).to_numpy()
    table[4] = substitute_for_cp932(rows["product_name"].fillna("").astype(str))[0].to_numpy()
    table[31] = rows["yj_code"].astype(str).to_numpy()
    path = folder / "y_ALL.csv"
    table.to_csv(path, header=False, index=False, encoding="cp932", lineterminator="\r\n")
    return path


DISEASE_MASTER_COLUMNS = 46
"""Items of a row of the 支払基金 基本マスター 傷病名 (b) file (see dhdesk.io.disease_master)."""
_LISTED_SINCE = "20020601"
_NOT_ABOLISHED = "99999999"


def write_disease_master(diseases: pd.DataFrame, path: str | Path) -> Path:
    """`diseases` (disease_code, disease_name, icd10 as "E11.9") as a 支払基金 傷病名マスター b_ALL file.

    What the office downloads to give レセ電 diagnoses their ICD-10: headerless cp932, CRLF, all 46 items
    quoted, マスター種別 B, the 7-digit code (item 3), 基本名称 and 省略名称 (items 6 and 8, with their
    lengths), ICD-10-1 (2013) written without the dot ("E119", item 16), 収載年月日 and 廃止年月日 (items 22,
    24; 99999999 = in use). One row per code; rows without a code (blank or NA) are not in a master and are
    left out. The demo writes an excerpt built from its synthetic catalogue this way, not the real master.
    """
    codes = diseases["disease_code"].astype("string").str.strip()
    rows = diseases[(codes.fillna("") != "").to_numpy()].assign(disease_code=codes).drop_duplicates("disease_code")
    names = substitute_for_cp932(rows["disease_name"].fillna("").astype(str))[0].to_numpy(dtype=object)
    lengths = [str(len(name)) for name in names]
    table = pd.DataFrame("", index=range(len(rows)), columns=range(DISEASE_MASTER_COLUMNS))
    table[0], table[1] = "0", "B"
    table[2] = rows["disease_code"].astype(str).to_numpy()
    table[4], table[5], table[6], table[7] = lengths, names, lengths, names
    table[15] = rows["icd10"].fillna("").astype(str).str.replace(".", "", regex=False).to_numpy()
    table[21], table[23] = _LISTED_SINCE, _NOT_ABOLISHED
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, header=False, index=False, encoding="cp932", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    return path


def _published_price_list(rows: pd.DataFrame) -> pd.DataFrame:
    """DRUG_MASTER rows in the column layout of MHLW's list (後発品 / 先発品 / ○ derived from the status)."""
    status = _column(rows, DRUG_MASTER.field("generic_info")).fillna("")
    deadline = _column(rows, DRUG_MASTER.field("transition_until"))
    blank = pd.Series("", index=status.index)
    text = {name: _canonical_text(rows, DRUG_MASTER.field(name)) for name in
            ("category", "yj_code", "ingredient", "strength", "product_name", "maker", "price")}
    return pd.DataFrame({
        "区分": text["category"], "薬価基準収載医薬品コード": text["yj_code"], "成分名": text["ingredient"],
        "規格": text["strength"], "日本薬局方": blank, "麻薬": blank, "業者名追記": blank, "品名": text["product_name"],
        "メーカー名": text["maker"],
        "診療報酬において加算等の算定対象となる後発医薬品": status.map({"3": "後発品", "★": "★"}).fillna(""),
        "先発医薬品": status.map({"1": "先発品", "2": "先発品", "☆": "先発品"}).fillna(""),
        "同一剤形・規格の後発医薬品がある先発医薬品": status.map({"2": "○", "☆": "○"}).fillna(""),
        "薬価": text["price"],
        "経過措置による使用期限": map_distinct(deadline, lambda v: f"{format_wareki(v.date(), style='short')}まで"),
        "備考": blank,
        GENERIC_STATUS_HEADER: status,
    })


def write_claims_csv(receipts: pd.DataFrame, diagnoses: pd.DataFrame, drug_lines: pd.DataFrame,
                     procedures: pd.DataFrame, folder: str | Path) -> list[Issue]:
    """A claims vendor's export: one cp932 CSV per table in `folder`, canonical headers (see CLAIM_FILES)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = {"receipts": receipts, "diagnoses": diagnoses, "drug_lines": drug_lines, "procedures": procedures}
    issues: list[Issue] = []
    for key, (layout, file_name) in CLAIM_FILES.items():
        issues += write_canonical_csv(frames[key], layout, folder / file_name, encoding="cp932")
    return issues


def _file_safe(name: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|' else c for c in name).strip() or UNKNOWN_CLINIC


def _column(frame: pd.DataFrame, field: Field) -> pd.Series:
    """The frame's column for `field`, or all-missing when the frame lacks it."""
    if field.name in frame:
        return frame[field.name].reset_index(drop=True)
    return blank_column(field, pd.RangeIndex(len(frame)))


def _canonical_text(frame: pd.DataFrame, field: Field) -> pd.Series:
    return format_column(_column(frame, field), field)


def _fiscal_years(checkups: pd.DataFrame) -> str:
    """「令和6年度」 or 「令和5年度〜令和7年度」 for the title row (年度 starts in April); "" without dates."""
    dates = checkups["exam_date"].dropna() if "exam_date" in checkups else pd.Series(dtype="datetime64[ns]")
    if dates.empty:
        return ""
    years = dates.dt.year - (dates.dt.month < 4)
    first, last = int(years.min()), int(years.max())
    return format_fiscal_year(first) if first == last else f"{format_fiscal_year(first)}〜{format_fiscal_year(last)}"


def _clinic_a_cells(values: pd.Series, field: Field) -> list[object]:
    """Cell values (None = leave blank) as clinic A writes them."""
    if field.kind is Kind.DATE:
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    if field.kind is Kind.NUMBER:
        rounded = values.round(field.decimals or 0).to_numpy()
        return ["＊" if np.isnan(v) else float(v) for v in rounded]
    if field.name in QUALITATIVE_FIELDS:
        return [_URINE_A.get(v) if isinstance(v, str) else None for v in values.astype(object)]
    if field.kind is Kind.SEX or (field.kind is Kind.CODE and not field.choices):
        return [None if pd.isna(v) else (float(v) if str(v).isdigit() else str(v)) for v in values.astype(object)]
    text = format_column(values, field)
    return [t or None for t in text]


def _cell_writer(sheet: xlsxwriter.worksheet.Worksheet, field: Field,
                 day_format: object) -> Callable[[int, int, object], object]:
    """The xlsxwriter call for one column: dates as date cells, numbers as numbers, the rest as text."""
    if field.kind is Kind.DATE:
        return lambda row, column, value: sheet.write_datetime(row, column, value, day_format)

    def write(row: int, column: int, value: object) -> None:
        if isinstance(value, float):
            sheet.write_number(row, column, value)
        else:
            sheet.write_string(row, column, value)

    return write


def _write_csv(table: pd.DataFrame, path: Path, encoding: str) -> list[Issue]:
    """CRLF CSV as Windows software writes it; for cp932, characters it lacks are replaced by 〓 and reported."""
    issues: list[Issue] = []
    if encoding.replace("_", "").lower() in ("cp932", "ms932", "windows31j"):
        table, issues = _substitute_in_table(table, path.name)
    table.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")
    return issues


def _substitute_in_table(table: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[Issue]]:
    issues: list[Issue] = []
    table = table.copy()
    for header in table.columns:
        column = table[header]
        fixed, bad = substitute_for_cp932(column)
        for position in np.flatnonzero(bad):
            original = column.iloc[position]
            missing = "".join(dict.fromkeys(c for c in original if not fits_cp932(c)))
            issues.append(Issue(source, int(position) + 2, header, "substitute_char",
                                f"{header}「{original}」の「{missing}」は Shift_JIS(cp932) で書けないため"
                                f"「{SUBSTITUTE_CHAR}」に置き換えました", Severity.WARNING))
        table[header] = fixed
    return table, issues


def substitute_for_cp932(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """`values` with each character cp932 lacks replaced by 〓, and the mask of the cells changed.

    Each distinct text is checked once; the UKE writer shares this with the CSV writers.
    """
    replacements = {v: _geta(v) for v in pd.unique(values) if isinstance(v, str) and not fits_cp932(v)}
    if not replacements:
        return values, np.zeros(len(values), dtype=bool)
    bad = values.isin(list(replacements))
    return values.where(~bad, values.map(replacements)), bad.to_numpy()


def fits_cp932(text: str) -> bool:
    """True when `text` can be written in Shift_JIS (cp932) as it is."""
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _geta(text: str) -> str:
    return "".join(c if fits_cp932(c) else SUBSTITUTE_CHAR for c in text)
