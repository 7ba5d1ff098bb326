"""Precision and recall of marts.rpt_cost_anomalies against the anomalies the demo generator
injects (its truth file), on the full demo (seed 42) and on a second seed the thresholds were
not tuned on. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/anomaly_precision_recall.py [--seeds 42 1234] [--days 90]

Matching (dagster_project/demo/anomalies.py: score): a detection matches an injected anomaly
when its date is between the injection's first day and one day after its last, and its owner
(key and value) is one the injection moved.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.demo.anomalies import score
from dagster_project.demo.generator import DemoConfig, generate


def detected(warehouse: Path) -> list[tuple[date, str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select anomaly_date, owner_key, owner_value from marts.rpt_cost_anomalies"
        ).fetchall()
    return sorted(set(rows))


def main() -> int:
    from tests.conftest import run_pipeline

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1234])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--requests-per-day", type=int, default=3000)
    args = parser.parse_args()
    for seed in args.seeds:
        work = Path(tempfile.mkdtemp(prefix=f"aifinops-anomalies-{seed}-"))
        cfg = DemoConfig(seed=seed, days=args.days, requests_per_day=args.requests_per_day)
        generate(cfg, work / "landing")
        if run_pipeline(work) != 0:
            print(f"seed {seed}: pipeline failed (see {work})")
            continue
        truth = json.loads((work / "landing" / "_demo_truth.json").read_text())
        result = score(detected(work / "warehouse.duckdb"), truth["injected_anomalies"])
        print(
            f"seed {seed}: precision {result['precision']:.2f} recall {result['recall']:.2f} "
            f"({result['true_detections']}/{result['detections']} detections true, "
            f"{len(result['found'])}/{result['injected']} injected found: {result['found']})"
        )
        for row in result["false_detections"]:
            print(f"  not injected: {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
