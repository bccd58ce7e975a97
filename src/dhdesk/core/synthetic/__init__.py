"""A deterministic, realistic demo union (サンプルデータ): roster, checkups and claims calibrated on seed 004."""

from __future__ import annotations

from dhdesk.core.synthetic.union import UNION_INFO, SyntheticUnion, generate_union

__all__ = ["UNION_INFO", "SyntheticUnion", "generate_union"]
