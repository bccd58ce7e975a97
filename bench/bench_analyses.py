"""Benchmark of `dhdesk analyze`: load a 年度's inputs from a workspace and run every analysis.

    .venv/bin/python bench/bench_analyses.py            # demo union of 30,000 members, FY2025
    .venv/bin/python bench/bench_analyses.py 300000     # the issue's target size (the demo build takes ~30 min)
Prints one line per analysis and writes bench/results/analyses.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
FISCAL_YEAR = 2025


def main(argv: list[str]) -> int:
    from dhdesk.core.analyses.catalogue import ANALYSES
    from dhdesk.services import analyses, demo, workspaces

    members = int(argv[0]) if argv else 30000
    with tempfile.TemporaryDirectory() as tmp:
        built = demo.build_demo(Path(tmp), members=members, seed=20241)
        with workspaces.open_workspace(built.workspace_path) as workspace:
            start = time.perf_counter()
            inputs = analyses.load_inputs(workspace, FISCAL_YEAR)
            rows = [("load inputs from the workspace", time.perf_counter() - start)]
            union_type = workspace.union_info().union_type
    for analysis in ANALYSES:
        start = time.perf_counter()
        analysis.run(inputs, FISCAL_YEAR, union_type)
        rows.append((analysis.title, time.perf_counter() - start))
    total = sum(seconds for _, seconds in rows)
    print(f"== {members:,} members, FY{FISCAL_YEAR} (total {total:.1f} s)")
    for name, seconds in rows:
        print(f"  {name:<40} {seconds:7.2f} s")
    RESULTS.mkdir(exist_ok=True)
    report = {"members": members, "total_s": round(total, 2), "stages": {n: round(s, 2) for n, s in rows}}
    (RESULTS / "analyses.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
