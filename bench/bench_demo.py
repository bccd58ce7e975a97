"""Benchmark of the demo pipeline, stage by stage: time and peak memory at 3k, 30k and 300k members.

Each size runs in its own process so peak memory is not inherited from a smaller run:
    .venv/bin/python bench/bench_demo.py                 # 3000 30000 300000
    .venv/bin/python bench/bench_demo.py 3000 30000      # chosen sizes
Results are printed as a table and written to bench/results/demo.json; docs/performance.md
records the figures of the last run on the reference machine class.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class PeakMemory:
    """Samples this process's resident memory every 20 ms; `stage()` reports the peak inside it."""

    def __init__(self) -> None:
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._rss())
            time.sleep(0.02)

    @contextmanager
    def stage(self, name: str, rows: list[dict]):
        self._peak = self._rss()
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self._peak = max(self._peak, self._rss())
        rows.append({"stage": name, "seconds": round(seconds, 2), "peak_mb": round(self._peak / 2**20)})


def run_one(members: int) -> list[dict]:
    """All stages for one size, in this process."""
    from dhdesk.core.synthetic import generate_union
    from dhdesk.services import demo, imports, stratification
    from dhdesk.store.workspace import Workspace

    rows: list[dict] = []
    memory = PeakMemory()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with memory.stage("generate", rows):
            union = generate_union(members=members, seed=20241)
        with memory.stage("write office files", rows):
            received = demo.write_received_files(union, folder / demo.RECEIVED)
        del union
        with Workspace.create(folder / "bench.dhdesk", _union_info()) as workspace:
            for kind, path in received:
                with memory.stage(f"import {kind} ({path.name})", rows):
                    result = imports.import_file(workspace, path, kind)
                    if not result.accepted:
                        raise SystemExit(result.message)
            latest = max(workspace.fiscal_years())
            with memory.stage(f"stratify workspace FY{latest}", rows):
                result = stratification.stratify_workspace(workspace, latest)
            with memory.stage("summary PDF", rows):
                stratification.write_summary_pdf(result, _union_info(), folder / "summary.pdf")
    return rows


def _union_info():
    from dhdesk.core.union import UnionInfo

    return UnionInfo("ベンチマーク共済組合", "31999999")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or [3000, 30000, 300000]
    report = {}
    for size in sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        report[size] = json.loads(done.stdout.strip().splitlines()[-1])
        total = sum(r["seconds"] for r in report[size])
        print(f"\n== {size:,} members (total {total:.1f} s)")
        for row in report[size]:
            print(f"  {row['stage']:<48} {row['seconds']:>8.2f} s {row['peak_mb']:>7} MB")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "demo.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
