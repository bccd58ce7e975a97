"""The drug catalogue (医薬品カタログ): real products cut from the MHLW 薬価基準 and 後発医薬品 lists.

Each ingredient and strength (成分・規格) is a group with its 先発品 and several 後発品, so the generator can
prescribe brands that have cheaper generics (差額通知 targets) and reach the seed's 後発医薬品使用割合.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from dhdesk.core.fields import DRUG_MASTER
from dhdesk.core.synthetic.reference import read_resource
from dhdesk.core.synthetic.typed import typed_frame

BRAND_CODES = ("1", "2", "☆")
GENERIC_CODES = ("3", "★")
RECEIPT_CODE_BASE = 690_000_000
"""Placeholder 9-digit レセ電 医薬品コード (the 支払基金 master is not bundled); the 薬価基準コード is real."""


@dataclass(frozen=True)
class Catalogue:
    """Products (one row each) and their groups; arrays are aligned with `products`."""

    products: pd.DataFrame
    group: np.ndarray  # group index of each product
    brand_of_group: np.ndarray  # product index of each group's 先発品
    generics_start: np.ndarray  # CSR offsets into `generic_products` per group
    generic_products: np.ndarray
    therapy_of_group: np.ndarray
    price: np.ndarray
    units_per_day: np.ndarray
    usual_days: np.ndarray
    receipt_code: np.ndarray

    def groups_for(self, therapy: str) -> np.ndarray:
        """Group indices that treat a therapy (e.g. "bp")."""
        return np.flatnonzero(self.therapy_of_group == therapy)

    def pick_product(self, group: np.ndarray, brand: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The product dispensed for each group: its 先発品 when `brand` (or no 後発品 exists), else a 後発品 by `u`."""
        start = self.generics_start[group]
        count = self.generics_start[group + 1] - start
        generic = self.generic_products[np.minimum(start + (u * count).astype(int), len(self.generic_products) - 1)]
        return np.where(brand | (count == 0), self.brand_of_group[group], generic)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Read resources/synthetic/drug_catalogue.csv (cached)."""
    products = read_resource("drug_catalogue.csv")
    key = products["ingredient"] + "|" + products["strength"]
    codes, uniques = pd.factorize(key)
    group = codes.astype(np.int64)
    is_brand = products["generic_info"].isin(BRAND_CODES).to_numpy()
    brand_of_group = np.array([np.flatnonzero((group == g) & is_brand)[0] for g in range(len(uniques))])
    generic_products = np.flatnonzero(~is_brand)
    generic_products = generic_products[np.argsort(group[generic_products], kind="stable")]
    counts = np.bincount(group[generic_products], minlength=len(uniques))
    generics_start = np.concatenate([[0], np.cumsum(counts)])
    therapy = products["therapy"].to_numpy(dtype=object)
    receipt_code = np.array([str(RECEIPT_CODE_BASE + i + 1) for i in range(len(products))], dtype=object)
    return Catalogue(
        products=products,
        group=group,
        brand_of_group=brand_of_group,
        generics_start=generics_start,
        generic_products=generic_products,
        therapy_of_group=therapy[brand_of_group],
        price=products["price"].astype(float).to_numpy(),
        units_per_day=products["units_per_day"].astype(float).to_numpy(),
        usual_days=products["usual_days"].astype(int).to_numpy(),
        receipt_code=receipt_code,
    )


CATALOGUE_VERSION = "2025-07-16"
"""The 薬価基準 list the catalogue was cut from: the version date of the demo's drug master."""


def drug_master_frame() -> pd.DataFrame:
    """The catalogue as DRUG_MASTER rows (with its placeholder claim codes) plus `version_date`."""
    catalogue = load_catalogue()
    products = catalogue.products
    columns = {name: products[name] for name in DRUG_MASTER.names if name in products.columns}
    columns["receipt_code"] = catalogue.receipt_code
    frame = typed_frame(DRUG_MASTER, columns, len(products))
    frame["version_date"] = pd.Series(pd.Timestamp(CATALOGUE_VERSION), index=frame.index, dtype="datetime64[ns]")
    return frame
