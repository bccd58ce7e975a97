"""Benchmark of `dhdesk report`: the データヘルス計画 of a 年度 from a workspace, PDF and xlsx (issue 7: 300k ≤ 60 s).

    .venv/bin/python bench/bench_plan.py            # demo union of 30,000 members, FY2025
    .venv/bin/python bench/bench_plan.py 300000     # the issue's target size (the demo build takes ~30 min)
    .venv/bin/python bench/bench_plan.py 300000 path/to/demo.dhdesk   # reuse a demo workspace built before
Prints the wall-clock and CPU seconds of each stage the plan reports through its progress callback
(the machine may be shared) and writes bench/results/plan.json. The workspace is only read.
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
    from dhdesk.services import demo, plan, workspaces

    members = int(argv[0]) if argv else 30000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(argv[1]) if len(argv) > 1 else demo.build_demo(Path(tmp), members=members, seed=20241).workspace_path
        stages = _Stages()
        with workspaces.open_workspace(path) as workspace:
            result = plan.write_plan(workspace, FISCAL_YEAR, Path(tmp) / "plan.pdf", Path(tmp) / "plan.xlsx",
                                     progress=stages.progress)
        stages.progress(1.0, "")
        pages = (Path(tmp) / "plan.pdf").stat().st_size
    rows = stages.rows
    total, cpu = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"== {members:,} members, FY{FISCAL_YEAR} plan (total {total:.1f} s, CPU {cpu:.1f} s; "
          f"{result.table_count} tables, PDF {pages / 1e6:.1f} MB)")
    for name, seconds, cpu_seconds in rows:
        print(f"  {name:<40} {seconds:7.2f} s  CPU {cpu_seconds:7.2f} s")
    RESULTS.mkdir(exist_ok=True)
    report = {"members": members, "total_s": round(total, 2), "cpu_s": round(cpu, 2),
              "stages": {n: round(s, 2) for n, s, _ in rows}}
    (RESULTS / "plan.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


class _Stages:
    """Wall-clock and process CPU seconds of each stage, a stage lasting until the next message."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.message = ""
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def progress(self, fraction: float, message: str) -> None:
        if message == self.message:
            return
        wall, cpu = time.perf_counter(), time.process_time()
        if self.message:
            self.rows.append((self.message, wall - self.wall, cpu - self.cpu))
        self.message, self.wall, self.cpu = message, wall, cpu


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
