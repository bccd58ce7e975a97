"""Reading tables: encodings, delimiters, title rows, sheets, Excel cell types, and the clerk's row numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import xlsxwriter

from dhdesk.core.fields import CHECKUPS
from dhdesk.io.tabular import UnreadableFile, cell_text, read_table, sheet_names

ROSTER = "加入者番号,氏名,腹囲\r\n00012,髙﨑 一郎,85.5\r\n00013,山田 花子,＊\r\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(table):
    return [[None if pd.isna(v) else v for v in row] for row in table.data.astype(object).values.tolist()]


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"),
                                                   ("utf-16", "utf-16")])
def test_encodings_are_detected(tmp_path, encoding, detected):
    table = read_table(write(tmp_path, "roster.csv", ROSTER, encoding))
    assert table.encoding == detected
    assert table.headers == ("加入者番号", "氏名", "腹囲")
    assert rows(table) == [["00012", "髙﨑 一郎", "85.5"], ["00013", "山田 花子", "＊"]]


def test_cp932_only_characters_survive(tmp_path):
    text = "氏名\r\n髙橋\r\n﨑山\r\n①番\r\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("shift_jis")
    assert rows(read_table(write(tmp_path, "n.csv", text, "cp932"))) == [["髙橋"], ["﨑山"], ["①番"]]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("bad.csv", b"\x81\x20,\x82\x0a", "文字コード"), ("bin.csv", b"a,b\x00\x01", "バイナリ"), ("empty.csv", b"", "空"),
     ("blank.csv", b"\r\n\r\n", "空"), ("broken.xlsx", b"PK\x03\x04not a zip", "Excel")],
)
def test_files_that_are_not_tables_are_unreadable(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=message):
        read_table(path)


def test_a_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match="開けません"):
        read_table(tmp_path / "missing.csv")


@pytest.mark.parametrize(("delimiter", "suffix"), [(",", ".csv"), ("\t", ".tsv"), ("\t", ".txt"), (";", ".csv"),
                                                   ("|", ".txt")])
def test_delimiters_are_sniffed(tmp_path, delimiter, suffix):
    text = f"加入者番号{delimiter}腹囲{delimiter}体重\n001{delimiter}85.5{delimiter}60\n002{delimiter}90{delimiter}70\n"
    table = read_table(write(tmp_path, f"t{suffix}", text))
    assert table.delimiter == delimiter
    assert rows(table) == [["001", "85.5", "60"], ["002", "90", "70"]]


def test_title_rows_are_skipped_and_row_numbers_are_the_files(tmp_path):
    text = "令和6年度 健診結果一覧\n作成日,2024/5/1\n\n加入者番号,性別,腹囲\n001,男,85\n\n002,女,\n003,女,70\n"
    table = read_table(write(tmp_path, "t.csv", text))
    assert table.header_row == 4
    assert table.row_numbers.tolist() == [5, 7, 8]
    assert rows(table) == [["001", "男", "85"], ["002", "女", None], ["003", "女", "70"]]


def test_quoted_line_breaks_stay_in_one_row(tmp_path):
    text = '加入者番号,住所\n001,"東京都\n千代田区"\n002,大阪府\n'
    table = read_table(write(tmp_path, "t.csv", text))
    assert rows(table) == [["001", "東京都\n千代田区"], ["002", "大阪府"]]
    assert table.row_numbers.tolist() == [2, 3]


def test_rows_wider_than_the_header_are_kept(tmp_path):
    text = "加入者番号,腹囲\n001,85,extra\n002,90\n"
    table = read_table(write(tmp_path, "t.csv", text))
    assert table.headers == ("加入者番号", "腹囲", "C列")
    assert rows(table) == [["001", "85", "extra"], ["002", "90", None]]


def test_blank_and_repeated_headers_get_column_letters(tmp_path):
    table = read_table(write(tmp_path, "t.csv", "備考,,腹囲,備考,\n1,2,3,4,\n"))
    assert table.headers == ("備考", "B列", "腹囲", "備考（D列）")


def test_a_layout_picks_the_header_row_that_feeds_most_fields(tmp_path):
    text = "健診機関,みなと健診センター,受診者数,2\n加入者番号,性別,腹囲,体重\n001,男,85,60\n"
    assert read_table(write(tmp_path, "t.csv", text)).header_row == 1
    assert read_table(write(tmp_path, "t.csv", text), layout=CHECKUPS).header_row == 2


def test_header_detection_threshold_is_sixty_percent_of_the_widest_row(tmp_path):
    at_threshold = "a,b,c,,\n1,2,3,4,5\n"
    below = "a,b,,,\n1,2,3,4,5\n"
    assert read_table(write(tmp_path, "t.csv", at_threshold)).header_row == 1
    assert read_table(write(tmp_path, "u.csv", below)).header_row == 2


def make_book(path, sheets, hidden=()):
    with xlsxwriter.Workbook(str(path)) as book:
        date_format = book.add_format({"num_format": "yyyy/mm/dd"})
        for name, cells in sheets.items():
            sheet = book.add_worksheet(name)
            for (row, column), value in cells.items():
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(row, column, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(row, column, value)
                else:
                    sheet.write(row, column, value)
            if name in hidden:
                sheet.hide()
    return path


def test_excel_cells_read_as_the_text_the_clerk_sees(tmp_path):
    path = make_book(tmp_path / "r.xlsx", {"結果": {
        (0, 0): "令和6年度 健診結果一覧",
        (2, 1): "加入者番号", (2, 2): "健診日", (2, 3): "身長", (2, 4): "腹囲", (2, 5): "メモ",
        (3, 1): "00012", (3, 2): dt.datetime(2024, 5, 1), (3, 3): 170.0, (3, 4): 0.1 + 0.2, (3, 5): True,
        (5, 1): "00013", (5, 2): dt.datetime(2024, 5, 2, 9, 30), (5, 3): 1e20, (5, 4): 85.25,
    }})
    table = read_table(path)
    assert table.sheet == "結果" and table.header_row == 3
    assert table.headers == ("加入者番号", "健診日", "身長", "腹囲", "メモ")
    assert table.row_numbers.tolist() == [4, 6]
    assert rows(table) == [["00012", "2024-05-01", "170", "0.3", "TRUE"],
                           ["00013", "2024-05-02 09:30:00", "1e+20", "85.25", None]]


def test_the_sheet_whose_header_matches_is_chosen(tmp_path):
    path = make_book(tmp_path / "r.xlsx", {
        "説明": {(0, 0): "このファイルについて", (1, 0): "作成", (1, 1): "健診センター"},
        "隠し": {(0, 0): "加入者番号", (0, 1): "性別", (0, 2): "生年月日", (0, 3): "健診日"},
        "結果": {(0, 0): "受診者番号", (0, 1): "腹囲", (1, 0): "001", (1, 1): 85},
    }, hidden=("隠し",))
    assert sheet_names(path) == ["説明", "結果"]
    table = read_table(path, layout=CHECKUPS)
    assert table.sheet == "結果" and table.sheets == ("説明", "結果")
    assert rows(table) == [["001", "85"]]
    assert read_table(path, sheet="説明").headers == ("作成", "健診センター")
    with pytest.raises(UnreadableFile, match="シート「なし」"):
        read_table(path, sheet="なし")


def test_an_empty_workbook_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match="空"):
        read_table(make_book(tmp_path / "e.xlsx", {"Sheet1": {}}))


def test_a_workbook_named_csv_is_still_read_as_excel(tmp_path):
    path = make_book(tmp_path / "r.xlsx", {"S": {(0, 0): "加入者番号", (1, 0): "007"}})
    renamed = path.rename(tmp_path / "r.csv")
    assert rows(read_table(renamed)) == [["007"]]
    assert sheet_names(write(tmp_path, "t.csv", ROSTER)) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [(85.0, "85"), (85.5, "85.5"), (0.1 + 0.2, "0.3"), (-3.0, "-3"), (12, "12"), (False, "FALSE"),
     (dt.date(2024, 4, 1), "2024-04-01"), (dt.datetime(2024, 4, 1), "2024-04-01"), (dt.time(9, 5), "09:05:00"),
     (float("inf"), "inf"), ("00123", "00123")],
)
def test_cell_text(value, text):
    assert cell_text(value) == text
