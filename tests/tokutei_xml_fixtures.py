"""Test fixture: the sample people of the 特定健診 XML tests; documents and archives come from the io writer.

No filled-in public sample exists, so tests write their own with `dhdesk.io.tokutei_xml_writer`.
"""

from __future__ import annotations

import pandas as pd

from dhdesk.core.fields import CHECKUPS, Field, Kind
from dhdesk.io.tokutei_xml import typed_checkups
from dhdesk.io.tokutei_xml_writer import (  # noqa: F401  (re-exported for the XML tests)
    archive_files,
    archive_root,
    document_name,
    document_xml,
    write_archive,
)

CLINIC = "テスト健診センター"


def sample_frame() -> pd.DataFrame:
    """Three people covering every coded item, a fasting and a random draw, and blanks."""
    base = {"sex": 1, "birth_date": pd.Timestamp("1970-04-01"), "exam_date": pd.Timestamp("2024-05-20"),
            "clinic": CLINIC, "height": 170.2, "weight": 72.5, "bmi": 25.0, "waist": 88.5, "sbp": 132.0,
            "dbp": 84.0, "hdl": 52.0, "ldl": 141.0, "non_hdl": 160.0, "hba1c": 5.8, "ast": 25.0, "alt": 31.0,
            "ggt": 40.0, "creatinine": 0.92, "egfr": 68.4, "urine_glucose": "1", "urine_protein": "2",
            "hb": 14.1, "hematocrit": 42.3, "rbc": 468.0, "ecg": 2, "fundus_kw": "1", "history": 2,
            "symptoms": 2, "signs": 2, "doctor_judgement": "異常なし", "clinic_level": "2", "clinic_metabo": "2"}
    answers = {f.name: f.choices[i % len(f.choices)].code for i, f in enumerate(_questions())}
    fasting = {**base, **answers, "member_id": "000123", "insured_kigo": "12", "insured_bango": "000123",
               "insured_edaban": "01", "blood_timing": 2, "tg_fasting": 150.0, "fbg": 104.0}
    random = {**base, **{k: v % 2 + 1 for k, v in answers.items()}, "member_id": "4567", "insured_kigo": "34",
              "insured_bango": "4567", "insured_edaban": "00", "sex": 2, "birth_date": pd.Timestamp("1983-12-31"),
              "blood_timing": 3, "tg_random": 210.0, "rbg": 140.0, "hba1c": 6.5}
    sparse = {"member_id": "0099", "insured_kigo": "12", "insured_bango": "0099", "insured_edaban": "02", "sex": 1,
              "birth_date": pd.Timestamp("1960-01-15"), "exam_date": pd.Timestamp("2024-06-01"), "clinic": CLINIC,
              "height": 160.0, "weight": 55.0}
    rows = []
    for n, row in enumerate((fasting, random, sparse), start=1):
        rows.append({**row, "source_file": document_name(n)})
    return typed_checkups(rows)


def _questions() -> list[Field]:
    return [f for f in CHECKUPS.fields if f.kind is Kind.ANSWER]
