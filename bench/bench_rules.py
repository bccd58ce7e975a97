"""Benchmark of 階層化 + メタボ判定 and of the 理由 texts on 300k synthetic checkup rows.

Run: PYTHONPATH=src .venv/bin/python bench/bench_rules.py [--rows N]
Target (issue 4): stratify + metabo on 300k rows ≤ 2 s on the 2-core reference machine.
Writes bench/results/rules.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.rules import load_ruleset
from dhdesk.core.rules.explain import reasons
from dhdesk.core.rules.metabo import metabo
from dhdesk.core.rules.stratify import stratify

FISCAL_YEAR = 2024
TARGET_SECONDS = 2.0
RESULTS = Path(__file__).parent / "results" / "rules.json"


def synthetic_checkups(rows: int, seed: int = 20240401, extra_gaps: float = 0.0) -> pd.DataFrame:
    """Plausible checkup rows with realistic gaps (unanswered questions, HbA1c-only glucose, …).

    `extra_gaps` blanks every item with that further probability: the worst case for 判定不能,
    whose enumeration costs 2**k passes for rows with k unknown inputs.
    """
    rng = np.random.default_rng(seed)

    def gaps(values: np.ndarray, share: float) -> np.ndarray:
        values = values.astype("float64")
        values[rng.random(rows) < share + extra_gaps] = np.nan
        return values

    def codes(choices: list[int], weights: list[float], share_missing: float) -> pd.array:
        values = rng.choice(choices, size=rows, p=weights).astype("float64")
        return pd.array(gaps(values, share_missing), dtype="Int8")

    sex = rng.choice([1, 2], size=rows, p=[0.55, 0.45])
    birth = pd.Timestamp("1944-04-01") + pd.to_timedelta(rng.integers(0, 365 * 42, rows), unit="D")
    exam = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 420, rows), unit="D")
    height = np.where(sex == 1, rng.normal(170, 6, rows), rng.normal(157, 5, rows)).round(1)
    bmi = rng.normal(23.5, 3.5, rows).clip(15, 45)
    weight = (bmi * (height / 100) ** 2).round(1)
    waist = (bmi * 3.3 + rng.normal(5, 4, rows) + np.where(sex == 1, 3, 0)).round(1)
    fasting = rng.random(rows) < 0.7
    tg = rng.lognormal(np.log(110), 0.5, rows).round()
    return pd.DataFrame(
        {
            "member_id": pd.array([f"{i:08d}" for i in range(rows)], dtype="string"),
            "sex": pd.array(sex, dtype="Int8"),
            "birth_date": birth,
            "exam_date": pd.Series(exam).where(rng.random(rows) > 0.002),
            "height": gaps(height, 0.01),
            "weight": gaps(weight, 0.01),
            "bmi": gaps(bmi.round(1), 0.5),
            "waist": gaps(waist, 0.04),
            "sbp": gaps(rng.normal(125, 16, rows).round(), 0.01),
            "dbp": gaps(rng.normal(78, 11, rows).round(), 0.01),
            "tg_fasting": np.where(fasting, gaps(tg, 0.01), np.nan),
            "tg_random": np.where(~fasting, gaps(tg * 1.2, 0.02), np.nan),
            "hdl": gaps(rng.normal(60, 15, rows).round(), 0.01),
            "fbg": np.where(fasting, gaps(rng.normal(98, 15, rows).round(), 0.3), np.nan),
            "hba1c": gaps(rng.normal(5.6, 0.5, rows).round(1), 0.03),
            "rbg": np.where(~fasting, gaps(rng.normal(110, 20, rows).round(), 0.5), np.nan),
            "smoking": codes([1, 2, 3], [0.2, 0.15, 0.65], 0.02),
            "med_bp": codes([1, 2], [0.15, 0.85], 0.02),
            "med_glucose": codes([1, 2], [0.05, 0.95], 0.02),
            "med_lipid": codes([1, 2], [0.1, 0.9], 0.02),
        }
    )


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()

    rules = load_ruleset()
    checkups = synthetic_checkups(args.rows)
    stratify(checkups.head(1000), FISCAL_YEAR, rules)  # warm-up: imports and first-call costs
    strat, t_stratify = timed(stratify, checkups, FISCAL_YEAR, rules)
    met, t_metabo = timed(metabo, checkups, rules)
    _, t_reasons = timed(reasons, checkups, strat, met, rules)
    sparse = synthetic_checkups(args.rows, extra_gaps=0.3)
    sparse_strat, t_sparse_stratify = timed(stratify, sparse, FISCAL_YEAR, rules)
    _, t_sparse_metabo = timed(metabo, sparse, rules)

    results = {
        "rows": args.rows,
        "fiscal_year": FISCAL_YEAR,
        "stratify_s": round(t_stratify, 3),
        "metabo_s": round(t_metabo, 3),
        "stratify_plus_metabo_s": round(t_stratify + t_metabo, 3),
        "target_s": TARGET_SECONDS,
        "within_target": t_stratify + t_metabo <= TARGET_SECONDS,
        "reasons_s": round(t_reasons, 3),
        "sparse_stratify_plus_metabo_s": round(t_sparse_stratify + t_sparse_metabo, 3),
        "sparse_undetermined_share": round(float((sparse_strat["level"] == "判定不能").mean()), 3),
        "reasons_us_per_row": round(t_reasons / args.rows * 1e6, 1),
        "levels": {k: int(v) for k, v in strat["level"].value_counts().items()},
        "metabo": {k: int(v) for k, v in met["metabo"].value_counts().items()},
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    print(f"{'step':<32}{'seconds':>10}")
    for key in ("stratify_s", "metabo_s", "stratify_plus_metabo_s", "reasons_s", "sparse_stratify_plus_metabo_s"):
        print(f"{key:<32}{results[key]:>10.3f}")
    verdict = "OK" if results["within_target"] else "MISSED"
    print(f"rows {args.rows:,}; target stratify+metabo ≤ {TARGET_SECONDS} s: {verdict}")
    print(f"sparse data (+30% blanks): {results['sparse_undetermined_share']:.1%} 判定不能")
    print("levels:", results["levels"])
    print("metabo:", results["metabo"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
