"""Every program the union can run (保健事業), in the order the 対象者抽出 screen lists them."""

from __future__ import annotations

from typing import Any

from dhdesk.core.programs import Extract, Program, chudan, generic, hokenshido, jinsho, jushin, mijushin, program_rules, tazai

_KEYS = ("claim_id", "member_id", "service_month", "claim_type")
"""The store's integer claim_id links a receipt and its lines (several times cheaper than the text レセプト番号)."""
_RECEIPTS = (*_KEYS, "facility_code", "facility_name")
_DIAGNOSES = (*_KEYS, "icd10", "is_suspected")
_DRUG_CODES = (*_KEYS, "yj_code", "drug_code")
_CLAIMS = {"receipts": _RECEIPTS, "diagnoses": _DIAGNOSES, "drug_lines": _DRUG_CODES}
"""Programs that only match claims to code lists read these columns (差額通知 and 多剤 read every column)."""
_KIDNEY_CLAIMS = {**_CLAIMS, "diagnoses": (*_DIAGNOSES, "disease_name")}
"""腎症 also finds 腎障害 by the 傷病名's words when no ICD-10 code says it (analyses/jinsho.toml)."""
_DRUG_LINES = {"receipts": None, "drug_lines": None}


def _program(program_id: str, extract: Extract, **options: Any) -> Program:
    """A program titled as its rule file names it, so the screen, the xlsx and the letters agree."""
    return Program(program_id, program_rules(program_id)["title"], extract, **options)


PROGRAMS: dict[str, Program] = {
    program.id: program
    for program in (
        _program("hokenshido", hokenshido.extract, claims_months=12, months_parameter="medication_months",
                 reads={"receipts": _RECEIPTS, "drug_lines": _DRUG_CODES}),
        _program("jushin", jushin.extract, claims_from_fiscal_year_start=True, reads=_CLAIMS),
        _program("chudan", chudan.extract, checkup_years=0, claims_months=24, months_parameter="lookback_months",
                 reads=_CLAIMS),
        _program("jinsho", jinsho.extract, checkup_years=2, claims_months=24, months_parameter="lookback_months",
                 reads=_KIDNEY_CLAIMS),
        _program("mijushin", mijushin.extract, checkup_years=3, claims_months=0, reads={}),
        _program("generic", generic.extract, checkup_years=0, monthly=True, claims_months=1, reads=_DRUG_LINES),
        _program("tazai", tazai.extract, checkup_years=0, monthly=True, claims_months=1, reads=_DRUG_LINES),
    )
}
"""Keyed by the CLI id (`dhdesk targets WORKSPACE <id>`)."""
