"""Every figure of `dhdesk analyze` on a small demo union, pinned: a faster path must not change a number.

`data/analyses_demo800.json` was written by the code before the 300k-member performance work (fewer
claims columns loaded, a year's rows sliced instead of copied, a year's 加入者 and receipts derived once);
regenerate it only when a definition is meant to change:
`PYTHONPATH=src python tests/test_analyses_figures.py WORKSPACE` prints the new snapshot. Tables added
after it (not in the file) are not pinned.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from dhdesk.services import analyses, demo, workspaces

PINNED = Path(__file__).parent / "data" / "analyses_demo800.json"
YEARS = (2024, 2025)


def snapshot(workspace_path: Path) -> dict[str, object]:
    """Per 年度 and table: headers, cells (JSON values), notes and a digest of each drill-down list."""
    out: dict[str, object] = {}
    with workspaces.open_workspace(workspace_path) as workspace:
        for year in YEARS:
            result = analyses.analyze(workspace, year)
            out[f"{year} skipped"] = result.skipped
            for table in result.tables:
                cells = table.table.astype(object).where(table.table.notna(), None)
                out[f"{year} {table.key}"] = {
                    "columns": [str(c) for c in table.table.columns],
                    "rows": json.loads(cells.to_json(orient="values", force_ascii=False)),
                    "notes": list(table.notes),
                    "member_ids": {label: f"{len(ids)}:{hashlib.sha1('|'.join(ids).encode()).hexdigest()}"
                                   for label, ids in table.member_ids.items()},
                }
    return out


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, object]:
    built = demo.build_demo(tmp_path_factory.mktemp("figures"), members=800, seed=11)
    return snapshot(built.workspace_path)


def test_every_pinned_table_of_two_years_has_the_same_figures(figures):
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert len(pinned) > 50 and set(pinned) <= set(figures)
    changed = [key for key in pinned if figures[key] != pinned[key]]
    assert changed == []


if __name__ == "__main__":
    print(json.dumps(snapshot(Path(sys.argv[1])), ensure_ascii=False, indent=1, sort_keys=True))
