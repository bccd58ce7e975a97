"""The demo union (サンプル共済組合): `generate_union` orchestrates roster, checkups and claims from one seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.progress import ProgressFn, no_progress
from dhdesk.core.synthetic.catalogue import drug_master_frame, load_catalogue
from dhdesk.core.synthetic.checkups import generate_checkups
from dhdesk.core.synthetic.claims import generate_claims
from dhdesk.core.synthetic.conditions import generate_conditions
from dhdesk.core.synthetic.encounters import generate_encounters
from dhdesk.core.synthetic.facilities import generate_facilities
from dhdesk.core.synthetic.health import generate_health
from dhdesk.core.synthetic.people import generate_population
from dhdesk.core.synthetic.period import Window
from dhdesk.core.synthetic.reference import load_reference
from dhdesk.core.union import UnionInfo, UnionType

UNION_INFO = UnionInfo(
    name="みなと市町村職員共済組合",
    insurer_number="32239014",  # 法別32 (地方公務員等共済) 愛知23 番号901, 検証番号4 (fictitious)
    union_type=UnionType.MUTUAL_AID,
    postal_code="460-0001",
    address="愛知県名古屋市中区三の丸9丁目9番9号 みなと会館",
    phone="052-000-0000",
    department="保健事業課",
)
"""A fictitious 市町村職員共済組合 modelled on seed 004's 愛知県都市職員共済組合."""

# Independent random streams: changing one generator never changes another's output.
STREAMS = {"people": 1, "health": 2, "checkups": 3, "conditions": 4, "facilities": 5, "encounters": 6, "claims": 7}


@dataclass(frozen=True)
class SyntheticUnion:
    """A complete demo union as typed frames (see dhdesk.core.fields for each layout)."""

    union_info: UnionInfo
    offices: list[str]
    members: pd.DataFrame
    checkups: pd.DataFrame
    receipts: pd.DataFrame
    diagnoses: pd.DataFrame
    drug_lines: pd.DataFrame
    procedures: pd.DataFrame
    drug_master: pd.DataFrame


def generate_union(members: int = 3000, seed: int = 20241, fiscal_years: tuple[int, ...] = (2023, 2024, 2025),
                   progress: ProgressFn = no_progress) -> SyntheticUnion:
    """A deterministic union of `members` persons (組合員 + 被扶養者): the same seed gives identical frames.

    Checkups cover every fiscal year given; claims cover April of the first to March after the last.
    """
    if members < 1:
        raise ValueError("members must be at least 1")
    window = Window(tuple(sorted(fiscal_years)))
    reference = load_reference()
    catalogue = load_catalogue()

    def rng(stream: str) -> np.random.Generator:
        return np.random.default_rng([seed, STREAMS[stream]])

    progress(0.0, "加入者を作成しています")
    population = generate_population(members, window, reference, rng("people"))
    health = generate_health(population.birth, population.sex, window, rng("health"))
    progress(0.15, "健診結果を作成しています")
    checkups = generate_checkups(population, health, window, rng("checkups"))
    progress(0.3, "レセプトを作成しています")
    conditions = generate_conditions(population, health, catalogue, window, rng("conditions"))
    facilities = generate_facilities(members, reference, rng("facilities"))
    encounters = generate_encounters(population, conditions, facilities, window, rng("encounters"))
    progress(0.55, "レセプトの明細を作成しています")
    claims = generate_claims(population, health, conditions, encounters, facilities, catalogue, reference, window,
                             rng("claims"))
    progress(1.0, "サンプルデータを作成しました")
    return SyntheticUnion(
        union_info=UNION_INFO,
        offices=reference.offices["name"].tolist(),
        members=population.members,
        checkups=checkups,
        receipts=claims.receipts,
        diagnoses=claims.diagnoses,
        drug_lines=claims.drug_lines,
        procedures=claims.procedures,
        drug_master=drug_master_frame(),
    )
