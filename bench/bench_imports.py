"""Benchmark of imports (取込) at union scale: clinic xlsx, claims CSV folders and the roster, time and peak RSS.

Run: PYTHONPATH=src .venv/bin/python bench/bench_imports.py [--data DIR] [--only NAME ...]
The first run generates the files with core.synthetic and the io.office_files writers (one 年度 of a
300k-member union: the 加入者台帳 cp932 CSV, clinic A's xlsx of 100k checkups, and two claims folders of
about 1 M and 10 M lines) into DIR and keeps them for later runs. Each import then runs in its own child
process into a fresh workspace, so its peak resident size is its own (ru_maxrss); the 1 M- and 10 M-line
claims need the roster in the workspace first, which is imported untimed. Every import is all or nothing.
Results go to bench/results/imports.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "imports.json"
MEMBERS = 300_000
CHECKUP_ROWS = 100_000
CLAIM_LINES = {"claims_1m": 1_000_000, "claims_10m": 10_000_000}
CASES = {
    "clinic_xlsx_100k": ("checkups", "clinic_a.xlsx"),
    "roster_300k": ("members", "roster.csv"),
    "claims_1m": ("claims", "claims_1m"),
    "claims_10m": ("claims", "claims_10m"),
}


def prepare(data: Path) -> None:
    """Write the benchmark files once (a few minutes and several GB while generating)."""
    import numpy as np
    import pandas as pd

    from dhdesk.core.synthetic import generate_union
    from dhdesk.io.office_files import write_claims_csv, write_clinic_a_xlsx, write_roster_csv

    data.mkdir(parents=True, exist_ok=True)
    union = generate_union(members=MEMBERS, seed=20241, fiscal_years=(2024,))
    write_roster_csv(union.members, data / "roster.csv")
    write_clinic_a_xlsx(union.checkups.head(CHECKUP_ROWS).reset_index(drop=True), data / "clinic_a.xlsx")
    details = ("diagnoses", "drug_lines", "procedures")
    lines = pd.Series(1, index=union.receipts["receipt_id"]).astype("int64")
    for table in details:
        lines = lines.add(getattr(union, table)["receipt_id"].value_counts(), fill_value=0)
    per_member = lines.groupby(union.receipts.set_index("receipt_id")["member_id"]).sum()
    order = np.random.default_rng(1).permutation(len(per_member))
    cumulative = per_member.iloc[order].cumsum()
    for name, target in CLAIM_LINES.items():
        chosen = set(cumulative.index[cumulative.to_numpy() <= target])
        receipts = union.receipts[union.receipts["member_id"].isin(chosen)]
        kept = set(receipts["receipt_id"])
        frames = [getattr(union, t)[getattr(union, t)["receipt_id"].isin(kept)] for t in details]
        write_claims_csv(receipts, *frames, data / name)
        total = len(receipts) + sum(len(f) for f in frames)
        print(f"{name}: {total:,} lines ({len(receipts):,} receipts)", flush=True)


def measure(case: str, data: Path) -> dict:
    """One import into a fresh workspace (roster first, untimed, for claims); runs in a child process."""
    from dhdesk.core.synthetic import UNION_INFO
    from dhdesk.services.imports import import_file
    from dhdesk.store.workspace import Workspace

    kind, name = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        workspace = Workspace.create(Path(folder) / "bench.dhdesk", UNION_INFO)
        if kind == "claims":
            import_file(workspace, data / "roster.csv", "members")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = import_file(workspace, data / name, kind, fiscal_year=2024)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        workspace.close()
    return {
        "seconds": round(seconds, 1), "peak_rss_mb": round(peak / 1024), "rss_before_mb": round(before / 1024),
        "accepted": result.accepted, "rows": result.rows, "skipped": result.skipped,
        "errors": sum(i.severity.name == "ERROR" for i in result.issues), "message": result.message[:200],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dhdesk-bench-imports")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), default=sorted(CASES))
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case, args.data)))
        return
    if not (args.data / "claims_10m").exists():
        prepare(args.data)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for case in args.only:
        child = subprocess.run([sys.executable, __file__, "--data", str(args.data), "--case", case],
                               capture_output=True, text=True, check=True)
        results[case] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{case:<18} {results[case]}", flush=True)
    results["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
