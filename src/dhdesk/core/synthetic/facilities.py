"""Fictitious medical facilities (医療機関・薬局): clinics by specialty, hospitals, pharmacies, dental clinics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dhdesk.core.synthetic.reference import Reference

# kind: (name suffix, persons per facility, minimum count)
KINDS = {
    "internal": ("内科クリニック", 350, 12),
    "pediatric": ("こどもクリニック", 1500, 4),
    "orthopedic": ("整形外科", 2500, 3),
    "dermatology": ("皮ふ科", 3000, 3),
    "ent": ("耳鼻咽喉科", 3000, 3),
    "eye": ("眼科", 3000, 3),
    "hospital": ("総合病院", 8000, 3),
    "pharmacy": ("薬局", 400, 10),
    "dental": ("歯科医院", 700, 8),
}
IN_HOUSE_SHARE = 0.15  # clinics that dispense drugs themselves (院内処方)


@dataclass(frozen=True)
class Facilities:
    """One entry per facility; `of_kind[kind]` lists the indices of that kind."""

    code: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    in_house: np.ndarray
    pharmacy: np.ndarray  # the pharmacy that usually fills this facility's prescriptions
    of_kind: dict[str, np.ndarray]


def generate_facilities(persons: int, reference: Reference, rng: np.random.Generator) -> Facilities:
    """Enough facilities for the population, named after real town names of the address list."""
    towns = reference.addresses["town"].to_numpy(dtype=object)
    names, kinds = [], []
    for kind, (suffix, per, minimum) in KINDS.items():
        count = max(minimum, persons // per)
        stems = towns[rng.integers(0, len(towns), count)]
        if kind == "hospital":
            labels = [f"{stem}{suffix}" if i % 2 else f"{stem}記念病院" for i, stem in enumerate(stems)]
        elif kind == "pharmacy":
            labels = [f"{('さくら', 'ひまわり', 'みどり', 'あおば', 'つばさ')[i % 5]}{suffix} {stem}店" for i, stem in enumerate(stems)]
        else:
            labels = [f"{stem}{suffix}" for stem in stems]
        names += labels
        kinds += [kind] * count
    n = len(names)
    code = (rng.choice(9_000_000, size=n, replace=False) + 1_000_000).astype(str).astype(object)
    kind_array = np.array(kinds, dtype=object)
    of_kind = {kind: np.flatnonzero(kind_array == kind) for kind in KINDS}
    pharmacies = of_kind["pharmacy"]
    in_house = (kind_array != "pharmacy") & (kind_array != "hospital") & (rng.random(n) < IN_HOUSE_SHARE)
    return Facilities(
        code=code, name=np.array(names, dtype=object), kind=kind_array, in_house=in_house,
        pharmacy=pharmacies[rng.integers(0, len(pharmacies), n)], of_kind=of_kind,
    )
