"""Every program the union can run (保健事業), in the order the 対象者抽出 screen lists them."""

from __future__ import annotations

from typing import Any

from dhdesk.core.programs import Extract, Program, chudan, generic, hokenshido, jinsho, jushin, mijushin, program_rules, tazai

_DRUGS = frozenset({"receipts", "drug_lines"})
_CLAIMS = frozenset({"receipts", "diagnoses", "drug_lines"})


def _program(program_id: str, extract: Extract, **options: Any) -> Program:
    """A program titled as its rule file names it, so the screen, the xlsx and the letters agree."""
    return Program(program_id, program_rules(program_id)["title"], extract, **options)


PROGRAMS: dict[str, Program] = {
    program.id: program
    for program in (
        _program("hokenshido", hokenshido.extract, claims_months=12, months_parameter="medication_months", reads=_DRUGS),
        _program("jushin", jushin.extract, claims_from_fiscal_year_start=True, reads=_CLAIMS),
        _program("chudan", chudan.extract, claims_months=24, months_parameter="lookback_months", reads=_CLAIMS),
        _program("jinsho", jinsho.extract, claims_months=24, months_parameter="lookback_months", reads=_CLAIMS),
        _program("mijushin", mijushin.extract, claims_months=0, reads=frozenset()),
        _program("generic", generic.extract, monthly=True, claims_months=1, reads=_DRUGS),
        _program("tazai", tazai.extract, monthly=True, claims_months=1, reads=_DRUGS),
    )
}
"""Keyed by the CLI id (`dhdesk targets WORKSPACE <id>`)."""
