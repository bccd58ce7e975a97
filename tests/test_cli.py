"""The `dhdesk` command: the stratify file-mode contract, demo, self-test and version, end to end."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from dhdesk.cli import main
from dhdesk.core.fields import CHECKUPS
from dhdesk.core.synthetic import generate_union
from dhdesk.io.office_files import write_canonical_csv

CONTRACT_HEADER = (
    "加入者番号,性別,生年月日,健診日,身長,体重,BMI,腹囲,収縮期血圧,拡張期血圧,空腹時中性脂肪,随時中性脂肪,"
    "HDLコレステロール,LDLコレステロール,空腹時血糖,随時血糖,HbA1c,服薬_血圧,服薬_血糖,服薬_脂質,喫煙"
)
ROWS = [
    # 男 50歳, 腹囲 90, 収縮期 135, HbA1c 5.8, 喫煙 → (1) + 血圧 + 血糖 + 喫煙 = 3 → 積極的支援;
    # メタボは HbA1c 6.0 未満なので血圧のみ → 予備群該当
    "0001234,男,1975-06-01,2025-06-10,170,75,,90,135,80,120,,55,110,,,5.8,いいえ,いいえ,いいえ,はい",
    # 女 68歳 (和暦), 腹囲 92, 収縮期 140, HDL 38 → (1) + 2 = 積極的 → 65歳以上で動機付け支援
    "0001235,2,昭和32年5月1日,令和7年7月1日,155,60,,92,140,84,,,38,100,95,,5.4,2,2,2,3",
    # 服薬中 → 情報提供
    "0001236,1,1970/1/1,2025/9/1,170,80,,95,150,95,200,,35,150,130,,7.0,1,いいえ,いいえ,いいえ",
    # 腹囲 未測定 (＊) and BMI 30: could be (1) or (2), risks 1 → 動機付け either way → determined
    "0001237,男,1980-01-01,2025-10-01,170,86.7,,＊,135,80,100,,60,100,90,,5.2,いいえ,いいえ,いいえ,いいえ",
    # 服薬 未回答, 腹囲 95 + 血圧 → could be 情報提供 (服薬中) or 動機付け → 判定不能
    "0001238,男,1980-01-01,2025-10-01,170,70,,95,135,80,100,,60,100,90,,5.2,,いいえ,いいえ,いいえ",
    # 38歳 → 対象外
    "0001239,女,1987-04-02,2025-06-10,160,50,,70,110,70,80,,60,100,90,,5.2,いいえ,いいえ,いいえ,いいえ",
]
EXPECTED = ["積極的支援", "動機付け支援", "情報提供", "動機付け支援", "判定不能", "対象外"]


def _write(path, encoding):
    path.write_bytes(("\r\n".join([CONTRACT_HEADER, *ROWS]) + "\r\n").encode(encoding))
    return path


def _read_output(path):
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_stratify_writes_one_row_per_input_row_with_the_contract_columns(tmp_path, encoding, capsys):
    source = _write(tmp_path / "健診.csv", encoding)
    out = tmp_path / "out.csv"
    assert main(["stratify", str(source), "--fiscal-year", "2025", "-o", str(out)]) == 0
    table = _read_output(out)
    assert list(table.columns[:3]) == ["入力行", "加入者番号", "健診日"]
    assert {"加入者番号", "保健指導レベル", "メタボ判定", "理由"} <= set(table.columns)
    assert table["加入者番号"].tolist() == ["0001234", "0001235", "0001236", "0001237", "0001238", "0001239"]
    assert table["保健指導レベル"].tolist() == EXPECTED
    assert table["メタボ判定"].tolist()[:3] == ["予備群該当", "基準該当", "基準該当"]
    assert "65" in table.loc[1, "理由"] and "動機付け支援" in table.loc[1, "理由"]
    assert "服薬中" in table.loc[2, "理由"]
    assert "腹囲" in table.loc[3, "理由"]
    assert "服薬_血圧" in table.loc[4, "理由"]
    assert table["受診勧奨"].tolist()[:3] == ["", "②受診勧奨", "①すぐに受診"]
    assert "収縮期血圧 140 ≥ 140mmHg" in table.loc[1, "受診勧奨の理由"]
    assert table["健診機関の判定との違い"].tolist() == [""] * 6  # the file carries no clinic judgement
    assert "6 行を判定" in capsys.readouterr().out


def test_stratify_reads_the_same_data_from_xlsx(tmp_path):
    csv_path = _write(tmp_path / "健診.csv", "utf-8-sig")
    xlsx_path = tmp_path / "健診.xlsx"
    pd.read_csv(csv_path, dtype=str, keep_default_na=False).to_excel(xlsx_path, index=False)
    out = tmp_path / "out.csv"
    assert main(["stratify", str(xlsx_path), "--fiscal-year", "2025", "-o", str(out)]) == 0
    assert _read_output(out)["保健指導レベル"].tolist() == EXPECTED


def test_stratify_refuses_a_file_without_a_required_column(tmp_path, capsys):
    source = tmp_path / "bad.csv"
    source.write_text("加入者番号,腹囲\n0001,90\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["stratify", str(source), "--fiscal-year", "2025", "-o", str(out)]) == 1
    assert not out.exists()
    assert "健診日" in capsys.readouterr().err


def test_stratify_the_demo_unions_canonical_cp932_file(tmp_path):
    union = generate_union(members=400, seed=3)
    checkups = union.checkups[union.checkups["exam_date"].between("2025-04-01", "2026-03-31")]
    source = tmp_path / "checkups.csv"
    write_canonical_csv(checkups, CHECKUPS, source, encoding="cp932")
    out = tmp_path / "out.csv"
    assert main(["stratify", str(source), "--fiscal-year", "2025", "-o", str(out)]) == 0
    table = _read_output(out)
    assert len(table) == len(checkups)
    assert table["加入者番号"].tolist() == checkups["member_id"].tolist()
    assert set(table["保健指導レベル"]) <= {"積極的支援", "動機付け支援", "情報提供", "判定不能", "対象外"}
    assert table["理由"].str.len().min() > 10


def test_demo_writes_the_office_files_and_a_workspace(tmp_path, capsys):
    assert main(["demo", "--members", "300", "--seed", "5", "-o", str(tmp_path)]) == 0
    received = tmp_path / "受信ファイル"
    assert (received / "加入者台帳.csv").read_bytes().decode("cp932").startswith("被保険者番号")
    assert any(p.suffix == ".xlsx" for p in (received / "健診結果").iterdir())
    assert any(p.suffix == ".csv" for p in (received / "健診結果").iterdir())
    assert (received / "レセプト" / "レセプト.csv").exists()
    assert (tmp_path / "demo.dhdesk").exists()
    assert sorted(p.name for p in (tmp_path / "出力").iterdir()) == [
        "階層化_2023年度.csv", "階層化_2024年度.csv", "階層化_2025年度.csv",
        "階層化の概要_2023年度.pdf", "階層化の概要_2024年度.pdf", "階層化の概要_2025年度.pdf",
    ]
    assert "みなと市町村職員共済組合" in capsys.readouterr().out


def test_version_and_help_run_as_a_command():
    done = subprocess.run([sys.executable, "-m", "dhdesk", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("dhdesk ")
    helped = subprocess.run([sys.executable, "-m", "dhdesk", "stratify", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--fiscal-year" in helped.stdout


def test_self_test_passes(tmp_path, capsys):
    assert main(["--self-test", str(tmp_path)]) == 0
    assert "成功" in capsys.readouterr().out
