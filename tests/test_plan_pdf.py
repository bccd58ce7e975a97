"""The plan PDF as a whole: cover, 目次 with page numbers, sections, tables, charts, embedded fonts."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pypdf
import pytest

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan.document import PlanInputs, build_document
from dhdesk.core.plan.text import PlanText
from dhdesk.core.union import UnionInfo
from dhdesk.reports.plan_pdf import PlanRenderer

PYRAMID = AnalysisTable("population_pyramid", "性・年齢階層・区分別 加入者数", pd.DataFrame({
    "年齢階層": [f"{a}-{a + 4}歳" for a in range(0, 75, 5)] + ["75歳以上", "合計"],
    "組合員 男性": [0] * 4 + [40] * 11 + [0, 440], "組合員 女性": [0] * 4 + [35] * 11 + [0, 385],
    "被扶養者 男性": [20] * 5 + [0] * 11 + [100], "被扶養者 女性": [20] * 5 + [15] * 11 + [265],
    "合計": [40] * 4 + [115] + [90] * 10 + [15, 1190]}), ("加入者は年度内に1日でも資格のあった人。",), "2.1.1")


@pytest.fixture(scope="module")
def pdf():
    document = build_document(PlanInputs(UnionInfo("テスト市職員共済組合", "12345678"), "組合員", 2025, [PYRAMID],
                                         {2025: [PYRAMID]}, PlanText(), date(2026, 1, 5)))
    return pypdf.PdfReader(io.BytesIO(PlanRenderer(document).render()))


def test_cover_contents_and_every_section_are_printed(pdf):
    pages = [page.extract_text() for page in pdf.pages]
    assert "第3期データヘルス計画" in pages[0] and "テスト市職員共済組合" in pages[0] and "作成日 2026年1月5日" in pages[0]
    assert "目次" in pages[1]
    for item in [i for i in pdf.outline if not isinstance(i, list)]:
        page = pdf.get_destination_page_number(item) + 1
        assert item.title in pages[page - 1]
        listed = re.search(r"(\d+)\n" + re.escape(item.title), pages[1])  # extracted as 「. . . 3」 then the title
        assert listed and int(listed.group(1)) == page, item.title


def test_tables_figures_and_page_numbers(pdf):
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "図2-1 性・年齢階層別の加入者構成" in text and "表2-1 性・年齢階層・区分別 加入者数" in text
    assert re.search(rf"2 / \s*{len(pdf.pages)}", pdf.pages[1].extract_text())
    images = [image for page in pdf.pages for image in page.images]
    assert images and images[0].image.width >= 1800       # 300 dpi at 160 mm


def test_fonts_are_embedded_and_the_outline_lists_the_sections(pdf):
    fonts = set()
    for page in pdf.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            descriptor = font.get_object().get("/FontDescriptor")
            if descriptor is not None:
                assert "/FontFile2" in descriptor.get_object()
                fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("BIZUDGothic" in name for name in fonts)
    assert [item.title for item in pdf.outline if not isinstance(item, list)][:2] == ["1. 計画の概要", "2. 加入者と医療費の現状"]
