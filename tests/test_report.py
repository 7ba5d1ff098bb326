"""The report builder on a small hand-made published file: a second company (its own team ids
and names, two billing currencies), empty governance and waste marts, hostile names.
Fast: no pipeline run, no browser (tests/test_report_browser.py renders the real one)."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from dagster_project.serve.report import build_report
from dagster_project.serve.report.build import team_slug
from dagster_project.serve.report.data import ReportDataError
from dagster_project.serve.report.formatting import money, money_value

MONEY = "decimal(38, 10)"
# the columns of each mart the report reads, typed as the marts are
TABLES = {
    "marts.fct_allocated_costs": f"""charge_id varchar, charge_date date, provider_id varchar,
        billing_currency varchar, billed_cost {MONEY}, effective_cost {MONEY},
        is_unallocated boolean, team_id varchar, cost_center_id varchar, product varchar,
        use_case varchar, feature varchar, environment varchar, model_id varchar,
        allocated_tokens hugeint, allocated_method_id varchar, allocated_method_details json""",
    "marts.rpt_allocation_reconciliation": f"""provider_id varchar, billing_account_id varchar,
        invoice_id varchar, billing_period_start timestamptz, billing_currency varchar,
        billed_cost {MONEY}, allocated_to_owners {MONEY}, unallocated {MONEY},
        allocated_to_unassigned_owner {MONEY}, shared_charges {MONEY},
        allocation_coverage double""",
    "marts.rpt_driver_unit_economics_long": f"""period_grain varchar, period_start date,
        dimension varchar, dimension_value varchar, billing_currency varchar, driver varchar,
        driver_label varchar, driver_value decimal(38, 8), billed_cost {MONEY},
        total_tokens hugeint, cost_per_driver {MONEY}, cost_per_driver_change {MONEY},
        direct_cost_per_driver {MONEY}, tokens_per_driver double,
        tokens_per_driver_change double, incomplete_reason varchar""",
    "marts.rpt_budget_status": f"""month_start date, owner_key varchar, owner_value varchar,
        budget_kind varchar, billing_currency varchar, budget_amount {MONEY},
        actual_to_date {MONEY}, forecast_month_end {MONEY}, remaining_budget {MONEY},
        actual_pct_of_budget {MONEY}, forecast_pct_of_budget {MONEY}, budget_status varchar,
        as_of_date date""",
    "marts.rpt_cost_anomalies": f"""anomaly_date date, owner_key varchar, owner_value varchar,
        metric varchar, billing_currency varchar, observed {MONEY}, expected {MONEY},
        severity varchar, root_cause varchar""",
    "marts.rpt_request_waste": f"""waste_kind varchar, estimate_method varchar,
        request_count bigint, estimated_list_cost_usd {MONEY},
        estimated_contracted_cost_usd {MONEY}""",
    "marts.rpt_cache_batch_savings": f"""month_start date, provider_id varchar, model_id varchar,
        request_count bigint, estimated_caching_saving_usd {MONEY},
        estimated_batch_saving_usd {MONEY}""",
    "marts.rpt_cheaper_model_candidates": f"""month_start date, provider_id varchar,
        use_case varchar, model_id varchar, candidate_model_id varchar, request_count bigint,
        current_cost_usd {MONEY}, candidate_cost_usd {MONEY},
        estimated_monthly_saving_usd {MONEY}""",
    "marts.rpt_environment_mismatches": f"""month_start date, finding varchar, team_id varchar,
        environment varchar, model_id varchar, request_count bigint, list_cost_usd {MONEY}""",
    "marts.rpt_gpu_idle_cost": f"""month_start date, rule_id varchar, team_id varchar,
        capacity varchar, billing_currency varchar, host_hours {MONEY}, billed_cost {MONEY}""",
    "reference.org_teams": """team_id varchar, team_name varchar, cost_center_id varchar,
        cost_center_name varchar""",
    "reference.budget_environment_kinds": "environment varchar, budget_kind varchar",
}

DIRECT = '{"basis":"list_cost","rule_id":null,"scope":"direct usage"}'
RULE = '{"basis":"even_split","rule_id":"platform_fee","scope":"rule platform_fee (month)"}'
# A second company: its own ids and names, EUR and GBP bills, a team id that is not URL-safe,
# a name that is markup. (charge, day, provider, currency, billed, effective, unallocated,
# team, environment, model, method, details)
FACT_ROWS = [
    ("c1", "2026-03-30", "mistral", "EUR", "10.005", "9.00", False, "équipe/ops", "prod",
     "mistral-large", "direct_usage_list_cost", DIRECT),
    ("c1", "2026-03-30", "mistral", "EUR", "2.100", "2.10", False, "R&D <lab>", "lab",
     "mistral-large", "direct_usage_list_cost", DIRECT),
    ("c2", "2026-04-02", "mistral", "EUR", "30.00", "30.00", False, "équipe/ops", "prod",
     None, "rule:platform_fee", RULE),
    ("c3", "2026-04-03", "cohere", "GBP", "7.125", "7.125", True, "unallocated",
     "unallocated", "command-r", "unallocated", '{"basis":"none","rule_id":null}'),
    ("c4", "2026-04-03", "cohere", "GBP", "-1.000", "-1.000", False, "unassigned",
     "unassigned", "command-r", "direct_usage_tokens", DIRECT),
]  # fmt: skip


def _published(path: Path, fact_has_names: bool = False, drivers: bool = False) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create schema reference")
    for table, columns in TABLES.items():
        if fact_has_names and table == "marts.fct_allocated_costs":
            columns += ", team_name varchar, cost_center_name varchar"
        con.execute(f"create table {table} ({columns})")
    for row in FACT_ROWS:
        (charge, day, provider, cur, billed, effective, unalloc, team, env, model, method,
         details) = row  # fmt: skip
        values = [charge, day, provider, cur, Decimal(billed), Decimal(effective), unalloc,
                  team, "cc-9", "prod-x", "uc-y", "feat-z", env, model, 100, method,
                  details]  # fmt: skip
        extra = ""
        if fact_has_names:
            values += [f"{team} (from the fact)", "CC Nine"]
            extra = ", ?, ?"
        con.execute(
            f"insert into marts.fct_allocated_costs values ({', '.join(['?'] * 17)}{extra})",
            values,
        )
    con.execute(
        "insert into reference.org_teams values (?, ?, 'cc-9', 'Ops'), (?, ?, 'cc-9', 'Lab')",
        ["équipe/ops", "Équipe Opérations", "R&D <lab>", "<b>Research</b> & Dev"],
    )
    con.execute("insert into reference.budget_environment_kinds values ('prod', 'production')")
    con.execute(
        """insert into marts.rpt_allocation_reconciliation values
           ('mistral', 'acct-1', 'inv-1', '2026-03-01 00:00:00+00', 'EUR', 42.105, 42.105, 0, 0,
            30, 1.0)"""
    )
    if drivers:
        con.execute(
            """insert into marts.rpt_driver_unit_economics_long values
               ('month', '2026-04-01', 'team', 'équipe/ops', 'EUR', 'claims_settled',
                'Claims settled', 4, 30, 1000, 7.5, null, 0, 250.0, null, null),
               ('day', '2026-04-02', 'team', 'équipe/ops', 'EUR', 'claims_settled',
                'Claims settled', 1, 30, 1000, 30, null, 0, 1000.0, null, null)"""
        )
    con.close()
    return path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.pages: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [found[name] or "" for name in ("src", "href") if name in found]
        if tag == "section" and "page" in (found.get("class") or ""):
            self.pages.append(found["data-page"] or "")


def _metric(html: str, metric: str, **attrs: str) -> list[str]:
    """The data-value of every element with data-metric=metric and the given data- attributes."""
    values = []
    for tag in re.findall(r"<[^>]*data-metric=\"" + metric + r"\"[^>]*>", html):
        if all(f'data-{k.replace("_", "-")}="{v}"' in tag for k, v in attrs.items()):
            values.append(re.search(r'data-value="([^"]*)"', tag).group(1))
    return values


@pytest.fixture
def report(tmp_path: Path) -> tuple[str, dict]:
    result = build_report(_published(tmp_path / "pub.duckdb"), tmp_path / "out" / "r.html")
    return (tmp_path / "out" / "r.html").read_text(encoding="utf-8"), result


def test_totals_per_currency_are_the_facts_decimal_sums_rounded_half_up(report):
    html, _ = report
    # EUR: 10.005 + 2.100 + 30.00 = 42.105 -> 42.11 (a float sum prints 42.10)
    assert _metric(html, "billed_total", currency="EUR") == ["42.11"]
    assert _metric(html, "billed_total", currency="GBP") == ["6.13"]  # 7.125 - 1.000
    assert _metric(html, "unallocated_total", currency="GBP") == ["7.13"]
    assert "42.11 EUR" in html and "6.13 GBP" in html


def test_every_team_of_the_fact_has_a_statement_unassigned_and_unallocated_included(report):
    html, result = report
    parser = _Links()
    parser.feed(html)
    assert result["teams"] == 4 and result["pages"] == 5
    assert parser.pages[0] == "executive" and len(parser.pages) == 5
    assert len(set(parser.pages)) == 5
    assert _metric(html, "team_billed_total", team="équipe/ops", currency="EUR") == ["40.01"]
    assert _metric(html, "team_shared_total", team="équipe/ops") == ["30.00"]
    assert _metric(html, "team_billed_total", team="unallocated") == ["7.13"]
    assert _metric(html, "team_billed_total", team="unassigned") == ["-1.00"]
    # the seed's display name, escaped: a name is text, never markup
    assert "Équipe Opérations" in html
    assert "&lt;b&gt;Research&lt;/b&gt; &amp; Dev" in html and "<b>Research</b>" not in html


def test_the_file_asks_for_nothing_outside_itself(report):
    html, _ = report
    parser = _Links()
    parser.feed(html)
    assert parser.urls and all(url.startswith(("#", "data:")) for url in parser.urls)
    # plotly.js is inline, once
    assert html.count("<script>") == 2 and "cdn.plot.ly/plotly" not in html.split("<script>")[0]
    assert "@font-face" not in html and "@import" not in html


def test_empty_marts_render_explicit_none_sections(report):
    html, _ = report
    for section in ("No budgets", "No anomalies detected", "No business drivers",
                    "No wasted requests", "No cheaper model candidates",
                    "No idle GPU cost"):  # fmt: skip
        assert f"None. {section}" in html, section


def test_team_names_come_from_the_fact_when_it_carries_them(tmp_path: Path):
    published = _published(tmp_path / "pub.duckdb", fact_has_names=True)
    build_report(published, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "équipe/ops (from the fact)" in html and "Équipe Opérations" not in html


def test_cost_per_driver_shown_is_the_marts_month_value(tmp_path: Path):
    published = _published(tmp_path / "pub.duckdb", drivers=True)
    build_report(published, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert _metric(html, "cost_per_driver", driver="claims_settled") == ["7.5000000000"]
    assert _metric(html, "team_cost_per_driver", team="équipe/ops") == ["7.5000000000"]
    assert "None. No business drivers: load" not in html  # the executive table has rows


def test_a_missing_mart_is_an_error_naming_it(tmp_path: Path):
    published = _published(tmp_path / "pub.duckdb")
    with duckdb.connect(str(published)) as con:
        con.execute("drop table marts.rpt_budget_status")
    with pytest.raises(ReportDataError, match=r"marts\.rpt_budget_status"):
        build_report(published, tmp_path / "r.html")
    assert list(tmp_path.glob("*.html")) == [] and list(tmp_path.glob(".*tmp")) == []


def test_the_report_is_replaced_whole(tmp_path: Path):
    published = _published(tmp_path / "pub.duckdb")
    out = tmp_path / "r.html"
    out.write_text("old report")
    build_report(published, out)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_money_is_printed_from_decimal_never_float():
    assert money(Decimal("1234.565"), "EUR") == "1,234.57 EUR"
    assert money_value(Decimal("-0.005")) == Decimal("-0.01")
    assert money(None, "EUR") == "\u2014"
    with pytest.raises(TypeError):
        money(1234.565, "EUR")  # type: ignore[arg-type]


def test_team_pages_have_distinct_fragment_safe_ids():
    taken: set[str] = set()
    slugs = [team_slug(t, taken) for t in ("ops", "Ops", "ops/eu", "ops eu", "", "ops")]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"team-[a-z0-9_-]+", slug) for slug in slugs)
    assert slugs[0] == "team-ops"


def test_the_report_asset_reads_only_the_published_file():
    import dagster as dg

    from dagster_project.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    node = graph.get(dg.AssetKey("html_report"))
    assert node.parent_keys == {dg.AssetKey("published_warehouse")}
    assert node.group_name == "serving" and "html" in node.kinds


def test_a_warehouse_with_no_costs_yet_renders_none_everywhere(tmp_path: Path):
    published = _published(tmp_path / "pub.duckdb")
    with duckdb.connect(str(published)) as con:
        con.execute("delete from marts.fct_allocated_costs")
        con.execute("delete from marts.rpt_allocation_reconciliation")
    result = build_report(published, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert result["pages"] == 1 and result["teams"] == 0
    assert "None. No billed charges in the warehouse yet." in html
    assert 'data-metric="billed_total"' not in html and 'class="chart"' not in html
