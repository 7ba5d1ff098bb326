"""Anomaly detection scored against the anomalies the demo generator injects (truth file), and
the injection itself: deterministic, and each kind leaves the trace it should."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.demo.anomalies import IDLE_GPU_INSTANCE, score
from dagster_project.demo.generator import DemoConfig, generate

# Four weeks: the least history that leaves room for a baseline before the injections.
SMALL = DemoConfig(seed=11, start=date(2026, 7, 6), days=28, requests_per_day=200)


@pytest.fixture(scope="module")
def anomaly_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from tests.conftest import run_pipeline

    data_dir = tmp_path_factory.mktemp("anomalies")
    truth = generate(SMALL, data_dir / "landing")
    assert run_pipeline(data_dir) == 0
    return data_dir / "warehouse.duckdb", truth


def test_injection_is_deterministic_per_seed_and_recorded(tmp_path: Path):
    first = generate(SMALL, tmp_path / "a")["injected_anomalies"]
    again = generate(SMALL, tmp_path / "b")["injected_anomalies"]
    other = generate(DemoConfig(**{**SMALL.__dict__, "seed": 12}), tmp_path / "c")
    assert first == again
    assert first != other["injected_anomalies"]
    assert [a["kind"] for a in first] == [
        "runaway_retry_loop",
        "dev_environment_left_running",
        "prompt_change_tripled_input",
        "idle_gpu_host",
    ]
    last_billed = SMALL.start + timedelta(days=SMALL.days - 2)
    for anomaly in first:
        assert SMALL.start + timedelta(days=14) <= date.fromisoformat(anomaly["first_date"])
        assert date.fromisoformat(anomaly["last_date"]) <= last_billed


def test_short_demo_injects_nothing(tmp_path: Path):
    truth = generate(DemoConfig(seed=1, days=10, requests_per_day=50, dirt=False), tmp_path)
    assert truth["injected_anomalies"] == []


def test_idle_gpu_host_is_billed_on_its_days_only(tmp_path: Path):
    truth = generate(SMALL, tmp_path)
    idle = next(a for a in truth["injected_anomalies"] if a["kind"] == "idle_gpu_host")
    focus = pd.concat(pd.read_parquet(p) for p in (tmp_path / "focus").rglob("*.parquet"))
    days = sorted(
        {
            ts.date()
            for ts in focus.loc[focus["ResourceId"] == IDLE_GPU_INSTANCE, "ChargePeriodStart"]
        }
    )
    first = date.fromisoformat(idle["first_date"])
    assert days == [first + timedelta(days=i) for i in range(3)]
    assert str(days[-1]) == idle["last_date"]


def test_score_matches_on_owner_and_date_window():
    injected = [
        {
            "kind": "k",
            "first_date": "2026-07-10",
            "last_date": "2026-07-11",
            "owners": {"team": ["t"], "model": ["m"]},
        }
    ]
    detected = [
        (date(2026, 7, 10), "team", "t"),  # inside the window
        (date(2026, 7, 12), "model", "m"),  # the day after the last: still the same anomaly
        (date(2026, 7, 13), "team", "t"),  # two days after: not it
        (date(2026, 7, 10), "team", "other"),  # another owner
    ]
    result = score(detected, injected)
    assert result["true_detections"] == 2
    assert result["precision"] == 0.5
    assert result["recall"] == 1.0
    assert score([], injected)["recall"] == 0.0


def test_injected_anomalies_are_found_with_their_root_cause(anomaly_warehouse):
    warehouse, truth = anomaly_warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """select anomaly_date, owner_key, owner_value, metric, root_cause_dimension,
                      root_cause_value, observed, expected_high, billing_currency
               from marts.rpt_cost_anomalies"""
        ).fetchall()
    result = score(sorted({r[:3] for r in rows}), truth["injected_anomalies"])
    print(f"small config: precision {result['precision']:.2f}, recall {result['recall']:.2f}")
    assert result["recall"] == 1.0, result["found"]
    # measured 0.60 on this 200-requests-a-day config (noise of small daily samples); the
    # full demo's figures are in the README (benchmarks/anomaly_precision_recall.py)
    assert result["precision"] >= 0.5
    for row in rows:
        assert row[6] > row[7]  # observed above the expected range
        assert (row[8] is None) == (row[3] == "tokens")
    gpu = next(a for a in truth["injected_anomalies"] if a["kind"] == "idle_gpu_host")
    gpu_window = {
        str(d)
        for d in (date.fromisoformat(gpu["first_date"]), date.fromisoformat(gpu["last_date"]))
    }
    gpu_rows = [r for r in rows if str(r[0]) in gpu_window]
    # the idle host is found as cost of an owner it moved (its idle hours are carried by the
    # teams and cost centers of the model's users) ...
    assert [r for r in gpu_rows if r[3] == "cost" and r[2] in gpu["owners"].get(r[1], [])]
    # ... and is cost with no matching tokens
    assert not [r for r in gpu_rows if r[1] == "model" and r[2] in gpu["owners"]["model"]
                and r[3] == "tokens"]  # fmt: skip
    dev = next(
        a for a in truth["injected_anomalies"] if a["kind"] == "dev_environment_left_running"
    )
    dev_days = {dev["first_date"], dev["last_date"]}
    causes = {
        (dimension, value)
        for dimension in ("model", "feature", "use_case")
        for value in dev["owners"][dimension]
    }
    dev_rows = [
        r for r in rows if str(r[0]) in dev_days and r[1:3] == ("environment", "development")
    ]
    # the development environment is flagged, and the cause named is what it ran
    assert dev_rows
    assert all(r[4:6] in causes for r in dev_rows), dev_rows
