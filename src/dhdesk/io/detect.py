"""What kind of file the office received (加入者台帳・健診結果・レセプト・医薬品/傷病名マスター), from its shape."""

from __future__ import annotations

from pathlib import Path

from dhdesk.core.fields import CHECKUPS, DRUG_MASTER, MEMBERS, RECEIPTS, Layout
from dhdesk.io.columns import auto_map
from dhdesk.io.disease_master import looks_like_disease_master
from dhdesk.io.tabular import UnreadableFile, read_table
from dhdesk.io.tokutei_xml import INDEX_NAME

_TABULAR_KINDS: dict[str, Layout] = {
    "members": MEMBERS,
    "checkups": CHECKUPS,
    "claims": RECEIPTS,
    "drugs": DRUG_MASTER,
}
MIN_SHARE_OF_REQUIRED = 0.75
"""A table is taken for a kind when its headers feed at least this share of the kind's required fields."""


def detect_kind(path: Path) -> str | None:
    """The import kind of `path` (members / checkups / claims / drugs / diseases), or None when it is not clear.

    The 支払基金 傷病名マスター has no header row: it is known by its first line (second field "B")."""
    path = Path(path)
    if path.is_dir():
        if any(path.glob(INDEX_NAME)) or any(path.glob(f"*/{INDEX_NAME}")):
            return "checkups"
        if any(p.stem == RECEIPTS.label for p in path.iterdir()):
            return "claims"
        return None
    suffix = path.suffix.lower()
    if suffix == ".uke":
        return "claims"
    if suffix == ".zip":
        return "checkups"
    if path.stem in (RECEIPTS.label,):
        return "claims"
    if suffix in (".csv", ".txt") and looks_like_disease_master(path):
        return "diseases"
    try:
        headers = read_table(path).headers
    except UnreadableFile:
        return None
    scores = {kind: _required_share(headers, layout) for kind, layout in _TABULAR_KINDS.items()}
    best = max(scores, key=lambda kind: (scores[kind], len(auto_map(headers, _TABULAR_KINDS[kind]).assigned)))
    return best if scores[best] >= MIN_SHARE_OF_REQUIRED else None


def _required_share(headers: list[str], layout: Layout) -> float:
    required = [f.name for f in layout.fields if f.required]
    assigned = set(auto_map(headers, layout).assigned.values())
    return sum(name in assigned for name in required) / len(required)
