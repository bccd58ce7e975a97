"""Benchmark of `dhdesk analyze`: load a 年度's inputs from a workspace and run every analysis.

    .venv/bin/python bench/bench_analyses.py            # demo union of 30,000 members, FY2025
    .venv/bin/python bench/bench_analyses.py 300000     # the issue's target size (the demo build takes ~30 min)
    .venv/bin/python bench/bench_analyses.py 300000 path/to/demo.dhdesk   # reuse a demo workspace built before
Prints one line per analysis (wall-clock and CPU seconds: the machine may be shared) and writes
bench/results/analyses.json.
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
        path = Path(argv[1]) if len(argv) > 1 else demo.build_demo(Path(tmp), members=members, seed=20241).workspace_path
        with workspaces.open_workspace(path) as workspace:
            clock = _Clock()
            inputs = analyses.load_inputs(workspace, FISCAL_YEAR)
            rows = [("load inputs from the workspace", *clock.lap())]
            union_type = workspace.union_info().union_type
    for analysis in ANALYSES:
        analysis.run(inputs, FISCAL_YEAR, union_type)
        rows.append((analysis.title, *clock.lap()))
    total, cpu = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"== {members:,} members, FY{FISCAL_YEAR} (total {total:.1f} s, CPU {cpu:.1f} s)")
    for name, seconds, cpu_seconds in rows:
        print(f"  {name:<40} {seconds:7.2f} s  CPU {cpu_seconds:7.2f} s")
    RESULTS.mkdir(exist_ok=True)
    report = {"members": members, "total_s": round(total, 2), "cpu_s": round(cpu, 2),
              "stages": {n: round(s, 2) for n, s, _ in rows}}
    (RESULTS / "analyses.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


class _Clock:
    """Wall-clock and process CPU seconds since the previous lap."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        elapsed = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return elapsed


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
