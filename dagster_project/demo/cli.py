"""`aifinops-demo-data`: write the demo landing folder (deterministic from --seed)."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from dagster_project.demo.generator import DemoConfig, generate
from dagster_project.resources import WarehouseResource


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=None, help="landing folder (default: $AIFINOPS_LANDING_DIR)"
    )
    parser.add_argument("--seed", type=int, default=DemoConfig.seed)
    parser.add_argument("--start", type=date.fromisoformat, default=DemoConfig.start)
    parser.add_argument("--days", type=int, default=DemoConfig.days)
    parser.add_argument("--requests-per-day", type=int, default=DemoConfig.requests_per_day)
    parser.add_argument(
        "--clean", action="store_true", help="no dirt (malformed lines, duplicates)"
    )
    parser.add_argument(
        "--if-absent", action="store_true", help="do nothing if the folder has data"
    )
    args = parser.parse_args(argv)
    out = args.out or WarehouseResource.from_env().landing_folder
    if args.if_absent and (out / "_demo_truth.json").exists():
        print(f"demo data already in {out} (delete it or drop --if-absent to regenerate)")
        return 0
    cfg = DemoConfig(
        seed=args.seed,
        start=args.start,
        days=args.days,
        requests_per_day=args.requests_per_day,
        dirt=not args.clean,
    )
    began = time.perf_counter()
    print(
        f"writing demo data: {cfg.days} days from {cfg.start}, ~{cfg.requests_per_day}/day -> {out}"
    )
    truth = generate(cfg, out)
    print(
        f"  {truth['requests']:,} requests, billed ${truth['billed_usd_total']} "
        f"({', '.join(f'{k} ${v}' for k, v in truth['billed_usd'].items())}) "
        f"in {time.perf_counter() - began:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
