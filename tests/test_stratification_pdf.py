"""The 階層化 summary PDF: the content's words and figures are on the pages, fonts embedded, tables split cleanly."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader

from dhdesk.core.summaries import SummarySection, SummaryTable
from dhdesk.core.summaries.stratification import StratificationSummary, build_stratification_summary
from dhdesk.reports.glyphs import UncoveredGlyphsError
from dhdesk.reports.stratification_pdf import StratificationSummaryRenderer

LEVELS = ["積極的支援", "動機付け支援", "情報提供", "判定不能", "対象外"]
METABO = ["基準該当", "予備群該当", "非該当", "判定不能"]


def result_frame(n: int = 400) -> pd.DataFrame:
    """A deterministic stratification result: level i % 5, メタボ i % 4, ages 40–74."""
    return pd.DataFrame({
        "member_id": pd.array([f"{i:06d}" for i in range(n)], dtype="string"),
        "relation": pd.array([1 + (i % 3 == 0) for i in range(n)], dtype="Int8"),
        "sex": pd.array([1 + (i % 2) for i in range(n)], dtype="Int8"),
        "fy_end_age": pd.array([40 + (i * 7) % 35 for i in range(n)], dtype="Int64"),
        "level": pd.array([LEVELS[i % 5] for i in range(n)], dtype="string"),
        "metabo": pd.array([METABO[i % 4] for i in range(n)], dtype="string"),
        "reason": pd.array(["未測定のため判定不能: 腹囲" if i % 10 == 3 else "" for i in range(n)], dtype="string"),
    })


def summary(union_name: str = "髙﨑市職員共済組合") -> StratificationSummary:
    return build_stratification_summary(
        result_frame(), union_name=union_name, fiscal_year=2025, rule_label="第4期 tokutei_4ki v1",
        generated_on=date(2026, 11, 22), sources=("標準的な健診・保健指導プログラム（令和6年度版） p.47",),
    )


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return StratificationSummaryRenderer(summary()).render()


def test_pdf_carries_the_labels_and_counts_of_the_content(rendered):
    text = re.sub(r"\s+", "", "".join(page_texts(rendered)))
    content = summary()
    for word in ("特定保健指導階層化結果の概要", "髙﨑市職員共済組合", "令和7年度（2025年度）", "作成日令和8年11月22日",
                 "組合員", "被扶養者", "メタボリックシンドローム判定", "判定不能の理由", "判定基準:第4期tokutei_4kiv1"):
        assert word in text
    levels = content.sections[0].tables[0]
    for row in levels.rows:
        assert "".join(row).replace(" ", "") in text  # label, counts and shares in printed order


def test_pdf_has_page_numbers_and_the_running_header(rendered):
    texts = page_texts(rendered)
    total = len(texts)
    assert 2 <= total <= 4
    for number, text in enumerate(texts, start=1):
        assert re.search(rf"{number}\s*/\s*{total}", text)
    assert "特定保健指導 階層化結果の概要" in texts[1]


def embedded_faces(pdf: bytes) -> set[str]:
    """The face of every font the pages use; fails if one is not an embedded TrueType font."""
    faces = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]
            faces.add(str(font["/BaseFont"]).split("+")[-1])
    return faces


def test_every_font_is_an_embedded_truetype_subset(rendered):
    assert embedded_faces(rendered) == {"BIZUDGothic-Regular", "BIZUDGothic-Bold"}
    assert b"HeiseiKakuGo" not in rendered and b"Helvetica" not in rendered


def test_same_content_gives_the_same_bytes(rendered):
    assert StratificationSummaryRenderer(summary()).render() == rendered


def test_a_character_only_the_fallback_font_has_is_printed_with_it():
    pdf = StratificationSummaryRenderer(summary("山\u2F00共済組合")).render()
    assert embedded_faces(pdf) == {"BIZUDGothic-Regular", "BIZUDGothic-Bold", "IPAexGothic"}
    assert "山\u2F00共済組合" in page_texts(pdf)[0]


def test_markup_characters_in_content_are_printed_literally():
    pdf = StratificationSummaryRenderer(summary("A&B<共済>組合")).render()
    assert "A&B<共済>組合" in page_texts(pdf)[0]


def test_a_character_no_font_has_is_refused_not_printed_as_a_box():
    with pytest.raises(UncoveredGlyphsError):
        StratificationSummaryRenderer(summary("\U00020BB7野共済組合")).render()


def test_a_long_table_splits_with_its_header_repeated():
    rows = tuple((f"理由その{i:03d}", f"{i:,}", "1.0") for i in range(120))
    long = StratificationSummary(
        title="テスト", union_name="組合", fiscal_year_label="令和7年度", generated_label="作成日",
        sections=(SummarySection("見出し", tables=(SummaryTable("長い表", ("理由", "人数", "割合(%)"), rows),)),),
        notes=("注",),
    )
    texts = page_texts(StratificationSummaryRenderer(long).render())
    assert len(texts) >= 3
    for text in texts[1:-1]:
        assert re.search(r"理由\s*人数\s*割合\(%\)", text)
    joined = "".join(texts)
    assert all(f"理由その{i:03d}" in joined for i in range(120))
