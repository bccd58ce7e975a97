"""Tiny typed checkup frames for rule tests: plain dicts in, the typed-frame convention out."""

from __future__ import annotations

import pandas as pd

from dhdesk.core.fields import CHECKUPS, pandas_dtype

HEALTHY_MAN = {
    "member_id": "0001", "sex": 1, "birth_date": "1974-10-01", "exam_date": "2024-06-01",
    "height": 170.0, "weight": 63.6, "bmi": 22.0, "waist": 80.0, "sbp": 118.0, "dbp": 72.0,
    "tg_fasting": 100.0, "tg_random": None, "hdl": 60.0, "fbg": 90.0, "hba1c": 5.2, "rbg": None,
    "smoking": 3, "med_bp": 2, "med_glucose": 2, "med_lipid": 2,
}
"""A complete, healthy 50-year-old man examined in FY2024: each test changes only what it is about."""


def checkups(*rows: dict, index: list | None = None) -> pd.DataFrame:
    """A typed checkup frame from plain dicts (None = blank), dtypes from `core.fields.pandas_dtype`."""
    frame = pd.DataFrame(list(rows), index=index)
    for name in frame.columns:
        dtype = pandas_dtype(CHECKUPS.field(name))
        frame[name] = pd.to_datetime(frame[name]) if dtype.startswith("datetime") else frame[name].astype(dtype)
    return frame
