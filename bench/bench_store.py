"""Benchmark of the workspace store: bulk imports, typed reads and a claims group-by at union scale.

Run: PYTHONPATH=src .venv/bin/python bench/bench_store.py [--members 300000] [--drug-lines 10000000]
Imports 300k members, 900k checkups (3 年度) and a claims year of 10M drug lines in 12 monthly
batches (as レセ電 files arrive), then times the reads the screens and programs use and a
per-member-month group-by over every drug line. Time and peak RSS per stage go to
bench/results/store.json. Data are generated with numpy (no realism needed here, only shape).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dhdesk.core.union import UnionInfo
from dhdesk.store.connection import OFFLINE_CONFIG
from dhdesk.store.workspace import Workspace

RESULTS = Path(__file__).parent / "results" / "store.json"
FISCAL_YEAR = 2024
MONTHS = [f"{FISCAL_YEAR + (m < 4)}{m:02d}" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


@contextmanager
def stage(results: dict, name: str):
    """Time a stage and sample its peak resident memory every 20 ms."""
    peak = [rss_mb()]
    running = True

    def sample():
        while running:
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    extra: dict = {}
    yield extra
    seconds = time.perf_counter() - start
    running = False
    sampler.join()
    results[name] = {"seconds": round(seconds, 2), "peak_rss_mb": round(max(peak[0], rss_mb())), **extra}
    print(f"{name:<32} {seconds:8.2f} s  peak {results[name]['peak_rss_mb']:6,} MB  {extra or ''}", flush=True)


def text(values: np.ndarray) -> pd.arrays.StringArray:
    return pd.array(values.astype(str), dtype="string")


def members_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.char.zfill(np.arange(n).astype(str), 8)
    relation = rng.choice([1, 2], n, p=[0.55, 0.45])
    return pd.DataFrame({
        "member_id": text(ids),
        "kigo": text(rng.integers(1, 90, n)),
        "bango": text(rng.integers(1, 99999, n)),
        "name": text(np.array(["髙橋 一郎", "山﨑 花子", "渡邉 太郎"])[rng.integers(0, 3, n)]),
        "sex": pd.array(rng.choice([1, 2], n), dtype="Int8"),
        "birth_date": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 365 * 70, n), unit="D"),
        "relation": pd.array(relation, dtype="Int8"),
        "office": text(np.char.add("所属所", rng.integers(1, 200, n).astype(str))),
        "postal_code": text(np.char.zfill(rng.integers(0, 9999999, n).astype(str), 7)),
        "address1": text(np.char.add("東京都千代田区千代田", rng.integers(1, 9, n).astype(str))),
        "acquired_date": pd.Timestamp("2000-04-01") + pd.to_timedelta(rng.integers(0, 365 * 20, n), unit="D"),
    })


def checkups_frame(n: int, fiscal_year: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.char.zfill(np.arange(n).astype(str), 8)
    exam = pd.Timestamp(f"{fiscal_year}-04-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    frame = pd.DataFrame({
        "member_id": text(ids),
        "sex": pd.array(rng.choice([1, 2], n), dtype="Int8"),
        "birth_date": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 365 * 70, n), unit="D"),
        "exam_date": exam,
        "clinic": text(np.char.add("健診センター", rng.integers(1, 20, n).astype(str))),
    })
    for name, mean, sd in (("height", 165, 8), ("weight", 62, 11), ("bmi", 23, 3), ("waist", 82, 9),
                           ("sbp", 124, 15), ("dbp", 77, 10), ("tg_fasting", 110, 50), ("hdl", 60, 14),
                           ("ldl", 120, 30), ("fbg", 98, 15), ("hba1c", 5.6, 0.5), ("ast", 24, 8),
                           ("alt", 24, 12), ("ggt", 35, 25), ("creatinine", 0.8, 0.2), ("egfr", 78, 14)):
        frame[name] = rng.normal(mean, sd, n).round(1)
    for name in ("med_bp", "med_glucose", "med_lipid", "hx_stroke", "hx_heart", "hx_kidney", "hx_anemia",
                 "weight_gain", "exercise", "activity", "walk_speed", "late_dinner", "skip_breakfast", "sleep",
                 "guidance_before"):
        frame[name] = pd.array(rng.choice([1, 2], n), dtype="Int8")
    frame["smoking"] = pd.array(rng.choice([1, 2, 3], n), dtype="Int8")
    frame["drinking_freq"] = pd.array(rng.integers(1, 9, n), dtype="Int8")
    return frame


def claims_month(month: str, receipts: int, lines: int, members: int, first_id: int, rng: np.random.Generator):
    ids = np.arange(first_id, first_id + receipts).astype(str)
    member = np.char.zfill(rng.integers(0, members, receipts).astype(str), 8)
    line_receipt = np.sort(rng.integers(0, receipts, lines))
    return {
        "receipts": pd.DataFrame({
            "receipt_id": text(ids),
            "member_id": text(member),
            "service_month": text(np.full(receipts, month)),
            "claim_type": pd.array(rng.choice([2, 5], receipts), dtype="Int8"),
            "receipt_kind": text(np.full(receipts, "1112")),
            "facility_code": text(rng.integers(1_000_000_000, 1_000_005_000, receipts)),
            "days": pd.array(rng.integers(1, 5, receipts), dtype="Int64"),
            "points": pd.array(rng.integers(100, 5000, receipts), dtype="Int64"),
        }),
        "drug_lines": pd.DataFrame({
            "receipt_id": text(ids[line_receipt]),
            "drug_code": text(rng.integers(610_000_000, 610_003_000, lines)),
            "quantity": rng.integers(1, 4, lines).astype("float64"),
            "days": pd.array(rng.integers(1, 60, lines), dtype="Int64"),
            "points": pd.array(rng.integers(1, 500, lines), dtype="Int64"),
        }),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--drug-lines", type=int, default=10_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20240401)
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.dhdesk"
        with Workspace.create(path, UnionInfo("ベンチ共済組合", "31130001")) as ws:
            frame = members_frame(args.members, rng)
            with stage(results, "import members"):
                ws.import_batch("members", "roster.csv", "m", {"members": frame})
            for fy in (2022, 2023, 2024):
                frame = checkups_frame(args.members, fy, rng)
                with stage(results, f"import checkups {fy}"):
                    ws.import_batch("checkups", f"checkups-{fy}.csv", f"c{fy}", {"checkups": frame})
            del frame
            receipts_per_month = args.drug_lines // 12 // 4
            with stage(results, "import claims 12 months") as extra:
                importing = 0.0
                for i, month in enumerate(MONTHS):
                    frames = claims_month(month, receipts_per_month, args.drug_lines // 12, args.members,
                                          i * receipts_per_month, rng)
                    start = time.perf_counter()
                    ws.import_batch("claims", f"{month}.uke", f"r{month}", frames)
                    importing += time.perf_counter() - start
                del frames
                extra["import_seconds_without_generation"] = round(importing, 2)
                extra["drug_lines"] = args.drug_lines // 12 * 12
                extra["receipts"] = receipts_per_month * 12
            with stage(results, "re-import one month (replaces)"):
                ws.import_batch("claims", "resend.uke", "resend", claims_month(
                    MONTHS[0], receipts_per_month, args.drug_lines // 12, args.members, 0, rng))
            with stage(results, "undo that batch"):
                ws.undo_batch(int(ws.batches()["batch_id"].max()))
            with stage(results, "counts (home dashboard)"):
                ws.counts()
            with stage(results, "members as_of"):
                ws.members(date(2024, 10, 1))
            with stage(results, "checkups one FY"):
                ws.checkups(FISCAL_YEAR)
            with stage(results, "receipts one FY"):
                ws.receipts(FISCAL_YEAR)
            with stage(results, "drug_lines one month"):
                ws.drug_lines(months=(MONTHS[6], MONTHS[6]))
            with stage(results, "drug_lines one FY, 4 columns") as extra:
                columns = ["member_id", "service_month", "drug_code", "days"]
                extra["rows"] = len(ws.drug_lines(FISCAL_YEAR, columns=columns))
        results["file_mb"] = round(path.stat().st_size / 2**20)
        conn = duckdb.connect(str(path), read_only=True, config=OFFLINE_CONFIG)
        with stage(results, "group-by drug lines (DuckDB)") as extra:
            extra["groups"] = conn.execute(
                "SELECT count(*) FROM (SELECT r.member_id, r.service_month, count(DISTINCT d.drug_code) AS drugs "
                "FROM drug_lines d JOIN receipts r USING (claim_id) WHERE r.superseded_by IS NULL AND d.days >= 14 "
                "GROUP BY ALL HAVING drugs >= 6)"
            ).fetchall()[0][0]
        conn.close()
    results["machine"] = {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                          "duckdb": duckdb.__version__, "members": args.members, "drug_lines": args.drug_lines}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
