"""Backtest of the budget month-end forecast on a built warehouse; prints errors, asserts nothing.

    .venv/bin/python benchmarks/budget_forecast_backtest.py [--warehouse data/warehouse.duckdb]

For every owner series (owner key x owner value x budget kind x currency) and every month the
data covers from its first to its last day, the forecasts made on day 10 and day 20 are
compared with the month's actual spend. Methods:

- weekday_run_rate: the warehouse's forecast (int_month_end_spend_forecasted: weekday-aware
  run rate over the trailing 28 days, recurring charges counted as they post);
- linear_run_rate: spend to date / days elapsed x days in the month;
- linear_usage_only: the linear run rate applied to usage only, recurring charges counted as
  the warehouse counts them (shows how much of the gain is weekday awareness alone).

The error is the mean absolute percentage error (MAPE) over series with a positive month
actual; 'unallocated' is not an owner and is left out. tests/test_budgets.py runs it on the
demo and requires the warehouse's method to beat the linear run rate.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

FORECAST_DAYS = (10, 20)
METHODS = ("weekday_run_rate", "linear_run_rate", "linear_usage_only")

BACKTEST_SQL = """
with recurring_to_date as (
    select
        owner_key, owner_value, budget_kind, billing_currency, date_day,
        sum(recurring_cost) over (
            partition by owner_key, owner_value, budget_kind, billing_currency,
                date_trunc('month', date_day)
            order by date_day
        ) as recurring_to_date
    from intermediate.int_spend_by_owner_day
)
select
    forecasts.owner_key,
    forecasts.owner_value,
    forecasts.day_of_month,
    forecasts.month_actual,
    forecasts.forecast_month_end,
    forecasts.linear_run_rate_forecast,
    forecasts.actual_to_date,
    recurring_to_date.recurring_to_date,
    forecasts.recurring_remaining,
    forecasts.days_in_month
from intermediate.int_month_end_spend_forecasted as forecasts
inner join recurring_to_date
    on forecasts.owner_key = recurring_to_date.owner_key
    and forecasts.owner_value = recurring_to_date.owner_value
    and forecasts.budget_kind = recurring_to_date.budget_kind
    and forecasts.billing_currency = recurring_to_date.billing_currency
    and forecasts.as_of_date = recurring_to_date.date_day
where forecasts.month_actual > 0
    and forecasts.owner_value <> 'unallocated'
    and forecasts.day_of_month in ({days})
"""


@dataclass(frozen=True)
class Backtest:
    """MAPE (percent) per method: overall, per forecast day and per owner key."""

    mape: dict[str, Decimal]
    by_day: dict[int, dict[str, Decimal]]
    by_owner_key: dict[str, dict[str, Decimal]]
    forecasts: int


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


def run_backtest(con: duckdb.DuckDBPyConnection, days: tuple[int, ...] = FORECAST_DAYS) -> Backtest:
    sql = BACKTEST_SQL.format(days=", ".join(str(int(day)) for day in days))
    rows = con.execute(sql).fetchall()
    if not rows:
        raise ValueError("no complete month in the warehouse to backtest on")
    errors: dict[tuple, list[Decimal]] = defaultdict(list)
    for owner_key, _value, day, actual, weekday, linear, to_date, recurring, due, length in rows:
        # decimals throughout: DuckDB would divide decimals into a double
        usage_only = (to_date - recurring) * length / day + recurring + due
        for method, forecast in zip(METHODS, (weekday, linear, usage_only), strict=True):
            error = abs(Decimal(forecast) - Decimal(actual)) / Decimal(actual) * 100
            errors[("all", method)].append(error)
            errors[("day", day, method)].append(error)
            errors[("key", owner_key, method)].append(error)
    mape = {method: _mean(errors[("all", method)]) for method in METHODS}
    by_day = {day: {m: _mean(errors[("day", day, m)]) for m in METHODS} for day in days}
    keys = sorted({row[0] for row in rows})
    by_key = {key: {m: _mean(errors[("key", key, m)]) for m in METHODS} for key in keys}
    return Backtest(mape, by_day, by_key, len(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path, default=Path("data/warehouse.duckdb"))
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"error: {args.warehouse} does not exist (run `make demo` first)", file=sys.stderr)
        return 2
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        try:
            result = run_backtest(con)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"forecasts compared: {result.forecasts} (days {', '.join(map(str, FORECAST_DAYS))})")
    print(f"{'MAPE %':<22}" + "".join(f"{method:>20}" for method in METHODS))
    print(f"{'all':<22}" + "".join(f"{result.mape[m]:>20}" for m in METHODS))
    for day, values in result.by_day.items():
        print(f"{'day ' + str(day):<22}" + "".join(f"{values[m]:>20}" for m in METHODS))
    for key, values in result.by_owner_key.items():
        print(f"{key:<22}" + "".join(f"{values[m]:>20}" for m in METHODS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
