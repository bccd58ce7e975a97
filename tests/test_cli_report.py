"""`dhdesk report`: the plan PDF (and its tables as xlsx) from a workspace, published or internal."""

from __future__ import annotations

import openpyxl
import pypdf
import pytest

from dhdesk.cli import main
from dhdesk.services import demo


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    return demo.build_demo(tmp_path_factory.mktemp("report"), members=400, seed=5).workspace_path


def _cells(path, sheet):
    book = openpyxl.load_workbook(path, read_only=True)
    return [c for row in book[sheet].iter_rows(values_only=True) for c in row]


def test_report_writes_the_published_pdf_and_xlsx(demo_workspace, tmp_path, capsys):
    pdf, xlsx = tmp_path / "plan.pdf", tmp_path / "tables.xlsx"
    code = main(["report", str(demo_workspace), "--fiscal-year", "2025", "-o", str(pdf), "--xlsx", str(xlsx)])
    assert code == 0
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) > 10 and "第3期データヘルス計画" in reader.pages[0].extract_text()
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert {"population_pyramid", "plan_kpi", "plan_tokutei", "jisshiritsu_kenshin"} <= set(book.sheetnames)
    assert "<10" in _cells(xlsx, "population_pyramid")
    assert "公表用" in _cells(xlsx, "目次")[0]
    assert "データヘルス計画" in capsys.readouterr().out


@pytest.mark.slow
def test_internal_report_hides_nothing(demo_workspace, tmp_path):
    pdf, xlsx = tmp_path / "plan.pdf", tmp_path / "tables.xlsx"
    assert main(["report", str(demo_workspace), "--fiscal-year", "2025", "-o", str(pdf), "--xlsx", str(xlsx),
                 "--internal"]) == 0
    assert "<10" not in _cells(xlsx, "population_pyramid")
    assert "内部用" in pypdf.PdfReader(pdf).pages[0].extract_text()


def test_a_missing_workspace_is_refused_with_a_message(tmp_path, capsys):
    assert main(["report", str(tmp_path / "none.dhdesk"), "--fiscal-year", "2025", "-o", str(tmp_path / "p.pdf")]) == 1
    assert capsys.readouterr().err.strip()
