"""Benchmark of 対象者抽出: every program run on a demo workspace, as `dhdesk targets` runs it.

    .venv/bin/python bench/bench_programs.py                     # demo union of 30,000 members, FY2025
    .venv/bin/python bench/bench_programs.py 300000 path/to/demo.dhdesk   # the issue's size, reusing a workspace
Each run reads its inputs, extracts, applies the common exclusions and saves the draft run, on a copy of
the workspace (the original is left untouched). Prints wall-clock and CPU seconds per program (the
machine may be shared) and writes bench/results/programs.json. Target: ≤ 10 s per program at 300k.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
FISCAL_YEAR = 2025
MONTH = "202603"


def main(argv: list[str]) -> int:
    from dhdesk.core.programs.catalogue import PROGRAMS
    from dhdesk.services import demo, programs, workspaces

    members = int(argv[0]) if argv else 30000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(argv[1]) if len(argv) > 1 else demo.build_demo(Path(tmp), members=members, seed=20241).workspace_path
        copy = Path(tmp) / "bench.dhdesk"
        shutil.copy(source, copy)
        with workspaces.open_workspace(copy) as workspace:
            for program in PROGRAMS.values():
                wall, cpu = time.perf_counter(), time.process_time()
                _, target_list = programs.run_program(workspace, program.id, FISCAL_YEAR,
                                                      month=MONTH if program.monthly else None)
                rows.append((program.id, time.perf_counter() - wall, time.process_time() - cpu,
                             len(target_list.final)))
    print(f"== {members:,} members, FY{FISCAL_YEAR}")
    for name, seconds, cpu_seconds, final in rows:
        print(f"  {name:<12} {seconds:7.2f} s  CPU {cpu_seconds:7.2f} s  {final:>8,} targets")
    RESULTS.mkdir(exist_ok=True)
    report = {"members": members, "programs": {n: {"s": round(s, 2), "cpu_s": round(c, 2), "final": f}
                                               for n, s, c, f in rows}}
    (RESULTS / "programs.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
