"""Charts with plotly (PyPI): its wheel carries plotly.js, which is embedded once, inline, so
the report works offline. Figures are stored as JSON in the page and drawn by the page's own
script when their page is first shown (a chart drawn inside a hidden page would have no width).
Plotted values may be floats: the printed figures come from Decimal (formatting.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

# system fonts only: no web font is ever requested
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def plotly_js() -> Markup:
    return Markup(get_plotlyjs())


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 14}},
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "height": 320,
        "legend": {"orientation": "h", "y": -0.2},
        "template": "plotly_white",
        **extra,
    }


def figure_json(figure: go.Figure | None) -> Markup:
    """The figure as JSON safe inside a <script type="application/json"> element."""
    if figure is None:
        return Markup("null")
    text = figure.to_json()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _series(rows: list[dict], key: str, names: dict[str, str] | None) -> dict[tuple, dict]:
    series: dict[tuple, dict] = defaultdict(dict)
    for row in rows:
        label = (names or {}).get(row[key], row[key]) if row[key] is not None else "(none)"
        day = row["charge_date"].isoformat()
        series[(label, row["billing_currency"])][day] = float(row["billed_cost"])
    return series


def daily_stacked(
    rows: list[dict], key: str, title: str, names: dict[str, str] | None = None
) -> go.Figure | None:
    if not rows:
        return None
    currencies = {row["billing_currency"] for row in rows}
    figure = go.Figure(layout=_layout(title, barmode="relative"))
    for (label, currency), days in sorted(_series(rows, key, names).items()):
        name = label if len(currencies) == 1 else f"{label} ({currency})"
        figure.add_trace(go.Bar(x=list(days), y=list(days.values()), name=name))
    figure.update_yaxes(title_text=", ".join(sorted(currencies)))
    return figure


def daily_single(rows: list[dict], title: str) -> go.Figure | None:
    if not rows:
        return None
    by_currency: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        by_currency[row["billing_currency"]][row["charge_date"].isoformat()] = float(
            row["billed_cost"]
        )
    figure = go.Figure(layout=_layout(title))
    for currency, days in sorted(by_currency.items()):
        figure.add_trace(go.Bar(x=list(days), y=list(days.values()), name=currency))
    return figure


def _add_bars(
    figure: go.Figure, x: list[str], rows: list[dict], series: tuple[tuple[str, str], ...]
) -> None:
    """One bar trace per (name, column) of `series`, over the rows labelled `x` (None: no bar)."""
    for name, key in series:
        values = [None if row[key] is None else float(row[key]) for row in rows]
        figure.add_trace(go.Bar(x=x, y=values, name=name))


def billed_vs_allocated(totals: list[dict]) -> go.Figure | None:
    if not totals:
        return None
    figure = go.Figure(layout=_layout("Billed vs allocated vs unallocated", barmode="group"))
    series = (
        ("Billed", "billed_cost"),
        ("Allocated to owners", "allocated"),
        ("Unallocated", "unallocated"),
    )
    _add_bars(figure, [row["billing_currency"] for row in totals], totals, series)
    return figure


def unit_cost_trend(
    rows: list[dict], names: dict[str, str], kpi: str = "cost_per_driver"
) -> go.Figure | None:
    """A KPI of rpt_driver_unit_economics_long by month, one line per driver x team."""
    series: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        if row["dimension"] != "team" or row[kpi] is None:
            continue
        label = (
            f"{row['driver_label'] or row['driver']}: "
            f"{names.get(row['dimension_value'], row['dimension_value'])}"
        )
        series[label][row["period_start"].strftime("%Y-%m")] = float(row[kpi])
    if not series:
        return None
    title = {"cost_per_driver": "Cost per driver", "tokens_per_driver": "Tokens per driver"}[kpi]
    figure = go.Figure(layout=_layout(f"{title} by month (by team)", height=380))
    for label, months in sorted(series.items()):
        figure.add_trace(
            go.Scatter(x=list(months), y=list(months.values()), name=label, mode="lines+markers")
        )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="log")
    return figure


def budgets(rows: list[dict], names: dict[str, str]) -> go.Figure | None:
    if not rows:
        return None
    latest = max(row["month_start"] for row in rows)
    current = [row for row in rows if row["month_start"] == latest]
    labels = [
        f"{row['owner_key']}: "
        f"{names.get(row['owner_value'], row['owner_value']) if row['owner_key'] == 'team' else row['owner_value']}"  # noqa: E501
        f" ({row['budget_kind']})"
        for row in current
    ]
    figure = go.Figure(
        layout=_layout(f"Budgets {latest:%Y-%m}: actual and forecast", barmode="group")
    )
    series = (
        ("Budget", "budget_amount"),
        ("Actual to date", "actual_to_date"),
        ("Forecast month end", "forecast_month_end"),
    )
    _add_bars(figure, labels, current, series)
    return figure
