"""Mailing list xlsx: every cell text (leading zeros kept), problem rows highlighted, order kept."""

from __future__ import annotations

import openpyxl
import pandas as pd

from dhdesk.reports.mailing_xlsx import SHEET_NAME, write_mailing


def rows() -> pd.DataFrame:
    return pd.DataFrame({
        "郵便番号": ["〒100-0001", "〒491-0066"], "住所1": ["東京都港区芝公園4-2-8", "愛知県一宮市三丹町1-2"],
        "住所2": [pd.NA, "101号室"], "宛名": ["鈴木　一郎　様", "山田　花子　様"], "加入者番号": ["00034", "00012"],
        "所属所": ["", "一宮市役所"], "区分": ["A", "B"], "差額合計": ["90円", "1,200円"],
        "住所確認": ["郵便番号「〒100-0001」は東京都千代田区の番号ですが、住所1の先頭と一致しません。", ""],
    }, dtype="string")


def test_cells_are_text_in_order_with_problems_highlighted(tmp_path):
    path = write_mailing(rows(), tmp_path / "out" / "list.xlsx", title="差額通知 発送リスト")
    assert path.exists() and not (tmp_path / "out" / "list.xlsx.partial").exists()
    sheet = openpyxl.load_workbook(path)[SHEET_NAME]
    assert sheet["A1"].value == "差額通知 発送リスト"
    assert [c.value for c in sheet[3]][:5] == ["郵便番号", "住所1", "住所2", "宛名", "加入者番号"]
    assert sheet["E4"].value == "00034" and sheet["E4"].data_type == "s"
    assert sheet["E5"].value == "00012" and sheet["A5"].value == "〒491-0066"
    assert sheet["C4"].value in ("", None) and sheet["C5"].value == "101号室"
    assert sheet["A4"].fill.fgColor.rgb.endswith("FFF2CC")
    assert not str(sheet["A5"].fill.fgColor.rgb).endswith("FFF2CC")
    assert sheet.freeze_panes == "A4"


def test_without_title_header_is_first_row(tmp_path):
    sheet = openpyxl.load_workbook(write_mailing(rows(), tmp_path / "list.xlsx"))[SHEET_NAME]
    assert sheet["A1"].value == "郵便番号" and sheet["H3"].value == "1,200円"
