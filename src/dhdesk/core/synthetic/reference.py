"""Bundled reference lists (参照データ) the synthetic union draws from: names, addresses, offices, diseases, procedures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd


def read_resource(name: str) -> pd.DataFrame:
    """One CSV from resources/synthetic, every column as text (codes keep their leading zeros)."""
    text = (files("dhdesk") / "resources" / "synthetic" / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return pd.DataFrame(rows[1:], columns=rows[0]).astype("string")


def weights(column: pd.Series) -> np.ndarray:
    """A weight column as probabilities summing to 1."""
    values = column.astype(float).to_numpy()
    return values / values.sum()


@dataclass(frozen=True)
class NameList:
    """Surnames and given names with their readings; given names split by sex and birth era."""

    surnames: pd.DataFrame
    given: pd.DataFrame


@dataclass(frozen=True)
class Reference:
    """Everything the generator samples from, loaded once."""

    names: NameList
    addresses: pd.DataFrame
    offices: pd.DataFrame
    diseases: pd.DataFrame
    procedures: pd.DataFrame


@lru_cache(maxsize=1)
def load_reference() -> Reference:
    """Read the bundled lists (cached: they never change while the app runs)."""
    return Reference(
        names=NameList(read_resource("surnames.csv"), read_resource("given_names.csv")),
        addresses=read_resource("addresses.csv"),
        offices=read_resource("offices.csv"),
        diseases=read_resource("diseases.csv").set_index("key"),
        procedures=read_resource("procedures.csv"),
    )
