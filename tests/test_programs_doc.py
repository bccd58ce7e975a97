"""docs/programs.md shows exactly the shipped program parameters."""

from __future__ import annotations

from pathlib import Path

from dhdesk.core.programs.catalogue import PROGRAMS
from dhdesk.core.programs.doc import render_parameters_markdown


def test_docs_programs_md_contains_the_generated_parameter_tables():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "programs.md").read_text(encoding="utf-8")
    assert render_parameters_markdown() in doc, (
        "docs/programs.md is stale: replace its generated part with `python -m dhdesk.core.programs.doc`")


def test_every_program_lists_every_parameter_with_its_label_and_default():
    text = render_parameters_markdown()
    for program in PROGRAMS.values():
        assert f"`{program.id}`" in text
        for parameter in program.parameters:
            assert f"{parameter.label} (`{parameter.name}`)" in text
