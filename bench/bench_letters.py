"""Benchmark of printing a batch (通知の印刷): time and peak memory of `mailing.generate_batch` at 2k and 10k letters.

Each size runs in its own process (peak memory is not inherited from a smaller run) on a workspace
built for it: a synthetic roster, and an approved 受診勧奨 list with three exceeded items per letter
(the roster has names such as 𠮷田, so the batch runs with glyph_fallback, as the clerk would).
    .venv/bin/python bench/bench_letters.py              # 2000 10000
    .venv/bin/python bench/bench_letters.py 500 2000     # chosen sizes
Reported: seconds per stage (from the progress messages), the main process's peak RSS during the
batch and the peak RSS of the largest worker process, both sampled from /proc every 20 ms
(getrusage's RUSAGE_CHILDREN is no use here: a spawned child is accounted the parent's RSS at fork).
Results go to bench/results/letters.json. Target (issue 6): 10,000 letters in ≤ 60 s, memory flat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ITEMS = ({"label": "収縮期血圧", "value": 168.0, "unit": "mmHg", "criterion": "160mmHg以上", "tier": "①すぐに受診"},
         {"label": "HbA1c", "value": 7.1, "unit": "%", "criterion": "6.5%以上", "tier": "②受診勧奨"},
         {"label": "γ-GT", "value": 186.0, "unit": "U/L", "criterion": "101U/L以上", "tier": "②受診勧奨"})


class PeakMemory:
    """Samples the resident memory of this process and of each child process every 20 ms while running."""

    def __init__(self) -> None:
        self._page = os.sysconf("SC_PAGE_SIZE")
        self.peak = self.rss()
        self.child_peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def rss(self, pid: str = "self") -> int:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                return int(handle.read().split()[1]) * self._page
        except (FileNotFoundError, ProcessLookupError):
            return 0

    def children(self) -> list[str]:
        """The worker processes: children already running `spawn_main` (a child caught between fork and
        exec still shows the parent's memory, which is not the worker's)."""
        pids = []
        for task in Path("/proc/self/task").iterdir():
            try:
                pids += (task / "children").read_text().split()
            except FileNotFoundError:
                continue
        return [pid for pid in pids if b"spawn_main" in self._cmdline(pid)]

    @staticmethod
    def _cmdline(pid: str) -> bytes:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            return b""

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self.child_peak = max([self.child_peak, *(self.rss(pid) for pid in self.children())])
            time.sleep(0.02)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        return max(self.peak, self.rss()), self.child_peak


def _workspace(folder: Path, letters: int):
    """A workspace with `letters` members (synthetic roster) and an approved jushin run naming all of them."""
    import pandas as pd

    from dhdesk.core.programs import TargetList
    from dhdesk.core.synthetic import generate_union
    from dhdesk.store.workspace import Workspace

    union = generate_union(members=int(letters * 1.6), seed=7)
    members = union.members
    ids = members["member_id"].drop_duplicates().iloc[:letters].astype("string").reset_index(drop=True)
    workspace = Workspace.create(folder / "bench.dhdesk", union.union_info)
    workspace.import_batch("members", "members.csv", "bench", {"members": members[members["member_id"].isin(ids)]})
    n = len(ids)
    targets = pd.DataFrame({
        "member_id": ids, "tier": pd.array(["①すぐに受診"] * n, dtype="string"),
        "rank": pd.array(range(1, n + 1), dtype="Int64"), "reason": pd.array(["収縮期血圧ほか"] * n, dtype="string"),
        "explanation": pd.Series([()] * n, dtype=object),
        "values": pd.Series([{"exam_date": "2025-06-10", "window_months": 3, "items": list(ITEMS)}] * n, dtype=object),
        "warnings": pd.Series([()] * n, dtype=object), "excluded": False,
        "exclusion_reason": pd.array([pd.NA] * n, dtype="string"), "excluded_by": pd.array([pd.NA] * n, dtype="string"),
        "voucher_number": pd.array([pd.NA] * n, dtype="string"), "holdout": False,
    })
    run = TargetList("jushin", 2025, None, "bench", {}, targets, (("通知対象", n),), as_of=date(2026, 3, 31))
    run_id = workspace.save_run(run)
    workspace.approve_run(run_id)
    return workspace, run_id


def _cpu_since(before: os.times_result) -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children since `before`: on a
    shared machine the wall-clock time depends on the load, the CPU time much less."""
    now = os.times()
    return (now.user + now.system - before.user - before.system,
            now.children_user + now.children_system - before.children_user - before.children_system)


def run_one(letters: int) -> dict:
    """Print one batch of `letters` letters in this process; stage times from the progress messages."""
    from dhdesk.services import mailing

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workspace, run_id = _workspace(folder, letters)
        stages: list[list] = []
        start = time.perf_counter()

        def progress(fraction: float, message: str) -> None:
            stage = message.split("（")[0]
            now = time.perf_counter() - start
            if not stages or stages[-1][0] != stage:
                stages.append([stage, now])

        memory = PeakMemory()
        before = memory.rss()
        cpu = os.times()
        with workspace:
            result = mailing.generate_batch(workspace, run_id, folder / "out", glyph_fallback=True, progress=progress)
        seconds = time.perf_counter() - start
        cpu_main, cpu_workers = _cpu_since(cpu)
        peak, children = memory.stop()
        sizes = sum(path.stat().st_size for path in result.files)
    ends = [s[1] for s in stages[1:]] + [seconds]
    return {
        "letters": letters, "seconds": round(seconds, 1), "cpu_main_seconds": round(cpu_main, 1),
        "cpu_worker_seconds": round(cpu_workers, 1), "files": len(result.files),
        "megabytes": round(sizes / 2**20, 1),
        "main_rss_before_mb": round(before / 2**20), "main_rss_peak_mb": round(peak / 2**20),
        "worker_rss_peak_mb": round(children / 2**20),
        "stages": [{"stage": name, "seconds": round(end - begin, 1)} for (name, begin), end in zip(stages, ends)],
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(int(argv[1])), ensure_ascii=False))
        return 0
    sizes = [int(a) for a in argv] or [2000, 10000]
    report = {}
    for size in sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        row = report[size] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"\n== {size:,} letters: {row['seconds']} s (CPU: main {row['cpu_main_seconds']} s, workers "
              f"{row['cpu_worker_seconds']} s), {row['files']} files ({row['megabytes']} MB); "
              f"main RSS {row['main_rss_before_mb']} → peak {row['main_rss_peak_mb']} MB, "
              f"worker peak {row['worker_rss_peak_mb']} MB")
        for stage in row["stages"]:
            print(f"  {stage['stage']:<40} {stage['seconds']:>7.1f} s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "letters.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
