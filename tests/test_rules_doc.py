"""docs/rules.md shows exactly the shipped rule set."""

from __future__ import annotations

from pathlib import Path

from dhdesk.core.rules.doc import render_rules_markdown


def test_docs_rules_md_is_generated_from_the_rule_files():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert doc == render_rules_markdown(), "docs/rules.md is stale: run `python -m dhdesk.core.rules.doc > docs/rules.md`"
    assert "| `hokenshido.risk.lipid.tg_random` | 随時中性脂肪 | 175mg/dL 以上 |" in doc
    assert "| `hokenshido.step1.waist.female` | 腹囲 | 90cm 以上 | 女 | OK |" in doc
